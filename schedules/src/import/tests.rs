use super::*;
use crate::candidate::tests::prog;
use crate::candidate::CandidateIndex;
use crate::template::tests::channel;

fn cat() -> CandidateIndex {
    let mut a = prog("a1", "涉农", 1800);
    a.title = "芒果种植技术".into();
    let mut b = prog("b1", "news", 600);
    b.title = "dup".into();
    let mut c = prog("c1", "news", 600);
    c.title = "dup".into();
    CandidateIndex::new(vec![a, b, c])
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

#[test]
fn a_good_file_imports_with_ids_titles_live_and_frames() {
    let csv = "start,programme,duration,timing\n06:00:00,芒果种植技术,,\n06:30:00:10,b1,00:05:00,\n19:00:00,live:srt://cctv:9000,00:30:00,hard\n01:00:00,a1,00:10:00:00,soft\n";
    let p = import_day_csv(csv, &channel(), date(), &cat()).unwrap();
    let got: Vec<(i64, i64, &str)> = p.items.iter().map(|i| (i.start.0, i.duration.0, i.title.as_str())).collect();
    assert_eq!(
        got,
        [
            (0, 45_000, "芒果种植技术"),
            (45_010, 7_500, "dup"),
            (13 * 90_000, 45_000, "srt://cctv:9000"),
            (19 * 90_000, 15_000, "芒果种植技术")
        ]
    );
    assert_eq!(p.items[2].timing, Timing::Hard);
}

#[test]
fn every_bad_line_is_reported_and_nothing_imported() {
    let csv = "start,programme,duration\n06:00:00,a1,\n25:00:00,a1,\n06:00:00,b1,\n07:00:00,nope,\n08:00:00,dup,\n09:00:00,b1,00:20:00\n09:05:00,live:srt://x,\n06:20:00,b1,00:05:00\n";
    let err = import_day_csv(csv, &channel(), date(), &cat()).unwrap_err();
    let ScheduleError::Import(errs) = err else { panic!("{err}") };
    let lines: Vec<u64> = errs.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7, 8, 9], "{errs:?}");
    assert!(errs[0].message.contains("bad start"));
    assert!(errs[1].message.contains("duplicate start") && errs[1].message.contains("line 2"));
    assert!(errs[2].message.contains("unknown programme"));
    assert!(errs[3].message.contains("ambiguous"));
    assert!(errs[4].message.contains("longer than the media"));
    assert!(errs[5].message.contains("live relay needs a duration"));
    assert!(errs[6].message.contains("before the item of line 2 ends"));
    assert!(errs[0].to_string().starts_with("line 3: "));
}

#[test]
fn missing_columns_are_reported() {
    let err = import_day_csv("when,what\n06:00,a1\n", &channel(), date(), &cat()).unwrap_err();
    assert!(err.to_string().contains("header must name start"), "{err}");
}
