//! Writing and reading the as-run log.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{with_pool, Store};
use crate::asrun::AsRunEntry;
use crate::error::Result;

type Row = (
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
    i64,
    String,
    Option<String>,
    Json<serde_json::Value>,
);

impl Store {
    /// Stores one as-run entry; returns its id. A line of a schedule item whose slot
    /// ([`crate::asrun::slot_of`]) the channel already has is merged into that line
    /// ([`crate::asrun::merged`]) and its id returned: one line per item, whichever node (or
    /// how many) reported it.
    ///
    /// # Errors
    /// `Database` when the write fails.
    pub async fn record_as_run(&self, e: &AsRunEntry) -> Result<i64> {
        let slot = crate::asrun::slot_of(e);
        let sql = "INSERT INTO as_run (channel, item_id, title, source, scheduled_start, actual_start, duration_ms, \
                   outcome, reason, detail, slot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                   ON CONFLICT (channel, slot) DO NOTHING RETURNING id";
        let inserted: Option<(i64,)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(&e.channel).bind(&e.item_id).bind(&e.title).bind(&e.source).bind(e.scheduled_start)
            .bind(e.actual_start).bind(e.duration_ms).bind(&e.outcome).bind(&e.reason).bind(Json(&e.detail))
            .bind(&slot).fetch_optional(pool).await)?;
        if let Some((id,)) = inserted {
            return Ok(id);
        }
        // The slot is taken: merge into its line.
        let sql = "SELECT id, channel, item_id, title, source, scheduled_start, actual_start, duration_ms, outcome, \
                   reason, detail FROM as_run WHERE channel = $1 AND slot = $2";
        let row: Row =
            with_pool!(self, pool => sqlx::query_as(sql).bind(&e.channel).bind(&slot).fetch_one(pool).await)?;
        let line = crate::asrun::merged(&entry(row), e);
        let sql = "UPDATE as_run SET item_id = $1, title = $2, source = $3, actual_start = $4, duration_ms = $5, \
                   outcome = $6, reason = $7, detail = $8 WHERE id = $9";
        with_pool!(self, pool => sqlx::query(sql)
            .bind(&line.item_id).bind(&line.title).bind(&line.source).bind(line.actual_start).bind(line.duration_ms)
            .bind(&line.outcome).bind(&line.reason).bind(Json(&line.detail)).bind(line.id).execute(pool).await.map(|_| ()))?;
        Ok(line.id)
    }

    /// A channel's as-run between `from` and `until` (by actual start), oldest first, at most
    /// `limit` (1..=5000).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn list_as_run(
        &self,
        channel: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<AsRunEntry>> {
        let sql = "SELECT id, channel, item_id, title, source, scheduled_start, actual_start, duration_ms, outcome, \
                   reason, detail FROM as_run WHERE channel = $1 AND actual_start >= $2 AND actual_start < $3 \
                   ORDER BY actual_start, id LIMIT $4";
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(channel).bind(from).bind(until).bind(limit.clamp(1, 5000)).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(entry).collect())
    }
}

fn entry(r: Row) -> AsRunEntry {
    AsRunEntry {
        id: r.0,
        channel: r.1,
        item_id: r.2,
        title: r.3,
        source: r.4,
        scheduled_start: r.5,
        actual_start: r.6,
        duration_ms: r.7,
        outcome: r.8,
        reason: r.9,
        detail: r.10 .0,
    }
}
