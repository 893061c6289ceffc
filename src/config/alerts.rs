//! Configured signed alert sources: the CAP signing keys (RSA public keys in PEM, by
//! `KeyName`), the GY/T 385 SM2 public keys (hex SEC1, by `CertSN`) and the replay window.
//! Settings `alert_cap_keys` / `KAPOK_ALERT_CAP_KEYS` (`NAME=PATH.pem`, comma-separated in the
//! environment), `alert_sm2_keys` / `KAPOK_ALERT_SM2_KEYS` (`CERTSN=HEX`), and
//! `alert_replay_max_age_s` / `KAPOK_ALERT_REPLAY_MAX_AGE_S` (default 3600); CAP feeds
//! `alert_feeds` / `KAPOK_ALERT_FEEDS` (URLs), `alert_feed_interval_s` (default 60) and
//! `alert_feed_allow_unsigned` (default false: feed alerts must be signed); the insertion
//! policy `alert_policy_file` / `KAPOK_ALERT_POLICY_FILE` (JSON; repeats per severity); channel
//! coverage polygons `alert_coverage_file` / `KAPOK_ALERT_COVERAGE_FILE`; how long ended
//! alerts and their steps are kept, `alert_retention_days` / `KAPOK_ALERT_RETENTION_DAYS`
//! (default 730: two years of records for the regulator; 1–36 500).
//! The channels that air drills: `alert_drill_channels` / `KAPOK_ALERT_DRILL_CHANNELS` (slugs;
//! unset: every channel).

use std::path::PathBuf;

use schedules::emergency::authenticate::Authority;
use schedules::emergency::geo::Polygon;
use schedules::emergency::policy::AlertPolicy;
use schedules::emergency::replay::ReplayWindow;

use crate::config::ConfigError;

const CAP: &str = "KAPOK_ALERT_CAP_KEYS (alert_cap_keys)";
const SM2: &str = "KAPOK_ALERT_SM2_KEYS (alert_sm2_keys)";
const SM2_CERTS: &str = "KAPOK_ALERT_SM2_CERTS (alert_sm2_certs)";
const AGE: &str = "KAPOK_ALERT_REPLAY_MAX_AGE_S (alert_replay_max_age_s)";
const FEEDS: &str = "KAPOK_ALERT_FEEDS (alert_feeds)";
const POLICY: &str = "KAPOK_ALERT_POLICY_FILE (alert_policy_file)";
const COVERAGE: &str = "KAPOK_ALERT_COVERAGE_FILE (alert_coverage_file)";
const RETENTION: &str = "KAPOK_ALERT_RETENTION_DAYS (alert_retention_days)";
/// Default days an ended alert's record is kept.
pub const DEFAULT_RETENTION_DAYS: u32 = 730;

/// The signed sources as configured (keys not yet read).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertSources {
    /// CAP XML-DSig keys: key name and PEM file.
    pub cap_keys: Vec<(String, PathBuf)>,
    /// EBD SM2 keys: certificate serial and hex SEC1 public key.
    pub sm2_keys: Vec<(String, String)>,
    /// EBD SM2 certificates (PEM or DER files), trusted under their serial numbers.
    pub sm2_certs: Vec<PathBuf>,
    /// Oldest accepted `sent` of a signed message, in seconds.
    pub replay_max_age_s: u32,
    /// CAP feeds (Atom/RSS) to poll.
    pub feeds: Vec<String>,
    /// Seconds between polls (default 60).
    pub feed_interval_s: u32,
    /// Accept unsigned CAP from the feeds (default: signatures required).
    pub feed_allow_unsigned: bool,
    /// A JSON file of `schedules::emergency::policy::AlertPolicy` (interrupt mode, attention
    /// signal, repeat count and interval per severity; keys left out keep their defaults).
    pub policy_file: Option<PathBuf>,
    /// A JSON file `{ "CHANNEL": "lat,lon lat,lon …" }`: each channel's coverage polygon (CAP
    /// polygon form), so alerts given by polygon or circle reach the channels they overlap.
    pub coverage_file: Option<PathBuf>,
    /// The channels (by slug) on which drills (演练: CAP `Exercise`, EBM severity 21–23) air;
    /// `None` (unset): every channel, as before this setting existed.
    pub drill_channels: Option<Vec<String>>,
    /// Days an ended alert (and its steps) is kept in the catalog.
    pub retention_days: u32,
}

fn pairs(setting: &str, entries: &[String]) -> Result<Vec<(String, String)>, ConfigError> {
    entries
        .iter()
        .map(|e| {
            let (name, value) = e.split_once('=').map(|(n, v)| (n.trim(), v.trim())).unwrap_or(("", ""));
            if name.is_empty() || value.is_empty() {
                return Err(ConfigError::new(setting, format!("{e:?} is not NAME=VALUE")));
            }
            Ok((name.to_string(), value.to_string()))
        })
        .collect()
}

