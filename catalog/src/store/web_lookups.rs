//! Look-ups and edits the web API needs beyond the core store: one asset or token by id, and
//! editing or retiring a channel (audited with before and after).

use chrono::Utc;
use sqlx::types::Json;

use super::rows::{AssetRow, TokenRow};
use super::{record_audit, with_pool, Store};
use crate::asset::Asset;
use crate::audit::Actor;
use crate::channel::{check_crawl, Channel, ChannelLogo, MAX_FILLERS};
use crate::error::{CatalogError, Result};
use crate::ids::{AssetId, ChannelId, ProgrammeId, TokenId};
use crate::programme::Sharing;
use crate::store::BeginWrite;
use crate::user::ApiToken;

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
}

/// A token row with the two facts of its user that authentication needs.
#[derive(sqlx::FromRow)]
struct TokenUserRow {
    #[sqlx(flatten)]
    token: TokenRow,
    username: String,
    disabled: bool,
}

impl Store {
    /// The token with this hash and its user's name and disabled flag, in one round trip
    /// (authentication runs on every API request).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn find_token_with_user(&self, token_hash: &str) -> Result<Option<(ApiToken, String, bool)>> {
        let sql = "SELECT t.id, t.user_id, t.name, t.token_hash, t.role, t.centre_code, t.created_at, t.expires_at, \
                   t.revoked_at, u.username, u.disabled FROM api_tokens t JOIN users u ON u.id = t.user_id \
                   WHERE t.token_hash = $1";
        let row: Option<TokenUserRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(token_hash).fetch_optional(pool).await)?;
        match row {
            Some(r) => Ok(Some((r.token.try_into()?, r.username, r.disabled))),
            None => Ok(None),
        }
    }

    /// One asset by id.
    ///
    /// # Errors
    /// `NotFound` when there is no such asset.
    pub async fn get_asset(&self, id: AssetId) -> Result<Asset> {
        let sql = "SELECT id, programme_id, kind, key, sha256, size_bytes, created_at FROM assets WHERE id = $1";
        let row: Option<AssetRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(id.to_string()).fetch_optional(pool).await)?;
        row.ok_or_else(|| CatalogError::not_found("asset", id))?.try_into()
    }

    /// One API token by id, usable or not.
    ///
    /// # Errors
    /// `NotFound` when there is no such token.
    pub async fn get_token(&self, id: TokenId) -> Result<ApiToken> {
        let sql = "SELECT id, user_id, name, token_hash, role, centre_code, created_at, expires_at, revoked_at \
                   FROM api_tokens WHERE id = $1";
        let row: Option<TokenRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(id.to_string()).fetch_optional(pool).await)?;
        row.ok_or_else(|| CatalogError::not_found("token", id))?.try_into()
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
        let sql = "UPDATE channels SET name = $1, day_start = $2, retired_at = $3, fillers = $4, crawl = $5, \
                   logo = $6 WHERE id = $7";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sql).bind(&name).bind(&day_start).bind(retired_at).bind(Json(&fillers)).bind(&crawl)
                .bind(logo.as_ref().map(Json)).bind(id.to_string())
                .execute(&mut *tx).await?;
            let b = serde_json::json!({ "name": before.name, "day_start": before.day_start, "retired_at": before.retired_at,
                "fillers": before.fillers, "crawl": before.crawl, "logo": before.logo });
            let a = serde_json::json!({ "name": name, "day_start": day_start, "retired_at": retired_at,
                "fillers": fillers, "crawl": crawl, "logo": logo });
            let action = if edit.retired == Some(true) && before.retired_at.is_none() { "channel.retire" } else { "channel.update" };
            record_audit!(&mut *tx, actor, action, "channel", id.to_string(), Some(b), Some(a))?;
            tx.commit().await?;
        });
        self.get_channel(id).await
    }

    /// `fillers` if each is a programme `channel` may air: its centre's own, or shared with
    /// the network.
    async fn check_fillers(&self, channel: &Channel, fillers: &[ProgrammeId]) -> Result<Vec<ProgrammeId>> {
        if fillers.len() > MAX_FILLERS {
            return Err(CatalogError::invalid("fillers", format!("at most {MAX_FILLERS} programmes")));
        }
        for id in fillers {
            let p = match self.get_programme(*id).await {
                Ok(p) => p,
                Err(CatalogError::NotFound { .. }) => {
                    return Err(CatalogError::invalid("fillers", format!("no programme {id}")));
                }
                Err(e) => return Err(e),
            };
            if p.centre != channel.centre && p.sharing != Sharing::Network {
                return Err(CatalogError::invalid(
                    "fillers",
                    format!("programme {id} belongs to centre {} and is not shared with the network", p.centre),
                ));
            }
        }
        Ok(fillers.to_vec())
    }
}
