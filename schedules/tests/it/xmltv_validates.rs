//! The XMLTV export of generated days passes Debian's `tv_validate_file` (xmltv-util):
//! DTD validity, channel ids, times, titles, encoding.

use std::process::Command;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use schedules::{demo, xmltv, CandidateIndex, ChannelKind, EpgChannel, Generator, PlayHistory};

#[test]
fn generated_week_exports_valid_xmltv() {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
    let index = CandidateIndex::new(demo::catalog(5_000, 11, now));
    let template = demo::template().unwrap();
    let channels = [
        demo::channel("pzh-tv1", ChannelKind::Tv, "510400").unwrap(),
        demo::channel("miyi_fm", ChannelKind::Radio, "510421").unwrap(),
    ];
    let first = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let mut days = Vec::new();
    for ch in &channels {
        let g = Generator::new(ch, &template, &index).unwrap();
        let mut history = PlayHistory::new();
        let mut v = Vec::new();
        for d in 0..2 {
            let day = g.day(first + Duration::days(d), &history, 5);
            history.record_playlist(&day.playlist, |_| None);
            v.push(day.playlist);
        }
        days.push(v);
    }
    let epg: Vec<EpgChannel<'_>> =
        channels.iter().zip(&days).map(|(channel, p)| EpgChannel { channel, playlists: p }).collect();
    let from = first.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let doc = xmltv(&epg, from, from + Duration::days(3));
    assert!(doc.matches("<programme ").count() > 50);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("guide.xml");
    std::fs::write(&path, &doc).unwrap();
    let out = validate_file(&path);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "tv_validate_file rejected the export:\n{text}");
    assert!(text.contains("Validated ok"), "{text}");
}

#[test]
fn broken_xmltv_is_rejected_by_the_validator() {
    // The checker itself must be able to fail: a programme without a title is invalid.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.xml");
    std::fs::write(&path, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tv><channel id=\"a.b\"><display-name>x</display-name></channel><programme start=\"20260101000000 +0800\" channel=\"a.b\"></programme></tv>\n").unwrap();
    let out = validate_file(&path);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!out.status.success());
    assert!(text.contains("did not validate"), "{text}");
}

/// Runs `tv_validate_file` against the DTD Debian installs (offline: without `--dtd-file`
/// the tool fetches the DTD from supplement.xmltv.org).
fn validate_file(path: &std::path::Path) -> std::process::Output {
    let dtd = "/usr/share/xmltv/xmltv.dtd";
    assert!(
        std::path::Path::new(dtd).exists(),
        "{dtd} is missing; install it with: sudo apt-get install -y xmltv-util"
    );
    Command::new("tv_validate_file").arg("--dtd-file").arg(dtd).arg(path).output().unwrap_or_else(|e| {
        panic!("tv_validate_file is needed for this test ({e}); install it with: sudo apt-get install -y xmltv-util")
    })
}
