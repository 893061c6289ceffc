//! Stored schedules: a channel's template, every editing version of a channel day, and the
//! immutable published versions playout runs. The documents themselves (templates,
//! playlists, published days) are JSON of the `schedules` crate; the catalog keeps them,
//! numbers them and audits every change without interpreting them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::ids::ChannelId;

/// A channel's template (JSON of `schedules::Template`) with its version (1, 2, ...).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredTemplate {
    pub channel: ChannelId,
    pub template: serde_json::Value,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// One editing version of a channel day (JSON of `schedules::Playlist`). Versions are
/// numbered 1, 2, 3, ... per channel day and never change once written.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DayVersion {
    pub channel: ChannelId,
    pub day: NaiveDate,
    pub version: i64,
    /// The version it was derived from (None for a fresh generation or import).
    pub parent: Option<i64>,
    /// What produced it (`generated`, `insert at 3`, `undo of 5`, `imported`).
    pub change: String,
    pub playlist: serde_json::Value,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// What a channel day's latest editing version is, without its playlist (see
/// [`crate::Store::latest_day_head`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DayHead {
    pub version: i64,
    pub parent: Option<i64>,
    pub change: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// The latest published version's number, if the day has one.
    pub published: Option<i64>,
}

/// A new editing version to append after `expected` (0 when the day has none yet). The
/// playlist is anything that serialises to its JSON (a `schedules::Playlist` is written
/// straight to text, without building a JSON tree of a 3,000-item day first).
#[derive(Debug)]
pub struct NewDayVersion<'a, P: ?Sized = serde_json::Value> {
    pub expected: i64,
    pub parent: Option<i64>,
    pub change: &'a str,
    pub playlist: &'a P,
}

/// What [`crate::Store::append_day_version`] stored, less the playlist the caller holds.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendedVersion {
    pub channel: ChannelId,
    pub day: NaiveDate,
    pub version: i64,
    pub parent: Option<i64>,
    pub change: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// One published version of a channel day (JSON of `schedules::PublishedDay`). Immutable:
/// publishing again makes version n + 1.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PublishedVersion {
    pub channel: ChannelId,
    pub day: NaiveDate,
    pub version: i64,
    /// The editing version it was published from.
    pub source_version: Option<i64>,
    pub record: serde_json::Value,
    pub published_by: String,
    pub published_at: DateTime<Utc>,
}
