//! [`Key`]: the name of a media object, relative to the store's prefix.

use std::fmt;
use std::str::FromStr;

use super::MediaError;

/// Longest key accepted, in bytes (S3's limit is 1024 for the whole name, prefix included).
pub const MAX_KEY_LEN: usize = 900;

/// The name of a media object: `/`-separated segments of ASCII letters, digits, `-`, `_`
/// and `.`, relative to the store's prefix (e.g. `programmes/42/house.mp4`).
///
/// A `Key` that exists is valid: it is never empty or absolute, has no empty, `.` or `..`
/// segment, no control character and nothing that a backend would encode or treat
/// specially (`%`, `#`, `\`, spaces, non-ASCII). Keys therefore map one-to-one onto file
/// paths and S3 object names. See `docs/storage.md` for the layout and
/// [`crate::media::layout`] for the helpers that build it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Key(String);

impl Key {
    /// Parses `text` as a key.
    ///
    /// # Errors
    /// [`MediaError::InvalidKey`] saying what is wrong with it.
    pub fn parse(text: impl Into<String>) -> Result<Self, MediaError> {
        let text = text.into();
        match problem(&text) {
            None => Ok(Self(text)),
            Some(reason) => Err(MediaError::InvalidKey { key: text, reason }),
        }
    }

    /// Builds a key from segments, each of which must be a valid single segment
    /// (no `/`).
    ///
    /// # Errors
    /// [`MediaError::InvalidKey`] if a segment contains `/` or the joined key is invalid.
    pub fn from_segments<S: AsRef<str>>(segments: &[S]) -> Result<Self, MediaError> {
        let parts: Vec<&str> = segments.iter().map(AsRef::as_ref).collect();
        let joined = parts.join("/");
        if let Some(bad) = parts.iter().find(|p| p.contains('/')) {
            return Err(MediaError::InvalidKey { key: joined, reason: format!("segment {bad:?} contains '/'") });
        }
        Self::parse(joined)
    }

    /// Appends one segment.
    ///
    /// # Errors
    /// [`MediaError::InvalidKey`] if `segment` is not a valid single segment.
    pub fn join(&self, segment: &str) -> Result<Self, MediaError> {
        let joined = format!("{}/{segment}", self.0);
        if segment.contains('/') {
            return Err(MediaError::InvalidKey { key: joined, reason: format!("segment {segment:?} contains '/'") });
        }
        Self::parse(joined)
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last segment (the object's file name).
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

/// Why `text` is not a key, or `None` if it is one.
fn problem(text: &str) -> Option<String> {
    if text.is_empty() {
        return Some("it is empty".into());
    }
    if text.len() > MAX_KEY_LEN {
        return Some(format!("it is longer than {MAX_KEY_LEN} bytes"));
    }
    if text.chars().any(char::is_control) {
        return Some("it contains a control character".into());
    }
    if text.starts_with('/') {
        return Some("it is absolute (starts with '/'); keys are relative to the store".into());
    }
    for segment in text.split('/') {
        match segment {
            "" => return Some("it has an empty segment ('//' or a trailing '/')".into()),
            "." | ".." => return Some(format!("it has a {segment:?} segment")),
            _ => {}
        }
        if let Some(c) = segment.chars().find(|c| !allowed(*c)) {
            return Some(format!("it contains {c:?}; allowed are ASCII letters, digits, '-', '_', '.' and '/'"));
        }
    }
    None
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Key {
    type Err = MediaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Key {
    type Error = MediaError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl TryFrom<&str> for Key {
    type Error = MediaError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Key> for String {
    fn from(key: Key) -> Self {
        key.0
    }
}

impl serde::Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> String {
        match Key::parse(text) {
            Err(MediaError::InvalidKey { reason, .. }) => reason,
            other => panic!("{text:?} should be rejected, got {other:?}"),
        }
    }

    #[test]
    fn accepts_the_layout_shapes() {
        for text in [
            "programmes/42/house.mp4",
            "programmes/0190f1c2-7a3b-7c9d-8e1f-123456789abc/thumbs/3.jpg",
            "uploads/u_1",
            "a",
            ".hidden",
        ] {
            assert_eq!(Key::parse(text).map(String::from).ok().as_deref(), Some(text));
        }
    }

    #[test]
    fn rejects_dot_dot_segments() {
        assert!(reason("programmes/../etc/passwd").contains("\"..\""));
        assert!(reason("..").contains("\"..\""));
        assert!(reason("a/./b").contains("\".\""));
    }

    #[test]
    fn rejects_empty_keys_and_segments() {
        assert!(reason("").contains("empty"));
        assert!(reason("a//b").contains("empty segment"));
        assert!(reason("a/b/").contains("empty segment"));
    }

    #[test]
    fn rejects_absolute_paths() {
        assert!(reason("/etc/passwd").contains("absolute"));
    }

    #[test]
    fn rejects_control_characters() {
        assert!(reason("a\nb").contains("control"));
        assert!(reason("a\u{0}b").contains("control"));
        assert!(reason("a\u{7f}").contains("control"));
    }

    #[test]
    fn rejects_characters_backends_treat_specially() {
        for text in ["a#1", "a%20b", "a b", "a\\b", "攀枝花.mp4", "a?b", "a+b"] {
            assert!(reason(text).contains("allowed are"), "{text:?}");
        }
    }

    #[test]
    fn rejects_overlong_keys() {
        assert!(reason(&"a".repeat(MAX_KEY_LEN + 1)).contains("longer"));
        assert!(Key::parse("a".repeat(MAX_KEY_LEN)).is_ok());
    }

    #[test]
    fn from_segments_rejects_a_slash_inside_a_segment() {
        assert!(Key::from_segments(&["programmes", "1/2"]).is_err());
        let key = Key::from_segments(&["programmes", "12"]).map(String::from);
        assert_eq!(key.ok().as_deref(), Some("programmes/12"));
    }

    #[test]
    fn join_appends_exactly_one_segment() {
        let base = Key::parse("programmes/1").map_err(|e| e.to_string());
        let base = base.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(base.join("house.mp4").map(String::from).ok().as_deref(), Some("programmes/1/house.mp4"));
        assert!(base.join("a/b").is_err());
        assert!(base.join("..").is_err());
        assert!(base.join("").is_err());
    }

    #[test]
    fn file_name_is_the_last_segment() {
        let key = Key::parse("programmes/1/thumbs/2.jpg").map(|k| k.file_name().to_owned());
        assert_eq!(key.ok().as_deref(), Some("2.jpg"));
    }

    #[test]
    fn deserialises_only_valid_keys() {
        let ok: Result<Key, _> = serde_json_like("uploads/x");
        assert!(ok.is_ok());
        let bad: Result<Key, _> = serde_json_like("../x");
        assert!(bad.is_err());
    }

    /// Deserialises through serde's value machinery without a format crate.
    fn serde_json_like(text: &str) -> Result<Key, serde::de::value::Error> {
        use serde::de::IntoDeserializer;
        Key::deserialize(text.to_owned().into_deserializer())
    }

    use serde::Deserialize;
}
