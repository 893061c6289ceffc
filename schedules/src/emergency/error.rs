//! The one error type of the emergency area.

use super::lifecycle::AlertState;
use super::reason::Reason;

/// Errors of `schedules::emergency`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmergencyError {
    /// The document was refused; every problem found is listed.
    #[error("invalid alert document: {}", summary(.0))]
    Invalid(Vec<Reason>),
    /// A Cancel referenced no alert this node knows.
    #[error("cancel references no known alert ({0})")]
    UnknownReference(String),
    /// No alert with this key is tracked.
    #[error("no alert with key {0}")]
    UnknownAlert(String),
    /// A configured public key is unusable.
    #[error("bad signing key: {0}")]
    Key(String),
    /// A lifecycle step that the state machine does not allow.
    #[error("alert {key} cannot go from {from:?} to {to:?}")]
    InvalidTransition {
        /// The alert's dedupe key.
        key: String,
        /// Its current state.
        from: AlertState,
        /// The refused target state.
        to: AlertState,
    },
}

impl EmergencyError {
    /// The reasons of an [`EmergencyError::Invalid`], empty otherwise.
    pub fn reasons(&self) -> &[Reason] {
        match self {
            Self::Invalid(reasons) => reasons,
            _ => &[],
        }
    }
}

fn summary(reasons: &[Reason]) -> String {
    let shown: Vec<String> = reasons.iter().take(3).map(|r| format!("{} ({})", r.message, r.path)).collect();
    let more = reasons.len().saturating_sub(3);
    if more > 0 {
        format!("{}; and {more} more", shown.join("; "))
    } else {
        shown.join("; ")
    }
}
