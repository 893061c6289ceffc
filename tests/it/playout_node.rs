//! A remote playout node as a head-end runs it: a real `kapok serve`, a channel created and a
//! day published for it through the API, and a real `kapok playout --channel` process with a
//! `playout_node` token sending MPEG-TS over UDP on loopback. Its output is checked by
//! ffprobe, its as-run arrives in the server's catalog, it stays on air while the API is
//! killed (spooling its as-run) and delivers the spool when the API returns, and an alert
//! POSTed to the server is pushed to it over the alert stream: the attention signal is in the
//! UDP output that arrived within 1.5 s of the POST, and gone from what arrived from 1.5 s after
//! the Cancel.
#![allow(clippy::zombie_processes)]

use crate::common;

use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, FixedOffset, Timelike, Utc};
use common::{cli, token};
use serde_json::json;

const PASSWORD: &str = "节点-测试-2026-kapok";

/// A UDP datagram of the node's output and when it arrived.
type Datagram = (Instant, Vec<u8>);

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

use testkit::tone::tone_share;

/// True when the TS bytes carry both attention tones (853 Hz + 960 Hz) in some 50 ms.
fn attention_in(ts: &[u8], dir: &Path) -> bool {
    let file = dir.join("window.ts");
    std::fs::write(&file, ts).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-v", "quiet", "-f", "mpegts", "-i"])
        .arg(&file)
        .args(["-vn", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"])
        .output()
        .expect("ffmpeg");
    let samples: Vec<f32> = out.stdout.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    (0..samples.len().saturating_sub(2400)).step_by(480).any(|at| {
        let w = &samples[at..at + 2400];
        tone_share(w, 48000.0, 853.0) > 0.2 && tone_share(w, 48000.0, 960.0) > 0.2
    })
}

fn joined(grams: &[Datagram]) -> Vec<u8> {
    grams.iter().flat_map(|(_, b)| b.clone()).collect()
}

/// Seconds from `t0` to the arrival of the datagram that completed the first 50 ms of
/// attention signal in `grams` (arrived after `t0`, the signal in them): a binary search over
/// prefixes, each decoded by ffmpeg.
fn onset_after(t0: Instant, grams: &[Datagram], dir: &Path) -> f64 {
    let (mut lo, mut hi) = (0, grams.len());
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if attention_in(&joined(&grams[..mid]), dir) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    (grams[hi - 1].0 - t0).as_secs_f64()
}

/// Seconds from `t0` to the arrival of the first datagram after which no 50 ms of attention
/// signal arrived (the signal in `grams`, which ends without it): a binary search over suffixes.
fn end_after(t0: Instant, grams: &[Datagram], dir: &Path) -> f64 {
    let (mut lo, mut hi) = (0, grams.len());
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if attention_in(&joined(&grams[mid..]), dir) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (grams[hi.min(grams.len() - 1)].0 - t0).as_secs_f64()
}

fn as_run_rows(data: &Path, slug: &str) -> Vec<catalog::asrun::AsRunEntry> {
    let db = format!("sqlite://{}", data.join("kapok.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = catalog::Store::connect(&db).await.unwrap();
        let now = Utc::now();
        store.list_as_run(slug, now - Span::hours(2), now + Span::hours(2), 1000).await.unwrap()
    })
}

/// A broadcast day (06:00 +08:00) for `csv_date`: a dead live relay (`dead`, slate) from 06:00 to
/// `first`, the programmes back to back from `first`, then the relay to the day's end.
fn day_csv(start_of_day: DateTime<FixedOffset>, first: DateTime<FixedOffset>, programmes: &[(String, f64)]) -> String {
    let hms = |t: DateTime<FixedOffset>| t.format("%H:%M:%S").to_string();
    let dur = |s: i64| format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    let mut csv = String::from("start,programme,duration\n");
    csv.push_str(&format!("06:00:00,live:dead,{}\n", dur((first - start_of_day).num_seconds())));
    let mut at = first;
    for _ in 0..4 {
        for (id, secs) in programmes {
            csv.push_str(&format!("{},{id},\n", hms(at)));
            at += Span::milliseconds((secs * 1000.0) as i64);
        }
    }
    let end = start_of_day + Span::days(1);
    csv.push_str(&format!("{},live:dead,{}\n", hms(at), dur((end - at).num_seconds())));
    csv
}

#[test]
fn a_remote_node_airs_the_published_day_rides_through_an_api_outage_and_takes_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("KAPOK_DATA", data.display().to_string()), ("KAPOK_ADMIN_PASSWORD", PASSWORD.to_string())];
    let mut server = common::serve(&env);
    let base = server.base.clone();
    let addr = base.trim_start_matches("http://").to_string();
    let admin = token(&data, "admin");
    cli(
        &data,
        &["user", "add", "node-510400", "--role", "playout_node", "--centre", "510400"],
        &format!("{PASSWORD}\n"),
    );
    let node_token = token(&data, "node-510400");
    let http = reqwest::blocking::Client::new();
    let call = common::api_as(&base, &admin);

    // The demo programmes (seeded at first run) scheduled on a new radio channel.
    let programmes: Vec<(String, f64)> = common::ready_programmes(&call, 2, |p| {
        if !common::is_demo_radio(p) {
            return None;
        }
        Some((p["id"].as_str()?.to_string(), p["duration_ms"].as_f64()? / 1000.0))
    });
    let (s, channel) = call(
        reqwest::Method::POST,
        "/api/channels",
        Some(json!({ "centre": "510400", "slug": "node-radio", "name": "节点广播", "kind": "radio",
            "format": { "sample_rate": 48000, "channels": 2 } })),
    );
    assert_eq!(s, 201, "{channel}");
    let id = channel["id"].as_str().unwrap().to_string();
    let tz = FixedOffset::east_opt(8 * 3600).unwrap();
    // The day built below needs several minutes of today's broadcast day after now; in the
    // last minutes before 06:00 (Beijing) wait for the next day instead of building a day
    // with negative durations.
    let until_six = {
        let n = Utc::now().with_timezone(&tz);
        let six = n.with_hour(6).unwrap().with_minute(0).unwrap().with_second(0).unwrap().with_nanosecond(0).unwrap();
        let six = if six <= n { six + Span::days(1) } else { six };
        (six - n).to_std().unwrap_or_default()
    };
    if until_six < Duration::from_secs(600) {
        eprintln!("waiting {until_six:?} for the next broadcast day");
        std::thread::sleep(until_six + Duration::from_secs(2));
    }
    let now = Utc::now().with_timezone(&tz);
    let mut day_start =
        now.with_hour(6).unwrap().with_minute(0).unwrap().with_second(0).unwrap().with_nanosecond(0).unwrap();
    if day_start > now {
        day_start -= Span::days(1);
    }
    let first = (now + Span::seconds(25)).with_nanosecond(0).unwrap();
    // The centre's relay list names the dead relay the day airs around the programmes.
    let (s, relay) =
        call(reqwest::Method::PUT, "/api/centres/510400/relays/dead", Some(json!({ "uri": "udp://127.0.0.1:9" })));
    assert_eq!(s, 200, "{relay}");
    let csv = day_csv(day_start, first, &programmes);
    let date = day_start.format("%Y-%m-%d").to_string();
    common::publish_day(&base, &admin, &id, &date, &csv);

    // The node, as the operator starts it, sending TS over UDP to this test.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = udp.local_addr().unwrap().port();
    udp.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let received: Arc<Mutex<Vec<Datagram>>> = Arc::default();
    let sink = received.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        loop {
            if let Ok(n) = udp.recv(&mut buf) {
                sink.lock().unwrap().push((Instant::now(), buf[..n].to_vec()));
            }
        }
    });
    let node_data = dir.path().join("node");
    let metrics_port = testkit::net::free_port();
    let node = Command::new(env!("CARGO_BIN_EXE_kapok"))
        .args(["playout", "--channel", "node-radio", "--api", &base, "--output"])
        .arg(format!("udp://127.0.0.1:{port}"))
        .arg("--metrics-listen")
        .arg(format!("127.0.0.1:{metrics_port}"))
        .env("KAPOK_TOKEN", &node_token)
        .env("KAPOK_DATA", &node_data)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(dir.path().join("node.log")).unwrap()))
        .spawn()
        .unwrap();
    let _node = Killed(node);
    let bytes_since = |t: Instant| -> Vec<u8> {
        received.lock().unwrap().iter().filter(|(at, _)| *at >= t).flat_map(|(_, b)| b.clone()).collect()
    };
    let grams_between = |from: Instant, until: Instant| -> Vec<Datagram> {
        received.lock().unwrap().iter().filter(|(at, _)| *at >= from && *at <= until).cloned().collect()
    };
    let stream_ups = |log: &str| log.matches("alerts pushed by the server").count();
    let log = || std::fs::read_to_string(dir.path().join("node.log")).unwrap_or_default();

    // On air: the UDP output decodes as 48 kHz AAC (ffprobe, independent of the engine).
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(6));
    let capture = dir.path().join("udp.ts");
    std::fs::write(&capture, bytes_since(started)).unwrap();
    let probe = common::ffprobe(&capture);
    let streams = probe["streams"].as_array().unwrap_or_else(|| panic!("no streams: {probe}\n{}", log()));
    assert!(streams.iter().any(|s| s["codec_name"] == "aac" && s["sample_rate"] == "48000"), "{probe}");
    // Its SDT names the channel and its centre (docs/service-information.md).
    let programs = testkit::media::ffprobe_programs(&capture);
    let tags = &programs["programs"][0]["tags"];
    assert_eq!(
        (tags["service_name"].as_str(), tags["service_provider"].as_str()),
        (Some("节点广播"), Some("攀枝花市融媒体中心")),
        "{programs}"
    );

    // Prometheus scrapes the node on its own metrics listener.
    let metrics = reqwest::blocking::get(format!("http://127.0.0.1:{metrics_port}/metrics")).unwrap().text().unwrap();
    let samples = metrics
        .lines()
        .find_map(|l| l.strip_prefix("kapok_playout_samples_total{channel=\"node-radio\"} "))
        .and_then(|v| v.parse::<f64>().ok());
    assert!(samples.is_some_and(|s| s > 48_000.0), "{samples:?} in\n{metrics}");

    // As-run of the published items reaches the catalog, with media fetched through the API.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !as_run_rows(&data, "node-radio").iter().any(|r| r.outcome == "played") {
        assert!(Instant::now() < deadline, "no played item in the catalog's as-run\n{}", log());
        std::thread::sleep(Duration::from_secs(1));
    }
    let rows = as_run_rows(&data, "node-radio");
    let played = rows.iter().find(|r| r.outcome == "played").unwrap();
    assert!(played.title.as_deref().unwrap_or("").contains("演示"), "{played:?}");
    assert!(rows.iter().any(|r| r.outcome == "fallback"), "the dead relay before the programmes: {rows:?}");

    // API gone: the node stays on air and spools its as-run.
    let before_outage = rows.len();
    let _ = server.child.kill();
    let _ = server.child.wait();
    let outage = Instant::now();
    let spool = node_data.join("playout/asrun/node-radio.jsonl");
    let spooled = |p: &Path| std::fs::read_to_string(p).map(|t| t.lines().count()).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(90);
    while spooled(&spool) == 0 {
        assert!(Instant::now() < deadline, "nothing spooled during the outage\n{}", log());
        std::thread::sleep(Duration::from_millis(500));
    }
    let during = bytes_since(outage);
    let secs = outage.elapsed().as_secs_f64();
    assert!(during.len() as f64 > secs * 10_000.0, "only {} bytes in {secs:.1} s of outage", during.len());
    std::fs::write(&capture, &during).unwrap();
    let probe = common::ffprobe(&capture);
    assert!(probe["streams"].as_array().is_some_and(|s| !s.is_empty()), "output during the outage: {probe}");
    eprintln!("on air through {secs:.1} s of API outage, {} as-run record(s) spooled", spooled(&spool));

    // API back (same address): the spool drains into the catalog.
    server = common::serve(&[env[0].clone(), env[1].clone(), ("KAPOK_LISTEN", addr)]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while spooled(&spool) > 0 || as_run_rows(&data, "node-radio").len() <= before_outage {
        assert!(Instant::now() < deadline, "spool not delivered after the API returned\n{}", log());
        std::thread::sleep(Duration::from_millis(500));
    }

    // The node holds the alert stream from the start, and takes it up again after the outage.
    let deadline = Instant::now() + Duration::from_secs(30);
    while stream_ups(&log()) < 2 {
        assert!(Instant::now() < deadline, "the node did not reconnect its alert stream\n{}", log());
        std::thread::sleep(Duration::from_millis(200));
    }

    // An alert POSTed to the server interrupts the node's output within 1.5 s.
    let fmt = |t: DateTime<FixedOffset>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let now = Utc::now().with_timezone(&tz);
    let alert = json!({
        "id": "KAPOK-NODE-1", "sender": "pzh-emergency@510400", "sent": fmt(now), "status": "Actual",
        "msg_type": "Alert", "severity": "Severe", "urgency": "Immediate", "certainty": "Observed", "event": "暴雨",
        "headline": "攀枝花市暴雨橙色预警", "description": "未来三小时全市将出现强降雨。",
        "areas": [{ "desc": "攀枝花市", "codes": ["510400"] }],
        "effective": fmt(now), "expires": fmt(now + Span::hours(2)), "resources": [], "language": "zh-CN" });
    let limit = Duration::from_millis(1500);
    let sent = Instant::now();
    let r = http.post(format!("{}/api/alerts", server.base)).bearer_auth(&admin).json(&alert).send().unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().unwrap_or_default());
    std::thread::sleep(limit.saturating_sub(sent.elapsed()));
    let by_limit = grams_between(sent, sent + limit);
    if !attention_in(&joined(&by_limit), dir.path()) {
        std::thread::sleep(Duration::from_secs(10));
        let late = grams_between(sent, Instant::now());
        let when = if attention_in(&joined(&late), dir.path()) {
            format!("{:.2} s", onset_after(sent, &late, dir.path()))
        } else {
            "not within 11.5 s".into()
        };
        panic!("attention signal in the node's UDP output {when} after the POST, not within 1.5 s\n{}", log());
    }

    // A Cancel at the server takes it off the node's air within 1.5 s, while the 8 s attention
    // signal would otherwise still sound.
    let mut cancel = alert.clone();
    cancel["id"] = json!("KAPOK-NODE-1-CANCEL");
    cancel["msg_type"] = json!("Cancel");
    cancel["sent"] = json!(fmt(Utc::now().with_timezone(&tz)));
    cancel["references"] = json!([{ "sender": alert["sender"], "identifier": alert["id"], "sent": alert["sent"] }]);
    let cancelled = Instant::now();
    let r = http.post(format!("{}/api/alerts", server.base)).bearer_auth(&admin).json(&cancel).send().unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().unwrap_or_default());
    std::thread::sleep((limit + Duration::from_secs(1)).saturating_sub(cancelled.elapsed()));
    assert!(
        attention_in(&joined(&grams_between(cancelled - Duration::from_millis(500), cancelled)), dir.path()),
        "the attention signal was not sounding when the Cancel was sent: the test proves nothing\n{}",
        log()
    );
    let after = grams_between(cancelled + limit, cancelled + limit + Duration::from_secs(1));
    assert!(joined(&after).len() > 8_000, "the node's output stalled after the Cancel\n{}", log());
    assert!(
        !attention_in(&joined(&after), dir.path()),
        "the attention signal still in the node's UDP output 1.5 s after the Cancel\n{}",
        log()
    );
    let onset = onset_after(sent, &grams_between(sent, cancelled), dir.path());
    let end = end_after(cancelled, &grams_between(cancelled, cancelled + limit), dir.path());
    eprintln!("node: attention signal on its UDP output {onset:.2} s after the POST, gone {end:.2} s after the Cancel");
    // Pushed, not polled: the stream dropped only for the outage.
    let downs = log().matches("alert stream down").count();
    assert!(stream_ups(&log()) == 2 && downs == 1, "{downs} stream drops:\n{}", log());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(log().contains("ended upstream") && log().contains("alert taken off air")) {
        assert!(Instant::now() < deadline, "the node did not take the cancelled alert off air\n{}", log());
        std::thread::sleep(Duration::from_millis(200));
    }
}
