//! A remote node's schedule source and as-run sink against a small real HTTP server (std
//! sockets): the request contract, outages, the as-run spool, and a channel running on both.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::channel_common::rfc3339;
use chrono::Utc;
use playout::channel::{
    AsRunSink, ChannelConfig, ChannelRunner, HttpAsRunSink, HttpSource, PlaylistSource, SourceError,
};
use playout::timeline::{plan, AudioFormat, ChannelFormat, MediaTime, PlanItem};
use playout::{AsRunRecord, OutputTarget};

#[derive(Clone, Debug)]
struct Request {
    method: String,
    target: String,
    auth: Option<String>,
    body: String,
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    playlists: (u16, String),
    as_run: u16,
}

/// A one-thread HTTP/1.1 server: `Connection: close`, answers from `State`.
fn server(state: Arc<Mutex<State>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut parts = line.split_whitespace();
            let (method, target) = (parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned());
            let (mut length, mut auth) = (0usize, None);
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap(),
                    "authorization" => auth = Some(value.trim().to_owned()),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut s = state.lock().unwrap();
            s.requests.push(Request {
                method: method.clone(),
                target: target.clone(),
                auth,
                body: String::from_utf8(body).unwrap(),
            });
            let (code, text) =
                if target.contains("/playlists") { s.playlists.clone() } else { (s.as_run, String::new()) };
            drop(s);
            let _ = write!(
                stream,
                "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    format!("http://{addr}/")
}

fn radio_playlist(source: &str, start: chrono::DateTime<Utc>) -> serde_json::Value {
    serde_json::json!({
        "format": { "kind": "radio", "sample_rate": 48000, "channels": 2 },
        "start": rfc3339(start),
        "items": [{ "source": source, "duration": 30.0, "title": "tone" }],
    })
}

#[test]
fn the_source_asks_for_the_window_and_reports_outages() {
    let state = Arc::new(Mutex::new(State::default()));
    let api = server(state.clone());
    let start = Utc::now();
    state.lock().unwrap().playlists = (200, serde_json::json!([radio_playlist("a.wav", start)]).to_string());
    let source = HttpSource::new(&api, Some("secret".to_owned()));
    let until = start + chrono::Duration::hours(48);
    let got = source.published("tv 1", start, until).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].items[0].title.as_deref(), Some("tone"));
    let request = state.lock().unwrap().requests[0].clone();
    assert_eq!(request.method, "GET");
    assert!(request.target.starts_with("/api/channels/tv%201/playlists?from="), "{request:?}");
    assert!(request.target.contains("&until="), "{request:?}");
    assert_eq!(request.auth.as_deref(), Some("Bearer secret"));

    state.lock().unwrap().playlists = (503, "{\"error\":{\"code\":\"down\"}}".to_owned());
    let err = source.published("tv 1", start, until).unwrap_err();
    assert!(matches!(&err, SourceError::Unavailable(m) if m.contains("503")), "{err}");
    state.lock().unwrap().playlists = (200, "{\"not\":\"a list\"}".to_owned());
    assert!(matches!(source.published("tv 1", start, until), Err(SourceError::OnAirPlaylist(_))));
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let nowhere = HttpSource::new(&format!("http://{closed}"), None);
    assert!(matches!(nowhere.published("tv", start, until), Err(SourceError::Unavailable(_))));
}

fn record(title: &str) -> AsRunRecord {
    let format = ChannelFormat {
        video: None,
        audio: AudioFormat { rate: 48_000, channels: 2 },
        audio_codec: playout::timeline::AudioCodec::Aac,
    };
    let one_second = PlanItem { duration: MediaTime::from_nanos(1_000_000_000), start: None, hard: false };
    let mut r = AsRunRecord::for_segment(&plan(&format, &[one_second])[0]);
    r.title = Some(title.to_owned());
    r
}

#[test]
fn as_run_is_spooled_through_an_outage_and_delivered_in_order() {
    let state = Arc::new(Mutex::new(State { as_run: 503, ..State::default() }));
    let api = server(state.clone());
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool/asrun.jsonl");
    let sink = HttpAsRunSink::new(&api, None, &spool);
    sink.record("tv", &record("one"));
    sink.record("tv", &record("two"));
    assert_eq!(sink.flush(), 2, "both kept while the API is down");
    drop(sink);

    // After a restart, the API is back: the spool goes out in order.
    state.lock().unwrap().as_run = 201;
    let sink = HttpAsRunSink::new(&api, None, &spool);
    sink.record("tv", &record("three"));
    assert_eq!(sink.flush(), 0);
    let delivered: Vec<String> = state
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["title"].as_str().unwrap().to_owned())
        .collect();
    // Each spooled record was tried during the outage too; the last three posts are the delivery.
    assert_eq!(delivered[delivered.len() - 3..], ["one", "two", "three"]);
    assert!(state.lock().unwrap().requests.iter().all(|r| r.target == "/api/channels/tv/as-run"));

    // A record the API refuses as invalid is dropped, not retried forever.
    state.lock().unwrap().as_run = 422;
    sink.record("tv", &record("bad"));
    assert_eq!(sink.flush(), 0);
}

#[test]
fn a_remote_node_airs_the_published_schedule_and_posts_its_as_run() {
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.m4a");
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("sine=frequency=440:sample_rate=48000:duration=30")
        .args(["-c:a", "aac"])
        .arg(&tone)
        .output()
        .unwrap();
    assert!(out.status.success());
    let state = Arc::new(Mutex::new(State { as_run: 201, ..State::default() }));
    let api = server(state.clone());
    let start = Utc::now() - chrono::Duration::seconds(1);
    state.lock().unwrap().playlists =
        (200, serde_json::json!([radio_playlist(tone.to_str().unwrap(), start)]).to_string());

    let format = ChannelFormat {
        video: None,
        audio: AudioFormat { rate: 48_000, channels: 2 },
        audio_codec: playout::timeline::AudioCodec::Aac,
    };
    let config = ChannelConfig::new("fm", format, vec![OutputTarget::File(dir.path().join("fm.ts"))]);
    let sink: Arc<dyn AsRunSink> = Arc::new(HttpAsRunSink::new(&api, None, dir.path().join("spool.jsonl")));
    let runner = ChannelRunner::start(config, Arc::new(HttpSource::new(&api, None)), sink).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let status = runner.handle().status();
    runner.stop().unwrap();
    assert_eq!(status.now.as_deref(), Some("tone"));
    let posts: Vec<serde_json::Value> = state
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    let tone = posts.iter().find(|p| p["title"] == "tone").expect("the item's as-run was posted");
    assert!(tone["reason"].as_str().unwrap().contains("joined"), "{tone}");
    assert!(tone["actual_wall"].is_string());
}
