//! Live relays: the only remote sources a schedule may put on air. A centre's administrator
//! keeps a list of named relays (the catalog stores it); schedules and CSV imports name a relay,
//! and the name is resolved to its URI when the day goes to playout. Playout checks every URI
//! again with [`check_uri`] before GStreamer sees it, so a `file://`, a local path or an
//! arbitrary `http://` fetch never reaches a decoder through a schedule.
//!
//! Pure: text in, verdict out.

/// URI schemes a relay may use: SRT, UDP (MPEG-TS), RTMP, RTSP, and HTTP(S) for HLS.
pub const SCHEMES: &[&str] = &["srt", "udp", "rtmp", "rtsp", "http", "https"];

/// Longest relay name and URI accepted.
const MAX_NAME: usize = 64;
const MAX_URI: usize = 2048;

/// Checks that `uri` is a live relay: one of [`SCHEMES`], a host, no whitespace or control
/// characters, and for `http(s)` an HLS playlist (`….m3u8`).
///
/// # Errors
/// Why it is not a relay, in words a person can act on.
pub fn check_uri(uri: &str) -> Result<(), String> {
    if uri.is_empty() || uri.len() > MAX_URI {
        return Err(format!("a relay URI has 1 to {MAX_URI} characters"));
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a relay URI has no spaces or control characters".to_owned());
    }
    let Some((scheme, rest)) = uri.split_once("://") else {
        return Err(format!("{uri:?} is not a URI (srt://, udp://, rtmp://, rtsp://, http(s):// HLS)"));
    };
    let scheme = scheme.to_ascii_lowercase();
    if !SCHEMES.contains(&scheme.as_str()) {
        return Err(format!(
            "scheme {scheme:?} is not a live relay (allowed: {}; http(s) for HLS playlists)",
            SCHEMES.join(", ")
        ));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port.split_once(']').map_or("", |(h, _)| h.trim_start_matches('['))
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    // UDP multicast and listener modes may leave the host empty (`udp://:5000`, `srt://:9000`).
    if host.is_empty() && !matches!(scheme.as_str(), "udp" | "srt") {
        return Err(format!("{uri:?} names no host"));
    }
    if authority.is_empty() {
        return Err(format!("{uri:?} names no host or port"));
    }
    if matches!(scheme.as_str(), "http" | "https") {
        let path = &rest[end..];
        let path = path.split(['?', '#']).next().unwrap_or("");
        if !path.to_ascii_lowercase().ends_with(".m3u8") {
            return Err(format!("{uri:?}: an http(s) relay is an HLS playlist (a path ending in .m3u8)"));
        }
    }
    Ok(())
}

/// Checks a relay's name: 1 to 64 characters, no whitespace at its ends, no control
/// characters, and no `:` or `/` (so a name is never mistaken for a URI or a path).
///
/// # Errors
/// Why the name is refused.
pub fn check_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME || name.trim() != name {
        return Err(format!("a relay name has 1 to {MAX_NAME} characters and no spaces at its ends"));
    }
    if name.chars().any(|c| c.is_control() || c == ':' || c == '/' || c == '\\') {
        return Err(format!("relay name {name:?} has a control character, ':', '/' or '\\'"));
    }
    Ok(())
}

/// A named relay of a centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    pub name: String,
    pub uri: String,
}

/// What a schedule's live item refers to (`reference`, a relay name — or, as written by
/// earlier versions, a listed relay's URI itself) as a URI from `relays`, the channel's
/// centre's list; `None` when it is not on the list.
pub fn resolve<'a>(reference: &str, relays: &'a [Relay]) -> Option<&'a str> {
    let reference = reference.trim();
    relays.iter().find(|r| r.name == reference || r.uri == reference).map(|r| r.uri.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_schemes_pass_and_everything_else_is_refused() {
        for ok in [
            "srt://relay.example:9000?mode=caller",
            "udp://239.0.0.1:5000",
            "udp://:5000",
            "rtmp://live.example/app/key",
            "rtsp://user:pw@10.0.0.5:554/stream",
            "https://cdn.example/live/index.m3u8?token=1",
            "http://[::1]:8080/a.M3U8",
        ] {
            assert_eq!(check_uri(ok), Ok(()), "{ok}");
        }
        for bad in [
            "file:///etc/passwd",
            "/etc/passwd",
            "media://programmes/x/house.mp4?sha256=00",
            "http://127.0.0.1:9/x.mp3",
            "https://example/",
            "srt:relay:9000",
            "rtmp:///app",
            "srt://relay:9000 extra",
            "srt://relay\n:9000",
            "",
            "concat:///a|/b",
            "appsrc://",
        ] {
            assert!(check_uri(bad).is_err(), "{bad:?} passed");
        }
    }

    #[test]
    fn names_are_not_uris_and_resolve_by_name_or_listed_uri() {
        assert!(check_name("新闻联播直播").is_ok());
        for bad in ["", " a", "srt://x", "a/b", "a\nb", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        let list = vec![Relay { name: "cctv".into(), uri: "srt://relay:9000".into() }];
        assert_eq!(resolve("cctv", &list), Some("srt://relay:9000"));
        assert_eq!(resolve("srt://relay:9000", &list), Some("srt://relay:9000"));
        assert_eq!(resolve("srt://other:9000", &list), None);
        assert_eq!(resolve("file:///etc/passwd", &list), None);
    }
}
