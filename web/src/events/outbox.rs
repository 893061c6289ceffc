//! Publishes on this server's event bus the `programme.ready` / `programme.failed` events
//! that other processes recorded in the catalog's outbox (a separate `kapok worker`, another
//! API node): each `kapok serve` polls the table (migration 0009) and skips its own rows,
//! which it published in-process when it wrote them. Visibility is that of every programme
//! event (the programme's centre and sharing, [`crate::events::visible_to`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::state::AppState;

/// How often the outbox is read.
pub const POLL: Duration = Duration::from_millis(500);
/// How long after its time a row may still turn up below numbers already read (PostgreSQL
/// hands out identity numbers before commit, so commits can land out of order).
pub const LATE: Duration = Duration::from_secs(5);
/// Outbox rows older than this are deleted (by whichever server gets there first).
pub const KEEP: Duration = Duration::from_secs(24 * 3600);

/// Which outbox rows are new: pure bookkeeping over sequence numbers and row times.
#[derive(Debug, Clone)]
pub struct Cursor {
    /// Nothing at or below this number is delivered (it was there before we started).
    floor: i64,
    /// The highest number delivered.
    high: i64,
    /// Numbers delivered recently, with their row times, so a re-read is not re-delivered.
    recent: BTreeMap<i64, DateTime<Utc>>,
}

impl Cursor {
    /// A cursor that delivers only rows numbered above `last` (the outbox's last number at
    /// start: history is not replayed).
    pub fn after(last: i64) -> Self {
        Self { floor: last, high: last, recent: BTreeMap::new() }
    }

    /// Read rows numbered above this, or written after `now - LATE`.
    pub fn high(&self) -> i64 {
        self.high
    }

    /// Whether the row `seq` written `at` is new (and now delivered).
    pub fn take(&mut self, seq: i64, at: DateTime<Utc>) -> bool {
        if seq <= self.floor || self.recent.contains_key(&seq) {
            return false;
        }
        self.recent.insert(seq, at);
        self.high = self.high.max(seq);
        true
    }

    /// Forgets deliveries of rows written before `before` (they can no longer be re-read).
    pub fn forget_before(&mut self, before: DateTime<Utc>) {
        self.recent.retain(|_, at| *at >= before);
    }
}

fn ago(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::seconds(5))
}

/// Polls the outbox every [`POLL`] until `shutdown`; errors are logged and retried.
pub async fn run(state: AppState, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut cursor = None;
    let mut pruned = Utc::now();
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(POLL) => {}
        }
        let c = match cursor.as_mut() {
            Some(c) => c,
            None => match state.store.last_programme_event().await {
                Ok(last) => cursor.insert(Cursor::after(last)),
                Err(e) => {
                    tracing::warn!(error = %e, "programme event outbox unreadable; retrying");
                    continue;
                }
            },
        };
        if let Err(e) = poll_once(&state, c).await {
            tracing::warn!(error = %e, "reading the programme event outbox failed; retrying");
        }
        let now = Utc::now();
        if now - pruned > chrono::Duration::minutes(10) {
            pruned = now;
            if let Err(e) = state.store.prune_programme_events(ago(now, KEEP)).await {
                tracing::warn!(error = %e, "pruning the programme event outbox failed");
            }
        }
    }
}

/// Publishes the rows that are new to `cursor` and were written by other processes.
///
/// # Errors
/// The catalog's error when the outbox cannot be read.
pub async fn poll_once(state: &AppState, cursor: &mut Cursor) -> Result<usize, catalog::CatalogError> {
    let now = Utc::now();
    let rows = state.store.programme_events_after(cursor.high(), ago(now, LATE), 500).await?;
    let mut published = 0;
    for row in rows {
        if !cursor.take(row.seq, row.created_at) || row.origin == state.store.origin() {
            continue;
        }
        match state.store.get_programme(row.programme_id).await {
            Ok(p) => {
                state.search_cache.invalidate();
                state.events.publish(crate::routes::programmes::programme_event(&row.kind, &p));
                published += 1;
            }
            // Deleted since: nothing left to tell.
            Err(catalog::CatalogError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    cursor.forget_before(ago(now, LATE * 2));
    Ok(published)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_from_before_the_start_and_rows_already_delivered_are_not_new() {
        let t = Utc::now();
        let mut c = Cursor::after(10);
        assert!(!c.take(10, t), "there before the start");
        assert!(c.take(12, t));
        assert!(!c.take(12, t), "read again through the time window");
        assert_eq!(c.high(), 12);
        // 11 committed after 12 had been read: still delivered, once.
        assert!(c.take(11, t));
        assert!(!c.take(11, t));
        assert_eq!(c.high(), 12);
    }

    #[test]
    fn forgetting_old_deliveries_keeps_the_recent_ones() {
        let t = Utc::now();
        let mut c = Cursor::after(0);
        assert!(c.take(1, t - chrono::Duration::seconds(60)));
        assert!(c.take(2, t));
        c.forget_before(t - chrono::Duration::seconds(10));
        assert!(!c.take(2, t), "still remembered");
        assert_eq!(c.recent.len(), 1);
        assert_eq!(c.high(), 2, "the high mark stays");
    }
}
