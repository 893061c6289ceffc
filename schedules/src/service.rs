//! How a channel's service is numbered in its MPEG-TS (ISO/IEC 13818-1, ETSI EN 300 468):
//! the ids a head-end and a set-top box know it by, and its PIDs. Stored with the channel
//! (catalog), used by playout's service information (`playout::si`); docs/service-information.md.

use serde::{Deserialize, Serialize};

/// The numbers that identify a channel's service in its transport stream, with their
/// defaults: service id 1, transport stream id 1, original network id 0xFF01 (the first of
/// the private range ETSI TS 101 162 leaves for networks without an allocated id), PMT on PID
/// 0x1000, video on 0x0100, audio on 0x0101 (the values DVB receivers and analysers show
/// for most single-programme streams). A head-end that multiplexes several channels needs
/// each channel's service id unique in the multiplex and its own network's ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_usable_and_reserved_or_shared_pids_and_service_0_are_refused() {
        assert!(ServiceIds::default().problems().is_empty());
        let bad = ServiceIds { service_id: 0, pmt_pid: 0x11, video_pid: 0x101, ..ServiceIds::default() };
        let p = bad.problems();
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].starts_with("service_id:") && p[1].starts_with("pmt_pid:") && p[2].starts_with("audio_pid:"));
        let partial: ServiceIds = serde_json::from_str(r#"{"service_id": 12}"#).unwrap();
        assert_eq!(partial, ServiceIds { service_id: 12, ..ServiceIds::default() });
        assert!(serde_json::from_str::<ServiceIds>(r#"{"pmt_pid": 70000}"#).is_err());
        assert!(serde_json::from_str::<ServiceIds>(r#"{"pid": 1}"#).is_err());
    }
}
