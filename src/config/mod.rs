//! Configuration: `kapok.toml`, then `KAPOK_*` environment variables over it, then defaults
//! derived from the data directory. Every problem names the setting it is about.

pub mod alerts;
pub mod ebd;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use catalog::ids::CentreCode;
use catalog::media::MediaStoreConfig;
use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use ingest::targets::LoudnessTargets;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The resolved configuration of a Kapok process.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The data directory: SQLite file, local media, HLS previews, caches.
    pub data: PathBuf,
    pub listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// Where media objects live (`file://` or `s3://`) and how to reach an S3 server.
    pub storage: MediaStoreConfig,
    pub log_format: LogFormat,
    /// A directory served as the browser UI in place of the one embedded in the binary (for UI
    /// development: `ui/dist` of a checkout); `None`, the default: the embedded UI.
    pub ui_dir: Option<PathBuf>,
    /// An unfinished upload receiving nothing for this long is swept away (default 24 h).
    pub upload_expiry: std::time::Duration,
    /// The largest upload accepted, bytes (default 200 GiB).
    pub upload_max_bytes: u64,
    /// Watch folders: `<watch_dir>/<centre code>/` per centre (none when unset).
    pub watch_dir: Option<PathBuf>,
    /// Signed emergency-alert sources (see `alert_sources`).
    pub alerts: crate::config::alerts::AlertSources,
    /// The emergency-broadcast platform exchange, when `ebd_ebrid` is set (see `config::ebd`).
    pub ebd: Option<crate::config::ebd::EbdSettings>,
    /// Ranked searches run in the database at once, the rest waiting their turn (default
    /// `cores × 3 / 2 + 1`; see [`catalog::Store::set_search_concurrency`]).
    pub search_concurrency: usize,
    /// The loudness each producing centre's programmes are normalised to at ingest.
    pub loudness: LoudnessTargets,
    /// Ingest jobs `kapok serve` runs at once beside the API (default 1); 0 runs no worker
    /// in the server, leaving ingest to `kapok worker` processes.
    pub worker_concurrency: usize,
    /// How long an ingest worker's claim on a job lasts without a heartbeat (default 60 s):
    /// the time a job of a worker that died waits before another worker takes it over.
    pub worker_lease: std::time::Duration,
    /// Outputs of `kapok serve`'s own channels besides their HLS preview, by channel slug
    /// (`channel_outputs = ["city-tv=udp://239.1.1.1:5000"]`): e.g. the transmitter's feed.
    pub channel_outputs: Vec<(String, playout::OutputTarget)>,
    /// The HTTP listener's header and idle timeouts and connection cap (defaults 10 s, 60 s,
    /// 512; `http_header_timeout_s`, `http_idle_timeout_s`, `http_max_connections`).
    pub http: crate::connections::HttpLimits,
    /// Bytes each centre may hold in the media store, files and unfinished uploads (default:
    /// no quota); checked when an upload is created.
    pub upload_quota_bytes: Option<u64>,
    /// Free space a local media store keeps: uploads that would leave less are refused with
    /// 507 (default 2 GiB).
    pub store_free_min_bytes: u64,
    /// Networks whose addresses sign in without the per-address login limit (a county's NAT
    /// of emergency operators); their usernames stay limited. Default: none.
    pub login_trusted_networks: Vec<web::auth::ratelimit::Network>,
}

/// A configuration problem, naming the setting (file key and environment variable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(setting: &str, message: impl Into<String>) -> Self {
        Self { setting: setting.to_string(), message: message.into() }
    }
}

