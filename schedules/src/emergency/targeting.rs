//! Which channels an alert reaches.
//!
//! By area code: an alert code reaches a channel when it contains one of the channel's
//! codes — `510400` (the city) reaches every channel of the network, `510421` only
//! 米易's, and a 12-digit township/village code is widened to its county first (a channel
//! covers whole counties). By shape: an alert polygon or circle reaches a channel whose
//! coverage polygon it overlaps. Status and message type decide whether anything airs:
//! Test, System and Draft never reach a public channel, Exercise reaches only channels
//! that allow drills, Ack and Error never air.

use serde::{Deserialize, Serialize};

use super::alert::Alert;
use super::area_code::{AreaCode, PANZHIHUA_NETWORK};
use super::geo::Polygon;
use super::reason::{Reason, ReasonCode};
use super::vocab::{MsgType, Status};

/// A playout channel's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelId(pub String);

/// TV or radio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// Television: slate, crawl and audio.
    Tv,
    /// Radio: audio only.
    Radio,
}

/// What a channel covers, for targeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelCoverage {
    /// The channel.
    pub id: ChannelId,
    /// TV or radio.
    pub kind: ChannelKind,
    /// Areas it serves (`510400` for the city channels, `510421` for 米易's).
    pub area_codes: Vec<AreaCode>,
    /// Whether Exercise (演练) alerts may air on it.
    pub allows_drills: bool,
    /// Coverage footprint, when known.
    #[serde(default)]
    pub polygon: Option<Polygon>,
}

/// Why an alert airs nowhere regardless of its areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "because", content = "value")]
pub enum Withheld {
    /// Test, System or Draft status.
    Status(Status),
    /// Ack or Error message.
    MsgType(MsgType),
}

/// The outcome of targeting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Targeting {
    /// Channels to air on, in the order given.
    pub channels: Vec<ChannelId>,
    /// Set when the alert airs nowhere by rule.
    pub withheld: Option<Withheld>,
    /// Problems: codes outside the network, or an airable alert reaching no channel.
    pub reasons: Vec<Reason>,
}

/// The set of areas this installation serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    codes: Vec<AreaCode>,
}

impl Network {
    /// A network of the given areas.
    pub fn new(codes: Vec<AreaCode>) -> Self {
        Self { codes }
    }

    /// The Panzhihua "1+5" network: 510400 and its five counties/districts.
    pub fn panzhihua() -> Self {
        Self::new(PANZHIHUA_NETWORK.iter().filter_map(|c| AreaCode::parse(c).ok()).collect())
    }

    /// Whether a code overlaps the network (contains part of it, or lies within it).
    pub fn knows(&self, code: &AreaCode) -> bool {
        let county = code.county();
        self.codes.iter().any(|n| county.contains(n) || n.contains(&county))
    }

    /// The channels `alert` reaches among `channels`.
    pub fn targets(&self, alert: &Alert, channels: &[ChannelCoverage]) -> Targeting {
        let mut reasons = Vec::new();
        for (i, area) in alert.areas.iter().enumerate() {
            for (j, code) in area.codes.iter().enumerate() {
                if !self.knows(code) {
                    reasons.push(Reason::new(
                        ReasonCode::UnknownArea,
                        format!("area code {code} is outside the network this installation serves"),
                        format!("/areas/{i}/codes/{j}"),
                    ));
                }
            }
        }
        let withheld = if !alert.status.may_air() {
            Some(Withheld::Status(alert.status))
        } else if matches!(alert.msg_type, MsgType::Ack | MsgType::Error) {
            Some(Withheld::MsgType(alert.msg_type))
        } else {
            None
        };
        if withheld.is_some() {
            return Targeting { channels: Vec::new(), withheld, reasons };
        }
        let drill = alert.status == Status::Exercise;
        let chosen: Vec<ChannelId> = channels
            .iter()
            .filter(|ch| !drill || ch.allows_drills)
            .filter(|ch| reaches(alert, ch))
            .map(|ch| ch.id.clone())
            .fold(Vec::new(), |mut acc, id| {
                if !acc.contains(&id) {
                    acc.push(id);
                }
                acc
            });
        if chosen.is_empty() && alert.msg_type.airs() {
            reasons.push(Reason::new(
                ReasonCode::NoChannel,
                if drill {
                    "the exercise reaches no channel that allows drills"
                } else {
                    "the alert reaches no channel"
                },
                "/areas",
            ));
        }
        Targeting { channels: chosen, withheld: None, reasons }
    }
}

fn reaches(alert: &Alert, ch: &ChannelCoverage) -> bool {
    let by_code = alert.area_codes().any(|code| {
        let county = code.county();
        ch.area_codes.iter().any(|c| county.contains(c))
    });
    let by_shape = ch.polygon.as_ref().is_some_and(|footprint| {
        alert.areas.iter().any(|a| {
            a.polygons.iter().any(|p| p.overlaps(footprint)) || a.circles.iter().any(|c| footprint.touches_circle(c))
        })
    });
    by_code || by_shape
}

/// The channels `alert` reaches in the Panzhihua "1+5" network.
pub fn targets(alert: &Alert, channels: &[ChannelCoverage]) -> Targeting {
    Network::panzhihua().targets(alert, channels)
}
