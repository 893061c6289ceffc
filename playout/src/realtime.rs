//! A channel on air in real time: the engine on the system clock in its own thread,
//! playing a playlist and then slate until stopped, into any number of targets.

use std::thread::JoinHandle;

use serde::Serialize;

use crate::asrun::AsRunRecord;
use crate::clock::SystemClock;
use crate::engine::{Engine, EngineConfig, EngineHandle};
use crate::error::PlayoutError;
use crate::join::JoinAt;
use crate::output::Output;
use crate::output::OutputTarget;
use crate::playlist::OnAirPlaylist;

/// What a real-time run aired, returned when it stops.
#[derive(Debug, Clone, Serialize)]
pub struct RealtimeReport {
    /// One record per item, gap, override and the final fill.
    pub as_run: Vec<AsRunRecord>,
    /// Video frames emitted (0 on radio).
    pub frames_out: u64,
    /// Audio samples (per channel) emitted.
    pub samples_out: u64,
    /// Targets that failed while the others went on, as (target, reason).
    pub failed_targets: Vec<(String, String)>,
}

/// A running channel.
pub struct RealtimeChannel {
    handle: EngineHandle,
    thread: JoinHandle<Result<RealtimeReport, PlayoutError>>,
}

/// Puts `playlist` on air in real time into `targets`; after its last item the channel airs
/// slate and silence until [`RealtimeChannel::stop`]. A playlist with wall-clock times is joined
/// at the current time ([`OnAirPlaylist::joined_at`]): what is scheduled now airs now.
///
/// # Errors
/// [`PlayoutError`] when the output cannot be built (missing elements, bad target).
pub fn start_realtime(playlist: OnAirPlaylist, targets: &[OutputTarget]) -> Result<RealtimeChannel, PlayoutError> {
    let output = Output::start(&playlist.format, targets, true)?;
    let mut engine = Engine::new(playlist.format, output, SystemClock::default(), EngineConfig::real_time());
    let handle = engine.handle();
    let stop = handle.clone();
    let thread = std::thread::Builder::new()
        .name("playout-engine".to_owned())
        .spawn(move || {
            let mut as_run = match playlist.joined_at(chrono::Utc::now().fixed_offset()) {
                Some(playlist) => engine.run(&playlist)?,
                None => Vec::new(),
            };
            if !stop.is_stopping() {
                as_run.extend(engine.fill_until_stopped()?);
            }
            let (frames_out, samples_out) = engine.counters();
            let failed_targets = engine.finish()?;
            Ok(RealtimeReport { as_run, frames_out, samples_out, failed_targets })
        })
        .map_err(|e| PlayoutError::Pipeline(format!("cannot start the engine thread: {e}")))?;
    Ok(RealtimeChannel { handle, thread })
}

impl RealtimeChannel {
    /// Controls: override, release, status.
    pub fn handle(&self) -> &EngineHandle {
        &self.handle
    }

    /// Stops after the current frame, drains the outputs and returns what aired.
    ///
    /// # Errors
    /// [`PlayoutError::Output`] when the output failed.
    pub fn stop(self) -> Result<RealtimeReport, PlayoutError> {
        self.handle.stop();
        self.thread.join().unwrap_or_else(|_| Err(PlayoutError::Output("engine thread panicked".to_owned())))
    }
}
