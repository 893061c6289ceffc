//! What a listener and a viewer get from an alert, through the real `kapok serve` on a fresh
//! data directory (nothing prepared but the admin password a new operator sets): the demo
//! channels' HLS outputs are recorded while alerts air and decoded by FFmpeg.
//!
//! - An alert without audio is *spoken*: after the attention signal the radio carries speech
//!   (energy whose envelope moves like speech, not silence and not a steady tone).
//! - An alert whose CAP `resource` carries an MP3 airs that MP3 (its 1.5 kHz tone is heard
//!   where the speech would be).
//! - A drill is unmistakable: the TV picture carries the violet 演练 banner, the spoken part is
//!   longer by the drill notice, and the alert's events and as-run say drill.

use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use testkit::tone::tone_share;

use crate::common;

const PASSWORD: &str = "应急-播出-2026-kapok";
const RATE: f32 = 16_000.0;

struct Session {
    base: String,
    cookie: String,
    csrf: String,
    client: reqwest::blocking::Client,
}

impl Session {
    fn login(base: &str) -> Session {
        let client = reqwest::blocking::Client::new();
        let r = client
            .post(format!("{base}/api/auth/login"))
            .json(&serde_json::json!({ "username": "admin", "password": PASSWORD }))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
        let body: serde_json::Value = r.json().unwrap();
        Session { base: base.into(), cookie, csrf: body["csrf_token"].as_str().unwrap().into(), client }
    }

    fn post(&self, body: String, kind: &str) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(format!("{}/api/alerts", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("content-type", kind)
            .body(body)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().unwrap_or_default())
    }

    fn history(&self, key: &str) -> String {
        let url = format!("{}/api/alerts/{}", self.base, urlencode(key));
        self.client.get(url).header("cookie", &self.cookie).send().unwrap().text().unwrap()
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn now_cst() -> (String, String) {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let now = chrono::Utc::now().with_timezone(&tz);
    let fmt = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    (fmt(now), fmt(now + chrono::Duration::hours(1)))
}

fn json_alert(id: &str, status: &str) -> String {
    let (sent, expires) = now_cst();
    serde_json::json!({
        "id": id, "sender": "pzh-emergency@510400", "sent": sent, "status": status, "msg_type": "Alert",
        "severity": "Severe", "urgency": "Immediate", "certainty": "Observed", "event": "暴雨",
        "headline": "攀枝花市暴雨橙色预警", "description": "未来三小时全市将出现强降雨，请远离河道。",
        "areas": [{ "desc": "攀枝花市", "codes": ["510400"] }], "expires": expires, "language": "zh-CN"
    })
    .to_string()
}

/// A CAP 1.2 alert carrying `mp3` in its resource's `derefUri`, with its SHA-256 digest.
fn cap_with_mp3(id: &str, mp3: &[u8]) -> String {
    use sha2::Digest as _;
    let (sent, expires) = now_cst();
    let b64 = base64::engine::general_purpose::STANDARD.encode(mp3);
    let digest = hex::encode(sha2::Sha256::digest(mp3));
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{id}</identifier><sender>pzh-emergency@510400</sender><sent>{sent}</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info>
    <language>zh-CN</language><category>Met</category><event>暴雨</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <expires>{expires}</expires><headline>攀枝花市暴雨橙色预警（录音）</headline>
    <resource><resourceDesc>气象台录音</resourceDesc><mimeType>audio/mpeg</mimeType><size>{}</size>
      <derefUri>{b64}</derefUri><digest>{digest}</digest></resource>
    <area><areaDesc>攀枝花市</areaDesc><geocode><valueName>GB/T 2260</valueName><value>510400</value></geocode></area>
  </info>
</alert>"#,
        mp3.len()
    )
}

/// Copies every new segment of a channel's HLS preview for `seconds`, in order, as one TS.
fn record(base: &str, slug: &str, seconds: f64) -> Vec<u8> {
    let client = reqwest::blocking::Client::new();
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut first = true;
    while Instant::now() < until {
        if let Ok(text) = client.get(format!("{base}/hls/{slug}/index.m3u8")).send().and_then(|r| r.text()) {
            let segments: Vec<String> = text.lines().filter(|l| l.ends_with(".ts")).map(str::to_string).collect();
            // Start with the newest segment: the recording begins at the request.
            let fresh: Vec<String> = if first {
                segments.last().cloned().into_iter().collect()
            } else {
                segments.iter().filter(|s| !seen.contains(s)).cloned().collect()
            };
            first = false;
            for seg in fresh {
                if let Ok(bytes) = client.get(format!("{base}/hls/{slug}/{seg}")).send().and_then(|r| r.bytes()) {
                    out.extend_from_slice(&bytes);
                }
                seen.push(seg);
            }
        }
        std::thread::sleep(Duration::from_millis(400));
    }
    out
}

fn decode_audio(ts: &[u8], dir: &std::path::Path) -> Vec<f32> {
    let path = dir.join("rec.ts");
    std::fs::write(&path, ts).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&path)
        .args(["-vn", "-ac", "1", "-ar", "16000", "-f", "f32le", "-"])
        .output()
        .expect("ffmpeg");
    out.stdout.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Seconds into `pcm` where the attention signal (853 + 960 Hz) ends, if it is there.
fn attention_end(pcm: &[f32]) -> Option<f64> {
    let win = (RATE / 10.0) as usize;
    let hits: Vec<bool> = pcm
        .chunks(win)
        .map(|w| w.len() == win && tone_share(w, RATE, 853.0) > 0.2 && tone_share(w, RATE, 960.0) > 0.2)
        .collect();
    let start = hits.iter().position(|h| *h)?;
    let len = hits[start..].iter().take_while(|h| **h).count();
    (len >= 30).then(|| (start + len) as f64 / 10.0)
}

fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
}

