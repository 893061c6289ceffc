//! The GB/T 35965.1-2018 profile of CAP (应急信息交互协议 第1部分：预警信息).
//!
//! Implemented from a secondary description of the standard's normative Annex A
//! ("取值规则及说明"), not from the standard's own text, which was not available:
//! the identifier is `ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N` (31 characters) where
//! `ZZZZZZDDDUUUXX` is the 14-digit sender code — a GB/T 2260 area code (6), a GB/T 4657
//! organisation code (3), an internal unit code (3, default `000`) and an extension
//! (2, default `00`) — `YYYYMMDDhhmmss` the entry time in Beijing time, and `N` a
//! sequence digit 0–9 for messages entered by one sender in the same second.
//! The four warning levels map onto CAP severity as below.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::area_code::AreaCode;
use super::reason::{Reason, ReasonCode};
use super::time::AlertTime;
use super::vocab::Severity;

/// A 14-digit GB/T 35965.1 sender code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SenderCode {
    /// GB/T 2260 area of the issuing body.
    pub area: AreaCode,
    /// GB/T 4657 organisation (industry) code, 3 digits.
    pub organisation: String,
    /// Internal second-level unit, 3 digits.
    pub unit: String,
    /// Extension, 2 digits.
    pub extension: String,
}

impl SenderCode {
    /// Parses 14 digits.
    ///
    /// # Errors
    /// A message when the text is not 14 digits starting with a GB/T 2260 county-or-broader code.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("sender code {s:?} is not 14 digits"));
        }
        let area = AreaCode::parse(&s[..6]).map_err(|m| format!("sender code area: {m}"))?;
        Ok(Self {
            area,
            organisation: s[6..9].to_string(),
            unit: s[9..12].to_string(),
            extension: s[12..14].to_string(),
        })
    }

    /// The 14 digits.
    pub fn code(&self) -> String {
        format!("{}{}{}{}", self.area, self.organisation, self.unit, self.extension)
    }
}

/// A GB/T 35965.1 alert identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileIdentifier {
    /// Who issued it.
    pub sender: SenderCode,
    /// When it was entered (Beijing time).
    pub entered: AlertTime,
    /// Sequence within that second.
    pub sequence: u8,
}

impl ProfileIdentifier {
    /// Parses `ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N`.
    ///
    /// # Errors
    /// A message naming the part that is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('_').collect();
        let [code, when, seq] = parts.as_slice() else {
            return Err(format!("identifier {s:?} is not sendercode_YYYYMMDDhhmmss_N (GB/T 35965.1)"));
        };
        let sender = SenderCode::parse(code)?;
        if when.len() != 14 || !when.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("identifier time {when:?} is not YYYYMMDDhhmmss"));
        }
        let naive = NaiveDateTime::parse_from_str(when, "%Y%m%d%H%M%S")
            .map_err(|_| format!("identifier time {when:?} is not a valid date-time"))?;
        let entered = AlertTime::from_beijing(naive)
            .ok_or_else(|| format!("identifier time {when:?} is not a valid Beijing time"))?;
        let sequence = match seq.as_bytes() {
            [d] if d.is_ascii_digit() => d - b'0',
            _ => return Err(format!("identifier sequence {seq:?} is not one digit 0-9")),
        };
        Ok(Self { sender, entered, sequence })
    }

    /// Whether an identifier claims this profile: it starts with 14 digits and `_`.
    pub fn is_claimed_by(identifier: &str) -> bool {
        let b = identifier.as_bytes();
        b.len() > 15 && b[..14].iter().all(u8::is_ascii_digit) && b[14] == b'_'
    }
}

/// Checks a CAP alert's identifier and sender against the profile, when the identifier
/// claims it. Returns the problems (empty when conforming or not claimed).
pub fn check(identifier: &str, sender: &str) -> Vec<Reason> {
    if !ProfileIdentifier::is_claimed_by(identifier) {
        return Vec::new();
    }
    match ProfileIdentifier::parse(identifier) {
        Err(m) => vec![Reason::new(ReasonCode::Profile, m, "/alert/identifier")],
        Ok(id) => {
            let looks_like_code = sender.len() == 14 && sender.bytes().all(|b| b.is_ascii_digit());
            if looks_like_code && sender != id.sender.code() {
                vec![Reason::new(
                    ReasonCode::Profile,
                    format!("sender {sender} differs from the identifier's sender code {}", id.sender.code()),
                    "/alert/sender",
                )]
            } else {
                Vec::new()
            }
        }
    }
}

/// The four warning levels (预警级别) and their colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WarningLevel {
    /// 特别重大 (I级), red.
    Red,
    /// 重大 (II级), orange.
    Orange,
    /// 较大 (III级), yellow.
    Yellow,
    /// 一般 (IV级), blue.
    Blue,
}

impl WarningLevel {
    /// Level of a CAP severity; `Unknown` has none.
    pub fn from_severity(s: Severity) -> Option<Self> {
        match s {
            Severity::Extreme => Some(Self::Red),
            Severity::Severe => Some(Self::Orange),
            Severity::Moderate => Some(Self::Yellow),
            Severity::Minor => Some(Self::Blue),
            Severity::Unknown => None,
        }
    }

