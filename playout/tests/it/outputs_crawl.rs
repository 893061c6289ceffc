//! A channel's text crawl on the normal TV output: rendered on the virtual clock over a blue
//! clip, the output decoded by FFmpeg and its pixels read — yellow text on a black band at the
//! bottom that moves from frame to frame, the picture above untouched, nothing without it.

use std::path::{Path, PathBuf};
use std::process::Command;

use playout::font::CjkFont;
use playout::ticker::Ticker;
use playout::{Engine, EngineConfig, OnAirPlaylist, OutputTarget, VirtualClock};

const W: usize = 320;
const H: usize = 240;

fn blue_clip(dir: &Path) -> PathBuf {
    let path = dir.join("blue.mp4");
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=blue:s=320x240:r=25:d=3"])
        .args(["-f", "lavfi", "-i", "sine=frequency=500:sample_rate=48000:duration=3"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

fn render(clip: &Path, out: &Path, crawl: Option<&str>) {
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": W, "height": H, "fps": "25/1" },
        "items": [ { "source": clip, "duration": 3.0 } ],
    });
    let playlist = OnAirPlaylist::from_json(&json.to_string()).unwrap();
    let output =
        playout::output::Output::start(&playlist.format, &[OutputTarget::File(out.to_owned())], false).unwrap();
    let mut engine = Engine::new(playlist.format, output, VirtualClock, EngineConfig::rendering());
    if let Some(text) = crawl {
        let font = CjkFont::find().expect("a CJK font (fonts-wqy-zenhei, scripts/setup-debian.sh)");
        engine.set_ticker(Some(Box::new(Ticker::new(text, &playlist.format, &font).unwrap())));
    }
    engine.run(&playlist).unwrap();
    engine.finish().unwrap();
}

/// Every frame of `file` as RGB.
fn frames(file: &Path) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-v", "quiet", "-i"])
        .arg(file)
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    out.stdout.chunks_exact(W * H * 3).map(<[u8]>::to_vec).collect()
}

fn rgb(frame: &[u8], x: usize, y: usize) -> (u8, u8, u8) {
    let i = (y * W + x) * 3;
    (frame[i], frame[i + 1], frame[i + 2])
}

/// Pixels of the bottom band (the crawl's tenth of the picture) that are yellow / black.
fn band(frame: &[u8]) -> (usize, usize) {
    let (mut yellow, mut black) = (0, 0);
    for y in H - H / 12..H {
        for x in 0..W {
            match rgb(frame, x, y) {
                (r, g, b) if r > 150 && g > 130 && b < 110 => yellow += 1,
                (r, g, b) if r < 40 && g < 40 && b < 40 => black += 1,
                _ => {}
            }
        }
    }
    (yellow, black)
}

#[test]
fn a_text_crawl_scrolls_yellow_on_black_across_the_bottom_and_leaves_the_picture_alone() {
    let dir = tempfile::tempdir().unwrap();
    let clip = blue_clip(dir.path());
    let with = dir.path().join("crawl.ts");
    render(&clip, &with, Some("攀枝花天气 晴 25°C 东南风2级"));
    let f = frames(&with);
    assert_eq!(f.len(), 75);
    let (yellow, black) = band(&f[60]);
    assert!(yellow > 50, "yellow text in the band at frame 60: {yellow} px");
    assert!(black > 1000, "a black band: {black} px");
    let (r, g, b) = rgb(&f[60], W / 2, H / 3);
    assert!(b > 150 && r < 80 && g < 80, "the picture above the band is untouched: ({r},{g},{b})");
    let row = |frame: &[u8]| frame[(H - H / 20) * W * 3..(H - H / 20 + 1) * W * 3].to_vec();
    assert_ne!(row(&f[40]), row(&f[60]), "the text moves");

    let without = dir.path().join("plain.ts");
    render(&clip, &without, None);
    let f = frames(&without);
    let (yellow, black) = band(&f[60]);
    assert_eq!((yellow, black), (0, 0), "no crawl configured, no band");
}
