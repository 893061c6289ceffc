//! The programme event outbox (migration 0009): `programme.ready` / `programme.failed`
//! recorded in the same transaction as the status change, so every `kapok serve` can publish
//! what a separate `kapok worker` (or another API node) settled.

use chrono::{DateTime, Utc};

use super::{with_pool, Store};
use crate::error::Result;
use crate::ids::ProgrammeId;
use crate::programme::ProgrammeStatus;

pub(super) const INSERT: &str =
    "INSERT INTO programme_events (programme_id, kind, origin, created_at) VALUES ($1, $2, $3, $4)";

/// The event a change to `status` records, if any.
pub(super) fn settled_kind(status: ProgrammeStatus) -> Option<&'static str> {
    match status {
        ProgrammeStatus::Ready => Some("programme.ready"),
        ProgrammeStatus::Failed => Some("programme.failed"),
        _ => None,
    }
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeEventRow {
    /// Increases with every row (PostgreSQL may commit them slightly out of order).
    pub seq: i64,
    pub programme_id: ProgrammeId,
    /// `programme.ready` or `programme.failed`.
    pub kind: String,
    /// The [`Store::origin`] of the process that wrote it.
    pub origin: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    programme_id: String,
    kind: String,
    origin: String,
    created_at: DateTime<Utc>,
}

impl Store {
    /// Identifies this store (shared by its clones, new for every [`Store::connect`]) in the
    /// outbox: a process skips the rows it wrote itself, having published those in-process.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The highest sequence number recorded so far (0 for none).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn last_programme_event(&self) -> Result<i64> {
        let sql = "SELECT COALESCE(MAX(seq), 0) FROM programme_events";
        let seq: i64 = with_pool!(self, pool => sqlx::query_scalar(sql).fetch_one(pool).await)?;
        Ok(seq)
    }

    /// Events with a sequence number above `after`, or written after `since` (to catch rows
    /// that committed after a higher number was already read), in sequence order, at most
    /// `limit`. Rows naming a programme id that does not parse are skipped.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn programme_events_after(
        &self,
        after: i64,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ProgrammeEventRow>> {
        let sql = "SELECT seq, programme_id, kind, origin, created_at FROM programme_events \
                   WHERE seq > $1 OR created_at > $2 ORDER BY seq LIMIT $3";
        let rows: Vec<Row> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(after).bind(since).bind(limit).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let programme_id = ProgrammeId::parse(&r.programme_id).ok()?;
                Some(ProgrammeEventRow {
                    seq: r.seq,
                    programme_id,
                    kind: r.kind,
                    origin: r.origin,
                    created_at: r.created_at,
                })
            })
            .collect())
    }

    /// Deletes events written before `before`; how many.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn prune_programme_events(&self, before: DateTime<Utc>) -> Result<u64> {
        let sql = "DELETE FROM programme_events WHERE created_at < $1";
        let n = with_pool!(self, pool => sqlx::query(sql).bind(before).execute(pool).await.map(|d| d.rows_affected()))?;
        Ok(n)
    }
}
