//! Appending a request body to an upload, segment by segment, and filing the source once the
//! last byte has arrived.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use catalog::audit::Actor;
use catalog::ids::UploadId;
use catalog::media::{layout, Key};
use catalog::programme::{Programme, ProgrammeProgress, ProgrammeStatus};
use catalog::store::Upload;
use catalog::Store;
use futures::{Stream, StreamExt, TryStreamExt};

use super::chain::{chain, parse_segment_name, segment_name};
use super::digest::RunningSha256;
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

    /// Streams `body` from `upload.received`; the offset reached (and recorded). Bytes are
    /// buffered up to a segment, then written while the next segment is received.
    async fn receive<S, E>(&self, upload: &Upload, writer: &str, mut body: S) -> Result<i64, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        let mut out = self.open_sink(upload).await?;
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
                            at = self.flush(upload, writer, &mut out, at, &mut buf).await?;
                        }
                    }
                    if over {
                        // Nothing of a body that goes too far is kept beyond the segments
                        // already stored: the client resends from the last offset.
                        self.settle(upload, writer, &mut out).await?;
                        return Err(UploadError::TooLong { length: upload.length });
                    }
                }
                Some(Err(e)) => {
                    self.flush(upload, writer, &mut out, at, &mut buf).await?;
                    self.settle(upload, writer, &mut out).await?;
                    return Err(UploadError::Interrupted(e.to_string()));
                }
                None => {
                    let end = self.flush(upload, writer, &mut out, at, &mut buf).await?;
                    self.settle(upload, writer, &mut out).await?;
                    return Ok(end);
                }
            }
        }
    }

    /// Where this request's bytes go: the upload's one data file, written in place, on a local
    /// store; segment objects on S3 (and for an upload begun before digests were kept).
    async fn open_sink(&self, upload: &Upload) -> Result<Output, UploadError> {
        let digest = saved_digest(upload)?;
        let data = layout::upload(upload.id)?.join(DATA_FILE)?;
        let sink = match (self.media.local_path(&data), &digest) {
            (Some(path), Some(_)) => Sink::File(Arc::new(open_data_file(path, upload.received).await?)),
            _ => Sink::Segments,
        };
        Ok(Output { sink, digest, in_flight: None })
    }

    /// Starts writing the buffered bytes at `at`, after recording the write before it; the
    /// offset after them.
    async fn flush(
        &self,
        upload: &Upload,
        writer: &str,
        out: &mut Output,
        at: i64,
        buf: &mut BytesMut,
    ) -> Result<i64, UploadError> {
        if buf.is_empty() {
            return Ok(at);
        }
        // The buffer of the write before comes back and takes the next segment.
        let mut spare = self.settle(upload, writer, out).await?.unwrap_or_default();
        spare.clear();
        spare.reserve(self.settings.segment_size);
        let data = std::mem::replace(buf, spare).freeze();
        let end = at + i64::try_from(data.len()).unwrap_or(i64::MAX);
        let (sink, digest, media, id) = (out.sink.clone(), out.digest.take(), self.media.clone(), upload.id);
        let task = tokio::spawn(async move {
            match sink {
                Sink::File(file) => {
                    // Written and hashed side by side (page-cache writes and SHA-256 cost about
                    // the same here), each on a blocking thread.
                    let bytes = data.clone();
                    let write = blocking(move || {
                        use std::os::unix::fs::FileExt;
                        // `at` is a received count: never negative.
                        file.write_all_at(&bytes, u64::try_from(at).unwrap_or(0))
                    });
                    let bytes = data.clone();
                    let hash = blocking(move || Ok(hashed(digest, &bytes)));
                    let (written, digest) = tokio::join!(write, hash);
                    let fail = |e: std::io::Error| WorkerError::Io(format!("writing upload bytes {at}..{end}: {e}"));
                    written.map_err(fail)?;
                    Ok((digest.map_err(fail)?, data))
                }
                Sink::Segments => {
                    let key = layout::upload(id)?.join(&segment_name(at, end))?;
                    let (digest, data) = blocking(move || Ok((hashed(digest, &data), data)))
                        .await
                        .map_err(|e| WorkerError::Io(e.to_string()))?;
                    media.put_segment(&key, data.clone()).await?;
                    Ok((digest, data))
                }
            }
        });
        out.in_flight = Some(InFlight { range: (at, end), task });
        Ok(end)
    }

    /// Waits for the write in flight, if any, and records its bytes and digest; its buffer.
    async fn settle(&self, upload: &Upload, writer: &str, out: &mut Output) -> Result<Option<BytesMut>, UploadError> {
        let Some(flight) = out.in_flight.take() else { return Ok(None) };
        let (digest, data) = flight
            .task
            .await
            .unwrap_or_else(|e| Err(WorkerError::Io(format!("storing upload bytes stopped: {e}")).into()))?;
        let saved = digest.as_ref().map(RunningSha256::save);
        let (until, expires) = (self.claim_until(), self.expiry_from_now());
        if !self.store.advance_upload(upload.id, writer, flight.range, saved.as_deref(), until, expires).await? {
            // The claim was lost (expired, another request took over): what we wrote is the
            // same bytes at the same offsets, or a stray segment the joiner steps around.
            return Err(UploadError::Busy);
        }
        out.digest = digest;
        Ok(data.try_into_mut().ok())
    }

    /// Joins the segments into the programme's source, marks the upload complete, deletes the
    /// segments and queues the ingest job.
    async fn finish(&self, actor: &Actor, id: UploadId) -> Result<Appended, UploadError> {
        let upload = self.store.get_upload(id).await?;
        let programme = self.store.get_programme(upload.programme_id).await?;
        // Filed on its own task: the stream of segment readers is 'static there.
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

/// Files the received bytes as the programme's source: the data file as it is (renamed, its
/// digest the one computed on the way in), or else the segments joined and hashed again (and
/// checked against the running digest when there is one).
async fn file_source(this: Uploads, upload: Upload, programme: Programme) -> Result<(), UploadError> {
    let prefix = layout::upload(upload.id)?;
    let data = prefix.join(DATA_FILE)?;
    let digest = saved_digest(&upload)?;
    if let (Some(meta), Some(digest)) = (this.media.head(&data).await?, &digest) {
        if i64::try_from(meta.size).ok() != Some(upload.length) || digest.length() != meta.size {
            return Err(WorkerError::Io(format!(
                "upload {} holds {} bytes ({} hashed), not the {} announced",
                upload.id,
                meta.size,
                digest.length(),
                upload.length
            ))
            .into());
        }
        let sha256 = digest.clone().finish();
        submit::file_stored(&this.store, &this.media, &programme, &data, &sha256, meta.size).await?;
        return Ok(());
    }
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
    let expect = digest.map(RunningSha256::finish);
    submit::store_source(&this.store, &this.media, &programme, reader, expect.as_deref()).await?;
    Ok(())
}

/// The name of an upload's data file on a local store, beside (never among) its segments.
const DATA_FILE: &str = "data";

/// Where one request writes.
#[derive(Clone)]
enum Sink {
    /// The upload's data file, written in place at each offset.
    File(Arc<std::fs::File>),
    /// One segment object per buffer.
    Segments,
}

/// One request's writing: the sink, the digest up to the last recorded byte, and the write
/// being made.
struct Output {
    sink: Sink,
    digest: Option<RunningSha256>,
    in_flight: Option<InFlight>,
}

type Written = Result<(Option<RunningSha256>, Bytes), UploadError>;

struct InFlight {
    range: (i64, i64),
    task: tokio::task::JoinHandle<Written>,
}

/// The running digest saved in the upload's row (`None` for an upload begun without one).
fn saved_digest(upload: &Upload) -> Result<Option<RunningSha256>, UploadError> {
    upload.digest.as_deref().map(|text| RunningSha256::restore(text).map_err(|e| WorkerError::Io(e).into())).transpose()
}

fn hashed(digest: Option<RunningSha256>, data: &[u8]) -> Option<RunningSha256> {
    digest.map(|mut d| {
        d.update(data);
        d
    })
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
}

/// Opens (or makes) the data file at `path` to carry on at `received`: anything past it, left
/// by a request that stopped before recording it, is cut off. A file shorter than what was
/// recorded (its bytes lost, say, by the machine going down before they reached the disk) is
/// refused rather than filled with zeros.
async fn open_data_file(path: std::path::PathBuf, received: i64) -> Result<std::fs::File, UploadError> {
    let shown = path.display().to_string();
    let received = u64::try_from(received).unwrap_or(0);
    let opened = blocking(move || {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&path)?;
        let len = file.metadata()?.len();
        if len < received {
            return Err(std::io::Error::other(format!("it holds {len} bytes, fewer than the {received} recorded")));
        }
        file.set_len(received)?;
        Ok(file)
    })
    .await;
    opened.map_err(|e| WorkerError::Io(format!("the upload file {shown}: {e}")).into())
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
