//! The audit log: who changed what, when, with the state before and after.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Who did it: a user (by username), a token, or the system itself (worker, scheduler).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Actor(String);

impl Actor {
    pub fn user(username: &str) -> Self {
        Self(format!("user:{username}"))
    }
    pub fn token(name: &str) -> Self {
        Self(format!("token:{name}"))
    }
    /// A user acting through one of their API tokens: `user:NAME token:TOKEN`, found by
    /// [`crate::Store::audit_by_actor`] under either the user or the token.
    pub fn user_via_token(username: &str, token: &str) -> Self {
        Self(format!("user:{username} token:{token}"))
    }
    pub fn system(component: &str) -> Self {
        Self(format!("system:{component}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub(crate) fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// One audited change.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// What was done, e.g. `programme.create`, `job.dead`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// The centre the change belongs to (its object's owner when it was written), if any.
    pub centre: Option<String>,
}

/// What [`crate::Store::audit_search`] keeps: every filter given, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditSearch {
    /// One actor, as [`crate::Store::audit_by_actor`] finds it (a user's token changes too).
    pub actor: Option<Actor>,
    /// An action (`programme.create`), or every action of a kind when it ends in a dot
    /// (`programme.`).
    pub action: Option<String>,
    /// Objects of one type (`programme`, `channel`, `job`, `user`, `token`).
    pub object_type: Option<String>,
    /// Changes made by a user of this centre or to an object of it (a programme, also one since
    /// deleted, a programme's job, a channel and its schedule days, a relay, a user, a token).
    pub centre: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// The page after the one that ended at this id (entries with smaller ids).
    pub before_id: Option<i64>,
    /// At most this many (1-1000).
    pub limit: i64,
}
