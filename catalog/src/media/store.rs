//! [`MediaStore`]: the operations the rest of Kapok uses on stored media.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetResultPayload, ObjectMeta, ObjectStore, PutPayload};
use tokio::io::{AsyncBufRead, AsyncRead};
use tokio_util::io::StreamReader;

use super::config::{self, Backend};
use super::upload::{self, PutOutcome};
use super::{Key, MediaError, MediaStoreConfig};

/// The longest a [`MediaStore::check`] may take before the store counts as unavailable.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Facts about a stored object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaMeta {
    /// Size in bytes.
    pub size: u64,
    /// When the object was last written.
    pub last_modified: DateTime<Utc>,
}

/// One object found by [`MediaStore::list`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaEntry {
    /// Its key.
    pub key: Key,
    /// Its size and modification time.
    pub meta: MediaMeta,
}

/// An object being read: its facts, and its bytes as a stream.
pub struct MediaObject {
    /// Size and modification time.
    pub meta: MediaMeta,
    stream: BoxStream<'static, Result<Bytes, MediaError>>,
}

impl MediaObject {
    /// The bytes, as they arrive.
    pub fn into_stream(self) -> BoxStream<'static, Result<Bytes, MediaError>> {
        self.stream
    }

    /// The bytes as an [`AsyncRead`]; errors surface as `std::io::Error` wrapping a
    /// [`MediaError`].
    pub fn into_reader(self) -> impl AsyncBufRead + Send + Unpin + 'static {
        StreamReader::new(self.stream.map_err(std::io::Error::other))
    }

    /// All the bytes in memory: for small objects (thumbnails, manifests) only.
    ///
    /// # Errors
    /// [`MediaError::Backend`] if reading fails part-way.
    pub async fn bytes(self) -> Result<Bytes, MediaError> {
        let chunks: Vec<Bytes> = self.stream.try_collect().await?;
        Ok(chunks.concat().into())
    }
}

impl fmt::Debug for MediaObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaObject").field("meta", &self.meta).finish_non_exhaustive()
    }
}

/// Stored media: a local directory or an S3 bucket, behind one interface.
///
/// Cheap to clone (it shares the underlying client). Keys are relative to the store's
/// prefix (the path of an `s3://bucket/prefix` URL).
#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn ObjectStore>,
    /// The same store configured to fail fast, for [`MediaStore::check`].
    health: Arc<dyn ObjectStore>,
    /// Prefix of every key inside the store, without a trailing `/` (may be empty).
    prefix: String,
    local_root: Option<PathBuf>,
    description: String,
}

impl fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MediaStore").field(&self.inner.description).finish()
    }
}

impl fmt::Display for MediaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.description)
    }
}

impl MediaStore {
    /// Opens the store `config` describes. A local directory is created if missing; an S3
    /// bucket is not contacted (use [`MediaStore::check`] for that).
    ///
    /// # Errors
    /// [`MediaError::Config`] naming the setting that is wrong.
    pub fn open(config: &MediaStoreConfig) -> Result<Self, MediaError> {
        Ok(Self::from_backend(config.open()?))
    }

    fn from_backend(backend: Backend) -> Self {
        Self {
            inner: Arc::new(Inner {
                store: backend.store,
                health: backend.health,
                prefix: backend.prefix,
                local_root: backend.local_root,
                description: backend.description,
            }),
        }
    }

    /// Opens a local directory store (created if missing).
    ///
    /// # Errors
    /// [`MediaError::Config`] if the directory cannot be created or used.
    pub fn local(dir: impl Into<PathBuf>) -> Result<Self, MediaError> {
        let dir = std::path::absolute(dir.into()).map_err(|e| MediaError::Config {
            setting: "url",
            reason: format!("cannot resolve the media directory: {e}"),
        })?;
        Ok(Self::from_backend(config::open_local(dir)?))
    }

    /// The local directory holding the objects, for a `file://` store.
    pub fn local_root(&self) -> Option<&std::path::Path> {
        self.inner.local_root.as_deref()
    }

