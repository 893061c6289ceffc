//! Waiting for a programme to settle (ready or failed), processing jobs meanwhile, and the
//! programme as the CLI prints it.

use std::time::Duration;

use catalog::ids::ProgrammeId;
use catalog::programme::{Programme, ProgrammeStatus};
use catalog::Store;
use serde_json::json;

use crate::worker::{Worker, WorkerError};

/// Returns once the programme is `ready` or `failed`. While waiting it processes queued
/// ingest jobs itself, so it finishes even when no server or worker is running.
///
/// # Errors
/// When the catalog cannot be reached.
pub async fn until_settled(store: &Store, worker: &Worker, id: ProgrammeId) -> Result<Programme, WorkerError> {
    loop {
        let p = store.get_programme(id).await?;
        if matches!(p.status, ProgrammeStatus::Ready | ProgrammeStatus::Failed) {
            return Ok(p);
        }
        if worker.run_one().await?.is_none() {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// The programme as `kapok ingest` prints it: `id`, `status`, `reason`, `qc`, `loudness`
/// (source and house), `assets[]` with `kind`, `key`, `sha256`.
///
/// # Errors
/// When the catalog cannot be reached.
pub async fn programme_json(store: &Store, p: &Programme) -> Result<serde_json::Value, WorkerError> {
    let assets = store.list_assets(p.id).await?;
    Ok(json!({
        "id": p.id,
        "title": p.title,
        "centre": p.centre,
        "category": p.category,
        "status": p.status,
        "reason": p.reason,
        "duration_ms": p.duration_ms,
        "qc": p.qc,
        "loudness": p.loudness,
        "assets": assets.iter().map(|a| json!({ "kind": a.kind, "key": a.key, "sha256": a.sha256, "size": a.size_bytes })).collect::<Vec<_>>(),
    }))
}
