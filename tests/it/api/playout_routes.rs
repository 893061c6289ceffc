//! The routes a remote playout node uses, on both backends: its as-run stored in the catalog
//! under the channel's slug, house media by checksum (with ranges), the alerts that target
//! its channel (and not another county's), and bad input answered with a 4xx that says why.

use super::common;

use catalog::channel::Channel;
use catalog::programme::Sharing;
use catalog::user::Role;
use chrono::{Duration, Utc};
use common::{App, OWN};
use reqwest::Method;
use serde_json::{json, Value};

async fn channel(app: &App) -> Channel {
    common::radio_channel(app, OWN, "miyi-radio", "米易人民广播电台").await
}

async fn send(rb: reqwest::RequestBuilder) -> (u16, Value) {
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn alert(id: &str, code: &str) -> Value {
    let now = Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let fmt = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    json!({ "id": id, "sender": format!("ops@{code}"), "sent": fmt(now), "status": "Actual", "msg_type": "Alert",
        "severity": "Severe", "urgency": "Immediate", "certainty": "Observed", "event": "暴雨", "headline": "暴雨预警",
        "description": "测试", "areas": [{ "desc": "辖区", "codes": [code] }], "effective": fmt(now),
        "expires": fmt(now + Duration::hours(1)), "resources": [], "language": "zh-CN" })
}

both!(a_nodes_as_run_is_stored_under_the_channel_and_bad_records_are_refused, |app| {
    let c = channel(&app).await;
    let path = format!("/api/channels/{}/as-run", c.id);
    let record = json!({ "item": 0, "id": "miyi-radio/2026-12-02/0", "title": "芒果种植", "source": "media://x",
        "scheduled_start_s": 0.0, "scheduled_wall": "2026-12-02T08:00:00+08:00", "actual_start_s": 0.0,
        "actual_wall": "2026-12-02T08:00:00.040+08:00", "actual_duration_s": 29.96, "start_frame": 0, "frames": 0,
        "samples": 1438080, "slate_frames": 0, "outcome": "played", "reason": null });
    let (s, b) = send(app.as_role(Role::PlayoutNode, Method::POST, &path).json(&record)).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["channel"], "miyi-radio");
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-02T00:00:00Z").unwrap().with_timezone(&Utc);
    let rows = app.store().list_as_run("miyi-radio", at, at + Duration::days(1), 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].duration_ms, 29960);
    assert_eq!(rows[0].title.as_deref(), Some("芒果种植"));
    assert_eq!(rows[0].detail["samples"], 1438080);

    // An item an override interrupted, with the engine's own outcome text.
    let mut interrupted = record.clone();
    interrupted["outcome"] = serde_json::to_value(playout::Outcome::Interrupted).unwrap();
    interrupted["reason"] = json!("interrupted by an override (alert:A-1); resumed after the override");
    interrupted["item"] = json!(1);
    interrupted["scheduled_wall"] = json!("2026-12-02T08:00:30+08:00");
    interrupted["actual_wall"] = json!("2026-12-02T08:00:30+08:00");
    let (s, b) = send(app.as_role(Role::PlayoutNode, Method::POST, &path).json(&interrupted)).await;
    assert_eq!(s, 201, "{b}");
    let rows = app.store().list_as_run("miyi-radio", at, at + Duration::days(1), 10).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.outcome.as_str()).collect::<Vec<_>>(), ["played", "interrupted"]);
    // The first item again (the backup node, or a retried post): still one line for it.
    let (s, b) = send(app.as_role(Role::PlayoutNode, Method::POST, &path).json(&record)).await;
    assert_eq!(s, 201, "{b}");
    let again = app.store().list_as_run("miyi-radio", at, at + Duration::days(1), 10).await.unwrap();
    assert_eq!(again.len(), 2, "{again:?}");
    assert_eq!(again[0].id, rows[0].id);

    for (bad, why) in [
        (json!({ "outcome": "aired", "actual_duration_s": 1.0 }), "outcome"),
        (json!({ "outcome": "played", "actual_duration_s": -1.0 }), "actual_duration_s"),
        (json!({ "outcome": "played" }), "actual_duration_s"),
        (json!({ "outcome": "played", "actual_duration_s": 1.0, "actual_wall": "yesterday" }), "not an as-run record"),
    ] {
        let (s, b) = send(app.as_role(Role::PlayoutNode, Method::POST, &path).json(&bad)).await;
        assert_eq!(s, 422, "{bad} → {b}");
        assert!(b["error"]["message"].as_str().unwrap().contains(why), "{b}");
    }
    let (s, _) = send(app.as_role(Role::PlayoutNode, Method::POST, &path).body("{ not json")).await;
    assert!((400..500).contains(&s));
    let (s, b) = send(app.as_role(
        Role::PlayoutNode,
        Method::GET,
        &format!("/api/channels/{}/playlists?from=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z", c.id),
    ))
    .await;
    assert_eq!(s, 422, "{b}");
    let (s, b) =
        send(app.as_role(Role::PlayoutNode, Method::GET, &format!("/api/channels/{}/playlists?from=yesterday", c.id)))
            .await;
    assert!((400..500).contains(&s), "{b}");
});

