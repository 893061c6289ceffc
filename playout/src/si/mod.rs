//! Service information (ETSI EN 300 468) in the channel's MPEG-TS: the SDT (service name and
//! provider, service type) and the EIT (present/following and the schedule of the next 7
//! days) built from the published schedule, and a PAT carrying the channel's transport stream
//! id.
//!
//! **Built here, not by GStreamer.** `mpegtsmux` takes SI as `GstMpegtsSection` events, but
//! the gstreamer-mpegts Rust crate is published only for gstreamer-rs 0.22 (none for the 0.23
//! this workspace uses) and has no SDT/EIT builders in its safe API; and `mpegtsmux` 1.22 has
//! no property for the transport stream id (its PAT always says 1). So Kapok builds the
//! sections in Rust ([`tables`], with [`crc`] and [`text`]) and the [`Inserter`] puts them into
//! the mux's output at the appsink, before the targets: it replaces each PAT packet of the mux
//! with its own (same place and rate, its own continuity counter) and adds SDT packets on PID
//! 0x11 and EIT packets on PID 0x12. `mpegtsmux` 1.22 writes no SDT or EIT of its own (its
//! output holds PAT, PMT and the elementary streams only), so nothing clashes. The service id
//! (programme number), PMT PID and stream PIDs are the mux's own, set through its `prog-map`
//! and pad names (`output.rs`).
//!
//! Rates (ETSI TR 101 211 4.4): SDT and EIT present/following every second (at most 2 s
//! allowed), EIT schedule every 10 s, the PAT as the mux writes it (every 100 ms).

pub mod crc;
mod inserter;
pub mod packets;
pub mod tables;
pub mod text;

use chrono::{DateTime, Utc};

pub use inserter::{Inserter, SiHandle};
pub use schedules::service::ServiceIds;

/// What the SDT says of a channel and how its TS is numbered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInfo {
    pub ids: ServiceIds,
    /// Service name (the channel's name), e.g. 米易综合频道.
    pub name: String,
    /// Service provider: the producing centre, e.g. 米易县融媒体中心.
    pub provider: String,
    /// Digital radio sound service (0x02) instead of digital television (0x01).
    pub radio: bool,
}

impl ServiceInfo {
    /// The SDT's service_type.
    pub fn service_type(&self) -> u8 {
        if self.radio {
            0x02
        } else {
            0x01
        }
    }
}

/// One programme of the published schedule, for the EIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideEvent {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub title: String,
    /// The programme's category by its Chinese name (`涉农`, `新闻` …), when known.
    pub category: Option<String>,
}
