//! Coverage by shape on a real `kapok serve`: with a coverage polygon configured for the demo
//! TV channel only (`KAPOK_ALERT_COVERAGE_FILE`), an alert given by a polygon (no area code)
//! that overlaps it goes on air on the TV channel and not on the radio channel; one that
//! overlaps nothing airs nowhere.

use crate::common;

use std::time::Duration;

use serde_json::{json, Value};

const PASSWORD: &str = "应急-覆盖-2026-kapok";

fn alert(id: &str, ring: Value) -> Value {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let now = chrono::Utc::now().with_timezone(&tz);
    let f = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    json!({ "id": id, "sender": "pzh-emergency@510400", "sent": f(now), "status": "Actual", "msg_type": "Alert",
        "severity": "Severe", "urgency": "Immediate", "certainty": "Observed", "event": "山洪",
        "headline": "安宁河沿岸山洪预警", "areas": [{ "desc": "安宁河沿岸", "polygons": [ring] }],
        "effective": f(now), "expires": f(now + chrono::Duration::minutes(2)), "resources": [], "language": "zh-CN" })
}

#[test]
fn an_alert_by_polygon_reaches_only_the_channel_whose_coverage_it_overlaps() {
    let dir = tempfile::tempdir().unwrap();
    let coverage = dir.path().join("coverage.json");
    std::fs::write(&coverage, r#"{"pzh-demo-tv": "26.80,101.90 26.80,102.30 27.10,102.30 27.10,101.90 26.80,101.90"}"#)
        .unwrap();
    let server = common::serve(&[
        ("KAPOK_DATA", dir.path().join("data").display().to_string()),
        ("KAPOK_ADMIN_PASSWORD", PASSWORD.to_string()),
        ("KAPOK_ALERT_COVERAGE_FILE", coverage.display().to_string()),
    ]);
    let base = server.base.clone();
    let http = reqwest::blocking::Client::new();
    common::wait_for_demo_channels(&base, Duration::from_secs(120));
    let r = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({ "username": "admin", "password": PASSWORD }))
        .send()
        .unwrap();
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let csrf = r.json::<Value>().unwrap()["csrf_token"].as_str().unwrap().to_string();
    let send = |a: Value| -> Value {
        let r = http
            .post(format!("{base}/api/alerts"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&a)
            .send()
            .unwrap();
        assert_eq!(r.status(), 202);
        r.json().unwrap()
    };
    let inside = json!([[26.90, 102.00], [26.90, 102.10], [27.00, 102.10], [27.00, 102.00], [26.90, 102.00]]);
    let receipt = send(alert("COVERAGE-IN", inside));
    assert_eq!(receipt["channels"], json!(["pzh-demo-tv"]), "{receipt}");
    let far = json!([[40.0, 116.0], [40.0, 116.1], [40.1, 116.1], [40.1, 116.0], [40.0, 116.0]]);
    let receipt = send(alert("COVERAGE-OUT", far));
    assert_eq!(receipt["channels"], json!([]), "{receipt}");
}
