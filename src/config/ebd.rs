//! Kapok's identity in the emergency-broadcast platform exchange (`POST /api/ebd` and the
//! packages it sends up): `ebd_ebrid` (Kapok's 23-digit resource code; setting it turns the
//! exchange on), `ebd_platform_ebrid` and `ebd_platform_url` (the upper platform: its code,
//! and where Kapok posts heartbeats and reports — without it nothing is sent up),
//! `ebd_url` (Kapok's own address, told to the platform), `ebd_signing_key_file` (a file
//! holding the SM2 private key as hex) with `ebd_cert_sn` (its certificate's serial),
//! `ebd_heartbeat_s` (default 60) and `ebd_routine_policy` (`record` by default, or `air`:
//! what EBMs of severity 0 (unknown) and 10 (routine) do). The platform's own signing keys
//! are trusted through `alert_sm2_keys` (`CERTSN=HEX`).

use std::path::PathBuf;
use std::time::Duration;

use schedules::emergency::ebd::envelope::{is_ebrid, is_full_ebrid};
use schedules::emergency::ebd::SoftwareSigner;

use crate::config::{setting_name, ConfigError};

/// What EBMs of severity 0 and 10 do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoutinePolicy {
    /// Recorded, answered 1, not aired (the default).
    #[default]
    Record,
    /// Aired like any other message.
    Air,
}

/// The exchange's settings, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EbdSettings {
    /// Kapok's EBRID.
    pub ebrid: String,
    /// The upper platform's EBRID.
    pub platform_ebrid: String,
    /// Where packages go up.
    pub platform_url: Option<String>,
    /// Kapok's own URL, told to the platform.
    pub url: Option<String>,
    /// The SM2 private key file (hex).
    pub signing_key_file: PathBuf,
    /// The certificate serial of that key.
    pub cert_sn: String,
    /// Between heartbeats.
    pub heartbeat: Duration,
    /// Severities 0 and 10.
    pub routine: RoutinePolicy,
}

/// The raw settings.
#[derive(Debug, Default)]
pub struct EbdRaw {
    pub ebrid: Option<String>,
    pub platform_ebrid: Option<String>,
    pub platform_url: Option<String>,
    pub url: Option<String>,
    pub signing_key_file: Option<PathBuf>,
    pub cert_sn: Option<String>,
    pub heartbeat_s: Option<u64>,
    pub routine_policy: Option<String>,
}

fn http_url(key: &str, u: Option<String>) -> Result<Option<String>, ConfigError> {
    match u {
        Some(u) if !url::Url::parse(&u).is_ok_and(|p| matches!(p.scheme(), "http" | "https")) => {
            Err(ConfigError::new(&setting_name(key), format!("{u:?} is not an http:// or https:// URL")))
        }
        u => Ok(u),
    }
}