    /// The file holding `key`, for a `file://` store (keys map one-to-one onto file paths);
    /// `None` for S3. For writers that must write in place (an upload appended at offsets);
    /// everything else goes through the methods below.
    pub fn local_path(&self, key: &Key) -> Option<PathBuf> {
        self.inner.local_root.as_ref().map(|root| root.join(key.as_str()))
    }

    fn path(&self, key: &str) -> Path {
        match self.inner.prefix.as_str() {
            "" => Path::from(key),
            prefix => Path::from(format!("{prefix}/{key}")),
        }
    }

    /// Streams `reader` into the object `key`, computing its SHA-256 on the way.
    ///
    /// Memory stays bounded (a few parts of [`upload::PART_SIZE`]) whatever the size. The
    /// object appears under `key` only once complete: if the reader or the store fails, or
    /// the future is dropped, nothing is visible and any previous object is untouched.
    ///
    /// # Errors
    /// [`MediaError::Io`] if `reader` fails, [`MediaError::Backend`] if the store does.
    pub async fn put_stream<R>(&self, key: &Key, reader: R) -> Result<PutOutcome, MediaError>
    where
        R: AsyncRead + Unpin + Send,
    {
        let path = self.path(key.as_str());
        let outcome = upload::put_stream(self.inner.store.as_ref(), &path, key, reader).await?;
        tracing::debug!(%key, size = outcome.size, sha256 = %outcome.sha256, "media stored");
        Ok(outcome)
    }

    /// Stores `data` under `key` in one request (for small objects).
    ///
    /// # Errors
    /// [`MediaError::Backend`] if the store fails.
    pub async fn put_bytes(&self, key: &Key, data: Bytes) -> Result<PutOutcome, MediaError> {
        let outcome = PutOutcome::of(&data);
        self.inner
            .store
            .put(&self.path(key.as_str()), PutPayload::from(data))
            .await
            .map_err(|e| MediaError::backend("put", key.as_str(), e))?;
        Ok(outcome)
    }

    /// Stores `data` under `key` in one request without hashing it (for segments whose digest
    /// is computed later, when they are joined).
    ///
    /// # Errors
    /// [`MediaError::Backend`] if the store fails.
    pub async fn put_segment(&self, key: &Key, data: Bytes) -> Result<(), MediaError> {
        self.inner
            .store
            .put(&self.path(key.as_str()), PutPayload::from(data))
            .await
            .map_err(|e| MediaError::backend("put", key.as_str(), e))?;
        Ok(())
    }

    /// Opens the object `key` for reading.
    ///
    /// # Errors
    /// [`MediaError::NotFound`] if there is none, [`MediaError::Backend`] if the store fails.
    pub async fn get(&self, key: &Key) -> Result<MediaObject, MediaError> {
        let result = self
            .inner
            .store
            .get(&self.path(key.as_str()))
            .await
            .map_err(|e| MediaError::backend("get", key.as_str(), e))?;
        let meta = to_meta(&result.meta);
        let key_text = key.to_string();
        let stream = match result.payload {
            GetResultPayload::File(file, _) => file_chunks(file, key_text, result.range.clone()),
            GetResultPayload::Stream(s) => s.map_err(move |e| MediaError::backend("get", &key_text, e)).boxed(),
        };
        Ok(MediaObject { meta, stream })
    }

    /// Reads the bytes `range` of `key`; a range ending past the end is cut at the end.
    ///
    /// # Errors
    /// [`MediaError::InvalidRange`] if the range is empty or starts at or past the end,
    /// [`MediaError::NotFound`] if there is no object, [`MediaError::Backend`] otherwise.
    pub async fn get_range(&self, key: &Key, range: Range<u64>) -> Result<Bytes, MediaError> {
        let invalid = |size| MediaError::InvalidRange { key: key.to_string(), range: range.clone(), size };
        if range.start >= range.end {
            return Err(invalid(None));
        }
        let path = self.path(key.as_str());
        match self.inner.store.get_range(&path, range.clone()).await {
            Ok(bytes) => Ok(bytes),
            Err(e) => {
                // Backends word an unsatisfiable range differently; the size tells for sure.
                let error = MediaError::backend("get_range", key.as_str(), e);
                match self.head(key).await {
                    Ok(Some(meta)) if range.start >= meta.size => Err(invalid(Some(meta.size))),
                    Ok(None) => Err(MediaError::NotFound { key: key.to_string() }),
                    _ => Err(error),
                }
            }
        }
    }

