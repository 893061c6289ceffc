//! Who may send, update and cancel which alert, over the API with real channel engines on
//! both databases: the city's and 米易's emergency operators × Alert / Update / Cancel × their
//! own alert / the other's × area codes / circle / polygon. A refused message airs nothing and
//! takes nothing off air; a county reaches only its own channels, whatever its shapes overlap.

use std::time::Duration;

use catalog::audit::Actor;
use catalog::user::Role;
use kapok::desk::DeskChannel;
use playout::{start_realtime, OnAirPlaylist, OutputTarget, RealtimeChannel, ResumePolicy};
use schedules::emergency::geo::Polygon;
use schedules::emergency::lifecycle::AlertState;
use schedules::emergency::targeting::{ChannelCoverage, ChannelId, ChannelKind};
use schedules::emergency::AreaCode;
use serde_json::{json, Value};

use super::common;

/// Footprints: the city's channel covers the whole city, 米易's channel 米易 (inside it).
const CITY: &str = "26.0,101.0 27.5,101.0 27.5,102.5 26.0,102.5 26.0,101.0";
const MIYI: &str = "26.6,101.8 27.1,101.8 27.1,102.3 26.6,102.3 26.6,101.8";

/// A radio channel airing slate and silence for ten minutes (its source does not exist).
fn radio(dir: &std::path::Path, name: &str) -> (RealtimeChannel, playout::timeline::ChannelFormat) {
    let json = json!({ "format": { "kind": "radio", "sample_rate": 48000, "channels": 2 },
        "items": [{ "source": dir.join("none.wav"), "duration": 600.0 }] });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let format = playlist.format;
    let live = start_realtime(playlist, &[OutputTarget::File(dir.join(format!("{name}.ts")))]).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while live.handle().status().samples_out < 24_000 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    (live, format)
}

fn desk_channel(
    (live, format): &(RealtimeChannel, playout::timeline::ChannelFormat),
    id: &str,
    code: &str,
    footprint: &str,
) -> DeskChannel {
    DeskChannel {
        coverage: ChannelCoverage {
            id: ChannelId(id.into()),
            kind: ChannelKind::Radio,
            area_codes: vec![AreaCode::parse(code).unwrap()],
            allows_drills: true,
            polygon: Some(Polygon::parse_cap(footprint).unwrap()),
        },
        format: *format,
        engine: live.handle().clone(),
        resume: ResumePolicy::ResumeItem,
    }
}

fn sent() -> (String, String) {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let now = chrono::Utc::now().with_timezone(&tz);
    let f = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    (f(now), f(now + chrono::Duration::hours(1)))
}

/// A Severe alert (`msg_type` Alert/Update/Cancel) with `area` and `references`.
fn alert(id: &str, sender: &str, msg_type: &str, area: Value, references: &[&Value]) -> Value {
    let (now, expires) = sent();
    let refs: Vec<Value> =
        references.iter().map(|r| json!({ "sender": r["sender"], "identifier": r["id"], "sent": r["sent"] })).collect();
    let mut a = json!({ "id": id, "sender": sender, "sent": now, "status": "Actual", "msg_type": msg_type,
        "severity": "Severe", "urgency": "Immediate", "certainty": "Observed", "event": "山洪",
        "headline": "山洪橙色预警", "description": "安宁河水位上涨。", "areas": [area], "expires": expires,
        "language": "zh-CN" });
    if !refs.is_empty() {
        a["references"] = Value::Array(refs);
    }
    a
}

fn codes(c: &[&str]) -> Value {
    json!({ "desc": "区域", "codes": c })
}

fn circle(lat: f64, lon: f64, km: f64) -> Value {
    json!({ "desc": "圆形区域", "codes": [], "circles": [{ "centre": [lat, lon], "radius_km": km }] })
}

fn polygon(ring: &[[f64; 2]]) -> Value {
    json!({ "desc": "多边形区域", "codes": [], "polygons": [ring] })
}