/// The layered form (defaults, then `kapok.toml`, then `KAPOK_*` variables): every key
/// optional, unknown keys refused. Environment values arrive as text; [`lenient`] reads a
/// number, a flag or a list from text or from its TOML form alike.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    listen: Option<String>,
    database_url: Option<String>,
    storage_url: Option<String>,
    s3_endpoint: Option<String>,
    s3_region: Option<String>,
    s3_access_key_id: Option<String>,
    s3_secret_access_key: Option<SecretString>,
    #[serde(default, deserialize_with = "lenient::flag")]
    s3_allow_http: Option<bool>,
    log_format: Option<LogFormat>,
    ui_dir: Option<PathBuf>,
    #[serde(default, deserialize_with = "lenient::number")]
    upload_expiry_s: Option<u64>,
    #[serde(default, deserialize_with = "lenient::number")]
    upload_max_bytes: Option<u64>,
    watch_dir: Option<PathBuf>,
    #[serde(default, deserialize_with = "lenient::list")]
    alert_cap_keys: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::list")]
    alert_sm2_keys: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::list")]
    alert_sm2_certs: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::number")]
    alert_replay_max_age_s: Option<u32>,
    #[serde(default, deserialize_with = "lenient::list")]
    alert_feeds: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::number")]
    alert_feed_interval_s: Option<u32>,
    #[serde(default, deserialize_with = "lenient::flag")]
    alert_feed_allow_unsigned: Option<bool>,
    alert_policy_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "lenient::number")]
    alert_retention_days: Option<u32>,
    alert_coverage_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "lenient::list")]
    alert_drill_channels: Option<Vec<String>>,
    ebd_ebrid: Option<String>,
    ebd_platform_ebrid: Option<String>,
    ebd_platform_url: Option<String>,
    ebd_url: Option<String>,
    ebd_signing_key_file: Option<PathBuf>,
    ebd_cert_sn: Option<String>,
    #[serde(default, deserialize_with = "lenient::number")]
    ebd_heartbeat_s: Option<u64>,
    ebd_routine_policy: Option<String>,
    #[serde(default, deserialize_with = "lenient::number")]
    search_concurrency: Option<u64>,
    #[serde(default, deserialize_with = "lenient::number")]
    loudness_target: Option<f64>,
    /// A table `{ 510421 = -23 }`, a list `["510421=-23"]`, or (environment) `510421=-23,…`.
    loudness_targets: Option<toml::Value>,
    #[serde(default, deserialize_with = "lenient::number")]
    worker_concurrency: Option<u64>,
    #[serde(default, deserialize_with = "lenient::number")]
    worker_lease_s: Option<u64>,
    #[serde(default, deserialize_with = "lenient::list")]
    channel_outputs: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::number")]
    http_header_timeout_s: Option<u64>,
    #[serde(default, deserialize_with = "lenient::number")]
    http_idle_timeout_s: Option<u64>,
    #[serde(default, deserialize_with = "lenient::number")]
    http_max_connections: Option<u64>,
    #[serde(default, deserialize_with = "lenient::number")]
    upload_quota_bytes: Option<u64>,
    #[serde(default, deserialize_with = "lenient::number")]
    store_free_min_bytes: Option<u64>,
    #[serde(default, deserialize_with = "lenient::list")]
    login_trusted_networks: Option<Vec<String>>,
}

/// Every setting's key in `kapok.toml`; the variable `KAPOK_<KEY>` (upper case) overrides it.
pub const SETTINGS: &[&str] = &[
    "data",
    "listen",
    "database_url",
    "storage_url",
    "s3_endpoint",
    "s3_region",
    "s3_access_key_id",
    "s3_secret_access_key",
    "s3_allow_http",
    "log_format",
    "ui_dir",
    "upload_expiry_s",
    "upload_max_bytes",
    "watch_dir",
    "alert_cap_keys",
    "alert_sm2_keys",
    "alert_sm2_certs",
    "alert_replay_max_age_s",
    "alert_feeds",
    "alert_feed_interval_s",
    "alert_feed_allow_unsigned",
    "alert_policy_file",
    "alert_retention_days",
    "alert_coverage_file",
    "alert_drill_channels",
    "ebd_ebrid",
    "ebd_platform_ebrid",
    "ebd_platform_url",
    "ebd_url",
    "ebd_signing_key_file",
    "ebd_cert_sn",
    "ebd_heartbeat_s",
    "ebd_routine_policy",
    "search_concurrency",
    "loudness_target",
    "loudness_targets",
    "worker_concurrency",
    "worker_lease_s",
    "channel_outputs",
    "http_header_timeout_s",
    "http_idle_timeout_s",
    "http_max_connections",
    "upload_quota_bytes",
    "store_free_min_bytes",
    "login_trusted_networks",
];

/// How an error names a setting: `KAPOK_LISTEN (listen)`.
pub fn setting_name(key: &str) -> String {
    format!("KAPOK_{} ({key})", key.to_ascii_uppercase())
}

/// The `KAPOK_*` variables of an environment, each as text under its file key.
struct Environment<'a>(&'a BTreeMap<String, String>);

