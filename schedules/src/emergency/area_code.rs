//! GB/T 2260 administrative division codes (6 digits), extended to 12 digits for
//! townships and villages (the statistical division code used by emergency broadcasting).

use serde::{Deserialize, Serialize};

/// Province-level prefixes in GB/T 2260 (11 Beijing … 82 Macao).
const PROVINCES: &[&str] = &[
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44",
    "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
];

/// A GB/T 2260 area code: 6 digits (province `510000`, city `510400`, county `510421`) or
/// 12 digits (township/village within a county). Exists only in a valid shape.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);

/// The administrative level a code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaLevel {
    /// `xx0000`
    Province,
    /// `xxxx00`
    City,
    /// `xxxxxx`
    County,
    /// 12 digits, `xxxxxxyyy000`
    Township,
    /// 12 digits, last three not `000`
    Village,
}

impl AreaCode {
    /// Parses a code.
    ///
    /// # Errors
    /// A message when it is not 6 or 12 ASCII digits with a GB/T 2260 province prefix.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if !(s.len() == 6 || s.len() == 12) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{s:?} is not a GB/T 2260 area code (6 or 12 digits)"));
        }
        if !PROVINCES.contains(&&s[..2]) {
            return Err(format!("{s:?} does not start with a GB/T 2260 province code"));
        }
        // A 12-digit code padded from county level is that county.
        if s.len() == 12 && &s[6..] == "000000" {
            return Ok(Self(s[..6].to_string()));
        }
        if s.len() == 12 && &s[4..6] == "00" {
            return Err(format!("{s:?}: a 12-digit code must lie within a county"));
        }
        Ok(Self(s.to_string()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level this code names.
    pub fn level(&self) -> AreaLevel {
        let s = self.0.as_str();
        if s.len() == 12 {
            if &s[9..] == "000" {
                AreaLevel::Township
            } else {
                AreaLevel::Village
            }
        } else if &s[2..] == "0000" {
            AreaLevel::Province
        } else if &s[4..] == "00" {
            AreaLevel::City
        } else {
            AreaLevel::County
        }
    }

    /// The county containing this code (itself for county and broader codes).
    pub fn county(&self) -> AreaCode {
        if self.0.len() == 12 {
            Self(self.0[..6].to_string())
        } else {
            self.clone()
        }
    }

    fn significant(&self) -> &str {
        let n = match self.level() {
            AreaLevel::Province => 2,
            AreaLevel::City => 4,
            AreaLevel::County => 6,
            AreaLevel::Township => 9,
            AreaLevel::Village => 12,
        };
        &self.0[..n]
    }

    /// Whether `other` lies within this area (or is it).
    pub fn contains(&self, other: &AreaCode) -> bool {
        other.0.starts_with(self.significant())
    }
}

impl TryFrom<String> for AreaCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<AreaCode> for String {
    fn from(c: AreaCode) -> Self {
        c.0
    }
}

impl std::fmt::Display for AreaCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The "1+5" network: the Panzhihua city centre and its five counties/districts.
pub const PANZHIHUA_NETWORK: [&str; 6] = ["510400", "510402", "510403", "510411", "510421", "510422"];

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> AreaCode {
        AreaCode::parse(s).unwrap()
    }

    #[test]
    fn accepts_6_and_12_digit_codes_only() {
        assert_eq!(c("510421").level(), AreaLevel::County);
        assert_eq!(c("510400").level(), AreaLevel::City);
        assert_eq!(c("510000").level(), AreaLevel::Province);
        assert_eq!(c("510421101000").level(), AreaLevel::Township);
        assert_eq!(c("510421101201").level(), AreaLevel::Village);
        assert_eq!(c("510421000000"), c("510421"));
        for bad in ["51042", "5104211", "51042a", "990421", "", "510400000001"] {
            assert!(AreaCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn containment_follows_the_hierarchy() {
        assert!(c("510400").contains(&c("510421")));
        assert!(c("510000").contains(&c("510421101201")));
        assert!(c("510421").contains(&c("510421101201")));
        assert!(!c("510421").contains(&c("510400")));
        assert!(!c("510421").contains(&c("510422")));
        assert_eq!(c("510421101201").county(), c("510421"));
    }
}
