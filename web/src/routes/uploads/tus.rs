//! The tus 1.0 protocol's headers and the upload metadata Kapok accepts, parsed into values
//! that are valid once they exist. Pure logic: no HTTP types beyond header text.

use std::collections::BTreeMap;

use base64::Engine;
use catalog::ids::CentreCode;
use catalog::programme::{Category, NewProgramme, Sharing};

/// The protocol version spoken.
pub const VERSION: &str = "1.0.0";
/// The extensions supported.
pub const EXTENSIONS: &str = "creation,termination,expiration";
/// The body type of a PATCH.
pub const PATCH_CONTENT_TYPE: &str = "application/offset+octet-stream";
/// The longest file name accepted, in bytes.
pub const MAX_FILENAME_BYTES: usize = 255;

/// A header value that is not what tus requires, with what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
}

fn refuse(message: impl Into<String>) -> Refusal {
    Refusal { message: message.into() }
}

/// `Upload-Length` / `Upload-Offset`: a non-negative decimal integer, digits only.
///
/// # Errors
/// A refusal naming the header.
pub fn parse_size(header: &str, value: Option<&str>) -> Result<u64, Refusal> {
    let v = value.ok_or_else(|| refuse(format!("{header} is required")))?.trim();
    if v.is_empty() || v.len() > 19 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse(format!("{header} must be a non-negative whole number of bytes, not {v:?}")));
    }
    v.parse::<u64>()
        .ok()
        .filter(|n| i64::try_from(*n).is_ok())
        .ok_or_else(|| refuse(format!("{header} {v:?} is too large")))
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
///
/// # Errors
/// A refusal for a malformed pair, a repeated key, bad base64 or a value that is not UTF-8.
pub fn parse_metadata(value: &str) -> Result<BTreeMap<String, String>, Refusal> {
    let mut out = BTreeMap::new();
    for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut parts = pair.split(' ');
        let key = parts.next().unwrap_or_default();
        let encoded = parts.next().unwrap_or_default();
        if parts.next().is_some() || key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(refuse(format!("Upload-Metadata pair {pair:?} is not `key base64value`")));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| refuse(format!("Upload-Metadata {key}: the value is not base64")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| refuse(format!("Upload-Metadata {key}: the value is not UTF-8 text")))?;
        if out.insert(key.to_string(), text).is_some() {
            return Err(refuse(format!("Upload-Metadata {key} is given twice")));
        }
    }
    Ok(out)
}

/// A client's file name: a single name, no path, no control characters.
///
/// # Errors
/// A refusal saying what is wrong with it.
pub fn check_filename(name: &str) -> Result<String, Refusal> {
    if name.trim().is_empty() {
        return Err(refuse("filename must not be empty"));
    }
    if name.len() > MAX_FILENAME_BYTES {
        return Err(refuse(format!("filename is longer than {MAX_FILENAME_BYTES} bytes")));
    }
    if name.chars().any(char::is_control) {
        return Err(refuse("filename must not contain NUL or other control characters"));
    }
    if name.contains('/') || name.contains('\\') || name == "." || name == ".." || name.starts_with("..") {
        return Err(refuse(format!("filename {name:?} must be a plain name, not a path")));
    }
    Ok(name.to_string())
}

/// What a creation request's metadata describes.
#[derive(Debug, Clone)]
pub struct UploadRequest {
    pub filename: String,
    pub programme: NewProgramme,
}

const KEYS: &[&str] = &["filename", "title", "centre", "category", "description", "language", "tags", "shared"];

