//! Schedules: channel templates, editing versions of channel days and published days, each
//! change audited in its own transaction. Versions are append-only: a version number that
//! is not the next one is refused as a `Conflict` (optimistic concurrency), and the primary
//! key refuses a concurrent writer that passed the check at the same time.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;

use super::{record_audit, with_pool, Store};
use crate::audit::Actor;
use crate::error::{CatalogError, Result};
use crate::ids::ChannelId;
use crate::schedule::{AppendedVersion, DayHead, DayVersion, NewDayVersion, PublishedVersion, StoredTemplate};
use crate::store::BeginWrite;

type VersionRow = (i64, Option<i64>, String, Json<serde_json::Value>, String, DateTime<Utc>);
type PublishedRow = (String, i64, Option<i64>, Json<serde_json::Value>, String, DateTime<Utc>);

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn parse_day(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| CatalogError::Corrupt(format!("stored day {s:?}: {e}")))
}

fn object_id(channel: ChannelId, day: NaiveDate) -> String {
    format!("{channel}/{}", day_text(day))
}

impl Store {
    /// Stores `template` as the channel's template (version + 1), audited with before and after.
    ///
    /// # Errors
    /// `NotFound` for an unknown channel; `Database` when the write fails.
    pub async fn put_schedule_template(
        &self,
        actor: &Actor,
        channel: ChannelId,
        template: &serde_json::Value,
    ) -> Result<StoredTemplate> {
        self.get_channel(channel).await?;
        let before = self.get_schedule_template(channel).await?;
        let version = before.as_ref().map_or(1, |t| t.version + 1);
        let now = Utc::now();
        let (sql, expect) = if before.is_some() {
            ("UPDATE schedule_templates SET template = $2, version = $3, updated_at = $4 WHERE channel_id = $1 AND version = $5", version - 1)
        } else {
            ("INSERT INTO schedule_templates (channel_id, template, version, updated_at) VALUES ($1, $2, $3, $4)", 0)
        };
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut q = sqlx::query(sql).bind(channel.to_string()).bind(Json(template)).bind(version).bind(now);
            if expect > 0 {
                q = q.bind(expect);
            }
            let done = q.execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(CatalogError::Conflict("the template was changed by someone else; reload".into()));
            }
            record_audit!(&mut *tx, actor, "schedule.template", "channel", channel.to_string(),
                before.as_ref().map(|t| &t.template), Some(template))?;
            tx.commit().await?;
        });
        Ok(StoredTemplate { channel, template: template.clone(), version, updated_at: now })
    }

    /// The channel's template, if it has one.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn get_schedule_template(&self, channel: ChannelId) -> Result<Option<StoredTemplate>> {
        let sql = "SELECT template, version, updated_at FROM schedule_templates WHERE channel_id = $1";
        let row: Option<(Json<serde_json::Value>, i64, DateTime<Utc>)> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(channel.to_string()).fetch_optional(pool).await)?;
        Ok(row.map(|(t, version, updated_at)| StoredTemplate { channel, template: t.0, version, updated_at }))
    }

    /// Appends version `new.expected + 1` of a channel day, audited.
    ///
    /// # Errors
    /// `Conflict` when `new.expected` is not the latest version (someone else edited first);
    /// `Invalid` for an unknown channel; `Database` when the write fails.
    pub async fn append_day_version<P: serde::Serialize + ?Sized + Sync>(
        &self,
        actor: &Actor,
        channel: ChannelId,
        day: NaiveDate,
        new: &NewDayVersion<'_, P>,
    ) -> Result<AppendedVersion> {
        let version = new.expected + 1;
        let now = Utc::now();
        let who = actor.as_str().to_string();
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (latest,): (Option<i64>,) = sqlx::query_as(
                "SELECT MAX(version) FROM schedule_versions WHERE channel_id = $1 AND day = $2")
                .bind(channel.to_string()).bind(day_text(day)).fetch_one(&mut *tx).await?;
            let latest = latest.unwrap_or(0);
            if latest != new.expected {
                return Err(CatalogError::Conflict(format!(
                    "version {} is not current (the day is at version {latest}); reload", new.expected)));
            }
            sqlx::query("INSERT INTO schedule_versions (channel_id, day, version, parent, change, playlist, created_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(channel.to_string()).bind(day_text(day)).bind(version).bind(new.parent).bind(new.change)
                .bind(Json(new.playlist)).bind(&who).bind(now)
                .execute(&mut *tx).await?;
            let after = serde_json::json!({ "version": version, "parent": new.parent, "change": new.change });
            record_audit!(&mut *tx, actor, "schedule.version", "schedule_day", object_id(channel, day),
                None::<serde_json::Value>, Some(after))?;
            tx.commit().await?;
        });
        Ok(AppendedVersion {
            channel,
            day,
            version,
            parent: new.parent,
            change: new.change.to_string(),
            created_by: who,
            created_at: now,
        })
    }

    /// Every editing version of a channel day, oldest first (empty when there is none).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn day_versions(&self, channel: ChannelId, day: NaiveDate) -> Result<Vec<DayVersion>> {
        let sql = "SELECT version, parent, change, playlist, created_by, created_at FROM schedule_versions \
                   WHERE channel_id = $1 AND day = $2 ORDER BY version";
        let rows: Vec<VersionRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(channel.to_string()).bind(day_text(day)).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|(version, parent, change, playlist, created_by, created_at)| DayVersion {
                channel,
                day,
                version,
                parent,
                change,
                playlist: playlist.0,
                created_by,
                created_at,
            })
            .collect())
    }

    /// The latest editing version of a channel day, if any.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn latest_day_version(&self, channel: ChannelId, day: NaiveDate) -> Result<Option<DayVersion>> {
        let sql = "SELECT version, parent, change, playlist, created_by, created_at FROM schedule_versions \
                   WHERE channel_id = $1 AND day = $2 ORDER BY version DESC LIMIT 1";
        let row: Option<VersionRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(channel.to_string()).bind(day_text(day)).fetch_optional(pool).await)?;
        Ok(row.map(|(version, parent, change, playlist, created_by, created_at)| DayVersion {
            channel,
            day,
            version,
            parent,
            change,
            playlist: playlist.0,
            created_by,
            created_at,
        }))
    }

    /// The latest editing version of a channel day without its playlist, with the number of
    /// its latest published version: one small query where the day's documents (megabytes for
    /// a 3,000-item day and each of its published versions) are not needed.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn latest_day_head(&self, channel: ChannelId, day: NaiveDate) -> Result<Option<DayHead>> {
        let sql = "SELECT v.version, v.parent, v.change, v.created_by, v.created_at, \
                   (SELECT MAX(p.version) FROM schedule_published p WHERE p.channel_id = v.channel_id AND p.day = v.day) \
                   FROM schedule_versions v WHERE v.channel_id = $1 AND v.day = $2 ORDER BY v.version DESC LIMIT 1";
        type Row = (i64, Option<i64>, String, String, DateTime<Utc>, Option<i64>);
        let row: Option<Row> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(channel.to_string()).bind(day_text(day)).fetch_optional(pool).await)?;
        Ok(row.map(|(version, parent, change, created_by, created_at, published)| DayHead {
            version,
            parent,
            change,
            created_by,
            created_at,
            published,
        }))
    }

    /// Stores published version `expected + 1` of a channel day (`record` is the
    /// `schedules::PublishedDay`), audited. Published versions are never changed.
    ///
    /// # Errors
    /// `Conflict` when another version was published since `expected`; `Database` when the
    /// write fails.
    pub async fn publish_day(
        &self,
        actor: &Actor,
        channel: ChannelId,
        day: NaiveDate,
        expected: i64,
        source_version: Option<i64>,
        record: &serde_json::Value,
    ) -> Result<PublishedVersion> {
        let version = expected + 1;
        let now = Utc::now();
        let who = actor.as_str().to_string();
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (latest,): (Option<i64>,) = sqlx::query_as(
                "SELECT MAX(version) FROM schedule_published WHERE channel_id = $1 AND day = $2")
                .bind(channel.to_string()).bind(day_text(day)).fetch_one(&mut *tx).await?;
            if latest.unwrap_or(0) != expected {
                return Err(CatalogError::Conflict("the day was published by someone else meanwhile; reload".into()));
            }
            sqlx::query("INSERT INTO schedule_published (channel_id, day, version, source_version, record, published_by, published_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(channel.to_string()).bind(day_text(day)).bind(version).bind(source_version)
                .bind(Json(record)).bind(&who).bind(now)
                .execute(&mut *tx).await?;
            let after = serde_json::json!({ "published": version, "source_version": source_version });
            record_audit!(&mut *tx, actor, "schedule.publish", "schedule_day", object_id(channel, day),
                None::<serde_json::Value>, Some(after))?;
            tx.commit().await?;
        });
        Ok(PublishedVersion {
            channel,
            day,
            version,
            source_version,
            record: record.clone(),
            published_by: who,
            published_at: now,
        })
    }

    /// Every published version of a channel day, oldest first.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn published_versions(&self, channel: ChannelId, day: NaiveDate) -> Result<Vec<PublishedVersion>> {
        self.published_between(channel, day, day, false).await
    }

    /// The latest published version of every day from `first` to `last` (inclusive) that
    /// has one, by day.
    ///
    /// # Errors
    /// `Database` when the query fails; `Corrupt` for a stored day that does not parse.
    pub async fn latest_published_days(
        &self,
        channel: ChannelId,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<PublishedVersion>> {
        self.published_between(channel, first, last, true).await
    }

    async fn published_between(
        &self,
        channel: ChannelId,
        first: NaiveDate,
        last: NaiveDate,
        latest_only: bool,
    ) -> Result<Vec<PublishedVersion>> {
        let latest = if latest_only {
            " AND version = (SELECT MAX(q.version) FROM schedule_published q WHERE q.channel_id = p.channel_id AND q.day = p.day)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT day, version, source_version, record, published_by, published_at FROM schedule_published p \
             WHERE channel_id = $1 AND day >= $2 AND day <= $3{latest} ORDER BY day, version"
        );
        let rows: Vec<PublishedRow> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(channel.to_string()).bind(day_text(first)).bind(day_text(last)).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|(day, version, source_version, record, published_by, published_at)| {
                Ok(PublishedVersion {
                    channel,
                    day: parse_day(&day)?,
                    version,
                    source_version,
                    record: record.0,
                    published_by,
                    published_at,
                })
            })
            .collect()
    }
}
