//! Users, roles and API tokens.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ids::{CentreCode, TokenId, UserId};
use crate::text_enum::text_enum;

text_enum!(
    /// What a user or token may do. Centre scoping (own centre vs others) is applied on top.
    Role, "role" {
        NetworkAdmin = "network_admin",
        CentreAdmin = "centre_admin",
        Editor = "editor",
        Scheduler = "scheduler",
        EmergencyOperator = "emergency_operator",
        Viewer = "viewer",
        PlayoutNode = "playout_node",
    }
);

/// A person (or service identity) who signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    /// An argon2 PHC string; never served.
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    pub centre: CentreCode,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// What is needed to create a user. The password arrives already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub centre: CentreCode,
}

/// A machine credential: stored only as a hash of the secret, scoped to a role and centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    pub role: Role,
    pub centre: CentreCode,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    /// A token is usable when it is neither revoked nor past its expiry.
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

/// What is needed to create a token; `token_hash` is the hash of the secret shown once.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub user_id: UserId,
    pub name: String,
    pub token_hash: String,
    pub role: Role,
    pub centre: CentreCode,
    pub expires_at: Option<DateTime<Utc>>,
}
