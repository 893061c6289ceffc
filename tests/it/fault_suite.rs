//! The network deployment under faults, all real processes on loopback: a PostgreSQL cluster
//! and moto's S3 server started by the harness, two `kapok serve --role api` nodes behind a
//! round-robin forwarder (the load balancer), one `kapok worker`, and two `kapok playout` nodes,
//! one per radio channel, sending MPEG-TS over UDP to this test. While tus uploads, an alert
//! and as-run flow, the suite kills (`SIGKILL`) and restarts an API node, the worker and a
//! playout node in turn, stops PostgreSQL for 20 s and takes S3 away for 60 s. Then:
//!
//! - every upload ends `ready` exactly once (one ready programme per upload, none failed);
//! - no as-run line is lost or doubled (one line per scheduled item, even for the item on air
//!   when its node was killed): each channel's as-run in the catalog covers the time
//!   on air without overlap, and each played item's tone is what the node's output carried then
//!   (decoded by ffmpeg); every node's spool is empty at the end;
//! - an alert POSTed to the surviving API node while the other is dead airs (attention signal
//!   in the decoded UDP output) on both channels;
//! - neither channel's output stops: no gap in the datagrams longer than [`MAX_GAP`], except
//!   across the killed node's restart, bounded by [`RESTART_GAP`].
//!
//! S3 "stopped": moto holds its objects in memory, so killing it would lose the bucket rather
//! than make it unavailable; the harness cuts a forwarder in front of it instead (connections
//! refused, open ones reset), which is what clients of a stopped S3 server see.
//!
//! The figures (outage lengths, recovery times, gaps, upload and ingest times) are printed;
//! `bench/notes/fault-suite.md` has a run of them.
#![allow(clippy::zombie_processes)]

use std::fs::File;
use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, Duration as Span, FixedOffset, Timelike, Utc};
use serde_json::{json, Value};
use testkit::pg_cluster::PgCluster;
use testkit::proxy::TcpProxy;
use testkit::s3::S3Server;

const PASSWORD: &str = "故障-套件-2026-kapok";
const CENTRE: &str = "510400";
/// Longest silence allowed on a channel's UDP output while its node runs. The output is real
/// time: a radio channel's TS leaves every few tens of ms, and no fault of the API, database,
/// store or worker may stop it (the node airs its loaded window and cached media; a missing
/// file or dead source is slate at the next frame, which is the fallback). What is left is
/// scheduling jitter on a loaded 2-core machine.
const MAX_GAP: Duration = Duration::from_millis(1500);
/// Longest silence across a playout node's kill and restart, from the kill: the supervisor's
/// restart delay ([`NODE_RESTART_DELAY`]) plus the node's documented "on air again within 2 s"
/// (docs/playout-node.md), plus 1 s for process start on a loaded machine.
const RESTART_GAP: Duration = Duration::from_secs(5);
const NODE_RESTART_DELAY: Duration = Duration::from_secs(2);
/// Tones of the two scheduled programmes (Hz) and their lengths (s).
const PROGRAMMES: [(u32, u32); 2] = [(440, 10), (660, 8)];

/// A datagram of a node's output and when it arrived.
type Datagram = (Instant, Vec<u8>);

/// A `kapok` process the suite can kill and start again, its stderr appended to one log.
struct Proc {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Proc {
    fn new(name: &'static str, args: &[&str], env: &[(String, String)], dir: &Path) -> Self {
        let args = args.iter().map(|s| (*s).to_string()).collect();
        Self { name, args, env: env.to_vec(), log: dir.join(format!("{name}.log")), child: None }
    }

