//! Alert latency on a real output: a channel on air in real time (start_realtime) sends MPEG-TS
//! over UDP to this test; at time T an Extreme alert is put on air; the received stream is
//! decoded by ffmpeg and the first block carrying the 853 + 960 Hz attention signal is found.
//! Its arrival on the socket must be ≤ 1 s after T (issue 7). Then the alert is cancelled:
//! the signal stops at once and the interrupted programme (a 440 Hz tone) comes back.
//!
//! `KAPOK_ALERT_TV_SIZE=1280x720` changes the TV picture size (bench/alert.sh uses it).

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use playout::alert::attention::{detects, tone_power};
use playout::alert::{air_alert, AiringKind, AlertMedia, AlertProgramme, AttentionSignal};
use playout::font::CjkFont;
use playout::{start_realtime, OnAirPlaylist, OutputTarget, ResumePolicy};
use schedules::emergency::policy::AlertPolicy;

const DATAGRAM: usize = 7 * 188;
const RATE: u32 = 48_000;
/// Analysis block: 20 ms (50 Hz resolution separates 853 from 960 Hz).
const BLOCK: usize = 960;

fn ffmpeg(args: &[&str], out: &Path) {
    let o =
        Command::new("ffmpeg").args(["-hide_banner", "-loglevel", "error", "-y"]).args(args).arg(out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn programme_clip(dir: &Path, tv: Option<(u32, u32)>) -> PathBuf {
    let tone = "sine=frequency=440:sample_rate=48000:duration=30";
    match tv {
        Some((w, h)) => {
            let path = dir.join("programme.mp4");
            let video = format!("color=c=green:s={w}x{h}:r=25:d=30");
            ffmpeg(
                &["-f", "lavfi", "-i", &video, "-f", "lavfi", "-i", tone, "-c:v", "libx264", "-preset", "ultrafast"]
                    .into_iter()
                    .chain(["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k"])
                    .collect::<Vec<_>>(),
                &path,
            );
            path
        }
        None => {
            let path = dir.join("programme.wav");
            ffmpeg(&["-f", "lavfi", "-i", tone, "-ac", "2"], &path);
            path
        }
    }
}

fn alert_json() -> Vec<u8> {
    let sent = Utc::now().fixed_offset().format("%Y-%m-%dT%H:%M:%S%:z");
    format!(
        r#"{{"id":"LAT-1","sender":"test@510400","sent":"{sent}","status":"Actual","msg_type":"Alert",
        "severity":"Extreme","urgency":"Immediate","certainty":"Observed","event":"地震",
        "headline":"米易县地震预警","description":"米易县发生地震，请立即就近避险。",
        "areas":[{{"desc":"米易县","codes":["510421"]}}],"language":"zh-CN"}}"#
    )
    .into_bytes()
}

/// Datagrams as received, with their arrival instants.
type Received = Arc<Mutex<Vec<(Instant, Vec<u8>)>>>;

fn receive(socket: UdpSocket, stop: Arc<Mutex<bool>>) -> (Received, std::thread::JoinHandle<()>) {
    let got: Received = Arc::default();
    let sink = got.clone();
    socket.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while !*stop.lock().unwrap() {
            if let Ok(n) = socket.recv(&mut buf) {
                sink.lock().unwrap().push((Instant::now(), buf[..n].to_vec()));
            }
        }
    });
    (got, t)
}

struct AudioPacket {
    pos: usize,
}

/// The audio stream's packets in order (ffprobe), with their byte position in the file.
fn audio_packets(ts: &Path) -> Vec<AudioPacket> {
    let o = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries", "packet=pos", "-of", "csv=p=0"])
        .arg(ts)
        .output()
        .unwrap();
    assert!(o.status.success());
    let mut last = 0;
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            last = l.trim().trim_end_matches(',').parse().unwrap_or(last);
            AudioPacket { pos: last }
        })
        .collect()
}

