//! Where a channel's MPEG-TS goes: the output target types, their text form as operators
//! write it (`--output`, [`FromStr`]) and as people see it in logs and status ([`fmt::Display`],
//! which never shows a password, passphrase or stream key).
//!
//! Each type's GStreamer sink is built in [`super::sink`]; adding a type touches this folder only.

use std::cell::Cell;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use url::{SyntaxViolation, Url};

/// Where the channel's MPEG-TS goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputTarget {
    /// A `.ts` file.
    File(PathBuf),
    /// MPEG-TS over UDP (7 TS packets a datagram).
    Udp {
        /// Destination host (unicast or multicast).
        host: String,
        /// Destination port.
        port: u16,
    },
    /// HLS: `index.m3u8` and 2 s segments (`segment00000.ts` …) in a directory, cut at key
    /// frames. The audio is AAC, which every browser plays: the channel's own, or encoded at
    /// 128 kbit/s from MP2, MP3 or Opus.
    Hls(PathBuf),
    /// MPEG-TS over SRT: `srt://host:port?mode=caller` (we connect to a receiver) or
    /// `srt://:port?mode=listener` (receivers connect to us; any number of them). Other
    /// `srtsink` URI parameters (`latency`, `passphrase`, `streamid`) pass through.
    Srt {
        /// The `srt://` URI.
        uri: String,
    },
    /// RTMP push (FLV with the channel's H.264 and AAC, encoded at 128 kbit/s from the
    /// channel's audio when that is not AAC), e.g. `rtmp://host/live/stream`.
    Rtmp {
        /// The `rtmp://` or `rtmps://` URL including application and stream key.
        url: String,
    },
    /// An Icecast mount (radio): the channel's audio as MP3 128 kbit/s CBR (passed through
    /// when the channel's codec is MP3, otherwise decoded and encoded).
    Icecast {
        /// The server's host name or address.
        host: String,
        /// The server's port (8000 unless given).
        port: u16,
        /// The mount point, starting with `/` (e.g. `/city.mp3`).
        mount: String,
        /// The source password.
        password: String,
    },
}

impl OutputTarget {
    /// True when a failure is worth retrying (a network peer that may come back).
    pub fn reconnects(&self) -> bool {
        matches!(
            self,
            OutputTarget::Udp { .. }
                | OutputTarget::Srt { .. }
                | OutputTarget::Rtmp { .. }
                | OutputTarget::Icecast { .. }
        )
    }
}

impl fmt::Display for OutputTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputTarget::File(p) => write!(f, "file {}", p.display()),
            OutputTarget::Udp { host, port } => write!(f, "udp://{host}:{port}"),
            OutputTarget::Hls(d) => write!(f, "hls {}", d.display()),
            // The passphrase (and what follows it) is a secret.
            OutputTarget::Srt { uri } => write!(f, "{}", uri.split("passphrase=").next().unwrap_or_default()),
            // The stream key is a secret: only scheme, host and application are shown.
            OutputTarget::Rtmp { url } => {
                let shown = url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base);
                write!(f, "rtmp {shown}/…")
            }
            OutputTarget::Icecast { host, port, mount, .. } => write!(f, "icecast http://{host}:{port}{mount}"),
        }
    }
}

/// Why an output target text was refused: the form expected, never the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadTarget(String);

const FORMS: &str = "expected udp://HOST:PORT, srt://…, rtmp://…, icecast://source:PASSWORD@HOST:PORT/MOUNT, \
                     file:PATH.ts or hls:DIR";

impl FromStr for OutputTarget {
    type Err = BadTarget;

    /// `udp://HOST:PORT`, `srt://…`, `rtmp://…`, `rtmps://…`,
    /// `icecast://source:PASSWORD@HOST[:PORT]/MOUNT`, `file:PATH` (MPEG-TS) or `hls:DIR`.
    fn from_str(text: &str) -> Result<Self, BadTarget> {
        if let Some(rest) = text.strip_prefix("udp://") {
            let (host, port) =
                rest.rsplit_once(':').ok_or_else(|| BadTarget(format!("{text:?}: expected udp://HOST:PORT")))?;
            let port = port.parse().map_err(|_| BadTarget(format!("{text:?}: {port:?} is not a port")))?;
            return Ok(OutputTarget::Udp { host: host.to_owned(), port });
        }
        if text.starts_with("srt://") {
            return Ok(OutputTarget::Srt { uri: text.to_owned() });
        }
        if text.starts_with("rtmp://") || text.starts_with("rtmps://") {
            return Ok(OutputTarget::Rtmp { url: text.to_owned() });
        }
        if text.starts_with("icecast://") {
            return parse_icecast(text);
        }
        if let Some(path) = text.strip_prefix("file:") {
            return Ok(OutputTarget::File(PathBuf::from(path.trim_start_matches("//"))));
        }
        if let Some(dir) = text.strip_prefix("hls:") {
            return Ok(OutputTarget::Hls(PathBuf::from(dir)));
        }
        // Only the scheme is repeated: the rest may hold a secret.
        let scheme = text.split_once("://").map_or("", |(s, _)| s);
        Err(BadTarget(format!("{scheme:?}: {FORMS}")))
    }
}

