//! Helpers shared by the end-to-end tests: the real `kapok` binary, generated media, ffprobe.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Media generation and independent measurement (FFmpeg's `ebur128`), shared by every crate's tests.
pub use testkit::media;

/// A running `kapok serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `kapok worker` on `env`; SIGKILLed when dropped, if still running.
pub struct WorkerProcess(pub Child);

impl WorkerProcess {
    pub fn start(env: &[(&str, String)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kapok"));
        cmd.arg("worker").env("RUST_LOG", "warn").stdout(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Self(cmd.spawn().unwrap())
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `kapok serve` on port 0 with `env` and reads the bound address from its log.
pub fn serve(env: &[(&str, String)]) -> Server {
    serve_with_args(&[], env)
}

/// Starts `kapok serve ARGS…` (e.g. `--role api`) like [`serve`].
pub fn serve_with_args(args: &[&str], env: &[(&str, String)]) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kapok"));
    cmd.arg("serve")
        .args(args)
        .env("KAPOK_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("server log line");
        if let Some(pos) = line.find("addr=") {
            let addr = line[pos + 5..].split_whitespace().next().unwrap().to_string();
            // Keep draining the log so the server never blocks on a full pipe.
            std::thread::spawn(move || while rx.recv().is_ok() {});
            return Server { child, base: format!("http://{addr}") };
        }
    }
}

/// Runs `kapok ARGS` with `env` to completion.
pub fn kapok(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kapok"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs `kapok ARGS` on the data directory `data` with `stdin` fed in; its stdout (the run
/// must succeed).
pub fn cli(data: &Path, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kapok"))
        .args(args)
        .env("KAPOK_DATA", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "kapok {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A new API token of `user` (`kapok token create`).
pub fn token(data: &Path, user: &str) -> String {
    let out: serde_json::Value =
        serde_json::from_str(&cli(data, &["token", "create", "--user", user, "--name", "e2e"], "")).unwrap();
    out["token"].as_str().unwrap().to_string()
}

/// A short H.264/AAC clip of FFmpeg's test pattern and a tone at 44.1 kHz; `size` as `640x360`.
pub fn make_clip(path: &Path, seconds: u32, size: &str, tone_hz: u32) {
    let (w, h) = size.split_once('x').and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?))).expect("WxH");
    media::Clip::pattern(f64::from(seconds)).size(w, h).tone(tone_hz).sample_rate(44_100).shortest().write(path);
}

/// `ffprobe -show_streams -show_format` as JSON.
pub fn ffprobe(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_streams", "-show_format"])
        .arg(path)
        .output()
        .expect("ffprobe");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Waits until both demo channels' HLS previews answer (a fresh `kapok serve` puts them on
/// air), failing after `limit`.
pub fn wait_for_demo_channels(base: &str, limit: Duration) {
    let client = reqwest::blocking::Client::new();
    let started = Instant::now();
    while !["pzh-demo-tv", "pzh-demo-radio"]
        .iter()
        .all(|s| client.get(format!("{base}/hls/{s}/index.m3u8")).send().is_ok_and(|r| r.status() == 200))
    {
        assert!(started.elapsed() < limit, "demo channels not on air within {limit:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Imports `csv` as the channel's broadcast day `date` (YYYY-MM-DD) and publishes it, as an
/// A JSON caller of the API at `base` as the holder of `token`: `(status, body)`, the body
/// `Null` when it is not JSON.
pub fn api_as(
    base: &str,
    token: &str,
) -> impl Fn(reqwest::Method, &str, Option<serde_json::Value>) -> (u16, serde_json::Value) {
    let (http, base, token) = (reqwest::blocking::Client::new(), base.to_owned(), token.to_owned());
    move |method, path, body| {
        let mut rb = http.request(method, format!("{base}{path}")).bearer_auth(&token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().unwrap();
        let status = r.status().as_u16();
        (status, r.json::<serde_json::Value>().unwrap_or(serde_json::Value::Null))
    }
}

/// The first run's radio programmes (sound only): what a radio channel may air. The TV demo
/// clips are TV-only (their house kind is recorded), and a radio day with them is refused.
pub const DEMO_RADIO_TITLES: [&str; 3] = ["农业科技广播", "攀枝花新闻联播", "音乐时间"];

/// Whether `programme` (an API programme) is one of the first run's radio programmes.
pub fn is_demo_radio(programme: &serde_json::Value) -> bool {
    programme["title"].as_str().is_some_and(|t| DEMO_RADIO_TITLES.iter().any(|r| t.starts_with(r)))
}

/// Polls the city's ready programmes (the first run's demo ones) through `call` until `pick`
/// keeps at least `min` of them; panics after two minutes.
pub fn ready_programmes<T>(
    call: &impl Fn(reqwest::Method, &str, Option<serde_json::Value>) -> (u16, serde_json::Value),
    min: usize,
    pick: impl Fn(&serde_json::Value) -> Option<T>,
) -> Vec<T> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, page) = call(reqwest::Method::GET, "/api/programmes?centre=510400&status=ready", None);
        let items: Vec<T> = page["items"].as_array().map(|a| a.iter().filter_map(&pick).collect()).unwrap_or_default();
        if items.len() >= min {
            return items;
        }
        assert!(Instant::now() < deadline, "demo programmes not ready: {page}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// editor does through the API; panics with the server's answer when either step fails.
pub fn publish_day(base: &str, token: &str, channel_id: &str, date: &str, csv: &str) {
    let http = reqwest::blocking::Client::new();
    let r = http
        .post(format!("{base}/api/channels/{channel_id}/days/{date}/import"))
        .bearer_auth(token)
        .body(csv.to_owned())
        .send()
        .unwrap();
    let (s, imported) = (r.status().as_u16(), r.json::<serde_json::Value>().unwrap());
    assert_eq!(s, 201, "{imported}\n{csv}");
    let r = http
        .post(format!("{base}/api/channels/{channel_id}/days/{date}/publish"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "version": imported["version"] }))
        .send()
        .unwrap();
    let (s, published) = (r.status().as_u16(), r.json::<serde_json::Value>().unwrap_or_default());
    assert_eq!(s, 201, "{published}");
}
