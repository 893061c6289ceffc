//! Channels: created, listed, edited (name, day start, fillers, crawl, logo) and retired by
//! their centre.

use chrono::Utc;
use sqlx::types::Json;

use super::rows::{convert, ChannelRow};
use super::{record_audit, with_pool, Store};
use crate::audit::Actor;
use crate::channel::{check_crawl, Channel, ChannelLogo, NewChannel, ServiceIds, MAX_FILLERS};
use crate::error::{CatalogError, Result};
use crate::ids::{ChannelId, ProgrammeId};
use crate::programme::Sharing;
use crate::store::BeginWrite;

const COLUMNS: &str =
    "id, centre_code, slug, name, kind, format, day_start, time_zone, retired_at, created_at, fillers, crawl, logo, service";

/// An edit of a channel: a new name or day start, retiring (or returning to service), or what
/// it airs besides its schedule (fillers, crawl, logo).
#[derive(Debug, Clone, Default)]
pub struct ChannelEdit {
    pub name: Option<String>,
    pub day_start: Option<String>,
    /// `Some(true)` retires the channel now, `Some(false)` returns it to service.
    pub retired: Option<bool>,
    /// The filler programmes, replacing the list (`Some(vec![])` clears it).
    pub fillers: Option<Vec<ProgrammeId>>,
    /// `Some(None)` or an empty text removes the crawl.
    pub crawl: Option<Option<String>>,
    /// `Some(None)` removes the logo.
    pub logo: Option<Option<ChannelLogo>>,
    /// The service's ids and PIDs in the MPEG-TS, replacing the stored ones.
    pub service: Option<ServiceIds>,
}

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

    /// Renames, moves the day start of, retires or un-retires a channel, or sets its fillers,
    /// crawl and logo; audited.
    ///
    /// # Errors
    /// `NotFound`; `Invalid` for an empty name, a day start that is not `HH:MM`, a filler that
    /// is unknown or another centre's private programme, too many fillers, or a bad crawl or
    /// logo (see [`check_crawl`], [`ChannelLogo::check`]).
    pub async fn update_channel(&self, actor: &Actor, id: ChannelId, edit: &ChannelEdit) -> Result<Channel> {
        let before = self.get_channel(id).await?;
        let name = edit.name.as_deref().map(str::trim).unwrap_or(&before.name).to_string();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(CatalogError::invalid("name", "1-100 characters without control characters"));
        }
        let day_start = edit.day_start.clone().unwrap_or_else(|| before.day_start.clone());
        if chrono::NaiveTime::parse_from_str(&day_start, "%H:%M").is_err() {
            return Err(CatalogError::invalid("day_start", "must be HH:MM"));
        }
        let retired_at = match edit.retired {
            None => before.retired_at,
            Some(true) => before.retired_at.or_else(|| Some(Utc::now())),
            Some(false) => None,
        };
        let fillers = match &edit.fillers {
            Some(f) => self.check_fillers(&before, f).await?,
            None => before.fillers.clone(),
        };
        let crawl = match &edit.crawl {
            Some(text) => check_crawl(text.as_deref().unwrap_or_default())?,
            None => before.crawl.clone(),
        };
        let logo = edit.logo.clone().unwrap_or_else(|| before.logo.clone());
        if let Some(l) = &logo {
            l.check()?;
        }
        let service = edit.service.unwrap_or(before.service);
        let problems = service.problems();
        if !problems.is_empty() {
            return Err(CatalogError::invalid("service", problems.join("; ")));
        }
        let sql = "UPDATE channels SET name = $1, day_start = $2, retired_at = $3, fillers = $4, crawl = $5, \
                   logo = $6, service = $7 WHERE id = $8";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sql).bind(&name).bind(&day_start).bind(retired_at).bind(Json(&fillers)).bind(&crawl)
                .bind(logo.as_ref().map(Json)).bind(Json(&service)).bind(id.to_string())
                .execute(&mut *tx).await?;
            let b = serde_json::json!({ "name": before.name, "day_start": before.day_start, "retired_at": before.retired_at,
                "fillers": before.fillers, "crawl": before.crawl, "logo": before.logo,
                "service": before.service });
            let a = serde_json::json!({ "name": name, "day_start": day_start, "retired_at": retired_at,
                "fillers": fillers, "crawl": crawl, "logo": logo,
                "service": service });
            let action = if edit.retired == Some(true) && before.retired_at.is_none() { "channel.retire" } else { "channel.update" };
            record_audit!(&mut *tx, actor, action, "channel", id.to_string(), Some(b), Some(a))?;
            tx.commit().await?;
        });
        self.get_channel(id).await
    }

    /// `fillers` if each is a programme `channel` may air: its centre's own, or shared with
    /// the network. A missing programme and another centre's private one are refused in the
    /// same words, so the answer does not tell whether a private programme exists.
    async fn check_fillers(&self, channel: &Channel, fillers: &[ProgrammeId]) -> Result<Vec<ProgrammeId>> {
        if fillers.len() > MAX_FILLERS {
            return Err(CatalogError::invalid("fillers", format!("at most {MAX_FILLERS} programmes")));
        }
        for id in fillers {
            let airable = match self.get_programme(*id).await {
                Ok(p) => p.centre == channel.centre || p.sharing == Sharing::Network,
                Err(CatalogError::NotFound { .. }) => false,
                Err(e) => return Err(e),
            };
            if !airable {
                return Err(CatalogError::invalid(
                    "fillers",
                    format!(
                        "no programme {id} that centre {} may air (its own, or one shared with the network)",
                        channel.centre
                    ),
                ));
            }
        }
        Ok(fillers.to_vec())
    }
}
