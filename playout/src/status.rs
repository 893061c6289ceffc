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
    /// Title (or source) of the filler airing in place of the schedule (a gap, a failed
    /// item, a dropped relay); `None` while the schedule airs or the slate stands in.
    pub filler: Option<String>,
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
        prometheus_text(&[(channel, self)])
    }
}

/// Prometheus text exposition (version 0.0.4) of several channels, label `channel`. Each
/// metric family appears once — its `HELP` and `TYPE`, then every channel's samples — as the
/// format requires (a family repeated per channel is refused by Prometheus' parser).
pub fn prometheus_text(channels: &[(&str, &Status)]) -> String {
    type Scalar = fn(&Status) -> f64;
    const SCALARS: [(&str, &str, &str, Scalar); 6] = [
        ("kapok_playout_position_seconds", "gauge", "Channel timeline position.", |s| s.position_s),
        ("kapok_playout_frames_total", "counter", "Video frames emitted.", |s| s.frames_out as f64),
        ("kapok_playout_samples_total", "counter", "Audio samples emitted per channel.", |s| s.samples_out as f64),
        ("kapok_playout_fallbacks_total", "counter", "Items that needed slate or silence.", |s| s.fallbacks as f64),
        ("kapok_playout_late_frames_total", "counter", "Frames repeated for a late source.", |s| s.late_frames as f64),
        ("kapok_playout_late_samples_total", "counter", "Silent samples for a late source.", |s| s.late_samples as f64),
    ];
    let mut out = String::new();
    for (name, kind, help, value) in SCALARS {
        let samples = channels.iter().map(|(c, s)| (format!("channel=\"{}\"", escape(c)), value(s))).collect();
        family(&mut out, name, kind, help, samples);
    }
    // Off-air and per-target families only for channels with targets.
    let targeted: Vec<&(&str, &Status)> = channels.iter().filter(|(_, s)| !s.outputs.is_empty()).collect();
    let channel_samples = |value: fn(&Status) -> f64| {
        targeted.iter().map(|(c, s)| (format!("channel=\"{}\"", escape(c)), value(s))).collect::<Vec<_>>()
    };
    let off_air = channel_samples(|s| f64::from(u8::from(s.off_air_s.is_some())));
    let off_air_s = channel_samples(|s| s.off_air_s.unwrap_or(0.0));
    family(
        &mut out,
        "kapok_playout_off_air",
        "gauge",
        "Every output target is down (1): nothing leaves the channel.",
        off_air,
    );
    family(
        &mut out,
        "kapok_playout_off_air_seconds",
        "gauge",
        "How long every output target has been down.",
        off_air_s,
    );
    let target_samples = |value: &dyn Fn(&OutputStatus) -> Vec<(String, f64)>| {
        let mut samples = Vec::new();
        for (c, s) in &targeted {
            for o in &s.outputs {
                let labels = format!("channel=\"{}\",target=\"{}\"", escape(c), escape(&o.target));
                samples.extend(value(o).into_iter().map(|(extra, v)| (format!("{labels}{extra}"), v)));
            }
        }
        samples
    };
    let up = target_samples(&|o| vec![(String::new(), f64::from(u8::from(o.state == OutputState::Up)))]);
    family(&mut out, "kapok_playout_output_up", "gauge", "Output target working (1) or failed (0).", up);
    let states = target_samples(&|o| {
        [OutputState::Up, OutputState::Reconnecting, OutputState::Failed]
            .into_iter()
            .map(|st| (format!(",state=\"{}\"", st.as_str()), f64::from(u8::from(o.state == st))))
            .collect()
    });
    family(&mut out, "kapok_playout_output_state", "gauge", "Output target state (1 for the current one).", states);
    let reconnects = target_samples(&|o| vec![(String::new(), o.reconnects as f64)]);
    let help = "Times a target came back after failing.";
    family(&mut out, "kapok_playout_output_reconnects_total", "counter", help, reconnects);
    let dropped = target_samples(&|o| vec![(String::new(), o.dropped_buffers as f64)]);
    let help = "TS buffers a lagging target dropped.";
    family(&mut out, "kapok_playout_output_dropped_buffers_total", "counter", help, dropped);
    out
}

/// One metric family: `HELP`, `TYPE` and its samples (label text, value); nothing without samples.
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: Vec<(String, f64)>) {
    if samples.is_empty() {
        return;
    }
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{{{labels}}} {value}");
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

    #[test]
    fn several_channels_share_each_family_once() {
        let tv = Status { frames_out: 25, ..Status::default() };
        let up = OutputStatus { target: "hls /r".into(), ..OutputStatus::default() };
        let radio = Status { samples_out: 48_000, outputs: vec![up], ..Status::default() };
        let text = prometheus_text(&[("tv", &tv), ("radio", &radio)]);
        for family in ["kapok_playout_frames_total", "kapok_playout_off_air", "kapok_playout_output_up"] {
            let typed = text.lines().filter(|l| l.starts_with(&format!("# TYPE {family} "))).count();
            assert_eq!(typed, 1, "{family} typed once in {text}");
        }
        assert!(text.contains(
            "kapok_playout_frames_total{channel=\"tv\"} 25\nkapok_playout_frames_total{channel=\"radio\"} 0\n"
        ));
        assert!(text.contains("kapok_playout_samples_total{channel=\"radio\"} 48000\n"));
        assert!(text.contains("kapok_playout_off_air{channel=\"radio\"} 0\n"));
        assert!(!text.contains("kapok_playout_off_air{channel=\"tv\"}"), "tv has no targets: {text}");
        assert_eq!(prometheus_text(&[]), "");
    }
}
