//! A radio channel on an Icecast mount (Debian icecast2, started here with a generated
//! config): a listener (ffmpeg) reads MP3 back, the server is killed and restarted, the
//! output reconnects and is heard again; the file target beside it stays continuous.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::outputs_common::*;
use playout::output::Output;
use playout::{OutputState, OutputTarget};

const PASSWORD: &str = "kapok-test";

fn icecast(dir: &Path, port: u16) -> Receiver {
    let conf = dir.join("icecast.xml");
    std::fs::write(
        &conf,
        format!(
            "<icecast><limits><sources>2</sources></limits>\
             <authentication><source-password>{PASSWORD}</source-password><admin-user>admin</admin-user>\
             <admin-password>{PASSWORD}</admin-password></authentication>\
             <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>\
             <paths><basedir>/usr/share/icecast2</basedir><logdir>{}</logdir>\
             <webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>\
             <logging><errorlog>-</errorlog><loglevel>2</loglevel></logging>\
             <security><chroot>0</chroot><changeowner><user>icecast2</user><group>icecast</group></changeowner>\
             </security></icecast>",
            dir.display()
        ),
    )
    .unwrap();
    let r = Receiver::spawn("icecast2", &["-c", &conf.to_string_lossy()], &dir.join("icecast.out"));
    std::thread::sleep(Duration::from_millis(700));
    r
}

fn mount_target(port: u16, mount: &str) -> OutputTarget {
    OutputTarget::Icecast { host: "127.0.0.1".into(), port, mount: mount.into(), password: PASSWORD.into() }
}

/// Listens to the mount for 3 s with ffmpeg; returns (codec, seconds) of what it got. The
/// mount appears when the output's first MP3 reaches Icecast, which on a loaded machine can be
/// a few seconds after the output says it is up: a listener refused (404) tries again, for
/// 20 s in all. A mount that stops sending fails the test within seconds (`-rw_timeout`, and
/// the listener is killed after 30 s) instead of leaving it waiting for ever.
fn listen(url: &str, out: &Path) -> (String, f64) {
    let until = std::time::Instant::now() + Duration::from_secs(20);
    while !listen_once(url, out) {
        assert!(std::time::Instant::now() < until, "ffmpeg could not read {url} for 20 s");
        std::thread::sleep(Duration::from_secs(1));
    }
    let probe = Command::new("ffprobe")
        .args(["-v", "quiet", "-show_entries", "stream=codec_name:format=duration", "-of", "csv=p=0"])
        .arg(out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&probe.stdout).into_owned();
    let mut lines = text.lines();
    let codec = lines.next().unwrap_or_default().trim_end_matches(',').to_owned();
    let secs = lines.next().and_then(|l| l.trim().parse().ok()).unwrap_or(0.0);
    (codec, secs)
}

/// One ffmpeg listener of 3 s on `url` into `out`: whether it read them.
fn listen_once(url: &str, out: &Path) -> bool {
    let mut ffmpeg = Command::new("ffmpeg")
        .args(["-v", "quiet", "-y", "-rw_timeout", "5000000", "-t", "3", "-i", url, "-c", "copy"])
        .arg(out)
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if let Some(st) = ffmpeg.try_wait().unwrap() {
            return st.success();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = ffmpeg.kill();
    panic!("ffmpeg still reading {url} after 30 s");
}

#[test]
fn a_radio_channel_is_heard_on_icecast_before_and_after_a_server_restart() {
    let dir = tempfile::tempdir().unwrap();
    // icecast2 drops root for its own user, which must be able to write its logs here.
    Command::new("chmod").arg("777").arg(dir.path()).status().unwrap();
    let port = free_port();
    let server = icecast(dir.path(), port);
    let file = dir.path().join("record.ts");
    let targets = [OutputTarget::File(file.clone()), mount_target(port, "/city.mp3")];
    let feeder = Feeder::start(Output::start(&radio(), &targets, true).unwrap(), radio());
    feeder.wait_for(1, OutputState::Up, Duration::from_secs(5));
    std::thread::sleep(Duration::from_secs(1));
    let mount = format!("http://127.0.0.1:{port}/city.mp3");
    let (codec, secs) = listen(&mount, &dir.path().join("first.mp3"));
    assert_eq!(codec, "mp3");
    assert!(secs > 2.5, "first listen got {secs} s");
    server.kill();
    let down = feeder.wait_for(1, OutputState::Reconnecting, Duration::from_secs(10));
    assert!(down.failed.is_some(), "{down:?}");
    let server = icecast(dir.path(), port);
    let up = feeder.wait_for(1, OutputState::Up, Duration::from_secs(20));
    assert!(up.reconnects >= 1, "{up:?}");
    std::thread::sleep(Duration::from_secs(1));
    let (codec, secs) = listen(&mount, &dir.path().join("second.mp3"));
    assert_eq!(codec, "mp3");
    assert!(secs > 2.5, "second listen got {secs} s");
    let (chunks, failed) = feeder.finish();
    server.kill();
    assert!(failed.is_empty(), "{failed:?}");

    // The file target: AAC frames of 1024 samples, back to back, covering every chunk pushed.
    let times = packet_times(&file, "a:0");
    let frame = 1024.0 / 48_000.0;
    for w in times.windows(2) {
        assert!((w[1] - w[0] - frame).abs() < 0.001, "audio gap between {:.3} and {:.3}", w[0], w[1]);
    }
    let pushed = chunks as f64 / FPS as f64;
    let covered = times.len() as f64 * frame;
    assert!((covered - pushed).abs() < 0.1, "file holds {covered:.2} s of {pushed:.2} s pushed");
}

#[test]
fn mp3_and_opus_radio_channels_are_heard_as_mp3_on_icecast() {
    let dir = tempfile::tempdir().unwrap();
    Command::new("chmod").arg("777").arg(dir.path()).status().unwrap();
    let port = free_port();
    let server = icecast(dir.path(), port);
    // MP3 passes through as it is on air; Opus is decoded and encoded as MP3.
    for codec in [playout::timeline::AudioCodec::Mp3, playout::timeline::AudioCodec::Opus] {
        let format = playout::timeline::ChannelFormat { audio_codec: codec, ..radio() };
        let mount = format!("/{codec}.mp3");
        let targets = [mount_target(port, &mount)];
        let feeder = Feeder::start(Output::start(&format, &targets, true).unwrap(), format);
        feeder.wait_for(0, OutputState::Up, Duration::from_secs(5));
        std::thread::sleep(Duration::from_secs(1));
        let (heard, secs) =
            listen(&format!("http://127.0.0.1:{port}{mount}"), &dir.path().join(format!("{codec}.mp3")));
        assert_eq!(heard, "mp3", "{codec} channel");
        assert!(secs > 2.5, "{codec} channel: heard {secs} s");
        let (_, failed) = feeder.finish();
        assert!(failed.is_empty(), "{codec} channel: {failed:?}");
    }
    server.kill();
}
