//! `kapok serve` as an operator runs it: the real binary, a fresh data directory, port 0.
#![allow(clippy::zombie_processes)]

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common;

struct Server {
    _server: common::Server,
    child_id: u32,
    base: String,
    _data: tempfile::TempDir,
}

impl Server {
    fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self._server.child.try_wait().unwrap()
    }
}

fn start(extra_env: &[(&str, &str)]) -> Server {
    let data = tempfile::tempdir().unwrap();
    let mut env = vec![("KAPOK_DATA", data.path().display().to_string())];
    env.extend(extra_env.iter().map(|(k, v)| (*k, v.to_string())));
    let server = common::serve(&env);
    Server { child_id: server.child.id(), base: server.base.clone(), _server: server, _data: data }
}

#[tokio::test]
async fn a_fresh_server_is_healthy_and_describes_its_api() {
    let server = start(&[]);
    let health = reqwest::get(format!("{}/healthz", server.base)).await.unwrap();
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["ok"], true);
    assert_eq!(body["storage"]["ok"], true);

    let doc: serde_json::Value =
        reqwest::get(format!("{}/api/openapi.json", server.base)).await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/healthz", "/api/centres"] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }

    let centres: serde_json::Value =
        reqwest::get(format!("{}/api/centres", server.base)).await.unwrap().json().await.unwrap();
    assert_eq!(centres.as_array().unwrap().len(), 6);
    assert_eq!(centres[4]["name"], "米易县融媒体中心");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_errors() {
    let server = start(&[]);
    let r = reqwest::get(format!("{}/api/nope", server.base)).await.unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let r = reqwest::Client::new().delete(format!("{}/healthz", server.base)).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = start(&[]);
    let status = Command::new("kill").arg("-TERM").arg(server.child_id.to_string()).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(code) = server.try_wait() {
            assert!(code.success(), "exit status {code:?}");
            break;
        }
        assert!(Instant::now() < deadline, "server did not stop within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `kapok serve` expecting it to refuse to start; returns its stderr.
fn refused(env: &[(&str, &str)]) -> String {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kapok"));
    cmd.arg("serve").env("KAPOK_DATA", data.path()).env("KAPOK_LISTEN", "127.0.0.1:0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn bad_settings_and_unreachable_services_stop_start_up_with_one_line_naming_the_setting() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("KAPOK_LISTEN", "not-an-address")], "KAPOK_LISTEN"),
        (&[("KAPOK_DATABASE_URL", "mysql://localhost/kapok")], "KAPOK_DATABASE_URL"),
        (&[("KAPOK_DATABASE_URL", "postgres://kapok:secret@127.0.0.1:1/kapok")], "KAPOK_DATABASE_URL"),
        (&[("KAPOK_STORAGE_URL", "ftp://example/media")], "KAPOK_STORAGE_URL"),
        (
            &[
                ("KAPOK_STORAGE_URL", "s3://bucket/media"),
                ("KAPOK_S3_ENDPOINT", "http://127.0.0.1:1"),
                ("KAPOK_S3_ALLOW_HTTP", "true"),
                ("KAPOK_S3_ACCESS_KEY_ID", "k"),
                ("KAPOK_S3_SECRET_ACCESS_KEY", "s"),
                ("KAPOK_S3_REGION", "us-east-1"),
            ],
            "KAPOK_STORAGE_URL",
        ),
        (&[("KAPOK_LOG_FORMAT", "xml")], "KAPOK_LOG_FORMAT"),
        (&[("KAPOK_LOUDNESS_TARGET", "24")], "KAPOK_LOUDNESS_TARGET"),
        (&[("KAPOK_LOUDNESS_TARGETS", "510421=-40")], "KAPOK_LOUDNESS_TARGETS"),
        (&[("KAPOK_LOUDNESS_TARGETS", "510412=-23")], "KAPOK_LOUDNESS_TARGETS"),
    ];
    for (env, setting) in cases {
        let stderr = refused(env);
        let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("kapok: ")).collect();
        assert_eq!(lines.len(), 1, "{env:?}: {stderr}");
        assert!(lines[0].starts_with(&format!("kapok: {setting}")), "{env:?}: {stderr}");
        assert!(!stderr.contains("secret"), "password leaked: {stderr}");
    }
}

/// Connects to `base` (`http://ADDR`) with a read timeout.
fn connect(base: &str) -> std::net::TcpStream {
    let s = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// Reads until the server closes the connection (or answers); how long it took.
fn until_closed(mut s: std::net::TcpStream) -> Duration {
    use std::io::Read;
    let t = Instant::now();
    let mut buf = [0u8; 4096];
    while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
    t.elapsed()
}

#[test]
fn partial_headers_and_stalled_bodies_are_cut_and_connections_are_capped() {
    use std::io::{Read, Write};
    // The probe: sockets sending partial headers stayed open for 75 s and more, without limit.
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("KAPOK_DATA", dir.path().display().to_string()),
        ("KAPOK_HTTP_HEADER_TIMEOUT_S", "2".to_string()),
        ("KAPOK_HTTP_IDLE_TIMEOUT_S", "5".to_string()),
        ("KAPOK_HTTP_MAX_CONNECTIONS", "16".to_string()),
    ];
    let server = common::serve_with_args(&["--role", "api"], &env);

    // Half a request head: closed at the header timeout.
    let mut slow = connect(&server.base);
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: kapok\r\n").unwrap();
    let held = until_closed(slow);
    eprintln!("partial headers held {held:?}");
    assert!(held < Duration::from_secs(5), "partial headers held the connection {held:?}");

    // A body that stops coming: closed at the idle timeout.
    let mut stalled = connect(&server.base);
    stalled
        .write_all(b"POST /api/auth/login HTTP/1.1\r\nHost: kapok\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user")
        .unwrap();
    let held = until_closed(stalled);
    eprintln!("stalled body held {held:?}");
    assert!(held < Duration::from_secs(9), "a stalled body held the connection {held:?}");

    // Sixteen sockets that send nothing fill the cap: the next request is answered only once
    // the header timeout has freed their places (~2 s), not at once.
    let idle: Vec<_> = (0..16).map(|_| connect(&server.base)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let mut s = connect(&server.base);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: kapok\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let waited = t.elapsed();
    eprintln!("17th connection answered after {waited:?}");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(waited >= Duration::from_millis(1200), "the 17th connection was served at once ({waited:?})");
    drop(idle);
}