/// Loudness of `seconds` of audio starting `from` s in, and how much its 20 ms envelope moves
/// (coefficient of variation: speech ≫ 0.3, a steady tone ≈ 0, silence has no level).
fn envelope(pcm: &[f32], from: f64, seconds: f64) -> (f32, f32) {
    let a = ((from * f64::from(RATE)) as usize).min(pcm.len());
    let b = (((from + seconds) * f64::from(RATE)) as usize).min(pcm.len());
    let frames: Vec<f32> = pcm[a..b].chunks(320).map(rms).collect();
    let mean = frames.iter().sum::<f32>() / frames.len().max(1) as f32;
    let var = frames.iter().map(|f| (f - mean) * (f - mean)).sum::<f32>() / frames.len().max(1) as f32;
    (rms(&pcm[a..b]), if mean > 0.0 { var.sqrt() / mean } else { 0.0 })
}

/// The share of 1.5 kHz in `seconds` of audio from `from`.
fn tone_at(pcm: &[f32], from: f64, seconds: f64, hz: f32) -> f32 {
    let a = ((from * f64::from(RATE)) as usize).min(pcm.len());
    let b = (((from + seconds) * f64::from(RATE)) as usize).min(pcm.len());
    tone_share(&pcm[a..b], RATE, hz)
}

