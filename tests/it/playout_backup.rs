//! Main/backup playout as a head-end runs it: a real `kapok serve` with a radio channel and a
//! published day, two real `kapok playout` processes for the channel — the main
//! (`--listen`) and its backup (`--backup-of <main>/health`) — both sending to one UDP
//! receiver in this test (the downstream that takes one stream). The main is killed with
//! SIGKILL mid-programme: the backup's datagrams take over within 1 s (the gap in the
//! received stream, and the frames lost, are printed), the decoded audio after the switch is
//! the tone of the programme the schedule puts there, the catalog has one as-run line per
//! item and a line for the switch. Then the main is restarted: the backup tells it to hold,
//! and gives the output back only when told (`POST /output/release`).
#![allow(clippy::zombie_processes)]

use crate::common;

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, FixedOffset, Timelike, Utc};
use common::{cli, token};
use serde_json::{json, Value};

const PASSWORD: &str = "主备-测试-2026-kapok";

/// A datagram, its sender and when it arrived.
type Datagram = (Instant, SocketAddr, Vec<u8>);

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The demo programmes' tones (src/demo.rs), by title.
fn tone_of(title: &str) -> Option<f32> {
    [
        ("攀枝花芒果种植技术", 440.0),
        ("米易县新闻", 1000.0),
        ("盐边县防汛应急科普", 660.0),
        ("仁和区文化之旅", 523.0),
        ("农业科技广播", 392.0),
        ("攀枝花新闻联播", 587.0),
        ("音乐时间", 784.0),
    ]
    .iter()
    .find(|(t, _)| title.starts_with(t))
    .map(|(_, hz)| *hz)
}

fn node(dir: &Path, name: &str, base: &str, token: &str, rx: u16, extra: &[String]) -> Killed {
    let child = Command::new(env!("CARGO_BIN_EXE_kapok"))
        .args(["playout", "--channel", "backup-radio", "--api", base, "--cache-gib", "1", "--output"])
        .arg(format!("udp://127.0.0.1:{rx}"))
        .args(extra)
        .env("KAPOK_TOKEN", token)
        .env("KAPOK_DATA", dir.join(name))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::OpenOptions::new().create(true).append(true).open(dir.join(format!("{name}.log"))).unwrap(),
        ))
        .spawn()
        .unwrap();
    Killed(child)
}

fn health(url: &str) -> Option<Value> {
    reqwest::blocking::Client::new().get(url).timeout(Duration::from_secs(2)).send().ok()?.json().ok()
}

fn as_run_rows(data: &Path) -> Vec<catalog::asrun::AsRunEntry> {
    let db = format!("sqlite://{}", data.join("kapok.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = catalog::Store::connect(&db).await.unwrap();
        let now = Utc::now();
        store.list_as_run("backup-radio", now - Span::hours(2), now + Span::hours(2), 1000).await.unwrap()
    })
}

