//! The media store: programme media in a local directory or an S3-compatible bucket.
//!
//! Everything goes through [`MediaStore`], opened from a [`MediaStoreConfig`]
//! (`file:///dir` or `s3://bucket/prefix`). Objects are named by [`Key`]s, laid out by the
//! helpers in [`layout`] (see `docs/storage.md`). Uploads are streamed and hashed on the
//! way ([`MediaStore::put_stream`]) and never visible half-written. Backend errors are
//! mapped to [`MediaError`] at this boundary.
//!
//! ```no_run
//! # async fn demo(file: tokio::fs::File) -> Result<(), catalog::media::MediaError> {
//! use catalog::media::{layout, MediaStore, MediaStoreConfig};
//!
//! let store = MediaStore::open(&MediaStoreConfig::with_url("s3://kapok-media/network"))?;
//! store.check().await?; // for /healthz
//! let upload = layout::upload("0190f1c2")?;
//! let stored = store.put_stream(&upload, file).await?; // size + sha256, never half-visible
//! let source = layout::programme_source(42, &stored.sha256)?;
//! store.copy(&upload, &source).await?;
//! store.delete(&upload).await?;
//! # Ok(())
//! # }
//! ```

mod config;
mod error;
mod key;
pub mod layout;
mod store;
mod upload;

#[cfg(feature = "test-support")]
pub mod testing;

pub use config::{MediaStoreConfig, DEFAULT_URL};
pub use error::MediaError;
pub use key::{Key, MAX_KEY_LEN};
pub use store::{MediaEntry, MediaMeta, MediaObject, MediaStore};
pub use upload::{PutOutcome, PARTS_IN_FLIGHT, PART_SIZE};