impl Provider for Environment<'_> {
    fn metadata(&self) -> Metadata {
        Metadata::named("KAPOK_* environment variables")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict: Dict = SETTINGS
            .iter()
            .filter_map(|key| {
                let value = self.0.get(&format!("KAPOK_{}", key.to_ascii_uppercase()))?;
                Some((key.to_string(), Value::from(value.clone())))
            })
            .collect();
        Ok(Profile::Default.collect(dict))
    }
}

/// A layering error as a `ConfigError` naming the setting (or the file, for a key that is
/// not a setting).
fn layer_error(e: figment::Error, origin: &str) -> ConfigError {
    let message = e.kind.to_string();
    match e.path.last() {
        Some(key) if SETTINGS.contains(&key.as_str()) => ConfigError::new(&setting_name(key), message),
        _ => ConfigError::new(origin, message),
    }
}

/// The most ingest jobs one process runs at once: each job's FFmpeg children use several
/// cores, so more is a typo rather than a machine.
pub const MAX_WORKER_CONCURRENCY: usize = 64;

const LOUDNESS_TARGET: &str = "KAPOK_LOUDNESS_TARGET (loudness_target)";
pub(crate) const LOUDNESS_TARGETS: &str = "KAPOK_LOUDNESS_TARGETS (loudness_targets)";

impl Config {
    /// Loads `file` (when given it must exist; otherwise `./kapok.toml` is read if present),
    /// applies the `KAPOK_*` variables of `env`, and fills in defaults.
    ///
    /// # Errors
    /// A `ConfigError` naming the first bad setting.
    pub fn load(file: Option<&Path>, env: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let (path, origin) = match file {
            Some(p) if !p.is_file() => {
                return Err(ConfigError::new("--config", format!("{}: no such file", p.display())))
            }
            Some(p) => (Some(p.to_path_buf()), p.display().to_string()),
            None => {
                let here = PathBuf::from("kapok.toml");
                (here.is_file().then_some(here), "kapok.toml".to_string())
            }
        };
        let figment = match path {
            Some(p) => Figment::from(Toml::file_exact(p)),
            None => Figment::new(),
        };
        Self::layered(figment, &origin, env)
    }

