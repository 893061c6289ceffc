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
            self.cut_provisional_lines(e, id).await?;
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

    /// Ends at `e`'s start the provisional line (`on_air`) of an earlier item that still
    /// claims its planned end past it: its node stopped mid-item and the line that follows was
    /// written by a node that joined another item. It stays provisional (a final line of its
    /// item, should one come, still replaces it) and says why it was cut.
    async fn cut_provisional_lines(&self, e: &AsRunEntry, id: i64) -> Result<()> {
        let sql = "SELECT id, channel, item_id, title, source, scheduled_start, actual_start, duration_ms, outcome, \
                   reason, detail FROM as_run WHERE channel = $1 AND actual_start < $2 AND actual_start >= $3 \
                   AND id <> $4 ORDER BY actual_start DESC LIMIT 8";
        let since = e.actual_start - chrono::Duration::hours(24);
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(&e.channel).bind(e.actual_start).bind(since).bind(id).fetch_all(pool).await)?;
        for old in rows.into_iter().map(entry).filter(|l| l.is_on_air() && l.end() > e.actual_start) {
            let note = format!(
                "its node stopped while it was on air; ended here when the next line began at {}",
                e.actual_start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            );
            let reason = Some(match old.reason {
                Some(r) => format!("{r}; {note}"),
                None => note,
            });
            let duration_ms = (e.actual_start - old.actual_start).num_milliseconds();
            let sql = "UPDATE as_run SET duration_ms = $1, reason = $2 WHERE id = $3";
            with_pool!(self, pool => sqlx::query(sql)
                .bind(duration_ms).bind(&reason).bind(old.id).execute(pool).await.map(|_| ()))?;
        }
        Ok(())
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