    fn spawn(&mut self) {
        let log = File::options().create(true).append(true).open(&self.log).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kapok"));
        cmd.args(&self.args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::from(log));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        self.child = Some(cmd.spawn().unwrap());
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Still running (a process the suite did not kill must never have exited).
    fn alive(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!("--- {} (last lines)\n{}", self.name, lines[lines.len().saturating_sub(25)..].join("\n"))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Waits until `base` answers HTTP at all (any status); the seconds it took.
fn wait_http(base: &str, limit: Duration, what: &str) -> f64 {
    let t = Instant::now();
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    while http.get(format!("{base}/healthz")).send().is_err() {
        assert!(t.elapsed() < limit, "{what} did not answer at {base} within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    t.elapsed().as_secs_f64()
}

/// `kapok ARGS` on `env` with `stdin` fed in; its stdout (it must succeed).
fn kapok_cli(args: &[&str], env: &[(String, String)], stdin: &str) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kapok"));
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "kapok {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn new_token(env: &[(String, String)], user: &str) -> String {
    let out: Value =
        serde_json::from_str(&kapok_cli(&["token", "create", "--user", user, "--name", "fault"], env, "")).unwrap();
    out["token"].as_str().unwrap().to_string()
}

/// What one tus upload took.
#[derive(Debug, Default, Clone)]
struct Upload {
    title: String,
    /// Programme ids of creations answered 201 (one unless a retried creation also took).
    programmes: Vec<String>,
    /// Requests that failed (no answer, or 5xx/423) and were retried.
    retries: u32,
    done: bool,
    seconds: f64,
}

/// A tus client as a browser's would behave: create, `PATCH` the bytes, and on any failure
/// ask the offset with `HEAD` and resume, until `deadline`.
fn tus_upload(base: &str, token: &str, file: &Path, title: &str, deadline: Instant) -> Upload {
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let bytes = std::fs::read(file).unwrap();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let meta = format!("filename {},title {},centre {}", b64("fault.m4a"), b64(title), b64(CENTRE));
    let started = Instant::now();
    let mut up = Upload { title: title.into(), ..Upload::default() };
    let mut location: Option<String> = None;
    let pause = || std::thread::sleep(Duration::from_millis(700));
    while Instant::now() < deadline {
        let Some(loc) = location.clone() else {
            let r = http
                .post(format!("{base}/api/uploads"))
                .bearer_auth(token)
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Length", bytes.len().to_string())
                .header("Upload-Metadata", &meta)
                .send();
            match r {
                Ok(r) if r.status() == 201 => {
                    let h = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                    up.programmes.push(h("kapok-programme-id"));
                    location = Some(h("location"));
                }
                Ok(r) if r.status().is_client_error() && r.status() != 423 && r.status() != 429 => {
                    panic!("upload {title} refused: {} {}", r.status(), r.text().unwrap_or_default())
                }
                _ => {
                    up.retries += 1;
                    pause();
                }
            }
            continue;
        };
        let offset = match http.head(format!("{base}{loc}")).bearer_auth(token).header("Tus-Resumable", "1.0.0").send()
        {
            Ok(r) if r.status() == 200 => r
                .headers()
                .get("upload-offset")
                .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
                .expect("HEAD answers Upload-Offset"),
            Ok(r) if r.status() == 404 => panic!("upload {title}: {loc} gone (404) before it completed"),
            _ => {
                up.retries += 1;
                pause();
                continue;
            }
        };
        if offset == bytes.len() {
            up.done = true;
            break;
        }
        let r = http
            .patch(format!("{base}{loc}"))
            .bearer_auth(token)
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(bytes[offset..].to_vec())
            .send();
        match r {
            Ok(r) if r.status() == 204 => {}
            Ok(r) if r.status().is_client_error() && ![409, 423, 429].contains(&r.status().as_u16()) => {
                panic!("upload {title}: PATCH refused: {} {}", r.status(), r.text().unwrap_or_default())
            }
            _ => {
                up.retries += 1;
                pause();
            }
        }
    }
    up.seconds = started.elapsed().as_secs_f64();
    up
}

/// The API as the admin calls it, through `base`.
struct Api {
    http: reqwest::blocking::Client,
    token: String,
}

impl Api {
    fn call(&self, base: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self.http.request(method, format!("{base}{path}")).bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        match rb.send() {
            Ok(r) => {
                let status = r.status().as_u16();
                (status, r.json::<Value>().unwrap_or(Value::Null))
            }
            Err(e) => (0, json!(e.to_string())),
        }
    }

    fn get(&self, base: &str, path: &str) -> (u16, Value) {
        self.call(base, reqwest::Method::GET, path, None)
    }

    /// Every programme of the centre: (id, title, status).
    fn programmes(&self, base: &str) -> Vec<(String, String, String)> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(a) => format!("/api/programmes?centre={CENTRE}&limit=100&after={a}"),
                None => format!("/api/programmes?centre={CENTRE}&limit=100"),
            };
            let (s, page) = self.get(base, &path);
            assert_eq!(s, 200, "{page}");
            for p in page["items"].as_array().unwrap() {
                let text = |k: &str| p[k].as_str().unwrap_or_default().to_string();
                all.push((text("id"), text("title"), text("status")));
            }
            match page["next"].as_str() {
                Some(n) if !n.is_empty() => after = Some(n.to_string()),
                _ => return all,
            }
        }
    }
}

/// A UDP receiver on a free port keeping every datagram with its arrival time.
fn receiver() -> (u16, Arc<Mutex<Vec<Datagram>>>) {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = udp.local_addr().unwrap().port();
    udp.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let got: Arc<Mutex<Vec<Datagram>>> = Arc::default();
    let sink = got.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        loop {
            if let Ok(n) = udp.recv(&mut buf) {
                sink.lock().unwrap().push((Instant::now(), buf[..n].to_vec()));
            }
        }
    });
    (port, got)
}

