//! Streaming uploads: hash while sending, bounded memory, all-or-nothing visibility.
//!
//! The reader is consumed in parts of [`PART_SIZE`]. A stream that ends within the first
//! part is stored with one atomic `put`; a longer one becomes a multipart upload with at
//! most [`PARTS_IN_FLIGHT`] parts being sent while the next is read, so memory stays near
//! `(PARTS_IN_FLIGHT + 1) × PART_SIZE` whatever the object's size. A multipart upload only
//! becomes visible when completed; on any error — or if the future is dropped — it is
//! aborted, which discards the parts (S3) or the staging file (local directory).

use bytes::{Bytes, BytesMut};
use object_store::path::Path;
use object_store::{MultipartUpload, ObjectStore, PutPayload};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::task::JoinSet;

use super::{Key, MediaError};

/// Size of each uploaded part (S3 requires at least 5 MiB for all parts but the last).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// Parts uploaded concurrently while the next one is read.
pub const PARTS_IN_FLIGHT: usize = 2;

/// What was stored by a put.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutOutcome {
    /// Bytes stored.
    pub size: u64,
    /// SHA-256 of the bytes stored, lowercase hexadecimal.
    pub sha256: String,
}

impl PutOutcome {
    /// The outcome for `data` (size and digest), computed in memory.
    pub fn of(data: &[u8]) -> Self {
        Self { size: data.len() as u64, sha256: hex::encode(Sha256::digest(data)) }
    }
}

/// One part read from the caller, with the running digest and size updated.
struct Part {
    bytes: Bytes,
    /// The reader is exhausted: this is the last part (possibly empty).
    last: bool,
}

struct HashingReader<R> {
    reader: R,
    hasher: Sha256,
    size: u64,
}

impl<R: AsyncRead + Unpin> HashingReader<R> {
    /// Reads up to [`PART_SIZE`] bytes, stopping early only at the end of the stream.
    async fn next_part(&mut self) -> std::io::Result<Part> {
        let mut buf = BytesMut::zeroed(PART_SIZE);
        let mut filled = 0;
        while filled < PART_SIZE {
            let n = self.reader.read(&mut buf[filled..]).await?;
            if n == 0 {
                buf.truncate(filled);
                return Ok(self.account(buf, true));
            }
            // Hashing each read as it arrives keeps every step short for the executor.
            self.hasher.update(&buf[filled..filled + n]);
            filled += n;
        }
        Ok(self.account(buf, false))
    }

    fn account(&mut self, buf: BytesMut, last: bool) -> Part {
        self.size += buf.len() as u64;
        Part { bytes: buf.freeze(), last }
    }

    fn outcome(self) -> PutOutcome {
        PutOutcome { size: self.size, sha256: hex::encode(self.hasher.finalize()) }
    }
}

/// Streams `reader` to `path` (named `key` in errors). See the module documentation.
pub(crate) async fn put_stream<R: AsyncRead + Unpin + Send>(
    store: &dyn ObjectStore,
    path: &Path,
    key: &Key,
    reader: R,
) -> Result<PutOutcome, MediaError> {
    let io_error = |source| MediaError::Io { key: key.to_string(), source };
    let backend = |source| MediaError::backend("put", key.as_str(), source);
    let mut reader = HashingReader { reader, hasher: Sha256::new(), size: 0 };

    let first = reader.next_part().await.map_err(io_error)?;
    if first.last {
        store.put(path, PutPayload::from(first.bytes)).await.map_err(backend)?;
        return Ok(reader.outcome());
    }

    let mut upload = PartUpload::new(store.put_multipart(path).await.map_err(backend)?);
    upload.send(first.bytes);
    loop {
        let part = match reader.next_part().await {
            Ok(part) => part,
            Err(e) => {
                upload.abort(key).await;
                return Err(io_error(e));
            }
        };
        if let Err(e) = upload.wait_for_capacity(PARTS_IN_FLIGHT - 1).await {
            upload.abort(key).await;
            return Err(backend(e));
        }
        if !part.bytes.is_empty() {
            upload.send(part.bytes);
        }
        if part.last {
            break;
        }
    }
    if let Err(e) = upload.wait_for_capacity(0).await {
        upload.abort(key).await;
        return Err(backend(e));
    }
    upload.complete(key).await.map_err(backend)?;
    Ok(reader.outcome())
}

/// A multipart upload that is aborted unless completed, even when dropped mid-way.
struct PartUpload {
    upload: Option<Box<dyn MultipartUpload>>,
    tasks: JoinSet<object_store::Result<()>>,
}

impl PartUpload {
    fn new(upload: Box<dyn MultipartUpload>) -> Self {
        Self { upload: Some(upload), tasks: JoinSet::new() }
    }

    /// Starts sending one part; parts are numbered in the order they are sent.
    fn send(&mut self, bytes: Bytes) {
        if let Some(upload) = self.upload.as_mut() {
            self.tasks.spawn(upload.put_part(PutPayload::from(bytes)));
        }
    }

    /// Waits until at most `max` parts are in flight.
    async fn wait_for_capacity(&mut self, max: usize) -> object_store::Result<()> {
        while self.tasks.len() > max {
            match self.tasks.join_next().await {
                Some(Ok(result)) => result?,
                Some(Err(join)) => return Err(join.into()),
                None => break,
            }
        }
        Ok(())
    }

    async fn complete(mut self, key: &Key) -> object_store::Result<()> {
        let Some(mut upload) = self.upload.take() else {
            return Ok(());
        };
        match upload.complete().await {
            Ok(_) => Ok(()),
            Err(e) => {
                abort_upload(upload, key).await;
                Err(e)
            }
        }
    }

    async fn abort(mut self, key: &Key) {
        self.tasks.shutdown().await;
        if let Some(upload) = self.upload.take() {
            abort_upload(upload, key).await;
        }
    }
}

async fn abort_upload(mut upload: Box<dyn MultipartUpload>, key: &Key) {
    if let Err(e) = upload.abort().await {
        // The upload stays invisible; only its parts linger until the store expires them.
        tracing::warn!(%key, error = %e, "aborting a failed multipart upload failed");
    }
}

impl Drop for PartUpload {
    fn drop(&mut self) {
        if let Some(mut upload) = self.upload.take() {
            self.tasks.abort_all();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    if let Err(e) = upload.abort().await {
                        tracing::warn!(error = %e, "aborting a cancelled multipart upload failed");
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn parts_are_full_sized_and_the_digest_covers_every_byte() {
        let data: Vec<u8> = (0..PART_SIZE * 2 + 123).map(|i| (i % 251) as u8).collect();
        let mut reader = HashingReader { reader: &data[..], hasher: Sha256::new(), size: 0 };
        let mut sizes = Vec::new();
        loop {
            let part = reader.next_part().await.map_err(|e| e.to_string());
            let part = part.unwrap_or_else(|e| panic!("{e}"));
            sizes.push((part.bytes.len(), part.last));
            if part.last {
                break;
            }
        }
        assert_eq!(sizes, vec![(PART_SIZE, false), (PART_SIZE, false), (123, true)]);
        assert_eq!(reader.outcome(), PutOutcome::of(&data));
    }

    #[test]
    fn outcome_of_empty_data_is_the_empty_digest() {
        assert_eq!(PutOutcome::of(b"").sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