/// `icecast://source:PASSWORD@HOST[:PORT]/MOUNT`: Icecast's source login (the only user a
/// source client logs in as), the server (port 8000 when absent) and the mount. The password
/// is percent-decoded, so `%40` stands for `@` and `%2F` for `/`. Messages never repeat it.
fn parse_icecast(text: &str) -> Result<OutputTarget, BadTarget> {
    const FORM: &str = "expected icecast://source:PASSWORD@HOST[:PORT]/MOUNT";
    let bad = |why: String| BadTarget(format!("icecast{why} ({FORM})"));
    let broken_escape = Cell::new(false);
    let note = |v: SyntaxViolation| {
        if v == SyntaxViolation::PercentDecode {
            broken_escape.set(true);
        }
    };
    let url = Url::options().syntax_violation_callback(Some(&note)).parse(text).map_err(|e| match e {
        url::ParseError::InvalidPort => bad(": bad port".into()),
        _ => bad(format!(": bad host ({e})")),
    })?;
    // The login as written (the parsed URL drops an empty password): all before the last `@`.
    let authority = text["icecast://".len()..].split('/').next().unwrap_or_default();
    let Some((login, server)) = authority.rsplit_once('@') else {
        return Err(bad(": no source:PASSWORD@".into()));
    };
    let Some((user, password)) = login.split_once(':') else {
        return Err(bad(": no password".into()));
    };
    if user != "source" {
        return Err(bad(format!(": the login is \"source\", not {user:?}")));
    }
    if password.is_empty() {
        return Err(bad(": empty password".into()));
    }
    let password = match url.password().map(|p| percent_encoding::percent_decode_str(p).decode_utf8()) {
        Some(Ok(p)) if !broken_escape.get() => p.into_owned(),
        _ => return Err(bad(": bad %-escape in the password".into())),
    };
    let mount = percent_encoding::percent_decode_str(url.path()).decode_utf8_lossy().into_owned();
    if url.path().is_empty() {
        return Err(bad(format!(" {server:?}: no /MOUNT")));
    }
    if mount.len() < 2 || mount.chars().any(|c| c.is_control() || c.is_whitespace() || c == '"') {
        return Err(bad(format!(" {server:?}: the mount must be a name like /radio.mp3")));
    }
    let port = url.port().unwrap_or(8000);
    if port == 0 {
        return Err(bad(format!(" {server:?}: bad port")));
    }
    let host = url.host_str().unwrap_or_default();
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)) {
        return Err(bad(format!(" {server:?}: bad host")));
    }
    Ok(OutputTarget::Icecast { host: host.to_owned(), port, mount, password })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_target(text: &str) -> Result<OutputTarget, String> {
        text.parse::<OutputTarget>().map_err(|e| e.to_string())
    }

    #[test]
    fn output_targets_parse_from_their_command_line_forms_and_bad_ones_say_why() {
        assert_eq!(
            parse_target("udp://239.1.1.1:5000").unwrap(),
            OutputTarget::Udp { host: "239.1.1.1".into(), port: 5000 }
        );
        assert_eq!(parse_target("file:/tmp/a.ts").unwrap(), OutputTarget::File("/tmp/a.ts".into()));
        assert_eq!(parse_target("hls:/tmp/h").unwrap(), OutputTarget::Hls("/tmp/h".into()));
        assert!(parse_target("udp://host").unwrap_err().contains("HOST:PORT"));
        assert!(parse_target("udp://host:http").unwrap_err().contains("not a port"));
        assert!(parse_target("ftp://x").unwrap_err().contains("expected"));
    }

    #[test]
    fn icecast_targets_parse_with_their_source_login_and_bad_forms_say_why_without_the_password() {
        let ice = |host: &str, port: u16, mount: &str, password: &str| OutputTarget::Icecast {
            host: host.into(),
            port,
            mount: mount.into(),
            password: password.into(),
        };
        assert_eq!(
            parse_target("icecast://source:hackme@radio.local:8001/city.mp3").unwrap(),
            ice("radio.local", 8001, "/city.mp3", "hackme")
        );
        assert_eq!(
            parse_target("icecast://source:p%40ss:w%2Fd@10.0.0.5/live/fm").unwrap(),
            ice("10.0.0.5", 8000, "/live/fm", "p@ss:w/d")
        );
        for (bad, why) in [
            ("icecast://radio.local:8000/city.mp3", "no source:PASSWORD@"),
            ("icecast://source@radio.local/city.mp3", "no password"),
            ("icecast://admin:secret1@radio.local/city.mp3", "not \"admin\""),
            ("icecast://source:@radio.local/city.mp3", "empty password"),
            ("icecast://source:secret1%4@radio.local/city.mp3", "bad %-escape"),
            ("icecast://source:secret1@radio.local:8000", "no /MOUNT"),
            ("icecast://source:secret1@radio.local:8000/", "mount must be a name"),
            ("icecast://source:secret1@radio.local:http/a.mp3", "bad port"),
            ("icecast://source:secret1@radio.local:0/a.mp3", "bad port"),
            ("icecast://source:secret1@:8000/a.mp3", "bad host"),
            ("icecast://source:secret1@ra\"dio/a.mp3", "bad host"),
        ] {
            let err = parse_target(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(!err.contains("secret1"), "{bad}: the password leaked into {err}");
        }
    }

    #[test]
    fn targets_are_shown_without_their_secrets() {
        let ice: OutputTarget = "icecast://source:secret1@radio.local/city.mp3".parse().unwrap();
        assert_eq!(ice.to_string(), "icecast http://radio.local:8000/city.mp3");
        let srt: OutputTarget = "srt://h:9000?mode=caller&passphrase=secret1xyz".parse().unwrap();
        assert!(!srt.to_string().contains("secret1"), "{srt}");
        let rtmp: OutputTarget = "rtmp://h/live/secret1key".parse().unwrap();
        assert_eq!(rtmp.to_string(), "rtmp rtmp://h/live/…");
        assert!(!"ftp://u:secret1@h".parse::<OutputTarget>().unwrap_err().to_string().contains("secret1"));
    }
}
