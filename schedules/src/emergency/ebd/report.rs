//! The payloads Kapok sends up: `ConnectionCheck` (heartbeat), `EBRBSInfo` (what this
//! broadcast system is), `EBRBSState` (on, off, fault, recovered), `EBMStateResponse` (how
//! one message is airing) and `EBMBrdLog` (the broadcast log over a time range). Element
//! layouts follow the public vendor implementations (see [`super::vendor`]).

use chrono::{DateTime, Utc};

use super::envelope::{format_time, EbdType, Header, XmlWriter};
use super::vendor;

/// `BrdStateCode` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrdState {
    /// `0`: not processed.
    NotProcessed = 0,
    /// `1`: waiting to air.
    Waiting = 1,
    /// `2`: airing.
    Airing = 2,
    /// `3`: aired to its end.
    Done = 3,
    /// `4`: failed.
    Failed = 4,
    /// `5`: cancelled.
    Cancelled = 5,
}

impl BrdState {
    /// The code as written.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// A short description (`BrdStateDesc`).
    pub fn desc(self) -> &'static str {
        match self {
            Self::NotProcessed => "未处理",
            Self::Waiting => "等待播发",
            Self::Airing => "播发中",
            Self::Done => "播发成功",
            Self::Failed => "播发失败",
            Self::Cancelled => "取消播发",
        }
    }
}

/// One channel's airing of a message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChannelBroadcast {
    /// The channel's name.
    pub channel: String,
    /// When it went on air.
    pub start: Option<DateTime<Utc>>,
    /// When it came off air.
    pub end: Option<DateTime<Utc>>,
    /// Its state on this channel.
    pub state: BrdState,
}

/// How one message is airing, as reported in `EBMStateResponse` and `EBMBrdLog`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BroadcastReport {
    /// `EBMID`.
    pub ebm_id: String,
    /// Its overall state.
    pub state: BrdState,
    /// Area codes covered (inside the network).
    pub covered: Vec<String>,
    /// Area codes asked for but not covered.
    pub not_covered: Vec<String>,
    /// Each channel's airing.
    pub channels: Vec<ChannelBroadcast>,
}

impl BroadcastReport {
    /// Share of the asked-for areas covered, 0–1.
    pub fn coverage_rate(&self) -> f64 {
        let all = self.covered.len() + self.not_covered.len();
        if all == 0 {
            0.0
        } else {
            self.covered.len() as f64 / all as f64
        }
    }

    fn write(&self, w: &mut XmlWriter, ebrid: &str) {
        w.element("EBM", |w| {
            w.leaf("EBMID", &self.ebm_id);
        });
        w.leaf("BrdStateCode", &self.state.code().to_string()).leaf("BrdStateDesc", self.state.desc());
        w.element("Coverage", |w| {
            w.leaf("CoverageRate", &format!("{:.2}", self.coverage_rate()))
                .leaf("AreaCode", &self.covered.join(","))
                .leaf("ResBrdStat", &vendor::res_brd_stat(self.channels.len()));
        });
        w.element("ResBrdInfo", |w| {
            for c in &self.channels {
                w.element("ResBrdItem", |w| {
                    w.element("EBRBS", |w| {
                        w.leaf("EBRID", ebrid).leaf("BrdSysInfo", &c.channel);
                        w.leaf("StartTime", &c.start.map(format_time).unwrap_or_default());
                        w.leaf("EndTime", &c.end.map(format_time).unwrap_or_default());
                        w.leaf("BrdStateCode", &c.state.code().to_string()).leaf("BrdStateDesc", c.state.desc());
                    });
                });
            }
        });
    }
}

/// Who Kapok is, for `EBRBSInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemInfo {
    /// Kapok's EBRID.
    pub ebrid: String,
    /// A name for people.
    pub name: String,
    /// Where the platform reaches Kapok, when configured.
    pub url: Option<String>,
    /// The upper platform's EBRID (`RelatedEBRPS`).
    pub platform: String,
    /// Area codes served.
    pub areas: Vec<String>,
}

/// A `ConnectionCheck` data file.
pub fn connection_check(h: &Header, now: DateTime<Utc>) -> Vec<u8> {
    h.build(EbdType::ConnectionCheck, |w| {
        w.leaf("RptTime", &format_time(now));
    })
}

/// An `EBRBSInfo` data file.
pub fn system_info(h: &Header, info: &SystemInfo, now: DateTime<Utc>) -> Vec<u8> {
    h.build(EbdType::EbrbsInfo, |w| {
        w.element("EBRBS", |w| {
            w.leaf("RptTime", &format_time(now)).leaf("RptType", "Sync");
            w.element("RelatedEBRPS", |w| {
                w.leaf("EBRID", &info.platform);
            });
            w.leaf("EBRID", &info.ebrid).leaf("EBRName", &info.name).leaf_opt("URL", info.url.as_deref());
            w.leaf("AreaCode", &info.areas.join(","));
        });
    })
}

/// An `EBRBSState` data file (`state`: see [`vendor::rbs_state`]).
pub fn system_state(h: &Header, ebrid: &str, state: u8, desc: &str, now: DateTime<Utc>) -> Vec<u8> {
    h.build(EbdType::EbrbsState, |w| {
        w.element("EBRBS", |w| {
            w.leaf("RptTime", &format_time(now))
                .leaf("EBRID", ebrid)
                .leaf("StateCode", &state.to_string())
                .leaf("StateDesc", desc);
        });
    })
}

/// An `EBMStateResponse` data file.
pub fn ebm_state(h: &Header, ebrid: &str, report: &BroadcastReport, now: DateTime<Utc>) -> Vec<u8> {
    h.build(EbdType::EbmStateResponse, |w| {
        w.leaf("RptTime", &format_time(now));
        report.write(w, ebrid);
    })
}

/// An `EBMBrdLog` data file over `start`–`end`.
pub fn broadcast_log(
    h: &Header,
    ebrid: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    reports: &[BroadcastReport],
) -> Vec<u8> {
    h.build(EbdType::EbmBrdLog, |w| {
        w.element("Params", |w| {
            w.leaf("RptStartTime", &format_time(start)).leaf("RptEndTime", &format_time(end)).leaf("RptType", "Full");
        });
        for r in reports {
            w.element("EBMBrdItem", |w| r.write(w, ebrid));
        }
    })
}
