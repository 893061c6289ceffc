//! A centre's live relays (migration 0014): named `srt://`, `udp://`, `rtmp://`, `rtsp://` or
//! HLS URIs its schedules may air, kept by its administrator. The URI's form is checked here
//! ([`schedules::relay::check_uri`]) and again by playout before it opens one.

use chrono::{DateTime, Utc};

use super::{record_audit, with_pool, Store};
use crate::audit::Actor;
use crate::error::{CatalogError, Result};
use crate::ids::CentreCode;
use crate::store::BeginWrite;

/// One relay of a centre's list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LiveRelay {
    pub centre: String,
    pub name: String,
    pub uri: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl LiveRelay {
    /// The name and URI, as schedules resolve them.
    pub fn relay(&self) -> schedules::relay::Relay {
        schedules::relay::Relay { name: self.name.clone(), uri: self.uri.clone() }
    }
}

impl Store {
    /// The relays of `centre`, by name.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn list_relays(&self, centre: &CentreCode) -> Result<Vec<LiveRelay>> {
        let sql = "SELECT centre, name, uri, updated_by, updated_at FROM live_relays WHERE centre = $1 ORDER BY name";
        with_pool!(self, pool => sqlx::query_as(sql).bind(centre.as_str()).fetch_all(pool).await).map_err(Into::into)
    }

    /// Adds relay `name` of `centre`, or points it at a new `uri`; audited.
    ///
    /// # Errors
    /// `Invalid` when the name or URI is not a relay's; `Database` when the write fails.
    pub async fn put_relay(&self, actor: &Actor, centre: &CentreCode, name: &str, uri: &str) -> Result<LiveRelay> {
        schedules::relay::check_name(name).map_err(|e| CatalogError::invalid("relay", e))?;
        schedules::relay::check_uri(uri).map_err(|e| CatalogError::invalid("relay", e))?;
        let sql = "INSERT INTO live_relays (centre, name, uri, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
                   ON CONFLICT (centre, name) DO UPDATE SET uri = excluded.uri, updated_by = excluded.updated_by, \
                   updated_at = excluded.updated_at";
        let id = format!("{centre}/{name}");
        let after = serde_json::json!({ "uri": uri });
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sql).bind(centre.as_str()).bind(name).bind(uri).bind(actor.as_str()).bind(Utc::now())
                .execute(&mut *tx).await?;
            record_audit!(&mut *tx, actor, "relay.put", "relay", &id, None::<serde_json::Value>, Some(after))?;
            tx.commit().await?;
        });
        let all = self.list_relays(centre).await?;
        all.into_iter().find(|r| r.name == name).ok_or_else(|| CatalogError::not_found("relay", id))
    }

    /// Removes relay `name` of `centre`; audited. Days already published that name it air
    /// slate in its slot from then on.
    ///
    /// # Errors
    /// `NotFound` when there is no such relay.
    pub async fn delete_relay(&self, actor: &Actor, centre: &CentreCode, name: &str) -> Result<()> {
        let id = format!("{centre}/{name}");
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("DELETE FROM live_relays WHERE centre = $1 AND name = $2")
                .bind(centre.as_str()).bind(name).execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(CatalogError::not_found("relay", id));
            }
            record_audit!(&mut *tx, actor, "relay.delete", "relay", &id, None::<serde_json::Value>, None::<serde_json::Value>)?;
            tx.commit().await?;
        });
        Ok(())
    }
}