    /// The CAP severity of this level.
    pub fn severity(self) -> Severity {
        match self {
            Self::Red => Severity::Extreme,
            Self::Orange => Severity::Severe,
            Self::Yellow => Severity::Moderate,
            Self::Blue => Severity::Minor,
        }
    }

    /// Chinese name of the level (特别重大, 重大, 较大, 一般).
    pub fn chinese_name(self) -> &'static str {
        match self {
            Self::Red => "特别重大",
            Self::Orange => "重大",
            Self::Yellow => "较大",
            Self::Blue => "一般",
        }
    }

    /// Roman numeral of the level (I … IV).
    pub fn roman(self) -> &'static str {
        match self {
            Self::Red => "I",
            Self::Orange => "II",
            Self::Yellow => "III",
            Self::Blue => "IV",
        }
    }

    /// Chinese colour name (红色 …).
    pub fn chinese_colour(self) -> &'static str {
        match self {
            Self::Red => "红色",
            Self::Orange => "橙色",
            Self::Yellow => "黄色",
            Self::Blue => "蓝色",
        }
    }

    /// Parses a level written in any of the usual ways: `特别重大`, `I级`, `Ⅰ级`, `红色`, `red`, `1`.
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim().trim_end_matches('级').trim_end_matches("预警");
        let all = [Self::Red, Self::Orange, Self::Yellow, Self::Blue];
        let fullwidth = ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"];
        all.into_iter().enumerate().find_map(|(i, l)| {
            let hit = t == l.chinese_name()
                || t == l.roman()
                || t == fullwidth[i]
                || t == l.chinese_colour()
                || t.eq_ignore_ascii_case(&format!("{l:?}"))
                || t == (i + 1).to_string();
            hit.then_some(l)
        })
    }
}

/// When `headline` names a warning colour (`暴雨红色预警`) other than the one `severity`
/// draws, a sentence saying so: the slate's band follows the severity, so the words and the
/// colour on screen would disagree. `None` when they agree or the headline names no colour.
pub fn headline_colour_mismatch(headline: &str, severity: Severity) -> Option<String> {
    let drawn = WarningLevel::from_severity(severity)?;
    let named: Vec<WarningLevel> = [WarningLevel::Red, WarningLevel::Orange, WarningLevel::Yellow, WarningLevel::Blue]
        .into_iter()
        .filter(|l| headline.contains(&format!("{}预警", l.chinese_colour())))
        .collect();
    match named.as_slice() {
        [one] if *one != drawn => Some(format!(
            "the headline says {} but severity {severity} draws {} ({}级): check the severity or the headline",
            one.chinese_colour(),
            drawn.chinese_colour(),
            drawn.roman()
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_headline_colour_that_disagrees_with_the_severity_is_named() {
        assert_eq!(headline_colour_mismatch("暴雨橙色预警", Severity::Severe), None);
        let m = headline_colour_mismatch("暴雨红色预警", Severity::Severe).unwrap();
        assert!(m.contains("红色") && m.contains("橙色"), "{m}");
        assert_eq!(headline_colour_mismatch("山洪预警", Severity::Extreme), None);
        assert_eq!(headline_colour_mismatch("暴雨红色预警", Severity::Unknown), None);
    }

    #[test]
    fn parses_the_31_character_identifier() {
        let id = ProfileIdentifier::parse("51042141600000_20260701083000_0").unwrap();
        assert_eq!(id.sender.area.as_str(), "510421");
        assert_eq!(id.sender.organisation, "416");
        assert_eq!(id.sequence, 0);
        assert_eq!(id.entered.to_cap_string(), "2026-07-01T08:30:00+08:00");
    }

    #[test]
    fn refuses_broken_identifiers() {
        for bad in [
            "51042141600000_20260701083000",
            "51042141600000_20261301083000_0",
            "51042141600000_20260701083000_10",
            "99042141600000_20260701083000_0",
            "5104214160000_20260701083000_0",
        ] {
            assert!(ProfileIdentifier::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn check_applies_only_when_claimed_and_compares_sender() {
        assert!(check("KAPOK-1", "anyone").is_empty());
        assert!(check("51042141600000_20260701083000_0", "51042141600000").is_empty());
        assert_eq!(check("51042141600000_20260701083000_0", "51040041600000").len(), 1);
        assert_eq!(check("51042141600000_2026070108300_0", "x").len(), 1);
    }

    #[test]
    fn levels_map_both_ways() {
        assert_eq!(WarningLevel::from_severity(Severity::Extreme), Some(WarningLevel::Red));
        assert_eq!(WarningLevel::from_severity(Severity::Unknown), None);
        assert_eq!(WarningLevel::parse("特别重大"), Some(WarningLevel::Red));
        assert_eq!(WarningLevel::parse("II级"), Some(WarningLevel::Orange));
        assert_eq!(WarningLevel::parse("Ⅲ级"), Some(WarningLevel::Yellow));
        assert_eq!(WarningLevel::parse("蓝色预警"), Some(WarningLevel::Blue));
        assert_eq!(WarningLevel::parse("4"), Some(WarningLevel::Blue));
        assert_eq!(WarningLevel::parse("紫色"), None);
        for l in [WarningLevel::Red, WarningLevel::Blue] {
            assert_eq!(WarningLevel::from_severity(l.severity()), Some(l));
        }
    }
}
