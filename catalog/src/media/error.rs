//! The one error type of the media store.
//!
//! Backend errors (`object_store`, I/O) are mapped here, at the boundary, so callers match on
//! what happened (`NotFound`, `InvalidKey`, …) and never on a backend's vocabulary.

use std::ops::Range;

/// Everything that can go wrong in [`crate::media`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// No object is stored under the key.
    #[error("media object `{key}` not found")]
    NotFound {
        /// The key that was looked up.
        key: String,
    },

    /// A key that cannot name a media object (see [`crate::media::Key`]).
    #[error("invalid media key {key:?}: {reason}")]
    InvalidKey {
        /// The rejected text.
        key: String,
        /// Why it was rejected.
        reason: String,
    },

    /// A byte range that is empty or starts past the end of the object.
    #[error("invalid byte range {}..{} for media object `{key}`{}", range.start, range.end,
        size.map(|s| format!(" of {s} bytes")).unwrap_or_default())]
    InvalidRange {
        /// The object.
        key: String,
        /// The requested range.
        range: Range<u64>,
        /// The object's size, when known.
        size: Option<u64>,
    },

    /// A setting of [`crate::media::MediaStoreConfig`] is invalid.
    #[error("invalid media store setting `{setting}`: {reason}")]
    Config {
        /// The setting's name (the field of `MediaStoreConfig`).
        setting: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },

    /// The object store failed an operation.
    #[error("media store {operation} of `{key}` failed")]
    Backend {
        /// What was attempted (`put`, `get`, `list`, …).
        operation: &'static str,
        /// The key (or prefix) it was attempted on.
        key: String,
        /// The backend's error.
        #[source]
        source: object_store::Error,
    },

    /// Reading the data to store failed (the caller's reader returned an error).
    #[error("reading the data for media object `{key}` failed")]
    Io {
        /// The key being written.
        key: String,
        /// The reader's error.
        #[source]
        source: std::io::Error,
    },

    /// The store is not reachable or not usable (the health check failed).
    #[error("media store {store} is unavailable: {reason}")]
    Unavailable {
        /// A description of the store (URL, bucket, endpoint).
        store: String,
        /// What the probe saw.
        reason: String,
        /// The backend's error, if there was one.
        #[source]
        source: Option<object_store::Error>,
    },
}

impl MediaError {
    /// Maps an `object_store` error for `operation` on `key`: a missing object becomes
    /// [`MediaError::NotFound`], anything else [`MediaError::Backend`].
    pub(crate) fn backend(operation: &'static str, key: &str, source: object_store::Error) -> Self {
        match source {
            object_store::Error::NotFound { .. } => Self::NotFound { key: key.to_owned() },
            source => Self::Backend { operation, key: key.to_owned(), source },
        }
    }

    /// Whether this error says the object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_store_not_found_maps_to_not_found() {
        let source = object_store::Error::NotFound { path: "p".into(), source: "gone".into() };
        let err = MediaError::backend("get", "programmes/1/house.mp4", source);
        assert!(err.is_not_found());
        assert_eq!(err.to_string(), "media object `programmes/1/house.mp4` not found");
    }

    #[test]
    fn other_object_store_errors_keep_their_source() {
        let source = object_store::Error::Generic { store: "S3", source: "connection refused".into() };
        let err = MediaError::backend("put", "uploads/u1", source);
        assert!(!err.is_not_found());
        let chain = std::error::Error::source(&err).map(ToString::to_string);
        assert!(chain.is_some_and(|s| s.contains("connection refused")));
    }

    #[test]
    fn invalid_range_names_the_size_when_known() {
        let err = MediaError::InvalidRange { key: "k".into(), range: 10..20, size: Some(5) };
        assert_eq!(err.to_string(), "invalid byte range 10..20 for media object `k` of 5 bytes");
    }
}
