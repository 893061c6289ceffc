//! Reading the audit log. Entries are written by the mutating methods, in their transaction.

use super::rows::AuditRow;
use super::{with_pool, Store};
use crate::audit::{Actor, AuditEntry};
use crate::error::Result;

const COLUMNS: &str = "id, at, actor, action, object_type, object_id, before, after";

impl Store {
    /// Changes to one object, oldest first.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn audit_for_object(&self, object_type: &str, object_id: &str) -> Result<Vec<AuditEntry>> {
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE object_type = $1 AND object_id = $2 ORDER BY id");
        let rows: Vec<AuditRow> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(object_type).bind(object_id).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    /// The latest changes made by one actor, newest first, at most `limit`. A user's changes
    /// include those made through their API tokens, and `token:NAME` finds the changes made
    /// through tokens of that name (see [`Actor::user_via_token`]).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn audit_by_actor(&self, actor: &Actor, limit: i64) -> Result<Vec<AuditEntry>> {
        let also = if actor.as_str().starts_with("user:") {
            "substr(actor, 1, length($1) + 7) = $1 || ' token:'"
        } else if actor.as_str().starts_with("token:") {
            "(actor LIKE 'user:%' AND substr(actor, length(actor) - length($1)) = ' ' || $1)"
        } else {
            "FALSE"
        };
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE actor = $1 OR {also} ORDER BY id DESC LIMIT $2");
        let rows: Vec<AuditRow> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(actor.as_str()).bind(limit.clamp(1, 1000)).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }
}
