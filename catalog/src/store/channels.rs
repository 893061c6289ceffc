//! Channels: created, listed and retired by their centre.

use chrono::Utc;
use sqlx::types::Json;

use super::rows::{convert, ChannelRow};
use super::{record_audit, with_pool, Store};
use crate::audit::Actor;
use crate::channel::{Channel, NewChannel};
use crate::error::{CatalogError, Result};
use crate::ids::ChannelId;
use crate::store::BeginWrite;

const COLUMNS: &str =
    "id, centre_code, slug, name, kind, format, day_start, time_zone, retired_at, created_at, fillers, crawl, logo";

impl Store {
    /// Creates a channel, audited.
    ///
    /// # Errors
    /// `Invalid` for a bad slug or day start; `Conflict` when the slug is taken.
    pub async fn create_channel(&self, actor: &Actor, new: &NewChannel) -> Result<Channel> {
        new.check()?;
        let id = ChannelId::new();
        let sql = "INSERT INTO channels (id, centre_code, slug, name, kind, format, day_start, time_zone, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sql)
                .bind(id.to_string()).bind(new.centre.as_str()).bind(&new.slug).bind(&new.name)
                .bind(new.kind.as_str()).bind(Json(&new.format)).bind(&new.day_start).bind(&new.time_zone)
                .bind(Utc::now())
                .execute(&mut *tx).await?;
            let after = serde_json::to_value(new.slug.as_str()).ok();
            record_audit!(&mut *tx, actor, "channel.create", "channel", id.to_string(), None::<serde_json::Value>, after)?;
            tx.commit().await?;
        });
        self.get_channel(id).await
    }

    /// One channel.
    ///
    /// # Errors
    /// `NotFound` when there is no such channel.
    pub async fn get_channel(&self, id: ChannelId) -> Result<Channel> {
        let sql = format!("SELECT {COLUMNS} FROM channels WHERE id = $1");
        let row: Option<ChannelRow> =
            with_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await)?;
        row.ok_or_else(|| CatalogError::not_found("channel", id))?.try_into()
    }

    /// Channels in service (and retired ones when asked), by slug.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn list_channels(&self, include_retired: bool) -> Result<Vec<Channel>> {
        let filter = if include_retired { "" } else { "WHERE retired_at IS NULL" };
        let sql = format!("SELECT {COLUMNS} FROM channels {filter} ORDER BY slug");
        let rows: Vec<ChannelRow> = with_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
        convert(rows)
    }
}
