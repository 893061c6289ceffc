//! Detection thresholds and the segments QC judges. The detectors run in the media child's
//! house transcode (`blackdetect`/`freezedetect` in its filter graph, `silencedetect`'s rule
//! on the normalised audio); [`parse_log`] reads the same detectors' lines from an `ffmpeg`
//! run's log (a check by hand against the CLI).

use serde::{Deserialize, Serialize};

/// Detection thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Shortest black run reported, seconds.
    pub black_min_s: f64,
    /// Luma level (0…1) under which a pixel counts as black (`blackdetect pix_th`).
    pub black_pixel_level: f64,
    /// Shortest frozen run reported, seconds.
    pub freeze_min_s: f64,
    /// Silence level, dBFS.
    pub silence_dbfs: f64,
    /// Shortest silence reported, seconds.
    pub silence_min_s: f64,
    /// Largest tolerated A/V duration mismatch, in frames.
    pub av_mismatch_frames: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            black_min_s: 2.0,
            black_pixel_level: 0.10,
            freeze_min_s: 2.0,
            silence_dbfs: -60.0,
            silence_min_s: 3.0,
            av_mismatch_frames: 2.0,
        }
    }
}

/// A time span in seconds from the start of the programme.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds.
    pub end_s: f64,
}

impl Segment {
    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.end_s - self.start_s
    }

    fn within(&self, other: &Segment) -> bool {
        self.start_s >= other.start_s - 0.1 && self.end_s <= other.end_s + 0.1
    }
}

/// Everything the detectors found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Detections {
    /// Black picture runs.
    pub black: Vec<Segment>,
    /// Frozen picture runs (those inside a black run are dropped: black is also frozen).
    pub freeze: Vec<Segment>,
    /// Silent runs.
    pub silence: Vec<Segment>,
}

/// Parses the detectors' log lines. Segments still open at the end close at `duration_s`.
pub fn parse_log(log: &str, duration_s: f64) -> Detections {
    let mut d = Detections::default();
    let (mut freeze_open, mut silence_open) = (None::<f64>, None::<f64>);
    for line in log.lines() {
        if line.contains("[blackdetect") {
            if let (Some(s), Some(e)) = (value_after(line, "black_start:"), value_after(line, "black_end:")) {
                d.black.push(Segment { start_s: s, end_s: e });
            }
        } else if line.contains("[freezedetect") {
            if let Some(s) = value_after(line, "freeze_start:") {
                freeze_open = Some(s);
            } else if let (Some(e), Some(s)) = (value_after(line, "freeze_end:"), freeze_open.take()) {
                d.freeze.push(Segment { start_s: s, end_s: e });
            }
        } else if line.contains("[silencedetect") {
            if let Some(s) = value_after(line, "silence_start:") {
                silence_open = Some(s);
            } else if let (Some(e), Some(s)) = (value_after(line, "silence_end:"), silence_open.take()) {
                d.silence.push(Segment { start_s: s, end_s: e });
            }
        }
    }
    if let Some(s) = freeze_open {
        d.freeze.push(Segment { start_s: s, end_s: duration_s.max(s) });
    }
    if let Some(s) = silence_open {
        d.silence.push(Segment { start_s: s, end_s: duration_s.max(s) });
    }
    drop_freeze_inside_black(&mut d);
    d
}

/// Drops frozen runs that lie inside a black run (a black picture is also a frozen one).
pub fn drop_freeze_inside_black(d: &mut Detections) {
    let black = d.black.clone();
    d.freeze.retain(|f| !black.iter().any(|b| f.within(b)));
}

fn value_after(line: &str, key: &str) -> Option<f64> {
    let rest = &line[line.find(key)? + key.len()..];
    let token = rest.split_whitespace().next()?;
    token.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from FFmpeg 5.1 over a clip: 3 s black, 4 s picture, 3 s frozen; tone then silence.
    const LOG: &str = "\
[freezedetect @ 0x5639274f7ec0] lavfi.freezedetect.freeze_start: 0
[blackdetect @ 0x5639274f6f80] black_start:0 black_end:3 black_duration:3
[freezedetect @ 0x5639274f7ec0] lavfi.freezedetect.freeze_duration: 3
[freezedetect @ 0x5639274f7ec0] lavfi.freezedetect.freeze_end: 3
[silencedetect @ 0x56392711a380] silence_start: 2.00087
[freezedetect @ 0x5639274f7ec0] lavfi.freezedetect.freeze_start: 6.96
[silencedetect @ 0x56392711a380] silence_end: 10.0053 | silence_duration: 8.00446
";

    #[test]
    fn detector_lines_become_segments_and_open_runs_close_at_the_end() {
        let d = parse_log(LOG, 10.0);
        assert_eq!(d.black, vec![Segment { start_s: 0.0, end_s: 3.0 }]);
        assert_eq!(d.freeze, vec![Segment { start_s: 6.96, end_s: 10.0 }]);
        assert_eq!(d.silence, vec![Segment { start_s: 2.00087, end_s: 10.0053 }]);
    }

    #[test]
    fn silence_still_open_at_eof_ends_at_the_programme_end() {
        let d = parse_log("[silencedetect @ 0x1] silence_start: 4.5\n", 12.0);
        assert_eq!(d.silence, vec![Segment { start_s: 4.5, end_s: 12.0 }]);
    }

    #[test]
    fn garbage_lines_are_ignored() {
        let d = parse_log(
            "[blackdetect @ x] black_start:nan black_end:\n[silencedetect @ y] silence_end: 3\nrandom\n",
            5.0,
        );
        assert_eq!(d, Detections::default());
    }
}
