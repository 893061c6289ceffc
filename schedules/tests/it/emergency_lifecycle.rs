//! The lifecycle driven by the fixtures: alert, update, cancel, EBM cancel, expiry.

use chrono::{DateTime, Utc};
use schedules::emergency::lifecycle::{AlertState, Lifecycle, Received};
use schedules::emergency::{Alert, AlertTime, EmergencyError};

use crate::fixtures::alert;

fn at(s: &str) -> DateTime<Utc> {
    AlertTime::parse_cap(s).unwrap().utc()
}

fn accepted(r: Received) -> Vec<(Option<AlertState>, AlertState)> {
    match r {
        Received::Accepted(ts) => ts.into_iter().map(|t| (t.from, t.to)).collect(),
        Received::Duplicate => panic!("unexpected duplicate"),
    }
}

#[test]
fn alert_walks_the_happy_path_and_records_each_step() {
    let mut lc = Lifecycle::new();
    let a = alert("cap_flood_extreme_miyi.xml");
    let key = a.key();
    lc.receive(a, at("2026-07-01T08:30:01+08:00")).unwrap();
    for (to, when) in [
        (AlertState::Verified, "2026-07-01T08:30:02+08:00"),
        (AlertState::Scheduled, "2026-07-01T08:30:02+08:00"),
        (AlertState::OnAir, "2026-07-01T08:30:03+08:00"),
        (AlertState::Scheduled, "2026-07-01T08:31:30+08:00"),
        (AlertState::OnAir, "2026-07-01T08:40:03+08:00"),
        (AlertState::Completed, "2026-07-01T08:41:30+08:00"),
    ] {
        lc.advance(&key, to, at(when)).unwrap();
    }
    let tracked = lc.get(&key).unwrap();
    assert_eq!(tracked.state, AlertState::Completed);
    assert_eq!(tracked.history.len(), 7);
    assert!(lc.live().next().is_none());
}

#[test]
fn steps_out_of_order_are_refused() {
    let mut lc = Lifecycle::new();
    let a = alert("cap_flood_extreme_miyi.xml");
    let key = a.key();
    lc.receive(a, at("2026-07-01T08:30:01+08:00")).unwrap();
    let err = lc.advance(&key, AlertState::OnAir, at("2026-07-01T08:30:02+08:00")).unwrap_err();
    assert!(matches!(err, EmergencyError::InvalidTransition { from: AlertState::Received, .. }), "{err}");
}

#[test]
fn same_alert_twice_is_a_duplicate() {
    let mut lc = Lifecycle::new();
    let now = at("2026-07-01T08:30:01+08:00");
    lc.receive(alert("cap_flood_extreme_miyi.xml"), now).unwrap();
    assert_eq!(lc.receive(alert("cap_flood_extreme_miyi.xml"), now).unwrap(), Received::Duplicate);
}

#[test]
fn update_supersedes_and_cancel_stops_both() {
    let mut lc = Lifecycle::new();
    let original = alert("cap_flood_extreme_miyi.xml");
    let update = alert("cap_update.xml");
    let (ko, ku) = (original.key(), update.key());
    lc.receive(original, at("2026-07-01T08:30:01+08:00")).unwrap();
    lc.advance(&ko, AlertState::Verified, at("2026-07-01T08:30:02+08:00")).unwrap();
    let steps = accepted(lc.receive(update, at("2026-07-01T10:30:01+08:00")).unwrap());
    assert_eq!(steps, [(Some(AlertState::Verified), AlertState::Superseded), (None, AlertState::Received)]);
    assert_eq!(lc.state(&ko), Some(AlertState::Superseded));
    let steps = accepted(lc.receive(alert("cap_cancel.xml"), at("2026-07-01T15:00:01+08:00")).unwrap());
    assert_eq!(steps, [(Some(AlertState::Received), AlertState::Cancelled), (None, AlertState::Completed)]);
    assert_eq!(lc.state(&ku), Some(AlertState::Cancelled));
    assert_eq!(lc.state(&ko), Some(AlertState::Superseded));
}