#[test]
fn the_backup_takes_over_within_a_second_of_the_main_being_killed_and_gives_back_when_told() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("KAPOK_DATA", data.display().to_string()), ("KAPOK_ADMIN_PASSWORD", PASSWORD.to_string())];
    let server = common::serve(&env);
    let base = server.base.clone();
    let admin = token(&data, "admin");
    cli(
        &data,
        &["user", "add", "node-510400", "--role", "playout_node", "--centre", "510400"],
        &format!("{PASSWORD}\n"),
    );
    let node_token = token(&data, "node-510400");
    let http = reqwest::blocking::Client::new();
    let call = common::api_as(&base, &admin);

    // The demo radio programmes (30 s tones) back to back on a new radio channel.
    let programmes: Vec<(String, String, f64)> = common::ready_programmes(&call, 3, |p| {
        if !common::is_demo_radio(p) {
            return None;
        }
        let title = p["title"].as_str()?.to_string();
        tone_of(&title)?;
        Some((p["id"].as_str()?.to_string(), title, p["duration_ms"].as_f64()? / 1000.0))
    });
    let (s, channel) = call(
        reqwest::Method::POST,
        "/api/channels",
        Some(json!({ "centre": "510400", "slug": "backup-radio", "name": "主备广播", "kind": "radio",
            "format": { "sample_rate": 48000, "channels": 2 } })),
    );
    assert_eq!(s, 201, "{channel}");
    let id = channel["id"].as_str().unwrap().to_string();
    let tz = FixedOffset::east_opt(8 * 3600).unwrap();
    let now = Utc::now().with_timezone(&tz);
    let six = now.with_hour(6).unwrap().with_minute(0).unwrap().with_second(0).unwrap().with_nanosecond(0).unwrap();
    let day_start = if six > now { six - Span::days(1) } else { six };
    assert!(day_start + Span::days(1) - now > Span::minutes(10), "too close to 06:00 for this test's day");
    let first = (now + Span::seconds(30)).with_nanosecond(0).unwrap();
    let (s, relay) =
        call(reqwest::Method::PUT, "/api/centres/510400/relays/dead", Some(json!({ "uri": "udp://127.0.0.1:9" })));
    assert_eq!(s, 200, "{relay}");
    // The schedule: (start, end, title) of each programme, 4 rounds from `first`.
    let mut schedule: Vec<(DateTime<Utc>, DateTime<Utc>, String)> = Vec::new();
    let hms = |t: DateTime<FixedOffset>| t.format("%H:%M:%S").to_string();
    let dur = |s: i64| format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    let mut csv = String::from("start,programme,duration\n");
    csv.push_str(&format!("06:00:00,live:dead,{}\n", dur((first - day_start).num_seconds())));
    let mut at = first;
    for _ in 0..4 {
        for (pid, title, secs) in &programmes {
            csv.push_str(&format!("{},{pid},\n", hms(at)));
            let end = at + Span::milliseconds((secs * 1000.0) as i64);
            schedule.push((at.with_timezone(&Utc), end.with_timezone(&Utc), title.clone()));
            at = end;
        }
    }
    csv.push_str(&format!("{},live:dead,{}\n", hms(at), dur((day_start + Span::days(1) - at).num_seconds())));
    let date = day_start.format("%Y-%m-%d").to_string();
    common::publish_day(&base, &admin, &id, &date, &csv);

    // The downstream: one UDP receiver, noting who sent each datagram.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let rx = udp.local_addr().unwrap().port();
    udp.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let received: Arc<Mutex<Vec<Datagram>>> = Arc::default();
    let sink = received.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        loop {
            if let Ok((n, from)) = udp.recv_from(&mut buf) {
                sink.lock().unwrap().push((Instant::now(), from, buf[..n].to_vec()));
            }
        }
    });

    let (main_port, backup_port) = (testkit::net::free_port(), testkit::net::free_port());
    let main_health = format!("http://127.0.0.1:{main_port}/health");
    let backup_health = format!("http://127.0.0.1:{backup_port}/health");
    let main_args = vec!["--listen".to_string(), format!("127.0.0.1:{main_port}")];
    let backup_args = vec![
        "--listen".to_string(),
        format!("127.0.0.1:{backup_port}"),
        "--backup-of".to_string(),
        main_health.clone(),
    ];
    let mut main = node(dir.path(), "main", &base, &node_token, rx, &main_args);
    let backup = node(dir.path(), "backup", &base, &node_token, rx, &backup_args);
    let log = |name: &str| std::fs::read_to_string(dir.path().join(format!("{name}.log"))).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (m, b) = (health(&main_health), health(&backup_health));
        if m.as_ref().is_some_and(|h| h["on_air"] == true) && b.as_ref().is_some_and(|h| h["on_air"] == false) {
            break;
        }
        assert!(Instant::now() < deadline, "main {m:?} backup {b:?}\n{}\n{}", log("main"), log("backup"));
        std::thread::sleep(Duration::from_millis(200));
    }

    // Into the second programme, mid-way: kill -9 the main.
    let (kill_at_wall, kill_at) = {
        let target = schedule[1].0 + Span::seconds(12);
        if let Ok(d) = (target - Utc::now()).to_std() {
            std::thread::sleep(d);
        }
        let senders: std::collections::HashSet<SocketAddr> = received.lock().unwrap().iter().map(|g| g.1).collect();
        let warned = |name: &str| log(name).lines().filter(|l| l.contains("WARN")).collect::<Vec<_>>().join("\n");
        assert_eq!(senders.len(), 1, "only the main sends before the kill: {senders:?}\n{}", warned("backup"));
        main.0.kill().unwrap();
        (Utc::now(), Instant::now())
    };
    let _ = main.0.wait();
    std::thread::sleep(Duration::from_secs(4));

    // The received stream around the kill: the main's datagrams, then the backup's.
    let grams = received.lock().unwrap().clone();
    let main_addr = grams.first().unwrap().1;
    let last_main = grams.iter().filter(|g| g.1 == main_addr).map(|g| g.0).max().unwrap();
    let first_backup = grams.iter().find(|g| g.1 != main_addr && g.0 >= last_main).map(|g| g.0);
    let first_backup = first_backup.unwrap_or_else(|| panic!("the backup never sent\n{}", log("backup")));
    let gap = first_backup - last_main;
    let took = first_backup.saturating_duration_since(kill_at);
    let times: Vec<Instant> = grams.iter().map(|g| g.0).filter(|t| *t > kill_at - Duration::from_secs(2)).collect();
    let typical = {
        let mut d: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        d.sort();
        d[d.len() / 2]
    };
    let worst = times.windows(2).map(|w| w[1] - w[0]).max().unwrap();
    // Radio: an AAC frame is 1024 samples at 48 kHz (21.3 ms); the figure in TV frames (40 ms) too.
    let lost_ms = worst.saturating_sub(typical).as_secs_f64() * 1000.0;
    eprintln!(
        "main/backup: kill -9 -> backup's first datagram {:.0} ms; longest gap in the received stream {:.0} ms \
         (typical {:.1} ms): ~{:.0} AAC frames lost (~{:.1} TV frames at 25 fps)",
        took.as_secs_f64() * 1000.0,
        gap.as_secs_f64() * 1000.0,
        typical.as_secs_f64() * 1000.0,
        lost_ms / 21.333,
        lost_ms / 40.0
    );
    assert!(gap < Duration::from_secs(1), "the output stopped for {gap:?} at the switch\n{}", log("backup"));
    assert!(worst < Duration::from_secs(1), "a gap of {worst:?} in the received stream");

    // After the switch: the tone of the programme the schedule puts there (ffmpeg decode).
    let from = first_backup + Duration::from_millis(500);
    let wall_from = kill_at_wall + chrono::Duration::from_std(from - kill_at).unwrap();
    let (_, end, title) = schedule.iter().find(|(s, e, _)| *s <= wall_from && *e > wall_from).unwrap().clone();
    assert!(end - wall_from > Span::seconds(2), "the check second must not straddle a programme change");
    let ts: Vec<u8> =
        grams.iter().filter(|g| g.0 >= from && g.0 < from + Duration::from_secs(1)).flat_map(|g| g.2.clone()).collect();
    let audio = testkit::media::ts_audio(&ts, dir.path(), 48_000);
    let want = tone_of(&title).unwrap();
    let share = testkit::tone::tone_share(&audio, 48_000.0, want);
    eprintln!("after the switch: {title} ({want} Hz) is {share:.2} of the decoded audio");
    assert!(share > 0.3, "after the switch the schedule has {title} ({want} Hz): {share:.2} of the output");

    let h = health(&backup_health).unwrap();
    assert_eq!(h["on_air"], true, "{h}");
    // The main is dead: the backup keeps the output when asked to give it back.
    let release = || http.post(format!("http://127.0.0.1:{backup_port}/output/release")).send().unwrap();
    assert_eq!(release().status().as_u16(), 409);

    // The main restarted: the backup tells it to hold; it gets the output back when told.
    let _restarted = node(dir.path(), "main", &base, &node_token, rx, &main_args);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !health(&main_health).is_some_and(|h| h["on_air"] == false && h["samples_out"].as_u64() > Some(48_000)) {
        assert!(Instant::now() < deadline, "the restarted main was not held\n{}", log("backup"));
        std::thread::sleep(Duration::from_millis(200));
    }
    let r = release();
    assert_eq!(r.status().as_u16(), 200, "{:?}", r.text());
    let given_back = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(health(&main_health).unwrap()["on_air"], true);
    assert_eq!(health(&backup_health).unwrap()["on_air"], false);
    let late: Vec<SocketAddr> = received
        .lock()
        .unwrap()
        .iter()
        .filter(|g| g.0 > given_back + Duration::from_millis(500))
        .map(|g| g.1)
        .collect::<std::collections::HashSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(late.len(), 1, "one sender after the give-back: {late:?}");
    drop(backup);

    // As-run: one line per item whichever node aired it, and the switches.
    let deadline = Instant::now() + Duration::from_secs(30);
    let rows = loop {
        let rows = as_run_rows(&data);
        let switches = rows.iter().filter(|r| r.source.as_deref().is_some_and(|s| s.starts_with("switch:"))).count();
        if switches >= 3 || Instant::now() > deadline {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let listing: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {:?} {} {} {:?}", r.actual_start, r.scheduled_start, r.duration_ms, r.outcome, r.reason))
        .collect();
    let items: Vec<_> = rows.iter().filter(|r| r.detail["item"].is_u64()).collect();
    let mut slots = std::collections::HashSet::new();
    for r in &items {
        assert!(slots.insert(r.scheduled_start), "two lines for one item:\n{}", listing.join("\n"));
    }
    for (start, _, title) in schedule.iter().filter(|(_, e, _)| *e < kill_at_wall + Span::seconds(3)) {
        let n = items.iter().filter(|r| r.scheduled_start == Some(*start)).count();
        assert_eq!(n, 1, "{title} at {start}: {n} lines\n{}", listing.join("\n"));
    }
    let took_over =
        rows.iter().filter(|r| r.reason.as_deref().is_some_and(|t| t.contains("backup took the output over")));
    assert_eq!(took_over.count(), 1, "{}", listing.join("\n"));
    assert!(
        rows.iter().any(|r| r.reason.as_deref().is_some_and(|t| t.contains("gave the output back"))),
        "{}",
        listing.join("\n")
    );
}
