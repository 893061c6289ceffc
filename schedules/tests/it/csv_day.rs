//! A day typed up in a spreadsheet: imported from CSV (as Excel writes it: BOM, CRLF),
//! validated, published; a broken file is refused whole with every bad line named.

// Helpers outside #[test] fns unwrap too: in a test, a panic is the failure report.

use chrono::{NaiveDate, TimeZone, Utc};
use schedules::{
    demo, has_errors, import_day_csv, validate, CandidateIndex, ChannelKind, MediaTime, ProgrammeCandidate,
    ProgrammeId, PublishedDays, ScheduleError,
};

fn catalog() -> CandidateIndex {
    let items = (0..48)
        .map(|k| ProgrammeCandidate {
            id: ProgrammeId::parse(&format!("prog-{k:02}")).unwrap(),
            title: format!("米易农技 第{k}集"),
            duration: MediaTime::from_secs(1800),
            category: "涉农".into(),
            tags: vec![],
            centre: schedules::CentreCode::parse("510421").unwrap(),
            shared: true,
            language: "zh".into(),
            series: None,
            rights_from: None,
            rights_until: None,
            ready: true,
            video: true,
            radio: true,
        })
        .collect();
    CandidateIndex::new(items)
}

fn day_csv() -> String {
    let mut s = String::from("\u{feff}start,programme,duration,timing\r\n");
    for k in 0..48u32 {
        let minutes = (6 * 60 + k * 30) % (24 * 60);
        let programme = if k % 2 == 0 { format!("prog-{k:02}") } else { format!("米易农技 第{k}集") };
        s.push_str(&format!(
            "{:02}:{:02}:00,{programme},,{}\r\n",
            minutes / 60,
            minutes % 60,
            if k == 26 { "hard" } else { "" }
        ));
    }
    s
}

#[test]
fn a_spreadsheet_day_imports_validates_and_publishes() {
    let ch = demo::channel("miyi-tv", ChannelKind::Tv, "510421").unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let index = catalog();
    let p = import_day_csv(&day_csv(), &ch, date, &index).unwrap();
    assert_eq!(p.items.len(), 48);
    assert_eq!(p.playout()[26].start.to_rfc3339(), "2026-11-26T19:00:00+08:00");
    assert!(p.playout()[26].hard);
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
    let findings = validate(&p, &ch, &[], &index, now);
    assert!(!has_errors(&findings), "{findings:?}");
    let mut pubs = PublishedDays::new(&ch.id, date);
    assert_eq!(pubs.publish(p, &findings, None, now).unwrap().version, 1);
}

#[test]
fn a_broken_spreadsheet_is_refused_whole_with_line_numbers() {
    let ch = demo::channel("miyi-tv", ChannelKind::Tv, "510421").unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let mut csv = day_csv();
    csv.push_str("6:00,prog-01,,\r\n"); // line 50: duplicate of line 2's start
    csv.push_str("07:61,prog-01,,\r\n"); // line 51: bad time
    csv.push_str("08:15:00,不存在的节目,,\r\n"); // line 52: unknown programme
    let err = import_day_csv(&csv, &ch, date, &catalog()).unwrap_err();
    let ScheduleError::Import(errors) = err else { panic!("{err}") };
    let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [50, 51, 52], "{errors:?}");
    assert!(errors[0].message.contains("line 2"), "{}", errors[0].message);
}