    /// The size and modification time of `key`, or `None` if there is no such object.
    ///
    /// # Errors
    /// [`MediaError::Backend`] if the store fails.
    pub async fn head(&self, key: &Key) -> Result<Option<MediaMeta>, MediaError> {
        match self.inner.store.head(&self.path(key.as_str())).await {
            Ok(meta) => Ok(Some(to_meta(&meta))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(MediaError::backend("head", key.as_str(), e)),
        }
    }

    /// Whether an object is stored under `key`.
    ///
    /// # Errors
    /// [`MediaError::Backend`] if the store fails.
    pub async fn exists(&self, key: &Key) -> Result<bool, MediaError> {
        Ok(self.head(key).await?.is_some())
    }

    /// Deletes `key`; deleting a missing object succeeds.
    ///
    /// # Errors
    /// [`MediaError::Backend`] if the store fails.
    pub async fn delete(&self, key: &Key) -> Result<(), MediaError> {
        match self.inner.store.delete(&self.path(key.as_str())).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(MediaError::backend("delete", key.as_str(), e)),
        }
    }

    /// Copies `from` to `to`, replacing any object at `to`.
    ///
    /// On S3 this is a server-side copy, limited to objects of at most 5 GiB.
    ///
    /// # Errors
    /// [`MediaError::NotFound`] naming `from` if it does not exist,
    /// [`MediaError::Backend`] if the store fails.
    pub async fn copy(&self, from: &Key, to: &Key) -> Result<(), MediaError> {
        let source = self.path(from.as_str());
        match self.inner.store.copy(&source, &self.path(to.as_str())).await {
            Ok(()) => Ok(()),
            Err(object_store::Error::NotFound { .. }) => Err(MediaError::NotFound { key: from.to_string() }),
            Err(e) => Err(MediaError::backend("copy", from.as_str(), e)),
        }
    }

    /// Moves `from` to `to`, replacing any object at `to`. On the local store this is one
    /// atomic rename (no byte is copied); on S3 a server-side copy (at most 5 GiB) and a delete.
    ///
    /// # Errors
    /// [`MediaError::NotFound`] naming `from` if it does not exist,
    /// [`MediaError::Backend`] if the store fails.
    pub async fn rename(&self, from: &Key, to: &Key) -> Result<(), MediaError> {
        let source = self.path(from.as_str());
        match self.inner.store.rename(&source, &self.path(to.as_str())).await {
            Ok(()) => Ok(()),
            Err(object_store::Error::NotFound { .. }) => Err(MediaError::NotFound { key: from.to_string() }),
            Err(e) => Err(MediaError::backend("rename", from.as_str(), e)),
        }
    }

    /// Every object under `prefix` (whole segments: `programmes/1` does not match
    /// `programmes/12`), or under the store's root when `None`; sorted by key.
    ///
    /// Objects whose names are not valid [`Key`]s (put there by something else) are
    /// skipped with a warning.
    ///
    /// # Errors
    /// [`MediaError::Backend`] if the store fails.
    pub async fn list(&self, prefix: Option<&Key>) -> Result<Vec<MediaEntry>, MediaError> {
        let scope = match prefix {
            Some(key) => Some(self.path(key.as_str())),
            None if self.inner.prefix.is_empty() => None,
            None => Some(Path::from(self.inner.prefix.as_str())),
        };
        let shown = prefix.map_or("", Key::as_str);
        let metas: Vec<ObjectMeta> = self
            .inner
            .store
            .list(scope.as_ref())
            .try_collect()
            .await
            .map_err(|e| MediaError::backend("list", shown, e))?;
        let mut entries: Vec<MediaEntry> = metas.iter().filter_map(|meta| self.entry(meta)).collect();
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(entries)
    }

