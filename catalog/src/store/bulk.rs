//! Bulk import of programmes (legacy catalogues, benchmarks): many rows per transaction,
//! each indexed for search and audited exactly like [`Store::create_programme`].

use chrono::Utc;
use sqlx::types::Json;

use super::programme_search::{SQLITE_INSERT, SQLITE_NUMBER};
use super::{record_audit, with_pool, Store};
use crate::audit::Actor;
use crate::error::Result;
use crate::ids::ProgrammeId;
use crate::programme::{NewProgramme, ProgrammeStatus};
use crate::search;
use crate::store::BeginWrite;

impl Store {
    /// Imports `news` in one transaction (all or nothing), in `status`, returning their ids.
    ///
    /// # Errors
    /// `Invalid` for the first programme that fails its checks (nothing is imported).
    pub async fn import_programmes(
        &self,
        actor: &Actor,
        news: &[NewProgramme],
        status: ProgrammeStatus,
    ) -> Result<Vec<ProgrammeId>> {
        self.import_programmes_with_durations(actor, news, &[], status).await
    }

    /// As [`Store::import_programmes`], with the media duration of each programme where
    /// `durations_ms` has one (same order as `news`; missing entries: unknown), as for legacy
    /// catalogues whose media is already measured, and for the schedule benchmark.
    ///
    /// # Errors
    /// `Invalid` for the first programme that fails its checks or a negative duration.
    pub async fn import_programmes_with_durations(
        &self,
        actor: &Actor,
        news: &[NewProgramme],
        durations_ms: &[i64],
        status: ProgrammeStatus,
    ) -> Result<Vec<ProgrammeId>> {
        if durations_ms.iter().any(|d| *d < 0) {
            return Err(crate::error::CatalogError::invalid("duration", "a duration cannot be negative"));
        }
        for n in news {
            n.check()?;
        }
        let sql = "INSERT INTO programmes (id, centre_code, title, series, episode, description, category, language, \
                   tags, sharing, status, rights_from, rights_until, created_at, updated_at, search_terms, title_terms, duration_ms) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17)";
        let sqlite = self.backend() == crate::Backend::Sqlite;
        let mut ids = Vec::with_capacity(news.len());
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for (k, new) in news.iter().enumerate() {
                let id = ProgrammeId::new();
                let tags = new.tags.join(" ");
                let ix = search::index(&new.title, &[new.series.as_deref().unwrap_or(""), &new.description, &tags]);
                sqlx::query(sql)
                    .bind(id.to_string()).bind(new.centre.as_str()).bind(new.title.trim()).bind(&new.series)
                    .bind(new.episode).bind(&new.description).bind(new.category.as_str()).bind(&new.language)
                    .bind(Json(&new.tags)).bind(new.sharing.as_str()).bind(status.as_str())
                    .bind(new.rights_from).bind(new.rights_until).bind(Utc::now()).bind(&ix.document).bind(&ix.title).bind(durations_ms.get(k).copied())
                    .execute(&mut *tx).await?;
                if sqlite {
                    sqlx::query(SQLITE_NUMBER).bind(id.to_string()).execute(&mut *tx).await?;
                    sqlx::query(SQLITE_INSERT).bind(id.to_string()).bind(&ix.title).bind(&ix.body).execute(&mut *tx).await?;
                }
                let after = serde_json::json!({ "title": new.title.trim(), "centre": new.centre, "status": status });
                record_audit!(&mut *tx, actor, "programme.import", "programme", id.to_string(), None::<serde_json::Value>, Some(after))?;
                ids.push(id);
            }
            tx.commit().await?;
        });
        self.changes.bump();
        Ok(ids)
    }
}
