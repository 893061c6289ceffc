//! A channel on air 24/7: the published schedule followed in real time, joined at the item
//! due now (after a start or a crash), reloaded while it runs (changes after the item on air
//! apply without touching it), with media from the local cache and slate when nothing is
//! scheduled or the media is missing. See `docs/playout-node.md`.
//!
//! The schedule comes through [`PlaylistSource`] and the as-run goes through [`AsRunSink`]:
//! the server implements both over the catalog, a remote node over the API.

mod http;
mod runner;
mod source;
mod watch;
pub(crate) mod window;

pub use http::{EventReader, HttpAsRunSink, HttpSource, ServerEvent};
pub use runner::{ChannelConfig, ChannelHandle, ChannelReport, ChannelRunner, OnAirNow, Slot};
pub use source::{guide_of, AsRunSink, FileSource, JsonLinesAsRun, MemoryAsRun, PlaylistSource, SourceError};

/// What can stop a channel (media and schedule faults never do: they become slate and as-run).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// The output could not be built, or failed entirely.
    #[error(transparent)]
    Playout(#[from] crate::error::PlayoutError),
    /// A thread could not be started.
    #[error("cannot start the channel's {0} thread: {1}")]
    Thread(&'static str, std::io::Error),
    /// The engine thread panicked.
    #[error("the channel's engine thread panicked")]
    Panicked,
}
