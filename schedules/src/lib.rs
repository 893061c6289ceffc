//! Kapok schedules: channels' clocks and rules become frame-exact day playlists that explain
//! themselves; playlists are validated, edited (versioned, with undo), published, exported
//! as XMLTV and imported from CSV. Pure logic: no I/O, no GStreamer, no SQL, no HTTP.
//!
//! Time model: see [`time`]. Everything on a channel is counted in frames from the day start.

pub mod candidate;
pub mod channel;
pub mod child_program;
pub mod demo;
pub mod edit;
pub mod emergency;
pub mod epg;
pub mod error;
pub mod format;
pub mod generate;
pub mod history;
pub mod import;
pub mod on_air;
pub mod phrase;
pub mod playlist;
pub mod publish;
pub mod quota;
pub mod relay;
pub mod service;
pub mod template;
pub mod time;
pub mod validate;

pub use candidate::{CandidateIndex, ProgrammeCandidate, ProgrammeId, ProgrammeLookup};
pub use channel::{CentreCode, Channel, ChannelKind};
pub use edit::{EditOp, Version, VersionedPlaylist};
pub use epg::{now_next, xmltv, xmltv_id, EpgChannel, GuideEntry, NowNext};
pub use error::{Result, ScheduleError};
pub use format::{AudioCodec, AudioFormat, ChannelFormat, VideoFormat};
pub use generate::{generate_day, generate_day_indexed, GeneratedDay, Generator, Relax, RuleBreak};
pub use history::{PlayHistory, PlayRecord};
pub use import::{import_day_csv, LineError};
pub use phrase::Phrase;
pub use playlist::{ItemKind, Playlist, PlaylistItem, PlayoutItem, Source, Timing};
pub use publish::{merge_on_air, PublishedDay, PublishedDays};
pub use template::{check as check_template, Problem, Template};
pub use time::{BadFrameRate, DayClock, FrameRate, Frames, MediaTime, TimeOfDay};
pub use validate::{has_errors, validate, Finding, Severity};