/// The audio decoded to mono S16 (one sample per AAC sample, in packet order).
fn decode_mono(ts: &Path) -> Vec<i16> {
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(ts)
        .args(["-map", "0:a:0", "-ac", "1", "-f", "s16le", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
}

/// What one run measured.
#[derive(Debug)]
struct Measured {
    /// Arrival of the first attention-signal block after T, seconds.
    onset_s: f64,
    /// Arrival of the first block after the cancel that no longer carries the signal.
    cancel_s: f64,
    /// Seconds of the 440 Hz programme received after the cancel.
    resumed_s: f64,
}

fn run(tv: Option<(u32, u32)>) -> Measured {
    let _serial = crate::ALERT_CHANNELS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let clip = programme_clip(dir.path(), tv);
    let format = match tv {
        Some((w, h)) => serde_json::json!({ "kind": "tv", "width": w, "height": h, "fps": "25/1" }),
        None => serde_json::json!({ "kind": "radio", "sample_rate": RATE, "channels": 2 }),
    };
    let json = serde_json::json!({ "format": format, "items": [ { "source": clip, "duration": 30.0, "title": "programme" } ] });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let channel_format = playlist.format;

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    let stop = Arc::new(Mutex::new(false));
    let (received, receiver) = receive(socket, stop.clone());
    let channel = start_realtime(playlist, &[OutputTarget::Udp { host: "127.0.0.1".to_owned(), port }]).unwrap();
    let on_air = Instant::now() + Duration::from_secs(15);
    while channel.handle().status().samples_out < u64::from(RATE) && Instant::now() < on_air {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1500));

    // Loaded once when a channel starts (see docs/emergency-on-air.md).
    let mut media = AlertMedia::new(dir.path());
    media.attention = Some(AttentionSignal::default());
    media.font = CjkFont::find().ok().map(Arc::new);
    AttentionSignal::default().cached_samples(RATE, 2).unwrap();

    // T: the alert is accepted. Everything from here counts.
    let t = Instant::now();
    let alert = schedules::emergency::validate_document(&alert_json()).alert.unwrap();
    let programme = AlertProgramme::build(&alert, &channel_format, &media).unwrap();
    let plan = AlertPolicy::default().plan(&alert, Utc::now());
    let airing = air_alert(channel.handle().clone(), programme, &plan, ResumePolicy::ResumeItem, 3);
    let built = t.elapsed();

    std::thread::sleep(Duration::from_millis(4000));
    let cancelled_at = Instant::now();
    let events = airing.cancel();
    std::thread::sleep(Duration::from_millis(3000));
    let report = channel.stop().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    *stop.lock().unwrap() = true;
    receiver.join().unwrap();

    let kinds: Vec<AiringKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [AiringKind::OnAir, AiringKind::Cancelled], "{events:?}");
    let overrides: Vec<_> = report.as_run.iter().filter(|r| r.title.as_deref() == Some("override")).collect();
    assert_eq!(overrides.len(), 1, "{:#?}", report.as_run);
    assert_eq!(overrides[0].source.as_deref(), Some("alert:LAT-1"));
    assert!(
        report.as_run.iter().any(|r| r.reason.as_deref().unwrap_or("").contains("resumed after the override")),
        "{:#?}",
        report.as_run
    );

    // Independent analysis of what came over the wire.
    let datagrams = received.lock().unwrap();
    assert!(datagrams.iter().all(|(_, d)| d.len() == DATAGRAM && d[0] == 0x47));
    let ts = dir.path().join("received.ts");
    std::fs::write(&ts, datagrams.iter().flat_map(|(_, d)| d.iter().copied()).collect::<Vec<u8>>()).unwrap();
    let packets = audio_packets(&ts);
    let pcm = decode_mono(&ts);
    assert!(pcm.len() >= packets.len().saturating_sub(2) * 1024, "{} samples, {} packets", pcm.len(), packets.len());
    // A block has arrived once the audio packet after its last sample has started to arrive.
    let arrival = |sample_end: usize| -> Instant {
        let next = (sample_end / 1024 + 1).min(packets.len() - 1);
        datagrams[(packets[next].pos / DATAGRAM).min(datagrams.len() - 1)].0
    };
    let signal = AttentionSignal::default();
    let blocks: Vec<(usize, bool)> =
        pcm.chunks_exact(BLOCK).enumerate().map(|(k, b)| (k * BLOCK, detects(&signal, b, RATE))).collect();
    let first = blocks.iter().find(|(_, on)| *on).map(|(s, _)| *s).expect("no attention signal in the output");
    let onset = arrival(first + BLOCK);
    assert!(onset > t, "signal before the alert");
    let last = blocks.iter().rev().find(|(_, on)| *on).map(|(s, _)| *s).unwrap();
    let stopped = arrival(last + 2 * BLOCK);
    // After the cancel: the programme tone, not the signal.
    let after = &pcm[(last + 2 * BLOCK).min(pcm.len())..];
    let programme_blocks = after.chunks_exact(BLOCK).filter(|b| tone_power(b, RATE, 440.0) > 0.001).count();
    let measured = Measured {
        onset_s: onset.duration_since(t).as_secs_f64(),
        cancel_s: stopped.saturating_duration_since(cancelled_at).as_secs_f64(),
        resumed_s: (programme_blocks * BLOCK) as f64 / f64::from(RATE),
    };
    if tv.is_some() {
        // The picture: the programme (green), the alert (red band at the top), the programme.
        let runs = colour_runs(&ts);
        let names: Vec<&str> = runs.iter().map(|(c, _)| *c).collect();
        assert_eq!(names, ["green", "red", "green"], "{runs:?}");
        assert!(runs[1].1 >= 75, "{runs:?}"); // the 4 s of alert, at 25 fps, less a second
    }
    let kind = tv.map_or("radio".to_owned(), |(w, h)| format!("tv {w}x{h}"));
    println!(
        "ALERT-LATENCY {kind}: onset {:.3} s (programme built in {:.3} s), cancel {:.3} s, resumed {:.1} s",
        measured.onset_s,
        built.as_secs_f64(),
        measured.cancel_s,
        measured.resumed_s
    );
    measured
}

