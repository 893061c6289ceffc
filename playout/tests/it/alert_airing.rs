//! Airing an alert by its insertion plan on a radio channel in real time: repeats air the
//! whole programme each time and the interrupted item resumes in between; expiry takes it
//! off air; Moderate waits for the item boundary; Minor (crawl only) is a crawl over the
//! programme on TV and nothing on radio.
//! Checked on the as-run and on the output file decoded by ffmpeg.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use playout::alert::attention::{detects, tone_power};
use playout::alert::{air_alert, AiringKind, AlertMedia, AlertProgramme, AttentionSignal};
use playout::font::CjkFont;
use playout::{start_realtime, AsRunRecord, OnAirPlaylist, OutputTarget, RealtimeChannel, ResumePolicy};
use schedules::emergency::policy::{InsertionPlan, Interrupt};

const RATE: u32 = 48_000;

fn tone(dir: &Path, name: &str, hz: u32, secs: f64) -> PathBuf {
    let path = dir.join(name);
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("sine=frequency={hz}:sample_rate=48000:duration={secs}"))
        .args(["-ac", "2"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    path
}

fn radio() -> serde_json::Value {
    serde_json::json!({ "kind": "radio", "sample_rate": RATE, "channels": 2 })
}

fn channel(
    dir: &Path,
    format: serde_json::Value,
    items: serde_json::Value,
) -> (RealtimeChannel, PathBuf, playout::timeline::ChannelFormat) {
    let json = serde_json::json!({ "format": format, "items": items });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let format = playlist.format;
    let out = dir.join("air.ts");
    let live = start_realtime(playlist, &[OutputTarget::File(out.clone())]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while live.handle().status().samples_out < u64::from(RATE) / 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    (live, out, format)
}

/// 1 s signal, 0.5 s pause, the alert's own 1 s audio at 300 Hz, 1 s tail: 3.5 s.
fn programme(dir: &Path, format: &playout::timeline::ChannelFormat) -> AlertProgramme {
    let doc = format!(
        r#"{{"id":"AIR-1","sender":"t","sent":"{}","status":"Actual","msg_type":"Alert","severity":"Extreme",
        "urgency":"Immediate","certainty":"Observed","event":"山洪","headline":"山洪预警",
        "areas":[{{"desc":"米易县","codes":["510421"]}}],"language":"zh-CN"}}"#,
        Utc::now().fixed_offset().format("%Y-%m-%dT%H:%M:%S%:z")
    );
    let alert = schedules::emergency::validate_document(doc.as_bytes()).alert.unwrap();
    let mut media = AlertMedia::new(dir);
    media.attention = Some(AttentionSignal { duration_s: 1.0, ..AttentionSignal::default() });
    media.audio = Some(tone(dir, "message.wav", 300, 1.0));
    media.font = CjkFont::find().ok().map(Arc::new);
    let p = AlertProgramme::build(&alert, format, &media).unwrap();
    assert!(p.wait_ready(Duration::from_secs(20)), "{:?}", p.notes());
    p
}

fn overrides(as_run: &[AsRunRecord]) -> Vec<&AsRunRecord> {
    as_run.iter().filter(|r| r.source.as_deref() == Some("alert:AIR-1")).collect()
}

