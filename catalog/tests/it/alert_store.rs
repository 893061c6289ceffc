//! Emergency alerts in the catalog: stored once by key, every step kept in order and audited,
//! live and recent alerts reloadable after a restart — on SQLite and PostgreSQL.

use catalog::alert::{AlertEvent, NewAlertRecord};
use catalog::audit::Actor;
use catalog::both_backends;
use catalog::{CatalogError, Store};
use chrono::{TimeDelta, Utc};

fn new_alert(key: &str, sent_ago_s: i64, state: &str) -> NewAlertRecord {
    let now = Utc::now();
    NewAlertRecord {
        key: key.into(),
        kind: "json".into(),
        msg_type: "Alert".into(),
        sender: "desk@510400".into(),
        sent: now - TimeDelta::seconds(sent_ago_s),
        expires: Some(now + TimeDelta::hours(1)),
        state: state.into(),
        alert: serde_json::json!({ "id": key, "headline": "暴雨红色预警" }),
        received_at: now,
        scope: None,
    }
}

both_backends!(an_alert_is_stored_once_by_key_and_a_duplicate_changes_nothing, |store: Store| async move {
    let actor = Actor::user("operator");
    assert!(store.insert_alert(&actor, &new_alert("cap:a,1,2026", 0, "received")).await.unwrap());
    let mut again = new_alert("cap:a,1,2026", 0, "received");
    again.alert = serde_json::json!({ "id": "changed" });
    assert!(!store.insert_alert(&actor, &again).await.unwrap(), "second insert of the key is a duplicate");
    let stored = store.get_alert("cap:a,1,2026").await.unwrap();
    assert_eq!(stored.alert["headline"], "暴雨红色预警");
    assert_eq!(stored.state, "received");
    assert_eq!(store.alert_events("cap:a,1,2026").await.unwrap().len(), 1);
    assert!(matches!(store.get_alert("cap:nope").await, Err(CatalogError::NotFound { .. })));
});

both_backends!(every_step_of_an_alert_is_kept_in_order_and_audited, |store: Store| async move {
    let actor = Actor::system("emergency");
    let key = "ebm:10234000000000000001";
    store.insert_alert(&actor, &new_alert(key, 0, "received")).await.unwrap();
    let t = Utc::now();
    let steps = [
        AlertEvent::state(t, Some("received"), "verified"),
        AlertEvent::state(t, Some("verified"), "scheduled"),
        AlertEvent::airing(t, "miyi-tv", 0, "on_air", None),
        AlertEvent::state(t, Some("scheduled"), "on_air"),
    ];
    store.record_alert_events(&actor, key, &steps).await.unwrap();
    store
        .record_alert_events(&actor, key, &[AlertEvent::airing(t, "miyi-tv", 0, "completed", Some("resumed".into()))])
        .await
        .unwrap();
    assert_eq!(store.get_alert(key).await.unwrap().state, "on_air", "an airing event is not a state");
    let events = store.alert_events(key).await.unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["received", "verified", "scheduled", "on_air", "on_air", "completed"]);
    assert_eq!(events[3].channel.as_deref(), Some("miyi-tv"));
    assert_eq!(events[5].note.as_deref(), Some("resumed"));
    let audit = store.audit_for_object("alert", key).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["alert.receive", "alert.state", "alert.state", "alert.airing", "alert.state", "alert.airing"]);
    assert_eq!(audit[1].before.as_ref().unwrap()["state"], "received");
    assert_eq!(audit[1].after.as_ref().unwrap()["state"], "verified");
    let unknown = store.record_alert_events(&actor, "cap:unknown", &steps).await;
    assert!(matches!(unknown, Err(CatalogError::NotFound { .. })));
});

both_backends!(live_and_recent_alerts_are_restored_and_old_ended_ones_are_not, |store: Store| async move {
    let actor = Actor::system("emergency");
    store.insert_alert(&actor, &new_alert("live-old", 7200, "received")).await.unwrap();
    store.insert_alert(&actor, &new_alert("ended-recent", 60, "received")).await.unwrap();
    store.insert_alert(&actor, &new_alert("ended-old", 7200, "received")).await.unwrap();
    let t = Utc::now();
    for key in ["ended-recent", "ended-old"] {
        store.record_alert_events(&actor, key, &[AlertEvent::state(t, Some("received"), "cancelled")]).await.unwrap();
    }
    let restored = store.alerts_to_restore(t - TimeDelta::hours(1)).await.unwrap();
    let keys: Vec<&str> = restored.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["live-old", "ended-recent"]);
    assert!(!restored[0].is_terminal());
    assert!(restored[1].is_terminal());
});

// A step reads the alert's state before it writes. On SQLite a transaction that reads first
// and writes later fails at once with SQLITE_BUSY when another connection wrote in between
// (its WAL snapshot is stale, and no busy timeout applies), so every write transaction takes
// the write lock when it begins. Here as-run lines are written from other connections all
// the while; every step must be kept.
both_backends!(steps_written_while_others_write_are_all_kept, |store: Store| async move {
    let actor = Actor::system("emergency");
    let key = "cap:busy,1,2026";
    store.insert_alert(&actor, &new_alert(key, 0, "received")).await.unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (store, stop) = (store.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let line = catalog::asrun::AsRunEntry {
                        id: 0,
                        channel: format!("busy-{w}"),
                        item_id: None,
                        title: None,
                        source: None,
                        scheduled_start: None,
                        actual_start: Utc::now(),
                        duration_ms: 0,
                        outcome: "played".into(),
                        reason: None,
                        detail: serde_json::json!({}),
                    };
                    store.record_as_run(&line).await.unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let steps = 150;
    let mut failed = Vec::new();
    for i in 0..steps {
        let step = AlertEvent::airing(Utc::now(), "miyi-tv", i, "on_air", None);
        if let Err(e) = store.record_alert_events(&actor, key, &[step]).await {
            failed.push(e.to_string());
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut written = 0;
    for w in writers {
        written += w.await.unwrap();
    }
    assert!(written > 0, "the other writers ran");
    assert!(
        failed.is_empty(),
        "{} of {steps} steps failed beside {written} as-run writes: {:?}",
        failed.len(),
        failed.first()
    );
    assert_eq!(store.alert_events(key).await.unwrap().len(), 1 + steps as usize);
});
