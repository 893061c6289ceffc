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
        reason: None,
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
        Err(ScheduleError::InvalidEdit { .. })
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

fn kind(mut i: PlaylistItem, k: ItemKind) -> PlaylistItem {
    i.kind = k;
    i
}

/// A whole day: programme A (0..1000), fillers f1 and f2, a hard H at 1200, slate to the end.
fn full_day() -> VersionedPlaylist {
    let mut p = Playlist::empty(&channel(), NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
    let len = p.length().0;
    let mut h = it("H", 800);
    h.timing = Timing::Hard;
    h.start = Frames(1200);
    p.items = vec![
        kind(it("A", 1000), ItemKind::Programme),
        kind(it("f1", 100), ItemKind::Filler),
        kind(it("f2", 100), ItemKind::Filler),
        h,
        it("end", len - 2000),
    ];
    ripple(&mut p.items);
    VersionedPlaylist::new(p, "generated")
}

fn spans(v: &VersionedPlaylist) -> Vec<(String, i64, i64, i64)> {
    v.current().items.iter().map(|i| (i.title.clone(), i.start.0, i.duration.0, i.in_point.0)).collect()
}

#[test]
fn insert_at_splits_the_item_on_air_and_fillers_give_way_before_the_hard_item() {
    let mut v = full_day();
    let x = kind(it("X", 150), ItemKind::Programme);
    v.apply(1, EditOp::InsertAt { at: Frames(500), item: x }).unwrap();
    let s = spans(&v);
    let want = [("A", 0, 500, 0), ("X", 500, 150, 0), ("A", 650, 500, 500), ("f1", 1150, 50, 0), ("H", 1200, 800, 0)];
    for (got, w) in s.iter().zip(want) {
        assert_eq!((got.0.as_str(), got.1, got.2, got.3), w, "{s:?}");
    }
    let p = v.current();
    assert_eq!(p.items.last().unwrap().end(), p.length(), "the day keeps its length");
    assert!(v.versions()[1].change.contains("fitted: 1 removed, 1 cut"), "{}", v.versions()[1].change);
}

#[test]
fn insert_at_cuts_the_last_item_at_the_day_end() {
    let mut p = Playlist::empty(&channel(), NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
    let len = p.length().0;
    p.items = vec![kind(it("P", len - 100), ItemKind::Programme), kind(it("f", 100), ItemKind::Filler)];
    ripple(&mut p.items);
    let mut v = VersionedPlaylist::new(p, "generated");
    v.apply(1, EditOp::InsertAt { at: Frames(10), item: kind(it("X", 300), ItemKind::Programme) }).unwrap();
    let s = spans(&v);
    assert_eq!(s.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["P", "X", "P"], "{s:?}");
    assert_eq!(s[2], ("P".into(), 310, len - 100 - 10 - 200, 10), "the resumed tail gives the rest");
    assert_eq!(v.current().items.last().unwrap().end().0, len);
}

#[test]
fn insert_at_refuses_what_cannot_fit_before_a_fixed_point_and_a_fixed_start() {
    let mut v = full_day();
    let err = v.apply(1, EditOp::InsertAt { at: Frames(1100), item: it("long", 500) }).unwrap_err();
    assert!(err.to_string().contains("does not fit before H"), "{err}");
    let err = v.apply(1, EditOp::InsertAt { at: Frames(1200), item: it("x", 5) }).unwrap_err();
    assert!(err.to_string().contains("fixed time"), "{err}");
    assert_eq!(v.version(), 1, "nothing changed");
}

#[test]
fn fit_day_fills_an_empty_day_with_slate_and_cuts_the_overrun() {
    let p = Playlist::empty(&channel(), NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
    let len = p.length();
    let mut v = VersionedPlaylist::new(p, "imported");
    v.apply(1, EditOp::FitDay).unwrap();
    assert_eq!(spans(&v), vec![("slate".into(), 0, len.0, 0)]);
    v.apply(2, EditOp::Insert { index: 1, item: it("late", 50) }).unwrap();
    v.apply(3, EditOp::FitDay).unwrap();
    assert_eq!(spans(&v), vec![("slate".into(), 0, len.0, 0)], "the item wholly past the end is removed");
}

#[test]
fn every_change_an_edit_writes_reads_back_as_its_phrase() {
    let mut v = base();
    let ops = [
        (EditOp::Insert { index: 1, item: it("新 x", 50) }, "insert"),
        (EditOp::Move { from: 1, to: 0 }, "move"),
        (EditOp::Replace { index: 0, item: it("y", 50) }, "replace"),
        (EditOp::Trim { index: 0, in_point: Frames(0), duration: Frames(40) }, "trim"),
        (EditOp::Retime { index: 0, start: Frames(0), hard: true }, "retime_hard"),
        (EditOp::Retime { index: 0, start: Frames(0), hard: false }, "retime"),
        (EditOp::Lock { index: 0, locked: true }, "lock"),
        (EditOp::Lock { index: 0, locked: false }, "unlock"),
        (EditOp::Delete { index: 0 }, "delete"),
        (EditOp::InsertAt { at: Frames(10), item: it("z", 20) }, "insert_at"),
        (EditOp::FitDay, "fit_day"),
    ];
    for (op, code) in ops {
        let n = v.apply(v.version(), op).unwrap();
        let change = &v.get(n).unwrap().change;
        assert_eq!(crate::phrase::change(change).code, code, "{change}");
    }
    let n = v.undo(v.version()).unwrap();
    assert_eq!(crate::phrase::change(&v.get(n).unwrap().change).code, "undo");
}
