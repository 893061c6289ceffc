//! Browser sessions: stored by the hash of the cookie secret, with their CSRF token.

use chrono::{DateTime, Utc};

use super::{with_pool, Store};
use crate::error::Result;
use crate::ids::UserId;

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: UserId,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Records a session under the hash of its secret.
    ///
    /// # Errors
    /// `Invalid` for an unknown user; `Conflict` for a reused hash.
    pub async fn create_session(
        &self,
        id_hash: &str,
        user: UserId,
        csrf: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let sql =
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
        with_pool!(self, pool => sqlx::query(sql)
            .bind(id_hash).bind(user.to_string()).bind(csrf).bind(Utc::now()).bind(expires_at)
            .execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// The unexpired session with this hash, if any.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn find_session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        let sql = "SELECT user_id, csrf_token, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2";
        let row: Option<(String, String, DateTime<Utc>)> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(id_hash).bind(now).fetch_optional(pool).await)?;
        row.map(|(u, csrf_token, expires_at)| Ok(Session { user_id: UserId::parse(&u)?, csrf_token, expires_at }))
            .transpose()
    }

    /// Ends a session (signing out); ending it twice is harmless.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        with_pool!(self, pool => sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash)
            .execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// How many users exist (zero on a first run).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn count_users(&self) -> Result<i64> {
        let (n,): (i64,) =
            with_pool!(self, pool => sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(pool).await)?;
        Ok(n)
    }
}
