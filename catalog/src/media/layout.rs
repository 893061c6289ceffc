//! Where each kind of media lives in the store (documented in `docs/storage.md`).
//!
//! ```text
//! uploads/{upload_id}                         an upload in progress or awaiting ingest
//! programmes/{programme_id}/source/{sha256}   the original file, named by its content
//! programmes/{programme_id}/house.mp4         the house-format rendition playout plays
//! programmes/{programme_id}/proxy.mp4         the low-bitrate browser preview
//! programmes/{programme_id}/thumbs/{n}.jpg    thumbnails, n = 0, 1, …
//! ```
//!
//! Everything of a programme sits under [`programme`]`(id)`, so listing or deleting a
//! programme's media is one prefix operation. Identifiers are taken as `Display` so the
//! catalog's id newtypes can be passed directly; each must render as one key segment.

use std::fmt::Display;

use super::{Key, MediaError};

/// `programmes/{programme_id}`: the prefix of all of a programme's media.
///
/// # Errors
/// [`MediaError::InvalidKey`] if the id does not render as one valid key segment.
pub fn programme(programme_id: impl Display) -> Result<Key, MediaError> {
    Key::from_segments(&["programmes".to_owned(), programme_id.to_string()])
}

/// `programmes/{programme_id}/source/{sha256}`: the original file as uploaded.
///
/// # Errors
/// [`MediaError::InvalidKey`] if the id is not one segment or `sha256` is not 64 lowercase
/// hexadecimal digits.
pub fn programme_source(programme_id: impl Display, sha256: &str) -> Result<Key, MediaError> {
    let is_digest = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !is_digest {
        return Err(MediaError::InvalidKey {
            key: sha256.to_owned(),
            reason: "a source is named by its SHA-256: 64 lowercase hexadecimal digits".into(),
        });
    }
    programme(programme_id)?.join("source")?.join(sha256)
}

/// `programmes/{programme_id}/house.mp4`: the house-format rendition.
///
/// # Errors
/// [`MediaError::InvalidKey`] if the id does not render as one valid key segment.
pub fn programme_house(programme_id: impl Display) -> Result<Key, MediaError> {
    programme(programme_id)?.join("house.mp4")
}

/// `programmes/{programme_id}/proxy.mp4`: the browser preview.
///
/// # Errors
/// [`MediaError::InvalidKey`] if the id does not render as one valid key segment.
pub fn programme_proxy(programme_id: impl Display) -> Result<Key, MediaError> {
    programme(programme_id)?.join("proxy.mp4")
}

/// `programmes/{programme_id}/thumbs/{n}.jpg`: the `n`th thumbnail.
///
/// # Errors
/// [`MediaError::InvalidKey`] if the id does not render as one valid key segment.
pub fn programme_thumbnail(programme_id: impl Display, n: u32) -> Result<Key, MediaError> {
    programme(programme_id)?.join("thumbs")?.join(&format!("{n}.jpg"))
}

/// `uploads/{upload_id}`: an upload being received (or waiting for its ingest job).
///
/// # Errors
/// [`MediaError::InvalidKey`] if the id does not render as one valid key segment.
pub fn upload(upload_id: impl Display) -> Result<Key, MediaError> {
    Key::from_segments(&["uploads".to_owned(), upload_id.to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn text(key: Result<Key, MediaError>) -> String {
        match key {
            Ok(k) => k.to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn builds_the_documented_layout() {
        assert_eq!(text(programme(42)), "programmes/42");
        assert_eq!(text(programme_source(42, DIGEST)), format!("programmes/42/source/{DIGEST}"));
        assert_eq!(text(programme_house("p-1")), "programmes/p-1/house.mp4");
        assert_eq!(text(programme_proxy("p-1")), "programmes/p-1/proxy.mp4");
        assert_eq!(text(programme_thumbnail("p-1", 3)), "programmes/p-1/thumbs/3.jpg");
        assert_eq!(text(upload("u7")), "uploads/u7");
    }

    #[test]
    fn rejects_ids_that_would_escape_their_segment() {
        assert!(programme_house("../x").is_err());
        assert!(programme_house("a/b").is_err());
        assert!(upload("").is_err());
        assert!(upload("..").is_err());
    }

    #[test]
    fn rejects_sources_not_named_by_a_digest() {
        assert!(programme_source(1, "abc").is_err());
        assert!(programme_source(1, &DIGEST.to_uppercase()).is_err());
        assert!(programme_source(1, &format!("{}/x", &DIGEST[..62])).is_err());
    }
}
