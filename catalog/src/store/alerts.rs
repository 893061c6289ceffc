//! Storing emergency alerts and their steps; each write is audited in its transaction.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{record_audit, with_pool, Store};
use crate::alert::{AlertEvent, AlertRecord, NewAlertRecord};
use crate::audit::Actor;
use crate::error::{CatalogError, Result};
use crate::store::BeginWrite;

const COLUMNS: &str = "key, kind, msg_type, sender, sent, expires, state, alert, received_at, updated_at, scope";

type Row = (
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    String,
    Json<serde_json::Value>,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<String>,
);

fn record(r: Row) -> AlertRecord {
    AlertRecord {
        key: r.0,
        kind: r.1,
        msg_type: r.2,
        sender: r.3,
        sent: r.4,
        expires: r.5,
        state: r.6,
        alert: r.7 .0,
        received_at: r.8,
        updated_at: r.9,
        scope: r.10,
    }
}

type EventRow = (i64, DateTime<Utc>, String, Option<String>, Option<String>, Option<i64>, Option<String>);

impl Store {
    /// Stores a newly received alert with its first state; audited as `alert.receive`.
    /// Returns false (and changes nothing) when an alert with this key is already stored: the
    /// key is the alert's identity, so a duplicate is recognised here across restarts too.
    ///
    /// # Errors
    /// `Database` when the write fails.
    pub async fn insert_alert(&self, actor: &Actor, a: &NewAlertRecord) -> Result<bool> {
        let sql = format!(
            "INSERT INTO alerts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) ON CONFLICT (key) DO NOTHING"
        );
        let event = "INSERT INTO alert_events (alert_key, at, event) VALUES ($1, $2, $3)";
        let after = Some(serde_json::json!({ "state": a.state, "msg_type": a.msg_type, "sender": a.sender }));
        let inserted = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(&sql)
                .bind(&a.key).bind(&a.kind).bind(&a.msg_type).bind(&a.sender).bind(a.sent).bind(a.expires)
                .bind(&a.state).bind(Json(&a.alert)).bind(a.received_at).bind(&a.scope)
                .execute(&mut *tx).await?;
            if done.rows_affected() == 1 {
                sqlx::query(event).bind(&a.key).bind(a.received_at).bind(&a.state).execute(&mut *tx).await?;
                record_audit!(&mut *tx, actor, "alert.receive", "alert", a.key.as_str(), None::<serde_json::Value>, after)?;
            }
            tx.commit().await?;
            done.rows_affected() == 1
        });
        Ok(inserted)
    }

    /// Appends steps to an alert; a state change among them also becomes its current state.
    /// Each step is audited (`alert.state` with the state before and after, `alert.airing`
    /// with the channel).
    ///
    /// # Errors
    /// `NotFound` for an unknown alert; `Database` when the write fails.
    pub async fn record_alert_events(&self, actor: &Actor, key: &str, events: &[AlertEvent]) -> Result<()> {
        let insert = "INSERT INTO alert_events (alert_key, at, event, from_state, channel, airing, note) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let update = "UPDATE alerts SET state = $2, updated_at = $3 WHERE key = $1";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let found: Option<(String,)> = sqlx::query_as("SELECT state FROM alerts WHERE key = $1")
                .bind(key).fetch_optional(&mut *tx).await?;
            if found.is_none() {
                return Err(CatalogError::not_found("alert", key));
            }
            for e in events {
                sqlx::query(insert)
                    .bind(key).bind(e.at).bind(&e.event).bind(&e.from_state).bind(&e.channel).bind(e.airing)
                    .bind(&e.note)
                    .execute(&mut *tx).await?;
                if e.is_state_change() {
                    sqlx::query(update).bind(key).bind(&e.event).bind(e.at).execute(&mut *tx).await?;
                    let before = e.from_state.as_ref().map(|s| serde_json::json!({ "state": s }));
                    let after = Some(serde_json::json!({ "state": e.event }));
                    record_audit!(&mut *tx, actor, "alert.state", "alert", key, before, after)?;
                } else {
                    let after = Some(serde_json::json!({ "channel": e.channel, "airing": e.airing,
                        "event": e.event, "note": e.note }));
                    record_audit!(&mut *tx, actor, "alert.airing", "alert", key, None::<serde_json::Value>, after)?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// One stored alert.
    ///
    /// # Errors
    /// `NotFound` when there is no alert with this key.
    pub async fn get_alert(&self, key: &str) -> Result<AlertRecord> {
        let sql = format!("SELECT {COLUMNS} FROM alerts WHERE key = $1");
        let row: Option<Row> = with_pool!(self, pool => sqlx::query_as(&sql).bind(key).fetch_optional(pool).await)?;
        row.map(record).ok_or_else(|| CatalogError::not_found("alert", key))
    }

    /// Every step of an alert, oldest first.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn alert_events(&self, key: &str) -> Result<Vec<AlertEvent>> {
        let sql = "SELECT id, at, event, from_state, channel, airing, note FROM alert_events \
                   WHERE alert_key = $1 ORDER BY id";
        let rows: Vec<EventRow> = with_pool!(self, pool => sqlx::query_as(sql).bind(key).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|r| AlertEvent { id: r.0, at: r.1, event: r.2, from_state: r.3, channel: r.4, airing: r.5, note: r.6 })
            .collect())
    }

    /// What a desk reloads at start: every alert not yet ended, and every alert sent at or
    /// after `sent_since` (their keys stop replays of messages within the replay window).
    /// Oldest `sent` first, at most 10 000.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn alerts_to_restore(&self, sent_since: DateTime<Utc>) -> Result<Vec<AlertRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts WHERE state NOT IN ('completed', 'expired', 'cancelled', 'superseded') \
             OR sent >= $1 ORDER BY sent, key LIMIT 10000"
        );
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(&sql).bind(sent_since).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// Alerts first stored (their first step) after step `after_id`, oldest first, at most
    /// 500, with the id of each one's first step: how a server learns of alerts another
    /// server of the same catalog took in (`kapok::desk::log::pull_peers`).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn alerts_stored_after(&self, after_id: i64) -> Result<Vec<(i64, AlertRecord)>> {
        let sql = "SELECT id, alert_key FROM alert_events \
                   WHERE id > $1 AND from_state IS NULL AND channel IS NULL ORDER BY id LIMIT 500";
        let firsts: Vec<(i64, String)> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(after_id).fetch_all(pool).await)?;
        let mut out = Vec::with_capacity(firsts.len());
        for (id, key) in firsts {
            match self.get_alert(&key).await {
                Ok(r) => out.push((id, r)),
                Err(CatalogError::NotFound { .. }) => {} // pruned meanwhile
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// The id of the newest alert step (0 when there is none).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn last_alert_event_id(&self) -> Result<i64> {
        let sql = "SELECT COALESCE(MAX(id), 0) FROM alert_events";
        let (n,): (i64,) = with_pool!(self, pool => sqlx::query_as(sql).fetch_one(pool).await)?;
        Ok(n)
    }

    /// Deletes alerts that ended (completed, expired, cancelled, superseded) before `before`,
    /// with their steps; alerts still live are kept however old. Returns how many alerts went.
    ///
    /// # Errors
    /// `Database` when the delete fails (nothing is deleted then).
    pub async fn prune_alerts(&self, before: DateTime<Utc>) -> Result<u64> {
        let ended = "SELECT key FROM alerts WHERE state IN ('completed', 'expired', 'cancelled', 'superseded') \
                     AND updated_at < $1";
        let events = format!("DELETE FROM alert_events WHERE alert_key IN ({ended})");
        let alerts = "DELETE FROM alerts WHERE state IN ('completed', 'expired', 'cancelled', 'superseded') \
                      AND updated_at < $1";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(&events).bind(before).execute(&mut *tx).await?;
            let gone = sqlx::query(alerts).bind(before).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            Ok::<u64, sqlx::Error>(gone)
        })
        .map_err(Into::into)
    }
}
