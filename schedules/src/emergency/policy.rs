//! How an alert airs, by severity: how soon it interrupts, and how often it repeats.
//!
//! A configuration struct (serde, so it can live in `kapok.toml`) with defaults that follow
//! the usual practice of Chinese emergency broadcasting: red and orange (Extreme, Severe)
//! cut in at the next frame; yellow (Moderate) waits for the next item boundary but no more
//! than two minutes; blue (Minor) is a crawl only.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::alert::Alert;
use super::vocab::Severity;

/// When an alert takes over the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum Interrupt {
    /// Cut in at the next video frame / audio block.
    NextFrame,
    /// Wait for the end of the current item, but no longer than `max_wait_s`.
    NextItemBoundary {
        /// Longest wait in seconds before cutting in anyway.
        max_wait_s: u32,
    },
    /// Never interrupt: show a crawl (TV) and leave radio alone.
    CrawlOnly,
}

impl Interrupt {
    /// The latest instant the full-screen/audio insertion may start, if it interrupts at all.
    pub fn latest_start(self, ready_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Interrupt::NextFrame => Some(ready_at),
            Interrupt::NextItemBoundary { max_wait_s } => Some(ready_at + TimeDelta::seconds(i64::from(max_wait_s))),
            Interrupt::CrawlOnly => None,
        }
    }
}

/// Behaviour for one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityPolicy {
    /// When to take over.
    pub interrupt: Interrupt,
    /// Play the attention signal before the message.
    pub attention_signal: bool,
    /// Airings after the first.
    pub repeat_count: u32,
    /// Seconds between the starts of consecutive airings.
    pub repeat_interval_s: u32,
}

/// Policy for every severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertPolicy {
    /// Extreme (red, 特别重大).
    pub extreme: SeverityPolicy,
    /// Severe (orange, 重大).
    pub severe: SeverityPolicy,
    /// Moderate (yellow, 较大).
    pub moderate: SeverityPolicy,
    /// Minor (blue, 一般).
    pub minor: SeverityPolicy,
    /// Unknown severity.
    pub unknown: SeverityPolicy,
}

impl Default for AlertPolicy {
    fn default() -> Self {
        Self {
            extreme: SeverityPolicy {
                interrupt: Interrupt::NextFrame,
                attention_signal: true,
                repeat_count: 3,
                repeat_interval_s: 600,
            },
            severe: SeverityPolicy {
                interrupt: Interrupt::NextFrame,
                attention_signal: true,
                repeat_count: 2,
                repeat_interval_s: 900,
            },
            moderate: SeverityPolicy {
                interrupt: Interrupt::NextItemBoundary { max_wait_s: 120 },
                attention_signal: true,
                repeat_count: 1,
                repeat_interval_s: 1800,
            },
            minor: SeverityPolicy {
                interrupt: Interrupt::CrawlOnly,
                attention_signal: false,
                repeat_count: 0,
                repeat_interval_s: 3600,
            },
            unknown: SeverityPolicy {
                interrupt: Interrupt::CrawlOnly,
                attention_signal: false,
                repeat_count: 0,
                repeat_interval_s: 3600,
            },
        }
    }
}

/// When and how an alert goes on air.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InsertionPlan {
    /// How the first airing takes over.
    pub interrupt: Interrupt,
    /// Attention signal before each airing.
    pub attention_signal: bool,
    /// Earliest start of each airing (the first is when the alert takes effect, or now).
    /// Empty when the alert has expired or never airs.
    pub airings: Vec<DateTime<Utc>>,
    /// When the crawl/slate ends: the alert's expiry, if any.
    pub until: Option<DateTime<Utc>>,
}

impl AlertPolicy {
    /// The policy for a severity.
    pub fn for_severity(&self, s: Severity) -> &SeverityPolicy {
        match s {
            Severity::Extreme => &self.extreme,
            Severity::Severe => &self.severe,
            Severity::Moderate => &self.moderate,
            Severity::Minor => &self.minor,
            Severity::Unknown => &self.unknown,
        }
    }

