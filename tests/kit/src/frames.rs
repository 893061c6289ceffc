//! What every frame of a video shows, decoded by FFmpeg (independent of the code under test):
//! generated clips are solid colours, so a frame's colour tells which item was on air.

use std::path::Path;
use std::process::Command;

/// The mean RGB of the centre eighth of every video frame of `file`, in presentation order
/// (`-fps_mode passthrough`: each decoded frame once, none duplicated or dropped).
///
/// # Panics
/// When ffmpeg is missing or cannot decode `file`.
pub fn centre_rgb(file: &Path) -> Vec<[u8; 3]> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(file)
        .args(["-map", "0:v:0", "-fps_mode", "passthrough", "-vf", "crop=iw/8:ih/8,scale=1:1"])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("ffmpeg runs (scripts/setup-debian.sh installs it)");
    assert!(out.status.success(), "decoding {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    out.stdout.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
}

/// The name of the `palette` colour nearest to `rgb` (squared distance), or `"?"` when even
/// the nearest is farther than `max_distance` (when given).
#[must_use]
pub fn nearest(rgb: [u8; 3], palette: &[(&'static str, [u8; 3])], max_distance: Option<i32>) -> &'static str {
    let d = |p: [u8; 3]| (0..3).map(|i| (i32::from(rgb[i]) - i32::from(p[i])).pow(2)).sum::<i32>();
    match palette.iter().map(|(n, p)| (*n, d(*p))).min_by_key(|(_, d)| *d) {
        Some((_, best)) if max_distance.is_some_and(|max| best > max) => "?",
        Some((name, _)) => name,
        None => "?",
    }
}

/// Red, green, blue, yellow or black by thresholds (green by a low bar: FFmpeg's `green` is
/// 0,128,0), `"?"` for anything else.
#[must_use]
pub fn primary(rgb: [u8; 3]) -> &'static str {
    match (rgb[0] > 128, rgb[1] > 64, rgb[2] > 128) {
        (true, false, false) => "red",
        (false, true, false) => "green",
        (false, false, true) => "blue",
        (true, true, false) => "yellow",
        (false, false, false) => "black",
        _ => "?",
    }
}

/// [`primary`] of the centre of every frame of `file`.
///
/// # Panics
/// As [`centre_rgb`].
pub fn primaries(file: &Path) -> Vec<&'static str> {
    centre_rgb(file).into_iter().map(primary).collect()
}

/// Runs of equal values: `(value, how many in a row)`.
#[must_use]
pub fn runs<T: PartialEq + Copy>(values: &[T]) -> Vec<(T, usize)> {
    let mut runs: Vec<(T, usize)> = Vec::new();
    for v in values {
        match runs.last_mut() {
            Some((last, n)) if last == v => *n += 1,
            _ => runs.push((*v, 1)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_named_by_the_nearest_palette_entry_within_the_limit() {
        let palette = [("red", [255, 0, 0]), ("black", [0, 0, 0])];
        assert_eq!(nearest([240, 10, 5], &palette, None), "red");
        assert_eq!(nearest([128, 128, 128], &palette, Some(100)), "?");
        assert_eq!(primary([0, 128, 0]), "green");
        assert_eq!(runs(&["a", "a", "b"]), [("a", 2), ("b", 1)]);
    }
}
