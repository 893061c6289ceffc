//! Kapok playout: one continuously running output per channel.
//!
//! The output side (encoders, mux, sinks) is built once and never stops; each playlist item
//! is decoded by its own input pipeline, conformed to the channel format and re-stamped onto
//! the one channel timeline, so transitions are frame- and sample-exact. Faults become slate
//! and silence plus an as-run line, never dead air.
//!
//! Pure parts: [`timeline`], [`playlist`], [`asrun`]. GStreamer parts: [`input`], [`output`],
//! [`engine`]. Entry point for rendering: [`render::render_playlist`].

pub mod alert;
pub mod asrun;
pub mod audio_codec;
pub mod cache;
pub mod channel;
pub mod clock;
pub mod engine;
pub mod error;
mod feed;
pub mod font;
pub mod input;
mod join;
pub mod off_air;
pub mod output;
pub mod output_logo;
pub mod playlist;
pub mod realtime;
pub mod render;
pub mod si;
pub mod status;
pub mod ticker;
pub mod timeline;

pub use asrun::{AsRunRecord, Outcome};
pub use clock::{PlayoutClock, SystemClock, VirtualClock};
pub use engine::{AsRunObserver, Engine, EngineConfig, EngineHandle, ResumePolicy};
pub use error::PlayoutError;
pub use output::{BadTarget, OutputTarget};
pub use output_logo::{Logo, LogoCorner};
pub use playlist::{OnAirPlaylist, PlaylistError};
pub use realtime::{start_realtime, RealtimeChannel, RealtimeReport};
pub use render::{render_playlist, render_playlist_file, RenderReport};
pub use status::{OutputState, OutputStatus, Status};
