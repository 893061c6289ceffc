//! Alert lifecycle.

use serde::Serialize;

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Parsed and validated, not yet authenticated.
    Received,
    /// Authenticated (signature checked or trusted source).
    Verified,
    /// Insertion planned on its channels.
    Scheduled,
    /// Airing.
    OnAir,
    /// Aired as the policy says, ended normally.
    Completed,
    /// Passed its `expires`.
    Expired,
    /// Stopped by a Cancel.
    Cancelled,
    /// Replaced by an Update.
    Superseded,
}
