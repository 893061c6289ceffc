//! A week on a TV and a radio channel of the network: generated, validated, edited,
//! published and re-published while on air, and handed to playout.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use schedules::{
    demo, has_errors, validate, CandidateIndex, ChannelKind, EditOp, Generator, ItemKind, PlayHistory, ProgrammeLookup,
    PublishedDays, Severity, Source, Timing, VersionedPlaylist,
};

fn series_of(index: &CandidateIndex) -> impl Fn(&schedules::ProgrammeId) -> Option<String> + '_ {
    |id| index.by_id(id).and_then(|p| p.series.clone())
}

#[test]
fn a_generated_week_validates_without_errors_on_tv_and_radio() {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
    let index = CandidateIndex::new(demo::catalog(20_000, 21, now));
    let template = demo::template().unwrap();
    let first = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    for (id, kind, centre) in [("pzh-tv1", ChannelKind::Tv, "510400"), ("miyi-fm", ChannelKind::Radio, "510421")] {
        let ch = demo::channel(id, kind, centre).unwrap();
        let g = Generator::new(&ch, &template, &index).unwrap();
        let mut history = PlayHistory::new();
        let mut seen_week = std::collections::HashMap::new();
        for d in 0..7 {
            let day = g.day(first + Duration::days(d), &history, 99);
            let findings = validate(&day.playlist, &ch, &template.quotas, &index, now);
            let errors: Vec<_> = findings.iter().filter(|f| f.severity == Severity::Error).collect();
            assert!(errors.is_empty(), "{id} day {d}: {errors:?}");
            // The hard 19:00 relay is on time every day.
            let live = day.playlist.playout().into_iter().find(|i| i.hard).unwrap();
            assert_eq!(live.start.format("%H:%M:%S%.f").to_string(), "19:00:00");
            // Separation across days: no programme (fillers aside) twice within 12 h.
            let clock = day.playlist.clock();
            for it in day.playlist.items.iter().filter(|i| i.kind == ItemKind::Programme) {
                let at = clock.unix_secs(it.start);
                if let Some(prev) = seen_week.insert(it.programme().unwrap().clone(), at) {
                    let relaxed = day.exceptions.iter().any(|b| b.rule == "programme_separation");
                    assert!(
                        at - prev >= 12 * 3600 || relaxed,
                        "{} repeated after {} s without a recorded break",
                        it.title,
                        at - prev
                    );
                }
            }
            history.record_playlist(&day.playlist, series_of(&index));
        }
    }
}

#[test]
fn edit_publish_and_republish_on_air() {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
    let index = CandidateIndex::new(demo::catalog(5_000, 4, now));
    let template = demo::template().unwrap();
    let ch = demo::channel("pzh-tv1", ChannelKind::Tv, "510400").unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let day = Generator::new(&ch, &template, &index).unwrap().day(date, &PlayHistory::new(), 1);
    let mut edit = VersionedPlaylist::new(day.playlist, "generated");

    // Deleting the first item leaves a gap before the first hard item: validation blocks it.
    edit.apply(1, EditOp::Lock { index: 1, locked: true }).unwrap();
    edit.apply(2, EditOp::Delete { index: 0 }).unwrap();
    let findings = validate(edit.current(), &ch, &template.quotas, &index, now);
    assert!(findings.iter().any(|f| f.code == "gap" && f.item == Some(0)), "{findings:?}");
    let mut pubs = PublishedDays::new(&ch.id, date);
    assert!(pubs.publish(edit.current().clone(), &findings, Some(edit.version()), now).is_err());

    // Undo restores a publishable day.
    edit.undo(3).unwrap();
    let findings = validate(edit.current(), &ch, &template.quotas, &index, now);
    assert!(!has_errors(&findings), "{findings:?}");
    let v1 = pubs.publish(edit.current().clone(), &findings, Some(edit.version()), now).unwrap().version;
    assert_eq!(v1, 1);

    // At 06:10 +08:00 the first item is on air; a re-publish with item 1 trimmed takes
    // effect from item 1 and the on-air item continues untouched.
    let on_air_now = Utc.with_ymd_and_hms(2026, 11, 25, 22, 10, 0).unwrap();
    let before = pubs.current().unwrap().playlist.clone();
    let on_air = before.item_at(before.clock().frame_at(on_air_now)).unwrap();
    let next = on_air + 1;
    let v = edit.version();
    edit.apply(v, EditOp::Lock { index: next, locked: false }).unwrap();
    let trim_to = before.items[next].duration.0 / 2;
    edit.apply(
        v + 1,
        EditOp::Trim { index: next, in_point: schedules::Frames(0), duration: schedules::Frames(trim_to) },
    )
    .unwrap();
    let after = pubs.publish(edit.current().clone(), &[], Some(edit.version()), on_air_now).unwrap();
    assert_eq!(after.version, 2);
    assert_eq!(after.on_air_item, Some(on_air));
    assert_eq!(after.playlist.items[on_air], before.items[on_air]);
    assert_eq!(after.playlist.items[next].duration.0, trim_to);

    // Playout gets wall-clock starts, hard flags, sources and in-points, as JSON.
    let json = serde_json::to_value(after.playlist.playout()).unwrap();
    let first = &json[0];
    assert_eq!(first["start"], "2026-11-26T06:00:00+08:00");
    assert!(first["duration_frames"].as_i64().unwrap() > 0);
    let live = after.playlist.items.iter().find(|i| i.timing == Timing::Hard).unwrap();
    assert!(matches!(live.source, Source::Live { .. }));
}
