//! Service information in a real channel's TS (issue 20): `kapok serve` writes the demo radio
//! channel to a file output (`channel_outputs`). ffprobe shows its service name and provider in
//! Chinese; `tests/sim/dvb_si.py` (a reader written from ETSI EN 300 468, not from Kapok's
//! writer) finds a digital radio service in the SDT and the demo cycle's titles in the EIT.
//! Then the channel's service ids are changed through the API and a day is published; after a
//! restart the PAT/PMT carry the new ids and the EIT the published programmes, each with the
//! content descriptor of its category.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, FixedOffset, Timelike, Utc};
use common::token;
use serde_json::{json, Value};

const PASSWORD: &str = "服务信息-测试-2026-kapok";

fn si_of(ts: &Path) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sim/dvb_si.py");
    let out = std::process::Command::new("python3").arg(script).arg(ts).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Waits until `ts` holds `secs` seconds' worth of SDT (one a second) and returns its SI. A
/// first run makes its demo media before the channels go on air: minutes on a loaded machine.
fn wait_for_si(ts: &Path, secs: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if ts.exists() {
            let si = si_of(ts);
            let pf = si["eit"].as_array().map_or(0, Vec::len);
            if !si["sdt"].as_array().is_none_or(Vec::is_empty) && pf >= 2 && std::fs::metadata(ts).unwrap().len() > 0 {
                std::thread::sleep(Duration::from_secs(secs as u64));
                return si_of(ts);
            }
        }
        assert!(Instant::now() < deadline, "no SI in {} within 300 s", ts.display());
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_served_channel_names_its_service_and_provider_in_chinese_and_airs_its_published_guide_in_the_eit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = dir.path().join("first.ts");
    let env = |out: &Path| {
        [
            ("KAPOK_DATA", data.display().to_string()),
            ("KAPOK_ADMIN_PASSWORD", PASSWORD.to_string()),
            ("KAPOK_CHANNEL_OUTPUTS", format!("pzh-demo-radio=file:{}", out.display())),
        ]
    };
    let server = common::serve(&env(&first));
    let si = wait_for_si(&first, 3);

    let probe = testkit::media::ffprobe_programs(&first);
    let program = &probe["programs"][0];
    // GB2312 0xA1A4 (the 间隔号 of the name) is U+00B7 to GBK and WHATWG, U+30FB to glibc's
    // iconv (which ffprobe uses) and Python: the same character of GB2312 either way.
    assert_eq!(program["tags"]["service_name"], "攀枝花人民广播电台・演示频率", "{probe}");
    assert_eq!(program["tags"]["service_provider"], "攀枝花市融媒体中心", "{probe}");
    assert_eq!((program["program_num"].as_i64(), program["pmt_pid"].as_i64()), (Some(1), Some(0x1000)), "{probe}");
    assert_eq!(si["errors"], json!({ "crc": 0, "continuity": 0 }), "{si}");
    let service = &si["sdt"][0]["services"][0];
    assert_eq!(service["type"], 2, "digital radio sound service: {si}");
    assert_eq!(service["name"], "攀枝花人民广播电台・演示频率", "{si}");
    assert_eq!(service["provider"], "攀枝花市融媒体中心", "{si}");
    let titles: Vec<&str> = si["eit"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["events"].as_array().unwrap())
        .filter_map(|e| e["title"].as_str())
        .collect();
    assert!(titles.iter().any(|t| t.ends_with("（演示）")), "the demo cycle in the EIT p/f: {si}");

    // New ids through the API, and a published day of the channel's programmes.
    let admin = token(&data, "admin");
    let call = common::api_as(&server.base, &admin);
    let (_, channels) = call(reqwest::Method::GET, "/api/channels", None);
    let radio = channels.as_array().unwrap().iter().find(|c| c["slug"] == "pzh-demo-radio").unwrap().clone();
    let id = radio["id"].as_str().unwrap().to_string();
    let ids = json!({ "service_id": 400, "transport_stream_id": 0x0400, "original_network_id": 0xFF03,
        "pmt_pid": 0x0300, "video_pid": 0x0310, "audio_pid": 0x0311 });
    let (s, patched) = call(reqwest::Method::PATCH, &format!("/api/channels/{id}"), Some(json!({ "service": ids })));
    assert_eq!(s, 200, "{patched}");
    let (_, page) = call(reqwest::Method::GET, "/api/programmes?centre=510400&status=ready", None);
    let programmes: Vec<(String, String, String, f64)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == "pzh-demo-radio")))
        // The first run's public-service spot is the radio's filler: the guide leaves fillers out.
        .filter(|p| p["category"] != "公益")
        .map(|p| {
            let text = |k: &str| p[k].as_str().unwrap().to_string();
            (text("id"), text("title"), text("category"), p["duration_ms"].as_f64().unwrap() / 1000.0)
        })
        .collect();
    assert_eq!(programmes.len(), 3, "{page}");
    let tz = FixedOffset::east_opt(8 * 3600).unwrap();
    let six = |t: DateTime<FixedOffset>| t.with_hour(6).unwrap().with_minute(0).unwrap().with_second(0).unwrap();
    let mut now = Utc::now().with_timezone(&tz);
    let next_six = if six(now) > now { six(now) } else { six(now) + Span::days(1) };
    if next_six - now < Span::minutes(10) {
        std::thread::sleep((next_six - now + Span::seconds(2)).to_std().unwrap());
        now = Utc::now().with_timezone(&tz);
    }
    let day_start = if six(now) > now { six(now) - Span::days(1) } else { six(now) };
    let day_start = day_start.with_nanosecond(0).unwrap();
    // From 40 s from now (the restart below), the programmes back to back, five times; a
    // live relay (dead: slate, not in the guide's categories) around them fills the day.
    let (s, relay) =
        call(reqwest::Method::PUT, "/api/centres/510400/relays/dead", Some(json!({ "uri": "udp://127.0.0.1:9" })));
    assert_eq!(s, 200, "{relay}");
    let hms = |s: i64| format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    let begin = (now + Span::seconds(40)).with_nanosecond(0).unwrap();
    let mut csv = String::from("start,programme,duration\n");
    csv.push_str(&format!("06:00:00,live:dead,{}\n", hms((begin - day_start).num_seconds())));
    let mut at = begin;
    let mut slots = Vec::new();
    for _ in 0..5 {
        for (pid, title, category, secs) in &programmes {
            csv.push_str(&format!("{},{pid},\n", at.format("%H:%M:%S")));
            slots.push((at.with_timezone(&Utc), title.clone(), category.clone()));
            at += Span::milliseconds((secs * 1000.0) as i64);
        }
    }
    let end = day_start + Span::days(1);
    csv.push_str(&format!("{},live:dead,{}\n", at.format("%H:%M:%S"), hms((end - at).num_seconds())));
    common::publish_day(&server.base, &admin, &id, &day_start.format("%Y-%m-%d").to_string(), &csv);
    drop(server);

    // Restarted: the new ids, and the published programmes with their categories.
    let second = dir.path().join("second.ts");
    let _server = common::serve(&env(&second));
    common_wait_until(slots[0].0 + Span::seconds(3));
    let si = wait_for_si(&second, 3);
    let probe = testkit::media::ffprobe_programs(&second);
    let program = &probe["programs"][0];
    assert_eq!((program["program_num"].as_i64(), program["pmt_pid"].as_i64()), (Some(400), Some(0x300)), "{probe}");
    assert_eq!(program["streams"][0]["id"], "0x311", "{probe}");
    assert_eq!(si["pat"].as_array().unwrap().last().unwrap(), &json!({ "tsid": 0x400, "programs": { "400": 0x300 } }));
    assert_eq!(si["sdt"][0]["onid"], 0xFF03, "{si}");
    let nibbles = |category: &str| match category {
        "涉农" => "0x90",
        "新闻" => "0x20",
        "音乐" => "0x60",
        other => panic!("demo category {other}"),
    };
    let events: Vec<&Value> =
        si["eit"].as_array().unwrap().iter().flat_map(|s| s["events"].as_array().unwrap()).collect();
    let mut matched = 0;
    for (start, title, category) in &slots {
        let Some(e) = events.iter().find(|e| {
            e["start"].as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).is_some_and(|s| s == *start)
        }) else {
            continue;
        };
        assert_eq!(e["title"], title.as_str(), "{e}");
        assert_eq!(e["content"], json!([nibbles(category)]), "{title} is {category}: {e}");
        matched += 1;
    }
    assert!(matched >= 2, "present and following of the published day in the EIT p/f: {si}\n{slots:?}");
    // The schedule holds the rest of the published day.
    let scheduled: Vec<&Value> =
        si["schedule"].as_object().unwrap().values().flat_map(|s| s["events"].as_array().unwrap()).collect();
    let last = slots.last().unwrap();
    assert!(
        scheduled.iter().any(|e| e["title"] == last.1.as_str()
            && e["start"].as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).is_some_and(|s| s == last.0)),
        "the day's last programme in the EIT schedule: {scheduled:?}"
    );
}

fn common_wait_until(t: DateTime<Utc>) {
    if let Ok(d) = (t - Utc::now()).to_std() {
        std::thread::sleep(d);
    }
}
