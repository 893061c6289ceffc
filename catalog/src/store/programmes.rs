//! Programmes and their assets.

use chrono::Utc;
use sqlx::types::Json;

use super::programme_search::{SQLITE_INSERT, SQLITE_NUMBER, SQLITE_UPDATE};
use super::rows::{convert, AssetRow, ProgrammeRow, PROGRAMME_COLUMNS};
use super::{record_audit, with_pool, Store};
use crate::asset::{Asset, AssetKind};
use crate::audit::Actor;
use crate::error::{CatalogError, Result};
use crate::ids::{AssetId, CentreCode, ProgrammeId};
use crate::programme::{Category, NewProgramme, Programme, ProgrammeEdit, ProgrammeProgress, ProgrammeStatus};
use crate::search;
use crate::store::BeginWrite;

/// Which programmes to list. Pages are keyset-based on the (time-ordered) id: pass the last id
/// of a page as `after` to get the next one. With `query`, results are ranked by relevance
/// instead (and `after` is ignored: one ranked page).
#[derive(Debug, Clone, Default)]
pub struct ProgrammeFilter {
    pub centre: Option<CentreCode>,
    /// Only what this centre may see: its own programmes and those shared with the network.
    pub visible_to: Option<CentreCode>,
    pub status: Option<ProgrammeStatus>,
    pub category: Option<Category>,
    /// Free text, Chinese or mixed; see [`crate::search`].
    pub query: Option<String>,
    pub after: Option<ProgrammeId>,
    /// Page size, clamped to 1..=500.
    pub limit: i64,
}

const ASSET_COLUMNS: &str = "id, programme_id, kind, key, sha256, size_bytes, created_at";

