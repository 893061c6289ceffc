//! The playout crate's error type.

use std::path::PathBuf;

use crate::playlist::PlaylistError;

/// What can stop the engine. Media faults never do: they become fallback in the as-run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlayoutError {
    /// The playlist is unusable.
    #[error(transparent)]
    OnAirPlaylist(#[from] PlaylistError),
    /// GStreamer could not be initialised.
    #[error("cannot initialise GStreamer: {0}")]
    Init(#[source] gstreamer::glib::Error),
    /// A GStreamer element the output needs is not installed.
    #[error("GStreamer element {0:?} is missing (Debian package {1})")]
    MissingElement(&'static str, &'static str),
    /// Building or linking the output pipeline failed.
    #[error("output pipeline: {0}")]
    Pipeline(String),
    /// The output failed while running (e.g. the disk is full).
    #[error("output failed: {0}")]
    Output(String),
    /// The output file's directory does not exist or is not writable.
    #[error("cannot write output {path}: {reason}")]
    OutputPath {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl From<gstreamer::glib::BoolError> for PlayoutError {
    fn from(e: gstreamer::glib::BoolError) -> Self {
        PlayoutError::Pipeline(e.to_string())
    }
}

impl From<gstreamer::StateChangeError> for PlayoutError {
    fn from(e: gstreamer::StateChangeError) -> Self {
        PlayoutError::Pipeline(e.to_string())
    }
}
