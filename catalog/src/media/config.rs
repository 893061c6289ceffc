//! [`MediaStoreConfig`]: where media is stored, and turning that into an `object_store`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::{ClientConfigKey, ObjectStore, RetryConfig};
use url::Url;

use super::{Key, MediaError};

/// The default `url`: a directory `data/media` under the working directory.
pub const DEFAULT_URL: &str = "data/media";

/// Where media is stored.
///
/// `url` is one of
/// - `file:///absolute/dir` — a local directory (created if missing). A plain path
///   (`/srv/kapok/media`, or `data/media` relative to the working directory) means the same;
/// - `s3://bucket/optional/prefix` — an S3-compatible bucket (AWS, MinIO, Ceph RGW, …).
///
/// The `s3_*` settings apply to `s3://` only; any left unset are taken from the usual
/// `AWS_*` environment variables (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, …),
/// then from the instance's role.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaStoreConfig {
    /// `file:///dir`, a plain directory path, or `s3://bucket/prefix`.
    pub url: String,
    /// The S3 endpoint, e.g. `http://minio.internal:9000`; unset for AWS itself.
    pub s3_endpoint: Option<String>,
    /// The S3 region (`us-east-1` when unset and not in the environment).
    pub s3_region: Option<String>,
    /// The access key id; set together with `s3_secret_access_key`.
    pub s3_access_key_id: Option<String>,
    /// The secret access key; set together with `s3_access_key_id`.
    pub s3_secret_access_key: Option<String>,
    /// Allow a plain-`http://` endpoint (a store on a trusted LAN or loopback).
    pub s3_allow_http: bool,
}

impl Default for MediaStoreConfig {
    fn default() -> Self {
        Self::with_url(DEFAULT_URL)
    }
}

impl fmt::Debug for MediaStoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaStoreConfig")
            .field("url", &self.url)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_region", &self.s3_region)
            .field("s3_access_key_id", &self.s3_access_key_id)
            .field("s3_secret_access_key", &self.s3_secret_access_key.as_ref().map(|_| "<redacted>"))
            .field("s3_allow_http", &self.s3_allow_http)
            .finish()
    }
}

/// A parsed `url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    Local { root: PathBuf },
    S3 { bucket: String, prefix: String },
}

/// An opened backend: the store for data, a fail-fast twin for health probes.
pub(crate) struct Backend {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) health: Arc<dyn ObjectStore>,
    pub(crate) prefix: String,
    pub(crate) local_root: Option<PathBuf>,
    pub(crate) description: String,
}

impl MediaStoreConfig {
    /// A configuration with only `url` set.
    pub fn with_url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            s3_endpoint: None,
            s3_region: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_allow_http: false,
        }
    }

    /// Parses `url`.
    pub(crate) fn location(&self) -> Result<Location, MediaError> {
        parse_location(&self.url)
    }

    /// Opens the backend `url` names (creating a local directory if needed).
    pub(crate) fn open(&self) -> Result<Backend, MediaError> {
        match self.location()? {
            Location::Local { root } => open_local(root),
            Location::S3 { bucket, prefix } => self.open_s3(bucket, prefix),
        }
    }

    fn open_s3(&self, bucket: String, prefix: String) -> Result<Backend, MediaError> {
        // Start from the AWS_* environment; the explicit settings override it.
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&bucket);
        let allow_http = self.s3_allow_http
            || builder
                .get_config_value(&AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp))
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if let Some(endpoint) = non_empty(&self.s3_endpoint) {
            builder = builder.with_endpoint(endpoint);
        }
        let endpoint = builder.get_config_value(&AmazonS3ConfigKey::Endpoint);
        if let Some(endpoint) = &endpoint {
            check_endpoint(endpoint, allow_http)?;
        }
        if let Some(region) = non_empty(&self.s3_region) {
            builder = builder.with_region(region);
        }
        match (non_empty(&self.s3_access_key_id), non_empty(&self.s3_secret_access_key)) {
            (Some(id), Some(secret)) => {
                builder = builder.with_access_key_id(id).with_secret_access_key(secret);
            }
            (None, None) => {}
            (Some(_), None) => return Err(missing("s3_secret_access_key", "s3_access_key_id")),
            (None, Some(_)) => return Err(missing("s3_access_key_id", "s3_secret_access_key")),
        }
        builder = builder.with_allow_http(allow_http);
        // A part of several MiB over a slow county link may take minutes.
        let data = timeouts(builder.clone(), "10s", "300s").with_retry(RetryConfig::default());
        // The health probe answers within seconds and never retries.
        let probe = timeouts(builder, "3s", "5s").with_retry(RetryConfig {
            max_retries: 0,
            retry_timeout: Duration::from_secs(5),
            ..RetryConfig::default()
        });
        let description = match prefix.as_str() {
            "" => format!("s3://{bucket}"),
            p => format!("s3://{bucket}/{p}"),
        };
        let description = format!("{description} at {}", endpoint.as_deref().unwrap_or("AWS"));
        Ok(Backend { store: build_s3(data)?, health: build_s3(probe)?, prefix, local_root: None, description })
    }
}