/// 100 ms blocks of the decoded output: 'A' attention signal, 'm' message (300 Hz),
/// 'p' programme (440 Hz), '.' anything else.
fn blocks(ts: &Path) -> String {
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(ts)
        .args(["-map", "0:a:0", "-ac", "1", "-f", "s16le", "-"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let pcm: Vec<i16> = o.stdout.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
    let signal = AttentionSignal::default();
    pcm.chunks_exact(4800)
        .map(|b| {
            if detects(&signal, b, RATE) {
                'A'
            } else if tone_power(b, RATE, 300.0) > 0.001 {
                'm'
            } else if tone_power(b, RATE, 440.0) > 0.001 {
                'p'
            } else {
                '.'
            }
        })
        .collect()
}

/// Lengths of the runs of `c`.
fn runs_of(text: &str, c: char) -> Vec<usize> {
    text.split(|x| x != c).map(str::len).filter(|&n| n > 0).collect()
}

#[test]
fn repeats_air_the_whole_programme_each_time_and_the_item_resumes_in_between() {
    let _serial = crate::ALERT_CHANNELS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let clip = tone(dir.path(), "programme.wav", 440, 30.0);
    let (live, out, format) = channel(dir.path(), radio(), serde_json::json!([{ "source": clip, "duration": 30.0 }]));
    let p = programme(dir.path(), &format);
    assert_eq!(p.duration(), Some(playout::timeline::MediaTime::from_secs_f64(3.5).unwrap()));
    let now = Utc::now();
    let plan = InsertionPlan {
        interrupt: Interrupt::NextFrame,
        attention_signal: true,
        airings: vec![now, now + TimeDelta::seconds(5)],
        until: None,
    };
    let on_air = air_alert(live.handle().clone(), p, &plan, ResumePolicy::ResumeItem, 1);
    assert!(on_air.wait(Duration::from_secs(20)));
    let kinds: Vec<AiringKind> = on_air.events().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [AiringKind::OnAir, AiringKind::Completed, AiringKind::OnAir, AiringKind::Completed]);
    std::thread::sleep(Duration::from_millis(1000));
    let report = live.stop().unwrap();

    let airings = overrides(&report.as_run);
    assert_eq!(airings.len(), 2, "{:#?}", report.as_run);
    for a in &airings {
        // Released exactly at the end of the programme.
        assert_eq!(a.samples, 168_000);
    }
    assert!((airings[1].actual_start_s - airings[0].actual_start_s - 5.0).abs() < 0.2);
    let item = report.as_run.iter().find(|r| r.item == Some(0)).unwrap();
    assert!(item.reason.as_deref().unwrap_or("").contains("resumed after the override"), "{item:?}");

    let b = blocks(&out);
    assert_eq!(runs_of(&b, 'A').len(), 2, "{b}");
    assert!(runs_of(&b, 'A').iter().all(|&n| (9..=11).contains(&n)), "{b}");
    assert!(runs_of(&b, 'm').iter().all(|&n| (9..=11).contains(&n)), "{b}");
    // programme, alert, programme, alert, programme: the item resumed in between.
    let shape: String = b.chars().filter(|c| *c != '.').fold(String::new(), |mut s, c| {
        if !s.ends_with(c) {
            s.push(c);
        }
        s
    });
    assert_eq!(shape, "pAmpAmp", "{b}");
}

#[test]
fn expiry_takes_the_alert_off_air_and_a_crawl_only_alert_airs_as_audio_on_radio() {
    let _serial = crate::ALERT_CHANNELS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let clip = tone(dir.path(), "programme.wav", 440, 30.0);
    let (live, _out, format) = channel(dir.path(), radio(), serde_json::json!([{ "source": clip, "duration": 30.0 }]));
    let p = programme(dir.path(), &format);
    let now = Utc::now();
    let crawl =
        InsertionPlan { interrupt: Interrupt::CrawlOnly, attention_signal: false, airings: vec![now], until: None };
    let minor = air_alert(live.handle().clone(), p.clone(), &crawl, ResumePolicy::ResumeItem, 1);
    assert!(minor.wait(Duration::from_secs(30)));
    // Radio cannot crawl: the alert is heard instead of dropped, and the as-run says why.
    let events = minor.events();
    assert_eq!(events.iter().map(|e| e.kind).collect::<Vec<_>>(), [AiringKind::OnAir, AiringKind::Completed]);
    assert!(events[0].note.as_deref().is_some_and(|n| n.contains("radio has no picture")), "{events:?}");
    assert!(events[1].note.as_deref().is_some_and(|n| n.starts_with("message: ")), "{events:?}");

    let now = Utc::now();
    let expiring = InsertionPlan {
        interrupt: Interrupt::NextFrame,
        attention_signal: true,
        airings: vec![now],
        until: Some(now + TimeDelta::milliseconds(2000)),
    };
    let on_air = air_alert(live.handle().clone(), p, &expiring, ResumePolicy::RejoinSchedule, 1);
    assert!(on_air.wait(Duration::from_secs(10)));
    let kinds: Vec<AiringKind> = on_air.events().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [AiringKind::OnAir, AiringKind::Expired]);
    std::thread::sleep(Duration::from_millis(500));
    let report = live.stop().unwrap();
    let airings = overrides(&report.as_run);
    // The minor alert (heard in full), then the expiring one, cut after ~2 s.
    assert_eq!(airings.len(), 2, "{:#?}", report.as_run);
    assert!(airings[0].actual_duration_s > 2.5, "{:?}", airings[0]);
    assert!(airings[1].actual_duration_s < 2.5 && airings[1].actual_duration_s > 1.0, "{:?}", airings[1]);
}