fn square(lat: f64, lon: f64, size: f64) -> Vec<[f64; 2]> {
    vec![[lat, lon], [lat + size, lon], [lat + size, lon + size], [lat, lon + size], [lat, lon]]
}

both!(alert_authority_matrix, |app| {
    let dir = tempfile::tempdir().unwrap();
    let (city_live, miyi_live) = (radio(dir.path(), "city"), radio(dir.path(), "miyi"));
    app.desk.add_channel(desk_channel(&city_live, "city-radio", "510400", CITY));
    app.desk.add_channel(desk_channel(&miyi_live, "miyi-radio", "510421", MIYI));
    let city_user = app.user("city-duty", Role::EmergencyOperator, "510400").await;
    let (_, city_token) =
        web::routes::users::issue(app.store(), &Actor::system("test"), &city_user, "t", Role::EmergencyOperator, None)
            .await
            .unwrap();
    let county_token = app.token(Role::EmergencyOperator).to_string(); // 米易 (510421)
    let post = |token: String, body: Value| {
        let req = app.http.post(app.url("/api/alerts")).bearer_auth(token).json(&body);
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or_default())
        }
    };
    let aired = |v: &Value| -> Vec<String> {
        let mut c: Vec<String> = v["channels"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default();
        c.sort();
        c
    };
    // The stored state, as the API reports it.
    let state_of = |key: &str| {
        let req =
            app.http.get(app.url(&format!("/api/alerts/{}", common::urlencode(key)))).bearer_auth(city_token.clone());
        async move {
            let v: Value = req.send().await.unwrap().json().await.unwrap();
            v["state"].as_str().and_then(AlertState::parse)
        }
    };

    // The city's alert for the whole network reaches both channels.
    let city_alert = alert("CITY-1", "duty@510400", "Alert", codes(&["510400"]), &[]);
    let (s, r) = post(city_token.clone(), city_alert.clone()).await;
    assert_eq!((s, aired(&r)), (202, vec!["city-radio".to_string(), "miyi-radio".to_string()]), "{r}");
    let city_key = r["key"].as_str().unwrap().to_string();

    // 米易 by code: its own channel only; the city's code is refused and airs nothing.
    let own = alert("MIYI-1", "duty@510421", "Alert", codes(&["510421"]), &[]);
    let (s, r) = post(county_token.clone(), own.clone()).await;
    assert_eq!((s, aired(&r)), (202, vec!["miyi-radio".to_string()]), "{r}");
    let own_key = r["key"].as_str().unwrap().to_string();
    let (s, r) = post(county_token.clone(), alert("MIYI-2", "duty@510421", "Alert", codes(&["510400"]), &[])).await;
    assert_eq!(s, 403, "{r}");

    // 米易 by shape: inside 米易 it reaches 米易's channel only (it overlaps the city's footprint
    // too); a circle or polygon leaving 米易 is refused.
    for (id, area, want) in [
        ("MIYI-C1", circle(26.85, 102.05, 5.0), 202),
        ("MIYI-C2", circle(26.85, 102.05, 60.0), 403),
        ("MIYI-P1", polygon(&square(26.7, 101.9, 0.2)), 202),
        ("MIYI-P2", polygon(&square(26.9, 102.1, 0.5)), 403),
    ] {
        let (s, r) = post(county_token.clone(), alert(id, "duty@510421", "Alert", area, &[])).await;
        assert_eq!(s, want, "{id}: {r}");
        if s == 202 {
            assert_eq!(aired(&r), vec!["miyi-radio".to_string()], "{id}: {r}");
        }
    }
    // The city may use any shape in the network; a circle of 10,000 km is nobody's area.
    let (s, r) =
        post(city_token.clone(), alert("CITY-C1", "duty@510400", "Alert", circle(26.85, 102.05, 60.0), &[])).await;
    assert_eq!(s, 202, "{r}");
    let (s, r) =
        post(city_token.clone(), alert("CITY-C2", "duty@510400", "Alert", circle(26.85, 102.05, 10_000.0), &[])).await;
    assert_eq!((s, r["reasons"][0]["code"].as_str()), (422, Some("invalid_shape")), "{r}");
    let bow = polygon(&[[26.0, 101.0], [27.0, 102.0], [26.0, 102.0], [27.0, 101.0], [26.0, 101.0]]);
    let (s, r) = post(city_token.clone(), alert("CITY-P9", "duty@510400", "Alert", bow, &[])).await;
    assert_eq!(s, 422, "a polygon crossing itself: {r}");

    // 米易 may neither update nor cancel the city's alert: 403, and it stays on air.
    for t in ["Update", "Cancel"] {
        let m = alert(&format!("MIYI-{t}-CITY"), "duty@510421", t, codes(&["510421"]), &[&city_alert]);
        let (s, r) = post(county_token.clone(), m).await;
        assert_eq!(s, 403, "{t}: {r}");
        let why = r["error"]["message"].as_str().unwrap_or_default();
        assert!(why.contains("may not") && why.contains("510421"), "{t}: {why}");
    }
    assert_eq!(state_of(&city_key).await, Some(AlertState::OnAir));

    // 米易 updates and cancels its own; the city may cancel 米易's (it acts for the network).
    let (s, r) =
        post(county_token.clone(), alert("MIYI-1U", "duty@510421", "Update", codes(&["510421"]), &[&own])).await;
    assert_eq!((s, aired(&r)), (202, vec!["miyi-radio".to_string()]), "{r}");
    assert_eq!(state_of(&own_key).await, Some(AlertState::Superseded));
    let update_key = r["key"].as_str().unwrap().to_string();
    let own_update = alert("MIYI-1U", "duty@510421", "Update", codes(&["510421"]), &[&own]);
    let mut cancel = alert("MIYI-1X", "duty@510421", "Cancel", codes(&["510421"]), &[&own_update]);
    cancel["references"][0]["sent"] = app
        .desk
        .alerts()
        .into_iter()
        .find(|t| t.alert.key().as_str() == update_key)
        .map(|t| json!(t.alert.sent))
        .unwrap();
    let (s, r) = post(county_token.clone(), cancel.clone()).await;
    assert_eq!(s, 202, "{r}");
    assert_eq!(state_of(&update_key).await, Some(AlertState::Cancelled));
    // Cancelling it again changes nothing and says so.
    let mut again = cancel.clone();
    again["id"] = json!("MIYI-1X2");
    let (s, r) = post(county_token.clone(), again).await;
    assert_eq!(s, 422, "{r}");
    assert!(r["error"]["message"].as_str().unwrap().contains("already cancelled"), "{r}");
    // The city cancels its own, and then an Update of an alert nobody sent is refused.
    let (s, r) =
        post(city_token.clone(), alert("CITY-1X", "duty@510400", "Cancel", codes(&["510400"]), &[&city_alert])).await;
    assert_eq!(s, 202, "{r}");
    assert_eq!(state_of(&city_key).await, Some(AlertState::Cancelled));
    let ghost = alert("GHOST", "duty@510400", "Alert", codes(&["510400"]), &[]);
    let (s, r) =
        post(city_token.clone(), alert("CITY-GU", "duty@510400", "Update", codes(&["510400"]), &[&ghost])).await;
    assert_eq!(s, 422, "{r}");

    // Too much text: 422 naming the field; nothing aired.
    let mut long = alert("CITY-LONG", "duty@510400", "Alert", codes(&["510400"]), &[]);
    long["description"] = json!("雨".repeat(20_000));
    let (s, r) = post(city_token.clone(), long).await;
    assert_eq!((s, r["reasons"][0]["path"].as_str()), (422, Some("/description")), "{r}");

    drop(city_live.0.stop());
    drop(miyi_live.0.stop());
});
