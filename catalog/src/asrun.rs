//! The as-run log: what each channel actually aired, as the playout engine reported it.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One aired item (or gap, fallback, interruption) of a channel.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AsRunEntry {
    /// Row id; 0 before it is stored.
    pub id: i64,
    /// The channel's slug.
    pub channel: String,
    /// The schedule's id of the item (a programme id for catalog items).
    pub item_id: Option<String>,
    pub title: Option<String>,
    pub source: Option<String>,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub actual_start: DateTime<Utc>,
    pub duration_ms: i64,
    /// `played`, `fallback`, `cut`, `skipped`, `interrupted`, …
    pub outcome: String,
    pub reason: Option<String>,
    /// The engine's full record (frames, samples, slate frames, …).
    pub detail: serde_json::Value,
}
