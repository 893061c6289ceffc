//! An editor's QC override: a programme that failed QC (its products stored) is made ready,
//! with who did it, why, and the state before and after in the audit log.

use chrono::Utc;

use super::{record_audit, with_pool, Store};
use crate::audit::Actor;
use crate::error::{CatalogError, Result};
use crate::ids::ProgrammeId;
use crate::programme::Programme;
use crate::store::BeginWrite;

impl Store {
    /// Moves `before` (a failed programme, as read by the caller) to ready, recording the
    /// override and `reason` in the audit log in the same transaction.
    ///
    /// # Errors
    /// `Conflict` when the programme changed since `before` was read (or is not failed);
    /// `NotFound` when it does not exist.
    pub async fn override_qc(&self, actor: &Actor, before: &Programme, reason: &str) -> Result<Programme> {
        let id: ProgrammeId = before.id;
        let sql = "UPDATE programmes SET status = 'ready', reason = NULL, updated_at = $1, version = version + 1 \
                   WHERE id = $2 AND status = 'failed' AND version = $3";
        let verdict = before.qc.as_ref().and_then(|q| q.get("verdict")).cloned();
        let b = serde_json::json!({ "status": before.status, "reason": before.reason, "qc_verdict": verdict });
        let a = serde_json::json!({ "status": "ready", "override_reason": reason });
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(sql).bind(Utc::now()).bind(id.to_string()).bind(before.version)
                .execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(CatalogError::Conflict(format!(
                    "programme {id} changed since it was read (or is no longer failed); read it again")));
            }
            record_audit!(&mut *tx, actor, "programme.qc_override", "programme", id.to_string(), Some(b), Some(a))?;
            tx.commit().await?;
        });
        self.get_programme(id).await
    }
}
