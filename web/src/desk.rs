//! What the HTTP layer asks of the emergency desk, and what the desk answers. The desk itself
//! (validation, de-duplication, targeting, airing on the channels of this process) is composed
//! in the `kapok` crate; the routes see it through [`AlertDesk`], so this crate links no
//! playout engine.

use catalog::Store;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use schedules::emergency::lifecycle::{AlertState, Tracked, Transition};
use schedules::emergency::targeting::Targeting;
use schedules::emergency::Reason;
use serde::Serialize;

pub use schedules::emergency::scope::SenderScope;

/// The emergency desk of this process, as the routes use it.
pub trait AlertDesk: Send + Sync {
    /// Validates, de-duplicates, targets and airs `document` (CAP 1.2, GY/T 385 EBM or
    /// JSON) on behalf of `sender`, acting for `scope`: the alert's areas and shapes, and
    /// every alert it updates or cancels, must lie within it.
    ///
    /// # Errors
    /// [`DeskError`]: nothing airs then.
    fn receive_as(
        &self,
        document: &[u8],
        now: DateTime<Utc>,
        sender: catalog::audit::Actor,
        scope: SenderScope,
    ) -> Result<Receipt, DeskError>;

    /// Like [`Self::receive_as`] for a sender without a session or token: the document must
    /// carry a valid signature of a configured source (or the `detached` SM2 signature).
    ///
    /// # Errors
    /// [`DeskError::Unauthenticated`] with the reasons, otherwise as [`Self::receive_as`].
    fn receive_signed(
        &self,
        document: &[u8],
        detached: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<Receipt, DeskError>;

    /// Every alert this desk knows, with its state and history.
    fn alerts(&self) -> Vec<Tracked>;

    /// The area the sender of `key` may interrupt (stored with the alert): a remote playout
    /// node is given an area's alert only for a channel the area owns, as the desk of
    /// `kapok serve` airs it only there.
    fn scope_of(&self, key: &schedules::emergency::DedupeKey) -> schedules::emergency::scope::SenderScope;

    /// A receiver whose value moves on whenever an alert is taken in, changes state or ends,
    /// so a stream of the active alerts (`/api/channels/{id}/alerts/stream`) wakes at once.
    fn subscribe(&self) -> tokio::sync::watch::Receiver<u64>;

    /// Writes what the desk recorded to the catalog, in order (called before a sender hears
    /// that its alert was accepted, so the record exists when the answer arrives).
    fn flush<'a>(&'a self, store: &'a Store) -> BoxFuture<'a, ()>;
}

/// What the desk did with a document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    /// The alert's identity (CAP sender,identifier,sent or EBM id).
    pub key: String,
    /// `accepted` or `duplicate`.
    pub outcome: &'static str,
    #[schema(value_type = Option<crate::schema_docs::AlertStateDoc>)]
    pub state: Option<AlertState>,
    /// Channels it went to air on (or will, per its policy).
    pub channels: Vec<String>,
    /// Channels chosen, why an alert airs nowhere, and problems (`schedules::emergency::targeting::Targeting`).
    #[schema(value_type = Option<Object>)]
    pub targeting: Option<Targeting>,
    #[schema(value_type = Vec<crate::schema_docs::TransitionDoc>)]
    pub transitions: Vec<Transition>,
    /// Set when nothing went to air, saying why (`recorded, not aired: it reached no channel …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What the sender should check although the alert was accepted (a headline naming
    /// another colour than its severity draws …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Why a document was refused. Nothing airs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeskError {
    #[error("the alert is invalid")]
    Invalid(Vec<Reason>),
    #[error("{0}")]
    Refused(String),
    /// The sender may not send for the alert's areas.
    #[error("{0}")]
    Forbidden(String),
    /// No session or token, and no valid signature of a configured source.
    #[error("the alert is not authenticated")]
    Unauthenticated(Vec<Reason>),
}
