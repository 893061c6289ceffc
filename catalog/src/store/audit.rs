//! Reading the audit log. Entries are written by the mutating methods, in their transaction.

use super::rows::AuditRow;
use super::{with_pool, Store};
use chrono::{DateTime, Utc};

use crate::audit::{Actor, AuditEntry, AuditSearch};
use crate::error::Result;

const COLUMNS: &str = "id, at, actor, action, object_type, object_id, before, after, centre_code";

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
        let also = actor_also(actor, "$1");
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE actor = $1 OR {also} ORDER BY id DESC LIMIT $2");
        let rows: Vec<AuditRow> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(actor.as_str()).bind(limit.clamp(1, 1000)).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    /// The entries that pass every filter of `q`, newest first: the audit page's one query.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn audit_search(&self, q: &AuditSearch) -> Result<Vec<AuditEntry>> {
        enum Bind {
            Text(String),
            Time(DateTime<Utc>),
            Int(i64),
        }
        let mut binds = Vec::new();
        let mut place = |b: Bind| {
            binds.push(b);
            format!("${}", binds.len())
        };
        let mut cond = Vec::new();
        if let Some(a) = &q.actor {
            let n = place(Bind::Text(a.as_str().to_owned()));
            let also = actor_also(a, &n);
            cond.push(format!("(actor = {n} OR {also})"));
        }
        if let Some(action) = &q.action {
            let n = place(Bind::Text(action.clone()));
            cond.push(match action.ends_with('.') {
                true => format!("substr(action, 1, length({n})) = {n}"),
                false => format!("action = {n}"),
            });
        }
        if let Some(t) = &q.object_type {
            cond.push(format!("object_type = {}", place(Bind::Text(t.clone()))));
        }
        if let Some(c) = &q.centre {
            let n = place(Bind::Text(c.clone()));
            // A user's changes, through a token too (`user:NAME token:T`), and changes to the
            // centre's objects (the centre is stored with the row: a job's, a deleted programme's).
            cond.push(format!(
                "(centre_code = {n} OR EXISTS (SELECT 1 FROM users u WHERE u.centre_code = {n} \
                 AND (actor = 'user:' || u.username \
                 OR substr(actor, 1, length(u.username) + 12) = 'user:' || u.username || ' token:')))"
            ));
        }
        if let Some(f) = q.from {
            cond.push(format!("at >= {}", place(Bind::Time(f))));
        }
        if let Some(u) = q.until {
            cond.push(format!("at < {}", place(Bind::Time(u))));
        }
        if let Some(b) = q.before_id {
            cond.push(format!("id < {}", place(Bind::Int(b))));
        }
        let limit = place(Bind::Int(q.limit.clamp(1, 1000)));
        let filter = if cond.is_empty() { "TRUE".to_owned() } else { cond.join(" AND ") };
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE {filter} ORDER BY id DESC LIMIT {limit}");
        let rows: Vec<AuditRow> = with_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql);
            for b in &binds {
                query = match b {
                    Bind::Text(t) => query.bind(t.as_str()),
                    Bind::Time(t) => query.bind(*t),
                    Bind::Int(i) => query.bind(*i),
                };
            }
            query.fetch_all(pool).await
        })?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }
}

/// The other actors under which `actor`'s changes are stored (`n`: its placeholder): a user's
/// changes through a token, or a token's under its user.
fn actor_also(actor: &Actor, n: &str) -> String {
    if actor.as_str().starts_with("user:") {
        format!("substr(actor, 1, length({n}) + 7) = {n} || ' token:'")
    } else if actor.as_str().starts_with("token:") {
        format!("(actor LIKE 'user:%' AND substr(actor, length(actor) - length({n})) = ' ' || {n})")
    } else {
        "FALSE".to_owned()
    }
}
