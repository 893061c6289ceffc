//! Submitting a file for ingest: the programme is created, the source streamed into the media
//! store (hashed on the way, never held whole in memory), recorded as its source asset, and an
//! ingest job queued. Identical content already stored is reused rather than stored twice.

use std::path::Path;

use catalog::asset::AssetKind;
use catalog::audit::Actor;
use catalog::job::NewJob;
use catalog::media::{layout, Key, MediaStore};
use catalog::programme::{NewProgramme, Programme, ProgrammeProgress, ProgrammeStatus};
use catalog::Store;

use crate::worker::{IngestJob, WorkerError, JOB_KIND};

/// Creates the programme, stores `file` as its source and queues the ingest.
///
/// # Errors
/// `Catalog` for refused metadata (nothing is stored then); `Media` or `Io` when the file
/// cannot be read or stored (the programme is left `failed` with the reason).
pub async fn submit_file(
    store: &Store,
    media: &MediaStore,
    actor: &Actor,
    file: &Path,
    new: &NewProgramme,
) -> Result<Programme, WorkerError> {
    new.check()?;
    let reader = tokio::fs::File::open(file).await.map_err(|e| WorkerError::Io(format!("{}: {e}", file.display())))?;
    let programme = store.create_programme(actor, new, ProgrammeStatus::Uploading).await?;
    match store_source(store, media, &programme, reader, None).await {
        Ok(()) => {}
        Err(e) => {
            let reason = ProgrammeProgress {
                reason: Some(crate::error::without_paths(&format!("upload failed: {e}"))),
                ..Default::default()
            };
            store.set_programme_status(actor, programme.id, ProgrammeStatus::Failed, &reason).await?;
            return Err(e);
        }
    }
    queue(store, actor, &programme).await
}

/// Streams `reader` to a temporary upload key, then files it under the programme (or points at
/// an identical object already stored) and records the source asset. With `expect`, the digest
/// the bytes must have: a join that does not reproduce it stores nothing.
///
/// # Errors
/// `Media` when the store fails; the temporary object is removed.
pub async fn store_source<R>(
    store: &Store,
    media: &MediaStore,
    programme: &Programme,
    reader: R,
    expect: Option<&str>,
) -> Result<(), WorkerError>
where
    R: tokio::io::AsyncRead + Unpin + Send,
{
    let temp = layout::upload(uuid_like(programme))?;
    let put = media.put_stream(&temp, reader).await?;
    if put.size == 0 {
        media.delete(&temp).await?;
        return Err(WorkerError::BadInput("the file is empty (0 bytes)".into()));
    }
    if let Some(want) = expect.filter(|want| *want != put.sha256) {
        media.delete(&temp).await?;
        return Err(WorkerError::Io(format!(
            "the stored upload reads back as SHA-256 {}, not the {want} received",
            put.sha256
        )));
    }
    file_stored(store, media, programme, &temp, &put.sha256, put.size).await
}

/// Files the stored object `temp` (of `size` bytes with digest `sha256`) as the programme's
/// source: moved to its place (a rename on the local store: no byte is copied), or deleted when
/// identical content is stored already; then records the source asset.
///
/// # Errors
/// `Media` when the store fails, `Catalog` when the database does.
pub async fn file_stored(
    store: &Store,
    media: &MediaStore,
    programme: &Programme,
    temp: &Key,
    sha256: &str,
    size: u64,
) -> Result<(), WorkerError> {
    let key = match store.find_asset_by_sha256(AssetKind::Source, sha256).await? {
        Some(existing) => {
            media.delete(temp).await?;
            existing.key
        }
        None => {
            let key = layout::programme_source(programme.id, sha256)?;
            media.rename(temp, &key).await?;
            key.as_str().to_string()
        }
    };
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    store.add_asset(programme.id, AssetKind::Source, &key, sha256, size).await?;
    Ok(())
}

/// Marks the programme queued and enqueues its ingest job.
///
/// # Errors
/// `Catalog` when the database fails.
pub async fn queue(store: &Store, actor: &Actor, programme: &Programme) -> Result<Programme, WorkerError> {
    let source = store
        .list_assets(programme.id)
        .await?
        .into_iter()
        .find(|a| a.kind == AssetKind::Source)
        .ok_or_else(|| WorkerError::BadInput("the programme has no source file".into()))?;
    let job =
        IngestJob { programme_id: programme.id, source_key: source.key, centre: Some(programme.centre.to_string()) };
    let payload = serde_json::to_value(&job).map_err(|e| WorkerError::Io(e.to_string()))?;
    let queued = store.set_programme_status(actor, programme.id, ProgrammeStatus::Queued, &Default::default()).await?;
    store.enqueue(&NewJob::new(JOB_KIND, payload)).await?;
    Ok(queued)
}

fn uuid_like(p: &Programme) -> String {
    format!("{}-{}", p.id, p.version)
}
