//! `kapok playout --channel` as a supervisor sees it: a node whose every output stays down past
//! `--off-air-exit-after` exits with code 3 (so systemd or the like restarts it, outputs rebuilt),
//! and says why on stderr.

use crate::common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "node exit test 123";

#[test]
fn a_node_whose_only_output_stays_down_exits_3_after_its_grace() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("KAPOK_DATA", data.display().to_string()), ("KAPOK_ADMIN_PASSWORD", PASSWORD.to_string())];
    let server = common::serve(&env);
    let made =
        common::cli(&data, &["token", "create", "--user", "admin", "--name", "node", "--role", "playout_node"], "");
    let token: serde_json::Value = serde_json::from_str(&made).unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    // The first run makes the demo channels in the background, after the server listens.
    let http = reqwest::blocking::Client::new();
    let listed = Instant::now();
    loop {
        let channels: serde_json::Value =
            http.get(format!("{}/api/channels", server.base)).bearer_auth(&token).send().unwrap().json().unwrap();
        if channels.as_array().is_some_and(|l| l.iter().any(|c| c["slug"] == "pzh-demo-radio")) {
            break;
        }
        assert!(listed.elapsed() < Duration::from_secs(90), "no demo radio channel: {channels}");
        std::thread::sleep(Duration::from_millis(500));
    }
    // An RTMP receiver that is not there: the only output is down from the start.
    let port = testkit::net::free_port();
    let started = Instant::now();
    let mut node = Command::new(env!("CARGO_BIN_EXE_kapok"))
        .args(["playout", "--channel", "pzh-demo-radio", "--api", &server.base, "--token", &token])
        .args(["--output", &format!("rtmp://127.0.0.1:{port}/live/radio"), "--off-air-exit-after", "3"])
        .env("KAPOK_DATA", dir.path().join("node"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drained on the side, so a chatty log never blocks the node on a full pipe.
    let mut pipe = node.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
        text
    });
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = node.kill();
            panic!("the node was still running after 60 s with its only output down");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let stderr = log.join().unwrap();
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(started.elapsed() >= Duration::from_secs(3), "gave up before its grace: {:?}", started.elapsed());
    assert!(stderr.contains("off air"), "{stderr}");
}
