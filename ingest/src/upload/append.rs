//! Appending a request body to an upload, segment by segment, and filing the source once the
//! last byte has arrived.

use bytes::{Bytes, BytesMut};
use catalog::audit::Actor;
use catalog::ids::UploadId;
use catalog::media::{layout, Key};
use catalog::programme::{Programme, ProgrammeProgress, ProgrammeStatus};
use catalog::store::Upload;
use catalog::Store;
use futures::{Stream, StreamExt, TryStreamExt};

use super::chain::{chain, parse_segment_name, segment_name};
use super::{UploadError, Uploads};
use crate::submit;
use crate::worker::WorkerError;

/// The state after an append.
#[derive(Debug, Clone)]
pub struct Appended {
    pub upload: Upload,
    /// Set when this append delivered the last byte: the programme, now queued for ingest.
    pub programme: Option<Programme>,
}

/// Gives a request's claim back, also when the request future is dropped mid-way.
struct Claim {
    store: Store,
    id: UploadId,
    writer: String,
    released: bool,
}

impl Claim {
    async fn release(mut self) {
        self.released = true;
        if let Err(e) = self.store.release_upload(self.id, &self.writer).await {
            tracing::warn!(upload = %self.id, error = %e, "releasing an upload claim failed; it expires");
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (store, id, writer) = (self.store.clone(), self.id, std::mem::take(&mut self.writer));
            runtime.spawn(async move {
                let _ = store.release_upload(id, &writer).await;
            });
        }
    }
}

impl Uploads {
    /// Appends `body` at `offset` (which must be the bytes received so far). Bytes are stored
    /// as they arrive, one segment at a time; when the body ends with an error the bytes
    /// before it are kept (`Interrupted`). When the last byte arrives the source is filed and
    /// the ingest job queued.
    ///
    /// # Errors
    /// `OffsetMismatch`, `Busy`, `Complete`, `TooLong`, `Interrupted`; `Catalog`/`Media`/`Worker`
    /// when storing fails.
    pub async fn append<S, E>(&self, actor: &Actor, id: UploadId, offset: i64, body: S) -> Result<Appended, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        let upload = self.store.get_upload(id).await?;
        if upload.completed_at.is_some() {
            return if offset == upload.length {
                Ok(Appended { upload, programme: None })
            } else {
                Err(UploadError::Complete)
            };
        }
        if offset != upload.received {
            return Err(UploadError::OffsetMismatch { expected: upload.received, got: offset });
        }
        let writer = uuid_text();
        if !self.store.claim_upload(id, offset, &writer, self.claim_until()).await? {
            let now = self.store.get_upload(id).await?;
            return Err(if now.received != offset {
                UploadError::OffsetMismatch { expected: now.received, got: offset }
            } else {
                UploadError::Busy
            });
        }
        let claim = Claim { store: self.store.clone(), id, writer, released: false };
        let received = self.receive(&upload, &claim.writer, body).await;
        let outcome = match received {
            Ok(at) if at == upload.length => self.finish(actor, id).await,
            Ok(_) => Ok(Appended { upload: self.store.get_upload(id).await?, programme: None }),
            Err(e) => Err(e),
        };
        claim.release().await;
        outcome
    }

    /// Streams `body` into segments from `upload.received`; the offset reached.
    async fn receive<S, E>(&self, upload: &Upload, writer: &str, mut body: S) -> Result<i64, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        let size = self.settings.segment_size.max(1);
        let mut at = upload.received;
        let mut buf = BytesMut::with_capacity(size);
        loop {
            match body.next().await {
                Some(Ok(chunk)) => {
                    let room = usize::try_from(upload.length - at).unwrap_or(0).saturating_sub(buf.len());
                    let over = chunk.len() > room;
                    let mut rest = &chunk[..chunk.len().min(room)];
                    while !rest.is_empty() {
                        let take = (size - buf.len()).min(rest.len());
                        buf.extend_from_slice(&rest[..take]);
                        rest = &rest[take..];
                        if buf.len() == size {
                            at = self.flush(upload, writer, at, &mut buf).await?;
                        }
                    }
                    if over {
                        // Nothing of a body that goes too far is kept beyond the segments
                        // already stored: the client resends from the last offset.
                        return Err(UploadError::TooLong { length: upload.length });
                    }
                }
                Some(Err(e)) => {
                    self.flush(upload, writer, at, &mut buf).await?;
                    return Err(UploadError::Interrupted(e.to_string()));
                }
                None => return self.flush(upload, writer, at, &mut buf).await,
            }
        }
    }

    /// Stores the buffered bytes as the segment starting at `at` and records the new offset.
    async fn flush(&self, upload: &Upload, writer: &str, at: i64, buf: &mut BytesMut) -> Result<i64, UploadError> {
        if buf.is_empty() {
            return Ok(at);
        }
        let data = std::mem::take(buf).freeze();
        let end = at + i64::try_from(data.len()).unwrap_or(i64::MAX);
        let key = layout::upload(upload.id)?.join(&segment_name(at, end))?;
        self.media.put_segment(&key, data.clone()).await?;
        // The store has let go of its handle: the same allocation takes the next segment.
        *buf = data.try_into_mut().unwrap_or_default();
        buf.clear();
        if !self.store.advance_upload(upload.id, writer, (at, end), self.claim_until(), self.expiry_from_now()).await? {
            // The claim was lost (expired, another request took over): our segment is a stray
            // the joiner steps around, or sweeps.
            return Err(UploadError::Busy);
        }
        buf.reserve(self.settings.segment_size);
        Ok(end)
    }

    /// Joins the segments into the programme's source, marks the upload complete, deletes the
    /// segments and queues the ingest job.
    async fn finish(&self, actor: &Actor, id: UploadId) -> Result<Appended, UploadError> {
        let upload = self.store.get_upload(id).await?;
        let programme = self.store.get_programme(upload.programme_id).await?;
        // Joined on its own task: the stream of segment readers is 'static there.
        let filing = tokio::spawn(file_source(self.clone(), upload.clone(), programme.clone()));
        let filed =
            filing.await.unwrap_or_else(|e| Err(WorkerError::Io(format!("filing the upload stopped: {e}")).into()));
        if let Err(e) = filed {
            let reason = ProgrammeProgress { reason: Some(format!("upload failed: {e}")), ..Default::default() };
            self.store.set_programme_status(actor, programme.id, ProgrammeStatus::Failed, &reason).await?;
            return Err(e);
        }
        self.store.complete_upload(id).await?;
        self.delete_segments(id).await;
        let queued = submit::queue(&self.store, actor, &programme).await?;
        Ok(Appended { upload: self.store.get_upload(id).await?, programme: Some(queued) })
    }

    fn claim_until(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::from_std(self.settings.claim).unwrap_or(chrono::Duration::minutes(1))
    }
}

