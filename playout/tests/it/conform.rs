//! Sources conformed to the channel's picture, checked on decoded output frames (FFmpeg):
//! an interlaced source is deinterlaced (its fields are not woven into combs), and a 4:3
//! source on a 16:9 channel is pillarboxed (scaled to full height, black borders left and
//! right), whether its pixels are square or not.

use std::path::{Path, PathBuf};
use std::process::Command;

use playout::{render_playlist, OnAirPlaylist};

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg").args(["-hide_banner", "-loglevel", "error", "-y"]).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Every video frame of `file` as 8-bit luma rows of `width` × `height`.
fn luma_frames(file: &Path, width: usize, height: usize) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(file)
        .args(["-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout.chunks_exact(width * height).map(<[u8]>::to_vec).collect()
}

/// Mean luma difference between each even row and the odd row below it: the two fields of a
/// woven interlaced frame differ where the picture moved (combing); a progressive frame's
/// neighbouring rows barely do.
fn field_difference(frame: &[u8], width: usize) -> f64 {
    let rows: Vec<&[u8]> = frame.chunks_exact(width).collect();
    let pairs = rows.len() / 2;
    let total: u64 =
        (0..pairs).flat_map(|k| rows[2 * k].iter().zip(rows[2 * k + 1]).map(|(a, b)| u64::from(a.abs_diff(*b)))).sum();
    total as f64 / (pairs * width) as f64
}

fn render(dir: &Path, source: &Path, width: u32, height: u32, secs: f64) -> PathBuf {
    let json = serde_json::json!({
        "format": { "kind": "tv", "width": width, "height": height, "fps": "25/1" },
        "items": [ { "source": source, "duration": secs } ],
    });
    let out = dir.join("out.ts");
    let report = render_playlist(&OnAirPlaylist::from_json(&json.to_string()).unwrap(), &out).unwrap();
    assert_eq!(report.as_run[0].outcome, playout::Outcome::Played, "{:?}", report.as_run[0]);
    out
}

#[test]
fn an_interlaced_source_is_deinterlaced_not_woven_into_combs() {
    let dir = tempfile::tempdir().unwrap();
    // 576i25 MPEG-2, top field first, of a white bar moving 16 px a field: woven, each frame
    // holds the bar at two places, one in each field.
    let source = dir.path().join("interlaced.ts");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=black:s=720x288:r=50[bg];color=white:s=80x288:r=50[bar];\
         [bg][bar]overlay=x='mod(n*16\\,640)':y=0:eval=frame,weave=first_field=top,setfield=tff",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=500:sample_rate=48000",
        "-t",
        "1.2",
        "-c:v",
        "mpeg2video",
        "-b:v",
        "8M",
        "-flags",
        "+ilme+ildct",
        "-top",
        "1",
        "-c:a",
        "mp2",
        source.to_str().unwrap(),
    ]);
    let woven: Vec<f64> = luma_frames(&source, 720, 576).iter().map(|f| field_difference(f, 720)).collect();
    assert!(woven.iter().all(|d| *d > 8.0), "the source is combed where the bar moves: {woven:?}");

    let out = render(dir.path(), &source, 720, 576, 1.0);
    let frames = luma_frames(&out, 720, 576);
    assert_eq!(frames.len(), 25);
    let aired: Vec<f64> = frames.iter().map(|f| field_difference(f, 720)).collect();
    assert!(aired.iter().all(|d| *d < 1.0), "combing left on air: {aired:?}");
    // …and the bar is still there (deinterlacing did not blank the picture).
    let white = frames[12].iter().filter(|y| **y > 200).count() as f64 / (720.0 * 576.0);
    assert!((0.08..0.16).contains(&white), "{white:.3} of the frame is the 80 px bar");
}

/// The middle row of `frame`: (left border, picture, right border), edges of the picture left out.
fn pillars(frame: &[u8], width: usize, height: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let row = &frame[(height / 2) * width..(height / 2 + 1) * width];
    (row[..150].to_vec(), row[170..width - 170].to_vec(), row[width - 150..].to_vec())
}

#[test]
fn a_4_3_source_is_pillarboxed_on_a_16_9_channel_with_square_or_non_square_pixels() {
    let dir = tempfile::tempdir().unwrap();
    // 640x480 with square pixels, and 720x576 with PAL 4:3's 16:15 pixels: both 4:3 pictures.
    for (name, size, sar) in [("square.mp4", "640x480", "1/1"), ("pal43.mp4", "720x576", "16/15")] {
        let source = dir.path().join(name);
        let filter = format!("color=white:s={size}:r=25,setsar={sar}");
        let (path, tone) = (source.to_str().unwrap(), "sine=frequency=500:sample_rate=48000");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            &filter,
            "-f",
            "lavfi",
            "-i",
            tone,
            "-t",
            "1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            path,
        ]);

        let aired = render(dir.path(), &source, 1280, 720, 0.4);
        let frames = luma_frames(&aired, 1280, 720);
        assert_eq!(frames.len(), 10);
        // 4:3 at 720 lines is 960 wide: 160 px of black each side.
        let (left, picture, right) = pillars(&frames[5], 1280, 720);
        assert!(left.iter().chain(&right).all(|y| *y <= 20), "{name}: borders not black: {left:?} {right:?}");
        assert!(picture.iter().all(|y| *y >= 230), "{name}: picture not full between the borders: {picture:?}");
        // The picture fills the height: the top and bottom rows of the middle column are white.
        let (top, bottom) = (frames[5][640], frames[5][719 * 1280 + 640]);
        assert!(top >= 230 && bottom >= 230, "{name}: letterboxed as well? top {top}, bottom {bottom}");
    }
}
