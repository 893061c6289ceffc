//! An alert's life recorded on a real `kapok serve` with its demo channels on air: a Severe
//! alert with a short expiry goes on air on both channels, comes off air when it expires and
//! is marked expired; its report names both channels with each airing's start and end; the
//! as-run log shows each interruption and resume. Then a restart: an alert on air when the
//! server was killed is known again (not re-aired), and a Cancel referring to it works.

use crate::common;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

const PASSWORD: &str = "应急-记录-2026-kapok";
const CHANNELS: [&str; 2] = ["pzh-demo-radio", "pzh-demo-tv"];

fn fmt(t: chrono::DateTime<chrono::Utc>) -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    t.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn alert(id: &str, msg_type: &str, expires_in: chrono::Duration, references: Option<Value>) -> Value {
    let now = chrono::Utc::now();
    let mut a = json!({ "id": id, "sender": "pzh-emergency@510400", "sent": fmt(now), "status": "Actual",
        "msg_type": msg_type, "severity": "Severe", "urgency": "Immediate", "certainty": "Observed",
        "event": "暴雨", "headline": "攀枝花市暴雨橙色预警", "description": "请远离河道。",
        "areas": [{ "desc": "攀枝花市", "codes": ["510400"] }],
        "effective": fmt(now), "expires": fmt(now + expires_in), "resources": [], "language": "zh-CN" });
    if let Some(r) = references {
        a["references"] = json!([r]);
    }
    a
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

struct Desk {
    base: String,
    cookie: String,
    csrf: String,
    http: reqwest::blocking::Client,
}

impl Desk {
    fn open(base: &str) -> Self {
        let http = reqwest::blocking::Client::new();
        let on_air = Instant::now();
        while !CHANNELS
            .iter()
            .all(|s| http.get(format!("{base}/hls/{s}/index.m3u8")).send().is_ok_and(|r| r.status() == 200))
        {
            assert!(on_air.elapsed() < Duration::from_secs(120), "channels not on air");
            std::thread::sleep(Duration::from_millis(500));
        }
        let r = http
            .post(format!("{base}/api/auth/login"))
            .json(&json!({ "username": "admin", "password": PASSWORD }))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
        let body: Value = r.json().unwrap();
        Self { base: base.to_string(), cookie, csrf: body["csrf_token"].as_str().unwrap().to_string(), http }
    }

    fn send(&self, a: &Value) -> Value {
        let r = self
            .http
            .post(format!("{}/api/alerts", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(a)
            .send()
            .unwrap();
        assert_eq!(r.status(), 202);
        r.json().unwrap()
    }

    fn get(&self, path: &str) -> Value {
        let r = self.http.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().unwrap()
    }

    fn wait_for_state(&self, key: &str, state: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let h = self.get(&format!("/api/alerts/{}", encode(key)));
            if h["state"] == state {
                return h;
            }
            assert!(Instant::now() < deadline, "not {state} within {within:?}: {h}");
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

#[test]
fn an_alert_airs_expires_and_is_reported_and_a_restart_keeps_it_known() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("KAPOK_DATA", data.display().to_string()), ("KAPOK_ADMIN_PASSWORD", PASSWORD.to_string())];
    let server = common::serve(&env);
    let desk = Desk::open(&server.base);

    // 12 s: the TV airing (attention signal, speech, slate) lasts ~20 s, so the expiry, not the
    // end of the airings, takes it off air.
    let short = desk.send(&alert("MEMORY-EXPIRES", "Alert", chrono::Duration::seconds(12), None));
    let key = short["key"].as_str().unwrap().to_string();
    let mut channels: Vec<&str> = short["channels"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    channels.sort_unstable();
    assert_eq!(channels, CHANNELS, "{short}");
    let h = desk.wait_for_state(&key, "expired", Duration::from_secs(60));
    let steps: Vec<&str> = h["history"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    for step in ["received", "verified", "scheduled", "on_air", "expired"] {
        assert!(steps.contains(&step), "no {step} step in {steps:?}");
    }
    let report = desk.get(&format!("/api/alerts/{}/report", encode(&key)));
    assert_eq!(report["state"], "expired");
    for c in report["channels"].as_array().unwrap() {
        assert!(c["times_aired"].as_u64().unwrap() >= 1, "{c}");
        let first = &c["airings"][0];
        assert!(first["start"].is_string() && first["end"].is_string(), "{c}");
        let outcome = c["outcome"].as_str().unwrap();
        assert!(outcome == "expired" || outcome == "completed", "{c}");
    }
    assert_eq!(report["channels"].as_array().unwrap().len(), 2, "{report}");

    // The as-run log of each channel: the interruption and the resume.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(catalog::Store::connect(&format!("sqlite://{}", data.join("kapok.db").display()))).unwrap();
    let (from, until) = (chrono::Utc::now() - chrono::Duration::minutes(10), chrono::Utc::now());
    for slug in CHANNELS {
        let lines = rt.block_on(store.list_as_run(slug, from, until, 5000)).unwrap();
        let mine: Vec<&str> =
            lines.iter().filter(|l| l.item_id.as_deref() == Some(key.as_str())).map(|l| l.outcome.as_str()).collect();
        assert_eq!(mine.first(), Some(&"interrupted"), "{slug}: {mine:?}");
        assert!(mine.contains(&"resumed"), "{slug}: {mine:?}");
    }
    rt.block_on(store.close());

    // On air when the server is killed; known after the restart, and cancellable.
    let long = alert("MEMORY-RESTART", "Alert", chrono::Duration::hours(2), None);
    let receipt = desk.send(&long);
    let long_key = receipt["key"].as_str().unwrap().to_string();
    assert_eq!(receipt["state"], "on_air", "{receipt}");
    drop(server);
    let server = common::serve(&env);
    let desk = Desk::open(&server.base);
    let h = desk.wait_for_state(&long_key, "scheduled", Duration::from_secs(5));
    let last = h["history"].as_array().unwrap().last().unwrap().clone();
    assert!(last["note"].as_str().unwrap().contains("restarted"), "{last}");
    let reference = json!({ "sender": long["sender"], "identifier": long["id"], "sent": long["sent"] });
    let cancel = desk.send(&alert("MEMORY-RESTART-CANCEL", "Cancel", chrono::Duration::hours(2), Some(reference)));
    assert_eq!(cancel["outcome"], "accepted", "{cancel}");
    desk.wait_for_state(&long_key, "cancelled", Duration::from_secs(5));
    let again: Value = {
        let r = desk
            .http
            .post(format!("{}/api/alerts", desk.base))
            .header("cookie", &desk.cookie)
            .header("x-csrf-token", &desk.csrf)
            .json(&long)
            .send()
            .unwrap();
        r.json().unwrap()
    };
    assert_eq!(again["outcome"], "duplicate", "a resend after the restart airs nothing: {again}");
}
