//! Alert date-times.
//!
//! CAP 1.2 §3.3.2: `YYYY-MM-DDThh:mm:ssXzh:zm` — no fractional seconds, no `Z`, an explicit
//! offset, where `-00:00` means UTC. EBM (GY/T 385) writes local Beijing time as
//! `YYYY-MM-DD hh:mm:ss`; the JSON form accepts any RFC 3339 date-time.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant with the offset it was written in. Ordering and equality compare instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlertTime(DateTime<FixedOffset>);

const BEIJING_OFFSET_S: i32 = 8 * 3600;

impl AlertTime {
    /// Parses the strict CAP 1.2 form.
    ///
    /// # Errors
    /// A message saying what is wrong with the text.
    pub fn parse_cap(s: &str) -> Result<Self, String> {
        let b = s.as_bytes();
        let shape_ok = b.len() == 25
            && b.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                10 => *c == b'T',
                13 | 16 | 22 => *c == b':',
                19 => *c == b'+' || *c == b'-',
                _ => c.is_ascii_digit(),
            });
        if !shape_ok {
            return Err(format!(
                "{s:?} is not a CAP date-time (YYYY-MM-DDThh:mm:ss+hh:mm, no fractional seconds, no Z)"
            ));
        }
        DateTime::parse_from_rfc3339(s).map(Self).map_err(|e| format!("{s:?} is not a valid date-time: {e}"))
    }

    /// Parses an RFC 3339 date-time (`Z` and fractional seconds allowed).
    ///
    /// # Errors
    /// A message saying what is wrong with the text.
    pub fn parse_rfc3339(s: &str) -> Result<Self, String> {
        DateTime::parse_from_rfc3339(s).map(Self).map_err(|e| format!("{s:?} is not an RFC 3339 date-time: {e}"))
    }

    /// Parses an EBM time: `YYYY-MM-DD hh:mm:ss` in Beijing time (UTC+8), or the CAP form.
    ///
    /// # Errors
    /// A message saying what is wrong with the text.
    pub fn parse_ebm(s: &str) -> Result<Self, String> {
        if let Ok(t) = Self::parse_cap(s) {
            return Ok(t);
        }
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .map_err(|_| format!("{s:?} is not an EBM time (YYYY-MM-DD hh:mm:ss, Beijing time)"))?;
        Self::from_beijing(naive).ok_or_else(|| format!("{s:?} is not a valid Beijing time"))
    }

    /// A naive Beijing (UTC+8) wall-clock time as an instant.
    pub fn from_beijing(naive: NaiveDateTime) -> Option<Self> {
        let tz = FixedOffset::east_opt(BEIJING_OFFSET_S)?;
        tz.from_local_datetime(&naive).single().map(Self)
    }

    /// From any chrono date-time.
    pub fn from_datetime<Tz: TimeZone>(t: DateTime<Tz>) -> Self {
        Self(t.fixed_offset())
    }

    /// The instant with its original offset.
    pub fn datetime(&self) -> DateTime<FixedOffset> {
        self.0
    }

    /// The instant in UTC.
    pub fn utc(&self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }

    /// The CAP form, keeping the original offset (UTC is written `+00:00`).
    pub fn to_cap_string(&self) -> String {
        self.0.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }
}

impl std::fmt::Display for AlertTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_cap_string())
    }
}

impl Serialize for AlertTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_cap_string())
    }
}

impl<'de> Deserialize<'de> for AlertTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_form_keeps_offset_and_compares_instants() {
        let a = AlertTime::parse_cap("2026-07-01T08:30:00+08:00").unwrap();
        let b = AlertTime::parse_cap("2026-07-01T00:30:00-00:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_cap_string(), "2026-07-01T08:30:00+08:00");
        assert_eq!(b.utc().to_rfc3339(), "2026-07-01T00:30:00+00:00");
    }

    #[test]
    fn cap_form_refuses_z_fractions_missing_offset_and_nonsense() {
        for s in [
            "2026-07-01T08:30:00Z",
            "2026-07-01T08:30:00.5+08:00",
            "2026-07-01T08:30:00",
            "2026-07-01 08:30:00+08:00",
            "2026-13-01T08:30:00+08:00",
            "2026-02-30T08:30:00+08:00",
            "yesterday",
        ] {
            assert!(AlertTime::parse_cap(s).is_err(), "{s}");
        }
    }

    #[test]
    fn ebm_form_is_beijing_time() {
        let t = AlertTime::parse_ebm("2026-07-01 08:30:00").unwrap();
        assert_eq!(t, AlertTime::parse_cap("2026-07-01T00:30:00+00:00").unwrap());
        assert!(AlertTime::parse_ebm("2026/07/01 08:30").is_err());
    }
}