impl EbdSettings {
    /// The exchange when `ebd_ebrid` is set, checked; `None` otherwise.
    ///
    /// # Errors
    /// A `ConfigError` naming the first missing or malformed setting.
    pub fn parse(raw: EbdRaw) -> Result<Option<Self>, ConfigError> {
        let Some(ebrid) = raw.ebrid else {
            for (key, set) in [
                ("ebd_platform_ebrid", raw.platform_ebrid.is_some()),
                ("ebd_platform_url", raw.platform_url.is_some()),
                ("ebd_signing_key_file", raw.signing_key_file.is_some()),
            ] {
                if set {
                    return Err(ConfigError::new(&setting_name("ebd_ebrid"), format!("must be set when {key} is")));
                }
            }
            return Ok(None);
        };
        let need = |key: &str, v: Option<String>| {
            v.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
                ConfigError::new(&setting_name(key), "must be set when ebd_ebrid is (the EBD exchange is on)")
            })
        };
        if !is_full_ebrid(&ebrid) {
            return Err(ConfigError::new(
                &setting_name("ebd_ebrid"),
                format!("{ebrid:?} is not a 23-digit resource code (level 1 + area 12 + 10 digits)"),
            ));
        }
        let platform_ebrid = need("ebd_platform_ebrid", raw.platform_ebrid)?;
        if !is_ebrid(&platform_ebrid) {
            return Err(ConfigError::new(
                &setting_name("ebd_platform_ebrid"),
                format!("{platform_ebrid:?} is not a resource code (12 to 23 digits)"),
            ));
        }
        let signing_key_file = raw.signing_key_file.ok_or_else(|| {
            ConfigError::new(
                &setting_name("ebd_signing_key_file"),
                "must be set when ebd_ebrid is (Kapok signs its replies)",
            )
        })?;
        let cert_sn = need("ebd_cert_sn", raw.cert_sn)?;
        let routine = match raw.routine_policy.as_deref().map(str::trim) {
            None | Some("record") => RoutinePolicy::Record,
            Some("air") => RoutinePolicy::Air,
            Some(o) => {
                return Err(ConfigError::new(
                    &setting_name("ebd_routine_policy"),
                    format!("{o:?} is not \"record\" or \"air\""),
                ))
            }
        };
        let heartbeat_s = raw.heartbeat_s.unwrap_or(60);
        if !(1..=86_400).contains(&heartbeat_s) {
            return Err(ConfigError::new(
                &setting_name("ebd_heartbeat_s"),
                format!("{heartbeat_s} is not between 1 and 86400 seconds"),
            ));
        }
        let settings = Self {
            ebrid,
            platform_ebrid,
            platform_url: http_url("ebd_platform_url", raw.platform_url)?,
            url: http_url("ebd_url", raw.url)?,
            signing_key_file,
            cert_sn,
            heartbeat: Duration::from_secs(heartbeat_s),
            routine,
        };
        settings.signer()?;
        Ok(Some(settings))
    }

    /// The software signer over the configured key file.
    ///
    /// # Errors
    /// A `ConfigError` naming `ebd_signing_key_file` when the file cannot be read or holds
    /// no SM2 private key.
    pub fn signer(&self) -> Result<SoftwareSigner, ConfigError> {
        let err = |m: String| {
            ConfigError::new(&setting_name("ebd_signing_key_file"), format!("{}: {m}", self.signing_key_file.display()))
        };
        let text = std::fs::read_to_string(&self.signing_key_file).map_err(|e| err(e.to_string()))?;
        SoftwareSigner::from_hex(&self.cert_sn, &text).map_err(|e| err(e.to_string()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_exchange_needs_its_identity_and_a_readable_key() {
        assert_eq!(EbdSettings::parse(EbdRaw::default()).unwrap(), None);
        let orphan = EbdRaw { platform_ebrid: Some("1".into()), ..EbdRaw::default() };
        assert!(EbdSettings::parse(orphan).unwrap_err().setting.contains("KAPOK_EBD_EBRID"));
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.hex");
        std::fs::write(&key, SoftwareSigner::random("1").unwrap().private_key_hex()).unwrap();
        let raw = || EbdRaw {
            ebrid: Some("34510400000000000000001".into()),
            platform_ebrid: Some("24510400000000000000001".into()),
            signing_key_file: Some(key.clone()),
            cert_sn: Some("01".into()),
            ..EbdRaw::default()
        };
        let ok = EbdSettings::parse(raw()).unwrap().unwrap();
        assert_eq!((ok.heartbeat.as_secs(), ok.routine), (60, RoutinePolicy::Record));
        let short = EbdRaw { ebrid: Some("3451".into()), ..raw() };
        assert!(EbdSettings::parse(short).unwrap_err().message.contains("23-digit"));
        let no_sn = EbdRaw { cert_sn: None, ..raw() };
        assert!(EbdSettings::parse(no_sn).unwrap_err().setting.contains("KAPOK_EBD_CERT_SN"));
        std::fs::write(&key, "not a key").unwrap();
        assert!(EbdSettings::parse(raw()).unwrap_err().setting.contains("SIGNING_KEY_FILE"));
        let bad_url = EbdRaw { platform_url: Some("ftp://x".into()), ..raw() };
        assert!(EbdSettings::parse(bad_url).unwrap_err().setting.contains("PLATFORM_URL"));
    }
}
