//! Short-lived answers kept in memory, each dropped when the catalog says its source changed:
//! searches, scheduling candidates, API-token look-ups; and the latest version of days being
//! edited (exact: keyed by version).

pub mod candidates;
pub mod days;
pub mod search;
pub mod tokens;
