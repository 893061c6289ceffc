//! Resumable uploads (the engine behind the API's tus 1.0 routes), free of HTTP.
//!
//! Creating an upload creates its programme at once (status `uploading`). Each append streams
//! the request body into the media store [`UploadSettings::segment_size`] bytes at a time — in
//! place into the upload's one data file on a local store, as segment objects under
//! `uploads/{id}/` on S3 — recording after each the new offset and the running SHA-256 of every
//! byte so far ([`digest`]) in the catalog. So any API node can take the next request, a dropped
//! connection loses at most the bytes being received, and each byte is written once. After the
//! last byte the data file is renamed into the programme's source (S3: the segments are joined,
//! hashed again and checked), identical content re-using the stored source as [`crate::submit`]
//! does, and the ingest job is queued. Memory per request stays near two segments whatever the
//! file size.

mod append;
pub mod chain;
pub mod digest;
mod sweep;

use std::time::Duration;

use catalog::audit::Actor;
use catalog::ids::UploadId;
use catalog::media::{layout, MediaError, MediaStore};
use catalog::programme::{NewProgramme, Programme, ProgrammeProgress, ProgrammeStatus};
use catalog::store::{NewUpload, Upload};
use catalog::{CatalogError, Store};

pub use append::Appended;

use crate::worker::WorkerError;

/// Limits of the upload service.
#[derive(Debug, Clone)]
pub struct UploadSettings {
    /// The largest file accepted, bytes.
    pub max_size: u64,
    /// An incomplete upload that receives nothing for this long is swept away.
    pub expiry: Duration,
    /// Bytes buffered before they are stored as one segment.
    pub segment_size: usize,
    /// How long one request's claim on an upload lasts without progress.
    pub claim: Duration,
    /// Bytes a centre may hold in the store (its programmes' files and the unfinished uploads
    /// announced), checked when an upload is created; `None`: no quota.
    pub centre_quota: Option<u64>,
    /// Free space a local store keeps: an upload that would leave less is refused at once
    /// (507), before a byte is taken (uploads of 200 GiB were accepted on a disk of 17 GiB).
    pub free_space_floor: u64,
}

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            max_size: 200 * 1024 * 1024 * 1024,
            expiry: Duration::from_secs(24 * 3600),
            segment_size: 8 * 1024 * 1024,
            claim: Duration::from_secs(60),
            centre_quota: None,
            free_space_floor: 2 * 1024 * 1024 * 1024,
        }
    }
}

/// Why an upload request was refused or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Worker(#[from] WorkerError),
    /// The client's offset is not what the server holds.
    #[error("Upload-Offset {got} does not match the {expected} bytes received so far")]
    OffsetMismatch { expected: i64, got: i64 },
    /// Another request is writing this upload now.
    #[error("another request is writing this upload; retry after it ends")]
    Busy,
    /// Every byte has arrived already.
    #[error("the upload is complete")]
    Complete,
    /// The body went past the announced length (the bytes up to it were kept).
    #[error("the body goes past Upload-Length {length}")]
    TooLong { length: i64 },
    /// The announced length is over the limit.
    #[error("Upload-Length {length} is over the limit of {max} bytes")]
    TooLarge { length: u64, max: u64 },
    /// The centre's quota would be exceeded.
    #[error(
        "centre {centre} holds {used} bytes of its {quota}-byte quota (files and unfinished uploads); \
         an upload of {length} bytes would exceed it: delete retired programmes or ask for a larger quota"
    )]
    QuotaExceeded { centre: String, used: u64, quota: u64, length: u64 },
    /// The store would be left with less free space than its floor.
    #[error("the media store has {free} bytes free and keeps {floor} free: an upload of {length} bytes does not fit")]
    NoSpace { free: u64, floor: u64, length: u64 },
    /// The announced length is zero.
    #[error("the file is empty (Upload-Length 0)")]
    Empty,
    /// The client's body stopped with an error (usually a dropped connection); the bytes
    /// stored before it are kept and the upload can be resumed.
    #[error("the request body stopped: {0}")]
    Interrupted(String),
}

/// The upload service over a catalog and a media store.
#[derive(Clone)]
pub struct Uploads {
    pub store: Store,
    pub media: MediaStore,
    pub settings: UploadSettings,
}

impl Uploads {
    pub fn new(store: Store, media: MediaStore, settings: UploadSettings) -> Self {
        Self { store, media, settings }
    }

