//! Live status of an engine: what is on air, what is next, counters; and its Prometheus text.

use std::fmt::Write;

use serde::Serialize;

/// A snapshot of one engine's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Status {
    /// Title (or source) of the item on air; `None` during a gap.
    pub now: Option<String>,
    /// Title (or source) of the next item.
    pub next: Option<String>,
    /// Timeline position, seconds.
    pub position_s: f64,
    /// Video frames emitted.
    pub frames_out: u64,
    /// Audio samples (per channel) emitted.
    pub samples_out: u64,
    /// Items (and gaps) that needed fallback.
    pub fallbacks: u64,
}

impl Status {
    /// Prometheus text exposition (version 0.0.4) for `channel`.
    pub fn prometheus(&self, channel: &str) -> String {
        let label = channel.replace('\\', "\\\\").replace('"', "\\\"");
        let mut out = String::new();
        for (name, kind, help, value) in [
            ("kapok_playout_position_seconds", "gauge", "Channel timeline position.", self.position_s),
            ("kapok_playout_frames_total", "counter", "Video frames emitted.", self.frames_out as f64),
            ("kapok_playout_samples_total", "counter", "Audio samples emitted per channel.", self.samples_out as f64),
            ("kapok_playout_fallbacks_total", "counter", "Items that needed slate or silence.", self.fallbacks as f64),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{channel=\"{label}\"}} {value}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_has_one_sample_per_metric_with_escaped_label() {
        let s = Status { frames_out: 250, fallbacks: 2, position_s: 10.0, ..Status::default() };
        let text = s.prometheus("tv\"1");
        assert!(text.contains("kapok_playout_frames_total{channel=\"tv\\\"1\"} 250\n"));
        assert!(text.contains("# TYPE kapok_playout_fallbacks_total counter\n"));
        assert!(text.contains("kapok_playout_position_seconds{channel=\"tv\\\"1\"} 10\n"));
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 4);
    }
}
