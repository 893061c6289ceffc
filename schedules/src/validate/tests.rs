use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::candidate::tests::prog;
use crate::candidate::{CandidateIndex, ProgrammeCandidate};
use crate::channel::ChannelKind;
use crate::playlist::{ItemKind, PlaylistItem};
use crate::template::tests::{channel, sample};
use crate::time::Frames;

const H: i64 = 25 * 3600;

fn item(id: &str, start: i64, dur: i64) -> PlaylistItem {
    PlaylistItem {
        start: Frames(start),
        duration: Frames(dur),
        timing: Timing::Soft,
        source: Source::Programme { id: crate::ProgrammeId::parse(id).unwrap() },
        in_point: Frames(0),
        title: id.into(),
        kind: ItemKind::Programme,
        category: "涉农".into(),
        locked: false,
        why: None,
        reason: None,
    }
}

fn setup() -> (Playlist, CandidateIndex) {
    let ch = channel();
    let mut p = Playlist::empty(&ch, NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
    let mut cat: Vec<ProgrammeCandidate> = Vec::new();
    for h in 0..24 {
        let id = format!("p{h}");
        cat.push(prog(&id, "涉农", 3600));
        p.items.push(item(&id, h * H, H));
    }
    (p, CandidateIndex::new(cat))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap()
}

fn codes(f: &[Finding]) -> Vec<&str> {
    f.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn a_tiled_day_of_ready_media_is_clean() {
    let (p, idx) = setup();
    assert_eq!(validate(&p, &channel(), &sample().quotas, &idx, now()), vec![]);
}

#[test]
fn gaps_overlaps_and_hard_misses_are_errors_with_times() {
    let (mut p, idx) = setup();
    p.items[3].start = Frames(3 * H + 50); // gap of 2 s, and item 3 now runs past item 4
    p.items[4].timing = Timing::Hard;
    p.items[10].start = Frames(10 * H - 25);
    let f = validate(&p, &channel(), &[], &idx, now());
    assert_eq!(codes(&f), ["gap", "hard_time_missed", "overlap", "gap"]);
    assert_eq!(f[0].item, Some(3));
    assert!(f[0].message.contains("00:00:02:00"), "{}", f[0].message);
    assert!(f[1].message.contains("10:00:00"), "{}", f[1].message);
    assert!(has_errors(&f));
}

#[test]
fn media_rights_and_medium_problems_are_found() {
    let (mut p, _) = setup();
    let mut cat: Vec<ProgrammeCandidate> = (0..24).map(|h| prog(&format!("p{h}"), "涉农", 3600)).collect();
    cat[0].ready = false;
    cat[1].rights_until = Some(Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap());
    cat[2].rights_until = Some(Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()); // 20:00 +08
    cat[3].radio = false;
    cat[4].duration = crate::MediaTime::from_secs(3599);
    p.items[5] = item("ghost", 5 * H, H);
    let idx = CandidateIndex::new(cat);
    let mut radio = channel();
    radio.kind = ChannelKind::Radio;
    let f = validate(&p, &radio, &[], &idx, now());
    assert_eq!(
        codes(&f),
        [
            "media_not_ready",
            "rights_expired",
            "rights_expiring",
            "tv_only_on_radio",
            "exceeds_media",
            "unknown_programme"
        ]
    );
    assert_eq!(f[2].severity, Severity::Warning);
    assert!(!has_errors(&f[2..3]));
}

#[test]
fn unmet_quota_is_an_error() {
    let (mut p, idx) = setup();
    for it in &mut p.items {
        it.category = "news".into();
    }
    let cat: Vec<ProgrammeCandidate> = (0..24).map(|h| prog(&format!("p{h}"), "news", 3600)).collect();
    let news = CandidateIndex::new(cat);
    let f = validate(&p, &channel(), &sample().quotas, &news, now());
    assert_eq!(codes(&f), ["quota_unmet"]);
    assert!(validate(&p, &channel(), &sample().quotas, &idx, now()).is_empty(), "category comes from the catalog");
}

#[test]
fn absurd_playlists_give_findings_not_panics() {
    let (mut p, idx) = setup();
    p.items[0].start = Frames(i64::MIN);
    p.items[1].duration = Frames(i64::MAX);
    p.items[2].in_point = Frames(-5);
    p.items[3].duration = Frames(0);
    let f = validate(&p, &channel(), &sample().quotas, &idx, now());
    assert!(has_errors(&f));
    assert!(f.iter().any(|f| f.code == "empty_item"));
    assert!(f.iter().any(|f| f.code == "past_day_end"));
    assert!(f.iter().any(|f| f.code == "exceeds_media" && f.item == Some(2)));
}

#[test]
fn a_programme_aired_three_times_in_a_row_is_a_warning_at_the_run() {
    let (mut p, idx) = setup();
    for h in 5..9 {
        let it = item("p4", h * H, H);
        p.items[h as usize] = it;
    }
    let f = validate(&p, &channel(), &[], &idx, now());
    let rep: Vec<&Finding> = f.iter().filter(|f| f.code == "repeated_programme").collect();
    assert_eq!(rep.len(), 1, "{f:?}");
    assert_eq!((rep[0].severity, rep[0].item), (Severity::Warning, Some(4)));
    assert!(rep[0].message.contains("5 times in a row from 10:00:00"), "{}", rep[0].message);
    // Twice is not a run.
    let (mut p, idx) = setup();
    p.items[5] = item("p4", 5 * H, H);
    assert!(!codes(&validate(&p, &channel(), &[], &idx, now())).contains(&"repeated_programme"));
}