/// The programme an upload's metadata describes; `default_centre` when it names none.
/// Unknown keys are refused so a typo is not silently dropped.
///
/// # Errors
/// A refusal naming the key that is missing or wrong.
pub fn upload_request(meta: &BTreeMap<String, String>, default_centre: &CentreCode) -> Result<UploadRequest, Refusal> {
    if let Some(k) = meta.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(refuse(format!("Upload-Metadata key {k:?} is unknown (known: {})", KEYS.join(", "))));
    }
    let filename = check_filename(meta.get("filename").ok_or_else(|| refuse("Upload-Metadata filename is required"))?)?;
    let title = meta.get("title").map(|t| t.trim()).filter(|t| !t.is_empty());
    let title = title.ok_or_else(|| refuse("Upload-Metadata title is required"))?;
    let centre = match meta.get("centre") {
        Some(c) => CentreCode::parse(c).map_err(|e| refuse(format!("Upload-Metadata centre: {e}")))?,
        None => default_centre.clone(),
    };
    let category = match meta.get("category") {
        Some(c) => Category::parse(c).map_err(|e| refuse(format!("Upload-Metadata category: {e}")))?,
        None => Category::News,
    };
    let mut programme = NewProgramme::new(centre, title, category);
    if let Some(d) = meta.get("description") {
        programme.description = d.clone();
    }
    if let Some(l) = meta.get("language").filter(|l| !l.trim().is_empty()) {
        programme.language = l.trim().to_string();
    }
    if let Some(t) = meta.get("tags") {
        programme.tags = t.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
    }
    if let Some(s) = meta.get("shared") {
        programme.sharing = Sharing::parse(s)
            .map_err(|_| refuse(format!("Upload-Metadata shared must be \"network\" or \"private\", not {s:?}")))?;
    }
    programme.check().map_err(|e| refuse(format!("Upload-Metadata: {e}")))?;
    Ok(UploadRequest { filename, programme })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn own() -> CentreCode {
        CentreCode::parse("510421").unwrap()
    }

    #[test]
    fn sizes_are_digits_only() {
        assert_eq!(parse_size("Upload-Offset", Some("0")), Ok(0));
        assert_eq!(parse_size("Upload-Length", Some(" 1048576 ")), Ok(1_048_576));
        for bad in [None, Some(""), Some("-1"), Some("+5"), Some("1e3"), Some("0x10"), Some("99999999999999999999")] {
            assert!(parse_size("Upload-Offset", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn metadata_pairs_decode_and_a_bad_pair_is_named() {
        let m = parse_metadata(&format!("filename {},title {}, shared", b64("a.mp4"), b64("芒果种植"))).unwrap();
        assert_eq!(m["filename"], "a.mp4");
        assert_eq!(m["title"], "芒果种植");
        assert_eq!(m["shared"], "");
        assert!(parse_metadata("title !!!").unwrap_err().message.contains("title"));
        assert!(parse_metadata(&format!("t {0},t {0}", b64("x"))).unwrap_err().message.contains("twice"));
    }

    #[test]
    fn paths_nul_and_control_characters_are_refused_in_file_names() {
        for bad in ["../etc/passwd", "a/b.mp4", "..\\x", "..", "a\0b.mp4", "a\nb", "\u{1b}[31m.mp4", "", " "] {
            assert!(check_filename(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_filename("芒果 第1集.mp4").unwrap(), "芒果 第1集.mp4");
    }

    #[test]
    fn metadata_becomes_a_programme_with_the_callers_centre_by_default() {
        let mut m = BTreeMap::new();
        m.insert("filename".to_string(), "a.mp4".to_string());
        m.insert("title".to_string(), "芒果".to_string());
        m.insert("tags".to_string(), "芒果, 种植,".to_string());
        m.insert("shared".to_string(), "network".to_string());
        m.insert("category".to_string(), "涉农".to_string());
        let r = upload_request(&m, &own()).unwrap();
        assert_eq!(r.programme.centre, own());
        assert_eq!(r.programme.tags, vec!["芒果", "种植"]);
        assert_eq!(r.programme.sharing, Sharing::Network);
        assert_eq!(r.programme.category, Category::Agriculture);
    }

    #[test]
    fn a_missing_title_a_bad_centre_and_an_unknown_key_are_named() {
        let base: BTreeMap<String, String> =
            [("filename", "a.mp4"), ("title", "t")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        for (key, value, named) in [
            ("title", " ", "title"),
            ("centre", "5104", "centre"),
            ("shared", "all", "shared"),
            ("titel", "x", "titel"),
        ] {
            let mut m = base.clone();
            m.insert(key.to_string(), value.to_string());
            let e = upload_request(&m, &own()).unwrap_err();
            assert!(e.message.contains(named), "{key}: {}", e.message);
        }
    }
}