/// Runs of the colour of each frame's top-left corner (inside the slate's band margin).
fn colour_runs(ts: &Path) -> Vec<(&'static str, usize)> {
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(ts)
        .args(["-map", "0:v:0", "-vf", "crop=iw/32:ih/16:0:0,scale=1:1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let names: Vec<&'static str> = o
        .stdout
        .chunks_exact(3)
        .map(|c| match (c[0] > 128, c[1] > 100, c[2] > 128) {
            (true, false, false) => "red",
            (false, true, false) => "green",
            _ => "other",
        })
        .collect();
    testkit::frames::runs(&names)
}

fn tv_size() -> (u32, u32) {
    std::env::var("KAPOK_ALERT_TV_SIZE")
        .ok()
        .and_then(|s| s.split_once('x').and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?))))
        .unwrap_or((640, 360))
}

#[test]
fn tv_alert_is_on_the_output_within_a_second_and_cancel_resumes_the_programme() {
    let m = run(Some(tv_size()));
    assert!(m.onset_s <= 1.0, "{m:?}");
    assert!(m.cancel_s <= 1.0, "{m:?}");
    assert!(m.resumed_s >= 2.0, "{m:?}");
}

#[test]
fn radio_alert_is_on_the_output_within_a_second_and_cancel_resumes_the_programme() {
    let m = run(None);
    assert!(m.onset_s <= 1.0, "{m:?}");
    assert!(m.cancel_s <= 1.0, "{m:?}");
    assert!(m.resumed_s >= 2.0, "{m:?}");
}