impl Store {
    /// Creates a programme in `status` (usually `Uploading` or `Queued`), audited.
    ///
    /// # Errors
    /// `Invalid` for a bad title or rights window or an unknown centre.
    pub async fn create_programme(
        &self,
        actor: &Actor,
        new: &NewProgramme,
        status: ProgrammeStatus,
    ) -> Result<Programme> {
        new.check()?;
        let id = ProgrammeId::new();
        let now = Utc::now();
        let sql = "INSERT INTO programmes (id, centre_code, title, series, episode, description, category, language, \
                   tags, sharing, status, rights_from, rights_until, created_at, updated_at, search_terms, title_terms) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16)";
        let ix = search_index(new);
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sql)
                .bind(id.to_string()).bind(new.centre.as_str()).bind(new.title.trim()).bind(&new.series)
                .bind(new.episode).bind(&new.description).bind(new.category.as_str()).bind(&new.language)
                .bind(Json(&new.tags)).bind(new.sharing.as_str()).bind(status.as_str())
                .bind(new.rights_from).bind(new.rights_until).bind(now).bind(&ix.document).bind(&ix.title)
                .execute(&mut *tx).await?;
            if self.backend() == crate::Backend::Sqlite {
                sqlx::query(SQLITE_NUMBER).bind(id.to_string()).execute(&mut *tx).await?;
                sqlx::query(SQLITE_INSERT).bind(id.to_string()).bind(&ix.title).bind(&ix.body).execute(&mut *tx).await?;
            }
            let after = serde_json::json!({ "title": new.title.trim(), "centre": new.centre, "status": status });
            record_audit!(&mut *tx, actor, "programme.create", "programme", id.to_string(), None::<serde_json::Value>, Some(after))?;
            tx.commit().await?;
        });
        self.changes.bump();
        self.get_programme(id).await
    }

    /// One programme.
    ///
    /// # Errors
    /// `NotFound` when there is no such programme.
    pub async fn get_programme(&self, id: ProgrammeId) -> Result<Programme> {
        let sql = format!("SELECT {PROGRAMME_COLUMNS} FROM programmes WHERE id = $1");
        let row: Option<ProgrammeRow> =
            with_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await)?;
        row.ok_or_else(|| CatalogError::not_found("programme", id))?.try_into()
    }

    /// A page of programmes: oldest first, or by relevance when the filter has a query.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn list_programmes(&self, f: &ProgrammeFilter) -> Result<Vec<Programme>> {
        self.query_programmes(&super::programme_query::ProgrammeQuery { filter: f.clone(), ..Default::default() }).await
    }

    /// Applies a metadata edit if `edit.version` is still current, audited with before and
    /// after. Bumps the version and re-indexes the programme for search.
    ///
    /// # Errors
    /// `NotFound`; `Invalid` for bad values; `Conflict` when someone else changed it first.
    pub async fn update_programme(&self, actor: &Actor, id: ProgrammeId, edit: &ProgrammeEdit) -> Result<Programme> {
        let before = self.get_programme(id).await?;
        let n = edit.apply(&before)?;
        let ix = search_index(&n);
        let sql = "UPDATE programmes SET title = $1, series = $2, episode = $3, description = $4, category = $5, \
                   language = $6, tags = $7, sharing = $8, rights_from = $9, rights_until = $10, search_terms = $11, \
                   updated_at = $12, version = version + 1, title_terms = $15 WHERE id = $13 AND version = $14";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(sql)
                .bind(n.title.trim()).bind(&n.series).bind(n.episode).bind(&n.description).bind(n.category.as_str())
                .bind(&n.language).bind(Json(&n.tags)).bind(n.sharing.as_str()).bind(n.rights_from).bind(n.rights_until)
                .bind(&ix.document).bind(Utc::now()).bind(id.to_string()).bind(edit.version).bind(&ix.title)
                .execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(CatalogError::Conflict(format!(
                    "programme {id} is at version {}, not {}: reload and edit again", before.version, edit.version
                )));
            }
            if self.backend() == crate::Backend::Sqlite {
                sqlx::query(SQLITE_UPDATE).bind(id.to_string()).bind(&ix.title).bind(&ix.body).execute(&mut *tx).await?;
            }
            let b = serde_json::to_value(&before).ok();
            let a = serde_json::json!({ "title": n.title.trim(), "category": n.category, "sharing": n.sharing,
                "tags": n.tags, "description": n.description, "language": n.language });
            record_audit!(&mut *tx, actor, "programme.update", "programme", id.to_string(), b, Some(a))?;
            tx.commit().await?;
        });
        self.changes.bump();
        self.get_programme(id).await
    }

    /// Moves a programme to `status`, recording what the worker learned, audited with the
    /// state before and after. Bumps the version.
    ///
    /// # Errors
    /// `NotFound` when there is no such programme.
    pub async fn set_programme_status(
        &self,
        actor: &Actor,
        id: ProgrammeId,
        status: ProgrammeStatus,
        progress: &ProgrammeProgress,
    ) -> Result<Programme> {
        let before = self.get_programme(id).await?;
        let sql = "UPDATE programmes SET status = $1, reason = $2, duration_ms = COALESCE($3, duration_ms), \
                   qc = COALESCE($4, qc), loudness = COALESCE($5, loudness), updated_at = $6, version = version + 1 \
                   WHERE id = $7";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(sql)
                .bind(status.as_str()).bind(&progress.reason).bind(progress.duration_ms)
                .bind(progress.qc.as_ref().map(Json)).bind(progress.loudness.as_ref().map(Json))
                .bind(Utc::now()).bind(id.to_string())
                .execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(CatalogError::not_found("programme", id));
            }
            let b = serde_json::json!({ "status": before.status, "reason": before.reason });
            let a = serde_json::json!({ "status": status, "reason": progress.reason });
            record_audit!(&mut *tx, actor, "programme.status", "programme", id.to_string(), Some(b), Some(a))?;
            if let Some(kind) = super::programme_events::settled_kind(status) {
                sqlx::query(super::programme_events::INSERT)
                    .bind(id.to_string()).bind(kind).bind(&*self.origin).bind(Utc::now())
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        self.changes.bump();
        self.get_programme(id).await
    }

    /// Deletes a programme that never became ready (`failed`, or an `uploading` one left
    /// behind) with its asset and upload rows and its search entry, recording
    /// `programme.delete`. Returns the media keys no other programme's asset shares, for the
    /// caller to remove from the media store.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` when the programme is queued, processing or ready (a ready one
    /// may be scheduled; one in work is the worker's).
    pub async fn delete_programme(&self, actor: &Actor, id: ProgrammeId) -> Result<Vec<String>> {
        let before = self.get_programme(id).await?;
        let deletable = |s: ProgrammeStatus| matches!(s, ProgrammeStatus::Failed | ProgrammeStatus::Uploading);
        let refuse = |s: ProgrammeStatus| {
            CatalogError::Conflict(format!("programme {id} is {}: only a failed programme can be deleted", s.as_str()))
        };
        if !deletable(before.status) {
            return Err(refuse(before.status));
        }
        let sqlite = self.backend() == crate::Backend::Sqlite;
        let keys_sql = "SELECT key FROM assets WHERE programme_id = $1 \
                        AND key NOT IN (SELECT key FROM assets WHERE programme_id <> $1)";
        let keys: Vec<(String,)> = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let keys: Vec<(String,)> = sqlx::query_as(keys_sql).bind(id.to_string()).fetch_all(&mut *tx).await?;
            if sqlite {
                sqlx::query("DELETE FROM programme_search WHERE programme_id = $1")
                    .bind(id.to_string()).execute(&mut *tx).await?;
            }
            let done = sqlx::query("DELETE FROM programmes WHERE id = $1 AND status = $2")
                .bind(id.to_string()).bind(before.status.as_str())
                .execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                // Its status changed since it was read (a retry began).
                return Err(refuse(self.get_programme(id).await?.status));
            }
            let b = serde_json::json!({ "title": before.title, "status": before.status, "reason": before.reason });
            // The row is gone: its centre is named, so the centre's history keeps it.
            record_audit!(&mut *tx, actor, "programme.delete", "programme", id.to_string(), Some(b),
                None::<serde_json::Value>, centre: Some(before.centre.to_string()))?;
            tx.commit().await?;
            keys
        });
        self.changes.bump();
        Ok(keys.into_iter().map(|k| k.0).collect())
    }

    /// Records a stored object of a programme. Recording the same (kind, key) twice is a
    /// `Conflict`, which makes a re-run of a job detectable.
    ///
    /// # Errors
    /// `Conflict` for a duplicate; `Invalid` for an unknown programme.
    pub async fn add_asset(
        &self,
        programme_id: ProgrammeId,
        kind: AssetKind,
        key: &str,
        sha256: &str,
        size_bytes: i64,
    ) -> Result<Asset> {
        self.insert_asset(programme_id, kind, key, sha256, size_bytes, "").await
    }

    /// Records a product of a programme's ingest, or — when the same (kind, key) is recorded
    /// already, by an earlier attempt of the job — sets its digest and size to those of the
    /// object now stored there: a re-run overwrites the key, possibly with other bytes (another
    /// worker's FFmpeg build), and the row must describe what the key holds.
    ///
    /// # Errors
    /// `Invalid` for an unknown programme; `Database` when the database fails.
    pub async fn record_asset(
        &self,
        programme_id: ProgrammeId,
        kind: AssetKind,
        key: &str,
        sha256: &str,
        size_bytes: i64,
    ) -> Result<Asset> {
        let refresh = " ON CONFLICT (programme_id, kind, key) \
                       DO UPDATE SET sha256 = excluded.sha256, size_bytes = excluded.size_bytes";
        self.insert_asset(programme_id, kind, key, sha256, size_bytes, refresh).await
    }

    async fn insert_asset(
        &self,
        programme_id: ProgrammeId,
        kind: AssetKind,
        key: &str,
        sha256: &str,
        size_bytes: i64,
        on_conflict: &str,
    ) -> Result<Asset> {
        let sql = format!(
            "INSERT INTO assets (id, programme_id, kind, key, sha256, size_bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7){on_conflict} RETURNING {ASSET_COLUMNS}"
        );
        let row: AssetRow = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(AssetId::new().to_string()).bind(programme_id.to_string()).bind(kind.as_str()).bind(key)
            .bind(sha256).bind(size_bytes).bind(Utc::now())
            .fetch_one(pool).await)?;
        self.changes.bump();
        row.try_into()
    }

    /// The assets of a programme, in the order they were made.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn list_assets(&self, programme_id: ProgrammeId) -> Result<Vec<Asset>> {
        let sql = format!("SELECT {ASSET_COLUMNS} FROM assets WHERE programme_id = $1 ORDER BY created_at, id");
        let rows: Vec<AssetRow> =
            with_pool!(self, pool => sqlx::query_as(&sql).bind(programme_id.to_string()).fetch_all(pool).await)?;
        convert(rows)
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

    /// An existing asset of `kind` with this content, so identical uploads reuse one object.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn find_asset_by_sha256(&self, kind: AssetKind, sha256: &str) -> Result<Option<Asset>> {
        let sql = format!("SELECT {ASSET_COLUMNS} FROM assets WHERE kind = $1 AND sha256 = $2 ORDER BY id LIMIT 1");
        let row: Option<AssetRow> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(kind.as_str()).bind(sha256).fetch_optional(pool).await)?;
        row.map(Asset::try_from).transpose()
    }
}

/// The search index entries of a programme: its title, series, description and tags.
fn search_index(p: &NewProgramme) -> search::Indexed {
    let tags = p.tags.join(" ");
    search::index(&p.title, &[p.series.as_deref().unwrap_or(""), &p.description, &tags])
}