#[test]
fn cancel_or_update_of_unknown_alert_is_an_error() {
    let mut lc = Lifecycle::new();
    let err = lc.receive(alert("cap_cancel.xml"), at("2026-07-01T15:00:01+08:00")).unwrap_err();
    assert!(matches!(err, EmergencyError::UnknownReference(_)), "{err}");
    let err = lc.receive(alert("cap_update.xml"), at("2026-07-01T10:30:01+08:00")).unwrap_err();
    assert!(matches!(err, EmergencyError::UnknownReference(_)), "an update of nothing known: {err}");
    let err = lc.receive(alert("ebm_cancel.xml"), at("2026-07-01T15:00:01+08:00")).unwrap_err();
    assert!(matches!(err, EmergencyError::UnknownReference(_)), "{err}");
}

#[test]
fn ebm_cancel_stops_the_ebm_with_the_same_id() {
    let mut lc = Lifecycle::new();
    let publish = alert("ebm_publish_miyi.xml");
    let key = publish.key();
    lc.receive(publish, at("2026-07-01T08:30:06+08:00")).unwrap();
    let steps = accepted(lc.receive(alert("ebm_cancel.xml"), at("2026-07-01T15:00:01+08:00")).unwrap());
    assert_eq!(steps, [(Some(AlertState::Received), AlertState::Cancelled)]);
    assert_eq!(lc.state(&key), Some(AlertState::Cancelled));
    assert_eq!(lc.receive(alert("ebm_cancel.xml"), at("2026-07-01T15:00:02+08:00")).unwrap(), Received::Duplicate);
}

#[test]
fn expiry_ends_live_alerts_and_late_arrivals_are_born_expired() {
    let mut lc = Lifecycle::new();
    let a = alert("cap_flood_extreme_miyi.xml");
    let key = a.key();
    lc.receive(a, at("2026-07-01T08:30:01+08:00")).unwrap();
    assert!(lc.expire_due(at("2026-07-01T20:29:59+08:00")).is_empty());
    let ts = lc.expire_due(at("2026-07-01T20:30:00+08:00"));
    assert_eq!(ts.len(), 1);
    assert_eq!(lc.state(&key), Some(AlertState::Expired));

    let mut lc = Lifecycle::new();
    let steps = accepted(lc.receive(alert("cap_flood_extreme_miyi.xml"), at("2026-07-02T00:00:00+08:00")).unwrap());
    assert_eq!(steps, [(None, AlertState::Expired)]);
}

#[test]
fn ended_alerts_older_than_the_cutoff_are_forgotten_live_ones_kept() {
    let mut lc = Lifecycle::new();
    let original = alert("cap_flood_extreme_miyi.xml");
    let ko = original.key();
    lc.receive(original, at("2026-07-01T08:30:01+08:00")).unwrap();
    let update = alert("cap_update.xml");
    let ku = update.key();
    lc.receive(update, at("2026-07-01T10:30:01+08:00")).unwrap();
    assert_eq!(lc.forget_ended_before(at("2026-07-01T08:00:00+08:00")), 0);
    assert_eq!(lc.forget_ended_before(at("2026-07-01T12:00:00+08:00")), 1);
    assert_eq!(lc.state(&ko), None);
    assert_eq!(lc.state(&ku), Some(AlertState::Received));
}

#[test]
fn an_alert_restored_from_its_stored_json_is_known_to_cancel_and_duplicates() {
    let original = alert("cap_update.xml");
    let stored = serde_json::to_value(&original).unwrap();
    let back: Alert = serde_json::from_value(stored).unwrap();
    assert_eq!(back, original, "the JSON form round-trips");
    let mut lc = Lifecycle::new();
    let key = back.key();
    let received = at("2026-07-01T10:30:01+08:00");
    let history = vec![schedules::emergency::lifecycle::Transition {
        at: received,
        key: key.clone(),
        from: None,
        to: AlertState::Received,
    }];
    let state = AlertState::parse(AlertState::Scheduled.as_str()).unwrap();
    lc.restore(schedules::emergency::lifecycle::Tracked { alert: back, state, history });
    assert_eq!(lc.receive(alert("cap_update.xml"), received).unwrap(), Received::Duplicate);
    let steps = accepted(lc.receive(alert("cap_cancel.xml"), at("2026-07-01T15:00:01+08:00")).unwrap());
    assert_eq!(steps[0], (Some(AlertState::Scheduled), AlertState::Cancelled));
    assert_eq!(AlertState::parse("on_air"), Some(AlertState::OnAir));
    assert_eq!(AlertState::parse("bogus"), None);
}