    /// Defaults only (plus the environment): what `kapok serve` uses on a fresh machine.
    ///
    /// # Errors
    /// A `ConfigError` naming the first bad setting.
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        Self::layered(Figment::new(), "kapok.toml", env)
    }

    /// `file` (a figment of the configuration file), the environment over it, then defaults.
    fn layered(file: Figment, origin: &str, env: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let f: FileConfig = file.merge(Environment(env)).extract().map_err(|e| layer_error(e, origin))?;
        Self::resolve(f)
    }

    fn resolve(f: FileConfig) -> Result<Self, ConfigError> {
        let replay_age = f.alert_replay_max_age_s.map(|s| s.to_string());
        let data = f.data.unwrap_or_else(|| PathBuf::from("data"));
        if data.as_os_str().is_empty() {
            return Err(ConfigError::new("KAPOK_DATA (data)", "must not be empty"));
        }
        let data_abs = std::path::absolute(&data)
            .map_err(|e| ConfigError::new("KAPOK_DATA (data)", format!("{}: {e}", data.display())))?;
        let listen_text = f.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = listen_text.parse().map_err(|_| {
            ConfigError::new("KAPOK_LISTEN (listen)", format!("{listen_text:?} is not an address like 127.0.0.1:8080"))
        })?;
        let database_url =
            f.database_url.unwrap_or_else(|| format!("sqlite://{}", data_abs.join("kapok.db").display()));
        check_scheme("KAPOK_DATABASE_URL (database_url)", &database_url, &["sqlite", "postgres", "postgresql"])?;
        let storage_url = f.storage_url.unwrap_or_else(|| format!("file://{}", data_abs.join("media").display()));
        check_scheme("KAPOK_STORAGE_URL (storage_url)", &storage_url, &["file", "s3"])?;
        let loudness = loudness_targets(f.loudness_target, f.loudness_targets.as_ref())?;
        let worker_concurrency = match f.worker_concurrency.map(usize::try_from) {
            None => 1,
            Some(Ok(n)) if n <= MAX_WORKER_CONCURRENCY => n,
            Some(_) => {
                return Err(ConfigError::new(
                    "KAPOK_WORKER_CONCURRENCY (worker_concurrency)",
                    format!("must be 0 (no worker in the server) to {MAX_WORKER_CONCURRENCY}"),
                ))
            }
        };
        // Heartbeats come every third of the lease: under 3 s a busy database could miss one.
        let worker_lease = match f.worker_lease_s.unwrap_or(60) {
            s @ 3..=3600 => std::time::Duration::from_secs(s),
            _ => return Err(ConfigError::new("KAPOK_WORKER_LEASE_S (worker_lease_s)", "must be 3 to 3600 seconds")),
        };
        let http = http_limits(f.http_header_timeout_s, f.http_idle_timeout_s, f.http_max_connections)?;
        let log_format = f.log_format.unwrap_or_default();
        Ok(Self {
            data: data_abs,
            listen,
            database_url,
            storage: MediaStoreConfig {
                url: storage_url,
                s3_endpoint: f.s3_endpoint,
                s3_region: f.s3_region,
                s3_access_key_id: f.s3_access_key_id,
                s3_secret_access_key: f.s3_secret_access_key.map(|s| s.expose_secret().to_string()),
                s3_allow_http: f.s3_allow_http.unwrap_or(false),
            },
            log_format,
            ui_dir: f.ui_dir,
            upload_expiry: std::time::Duration::from_secs(match f.upload_expiry_s {
                Some(0) => {
                    return Err(ConfigError::new("KAPOK_UPLOAD_EXPIRY_S (upload_expiry_s)", "must be at least 1"))
                }
                Some(s) => s,
                None => 24 * 3600,
            }),
            upload_max_bytes: f.upload_max_bytes.unwrap_or(200 * 1024 * 1024 * 1024),
            search_concurrency: match f.search_concurrency {
                None => catalog::store::default_search_concurrency(),
                Some(n @ 1..=1024) => n as usize,
                Some(n) => {
                    return Err(ConfigError::new(
                        "KAPOK_SEARCH_CONCURRENCY (search_concurrency)",
                        format!("{n} is not between 1 and 1024"),
                    ))
                }
            },
            watch_dir: f.watch_dir.map(|d| std::path::absolute(&d).unwrap_or(d)),
            alerts: crate::config::alerts::AlertSources::parse(
                &f.alert_cap_keys.unwrap_or_default(),
                &f.alert_sm2_keys.unwrap_or_default(),
                replay_age.as_deref(),
            )?
            .with_feeds(
                f.alert_feeds.unwrap_or_default(),
                f.alert_feed_interval_s,
                f.alert_feed_allow_unsigned.unwrap_or(false),
            )?
            .with_policy_file(f.alert_policy_file)
            .with_coverage_file(f.alert_coverage_file)
            .with_retention_days(f.alert_retention_days)?
            .with_drill_channels(f.alert_drill_channels)
            .with_sm2_certs(f.alert_sm2_certs.unwrap_or_default().into_iter().map(PathBuf::from).collect()),
            ebd: crate::config::ebd::EbdSettings::parse(crate::config::ebd::EbdRaw {
                ebrid: f.ebd_ebrid,
                platform_ebrid: f.ebd_platform_ebrid,
                platform_url: f.ebd_platform_url,
                url: f.ebd_url,
                signing_key_file: f.ebd_signing_key_file,
                cert_sn: f.ebd_cert_sn,
                heartbeat_s: f.ebd_heartbeat_s,
                routine_policy: f.ebd_routine_policy,
            })?,
            loudness,
            worker_concurrency,
            worker_lease,
            channel_outputs: channel_outputs(f.channel_outputs.unwrap_or_default())?,
            http,
            upload_quota_bytes: match f.upload_quota_bytes {
                Some(0) => return Err(ConfigError::new(&setting_name("upload_quota_bytes"), "must be at least 1")),
                q => q,
            },
            store_free_min_bytes: f.store_free_min_bytes.unwrap_or(2 * 1024 * 1024 * 1024),
            login_trusted_networks: f
                .login_trusted_networks
                .unwrap_or_default()
                .iter()
                .map(|n| web::auth::ratelimit::Network::parse(n))
                .collect::<Result<_, _>>()
                .map_err(|e| ConfigError::new(&setting_name("login_trusted_networks"), e))?,
        })
    }
}

