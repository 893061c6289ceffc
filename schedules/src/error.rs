//! The crate's error type: one enum for every fallible operation of `schedules`.

use crate::phrase::Phrase;
use crate::template::Problem;

/// Everything that can go wrong in schedules (bad input, conflicting edits, unknown references).
///
/// The variants carry enough context for a person to act on them; none is ever a panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// A frame rate with a zero numerator or denominator, or an absurd value.
    #[error(transparent)]
    FrameRate(#[from] crate::time::BadFrameRate),
    /// A time of day, timecode or duration that could not be parsed.
    #[error("invalid time {text:?}: {reason}")]
    Time { text: String, reason: String },
    /// A centre code that is not six ASCII digits.
    #[error("invalid centre code {0:?}: expected six digits such as 510421")]
    CentreCode(String),
    /// An identifier that is empty or too long.
    #[error("invalid identifier {0:?}")]
    Identifier(String),
    /// The template has errors; the generator refuses to run on it.
    #[error("template has {} problem(s), first: {}", .0.len(), .0.first().map(|p| p.message.as_str()).unwrap_or(""))]
    Template(Vec<Problem>),
    /// An edit was based on a version that is no longer the current one.
    #[error("version conflict: edit based on version {expected}, current is {current}")]
    Conflict { expected: u64, current: u64 },
    /// An edit tried to change a locked item.
    #[error("item {index} is locked")]
    Locked { index: usize },
    /// An edit referred to an item or position that does not exist.
    #[error("no item at index {index} (playlist has {len})")]
    NoSuchItem { index: usize, len: usize },
    /// An edit argument is out of range (negative duration, in-point past the media, ...):
    /// `phrase` says which (`outside_day`, `no_length`, `fixed_start`, `does_not_fit`,
    /// `bad_history`) with its values, `message` the same in English.
    #[error("invalid edit: {message}")]
    InvalidEdit { phrase: Phrase, message: String },
    /// Nothing to undo.
    #[error("nothing to undo: version {0} is the first")]
    NothingToUndo(u64),
    /// Publishing was refused because validation found errors.
    #[error("publishing blocked by {0} validation error(s)")]
    PublishBlocked(usize),
    /// Two playlists that must describe the same channel day do not.
    #[error("playlist mismatch: {0}")]
    Mismatch(String),
    /// CSV import failed; every bad line is listed, nothing was imported.
    #[error("CSV import failed with {} error(s), first: {}", .0.len(), .0.first().map(|e| e.to_string()).unwrap_or_default())]
    Import(Vec<crate::import::LineError>),
    /// The CSV reader itself failed (I/O or malformed quoting).
    #[error("CSV could not be read")]
    Csv(#[from] csv::Error),
}

impl ScheduleError {
    /// An [`ScheduleError::InvalidEdit`] of `phrase`, worded in English as `message`.
    pub fn invalid_edit(phrase: Phrase, message: impl Into<String>) -> Self {
        Self::InvalidEdit { phrase, message: message.into() }
    }
}

/// Result alias for the crate.
pub type Result<T, E = ScheduleError> = std::result::Result<T, E>;
