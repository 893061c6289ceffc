//! Helpers of the ingest tests: media generated with FFmpeg's lavfi sources and checked with
//! ffprobe and FFmpeg's own `ebur128` filter (tools independent of the code under test), all
//! from `testkit`, and a scratch directory.

pub use testkit::media::{ffmpeg, ffmpeg_loudness, ffprobe, generate, num, stream};

/// A fresh scratch directory.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
