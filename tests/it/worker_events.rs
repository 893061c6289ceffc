//! A separate `kapok worker` settles a programme; the `kapok serve` on the same data
//! directory (API role: no worker of its own) tells /api/events subscribers, through the
//! catalog's outbox, once, and only those who may read the programme.
#![allow(clippy::zombie_processes)]

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{cli, kapok, make_clip, token};

/// Everything the event stream sends to the holder of `token`, as it arrives.
fn listen(base: &str, token: String) -> Arc<Mutex<String>> {
    let seen = Arc::new(Mutex::new(String::new()));
    let (out, url) = (seen.clone(), format!("{base}/api/events"));
    std::thread::spawn(move || {
        use std::io::Read;
        let client = reqwest::blocking::Client::builder().timeout(None).build().unwrap();
        let Ok(mut r) = client.get(url).bearer_auth(token).send() else { return };
        let mut buf = [0u8; 4096];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    seen
}

fn ready_events(seen: &Mutex<String>, id: &str) -> usize {
    let text = seen.lock().unwrap().clone();
    text.split("\n\n").filter(|e| e.contains("event: programme.ready") && e.contains(id)).count()
}

#[test]
fn a_programme_settled_by_a_separate_worker_reaches_the_servers_event_stream_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("KAPOK_DATA", data.display().to_string()), ("KAPOK_ADMIN_PASSWORD", "出库-事件-测试-2026".to_string())];
    let server = common::serve_with_args(&["--role", "api"], &env);
    cli(&data, &["user", "add", "yanbian-viewer", "--role", "viewer", "--centre", "510422"], "a-long-password-1\n");
    let admin = listen(&server.base, token(&data, "admin"));
    let other_centre = listen(&server.base, token(&data, "yanbian-viewer"));

    let _worker = common::WorkerProcess::start(&env);

    let clip = dir.path().join("news.mp4");
    make_clip(&clip, 1, "320x240", 660);
    let out = kapok(&["ingest", clip.to_str().unwrap(), "--centre", "510421", "--title", "米易新闻"], &env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["status"], "queued", "{p}");
    let id = p["id"].as_str().unwrap().to_string();

    let deadline = Instant::now() + Duration::from_secs(240);
    while ready_events(&admin, &id) == 0 {
        assert!(Instant::now() < deadline, "no programme.ready for {id}: {:.600}", admin.lock().unwrap());
        std::thread::sleep(Duration::from_millis(200));
    }
    // A few more polls of the outbox: the event is not delivered again.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(ready_events(&admin, &id), 1, "delivered once");
    let theirs = other_centre.lock().unwrap().clone();
    assert!(!theirs.contains(&id), "another centre's viewer saw a private programme: {theirs:.300}");
}
