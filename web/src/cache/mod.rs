//! Short-lived answers kept in memory, each dropped when the catalog says its source changed:
//! searches, scheduling candidates, API-token look-ups.

pub mod candidates;
pub mod search;
pub mod tokens;