    /// Plans the airings of `alert` as seen at `now`. Only Alert and Update messages air;
    /// airings that would start at or after expiry are dropped.
    pub fn plan(&self, alert: &Alert, now: DateTime<Utc>) -> InsertionPlan {
        let p = self.for_severity(alert.severity);
        let until = alert.expires.map(|e| e.utc());
        let first = alert.effective_from().utc().max(now);
        let airs = alert.msg_type.airs() && !matches!(until, Some(u) if first >= u);
        let airings = if airs {
            (0..=p.repeat_count)
                .map(|k| first + TimeDelta::seconds(i64::from(k) * i64::from(p.repeat_interval_s)))
                .take_while(|t| !matches!(until, Some(u) if *t >= u))
                .collect()
        } else {
            Vec::new()
        };
        InsertionPlan { interrupt: p.interrupt, attention_signal: p.attention_signal, airings, until }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emergency::{validate_document, AlertTime};

    fn alert(severity: Severity) -> Alert {
        let doc = br#"{"id":"a","sender":"s","sent":"2026-07-01T08:30:00+08:00","status":"Actual",
            "msg_type":"Alert","severity":"Extreme","urgency":"Immediate","certainty":"Observed",
            "event":"flood","areas":[{"desc":"Miyi","codes":["510421"]}],
            "expires":"2026-07-01T09:30:00+08:00","language":"zh-CN"}"#;
        let mut a = validate_document(doc).alert.unwrap();
        a.severity = severity;
        a
    }

    fn t(s: &str) -> DateTime<Utc> {
        AlertTime::parse_cap(s).unwrap().utc()
    }

    #[test]
    fn extreme_cuts_in_now_and_repeats_within_expiry() {
        let plan = AlertPolicy::default().plan(&alert(Severity::Extreme), t("2026-07-01T08:31:00+08:00"));
        assert_eq!(plan.interrupt, Interrupt::NextFrame);
        assert!(plan.attention_signal);
        assert_eq!(
            plan.airings,
            [
                t("2026-07-01T08:31:00+08:00"),
                t("2026-07-01T08:41:00+08:00"),
                t("2026-07-01T08:51:00+08:00"),
                t("2026-07-01T09:01:00+08:00")
            ]
        );
        assert_eq!(plan.until, Some(t("2026-07-01T09:30:00+08:00")));
    }

    #[test]
    fn repeats_past_expiry_are_dropped() {
        let plan = AlertPolicy::default().plan(&alert(Severity::Moderate), t("2026-07-01T09:00:00+08:00"));
        assert_eq!(plan.airings, [t("2026-07-01T09:00:00+08:00")]);
        assert_eq!(plan.interrupt.latest_start(plan.airings[0]), Some(t("2026-07-01T09:02:00+08:00")));
    }

    #[test]
    fn minor_is_crawl_only_and_expired_alerts_do_not_air() {
        let policy = AlertPolicy::default();
        let plan = policy.plan(&alert(Severity::Minor), t("2026-07-01T08:30:00+08:00"));
        assert_eq!(plan.interrupt, Interrupt::CrawlOnly);
        assert_eq!(plan.interrupt.latest_start(t("2026-07-01T08:30:00+08:00")), None);
        assert_eq!(plan.airings.len(), 1);
        let late = policy.plan(&alert(Severity::Extreme), t("2026-07-01T09:30:00+08:00"));
        assert!(late.airings.is_empty());
    }

    #[test]
    fn future_effective_time_delays_the_first_airing() {
        let mut a = alert(Severity::Severe);
        a.effective = Some(AlertTime::parse_cap("2026-07-01T09:00:00+08:00").unwrap());
        let plan = AlertPolicy::default().plan(&a, t("2026-07-01T08:30:00+08:00"));
        assert_eq!(plan.airings[0], t("2026-07-01T09:00:00+08:00"));
    }

    #[test]
    fn policy_reads_from_partial_config() {
        let p: AlertPolicy = serde_json::from_str(
            r#"{"minor":{"interrupt":{"mode":"next_item_boundary","max_wait_s":30},
                "attention_signal":false,"repeat_count":1,"repeat_interval_s":60}}"#,
        )
        .unwrap();
        assert_eq!(p.minor.interrupt, Interrupt::NextItemBoundary { max_wait_s: 30 });
        assert_eq!(p.extreme, AlertPolicy::default().extreme);
    }
}
