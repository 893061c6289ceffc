//! Generated clips and a per-frame colour probe shared by the engine's render and live tests
//! (filler, live, live_source, live_srt, render_codecs): a clip's colour tells which item is on
//! air.

use std::path::{Path, PathBuf};

pub use testkit::frames::primaries as colour_names;
use testkit::media::Clip;

/// A `secs`-long 320x180@25 clip of one colour with a 500 Hz tone (H.264 + AAC) at
/// `dir/name`; `extra` are further output options (e.g. `-g 5` for short GOPs, `-f mpegts`).
pub fn clip_with(dir: &Path, name: &str, colour: &str, secs: f64, extra: &[&str]) -> PathBuf {
    Clip::colour(colour, secs).args(extra).write(&dir.join(name))
}

/// [`clip_with`] with the default options.
pub fn clip(dir: &Path, name: &str, colour: &str, secs: f64) -> PathBuf {
    clip_with(dir, name, colour, secs, &[])
}