async fn file_source(this: Uploads, upload: Upload, programme: Programme) -> Result<(), UploadError> {
    let prefix = layout::upload(upload.id)?;
    let entries = this.media.list(Some(&prefix)).await?;
    let segments: Vec<((i64, i64), u64)> = entries
        .iter()
        .filter_map(|e| {
            let name = e.key.as_str().rsplit('/').next()?;
            parse_segment_name(name).map(|range| (range, e.meta.size))
        })
        .collect();
    let Some(run) = chain(&segments, upload.length) else {
        return Err(WorkerError::Io(format!("the stored segments of upload {} do not cover it", upload.id)).into());
    };
    let keys: Vec<Key> = run.iter().map(|&(a, b)| prefix.join(&segment_name(a, b))).collect::<Result<_, _>>()?;
    let media = this.media.clone();
    let stream = futures::stream::iter(keys)
        .then(move |key| open_segment(media.clone(), key))
        .try_flatten()
        .map_err(std::io::Error::other);
    let reader = tokio_util::io::StreamReader::new(Box::pin(stream));
    submit::store_source(&this.store, &this.media, &programme, reader).await?;
    Ok(())
}

async fn open_segment(
    media: catalog::media::MediaStore,
    key: Key,
) -> Result<futures::stream::BoxStream<'static, Result<Bytes, catalog::media::MediaError>>, catalog::media::MediaError>
{
    Ok(media.get(&key).await?.into_stream())
}

fn uuid_text() -> String {
    catalog::ids::UploadId::new().to_string()
}
