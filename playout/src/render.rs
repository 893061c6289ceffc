//! Rendering a playlist on the virtual clock into a `.ts` file.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::asrun::AsRunRecord;
use crate::clock::VirtualClock;
use crate::engine::{Engine, EngineConfig};
use crate::error::PlayoutError;
use crate::output::Output;
use crate::output::OutputTarget;
use crate::playlist::OnAirPlaylist;

/// What a render produced.
#[derive(Debug, Clone, Serialize)]
pub struct RenderReport {
    /// One record per item (and per filled gap).
    pub as_run: Vec<AsRunRecord>,
    /// Video frames written (0 on radio).
    pub frames_out: u64,
    /// Audio samples (per channel) written.
    pub samples_out: u64,
    /// Timeline length, seconds.
    pub duration_s: f64,
    /// Wall time the render took, seconds.
    pub wall_s: f64,
    /// `duration_s / wall_s`: how many times faster than real time.
    pub speed: f64,
}

/// Runs the engine on the virtual clock over `playlist` and writes MPEG-TS to `output`.
///
/// # Errors
/// [`PlayoutError::OutputPath`] when `output` cannot be created, [`PlayoutError::MissingElement`]
/// when GStreamer plugins are missing, [`PlayoutError::Output`] when writing fails. Broken or
/// missing media is not an error: it is filled and reported in the as-run.
pub fn render_playlist(playlist: &OnAirPlaylist, output: &Path) -> Result<RenderReport, PlayoutError> {
    std::fs::File::create(output)
        .map_err(|e| PlayoutError::OutputPath { path: output.to_owned(), reason: e.to_string() })?;
    gstreamer::init().map_err(PlayoutError::Init)?;
    let started = Instant::now();
    let out = Output::start(&playlist.format, &[OutputTarget::File(output.to_owned())], false)?;
    let mut engine = Engine::new(playlist.format, out, VirtualClock, EngineConfig::rendering());
    let as_run = engine.run(playlist)?;
    let (frames_out, samples_out) = engine.counters();
    if let Some((target, reason)) = engine.finish()?.into_iter().next() {
        return Err(PlayoutError::Output(format!("{target}: {reason}")));
    }
    let wall_s = started.elapsed().as_secs_f64();
    let duration_s = playlist.format.sample_time(samples_out).as_secs_f64();
    Ok(RenderReport { as_run, frames_out, samples_out, duration_s, wall_s, speed: duration_s / wall_s.max(1e-9) })
}

/// Loads the playlist file at `playlist` (relative media paths resolved against it) and renders it.
///
/// # Errors
/// As [`OnAirPlaylist::load`] and [`render_playlist`].
pub fn render_playlist_file(playlist: &Path, output: &Path) -> Result<RenderReport, PlayoutError> {
    render_playlist(&OnAirPlaylist::load(playlist)?, output)
}