both!(house_media_is_served_by_checksum_with_ranges_and_bad_checksums_say_why, |app| {
    let c = channel(&app).await;
    let p = app.programme(OWN, "芒果种植", Sharing::Private).await;
    let asset = app.asset(&p, b"0123456789").await;
    let path = format!("/api/channels/{}/media/{}", c.id, asset.sha256);
    let r = app.as_role(Role::PlayoutNode, Method::GET, &path).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"0123456789");
    let r = app.as_role(Role::PlayoutNode, Method::GET, &path).header("range", "bytes=2-4").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"234");
    let (s, b) = send(app.as_role(Role::PlayoutNode, Method::GET, &format!("/api/channels/{}/media/abc", c.id))).await;
    assert_eq!(s, 422, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("SHA-256"), "{b}");
    let (s, _) =
        send(app.as_role(Role::PlayoutNode, Method::GET, &format!("/api/channels/{}/media/{}", c.id, "f".repeat(64))))
            .await;
    assert_eq!(s, 404);
});

both!(active_alerts_list_what_targets_the_channel_and_not_another_countys, |app| {
    let c = channel(&app).await;
    let (s, b) = send(app.as_role(Role::NetworkAdmin, Method::POST, "/api/alerts").json(&alert("MIYI-1", OWN))).await;
    assert_eq!(s, 202, "{b}");
    let (s, b) =
        send(app.as_role(Role::NetworkAdmin, Method::POST, "/api/alerts").json(&alert("YANBIAN-1", common::OTHER)))
            .await;
    assert_eq!(s, 202, "{b}");
    let (s, b) =
        send(app.as_role(Role::PlayoutNode, Method::GET, &format!("/api/channels/{}/alerts/active", c.id))).await;
    assert_eq!(s, 200, "{b}");
    let list = b.as_array().unwrap();
    assert_eq!(list.len(), 1, "{b}");
    assert_eq!(list[0]["alert"]["id"], "MIYI-1");
    // What the node gets is a document the desk accepts as it is.
    let report = schedules::emergency::validate_document(list[0]["alert"].to_string().as_bytes());
    assert!(report.valid, "{:?}", report.reasons);
});

both!(an_areas_alert_carries_its_scope_to_remote_nodes_and_the_catalog, |app| {
    // 米易's channel and the city's: the city's footprint (510400) contains 米易 (510421).
    let miyi = channel(&app).await;
    let city = common::radio_channel(&app, catalog::ids::CentreCode::CITY, "city-radio", "攀枝花人民广播电台").await;
    let active = |c: &Channel| {
        let rb = app.as_role(Role::NetworkAdmin, Method::GET, &format!("/api/channels/{}/alerts/active", c.id));
        async move {
            let (s, b) = send(rb).await;
            assert_eq!(s, 200, "{b}");
            b.as_array().unwrap().iter().map(|a| (a["alert"]["id"].clone(), a["scope"].clone())).collect::<Vec<_>>()
        }
    };
    // 米易's operator alerts 米易: 米易's channel gets it with the scope (the node's desk then
    // applies the same rule as `kapok serve`'s: an area's sender interrupts only channels the
    // area owns, whatever its shapes overlap), the city's does not.
    let (s, b) =
        send(app.as_role(Role::EmergencyOperator, Method::POST, "/api/alerts").json(&alert("MIYI-OWN", OWN))).await;
    assert_eq!(s, 202, "{b}");
    assert_eq!(active(&miyi).await, vec![(json!("MIYI-OWN"), json!(OWN))]);
    assert_eq!(active(&city).await, vec![]);
    // The network's administrator alerts the whole city: both channels, no scope.
    let (s, b) = send(
        app.as_role(Role::NetworkAdmin, Method::POST, "/api/alerts")
            .json(&alert("NET-CITY", catalog::ids::CentreCode::CITY)),
    )
    .await;
    assert_eq!(s, 202, "{b}");
    assert_eq!(active(&city).await, vec![(json!("NET-CITY"), Value::Null)]);
    assert_eq!(active(&miyi).await.len(), 2);
    // The scope is stored with the alert, so a restarted server (or another API node) keeps it.
    let stored = app.store().alerts_to_restore(Utc::now() - Duration::hours(1)).await.unwrap();
    let scopes: Vec<_> = stored.iter().map(|r| (r.alert["id"].clone(), r.scope.clone())).collect();
    assert!(scopes.contains(&(json!("MIYI-OWN"), Some(OWN.to_string()))), "{scopes:?}");
    assert!(scopes.contains(&(json!("NET-CITY"), None)), "{scopes:?}");
});