/// `slug=TARGET` pairs (a target as `kapok playout --output` takes it).
fn channel_outputs(pairs: Vec<String>) -> Result<Vec<(String, playout::OutputTarget)>, ConfigError> {
    let setting = setting_name("channel_outputs");
    pairs
        .into_iter()
        .map(|pair| {
            let (slug, target) = pair
                .split_once('=')
                .filter(|(s, _)| !s.trim().is_empty())
                .ok_or_else(|| ConfigError::new(&setting, format!("{pair:?} is not SLUG=TARGET")))?;
            let target = target.trim().parse().map_err(|e| ConfigError::new(&setting, format!("{pair:?}: {e}")))?;
            Ok((slug.trim().to_owned(), target))
        })
        .collect()
}

/// The HTTP listener's limits from their settings, each within a range that keeps the server
/// usable (a 1 s header timeout would drop slow mobile clients; a cap under 16 would starve
/// the UI's parallel requests).
fn http_limits(
    header_s: Option<u64>,
    idle_s: Option<u64>,
    max_connections: Option<u64>,
) -> Result<crate::connections::HttpLimits, ConfigError> {
    let d = crate::connections::HttpLimits::default();
    let secs = |v: Option<u64>, key: &str, range: std::ops::RangeInclusive<u64>, default: std::time::Duration| match v {
        None => Ok(default),
        Some(s) if range.contains(&s) => Ok(std::time::Duration::from_secs(s)),
        Some(_) => {
            Err(ConfigError::new(&setting_name(key), format!("must be {} to {} seconds", range.start(), range.end())))
        }
    };
    Ok(crate::connections::HttpLimits {
        header_timeout: secs(header_s, "http_header_timeout_s", 2..=300, d.header_timeout)?,
        idle_timeout: secs(idle_s, "http_idle_timeout_s", 5..=3600, d.idle_timeout)?,
        max_connections: match max_connections {
            None => d.max_connections,
            Some(n @ 16..=65_536) => n as usize,
            Some(_) => return Err(ConfigError::new(&setting_name("http_max_connections"), "must be 16 to 65536")),
        },
    })
}

/// The network default (`loudness_target`, GY/T 282's −24 LKFS when unset) and each centre's
/// own level (`loudness_targets`), each within [`LoudnessTargets::RANGE_LKFS`].
fn loudness_targets(default: Option<f64>, centres: Option<&toml::Value>) -> Result<LoudnessTargets, ConfigError> {
    let level = |setting: &str, lkfs: f64| {
        LoudnessTargets::house_target(lkfs).map_err(|e| match e {
            ingest::IngestError::InvalidOptions(m) => ConfigError::new(setting, m),
            other => ConfigError::new(setting, other.to_string()),
        })
    };
    let mut targets = match default {
        Some(lkfs) => LoudnessTargets::new(level(LOUDNESS_TARGET, lkfs)?),
        None => LoudnessTargets::default(),
    };
    let bad = |m: String| ConfigError::new(LOUDNESS_TARGETS, m);
    // The environment's form, `510421=-23, 510402=-23`, is the list's.
    let (centres, split) = match centres {
        Some(toml::Value::String(text)) => (
            Some(&toml::Value::Array(Vec::new())),
            lenient::split(text).into_iter().map(toml::Value::String).collect::<Vec<_>>(),
        ),
        other => (other, Vec::new()),
    };
    let entries: Vec<(String, f64)> = match centres {
        None => Vec::new(),
        Some(toml::Value::Table(t)) => t
            .iter()
            .map(|(code, v)| match v {
                toml::Value::Float(x) => Ok((code.clone(), *x)),
                toml::Value::Integer(n) => Ok((code.clone(), *n as f64)),
                other => Err(bad(format!("{code} = {other}: the level is not LKFS"))),
            })
            .collect::<Result<_, _>>()?,
        Some(toml::Value::Array(list)) => list
            .iter()
            .chain(&split)
            .map(|v| {
                let entry = v.as_str().ok_or_else(|| bad(format!("{v} is not \"CODE=LKFS\"")))?;
                let (code, lkfs) = entry.split_once('=').ok_or_else(|| bad(format!("{entry:?} is not CODE=LKFS")))?;
                let lkfs = lkfs.trim().parse().map_err(|_| bad(format!("{entry:?}: {:?} is not LKFS", lkfs.trim())))?;
                Ok((code.trim().to_string(), lkfs))
            })
            .collect::<Result<_, ConfigError>>()?,
        Some(other) => return Err(bad(format!("{other} is neither a table nor a list"))),
    };
    for (code, lkfs) in entries {
        let centre = CentreCode::parse(&code).map_err(|e| bad(e.to_string()))?;
        if targets.centres().any(|(c, _)| *c == centre) {
            return Err(bad(format!("{code} is given twice")));
        }
        let target = level(LOUDNESS_TARGETS, lkfs).map_err(|e| bad(format!("{code}: {}", e.message)))?;
        targets = targets.with_centre(centre, target);
    }
    Ok(targets)
}

