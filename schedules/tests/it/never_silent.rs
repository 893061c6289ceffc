//! Whatever the catalog, the generator never breaks a rule silently: every generated day
//! tiles the day to the frame, and every validation error is a quota the generator itself
//! reported as a rule break. Runs sparse catalogs (forcing relaxations and slates) and a
//! non-integer frame rate.

use chrono::{NaiveDate, TimeZone, Utc};
use schedules::{
    demo, validate, CandidateIndex, ChannelKind, FrameRate, Frames, Generator, ItemKind, PlayHistory, Severity,
};

#[test]
fn sparse_catalogs_and_ntsc_rates_never_hide_a_broken_rule() {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
    let template = demo::template().unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let (mut relaxations, mut ran) = (0, 0);
    for (size, seed) in [(60, 1), (120, 2), (250, 3), (600, 4), (2_000, 5)] {
        let index = CandidateIndex::new(demo::catalog(size, seed, now));
        for (kind, rate) in
            [(ChannelKind::Tv, FrameRate::PAL), (ChannelKind::Radio, FrameRate::new(30000, 1001).unwrap())]
        {
            let mut ch = demo::channel("ch", kind, "510403").unwrap();
            ch.rate = rate;
            let Ok(g) = Generator::new(&ch, &template, &index) else {
                continue; // a tiny catalog may lack a category the template names: refused, not guessed
            };
            let day = g.day(date, &PlayHistory::new(), seed);
            ran += 1;
            let p = &day.playlist;
            let mut t = Frames::ZERO;
            for it in &p.items {
                assert_eq!(it.start, t, "size {size} {kind:?}: items tile");
                assert!(it.duration > Frames::ZERO);
                t = it.end();
            }
            assert_eq!(t, rate.frames_per_day(), "size {size} {kind:?}: the day is covered to the last frame");
            let live = p.items.iter().find(|i| i.kind == ItemKind::Live).unwrap();
            let at = p.clock().instant(live.start);
            assert_eq!(at.format("%H:%M:%S").to_string(), "19:00:00", "{at}");
            assert!(at.timestamp_subsec_nanos() < 33_366_667, "first frame at or after 19:00: {at}");
            for f in validate(p, &ch, &template.quotas, &index, now).iter().filter(|f| f.severity == Severity::Error) {
                assert_eq!(f.code, "quota_unmet", "size {size} {kind:?}: unexpected error {f:?}");
                let name = f.message.split(':').next().unwrap();
                assert!(day.exceptions.iter().any(|b| b.rule == "quota" && b.block == name), "unreported: {f:?}");
            }
            if p.items.iter().any(|i| i.kind == ItemKind::Slate) {
                assert!(day.exceptions.iter().any(|b| b.rule == "no_filler"));
            }
            relaxations += day
                .exceptions
                .iter()
                .filter(|b| {
                    matches!(b.rule.as_str(), "programme_separation" | "series_separation" | "own_centre_share")
                })
                .count();
        }
    }
    assert!(relaxations > 0, "sparse catalogs exercise the relaxation path");
    assert!(ran >= 6, "only {ran} channel-days generated");
}
