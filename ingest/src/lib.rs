//! Kapok ingest: turns an uploaded file into a house-format programme.
//!
//! Stages: [`probe`] (media facts and loudness of the source) → [`house`] (transcode to the
//! house format with the planned [`gain`] applied, then re-measure) → [`qc`] (black, freeze,
//! silence, loudness, A/V sync, decode errors) → [`proxy`] (browse proxy, poster, thumbnail
//! strip); [`pipeline::process`] runs them in order.
//!
//! Untrusted media is never decoded in this process: every decode runs in a child under a
//! wall-clock and an address-space limit (see [`sandbox`]) — the media child
//! (`kapok __media-child`, [`media`] on `ffmpeg-next`, started by [`child`]) for facts,
//! loudness and the house transcode (one decode that also feeds QC's detectors and the
//! proxy), `ffmpeg` only for the limiter make-up — so a crash, hang or
//! memory blow-up caused by a hostile file becomes an [`IngestError`], not a dead worker. Loudness maths ([`loudness`], [`gain`]) and report parsing are pure Rust.
//!
//! [`submit`] stores an upload and queues its job; [`worker`] runs jobs from the catalog's
//! queue against the media store, each programme normalised to its centre's loudness target
//! ([`targets`]); [`wait`] waits for a programme to settle.

pub mod allocator;
pub mod child;
pub mod error;
pub mod gain;
pub mod house;
pub mod jail;
pub mod loudness;
pub mod media;
pub mod normalise;
pub mod pcm;
pub mod pipeline;
pub mod probe;
pub mod proxy;
pub mod qc;
pub mod sandbox;
pub mod submit;
pub mod targets;
pub mod upload;
pub mod wait;
pub mod watch;
pub mod worker;

pub use error::{ErrorKind, IngestError};