fn check_scheme(setting: &str, value: &str, allowed: &[&str]) -> Result<(), ConfigError> {
    let scheme = value.split_once("://").map(|(s, _)| s).unwrap_or("");
    if allowed.contains(&scheme) {
        Ok(())
    } else {
        let shown = catalog::store::redact(value);
        Err(ConfigError::new(setting, format!("{shown:?} must start with one of: {}", allowed.join("://, ") + "://")))
    }
}

/// Settings that arrive as text from the environment and typed from TOML: either form is
/// read, and text that does not parse says what was expected.
mod lenient {
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Typed<T> {
        Value(T),
        Text(String),
    }

    /// A number: TOML's, or text that parses as one.
    pub fn number<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de> + FromStr,
    {
        match Option::<Typed<T>>::deserialize(d)? {
            None => Ok(None),
            Some(Typed::Value(v)) => Ok(Some(v)),
            Some(Typed::Text(s)) => {
                s.trim().parse().map(Some).map_err(|_| serde::de::Error::custom(format!("{s:?} is not a number")))
            }
        }
    }

    /// A flag: TOML's boolean, or `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0` (empty: false).
    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match Option::<Typed<bool>>::deserialize(d)? {
            None => Ok(None),
            Some(Typed::Value(v)) => Ok(Some(v)),
            Some(Typed::Text(s)) => match s.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(Some(true)),
                "0" | "false" | "no" | "off" | "" => Ok(Some(false)),
                _ => Err(serde::de::Error::custom(format!("{s:?} is not true or false"))),
            },
        }
    }

    /// A list: TOML's, or comma-separated text (blanks dropped).
    pub fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        Ok(Option::<Typed<Vec<String>>>::deserialize(d)?.map(|l| match l {
            Typed::Value(v) => v,
            Typed::Text(s) => split(&s),
        }))
    }

    /// A comma-separated list, blanks dropped.
    pub fn split(text: &str) -> Vec<String> {
        text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// `file` as kapok.toml, with `env` over it.
    fn resolve(file: &str, env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        Config::layered(Figment::from(Toml::string(file)), "kapok.toml", env)
    }

    #[test]
    fn defaults_live_under_the_data_directory() {
        let c = Config::from_env(&env(&[("KAPOK_DATA", "/srv/kapok")])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite:///srv/kapok/kapok.db");
        assert_eq!(c.storage.url, "file:///srv/kapok/media");
        assert_eq!(c.log_format, LogFormat::Text);
    }

    #[test]
    fn channel_outputs_are_slug_target_pairs_and_a_bad_one_is_named() {
        let c =
            Config::from_env(&env(&[("KAPOK_CHANNEL_OUTPUTS", "city-tv=udp://127.0.0.1:5000, fm=file:/tmp/fm.ts")]))
                .unwrap();
        let slugs: Vec<&str> = c.channel_outputs.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(slugs, ["city-tv", "fm"]);
        for bad in ["udp://127.0.0.1:5000", "city-tv=gopher://x", "=udp://127.0.0.1:5000"] {
            let err = Config::from_env(&env(&[("KAPOK_CHANNEL_OUTPUTS", bad)])).unwrap_err();
            assert_eq!(err.setting, "KAPOK_CHANNEL_OUTPUTS (channel_outputs)", "{bad}: {err:?}");
        }
    }

    #[test]
    fn environment_overrides_the_file() {
        let file = "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"";
        let c = resolve(file, &env(&[("KAPOK_LISTEN", "127.0.0.1:9001"), ("KAPOK_S3_ALLOW_HTTP", "true")])).unwrap();
        assert_eq!(c.listen.port(), 9001);
        assert_eq!(c.log_format, LogFormat::Json);
        assert!(c.storage.s3_allow_http);
    }

    #[test]
    fn each_bad_value_names_its_setting() {
        let cases = [
            ("KAPOK_LISTEN", "localhost", "KAPOK_LISTEN"),
            ("KAPOK_DATABASE_URL", "mysql://x/y", "KAPOK_DATABASE_URL"),
            ("KAPOK_STORAGE_URL", "/tmp/media", "KAPOK_STORAGE_URL"),
            ("KAPOK_S3_ALLOW_HTTP", "perhaps", "KAPOK_S3_ALLOW_HTTP"),
            ("KAPOK_LOG_FORMAT", "xml", "KAPOK_LOG_FORMAT"),
            ("KAPOK_DATA", "", "KAPOK_DATA"),
            ("KAPOK_SEARCH_CONCURRENCY", "0", "KAPOK_SEARCH_CONCURRENCY"),
            ("KAPOK_SEARCH_CONCURRENCY", "many", "KAPOK_SEARCH_CONCURRENCY"),
            ("KAPOK_SEARCH_CONCURRENCY", "100000", "KAPOK_SEARCH_CONCURRENCY"),
        ];
        for (var, value, named) in cases {
            let err = Config::from_env(&env(&[(var, value)])).unwrap_err();
            assert!(err.to_string().starts_with(named), "{var}={value:?} gave {err}");
        }
    }

    #[test]
    fn loudness_targets_come_from_a_table_a_list_or_the_environment() {
        let lkfs = |c: &Config, centre: &str| c.loudness.for_centre(Some(centre)).integrated_lufs();
        let table = "[loudness_targets]\n510421 = -23\n510402 = -23.5";
        let c = resolve(table, &env(&[])).unwrap();
        assert_eq!((lkfs(&c, "510421"), lkfs(&c, "510402"), lkfs(&c, "510422")), (-23.0, -23.5, -24.0));
        assert_eq!(c.loudness.for_centre(Some("510421")).true_peak_ceiling_dbtp(), -2.0, "the ceiling stays");

        let list = "loudness_target = -25\nloudness_targets = [\"510421=-23\"]";
        let c = resolve(list, &env(&[])).unwrap();
        assert_eq!((lkfs(&c, "510421"), lkfs(&c, "510400")), (-23.0, -25.0));

        let file = "loudness_targets = [\"510421=-20\"]";
        let vars = [("KAPOK_LOUDNESS_TARGETS", "510421=-23, 510402=-23"), ("KAPOK_LOUDNESS_TARGET", "-24.5")];
        let c = resolve(file, &env(&vars)).unwrap();
        assert_eq!((lkfs(&c, "510421"), lkfs(&c, "510402"), lkfs(&c, "510411")), (-23.0, -23.0, -24.5));

        let c = Config::from_env(&env(&[])).unwrap();
        assert_eq!(c.loudness, ingest::targets::LoudnessTargets::default(), "GY/T 282 when unset");
    }

    #[test]
    fn bad_loudness_targets_name_their_setting_and_the_entry() {
        let cases = [
            ("KAPOK_LOUDNESS_TARGET", "24", "KAPOK_LOUDNESS_TARGET (loudness_target)", "24"),
            ("KAPOK_LOUDNESS_TARGET", "-40", "KAPOK_LOUDNESS_TARGET (loudness_target)", "-40"),
            ("KAPOK_LOUDNESS_TARGET", "loud", "KAPOK_LOUDNESS_TARGET", "loud"),
            ("KAPOK_LOUDNESS_TARGETS", "510421", "KAPOK_LOUDNESS_TARGETS (loudness_targets)", "CODE=LKFS"),
            ("KAPOK_LOUDNESS_TARGETS", "510421=-5", "KAPOK_LOUDNESS_TARGETS (loudness_targets)", "510421"),
            ("KAPOK_LOUDNESS_TARGETS", "510421=-23dB", "KAPOK_LOUDNESS_TARGETS (loudness_targets)", "-23dB"),
            ("KAPOK_LOUDNESS_TARGETS", "5104=-23", "KAPOK_LOUDNESS_TARGETS (loudness_targets)", "5104"),
            ("KAPOK_LOUDNESS_TARGETS", "510421=-23,510421=-24", "KAPOK_LOUDNESS_TARGETS (loudness_targets)", "twice"),
        ];
        for (var, value, setting, names) in cases {
            let err = Config::from_env(&env(&[(var, value)])).unwrap_err();
            assert!(err.to_string().starts_with(setting), "{var}={value:?} gave {err}");
            assert!(err.message.contains(names), "{var}={value:?} gave {err}");
        }
        for text in ["loudness_targets = { 510421 = \"loud\" }", "loudness_targets = 3", "loudness_targets = [-23]"] {
            let err = resolve(text, &env(&[])).unwrap_err();
            assert_eq!(err.setting, "KAPOK_LOUDNESS_TARGETS (loudness_targets)", "{text}: {err}");
        }
    }

    #[test]
    fn worker_concurrency_defaults_to_one_and_zero_means_no_worker_in_the_server() {
        let n = |vars: &[(&str, &str)]| Config::from_env(&env(vars)).map(|c| c.worker_concurrency);
        assert_eq!(n(&[]), Ok(1));
        assert_eq!(n(&[("KAPOK_WORKER_CONCURRENCY", "0")]), Ok(0));
        assert_eq!(n(&[("KAPOK_WORKER_CONCURRENCY", "4")]), Ok(4));
        let file = "worker_concurrency = 3";
        assert_eq!(resolve(file, &env(&[])).unwrap().worker_concurrency, 3);
        for bad in ["65", "-1", "two", "1.5"] {
            let err = n(&[("KAPOK_WORKER_CONCURRENCY", bad)]).unwrap_err();
            assert!(err.setting.starts_with("KAPOK_WORKER_CONCURRENCY"), "{bad}: {err}");
        }
    }

    #[test]
    fn worker_leases_last_a_minute_unless_set_within_3_s_to_an_hour() {
        let lease = |vars: &[(&str, &str)]| Config::from_env(&env(vars)).map(|c| c.worker_lease.as_secs());
        assert_eq!(lease(&[]), Ok(60));
        assert_eq!(lease(&[("KAPOK_WORKER_LEASE_S", "3")]), Ok(3));
        for bad in ["0", "2", "3601", "soon"] {
            let err = lease(&[("KAPOK_WORKER_LEASE_S", bad)]).unwrap_err();
            assert!(err.setting.starts_with("KAPOK_WORKER_LEASE_S"), "{bad}: {err}");
        }
    }

    #[test]
    fn http_limits_default_and_refuse_unusable_values() {
        let http = |vars: &[(&str, &str)]| Config::from_env(&env(vars)).map(|c| c.http);
        assert_eq!(http(&[]), Ok(crate::connections::HttpLimits::default()));
        let set = http(&[("KAPOK_HTTP_HEADER_TIMEOUT_S", "5"), ("KAPOK_HTTP_MAX_CONNECTIONS", "64")]).unwrap();
        assert_eq!((set.header_timeout.as_secs(), set.max_connections), (5, 64));
        for (key, bad) in [
            ("KAPOK_HTTP_HEADER_TIMEOUT_S", "0"),
            ("KAPOK_HTTP_IDLE_TIMEOUT_S", "1"),
            ("KAPOK_HTTP_MAX_CONNECTIONS", "2"),
        ] {
            let err = http(&[(key, bad)]).unwrap_err();
            assert!(err.setting.starts_with(key), "{key}={bad}: {err}");
        }
    }

    #[test]
    fn trusted_login_networks_are_a_list_of_networks() {
        let nets =
            |v: &str| Config::from_env(&env(&[("KAPOK_LOGIN_TRUSTED_NETWORKS", v)])).map(|c| c.login_trusted_networks);
        assert_eq!(nets("10.20.0.0/16, fd00::/8").unwrap().len(), 2);
        let err = nets("10.20.0.0/99").unwrap_err();
        assert!(err.setting.starts_with("KAPOK_LOGIN_TRUSTED_NETWORKS"), "{err}");
        assert!(Config::from_env(&env(&[])).unwrap().login_trusted_networks.is_empty());
    }

    #[test]
    fn passwords_in_a_bad_database_url_are_not_echoed() {
        let err = Config::from_env(&env(&[("KAPOK_DATABASE_URL", "mysql://u:hunter2@h/db")])).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn unknown_file_keys_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kapok.toml");
        std::fs::write(&p, "lisen = \"x\"").unwrap();
        let err = Config::load(Some(&p), &BTreeMap::new()).unwrap_err();
        assert!(err.message.contains("lisen"), "{err}");
        let missing = Config::load(Some(&dir.path().join("nope.toml")), &BTreeMap::new()).unwrap_err();
        assert_eq!(missing.setting, "--config");
    }
}