    fn entry(&self, meta: &ObjectMeta) -> Option<MediaEntry> {
        let full = meta.location.as_ref();
        let relative = match self.inner.prefix.as_str() {
            "" => Some(full),
            prefix => full.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('/')),
        };
        match relative.map(Key::parse) {
            Some(Ok(key)) => Some(MediaEntry { key, meta: to_meta(meta) }),
            _ => {
                tracing::warn!(object = full, store = %self, "skipping an object whose name is not a media key");
                None
            }
        }
    }

    /// A cheap probe for health checks: one request that fails clearly (within seconds,
    /// without retries) when the store is unreachable, the bucket is missing, the
    /// credentials are refused, or the local directory is gone.
    ///
    /// # Errors
    /// [`MediaError::Unavailable`] saying what the probe saw.
    pub async fn check(&self) -> Result<(), MediaError> {
        let unavailable =
            |reason: String, source| MediaError::Unavailable { store: self.inner.description.clone(), reason, source };
        if let Some(root) = &self.inner.local_root {
            return match tokio::fs::metadata(root).await {
                Ok(meta) if meta.is_dir() => Ok(()),
                Ok(_) => Err(unavailable("it is not a directory".into(), None)),
                Err(e) => Err(unavailable(format!("cannot read the directory: {e}"), None)),
            };
        }
        let scope = match self.inner.prefix.as_str() {
            "" => None,
            prefix => Some(Path::from(prefix)),
        };
        // Listing at most the first page proves the endpoint answers, the bucket exists and
        // the credentials may read it; no object is needed.
        let mut listing = self.inner.health.list(scope.as_ref());
        match tokio::time::timeout(CHECK_TIMEOUT, listing.next()).await {
            Err(_) => Err(unavailable(format!("no answer within {} s", CHECK_TIMEOUT.as_secs()), None)),
            Ok(None | Some(Ok(_))) => Ok(()),
            Ok(Some(Err(e))) => Err(unavailable(probe_reason(&e), Some(e))),
        }
    }
}

/// Bytes read from a local file at a time. object_store's own stream reads 8 KiB per
/// blocking task, which made joining an upload's segments cost one task switch per 8 KiB.
const FILE_CHUNK: u64 = 256 * 1024;

/// Bytes `range` of `file` as a stream of [`FILE_CHUNK`] reads, each on the blocking pool.
fn file_chunks(file: std::fs::File, key: String, range: Range<u64>) -> BoxStream<'static, Result<Bytes, MediaError>> {
    let file = Arc::new(file);
    futures::stream::try_unfold((file, key, range), |(file, key, range)| async move {
        if range.start >= range.end {
            return Ok(None);
        }
        let want = (range.end - range.start).min(FILE_CHUNK);
        let reader = Arc::clone(&file);
        let read = tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::FileExt;
            // `want` is at most FILE_CHUNK: it fits in usize.
            let mut buf = vec![0; usize::try_from(want).unwrap_or(0)];
            reader.read_exact_at(&mut buf, range.start).map(|()| buf)
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        let buf = read.map_err(|source| MediaError::Io { key: key.clone(), source })?;
        let next = range.start + want..range.end;
        Ok(Some((Bytes::from(buf), (file, key, next))))
    })
    .boxed()
}

/// A short, actionable reading of a failed probe.
fn probe_reason(error: &object_store::Error) -> String {
    let text = error.to_string();
    if text.contains("NoSuchBucket") {
        "the bucket does not exist".into()
    } else if matches!(error, object_store::Error::PermissionDenied { .. })
        || matches!(error, object_store::Error::Unauthenticated { .. })
    {
        "the credentials were refused".into()
    } else {
        format!("listing failed: {text}")
    }
}

fn to_meta(meta: &ObjectMeta) -> MediaMeta {
    MediaMeta { size: meta.size, last_modified: meta.last_modified }
}
