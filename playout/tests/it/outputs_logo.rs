//! The channel logo burnt into the TV output: a red PNG at the top-right corner, checked by
//! decoding a frame of the output with ffmpeg and reading its pixels.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::outputs_common::*;
use playout::output::Output;
use playout::{Logo, LogoCorner, OutputTarget};

/// (R, G, B) at (x, y) of the 16th frame of `file` (320x240).
fn pixel(file: &Path, x: usize, y: usize) -> (u8, u8, u8) {
    let out = Command::new("ffmpeg")
        .args(["-v", "quiet", "-i"])
        .arg(file)
        .args(["-vf", "select=gte(n\\,15)", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    assert_eq!(out.stdout.len(), 320 * 240 * 3, "one decoded frame");
    let i = (y * 320 + x) * 3;
    (out.stdout[i], out.stdout[i + 1], out.stdout[i + 2])
}

fn run(logo: &Logo, file: &Path) {
    let output = Output::start_with_logo(&tv(), &[OutputTarget::File(file.to_owned())], true, Some(logo)).unwrap();
    let feeder = Feeder::start(output, tv());
    std::thread::sleep(Duration::from_millis(1200));
    feeder.finish();
}

#[test]
fn a_logo_sits_in_its_corner_with_its_opacity() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("logo.png");
    let st = Command::new("ffmpeg")
        .args(["-v", "quiet", "-y", "-f", "lavfi", "-i", "color=c=red:s=64x48", "-frames:v", "1"])
        .arg(&png)
        .status()
        .unwrap();
    assert!(st.success());

    let opaque = dir.path().join("opaque.ts");
    run(&Logo::new(&png, LogoCorner::TopRight, 16, 1.0).unwrap(), &opaque);
    // The logo covers x 240..304, y 16..64: its centre is red, the opposite corner is grey.
    let (r, g, b) = pixel(&opaque, 272, 40);
    assert!(r > 180 && g < 70 && b < 70, "logo centre is ({r},{g},{b})");
    let (r, g, b) = pixel(&opaque, 40, 200);
    assert!(r.abs_diff(g) < 30 && g.abs_diff(b) < 30, "picture away from the logo is ({r},{g},{b})");
    let (r, g, _) = pixel(&opaque, 230, 40);
    assert!(r.abs_diff(g) < 30, "left of the logo is untouched ({r},{g})");

    let half = dir.path().join("half.ts");
    run(&Logo::new(&png, LogoCorner::TopRight, 16, 0.5).unwrap(), &half);
    let (r, g, _) = pixel(&half, 272, 40);
    let (ro, go, _) = pixel(&opaque, 272, 40);
    assert!(r > g + 30, "half-opaque logo still shows red ({r},{g})");
    assert!(r - g + 40 < ro - go, "half-opaque logo is paler than the opaque one ({r},{g}) vs ({ro},{go})");
}