    /// Creates the programme (status `uploading`) and its upload of `length` bytes. Refused
    /// metadata creates nothing.
    ///
    /// # Errors
    /// `Empty`/`TooLarge` for the length; `Catalog` (`Invalid`) for refused metadata.
    pub async fn create(
        &self,
        actor: &Actor,
        new: &NewProgramme,
        filename: &str,
        length: u64,
    ) -> Result<(Programme, Upload), UploadError> {
        if length == 0 {
            return Err(UploadError::Empty);
        }
        if length > self.settings.max_size {
            return Err(UploadError::TooLarge { length, max: self.settings.max_size });
        }
        new.check()?;
        self.store.get_centre(&new.centre).await?;
        self.check_room(&new.centre, length).await?;
        let length =
            i64::try_from(length).map_err(|_| UploadError::TooLarge { length, max: self.settings.max_size })?;
        let programme = self.store.create_programme(actor, new, ProgrammeStatus::Uploading).await?;
        let new_upload = NewUpload {
            programme_id: programme.id,
            centre: programme.centre.clone(),
            filename: filename.to_string(),
            length,
            created_by: actor.as_str().to_string(),
            expires_at: self.expiry_from_now(),
            digest: Some(digest::RunningSha256::default().save()),
        };
        // The quota is checked again with the insert, under the write lock: `check_room` above
        // refuses early, this closes the race of two uploads created at the same instant.
        let quota = self.settings.centre_quota.map(|q| i64::try_from(q).unwrap_or(i64::MAX));
        let upload = match self.store.create_upload_within(&new_upload, quota).await? {
            Ok(upload) => upload,
            Err(used) => {
                // Nothing of this upload is kept: its programme goes with the refusal.
                if let Err(e) = self.store.delete_programme(actor, programme.id).await {
                    tracing::warn!(programme = %programme.id, error = %e, "could not remove the programme of a refused upload");
                }
                return Err(UploadError::QuotaExceeded {
                    centre: programme.centre.to_string(),
                    used: u64::try_from(used).unwrap_or(0),
                    quota: self.settings.centre_quota.unwrap_or(0),
                    length: u64::try_from(length).unwrap_or(0),
                });
            }
        };
        Ok((programme, upload))
    }

    /// Refuses an upload of `length` bytes for `centre` that would exceed its quota or leave
    /// a local store under its free-space floor: an early answer before anything is created
    /// (the quota holds exactly through `Store::create_upload_within`).
    async fn check_room(&self, centre: &catalog::ids::CentreCode, length: u64) -> Result<(), UploadError> {
        if let Some(quota) = self.settings.centre_quota {
            let (stored, pending) = self.store.centre_storage(centre).await?;
            let used = u64::try_from(stored.saturating_add(pending)).unwrap_or(0);
            if used.saturating_add(length) > quota {
                return Err(UploadError::QuotaExceeded { centre: centre.to_string(), used, quota, length });
            }
        }
        if let Some(free) = self.media.local_root().and_then(free_bytes) {
            let floor = self.settings.free_space_floor;
            if free.saturating_sub(length) < floor {
                return Err(UploadError::NoSpace { free, floor, length });
            }
        }
        Ok(())
    }

    /// Ends an upload at the client's request: its segments are deleted and its programme is
    /// marked failed ("upload cancelled").
    ///
    /// # Errors
    /// `Complete` when every byte had arrived (the programme is being ingested); `Catalog`
    /// `NotFound` when there is no such upload.
    pub async fn cancel(&self, actor: &Actor, id: UploadId) -> Result<Programme, UploadError> {
        let upload = self.store.get_upload(id).await?;
        if upload.completed_at.is_some() || upload.received == upload.length {
            return Err(UploadError::Complete);
        }
        self.discard(actor, &upload, "upload cancelled").await
    }

    /// Forgets an incomplete upload: row, segments, and the programme marked failed.
    async fn discard(&self, actor: &Actor, upload: &Upload, reason: &str) -> Result<Programme, UploadError> {
        if !self.store.delete_upload(upload.id).await? {
            return Err(CatalogError::NotFound { what: "upload", id: upload.id.to_string() }.into());
        }
        // The programme says why before the (slower) segment deletion, so the upload being gone
        // and its programme still `uploading` is seen for as short a time as the store allows.
        let progress = ProgrammeProgress { reason: Some(reason.to_string()), ..Default::default() };
        let programme =
            self.store.set_programme_status(actor, upload.programme_id, ProgrammeStatus::Failed, &progress).await;
        self.delete_segments(upload.id).await;
        Ok(programme?)
    }

    /// Deletes every stored segment of an upload; failures are logged (the sweeper's next
    /// pass or the store's lifecycle rules catch what is left).
    async fn delete_segments(&self, id: UploadId) {
        let Ok(prefix) = layout::upload(id) else { return };
        match self.media.list(Some(&prefix)).await {
            Ok(entries) => {
                for e in entries {
                    if let Err(err) = self.media.delete(&e.key).await {
                        tracing::warn!(key = %e.key, error = %err, "deleting an upload segment failed");
                    }
                }
            }
            Err(err) => tracing::warn!(upload = %id, error = %err, "listing upload segments failed"),
        }
    }

    fn expiry_from_now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::from_std(self.settings.expiry).unwrap_or(chrono::Duration::days(1))
    }
}

/// Bytes free for an unprivileged writer on the file system holding `dir` (`None` when it
/// cannot be asked: the check is then skipped, not failed).
fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    let st = rustix::fs::statvfs(dir).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}