impl AlertSources {
    /// Parses the settings: `cap`/`sm2` entries `NAME=VALUE`, `max_age` seconds.
    ///
    /// # Errors
    /// A `ConfigError` naming the setting of an entry that is not `NAME=VALUE`, or of a
    /// maximum age that is not a number of seconds.
    pub fn parse(cap: &[String], sm2: &[String], max_age: Option<&str>) -> Result<Self, ConfigError> {
        let replay_max_age_s = match max_age {
            None => ReplayWindow::default().max_age_s,
            Some(s) => {
                s.trim().parse().map_err(|_| ConfigError::new(AGE, format!("{s:?} is not a number of seconds")))?
            }
        };
        Ok(Self {
            cap_keys: pairs(CAP, cap)?.into_iter().map(|(n, p)| (n, PathBuf::from(p))).collect(),
            sm2_keys: pairs(SM2, sm2)?,
            sm2_certs: Vec::new(),
            replay_max_age_s,
            feeds: Vec::new(),
            feed_interval_s: 60,
            feed_allow_unsigned: false,
            policy_file: None,
            coverage_file: None,
            drill_channels: None,
            retention_days: DEFAULT_RETENTION_DAYS,
        })
    }

    /// These sources with CAP feeds to poll every `interval_s` (default 60).
    ///
    /// # Errors
    /// A `ConfigError` naming `KAPOK_ALERT_FEEDS` for a URL that is not http(s).
    pub fn with_feeds(
        mut self,
        feeds: Vec<String>,
        interval_s: Option<u32>,
        allow_unsigned: bool,
    ) -> Result<Self, ConfigError> {
        for f in &feeds {
            let ok = url::Url::parse(f).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                return Err(ConfigError::new(FEEDS, format!("{f:?} is not an http:// or https:// URL")));
            }
        }
        self.feeds = feeds;
        self.feed_interval_s = interval_s.unwrap_or(60).max(1);
        self.feed_allow_unsigned = allow_unsigned;
        Ok(self)
    }

    /// These sources with the insertion policy read from `path` (when given).
    pub fn with_policy_file(mut self, path: Option<PathBuf>) -> Self {
        self.policy_file = path;
        self
    }

    /// These sources keeping ended alerts `days` (default [`DEFAULT_RETENTION_DAYS`]).
    ///
    /// # Errors
    /// A `ConfigError` naming `KAPOK_ALERT_RETENTION_DAYS` outside 1–36 500.
    pub fn with_retention_days(mut self, days: Option<u32>) -> Result<Self, ConfigError> {
        let days = days.unwrap_or(DEFAULT_RETENTION_DAYS);
        if !(1..=36_500).contains(&days) {
            return Err(ConfigError::new(RETENTION, format!("{days} is not between 1 and 36500 days")));
        }
        self.retention_days = days;
        Ok(self)
    }

    /// These sources with channel coverage polygons read from `path` (when given).
    pub fn with_coverage_file(mut self, path: Option<PathBuf>) -> Self {
        self.coverage_file = path;
        self
    }

    /// These sources with the platform's SM2 certificates (files).
    pub fn with_sm2_certs(mut self, files: Vec<PathBuf>) -> Self {
        self.sm2_certs = files;
        self
    }

    /// These sources with drills airing only on `channels` (slugs), when given.
    pub fn with_drill_channels(mut self, channels: Option<Vec<String>>) -> Self {
        self.drill_channels =
            channels.map(|c| c.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect());
        self
    }

    /// The configured coverage polygon of each channel (by channel id / slug).
    ///
    /// # Errors
    /// A `ConfigError` naming `KAPOK_ALERT_COVERAGE_FILE` when the file cannot be read, is
    /// not a JSON object of strings, or a polygon is malformed or not closed.
    pub fn coverage(&self) -> Result<std::collections::HashMap<String, Polygon>, ConfigError> {
        let Some(path) = &self.coverage_file else { return Ok(Default::default()) };
        let err = |m: String| ConfigError::new(COVERAGE, format!("{}: {m}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let raw: std::collections::BTreeMap<String, String> =
            serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        raw.into_iter()
            .map(|(ch, p)| Polygon::parse_cap(&p).map(|poly| (ch.clone(), poly)).map_err(|m| err(format!("{ch}: {m}"))))
            .collect()
    }

    /// The insertion policy: the configured file's, else the default.
    ///
    /// # Errors
    /// A `ConfigError` naming `KAPOK_ALERT_POLICY_FILE` when the file cannot be read or is
    /// not a policy.
    pub fn policy(&self) -> Result<AlertPolicy, ConfigError> {
        let Some(path) = &self.policy_file else { return Ok(AlertPolicy::default()) };
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError::new(POLICY, format!("{}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| ConfigError::new(POLICY, format!("{}: {e}", path.display())))
    }

    /// How the feeds are polled.
    pub fn feed_settings(&self) -> crate::desk::feed::FeedSettings {
        crate::desk::feed::FeedSettings {
            urls: self.feeds.clone(),
            interval: std::time::Duration::from_secs(u64::from(self.feed_interval_s)),
            allow_unsigned: self.feed_allow_unsigned,
        }
    }

    /// The authority these sources make: every key read and checked. Signatures are then
    /// required of unauthenticated senders (the API vouches for users and tokens).
    ///
    /// # Errors
    /// A `ConfigError` naming the setting of a key file that cannot be read or a key that
    /// does not parse.
    pub fn authority(&self) -> Result<Authority, ConfigError> {
        let mut a = Authority { require_signature: true, ..Authority::default() };
        a.replay.max_age_s = self.replay_max_age_s;
        for (name, path) in &self.cap_keys {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::new(CAP, format!("{name}: {}: {e}", path.display())))?;
            a.cap_keys.add_pem(name, &pem).map_err(|e| ConfigError::new(CAP, e.to_string()))?;
        }
        for (sn, key) in &self.sm2_keys {
            a.ebd_keys.add_sec1_hex(sn, key, None).map_err(|e| ConfigError::new(SM2, e.to_string()))?;
        }
        for path in &self.sm2_certs {
            let err = |m: String| ConfigError::new(SM2_CERTS, format!("{}: {m}", path.display()));
            let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
            let cert = schedules::emergency::ebd::cert::trust(&mut a.ebd_keys, &bytes).map_err(err)?;
            tracing::info!(serial = %cert.serial, subject = %cert.subject, "EBD platform certificate trusted");
        }
        Ok(a)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn entries_must_be_name_equals_value_and_ages_numbers() {
        let ok = AlertSources::parse(&["pzh-cap-01=/etc/kapok/cap.pem".into()], &[], Some("600")).unwrap();
        assert_eq!(ok.cap_keys[0].0, "pzh-cap-01");
        assert_eq!(ok.replay_max_age_s, 600);
        let err = AlertSources::parse(&["/etc/kapok/cap.pem".into()], &[], None).unwrap_err();
        assert!(err.setting.contains("KAPOK_ALERT_CAP_KEYS"), "{err}");
        let err = AlertSources::parse(&[], &[], Some("an hour")).unwrap_err();
        assert!(err.setting.contains("REPLAY"), "{err}");
    }

    #[test]
    fn unreadable_or_malformed_keys_name_their_setting() {
        let missing = AlertSources::parse(&["k=/nonexistent/key.pem".into()], &[], None).unwrap();
        assert!(missing.authority().unwrap_err().setting.contains("CAP"));
        let bad = AlertSources::parse(&[], &["sn=zz".into()], None).unwrap();
        assert!(bad.authority().unwrap_err().setting.contains("SM2"));
        assert!(AlertSources::default().authority().unwrap().require_signature);
    }

    #[test]
    fn an_sm2_certificate_that_does_not_read_names_its_setting_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("platform.pem");
        std::fs::write(&path, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
        let s = AlertSources::default().with_sm2_certs(vec![path.clone()]);
        let err = s.authority().unwrap_err();
        assert!(err.setting.contains("KAPOK_ALERT_SM2_CERTS") && err.message.contains("platform.pem"), "{err}");
        let missing = AlertSources::default().with_sm2_certs(vec![dir.path().join("none.pem")]);
        assert!(missing.authority().unwrap_err().setting.contains("SM2_CERTS"));
    }

    #[test]
    fn a_policy_file_sets_repeats_and_a_bad_one_names_its_setting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.json");
        std::fs::write(&path, r#"{"extreme":{"interrupt":{"mode":"next_frame"},"attention_signal":true,"repeat_count":5,"repeat_interval_s":120}}"#).unwrap();
        let s = AlertSources { policy_file: Some(path.clone()), ..AlertSources::default() };
        let p = s.policy().unwrap();
        assert_eq!((p.extreme.repeat_count, p.extreme.repeat_interval_s), (5, 120));
        assert_eq!(p.minor, AlertPolicy::default().minor);
        std::fs::write(&path, "{\"extreme\": 3}").unwrap();
        assert!(s.policy().unwrap_err().setting.contains("KAPOK_ALERT_POLICY_FILE"));
        assert_eq!(AlertSources::default().policy().unwrap(), AlertPolicy::default());
    }

    #[test]
    fn coverage_polygons_are_read_per_channel_and_an_open_ring_names_its_setting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coverage.json");
        let ring = "26.80,101.90 26.80,102.30 27.10,102.30 27.10,101.90 26.80,101.90";
        std::fs::write(&path, format!(r#"{{"miyi-tv": "{ring}"}}"#)).unwrap();
        let s = AlertSources::default().with_coverage_file(Some(path.clone()));
        let c = s.coverage().unwrap();
        assert_eq!(c["miyi-tv"].points().len(), 5);
        std::fs::write(&path, r#"{"miyi-tv": "26.80,101.90 26.80,102.30 27.10,102.30 27.10,101.90"}"#).unwrap();
        let err = s.coverage().unwrap_err();
        assert!(err.setting.contains("COVERAGE") && err.message.contains("miyi-tv"), "{err}");
    }

    #[test]
    fn feeds_must_be_http_urls() {
        let s = AlertSources::default().with_feeds(vec!["https://a.example/cap.atom".into()], None, false).unwrap();
        assert_eq!(s.feed_settings().interval, std::time::Duration::from_secs(60));
        let err = AlertSources::default().with_feeds(vec!["file:///etc/passwd".into()], None, false).unwrap_err();
        assert!(err.setting.contains("KAPOK_ALERT_FEEDS"), "{err}");
    }
}
