use chrono::NaiveDate;

use super::*;
use crate::playlist::{ItemKind, Source};
use crate::template::tests::channel;

fn it(title: &str, dur: i64) -> PlaylistItem {
    PlaylistItem {
        start: Frames(0),
        duration: Frames(dur),
        timing: Timing::Soft,
        source: Source::Slate,
        in_point: Frames(0),
        title: title.into(),
        kind: ItemKind::Slate,
        category: String::new(),
        locked: false,
        why: None,
    }
}

fn base() -> VersionedPlaylist {
    let mut p = Playlist::empty(&channel(), NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
    p.items = vec![it("a", 100), it("b", 200), it("c", 300)];
    ripple(&mut p.items);
    VersionedPlaylist::new(p, "generated")
}

fn titles(v: &VersionedPlaylist) -> Vec<(String, i64)> {
    v.current().items.iter().map(|i| (i.title.clone(), i.start.0)).collect()
}

fn t(v: &[(&str, i64)]) -> Vec<(String, i64)> {
    v.iter().map(|(a, b)| ((*a).to_owned(), *b)).collect()
}

#[test]
fn insert_ripples_following_soft_items() {
    let mut v = base();
    assert_eq!(v.apply(1, EditOp::Insert { index: 1, item: it("x", 50) }).unwrap(), 2);
    assert_eq!(titles(&v), t(&[("a", 0), ("x", 100), ("b", 150), ("c", 350)]));
}

#[test]
fn stale_version_is_a_conflict_and_changes_nothing() {
    let mut v = base();
    v.apply(1, EditOp::Delete { index: 0 }).unwrap();
    let err = v.apply(1, EditOp::Delete { index: 0 }).unwrap_err();
    assert!(matches!(err, ScheduleError::Conflict { expected: 1, current: 2 }));
    assert_eq!(v.version(), 2);
}

#[test]
fn locked_items_cannot_change_and_stay_in_place() {
    let mut v = base();
    v.apply(1, EditOp::Lock { index: 2, locked: true }).unwrap();
    for op in [
        EditOp::Delete { index: 2 },
        EditOp::Move { from: 2, to: 0 },
        EditOp::Trim { index: 2, in_point: Frames(0), duration: Frames(10) },
        EditOp::Replace { index: 2, item: it("y", 10) },
        EditOp::Retime { index: 2, start: Frames(5), hard: true },
    ] {
        assert!(matches!(v.apply(2, op), Err(ScheduleError::Locked { index: 2 })));
    }
    v.apply(2, EditOp::Delete { index: 0 }).unwrap();
    assert_eq!(titles(&v), t(&[("b", 0), ("c", 300)]), "the locked item keeps its start");
}

#[test]
fn move_trim_retime_replace() {
    let mut v = base();
    v.apply(1, EditOp::Move { from: 0, to: 2 }).unwrap();
    assert_eq!(titles(&v), t(&[("b", 0), ("c", 200), ("a", 500)]));
    v.apply(2, EditOp::Trim { index: 0, in_point: Frames(20), duration: Frames(100) }).unwrap();
    assert_eq!(v.current().items[0].in_point, Frames(20));
    assert_eq!(titles(&v), t(&[("b", 0), ("c", 100), ("a", 400)]));
    v.apply(3, EditOp::Retime { index: 2, start: Frames(1000), hard: true }).unwrap();
    assert_eq!(v.current().items[2].timing, Timing::Hard);
    assert_eq!(titles(&v), t(&[("b", 0), ("c", 100), ("a", 1000)]));
    v.apply(4, EditOp::Replace { index: 1, item: it("z", 10) }).unwrap();
    assert_eq!(titles(&v), t(&[("b", 0), ("z", 100), ("a", 1000)]));
    v.apply(5, EditOp::Replace { index: 2, item: it("h", 10) }).unwrap();
    assert_eq!(v.current().items[2].timing, Timing::Hard, "replacing keeps the hard time");
    assert_eq!(titles(&v), t(&[("b", 0), ("z", 100), ("h", 1000)]));
    assert!(matches!(v.apply(6, EditOp::Delete { index: 9 }), Err(ScheduleError::NoSuchItem { index: 9, len: 3 })));
    assert!(matches!(
        v.apply(6, EditOp::Trim { index: 0, in_point: Frames(0), duration: Frames(0) }),
        Err(ScheduleError::InvalidEdit(_))
    ));
}

#[test]
fn undo_walks_back_and_keeps_every_version() {
    let mut v = base();
    v.apply(1, EditOp::Delete { index: 0 }).unwrap();
    v.apply(2, EditOp::Delete { index: 0 }).unwrap();
    assert_eq!(v.undo(3).unwrap(), 4);
    assert_eq!(titles(&v), t(&[("b", 0), ("c", 200)]));
    assert_eq!(v.undo(4).unwrap(), 5);
    assert_eq!(v.current(), &v.get(1).unwrap().playlist);
    assert!(matches!(v.undo(5), Err(ScheduleError::NothingToUndo(5))));
    assert_eq!(v.versions().len(), 5);
    assert!(v.get(4).unwrap().change.starts_with("undo of version 3"));
}

#[test]
fn an_empty_history_is_refused_when_deserialised() {
    assert!(serde_json::from_str::<VersionedPlaylist>(r#"{"versions":[]}"#).is_err());
    let v = base();
    let back: VersionedPlaylist = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
    assert_eq!(back, v);
}
