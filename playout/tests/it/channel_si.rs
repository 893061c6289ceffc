//! Service information in a channel's TS (issue 20): the SDT names the service and its
//! provider in Chinese, the PAT and PMT carry the channel's ids and PIDs, the EIT carries the
//! published schedule (present/following and the schedule of the next days), and a
//! republished day is in the EIT present/following within one guide read plus one EIT cycle.
//! Checked with ffprobe and with `tests/sim/dvb_si.py`, a reader written from the standards,
//! not from Kapok's writer.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::channel_common::*;
use chrono::{DateTime, SubsecRound, Utc};
use playout::channel::{ChannelConfig, ChannelRunner, FileSource, MemoryAsRun};
use playout::si::{ServiceIds, ServiceInfo};
use playout::OutputTarget;
use serde_json::{json, Value};

fn parse(ts: &Path) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/sim/dvb_si.py");
    let out = std::process::Command::new("python3").arg(script).arg(ts).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn a_channel_sends_its_name_provider_ids_and_guide_and_a_republished_day_is_in_the_eit_within_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip(dir.path(), "c.mp4", &["red", "lime"]);
    let days = dir.path().join("days");
    std::fs::create_dir(&days).unwrap();
    let t0 = (Utc::now() + chrono::Duration::milliseconds(1500)).trunc_subsecs(0);
    let today = |third: &str| {
        json!([
            { "source": clip, "duration": 3.0, "title": "米易新闻" },
            { "source": clip, "duration": 3.0, "title": "涉农早知道" },
            { "source": clip, "duration": 60.0, "title": third },
        ])
    };
    write_playlist(&days.join("1-today.json"), t0, today("文化长廊"));
    let tomorrow = t0 + chrono::Duration::days(1);
    write_playlist(
        &days.join("2-tomorrow.json"),
        tomorrow,
        json!([{ "source": "missing.mp4", "duration": 1800.0, "title": "明日新闻" }]),
    );

    let file = dir.path().join("out.ts");
    let ids = ServiceIds {
        service_id: 7,
        transport_stream_id: 0x0123,
        original_network_id: 0xFF02,
        pmt_pid: 0x0200,
        video_pid: 0x0210,
        audio_pid: 0x0211,
    };
    let mut config = ChannelConfig::new("miyi", format(), vec![OutputTarget::File(file.clone())]);
    config.poll = Duration::from_millis(500);
    config.service =
        Some(ServiceInfo {
            ids, name: "米易综合频道".into(), provider: "米易县融媒体中心".into(), radio: false
        });
    let runner =
        ChannelRunner::start(config, Arc::new(FileSource::new(&days)), Arc::new(MemoryAsRun::default())).unwrap();
    let epoch = runner.handle().epoch();
    sleep_until(t0 + chrono::Duration::milliseconds(4000));
    let republished = Utc::now();
    write_playlist(&days.join("1-today.json"), t0, today("抗震救灾特别节目"));
    std::thread::sleep(Duration::from_secs(5));
    runner.stop().unwrap();

    // ffprobe: the programme number, PMT PID, stream PIDs and the SDT's names.
    let probe = testkit::media::ffprobe_programs(&file);
    let program = &probe["programs"][0];
    assert_eq!(program["program_num"], 7, "{probe}");
    assert_eq!(program["pmt_pid"], 0x200, "{probe}");
    assert_eq!(program["tags"]["service_name"], "米易综合频道", "{probe}");
    assert_eq!(program["tags"]["service_provider"], "米易县融媒体中心", "{probe}");
    let mut pids: Vec<i64> = program["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().map(|h| i64::from_str_radix(h.trim_start_matches("0x"), 16).unwrap()).unwrap())
        .collect();
    pids.sort_unstable();
    assert_eq!(pids, [0x210, 0x211], "{probe}");

    // The independent reader.
    let si = parse(&file);
    assert_eq!(si["errors"], json!({ "crc": 0, "continuity": 0 }), "{si}");
    let counts = &si["counts"];
    let span = counts["span_s"].as_f64().unwrap();
    let per_s = |k: &str| counts[k].as_f64().unwrap() / span;
    let packets = |pid: &str| counts["packets"][pid].as_f64().unwrap_or_default();
    let total: f64 = counts["packets"].as_object().unwrap().values().filter_map(Value::as_f64).sum();
    let si_packets = packets("0x0011") + packets("0x0012");
    eprintln!(
        "over {span:.1} s: SDT {:.2}/s, EIT p/f {:.2} sections/s, schedule {} sections; SDT+EIT {:.1} kbit/s, {:.2} % of the TS",
        per_s("sdt"),
        per_s("pf"),
        counts["schedule"],
        si_packets * 188.0 * 8.0 / span / 1000.0,
        100.0 * si_packets / total
    );
    // ETSI TR 101 211: SDT and EIT p/f at least every 2 s (each p/f cycle is 2 sections).
    assert!(per_s("sdt") >= 0.5 && per_s("pf") >= 1.0, "{counts}");
    assert_eq!(si["pat"], json!([{ "tsid": 0x123, "programs": { "7": 0x200 } }]), "{si}");
    let sdt = &si["sdt"][0];
    assert_eq!((sdt["tsid"].as_i64(), sdt["onid"].as_i64()), (Some(0x123), Some(0xFF02)), "{si}");
    assert_eq!(
        sdt["services"],
        json!([{ "service_id": 7, "type": 1, "provider": "米易县融媒体中心", "name": "米易综合频道" }]),
        "{si}"
    );
    let pf = si["eit"].as_array().unwrap();
    let present = |title: &str| {
        pf.iter()
            .find(|s| s["section"] == 0 && s["events"][0]["title"] == title)
            .unwrap_or_else(|| panic!("{title} never present: {si}"))
    };
    let first = &present("米易新闻")["events"][0];
    assert_eq!(at(first["start"].as_str().unwrap()), t0, "{first}");
    assert_eq!(first["duration_s"], 3);
    assert_eq!(first["language"], "chi");
    let second = &present("涉农早知道")["events"][0];
    assert_eq!(at(second["start"].as_str().unwrap()), t0 + chrono::Duration::seconds(3), "{second}");
    // The following event of 涉农早知道 was 文化长廊, then the republished title.
    let following = |title: &str| pf.iter().find(|s| s["section"] == 1 && s["events"][0]["title"] == title);
    assert!(following("文化长廊").is_some(), "{si}");
    let changed = following("抗震救灾特别节目").unwrap_or_else(|| panic!("republished title never in the EIT: {si}"));
    assert_eq!(at(changed["events"][0]["start"].as_str().unwrap()), t0 + chrono::Duration::seconds(6));
    let before = following("文化长廊").unwrap();
    assert_ne!(changed["version"], before["version"], "a changed section has a new version");
    // When it was sent, on the stream's clock: the first PCR is stream time ~0, the epoch.
    let clock0 = pf.iter().filter_map(|s| s["clock_s"].as_f64()).fold(f64::MAX, f64::min);
    let sent =
        epoch + chrono::Duration::milliseconds(((changed["clock_s"].as_f64().unwrap() - clock0) * 1000.0) as i64);
    let delay = secs(sent - republished);
    eprintln!("republished day in the EIT p/f {delay:.2} s after it was written");
    assert!(delay < 3.5, "EIT p/f changed {delay:.2} s after the republish (guide read 2 s + EIT cycle 1 s)");

    // The schedule (table 0x50 or 0x51) holds tomorrow's programme.
    let schedule = si["schedule"].as_object().unwrap();
    let found = schedule.values().flat_map(|s| s["events"].as_array().unwrap()).find(|e| e["title"] == "明日新闻");
    let found = found.unwrap_or_else(|| panic!("tomorrow not in the EIT schedule: {si}"));
    assert_eq!(at(found["start"].as_str().unwrap()), tomorrow);
    assert_eq!(found["duration_s"], 1800);
    assert!(schedule.values().all(|s| s["last_table_id"] == "0x51"), "{si}");
}
