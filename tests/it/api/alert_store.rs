//! The emergency desk's memory: alerts and every step stored and audited, known again after a
//! restart (a Cancel referring to one works, a resend is a duplicate), expired by the timer,
//! reported per alert; bad input (unknown references, floods of duplicates, oversized
//! payloads) refused and nothing stored as airing — on SQLite and PostgreSQL.

use super::common;

use std::time::{Duration, Instant};

use catalog::user::Role;
use common::{error_of, urlencode, OWN};
use reqwest::Method;
use serde_json::{json, Value};

fn fmt(t: chrono::DateTime<chrono::Utc>) -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    t.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn alert(id: &str, msg_type: &str, expires_in: chrono::Duration, references: Option<Value>) -> Value {
    let now = chrono::Utc::now();
    let mut a = json!({ "id": id, "sender": "miyi-emergency@510421", "sent": fmt(now), "status": "Actual",
        "msg_type": msg_type, "severity": "Severe", "urgency": "Immediate", "certainty": "Observed",
        "event": "暴雨", "headline": "米易县暴雨橙色预警", "areas": [{ "desc": "米易县", "codes": [OWN] }],
        "effective": fmt(now), "expires": fmt(now + expires_in), "resources": [], "language": "zh-CN" });
    if let Some(r) = references {
        a["references"] = json!([r]);
    }
    a
}

/// The JSON form of a reference to alert `a`.
fn reference(a: &Value) -> Value {
    json!({ "sender": a["sender"], "identifier": a["id"], "sent": a["sent"] })
}

async fn send(app: &common::App, a: &Value) -> reqwest::Response {
    app.as_role(Role::EmergencyOperator, Method::POST, "/api/alerts").json(a).send().await.unwrap()
}

