//! A node's local media cache: the media of the next hours copied from the object store, so
//! the channel stays on air through a storage outage.
//!
//! Playlists name cached media as `media://<key>?sha256=<hex>` (the store key and the
//! checksum the catalog recorded at ingest). Files are stored by checksum, verified on insert
//! and size-checked before each use; the cache is capped in bytes and evicts the least
//! recently used first. Fetching goes through the [`Fetcher`] trait, implemented by the
//! server over its media store.

use std::fmt;
use std::io::Write;

mod store;

pub use store::{MediaCache, PrefetchReport};

/// A [`Fetcher`] over a local directory laid out by store key (the `file://` media store of
/// an all-in-one server, or a mounted share).
#[derive(Debug, Clone)]
pub struct DirFetcher {
    root: std::path::PathBuf,
}

impl DirFetcher {
    /// Fetches `key` from `root/key`.
    pub fn new(root: impl Into<std::path::PathBuf>) -> DirFetcher {
        DirFetcher { root: root.into() }
    }
}

impl Fetcher for DirFetcher {
    fn fetch(&self, key: &str, dest: &mut dyn Write) -> Result<(), FetchError> {
        if key.split('/').any(|part| part == ".." || part.is_empty()) {
            return Err(FetchError::NotFound(key.to_owned()));
        }
        if !self.root.is_dir() {
            return Err(FetchError::Unavailable(format!("{} is not reachable", self.root.display())));
        }
        let mut file = std::fs::File::open(self.root.join(key)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => FetchError::NotFound(key.to_owned()),
            _ => FetchError::Unavailable(e.to_string()),
        })?;
        std::io::copy(&mut file, dest)?;
        Ok(())
    }
}

/// Why a fetch from the object store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The store has no object under this key.
    #[error("media {0:?} not found in the store")]
    NotFound(String),
    /// The store is unreachable or failed: try again later.
    #[error("media store unavailable: {0}")]
    Unavailable(String),
    /// Writing the data locally failed.
    #[error("writing fetched media: {0}")]
    Io(#[from] std::io::Error),
    /// Any other failure of the store (bad key, protocol error…).
    #[error("fetching media: {0}")]
    Other(String),
}

/// Copies media from the object store. Implemented by the server over its media store.
pub trait Fetcher: Send + Sync {
    /// Streams the object `key` into `dest`.
    ///
    /// # Errors
    /// [`FetchError`]; whatever was written is discarded by the cache.
    fn fetch(&self, key: &str, dest: &mut dyn Write) -> Result<(), FetchError>;
}

/// What can go wrong in the cache.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// A `media://` reference that does not parse.
    #[error("bad media reference {0:?}: expected media://<key>?sha256=<64 hex digits>")]
    BadRef(String),
    /// The fetch failed; the cache is unchanged.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The fetched data is not what the catalog recorded; it was discarded.
    #[error("media {key:?}: checksum {got} does not match the expected {expected}")]
    Checksum {
        /// The store key.
        key: String,
        /// Expected SHA-256 (hex).
        expected: String,
        /// What arrived.
        got: String,
    },
    /// Fitting this file would evict media needed sooner (or it is larger than the cap).
    #[error("cache full: {0}")]
    Full(String),
    /// The cache directory failed.
    #[error("cache directory: {0}")]
    Io(#[from] std::io::Error),
}

/// The cached media a playlist source names.
pub trait SourceMedia {
    /// The media this source names (`media://KEY?sha256=…`); `None` for any other source, and
    /// for a malformed reference (the input reports it when it cannot open it).
    fn media(&self) -> Option<MediaRef>;
}

impl SourceMedia for crate::playlist::Source {
    fn media(&self) -> Option<MediaRef> {
        match self {
            crate::playlist::Source::Uri(uri) => MediaRef::parse(uri).ok(),
            crate::playlist::Source::Path(_) | crate::playlist::Source::Generated(_) => None,
        }
    }
}

/// A reference to stored media: its store key and expected SHA-256. Exists only when valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaRef {
    key: String,
    sha256: String,
}

impl MediaRef {
    /// URI scheme of cached media in playlists.
    pub const SCHEME: &'static str = "media://";

    /// A reference to `key` whose content hashes to `sha256` (hex, any case).
    ///
    /// # Errors
    /// [`CacheError::BadRef`] for an empty key or a checksum that is not 64 hex digits.
    pub fn new(key: &str, sha256: &str) -> Result<MediaRef, CacheError> {
        let valid = !key.is_empty() && sha256.len() == 64 && sha256.chars().all(|c| c.is_ascii_hexdigit());
        if !valid {
            return Err(CacheError::BadRef(format!("{}{key}?sha256={sha256}", Self::SCHEME)));
        }
        Ok(MediaRef { key: key.to_owned(), sha256: sha256.to_ascii_lowercase() })
    }

    /// Parses `media://<key>?sha256=<hex>`.
    ///
    /// # Errors
    /// [`CacheError::BadRef`] when `uri` is not of that form.
    pub fn parse(uri: &str) -> Result<MediaRef, CacheError> {
        let bad = || CacheError::BadRef(uri.to_owned());
        let rest = uri.strip_prefix(Self::SCHEME).ok_or_else(bad)?;
        let (key, sha) = rest.rsplit_once("?sha256=").ok_or_else(bad)?;
        MediaRef::new(key, sha).map_err(|_| bad())
    }

    /// The store key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The expected SHA-256, lower-case hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

impl fmt::Display for MediaRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}?sha256={}", Self::SCHEME, self.key, self.sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_refs_parse_and_print_back() {
        let sha = "AB".repeat(32);
        let r = MediaRef::parse(&format!("media://programmes/510421/a.mp4?sha256={sha}")).unwrap();
        assert_eq!(r.key(), "programmes/510421/a.mp4");
        assert_eq!(r.sha256(), "ab".repeat(32));
        assert_eq!(MediaRef::parse(&r.to_string()).unwrap(), r);
        for bad in
            ["media://a", "file://a?sha256=00", "media://?sha256=", &format!("media://a?sha256={}", "g".repeat(64))]
        {
            assert!(matches!(MediaRef::parse(bad), Err(CacheError::BadRef(_))), "{bad} accepted");
        }
    }
}
