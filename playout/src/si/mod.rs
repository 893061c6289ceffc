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
use serde::{Deserialize, Serialize};

pub use inserter::{Inserter, SiHandle};

/// The numbers that identify a channel's service in its transport stream, with their
/// defaults: service id 1, transport stream id 1, original network id 0xFF01 (the first of
/// the private range ETSI TS 101 162 leaves for networks without an allocated id), PMT on PID
/// 0x1000, video on 0x0100, audio on 0x0101 (the values DVB receivers and analysers show
/// for most single-programme streams). A head-end that multiplexes several channels needs
/// each channel's service id unique in the multiplex and its own network's ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceIds {
    /// Programme number in the PAT and PMT, service_id in the SDT and EIT (1–65535).
    pub service_id: u16,
    pub transport_stream_id: u16,
    pub original_network_id: u16,
    /// 0x0020–0x1FFE, each PID distinct.
    pub pmt_pid: u16,
    pub video_pid: u16,
    pub audio_pid: u16,
}

impl Default for ServiceIds {
    fn default() -> Self {
        ServiceIds {
            service_id: 1,
            transport_stream_id: 1,
            original_network_id: 0xFF01,
            pmt_pid: 0x1000,
            video_pid: 0x0100,
            audio_pid: 0x0101,
        }
    }
}

/// PIDs reserved by MPEG and DVB (PAT to SIT, 0x0000–0x001F) and the null PID.
const FIRST_FREE_PID: u16 = 0x0020;
const LAST_FREE_PID: u16 = 0x1FFE;

impl ServiceIds {
    /// Every problem with these ids, as `field: reason` (empty when they are usable).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.service_id == 0 {
            out.push("service_id: 0 is the network PID entry of the PAT; use 1–65535".to_owned());
        }
        let pids = [("pmt_pid", self.pmt_pid), ("video_pid", self.video_pid), ("audio_pid", self.audio_pid)];
        for (name, pid) in pids {
            if !(FIRST_FREE_PID..=LAST_FREE_PID).contains(&pid) {
                out.push(format!("{name}: {pid} (0x{pid:04X}) is reserved; use 32–8190 (0x0020–0x1FFE)"));
            }
        }
        for (i, (a, pa)) in pids.iter().enumerate() {
            for (b, pb) in &pids[i + 1..] {
                if pa == pb {
                    out.push(format!("{b}: {pb} is also the {a}; each PID must be different"));
                }
            }
        }
        out
    }
}

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