#[test]
fn moderate_alert_waits_for_the_next_item_boundary() {
    let _serial = crate::ALERT_CHANNELS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let a = tone(dir.path(), "a.wav", 440, 3.0);
    let b = tone(dir.path(), "b.wav", 440, 20.0);
    let items = serde_json::json!([
        { "source": a, "duration": 3.0, "title": "a" },
        { "source": b, "duration": 20.0, "title": "b" },
    ]);
    let (live, _out, format) = channel(dir.path(), radio(), items);
    let p = programme(dir.path(), &format);
    assert_eq!(live.handle().status().now.as_deref(), Some("a"));
    let asked = live.handle().status().position_s;
    let plan = InsertionPlan {
        interrupt: Interrupt::NextItemBoundary { max_wait_s: 10 },
        attention_signal: true,
        airings: vec![Utc::now()],
        until: None,
    };
    let on_air = air_alert(live.handle().clone(), p, &plan, ResumePolicy::ResumeItem, 1);
    assert!(on_air.wait(Duration::from_secs(15)));
    let events = on_air.events();
    assert!(events[0].note.as_deref().unwrap_or("").contains("item boundary"), "{events:?}");
    let report = live.stop().unwrap();
    let airing = overrides(&report.as_run)[0].clone();
    assert!(asked < 2.5, "asked at {asked} s");
    assert!((airing.actual_start_s - 3.0).abs() < 0.15, "on air at {} s, boundary at 3 s", airing.actual_start_s);
}

/// Per frame: is the bottom strip of the picture (inside the crawl band) black?
fn bottom_is_black(ts: &Path) -> Vec<bool> {
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(ts)
        .args([
            "-map",
            "0:v:0",
            "-vf",
            "crop=iw/4:ih/40:0:ih-ih/40,scale=1:1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout.chunks_exact(3).map(|c| c.iter().all(|&x| x < 60)).collect()
}

#[test]
fn minor_alert_is_a_crawl_over_the_programme_on_tv_and_the_sound_is_untouched() {
    let _serial = crate::ALERT_CHANNELS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("green.mp4");
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=green:s=320x180:r=25:d=30"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=30"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"])
        .arg(&clip)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tv = serde_json::json!({ "kind": "tv", "width": 320, "height": 180, "fps": "25/1" });
    let (live, out, format) = channel(dir.path(), tv, serde_json::json!([{ "source": clip, "duration": 30.0 }]));
    let p = programme(dir.path(), &format);
    let plan = InsertionPlan {
        interrupt: Interrupt::CrawlOnly,
        attention_signal: false,
        airings: vec![Utc::now()],
        until: None,
    };
    let on_air = air_alert(live.handle().clone(), p, &plan, ResumePolicy::ResumeItem, 1);
    assert!(on_air.wait(Duration::from_secs(30)));
    let kinds: Vec<AiringKind> = on_air.events().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [AiringKind::CrawlOn, AiringKind::Completed]);
    std::thread::sleep(Duration::from_millis(1000));
    let report = live.stop().unwrap();
    assert!(overrides(&report.as_run).is_empty(), "{:#?}", report.as_run);
    let item = report.as_run.iter().find(|r| r.item == Some(0)).unwrap();
    assert!(item.reason.as_deref().unwrap_or("").contains("overlay"), "{item:?}");

    // Picture: programme, the crawl band over it for one pass, programme again.
    let black = bottom_is_black(&out);
    let mut runs: Vec<(bool, usize)> = Vec::new();
    for b in black {
        match runs.last_mut() {
            Some((last, n)) if *last == b => *n += 1,
            _ => runs.push((b, 1)),
        }
    }
    assert_eq!(runs.iter().map(|r| r.0).collect::<Vec<_>>(), [false, true, false], "{runs:?}");
    assert!(runs[1].1 >= 100, "{runs:?}");
    // Sound: the programme throughout, no attention signal.
    let b = blocks(&out);
    assert!(!b.contains('A') && !b.contains('m'), "{b}");
    assert!(b.chars().filter(|&c| c == 'p').count() >= b.len() - 3, "{b}");
}