fn between(grams: &Mutex<Vec<Datagram>>, from: Instant, until: Instant) -> Vec<u8> {
    grams.lock().unwrap().iter().filter(|(t, _)| *t >= from && *t < until).flat_map(|(_, b)| b.clone()).collect()
}

/// Seconds after `from` at which the attention signal is first in the output (0.5 s steps of
/// 1 s windows), or `None` within `within`.
fn attention_onset(grams: &Mutex<Vec<Datagram>>, from: Instant, within: Duration, dir: &Path) -> Option<f64> {
    let mut at = Duration::ZERO;
    while at < within {
        let audio =
            testkit::media::ts_audio(&between(grams, from + at, from + at + Duration::from_secs(1)), dir, 48_000);
        if testkit::tone::has_attention_signal(&audio, 48_000.0) {
            return Some((at + Duration::from_secs(1)).as_secs_f64());
        }
        at += Duration::from_millis(500);
    }
    None
}

/// A broadcast day (06:00 +08:00): the dead relay up to `first`, the programmes back to back
/// from `first` for `loops` rounds, the relay again to the day's end.
fn day_csv(day: DateTime<FixedOffset>, first: DateTime<FixedOffset>, items: &[(String, f64)], loops: usize) -> String {
    let hms = |t: DateTime<FixedOffset>| t.format("%H:%M:%S").to_string();
    let dur = |s: i64| format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    let mut csv = format!("start,programme,duration\n06:00:00,live:dead,{}\n", dur((first - day).num_seconds()));
    let mut at = first;
    for _ in 0..loops {
        for (id, secs) in items {
            csv.push_str(&format!("{},{id},\n", hms(at)));
            at += Span::milliseconds((secs * 1000.0) as i64);
        }
    }
    csv.push_str(&format!(
        "{},live:dead,{}\n",
        hms(at),
        dur(((day + Span::days(1) - at).num_milliseconds() + 999) / 1000)
    ));
    csv
}

/// The as-run records a node made, from its log (`playout::engine: as-run item=Some(3)
/// outcome=Played …`), as `3 played` (`null fallback` for a gap), in order.
fn node_records(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let rest = l.split("playout::engine: as-run item=").nth(1)?;
            let item = rest.split_whitespace().next()?;
            let item = item.strip_prefix("Some(").and_then(|i| i.strip_suffix(')')).unwrap_or("null");
            let outcome = rest.split("outcome=").nth(1)?.split_whitespace().next()?.to_lowercase();
            Some(format!("{item} {outcome}"))
        })
        .collect()
}

