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
    /// Video frames aired as stand-ins (last frame repeated) because a real-time source was
    /// late: the output never waits, so these are the channel's late frames.
    pub late_frames: u64,
    /// Audio samples of silence aired because a real-time source was late.
    pub late_samples: u64,
    /// Each output target, updated about every 2 s.
    pub outputs: Vec<OutputStatus>,
    /// Seconds since every output target went down (reconnecting or failed): the channel is
    /// OFF AIR although its timeline runs on. `None` while any target is up.
    pub off_air_s: Option<f64>,
}

/// The state of one output target.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OutputStatus {
    /// The target as configured (`file …`, `udp://host:port`, `hls …`).
    pub target: String,
    /// Why it stopped, when it has failed (the others go on).
    pub failed: Option<String>,
    /// TS buffers dropped because the target fell behind (its oldest data goes first).
    pub dropped_buffers: u64,
    /// Up, reconnecting (a network peer gone; retried with backoff) or failed for good.
    pub state: OutputState,
    /// Times the target came back after a failure.
    pub reconnects: u64,
}

/// Where an output target stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputState {
    /// Sending.
    #[default]
    Up,
    /// Down; being restarted with backoff (network targets).
    Reconnecting,
    /// Down for good (a file or HLS target that failed).
    Failed,
}

impl OutputState {
    /// The lowercase name used in JSON and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputState::Up => "up",
            OutputState::Reconnecting => "reconnecting",
            OutputState::Failed => "failed",
        }
    }
}

impl Status {
    /// Prometheus text exposition (version 0.0.4) for `channel`.
    pub fn prometheus(&self, channel: &str) -> String {
        let label = escape(channel);
        let mut out = String::new();
        for (name, kind, help, value) in [
            ("kapok_playout_position_seconds", "gauge", "Channel timeline position.", self.position_s),
            ("kapok_playout_frames_total", "counter", "Video frames emitted.", self.frames_out as f64),
            ("kapok_playout_samples_total", "counter", "Audio samples emitted per channel.", self.samples_out as f64),
            ("kapok_playout_fallbacks_total", "counter", "Items that needed slate or silence.", self.fallbacks as f64),
            (
                "kapok_playout_late_frames_total",
                "counter",
                "Frames repeated for a late source.",
                self.late_frames as f64,
            ),
            (
                "kapok_playout_late_samples_total",
                "counter",
                "Silent samples for a late source.",
                self.late_samples as f64,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{channel=\"{label}\"}} {value}");
        }
        if !self.outputs.is_empty() {
            let (off, secs) = (u8::from(self.off_air_s.is_some()), self.off_air_s.unwrap_or(0.0));
            let _ = writeln!(
                out,
                "# HELP kapok_playout_off_air Every output target is down (1): nothing leaves the channel.\n\
                 # TYPE kapok_playout_off_air gauge\nkapok_playout_off_air{{channel=\"{label}\"}} {off}\n\
                 # HELP kapok_playout_off_air_seconds How long every output target has been down.\n\
                 # TYPE kapok_playout_off_air_seconds gauge\nkapok_playout_off_air_seconds{{channel=\"{label}\"}} {secs}"
            );
            out.push_str("# HELP kapok_playout_output_up Output target working (1) or failed (0).\n");
            out.push_str("# TYPE kapok_playout_output_up gauge\n");
            for o in &self.outputs {
                let target = escape(&o.target);
                let up = u8::from(o.state == OutputState::Up);
                let _ = writeln!(out, "kapok_playout_output_up{{channel=\"{label}\",target=\"{target}\"}} {up}");
            }
            out.push_str("# HELP kapok_playout_output_state Output target state (1 for the current one).\n");
            out.push_str("# TYPE kapok_playout_output_state gauge\n");
            for o in &self.outputs {
                let target = escape(&o.target);
                for state in [OutputState::Up, OutputState::Reconnecting, OutputState::Failed] {
                    let (name, v) = (state.as_str(), u8::from(o.state == state));
                    let _ = writeln!(
                        out,
                        "kapok_playout_output_state{{channel=\"{label}\",target=\"{target}\",state=\"{name}\"}} {v}"
                    );
                }
            }
            out.push_str("# HELP kapok_playout_output_reconnects_total Times a target came back after failing.\n");
            out.push_str("# TYPE kapok_playout_output_reconnects_total counter\n");
            for o in &self.outputs {
                let (target, n) = (escape(&o.target), o.reconnects);
                let _ = writeln!(
                    out,
                    "kapok_playout_output_reconnects_total{{channel=\"{label}\",target=\"{target}\"}} {n}"
                );
            }
            out.push_str("# HELP kapok_playout_output_dropped_buffers_total TS buffers a lagging target dropped.\n");
            out.push_str("# TYPE kapok_playout_output_dropped_buffers_total counter\n");
            for o in &self.outputs {
                let (target, n) = (escape(&o.target), o.dropped_buffers);
                let _ = writeln!(
                    out,
                    "kapok_playout_output_dropped_buffers_total{{channel=\"{label}\",target=\"{target}\"}} {n}"
                );
            }
        }
        out
    }
}

/// A Prometheus label value: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
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
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 6);
    }

    #[test]
    fn each_output_has_its_state_and_drops() {
        let s = Status {
            outputs: vec![
                OutputStatus {
                    target: "udp://239.1.1.1:5000".into(),
                    failed: None,
                    dropped_buffers: 3,
                    state: OutputState::Up,
                    reconnects: 2,
                },
                OutputStatus {
                    target: "hls /x".into(),
                    failed: Some("gone".into()),
                    dropped_buffers: 0,
                    state: OutputState::Failed,
                    reconnects: 0,
                },
            ],
            ..Status::default()
        };
        let text = s.prometheus("tv");
        assert!(text.contains("kapok_playout_off_air{channel=\"tv\"} 0\n"), "{text}");
        let off = Status { off_air_s: Some(61.5), ..s.clone() }.prometheus("tv");
        assert!(off.contains("kapok_playout_off_air{channel=\"tv\"} 1\n"), "{off}");
        assert!(off.contains("kapok_playout_off_air_seconds{channel=\"tv\"} 61.5\n"), "{off}");
        assert!(text.contains("kapok_playout_output_up{channel=\"tv\",target=\"udp://239.1.1.1:5000\"} 1\n"));
        assert!(text.contains("kapok_playout_output_up{channel=\"tv\",target=\"hls /x\"} 0\n"));
        assert!(text.contains("kapok_playout_output_state{channel=\"tv\",target=\"hls /x\",state=\"failed\"} 1\n"));
        assert!(text.contains("kapok_playout_output_state{channel=\"tv\",target=\"hls /x\",state=\"up\"} 0\n"));
        assert!(
            text.contains("kapok_playout_output_reconnects_total{channel=\"tv\",target=\"udp://239.1.1.1:5000\"} 2\n")
        );
        assert!(text.contains(
            "kapok_playout_output_dropped_buffers_total{channel=\"tv\",target=\"udp://239.1.1.1:5000\"} 3\n"
        ));
    }
}
