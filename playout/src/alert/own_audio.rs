//! An alert's own audio (CAP `resource` with an audio MIME type, an EBM `Auxiliary` MP3/WAV):
//! taken from the message when it carried the bytes, otherwise fetched once from its
//! `http(s)` URI and shared by every channel the alert airs on. Checked before it airs: the
//! digest must match when one is given, the size must be near the stated one (CAP calls it
//! approximate), and it must decode as audio (see [`super::decode`]). Anything else falls
//! back to synthesised speech, with the reason in the as-run.
//!
//! Fetching is deliberately narrow: `http`/`https` only, no redirects (a redirect could lead
//! the server to a URL the sender could not name), a time limit and a size limit.

use std::io::Read;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use schedules::emergency::alert::Resource;
use schedules::emergency::Alert;

/// Largest alert audio fetched or accepted, bytes (ten minutes of 256 kbit/s MP3 is ~19 MB).
pub const MAX_AUDIO_BYTES: u64 = 24 << 20;
/// Longest a fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The audio an alert brought, resolved at most once.
#[derive(Clone)]
pub struct OwnAudio {
    inner: Arc<Inner>,
}

struct Inner {
    resource: Resource,
    resolved: OnceLock<Result<Arc<[u8]>, String>>,
}

impl std::fmt::Debug for OwnAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnAudio").field("name", &self.name()).finish_non_exhaustive()
    }
}

impl OwnAudio {
    /// The first audio resource of `alert` that carries its bytes or an `http(s)` URI.
    pub fn of(alert: &Alert) -> Option<OwnAudio> {
        alert
            .resources
            .iter()
            .filter(|r| r.is_audio())
            .find(|r| r.content.is_some() || r.uri.as_deref().is_some_and(is_fetchable))
            .map(|r| OwnAudio { inner: Arc::new(Inner { resource: r.clone(), resolved: OnceLock::new() }) })
    }

    /// What the as-run calls it: the resource's description, else its URI.
    pub fn name(&self) -> String {
        let r = &self.inner.resource;
        if r.desc.trim().is_empty() {
            r.uri.clone().unwrap_or_else(|| "audio".to_owned())
        } else {
            r.desc.clone()
        }
    }

    /// The checked bytes (fetched on the first call; later calls wait for and share it).
    ///
    /// # Errors
    /// Why the audio cannot air: the fetch failed, the digest or size does not match.
    pub fn bytes(&self) -> Result<Arc<[u8]>, String> {
        self.inner.resolved.get_or_init(|| resolve(&self.inner.resource)).clone()
    }
}

fn is_fetchable(uri: &str) -> bool {
    let lower = uri.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn resolve(r: &Resource) -> Result<Arc<[u8]>, String> {
    let bytes = match (&r.content, &r.uri) {
        (Some(c), _) => c.clone(),
        (None, Some(uri)) if is_fetchable(uri) => fetch(uri)?,
        _ => return Err("the resource carries no audio and no http(s) URI".to_owned()),
    };
    check(r, &bytes)?;
    Ok(bytes)
}

/// Digest exact; size within 10 % (and 4 KiB) of the stated one.
fn check(r: &Resource, bytes: &[u8]) -> Result<(), String> {
    if let Some(d) = &r.digest {
        if !d.matches(bytes) {
            return Err(format!("its digest does not match the {} bytes received", bytes.len()));
        }
    }
    if let Some(size) = r.size {
        let got = bytes.len() as u64;
        let slack = (size / 10).max(4096);
        if got.abs_diff(size) > slack {
            return Err(format!("it says {size} bytes, {got} were received"));
        }
    }
    if bytes.is_empty() {
        return Err("it is empty".to_owned());
    }
    Ok(())
}

fn fetch(uri: &str) -> Result<Arc<[u8]>, String> {
    let agent =
        ureq::AgentBuilder::new().redirects(0).timeout_connect(Duration::from_secs(5)).timeout(FETCH_TIMEOUT).build();
    let response = match agent.get(uri).call() {
        Ok(r) if (200..300).contains(&r.status()) => r,
        Ok(r) => return Err(format!("fetching {uri}: HTTP {} (redirects are not followed)", r.status())),
        Err(ureq::Error::Status(code, _)) => return Err(format!("fetching {uri}: HTTP {code}")),
        Err(e) => return Err(format!("fetching {uri}: {e}")),
    };
    let mut out = Vec::new();
    response
        .into_reader()
        .take(MAX_AUDIO_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("fetching {uri}: {e}"))?;
    if out.len() as u64 > MAX_AUDIO_BYTES {
        return Err(format!("{uri} is larger than {} MiB", MAX_AUDIO_BYTES >> 20));
    }
    Ok(Arc::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use schedules::emergency::alert::ResourceDigest;

    fn resource(content: &[u8], size: Option<u64>, digest: Option<&str>) -> Resource {
        Resource {
            desc: "警报录音".into(),
            mime_type: "audio/mpeg".into(),
            size,
            uri: None,
            digest: digest.map(|d| ResourceDigest::parse(d).unwrap()),
            content: Some(Arc::from(content.to_vec())),
        }
    }

    #[test]
    fn digest_must_match_and_size_is_approximate() {
        let body = vec![7u8; 50_000];
        let sha = {
            use sha2::Digest as _;
            hex::encode(sha2::Sha256::digest(&body))
        };
        assert!(resolve(&resource(&body, Some(50_000), Some(&sha))).is_ok());
        assert!(resolve(&resource(&body, Some(52_000), None)).is_ok(), "within 10 %");
        let e = resolve(&resource(&body, Some(90_000), None)).unwrap_err();
        assert!(e.contains("90000"), "{e}");
        let wrong = "0".repeat(64);
        assert!(resolve(&resource(&body, None, Some(&wrong))).unwrap_err().contains("digest"));
    }

    #[test]
    fn only_http_is_fetched_and_redirects_are_not_followed() {
        let mut r = resource(b"", None, None);
        r.content = None;
        r.uri = Some("file:///etc/passwd".into());
        assert!(resolve(&r).unwrap_err().contains("no http(s) URI"));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            use std::io::Write;
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 1024];
                let _ = std::io::Read::read(&mut s, &mut buf);
                let _ = s
                    .write_all(b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n");
            }
        });
        r.uri = Some(format!("http://127.0.0.1:{port}/a.mp3"));
        let e = resolve(&r).unwrap_err();
        assert!(e.contains("302"), "{e}");
    }
}
