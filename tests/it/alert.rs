//! An emergency alert through the whole system, as a duty operator sends it: sign in to a
//! running `kapok serve`, POST a Severe alert for the city (510400 reaches every channel), and
//! find the attention signal (853 Hz + 960 Hz) in each demo channel's HLS output, decoded by
//! FFmpeg. Bad and unauthorised alerts are refused and nothing airs.

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

const PASSWORD: &str = "应急-演练-2026-kapok";

use testkit::tone::tone_share;

/// True when a recent segment of the channel's HLS preview carries both attention tones.
fn attention_in_preview(base: &str, slug: &str) -> bool {
    let client = reqwest::blocking::Client::new();
    let Ok(text) = client.get(format!("{base}/hls/{slug}/index.m3u8")).send().and_then(|r| r.text()) else {
        return false;
    };
    let segments: Vec<&str> = text.lines().filter(|l| l.ends_with(".ts")).collect();
    for seg in segments.iter().rev().take(3) {
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(format!("{base}/hls/{slug}/{seg}"))
            .args(["-vn", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"])
            .output()
            .expect("ffmpeg");
        let samples: Vec<f32> =
            out.stdout.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        for window in samples.chunks(4800) {
            if window.len() == 4800
                && tone_share(window, 48000.0, 853.0) > 0.2
                && tone_share(window, 48000.0, 960.0) > 0.2
            {
                return true;
            }
        }
    }
    false
}

fn login(base: &str) -> (String, String) {
    let r = reqwest::blocking::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({ "username": "admin", "password": PASSWORD }))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let body: serde_json::Value = r.json().unwrap();
    (cookie, body["csrf_token"].as_str().unwrap().to_string())
}

fn alert_json(id: &str, msg_type: &str, codes: &[&str], references: Option<&str>) -> serde_json::Value {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let now = chrono::Utc::now().with_timezone(&tz);
    let fmt = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let mut a = serde_json::json!({
        "id": id, "sender": "pzh-emergency@510400", "sent": fmt(now), "status": "Actual", "msg_type": msg_type,
        "severity": "Severe", "urgency": "Immediate", "certainty": "Observed", "event": "暴雨",
        "headline": "攀枝花市暴雨橙色预警", "description": "未来三小时全市将出现强降雨，请远离河道和山体。",
        "areas": [{ "desc": "攀枝花市", "codes": codes }],
        "effective": fmt(now), "expires": fmt(now + chrono::Duration::hours(2)), "resources": [], "language": "zh-CN"
    });
    if let Some(r) = references {
        a["references"] = serde_json::json!([r]);
    }
    a
}

#[test]
fn an_operators_alert_interrupts_every_city_channel_and_bad_ones_air_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::serve(&[
        ("KAPOK_DATA", dir.path().join("data").display().to_string()),
        ("KAPOK_ADMIN_PASSWORD", PASSWORD.to_string()),
    ]);
    let base = server.base.clone();
    let client = reqwest::blocking::Client::new();
    common::wait_for_demo_channels(&base, Duration::from_secs(90));
    let (cookie, csrf) = login(&base);
    let post = |body: String| {
        client
            .post(format!("{base}/api/alerts"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap()
    };

    // Refused before anything airs: malformed, an entity bomb, an unknown area, no CSRF token.
    assert_eq!(post("{ not json".into()).status(), 422);
    let bomb =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/schedules/tests/fixtures/alerts/invalid_entity_bomb.xml"))
            .unwrap();
    assert_eq!(post(String::from_utf8_lossy(&bomb).to_string()).status(), 422);
    let r = post(alert_json("KAPOK-E2E-BAD", "Alert", &["110101"], None).to_string());
    assert_eq!(r.status(), 422, "an area outside the network");
    let no_csrf = client.post(format!("{base}/api/alerts")).header("cookie", &cookie).body("{}").send().unwrap();
    assert!(no_csrf.status() == 403 || no_csrf.status() == 401, "{}", no_csrf.status());
    assert!(!attention_in_preview(&base, "pzh-demo-tv"), "nothing aired yet");

    let first = alert_json("KAPOK-E2E-1", "Alert", &["510400"], None);
    let sent = Instant::now();
    let r = post(first.to_string());
    let answered = sent.elapsed();
    assert_eq!(r.status(), 202);
    let receipt: serde_json::Value = r.json().unwrap();
    let mut channels: Vec<&str> = receipt["channels"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    channels.sort_unstable();
    assert_eq!(channels, ["pzh-demo-radio", "pzh-demo-tv"], "{receipt}");
    eprintln!("alert accepted and handed to both engines {:.0} ms after the request", answered.as_secs_f64() * 1000.0);
    let duplicate = post(first.to_string());
    let dup: serde_json::Value = duplicate.json().unwrap();
    assert_eq!(dup["outcome"], "duplicate");

    for slug in ["pzh-demo-tv", "pzh-demo-radio"] {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !attention_in_preview(&base, slug) {
            assert!(Instant::now() < deadline, "no attention signal in {slug}'s output within 30 s");
            std::thread::sleep(Duration::from_millis(500));
        }
        eprintln!(
            "attention signal found in {slug}'s HLS output {:.1} s after the request",
            sent.elapsed().as_secs_f64()
        );
    }
    let alerts: serde_json::Value =
        client.get(format!("{base}/api/alerts")).header("cookie", &cookie).send().unwrap().json().unwrap();
    assert!(alerts.to_string().contains("KAPOK-E2E-1"), "{alerts}");
}