pub(crate) fn open_local(root: PathBuf) -> Result<Backend, MediaError> {
    std::fs::create_dir_all(&root).map_err(|e| MediaError::Config {
        setting: "url",
        reason: format!("cannot create the media directory {}: {e}", root.display()),
    })?;
    let local = LocalFileSystem::new_with_prefix(&root)
        .map_err(|e| MediaError::Config {
            setting: "url",
            reason: format!("cannot use the media directory {}: {e}", root.display()),
        })?
        .with_automatic_cleanup(true);
    let store: Arc<dyn ObjectStore> = Arc::new(local);
    Ok(Backend {
        health: Arc::clone(&store),
        store,
        prefix: String::new(),
        description: format!("directory {}", root.display()),
        local_root: Some(root),
    })
}

fn timeouts(builder: AmazonS3Builder, connect: &str, request: &str) -> AmazonS3Builder {
    builder
        .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout), connect)
        .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), request)
}

fn build_s3(builder: AmazonS3Builder) -> Result<Arc<dyn ObjectStore>, MediaError> {
    let store = builder
        .build()
        .map_err(|e| MediaError::Config { setting: "url", reason: format!("cannot configure the S3 client: {e}") })?;
    Ok(Arc::new(store))
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn missing(setting: &'static str, other: &str) -> MediaError {
    MediaError::Config { setting, reason: format!("`{other}` is set but `{setting}` is not; set both or neither") }
}

fn check_endpoint(endpoint: &str, allow_http: bool) -> Result<(), MediaError> {
    let invalid = |reason: String| MediaError::Config { setting: "s3_endpoint", reason };
    let url = Url::parse(endpoint)
        .map_err(|e| invalid(format!("{endpoint:?} is not a URL ({e}); expected e.g. http://127.0.0.1:9000")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http => Ok(()),
        "http" => Err(invalid(format!("{endpoint:?} is plain http; set `s3_allow_http = true` to allow it"))),
        other => Err(invalid(format!("{endpoint:?} has scheme `{other}`; expected http or https"))),
    }
}

/// Parses the `url` setting.
pub(crate) fn parse_location(text: &str) -> Result<Location, MediaError> {
    let text = text.trim();
    let invalid = |reason: String| MediaError::Config { setting: "url", reason };
    if text.is_empty() {
        return Err(invalid("it is empty; expected file:///absolute/dir or s3://bucket/prefix".into()));
    }
    if !text.contains("://") && !text.starts_with("file:") {
        let root =
            std::path::absolute(text).map_err(|e| invalid(format!("cannot resolve the directory {text:?}: {e}")))?;
        return Ok(Location::Local { root });
    }
    let url = Url::parse(text).map_err(|e| invalid(format!("{text:?} is not a URL: {e}")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(format!("{text:?} has a query or fragment, which mean nothing here")));
    }
    match url.scheme() {
        "file" => {
            if url.host_str().is_some_and(|h| !h.is_empty()) {
                return Err(invalid(format!("{text:?} names a host; a file URL needs an absolute path: file:///dir")));
            }
            let root = url.to_file_path().map_err(|()| invalid(format!("{text:?} is not an absolute file path")))?;
            Ok(Location::Local { root })
        }
        "s3" => {
            if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
                return Err(invalid(format!(
                    "{text:?}: put credentials and the endpoint in the s3_* settings, not the URL"
                )));
            }
            // `Url` resolves dot segments; a prefix that needs them is a mistake, not a path.
            let raw_path = text["s3://".len()..].split_once('/').map_or("", |(_, p)| p);
            if raw_path.split('/').any(|s| s == "." || s == "..") {
                return Err(invalid(format!("{text:?} has an invalid prefix: '.' or '..' segments")));
            }
            let bucket = url.host_str().unwrap_or_default().to_owned();
            check_bucket(&bucket).map_err(|reason| invalid(format!("{text:?}: {reason}")))?;
            let prefix = url.path().trim_matches('/').to_owned();
            if !prefix.is_empty() {
                Key::parse(prefix.as_str()).map_err(|e| invalid(format!("{text:?} has an invalid prefix: {e}")))?;
            }
            Ok(Location::S3 { bucket, prefix })
        }
        other => Err(invalid(format!("{text:?} has the unsupported scheme `{other}`; expected file:// or s3://"))),
    }
}

/// S3 bucket naming rules (the subset that matters for path-style and virtual-host access).
fn check_bucket(bucket: &str) -> Result<(), String> {
    if bucket.is_empty() {
        return Err("no bucket; expected s3://bucket/prefix".into());
    }
    let valid_chars = bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let valid_ends = bucket
        .bytes()
        .next()
        .zip(bucket.bytes().last())
        .is_some_and(|(a, z)| a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric());
    if !(3..=63).contains(&bucket.len()) || !valid_chars || !valid_ends {
        return Err(format!(
            "bucket {bucket:?} is not a valid S3 bucket name \
             (3-63 lowercase letters, digits, '-' or '.')"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_error(text: &str) -> (String, String) {
        match parse_location(text) {
            Err(MediaError::Config { setting, reason }) => (setting.to_owned(), reason),
            other => panic!("{text:?} should be rejected, got {other:?}"),
        }
    }

    #[test]
    fn parses_file_urls() {
        assert_eq!(
            parse_location("file:///srv/kapok/media").ok(),
            Some(Location::Local { root: "/srv/kapok/media".into() })
        );
    }

    #[test]
    fn plain_paths_are_local_directories_resolved_against_the_working_directory() {
        let expected = std::env::current_dir().map(|d| d.join("data/media")).ok();
        match parse_location("data/media") {
            Ok(Location::Local { root }) => assert_eq!(Some(root), expected),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_location("/abs/dir").ok(), Some(Location::Local { root: "/abs/dir".into() }));
    }

    #[test]
    fn parses_s3_urls_with_and_without_prefix() {
        assert_eq!(
            parse_location("s3://kapok-media/network/510400/").ok(),
            Some(Location::S3 { bucket: "kapok-media".into(), prefix: "network/510400".into() })
        );
        assert_eq!(
            parse_location("s3://kapok-media").ok(),
            Some(Location::S3 { bucket: "kapok-media".into(), prefix: String::new() })
        );
    }

    #[test]
    fn rejects_unsupported_schemes_naming_the_setting() {
        let (setting, reason) = config_error("ftp://host/dir");
        assert_eq!(setting, "url");
        assert!(reason.contains("unsupported scheme `ftp`"), "{reason}");
    }

    #[test]
    fn rejects_relative_file_urls() {
        let (_, reason) = config_error("file://data/media");
        assert!(reason.contains("absolute"), "{reason}");
    }

    #[test]
    fn rejects_bad_buckets_and_prefixes() {
        assert!(config_error("s3:///prefix").1.contains("no bucket"));
        assert!(config_error("s3://Bad_Bucket/x").1.contains("bucket"));
        assert!(config_error("s3://bucket/a/../b").1.contains("prefix"));
        assert!(config_error("s3://key:secret@bucket/x").1.contains("s3_*"));
    }

    #[test]
    fn rejects_an_empty_url() {
        assert!(config_error("  ").1.contains("empty"));
    }

    #[test]
    fn rejects_plain_http_endpoints_unless_allowed() {
        let mut config = MediaStoreConfig::with_url("s3://bucket");
        config.s3_endpoint = Some("http://127.0.0.1:9000".into());
        match config.open() {
            Err(MediaError::Config { setting, reason }) => {
                assert_eq!(setting, "s3_endpoint");
                assert!(reason.contains("s3_allow_http"), "{reason}");
            }
            other => panic!("{:?}", other.err()),
        }
        config.s3_allow_http = true;
        assert!(config.open().is_ok());
    }

    #[test]
    fn rejects_half_of_a_credential_pair() {
        let mut config = MediaStoreConfig::with_url("s3://bucket");
        config.s3_access_key_id = Some("id".into());
        match config.open() {
            Err(MediaError::Config { setting, .. }) => assert_eq!(setting, "s3_secret_access_key"),
            other => panic!("{:?}", other.err()),
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let mut config = MediaStoreConfig::with_url("s3://bucket");
        config.s3_secret_access_key = Some("hunter2".into());
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