/// The average RGB of a box of the TV picture `at` seconds into the recording.
fn picture_box(ts: &[u8], dir: &std::path::Path, at: f64, (x, y, w, h): (f64, f64, f64, f64)) -> [f32; 3] {
    let path = dir.join("tv.ts");
    std::fs::write(&path, ts).unwrap();
    let (sw, sh) = (320usize, 180usize);
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &format!("{at:.2}"), "-i"])
        .arg(&path)
        .args(["-frames:v", "1", "-vf", &format!("scale={sw}:{sh}"), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("ffmpeg");
    assert_eq!(out.stdout.len(), sw * sh * 3, "one frame at {at} s");
    let (x0, y0) = ((x * sw as f64) as usize, (y * sh as f64) as usize);
    let (x1, y1) = (((x + w) * sw as f64) as usize, ((y + h) * sh as f64) as usize);
    let mut sum = [0f32; 3];
    let mut n = 0f32;
    for yy in y0..y1 {
        for xx in x0..x1 {
            for (c, total) in sum.iter_mut().enumerate() {
                *total += f32::from(out.stdout[(yy * sw + xx) * 3 + c]);
            }
            n += 1.0;
        }
    }
    sum.map(|s| s / n)
}

/// Seconds the alert held `channel`, from its airing events (on_air → completed).
fn airing_seconds(history: &str, channel: &str) -> Option<f64> {
    let v: serde_json::Value = serde_json::from_str(history).ok()?;
    let events = v["history"].as_array()?;
    let at = |kind: &str| {
        events
            .iter()
            .find(|e| e["channel"] == channel && e["event"] == kind)
            .and_then(|e| chrono::DateTime::parse_from_rfc3339(e["at"].as_str()?).ok())
    };
    Some((at("completed")? - at("on_air")?).num_milliseconds() as f64 / 1000.0)
}

fn wait_for(session: &Session, key: &str, channel: &str, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    loop {
        let h = session.history(key);
        if airing_seconds(&h, channel).is_some() {
            return h;
        }
        assert!(Instant::now() < deadline, "{key} did not complete on {channel}: {h}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn alerts_are_spoken_their_own_audio_airs_and_a_drill_is_marked_on_a_fresh_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::serve(&[
        ("KAPOK_DATA", dir.path().join("data").display().to_string()),
        ("KAPOK_ADMIN_PASSWORD", PASSWORD.to_string()),
    ]);
    let base = server.base.clone();
    let client = reqwest::blocking::Client::new();
    common::wait_for_demo_channels(&base, Duration::from_secs(120));
    let session = Session::login(&base);

    // 1. No audio of its own: the radio speaks it after the attention signal.
    let (status, receipt) = session.post(json_alert("KAPOK-SPEECH-1", "Actual"), "application/json");
    assert_eq!(status, 202, "{receipt}");
    let key = receipt["key"].as_str().unwrap().to_string();
    let pcm = decode_audio(&record(&base, "pzh-demo-radio", 26.0), dir.path());
    let end = attention_end(&pcm).expect("the attention signal in the radio output");
    let (level, moves) = envelope(&pcm, end + 0.8, 3.0);
    eprintln!("speech after the attention signal: rms {level:.4}, envelope variation {moves:.2}");
    assert!(level > 0.01, "silence where the speech belongs (rms {level})");
    assert!(moves > 0.3, "a steady sound, not speech, after the signal (variation {moves})");
    let history = wait_for(&session, &key, "pzh-demo-radio", Duration::from_secs(60));
    assert!(history.contains("message: synthesised speech"), "{history}");
    let spoken = airing_seconds(&history, "pzh-demo-radio").unwrap();

    // 2. An MP3 in the CAP resource: that MP3 (a 1.5 kHz tone) airs instead of speech.
    let mp3 = dir.path().join("own.mp3");
    let ok = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=1500:duration=4",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "64k",
        ])
        .arg(&mp3)
        .status()
        .unwrap();
    assert!(ok.success());
    let (status, receipt) = session.post(cap_with_mp3("KAPOK-MP3-1", &std::fs::read(&mp3).unwrap()), "application/xml");
    assert_eq!(status, 202, "{receipt}");
    let key = receipt["key"].as_str().unwrap().to_string();
    let pcm = decode_audio(&record(&base, "pzh-demo-radio", 20.0), dir.path());
    let end = attention_end(&pcm).expect("the attention signal before the MP3");
    let share = tone_at(&pcm, end + 1.0, 2.0, 1500.0);
    eprintln!("1.5 kHz share after the signal: {share:.2}");
    assert!(share > 0.5, "the alert's own MP3 is not what aired after the signal ({share})");
    let history = wait_for(&session, &key, "pzh-demo-radio", Duration::from_secs(60));
    assert!(history.contains("message: the alert's own audio (气象台录音)"), "{history}");

    // 3. A drill: the TV slate carries the violet banner, the speech is longer by the drill
    // notice, and the record says drill.
    let (status, receipt) = session.post(json_alert("KAPOK-DRILL-1", "Exercise"), "application/json");
    assert_eq!(status, 202, "{receipt}");
    let key = receipt["key"].as_str().unwrap().to_string();
    let tv = record(&base, "pzh-demo-tv", 14.0);
    // Banner: right under the level band (16 % of the height), 9 % high; sampled 2–30 % across.
    let mut found = None;
    for at in [4.0, 6.0, 8.0, 10.0] {
        let rgb = picture_box(&tv, dir.path(), at, (0.02, 0.175, 0.28, 0.06));
        if (rgb[0] - 128.0).abs() < 40.0 && rgb[1] < 90.0 && (rgb[2] - 168.0).abs() < 40.0 {
            found = Some((at, rgb));
            break;
        }
    }
    eprintln!("drill banner in the TV picture: {found:?}");
    assert!(found.is_some(), "no violet 演练 banner in the decoded TV picture");
    let history = wait_for(&session, &key, "pzh-demo-radio", Duration::from_secs(60));
    let drilled = airing_seconds(&history, "pzh-demo-radio").unwrap();
    eprintln!("airing: actual {spoken:.1} s, drill {drilled:.1} s");
    assert!(drilled > spoken + 2.0, "the drill notice is not spoken ({drilled:.1} s vs {spoken:.1} s)");
    let channels: serde_json::Value =
        client.get(format!("{base}/api/channels")).header("cookie", &session.cookie).send().unwrap().json().unwrap();
    let radio = channels.as_array().unwrap().iter().find(|c| c["slug"] == "pzh-demo-radio").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let asrun: serde_json::Value = client
        .get(format!("{base}/api/channels/{radio}/as-run"))
        .header("cookie", &session.cookie)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let text = asrun.to_string();
    assert!(text.contains("emergency drill (演练)") && text.contains("【演练】"), "{text}");
}