async fn history(app: &common::App, key: &str) -> Value {
    let r = app.as_role(Role::Viewer, Method::GET, &format!("/api/alerts/{}", urlencode(key))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

both!(an_accepted_alert_is_stored_with_its_history_and_audited, |app| {
    let a = alert("STORE-1", "Alert", chrono::Duration::hours(1), None);
    let r = send(&app, &a).await;
    assert_eq!(r.status(), 202);
    let receipt: Value = r.json().await.unwrap();
    let key = receipt["key"].as_str().unwrap().to_string();
    let h = history(&app, &key).await;
    assert_eq!(h["state"], "verified", "no channel runs in this process: verified, not scheduled");
    assert_eq!(h["alert"]["headline"], "米易县暴雨橙色预警");
    assert_eq!(h["history"][0]["event"], "received");
    let audit = app.store().audit_for_object("alert", &key).await.unwrap();
    assert_eq!(audit[0].action, "alert.receive");
    assert_eq!(audit[0].actor.as_str(), "user:emergency_operator-user", "the sender is audited");
    assert_eq!(h["history"][1]["note"], "sent by user:emergency_operator-user");
    let report: Value = app
        .as_role(Role::Viewer, Method::GET, &format!("/api/alerts/{}/report", urlencode(&key)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["channels"], json!([]), "aired nowhere: {report}");
    let missing = app.as_role(Role::Viewer, Method::GET, "/api/alerts/cap:nobody,none,2026").send().await.unwrap();
    let (status, _, message) = error_of(missing).await;
    assert_eq!(status, 404);
    assert!(message.contains("no alert"), "{message}");
});

both!(after_a_restart_a_stored_alert_is_known_to_cancel_and_to_duplicates, |app| {
    let original = alert("RESTART-1", "Alert", chrono::Duration::hours(1), None);
    assert_eq!(send(&app, &original).await.status(), 202);
    // A new desk over the same catalog: what a restarted server has.
    let desk = kapok::desk::EmergencyDesk::new(std::env::temp_dir().join("kapok-alert-restart"));
    let restored = kapok::desk::log::restore(&desk, app.store(), chrono::Utc::now()).await.unwrap();
    assert_eq!(restored, 1);
    let again = desk.receive(original.to_string().as_bytes(), chrono::Utc::now()).unwrap();
    assert_eq!(again.outcome, "duplicate", "the restarted desk remembers the alert");
    let cancel = alert("RESTART-1-CANCEL", "Cancel", chrono::Duration::hours(1), Some(reference(&original)));
    let receipt = desk.receive(cancel.to_string().as_bytes(), chrono::Utc::now()).unwrap();
    assert_eq!(receipt.outcome, "accepted");
    kapok::desk::log::flush(&desk, app.store()).await;
    let key = format!("cap:miyi-emergency@510421,RESTART-1,{}", {
        let sent = chrono::DateTime::parse_from_rfc3339(original["sent"].as_str().unwrap()).unwrap();
        sent.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%SZ")
    });
    let h = history(&app, &key).await;
    assert_eq!(h["state"], "cancelled", "{h}");
    let steps: Vec<&str> = h["history"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(steps, ["received", "verified", "cancelled"]);
});

both!(an_alert_whose_expiry_passes_is_marked_expired_by_the_timer, |app| {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let timer = tokio::spawn(kapok::desk::log::run_timer(app.desk.clone(), app.store().clone(), async {
        let _ = stop_rx.await;
    }));
    let a = alert("EXPIRES-SOON", "Alert", chrono::Duration::seconds(2), None);
    let receipt: Value = send(&app, &a).await.json().await.unwrap();
    let key = receipt["key"].as_str().unwrap().to_string();
    assert_eq!(history(&app, &key).await["state"], "verified");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let h = history(&app, &key).await;
        if h["state"] == "expired" {
            assert_eq!(h["history"].as_array().unwrap().last().unwrap()["from_state"], "verified");
            break;
        }
        assert!(Instant::now() < deadline, "not expired 13 s after its expiry: {h}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(app.desk.alerts().is_empty(), "an expired alert is no longer live");
    let _ = stop_tx.send(());
    timer.await.unwrap();
});

both!(update_or_cancel_of_an_unknown_alert_is_refused_and_stores_nothing, |app| {
    let ghost = alert("NEVER-SENT", "Alert", chrono::Duration::hours(1), None);
    let cancel = alert("GHOST-CANCEL", "Cancel", chrono::Duration::hours(1), Some(reference(&ghost)));
    let (status, _, message) = error_of(send(&app, &cancel).await).await;
    assert_eq!(status, 422);
    assert!(message.contains("NEVER-SENT"), "{message}");
    let update = alert("GHOST-UPDATE", "Update", chrono::Duration::hours(1), Some(reference(&ghost)));
    let (status, _, message) = error_of(send(&app, &update).await).await;
    assert_eq!(status, 422);
    assert!(message.contains("NEVER-SENT"), "{message}");
    assert!(app.desk.alerts().is_empty(), "nothing taken in");
    assert!(app.store().alerts_to_restore(chrono::Utc::now() - chrono::Duration::hours(1)).await.unwrap().is_empty());
});

both!(a_flood_of_one_alert_is_stored_once_and_the_rest_are_duplicates, |app| {
    let a = alert("FLOOD-1", "Alert", chrono::Duration::hours(1), None);
    let mut accepted = 0;
    let mut duplicates = 0;
    let started = Instant::now();
    for _ in 0..1000 {
        let r: Value = send(&app, &a).await.json().await.unwrap();
        match r["outcome"].as_str().unwrap() {
            "accepted" => accepted += 1,
            "duplicate" => duplicates += 1,
            other => panic!("{other}"),
        }
    }
    let took = started.elapsed().as_secs_f64();
    // Read by bench/alert-store.sh; not asserted (speed is measured there, not tested).
    eprintln!(
        "ALERT-FLOOD {:?}: 1000 POSTs of one alert in {took:.2} s ({:.0}/s)",
        app.store().backend(),
        1000.0 / took
    );
    assert_eq!((accepted, duplicates), (1, 999));
    let key = app.desk.alerts()[0].alert.key().to_string();
    let h = history(&app, &key).await;
    assert_eq!(h["history"].as_array().unwrap().len(), 2, "one alert, received and verified once: {h}");
    assert_eq!(app.store().audit_for_object("alert", &key).await.unwrap().len(), 2);
});

both!(an_oversized_alert_is_refused_with_a_reason_and_stores_nothing, |app| {
    let mut a = alert("HUGE-1", "Alert", chrono::Duration::hours(1), None);
    a["description"] = json!("洪".repeat(schedules::emergency::MAX_DOCUMENT_BYTES));
    let (status, code, message) = error_of(send(&app, &a).await).await;
    assert!(status == 413 || status == 422, "{status} {code} {message}");
    assert!(app.desk.alerts().is_empty());
    assert!(app.store().alerts_to_restore(chrono::Utc::now() - chrono::Duration::hours(1)).await.unwrap().is_empty());
});

both!(an_alert_already_expired_when_it_arrives_is_stored_as_expired_and_never_scheduled, |app| {
    let mut a = alert("LATE-1", "Alert", chrono::Duration::hours(1), None);
    let sent = chrono::Utc::now() - chrono::Duration::hours(2);
    a["sent"] = json!(fmt(sent));
    a["effective"] = json!(fmt(sent));
    a["expires"] = json!(fmt(sent + chrono::Duration::hours(1)));
    let r = send(&app, &a).await;
    assert_eq!(r.status(), 202);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["state"], "expired");
    assert_eq!(receipt["channels"], json!([]));
    let h = history(&app, receipt["key"].as_str().unwrap()).await;
    let steps: Vec<&str> = h["history"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(steps, ["expired"], "born expired: never verified, scheduled or aired");
    assert!(app.desk.alerts().is_empty());
});

both!(a_body_over_the_request_limit_is_413_json_and_stores_nothing, |app| {
    let body = vec![b'x'; web::app::BODY_LIMIT + 1];
    let r = app
        .as_role(Role::EmergencyOperator, Method::POST, "/api/alerts")
        .header("content-type", "application/xml")
        .body(body)
        .send()
        .await;
    // The server may answer 413 and close while the client is still writing the body; the
    // client then sees the connection end (broken pipe) instead of the answer. Either way
    // nothing is accepted.
    match r {
        Ok(r) => {
            let (status, code, _) = error_of(r).await;
            assert_eq!((status, code.as_str()), (413, "too_large"));
        }
        Err(e) => assert!(e.is_request() && !e.is_timeout(), "{e}"),
    }
    assert!(app.desk.alerts().is_empty());
});

both!(steps_the_catalog_could_not_take_are_written_in_order_once_it_answers, |app| {
    let desk = kapok::desk::EmergencyDesk::new(std::env::temp_dir().join("kapok-alert-outage"));
    let down = catalog::testing::sqlite_store().await;
    down.store.close().await;
    let a = alert("OUTAGE-1", "Alert", chrono::Duration::hours(1), None);
    let receipt = desk.receive(a.to_string().as_bytes(), chrono::Utc::now()).unwrap();
    assert_eq!(receipt.outcome, "accepted");
    kapok::desk::log::flush(&desk, &down.store).await;
    kapok::desk::log::flush(&desk, &down.store).await;
    let missing = app.as_role(Role::Viewer, Method::GET, &format!("/api/alerts/{}", urlencode(&receipt.key)));
    assert_eq!(missing.send().await.unwrap().status(), 404, "nothing could be stored yet");
    // Steps queued during the outage come after those kept from before it.
    let cancel = alert("OUTAGE-1-CANCEL", "Cancel", chrono::Duration::hours(1), Some(reference(&a)));
    assert_eq!(desk.receive(cancel.to_string().as_bytes(), chrono::Utc::now()).unwrap().outcome, "accepted");
    kapok::desk::log::flush(&desk, app.store()).await;
    let h = history(&app, &receipt.key).await;
    let steps: Vec<&str> = h["history"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(steps, ["received", "verified", "cancelled"], "{h}");
    assert!(desk.take_records().is_empty(), "nothing left queued");
});

both!(ended_alerts_past_their_retention_are_deleted_and_live_ones_kept, |app| {
    let ended = alert("PRUNE-1", "Alert", chrono::Duration::hours(1), None);
    assert_eq!(send(&app, &ended).await.status(), 202);
    let cancel = alert("PRUNE-1-CANCEL", "Cancel", chrono::Duration::hours(1), Some(reference(&ended)));
    assert_eq!(send(&app, &cancel).await.status(), 202);
    let live = alert("PRUNE-2", "Alert", chrono::Duration::hours(1), None);
    assert_eq!(send(&app, &live).await.status(), 202);
    let key = |a: &Value| {
        let sent = chrono::DateTime::parse_from_rfc3339(a["sent"].as_str().unwrap()).unwrap();
        format!(
            "cap:miyi-emergency@510421,{},{}",
            a["id"].as_str().unwrap(),
            sent.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%SZ")
        )
    };
    // Within the retention: nothing goes.
    kapok::desk::log::prune(&app.desk, app.store(), chrono::Utc::now()).await;
    assert_eq!(history(&app, &key(&ended)).await["state"], "cancelled");
    // Past it (the default 730 days, plus one): the ended alert and its steps go, the live one stays.
    let later = chrono::Utc::now() + chrono::Duration::days(731);
    kapok::desk::log::prune(&app.desk, app.store(), later).await;
    assert!(matches!(app.store().get_alert(&key(&ended)).await, Err(catalog::CatalogError::NotFound { .. })));
    assert!(app.store().alert_events(&key(&ended)).await.unwrap().is_empty());
    assert_eq!(history(&app, &key(&live)).await["state"], "verified");
});

both!(a_headline_naming_another_colour_than_the_severity_is_accepted_with_a_warning, |app| {
    let agrees: Value =
        send(&app, &alert("COLOUR-1", "Alert", chrono::Duration::hours(1), None)).await.json().await.unwrap();
    assert!(agrees.get("warnings").is_none(), "{agrees}");
    let mut red = alert("COLOUR-2", "Alert", chrono::Duration::hours(1), None);
    red["headline"] = json!("米易县暴雨红色预警"); // severity Severe draws orange
    let r = send(&app, &red).await;
    assert_eq!(r.status(), 202);
    let body: Value = r.json().await.unwrap();
    let w = body["warnings"][0].as_str().unwrap_or_default();
    assert!(w.contains("红色") && w.contains("橙色"), "{body}");
});

both!(an_alert_taken_in_by_one_api_node_reaches_the_others_and_a_cancel_sent_to_another_ends_it, |app| {
    // 米易's channel; its remote node follows the alerts of whichever API node it reaches.
    let channel = common::radio_channel(&app, OWN, "miyi-radio", "米易人民广播电台").await;
    // A second API node over the same catalog, with its own desk and its desk's timer.
    let dir = tempfile::tempdir().unwrap();
    let desk2 = kapok::desk::EmergencyDesk::new(dir.path().join("work"));
    let media = catalog::media::MediaStore::local(dir.path()).unwrap();
    let state2 = web::state::AppState::new(app.store().clone(), media, std::sync::Arc::new(desk2.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base2 = format!("http://{}", listener.local_addr().unwrap());
    let router = web::app::router(state2);
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });
    tokio::spawn(kapok::desk::log::run_timer(desk2.clone(), app.store().clone(), std::future::pending()));
    let token = app.token(Role::EmergencyOperator).to_string();
    let active_on = |base: String| {
        let rb = app.http.get(format!("{base}/api/channels/{}/alerts/active", channel.id)).bearer_auth(token.clone());
        async move {
            let v: Value = rb.send().await.unwrap().json().await.unwrap();
            v.as_array().unwrap().iter().map(|a| a["alert"]["id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        }
    };
    tokio::time::sleep(Duration::from_millis(600)).await; // the second node's timer has its mark

    // Sent to node 1: node 2's stream has it within a second.
    let a = alert("PEER-1", "Alert", chrono::Duration::hours(1), None);
    let sent_at = Instant::now();
    let r = send(&app, &a).await;
    assert_eq!(r.status(), 202);
    let key = r.json::<Value>().await.unwrap()["key"].as_str().unwrap().to_string();
    while active_on(base2.clone()).await != vec!["PEER-1".to_string()] {
        assert!(sent_at.elapsed() < Duration::from_secs(1), "node 2 never heard of node 1's alert");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("node 2 had node 1's alert after {:?}", sent_at.elapsed());

    // A Cancel sent to node 2 finds it there (it would have been refused as an unknown
    // reference before) and ends it on node 1 when node 1 reads the catalog.
    let cancel = alert("PEER-1-X", "Cancel", chrono::Duration::hours(1), Some(reference(&a)));
    let r = app.http.post(format!("{base2}/api/alerts")).bearer_auth(token.clone()).json(&cancel).send().await.unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    assert_eq!(active_on(base2.clone()).await, Vec::<String>::new());
    let mut mark = kapok::desk::log::PeerMark::default();
    let taken = kapok::desk::log::pull_peers(&app.desk, app.store(), &mut mark, chrono::Utc::now()).await;
    assert_eq!(taken, 1, "node 1 takes in node 2's Cancel (its own alert it knew)");
    assert_eq!(active_on(app.url("")).await, Vec::<String>::new());
    kapok::desk::log::flush(&app.desk, app.store()).await;
    // Each step is stored once, by the node that took the message in.
    let stored = app.store().alert_events(&key).await.unwrap();
    let steps: Vec<&str> = stored.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(steps, ["received", "verified", "cancelled"], "{stored:?}");
    // The scope (米易's operator: 米易) is stored with both messages.
    assert_eq!(app.store().get_alert(&key).await.unwrap().scope.as_deref(), Some(OWN));
});
