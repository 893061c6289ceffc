//! RTMP push to a local nginx with the RTMP module (Debian nginx + libnginx-mod-rtmp), which
//! records what it receives; the server is killed and restarted mid-stream: the file target
//! stays continuous, the RTMP output reconnects, and both recordings hold H.264 (ffprobe).

use std::path::Path;
use std::time::Duration;

use crate::outputs_common::*;
use playout::output::Output;
use playout::{OutputState, OutputTarget};

fn nginx(dir: &Path, port: u16) -> Receiver {
    let conf = dir.join("nginx.conf");
    let d = dir.display();
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;\nevents {{}}\n\
             rtmp {{ server {{ listen 127.0.0.1:{port}; application live {{ live on; record all; \
             record_path {d}/rec; record_unique on; }} }} }}\n"
        ),
    )
    .unwrap();
    let conf = conf.to_string_lossy().into_owned();
    let r = Receiver::spawn("nginx", &["-c", &conf, "-p", &d.to_string()], &dir.join("nginx.out"));
    std::thread::sleep(Duration::from_millis(500));
    r
}

#[test]
fn an_rtmp_output_reconnects_when_the_server_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rec")).unwrap();
    let port = free_port();
    let server = nginx(dir.path(), port);
    let file = dir.path().join("record.ts");
    let targets =
        [OutputTarget::File(file.clone()), OutputTarget::Rtmp { url: format!("rtmp://127.0.0.1:{port}/live/tv") }];
    let feeder = Feeder::start(Output::start(&tv(), &targets, true).unwrap(), tv());
    feeder.wait_for(1, OutputState::Up, Duration::from_secs(5));
    std::thread::sleep(Duration::from_secs(3));
    server.kill();
    let down = feeder.wait_for(1, OutputState::Reconnecting, Duration::from_secs(10));
    assert!(down.failed.is_some(), "{down:?}");
    std::thread::sleep(Duration::from_secs(1));
    let server = nginx(dir.path(), port);
    let up = feeder.wait_for(1, OutputState::Up, Duration::from_secs(20));
    assert!(up.reconnects >= 1, "{up:?}");
    // The reconnected target joins mid-GOP: its video starts at the next IDR (≤ 2 s away), and
    // it must not stall while it waits for it (it once did: a 1 s queue blocked the demuxer).
    std::thread::sleep(Duration::from_millis(4500));
    let (frames, failed) = feeder.finish();
    std::thread::sleep(Duration::from_millis(500));
    server.kill();
    assert!(failed.is_empty(), "{failed:?}");

    let recorded = packet_times(&file, "v:0");
    assert_eq!(recorded.len() as u64, frames, "the file holds every frame");
    assert_continuous(&recorded, "file target");
    let mut flvs: Vec<_> = std::fs::read_dir(dir.path().join("rec")).unwrap().map(|e| e.unwrap().path()).collect();
    flvs.sort();
    assert_eq!(flvs.len(), 2, "one recording per connection: {flvs:?}");
    for flv in &flvs {
        let n = decoded_frames(flv, "v:0");
        assert!(n >= 40, "{} holds {n} H.264 frames", flv.display());
        assert!(decoded_frames(flv, "a:0") > 50, "{} has AAC", flv.display());
    }
}

#[test]
fn an_mp2_tv_channel_is_pushed_over_rtmp_with_aac_made_from_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rec")).unwrap();
    let port = free_port();
    let server = nginx(dir.path(), port);
    let format = playout::timeline::ChannelFormat { audio_codec: playout::timeline::AudioCodec::Mp2, ..tv() };
    let targets = [OutputTarget::Rtmp { url: format!("rtmp://127.0.0.1:{port}/live/mp2") }];
    let feeder = Feeder::start(Output::start(&format, &targets, true).unwrap(), format);
    feeder.wait_for(0, OutputState::Up, Duration::from_secs(5));
    std::thread::sleep(Duration::from_secs(3));
    let (_, failed) = feeder.finish();
    std::thread::sleep(Duration::from_millis(500));
    server.kill();
    assert!(failed.is_empty(), "{failed:?}");
    let flvs: Vec<_> = std::fs::read_dir(dir.path().join("rec")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(flvs.len(), 1, "{flvs:?}");
    let codecs = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0"])
        .arg(&flvs[0])
        .output()
        .unwrap();
    let codecs = String::from_utf8_lossy(&codecs.stdout).into_owned();
    assert!(codecs.lines().any(|c| c == "aac") && codecs.lines().any(|c| c == "h264"), "{codecs}");
    assert!(decoded_frames(&flvs[0], "a:0") > 50, "{} has AAC audio", flvs[0].display());
}
