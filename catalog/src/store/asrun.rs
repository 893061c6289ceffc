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
    /// Stores one as-run entry; returns its id.
    ///
    /// # Errors
    /// `Database` when the write fails.
    pub async fn record_as_run(&self, e: &AsRunEntry) -> Result<i64> {
        let sql = "INSERT INTO as_run (channel, item_id, title, source, scheduled_start, actual_start, duration_ms, \
                   outcome, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
        let (id,): (i64,) = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(&e.channel).bind(&e.item_id).bind(&e.title).bind(&e.source).bind(e.scheduled_start)
            .bind(e.actual_start).bind(e.duration_ms).bind(&e.outcome).bind(&e.reason).bind(Json(&e.detail))
            .fetch_one(pool).await)?;
        Ok(id)
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
        Ok(rows
            .into_iter()
            .map(|r| AsRunEntry {
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
            })
            .collect())
    }
}