/// RFC 3339 in UTC with `Z` (a `+00:00` in a query string would read as a space).
fn zulu(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A fault's figures, printed at the end.
struct Figures(Vec<String>);

impl Figures {
    fn note(&mut self, line: String) {
        eprintln!("fault suite: {line}");
        self.0.push(line);
    }
}

#[allow(clippy::too_many_lines)]
#[test]
fn the_network_survives_each_of_its_processes_and_services_failing() {
    let suite = Instant::now();
    let suite_wall = Utc::now();
    let dir = tempfile::Builder::new().prefix("kapok-fault-").tempdir().unwrap();
    let work = dir.path();
    let mut figures = Figures(Vec::new());
    let rt = tokio::runtime::Runtime::new().unwrap();

    // Services: PostgreSQL, and moto behind a forwarder that can be cut.
    let pg = PgCluster::start().unwrap_or_else(|e| panic!("{e}"));
    let db = rt.block_on(pg.create_database("kapok_fault")).unwrap();
    let s3 = rt.block_on(S3Server::start()).unwrap_or_else(|e| panic!("{e}"));
    let s3_port: u16 = s3.endpoint().rsplit(':').next().unwrap().parse().unwrap();
    let s3_gate = TcpProxy::start(vec![SocketAddr::from(([127, 0, 0, 1], s3_port))]).unwrap();
    let mut env: Vec<(String, String)> = vec![
        ("KAPOK_DATABASE_URL".into(), db.clone()),
        ("KAPOK_STORAGE_URL".into(), s3.url("fault")),
        ("KAPOK_ADMIN_PASSWORD".into(), PASSWORD.into()),
        // A dead worker's job is taken over after its lease: 10 s instead of 60 s keeps the
        // suite short; the takeover path is the same.
        ("KAPOK_WORKER_LEASE_S".into(), "10".into()),
        ("RUST_LOG".into(), "info".into()),
    ];
    for (k, v) in s3.aws_env() {
        let v = if k == "AWS_ENDPOINT" { s3_gate.url() } else { v };
        env.push((k.into(), v));
    }
    let with = |extra: &[(&str, String)]| -> Vec<(String, String)> {
        let mut e = env.clone();
        e.extend(extra.iter().map(|(k, v)| ((*k).to_string(), v.clone())));
        e
    };

    // Two API nodes (the first migrates and seeds the admin before the second starts), the
    // forwarder in front of them, a worker.
    let api_ports = [testkit::net::free_port(), testkit::net::free_port()];
    let api_base: Vec<String> = api_ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    let mut apis: Vec<Proc> = (0..2)
        .map(|i| {
            let e = with(&[
                ("KAPOK_DATA", work.join(format!("api{i}")).display().to_string()),
                ("KAPOK_LISTEN", format!("127.0.0.1:{}", api_ports[i])),
            ]);
            Proc::new(["api1", "api2"][i], &["serve", "--role", "api"], &e, work)
        })
        .collect();
    apis[0].spawn();
    wait_http(&api_base[0], Duration::from_secs(60), "api1");
    apis[1].spawn();
    wait_http(&api_base[1], Duration::from_secs(60), "api2");
    let lb = TcpProxy::start(api_ports.iter().map(|p| SocketAddr::from(([127, 0, 0, 1], *p))).collect()).unwrap();
    let base = lb.url();
    let cli_env = with(&[("KAPOK_DATA", work.join("api0").display().to_string())]);
    let mut worker =
        Proc::new("worker", &["worker"], &with(&[("KAPOK_DATA", work.join("worker").display().to_string())]), work);
    worker.spawn();
    let admin = Api {
        http: reqwest::blocking::Client::builder().timeout(Duration::from_secs(20)).build().unwrap(),
        token: new_token(&cli_env, "admin"),
    };
    kapok_cli(
        &["user", "add", "node-510400", "--role", "playout_node", "--centre", CENTRE],
        &cli_env,
        &format!("{PASSWORD}\n"),
    );
    let node_token = new_token(&cli_env, "node-510400");
    figures.note(format!("setup: services and API nodes up after {:.1} s", suite.elapsed().as_secs_f64()));

    // The two programmes the channels air, uploaded and ingested through the network.
    let mut scheduled: Vec<(String, f64)> = Vec::new();
    for (i, (hz, secs)) in PROGRAMMES.iter().enumerate() {
        let clip = work.join(format!("programme{i}.m4a"));
        testkit::media::Clip::audio_only(f64::from(*secs)).tone(*hz).sample_rate(48_000).write(&clip);
        let up =
            tus_upload(&base, &admin.token, &clip, &format!("故障节目-{hz}"), Instant::now() + Duration::from_secs(60));
        assert!(up.done && up.programmes.len() == 1, "{up:?}");
        scheduled.push((up.programmes[0].clone(), 0.0));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    for (id, secs) in &mut scheduled {
        loop {
            let (_, p) = admin.get(&base, &format!("/api/programmes/{id}"));
            if p["status"] == "ready" {
                *secs = p["duration_ms"].as_f64().unwrap() / 1000.0;
                break;
            }
            assert!(p["status"] != "failed" && Instant::now() < deadline, "{p}\n{}", worker.tail());
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    figures.note(format!("setup: two programmes ingested after {:.1} s", suite.elapsed().as_secs_f64()));

    // Two radio channels with the same day: the programmes back to back from `first`.
    let (s, relay) = admin.call(
        &base,
        reqwest::Method::PUT,
        &format!("/api/centres/{CENTRE}/relays/dead"),
        Some(json!({ "uri": "udp://127.0.0.1:9" })),
    );
    assert_eq!(s, 200, "{relay}");
    let tz = FixedOffset::east_opt(8 * 3600).unwrap();
    let now = Utc::now().with_timezone(&tz);
    let mut day = now.with_hour(6).unwrap().with_minute(0).unwrap().with_second(0).unwrap().with_nanosecond(0).unwrap();
    if day > now {
        day -= Span::days(1);
    }
    let first = (now + Span::seconds(15)).with_nanosecond(0).unwrap();
    let round: f64 = scheduled.iter().map(|(_, s)| s).sum();
    let loops = ((day + Span::days(1) - first).num_seconds() as f64 / round).min(600.0 / round) as usize;
    let csv = day_csv(day, first, &scheduled, loops);
    let date = day.format("%Y-%m-%d").to_string();
    let mut channels = Vec::new();
    for (slug, name) in [("fault-a", "故障甲台"), ("fault-b", "故障乙台")] {
        let (s, c) = admin.call(
            &base,
            reqwest::Method::POST,
            "/api/channels",
            Some(json!({ "centre": CENTRE, "slug": slug, "name": name, "kind": "radio",
                "format": { "sample_rate": 48000, "channels": 2 } })),
        );
        assert_eq!(s, 201, "{c}");
        let id = c["id"].as_str().unwrap().to_string();
        let r = admin
            .http
            .post(format!("{base}/api/channels/{id}/days/{date}/import"))
            .bearer_auth(&admin.token)
            .body(csv.clone())
            .send()
            .unwrap();
        let (s, imported) = (r.status().as_u16(), r.json::<Value>().unwrap());
        assert_eq!(s, 201, "{imported}");
        let (s, published) = admin.call(
            &base,
            reqwest::Method::POST,
            &format!("/api/channels/{id}/days/{date}/publish"),
            Some(json!({ "version": imported["version"] })),
        );
        assert_eq!(s, 201, "{published}");
        channels.push((slug, id));
    }

    // The playout nodes, through the load balancer, each to its UDP receiver.
    let mut outputs = Vec::new();
    let mut nodes: Vec<Proc> = Vec::new();
    for (slug, _) in &channels {
        let (port, grams) = receiver();
        outputs.push(grams);
        let node_data = work.join(format!("node-{slug}"));
        let e = vec![
            ("KAPOK_TOKEN".to_string(), node_token.clone()),
            ("KAPOK_DATA".to_string(), node_data.display().to_string()),
            ("RUST_LOG".to_string(), "info".to_string()),
        ];
        let out = format!("udp://127.0.0.1:{port}");
        let args = [
            "playout",
            "--channel",
            slug,
            "--api",
            &base,
            "--output",
            &out,
            "--cache-gib",
            "1",
            "--off-air-exit-after",
            "0",
        ];
        let mut node = Proc::new(if *slug == "fault-a" { "node-a" } else { "node-b" }, &args, &e, work);
        node.spawn();
        nodes.push(node);
    }
    let spools: Vec<PathBuf> =
        channels.iter().map(|(slug, _)| work.join(format!("node-{slug}/playout/asrun/{slug}.jsonl"))).collect();
    // On air with the programmes: the first item's as-run reaches the catalog on both channels.
    let first_utc = first.with_timezone(&Utc);
    let deadline = Instant::now() + Duration::from_secs(90);
    for (i, (slug, id)) in channels.iter().enumerate() {
        loop {
            let (_, report) =
                admin.get(&base, &format!("/api/channels/{id}/as-run?from={}", zulu(first_utc - Span::minutes(1))));
            let played = report["entries"].as_array().is_some_and(|e| e.iter().any(|r| r["outcome"] == "played"));
            if played {
                break;
            }
            assert!(Instant::now() < deadline, "{slug}: nothing played\n{}", nodes[i].tail());
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    let on_air = Instant::now();
    figures
        .note(format!("setup: both channels on air with the programmes after {:.1} s", suite.elapsed().as_secs_f64()));

    // Uploads flow through everything that follows: one every 6 s, each retried until done.
    let stop_uploads = Arc::new(AtomicBool::new(false));
    let uploads: Arc<Mutex<Vec<Upload>>> = Arc::default();
    let uploader = {
        let (stop, done, base, token, work) =
            (stop_uploads.clone(), uploads.clone(), base.clone(), admin.token.clone(), work.to_path_buf());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let clip = work.join(format!("upload{n}.m4a"));
                testkit::media::Clip::audio_only(2.0).tone(300 + 17 * n).sample_rate(48_000).write(&clip);
                let up = tus_upload(
                    &base,
                    &token,
                    &clip,
                    &format!("故障上传-{n}"),
                    Instant::now() + Duration::from_secs(150),
                );
                done.lock().unwrap().push(up);
                n += 1;
                std::thread::sleep(Duration::from_secs(6));
            }
        })
    };
    std::thread::sleep(Duration::from_secs(8));

    // Fault 1: an API node killed; an alert POSTed to the other airs on both channels.
    let killed = Instant::now();
    apis[0].kill9();
    std::thread::sleep(Duration::from_secs(1));
    let fmt = |t: DateTime<FixedOffset>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let t = Utc::now().with_timezone(&tz);
    let alert = json!({
        "id": "KAPOK-FAULT-1", "sender": "pzh-emergency@510400", "sent": fmt(t), "status": "Actual",
        "msg_type": "Alert", "severity": "Severe", "urgency": "Immediate", "certainty": "Observed", "event": "暴雨",
        "headline": "攀枝花市暴雨橙色预警", "description": "未来三小时全市将出现强降雨。",
        "areas": [{ "desc": "攀枝花市", "codes": [CENTRE] }],
        "effective": fmt(t), "expires": fmt(t + Span::hours(2)), "resources": [], "language": "zh-CN" });
    let sent = Instant::now();
    let (s, receipt) = admin.call(&api_base[1], reqwest::Method::POST, "/api/alerts", Some(alert));
    assert_eq!(s, 202, "{receipt}");
    std::thread::sleep(Duration::from_secs(10));
    let alert_window = (sent, Instant::now() + Duration::from_secs(30));
    for (i, grams) in outputs.iter().enumerate() {
        let onset = attention_onset(grams, sent, Duration::from_secs(10), work);
        let Some(onset) = onset else {
            panic!(
                "{}: no attention signal within 10 s of the alert sent to api2 while api1 was dead\n{}",
                channels[i].0,
                nodes[i].tail()
            )
        };
        figures.note(format!("api1 dead: alert POSTed to api2 on {}'s output within {onset:.1} s", channels[i].0));
    }
    apis[0].spawn();
    let back = wait_http(&api_base[0], Duration::from_secs(60), "api1 after its kill");
    figures.note(format!(
        "api1 kill -9: dead {:.1} s (restarted after the alert check), answering {back:.1} s after its restart",
        killed.elapsed().as_secs_f64() - back
    ));
    std::thread::sleep(Duration::from_secs(5));

    // Fault 2: the worker killed (while a job is queued or running, if one is), restarted.
    let busy = admin.programmes(&base).iter().filter(|p| p.2 == "processing" || p.2 == "queued").count();
    worker.kill9();
    std::thread::sleep(Duration::from_secs(2));
    worker.spawn();
    figures.note(format!("worker kill -9 with {busy} job(s) queued or processing; restarted after 2 s"));
    std::thread::sleep(Duration::from_secs(5));

    // Fault 3: playout node A killed and restarted as a supervisor would.
    let node_killed = Instant::now();
    nodes[0].kill9();
    std::thread::sleep(NODE_RESTART_DELAY);
    nodes[0].spawn();
    let restart_window = (node_killed, node_killed + RESTART_GAP + Duration::from_secs(1));
    std::thread::sleep(Duration::from_secs(8));

    // Fault 4: PostgreSQL stopped for 20 s.
    let pg_down = Instant::now();
    pg.stop().unwrap();
    std::thread::sleep(Duration::from_secs(20).saturating_sub(pg_down.elapsed()));
    pg.resume().unwrap();
    let pg_back = Instant::now();
    let answering = loop {
        if admin.get(&base, "/api/channels").0 == 200 {
            break pg_back.elapsed().as_secs_f64();
        }
        assert!(
            pg_back.elapsed() < Duration::from_secs(60),
            "the API did not recover within 60 s of PostgreSQL's return"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    figures.note(format!(
        "PostgreSQL down {:.1} s; the API answered /api/channels {answering:.1} s after it returned",
        (pg_back - pg_down).as_secs_f64()
    ));
    std::thread::sleep(Duration::from_secs(5));

    // Fault 5: S3 gone for 60 s.
    let ready_before = uploads.lock().unwrap().len();
    let s3_down = Instant::now();
    s3_gate.cut();
    std::thread::sleep(Duration::from_secs(60));
    s3_gate.restore().unwrap();
    let s3_back = Instant::now();
    let during = uploads.lock().unwrap().len() - ready_before;
    figures.note(format!("S3 down {:.1} s; {during} upload(s) completed meanwhile", (s3_back - s3_down).as_secs_f64()));

    // Settle: the uploads stop, every one must end ready.
    std::thread::sleep(Duration::from_secs(5));
    stop_uploads.store(true, Ordering::SeqCst);
    uploader.join().unwrap();
    let uploads = uploads.lock().unwrap().clone();
    let first_upload_after = uploads.iter().filter(|u| u.done).count();
    let deadline = Instant::now() + Duration::from_secs(120);
    let programmes = loop {
        let all = admin.programmes(&base);
        let settled = all
            .iter()
            .filter(|p| p.1.starts_with("故障上传-"))
            .all(|p| p.2 == "ready" || p.2 == "failed" || p.2 == "uploading");
        let missing = uploads.iter().any(|u| !all.iter().any(|p| p.1 == u.title && p.2 == "ready"));
        if settled && !missing {
            break all;
        }
        if Instant::now() > deadline {
            break all;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    figures.note(format!(
        "uploads: {} done of {}, {} retried request(s) in all, longest {:.1} s; all ready {:.1} s after S3 returned",
        first_upload_after,
        uploads.len(),
        uploads.iter().map(|u| u.retries).sum::<u32>(),
        uploads.iter().map(|u| u.seconds).fold(0.0, f64::max),
        s3_back.elapsed().as_secs_f64()
    ));
    let mut problems = Vec::new();
    for u in &uploads {
        let mine: Vec<_> = programmes.iter().filter(|p| p.1 == u.title).collect();
        let ready = mine.iter().filter(|p| p.2 == "ready").count();
        if !u.done || ready != 1 || mine.iter().any(|p| p.2 == "failed") {
            problems.push(format!("{}: done {}, programmes {mine:?}, creations {:?}", u.title, u.done, u.programmes));
        }
    }
    assert!(problems.is_empty(), "uploads not ready exactly once:\n{}\n{}", problems.join("\n"), worker.tail());
    let orphans = programmes.iter().filter(|p| p.1.starts_with("故障上传-") && p.2 == "uploading").count();
    figures.note(format!(
        "uploads: {} ready exactly once each; {orphans} orphaned creation(s) left uploading",
        uploads.len()
    ));

    // As-run: delivered (spools empty), no line lost or doubled, each line what was on air.
    let deadline = Instant::now() + Duration::from_secs(30);
    while spools.iter().any(|s| std::fs::read_to_string(s).is_ok_and(|t| !t.trim().is_empty())) {
        assert!(Instant::now() < deadline, "as-run still spooled 30 s after the faults");
        std::thread::sleep(Duration::from_millis(500));
    }
    let checked_until = Utc::now();
    let wall_of = |t: Instant| -> DateTime<Utc> {
        let back = Instant::now().saturating_duration_since(t);
        checked_until - Span::from_std(back).unwrap()
    };
    let node_killed_wall = wall_of(node_killed);
    for (i, (slug, id)) in channels.iter().enumerate() {
        let (s, report) = admin
            .get(&base, &format!("/api/channels/{id}/as-run?from={}&until={}", zulu(first_utc), zulu(checked_until)));
        assert_eq!(s, 200, "{report}");
        let rows = report["entries"].as_array().unwrap();
        let start = |r: &Value| r["actual_start"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
        let end = |r: &Value| start(r) + Span::milliseconds(r["duration_ms"].as_i64().unwrap());
        // An alert's override line nests in the line of the item it interrupted (whose
        // duration is the time the item itself aired), so coverage is the union of the lines,
        // and overlap is checked between items that were not interrupted.
        let mut holes = Vec::new();
        let mut covered_until: Option<DateTime<Utc>> = None;
        for r in rows {
            if let Some(until) = covered_until {
                let gap = (start(r) - until).num_milliseconds() as f64 / 1000.0;
                if gap > 0.5 {
                    holes.push((until, gap));
                }
            }
            // An interrupted item's line counts the item's own airtime: on the wall it also
            // spans the override lines that start inside it.
            let nested: i64 = if r["outcome"] == "interrupted" {
                rows.iter()
                    .filter(|o| o["item_id"].is_null() && start(o) >= start(r) && start(o) <= end(r))
                    .map(|o| o["duration_ms"].as_i64().unwrap_or(0))
                    .sum()
            } else {
                0
            };
            let spans_until = end(r) + Span::milliseconds(nested);
            covered_until = Some(covered_until.map_or(spans_until, |u| u.max(spans_until)));
        }
        let plain: Vec<&Value> =
            rows.iter().filter(|r| r["outcome"] != "interrupted" && !r["item_id"].is_null()).collect();
        for pair in plain.windows(2) {
            let overlap = (end(pair[0]) - start(pair[1])).num_milliseconds() as f64 / 1000.0;
            assert!(
                overlap < 0.5,
                "{slug}: as-run lines overlap by {overlap:.1} s (doubled?):\n{}\n{}",
                pair[0],
                pair[1]
            );
        }
        let mut seen = std::collections::HashSet::new();
        let mut slots = std::collections::HashSet::new();
        for r in rows {
            let key = (r["scheduled_start"].to_string(), r["actual_start"].to_string());
            assert!(seen.insert(key), "{slug}: as-run line doubled: {r}");
            // One line per scheduled item (its slot), whichever run of the node wrote it.
            if r["detail"]["item"].is_u64() {
                assert!(slots.insert(r["scheduled_start"].to_string()), "{slug}: two as-run lines for one item: {r}");
            }
        }
        // The kill of a node does not lose the as-run of the item it was airing: the node writes
        // a provisional line when an item goes on air, merged with the final line of the same
        // slot (the restarted node's, when it rejoins that item). No hole anywhere.
        let lost: Vec<_> = holes.iter().collect();
        let listing: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{} +{} ms {} {} {}",
                    r["actual_start"], r["duration_ms"], r["item_id"], r["outcome"], r["reason"]
                )
            })
            .collect();
        assert!(
            lost.is_empty(),
            "{slug}: as-run lines lost (holes at {lost:?}; node A killed at {node_killed_wall}):\n{}",
            listing.join("\n")
        );
        // Every record the node's engine made (its log line `as-run item=… outcome=…`, across
        // its restart) is in the catalog once, in order, and nothing else is.
        let (s, all) = admin.get(
            &base,
            &format!(
                "/api/channels/{id}/as-run?from={}&until={}",
                zulu(suite_wall),
                zulu(Utc::now() + Span::minutes(1))
            ),
        );
        assert_eq!(s, 200, "{all}");
        let stored: Vec<String> = all["entries"]
            .as_array()
            .unwrap()
            .iter()
            // An alert's override line is written by the node's desk, not logged by the engine;
            // a provisional line (an item on air now, or when node A was killed) is not logged.
            .filter(|r| !r["source"].as_str().unwrap_or_default().starts_with("alert:"))
            .filter(|r| r["detail"]["on_air"] != true)
            .map(|r| format!("{} {}", r["detail"]["item"], r["outcome"].as_str().unwrap_or_default()))
            .collect();
        let mut aired = node_records(&nodes[i].log);
        // A replan that rejoins the item on air makes the engine log it twice; the catalog
        // keeps one line per item (its slot), so repeats in a row count once on both sides.
        let mut stored = stored;
        stored.dedup();
        aired.dedup();
        assert_eq!(stored, aired, "{slug}: the catalog's as-run (left) is not what the node recorded (right)");
        figures.note(format!(
            "{slug}: {} as-run line(s) from the first item to the end, {} hole(s) (the kill of node A: {:?})",
            rows.len(),
            holes.len(),
            holes.iter().map(|(_, g)| format!("{g:.1} s")).collect::<Vec<_>>()
        ));
        // The alert aired once on each channel: node A, killed and restarted while the alert
        // is still live on the server, does not air it again (it notes the alerts it took in
        // under its data directory; before, its desk started empty and aired it in full).
        let airings = rows.iter().filter(|r| r["source"] == "alert:KAPOK-FAULT-1").count();
        assert_eq!(airings, 1, "{slug}: the alert aired {airings} times (once expected)");
        // What the output carried: each played programme line's tone, decoded from the UDP
        // datagrams that arrived in its middle second (not a provisional line: its item was
        // still on air when the lines were read, its planned middle may be past the recording).
        let mut compared = 0;
        for r in rows.iter().filter(|r| r["outcome"] == "played" && r["detail"]["on_air"] != true) {
            let (s, e) = (start(r), end(r));
            if (e - s).num_milliseconds() < 3000 {
                continue;
            }
            let mid = s + (e - s) / 2;
            let to_instant = |t: DateTime<Utc>| Instant::now() - (Utc::now() - t).to_std().unwrap_or_default();
            let at = to_instant(mid);
            if at < alert_window.1 && at + Duration::from_secs(1) > alert_window.0 {
                continue; // the alert is on air here, not the programme
            }
            if at < restart_window.1 && at + Duration::from_secs(1) > restart_window.0 {
                continue;
            }
            let audio = testkit::media::ts_audio(&between(&outputs[i], at, at + Duration::from_secs(1)), work, 48_000);
            // The programme's tone is in its title (`故障节目-440`).
            let title = r["title"].as_str().unwrap_or_default();
            let Some(want) = title.strip_prefix("故障节目-").and_then(|hz| hz.parse::<f32>().ok()) else {
                continue;
            };
            let share = testkit::tone::tone_share(&audio, 48_000.0, want);
            assert!(
                share > 0.3,
                "{slug}: as-run says {title} ({want} Hz) played at {mid} but the output had {share:.2} of it: {r}"
            );
            compared += 1;
        }
        assert!(compared >= 5, "{slug}: only {compared} as-run line(s) compared with the output");
        figures.note(format!("{slug}: {compared} played line(s) matched the tone on the output"));
    }

    // The outputs never stopped: datagram gaps.
    for (i, grams) in outputs.iter().enumerate() {
        let grams = grams.lock().unwrap();
        let times: Vec<Instant> = grams.iter().map(|(t, _)| *t).filter(|t| *t >= on_air).collect();
        let mut worst = Duration::ZERO;
        let mut worst_restart = Duration::ZERO;
        for w in times.windows(2) {
            let gap = w[1] - w[0];
            let across_restart = i == 0 && w[0] <= restart_window.1 && w[1] >= restart_window.0;
            if across_restart {
                worst_restart = worst_restart.max(gap);
            } else {
                worst = worst.max(gap);
            }
        }
        figures.note(format!(
            "{}: longest output gap {:.2} s{}",
            channels[i].0,
            worst.as_secs_f64(),
            if i == 0 {
                format!(", across the node's kill and restart {:.2} s", worst_restart.as_secs_f64())
            } else {
                String::new()
            }
        ));
        assert!(worst <= MAX_GAP, "{}: the output stopped for {worst:?}", channels[i].0);
        assert!(worst_restart <= RESTART_GAP, "{}: off air {worst_restart:?} across the node's restart", channels[i].0);
    }

    // No process the suite did not kill exited on its own.
    for p in apis.iter_mut().chain(nodes.iter_mut()).chain(std::iter::once(&mut worker)) {
        let tail = p.tail();
        assert!(p.alive(), "{} exited during the faults\n{tail}", p.name);
    }
    figures.note(format!("wall time {:.1} s", suite.elapsed().as_secs_f64()));
}
