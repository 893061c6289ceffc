//! Quality control of a house file: a verdict (pass / warn / fail) with findings and
//! timecodes. The detectors run in [`detect`]; the judgement here is pure.

pub mod detect;

use serde::{Deserialize, Serialize};

pub use detect::{Detections, Segment, Thresholds};

use crate::gain::LoudnessTarget;
use crate::loudness::Loudness;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; does not affect the verdict.
    Info,
    /// Someone should look before air.
    Warn,
    /// Not fit for air as it is.
    Fail,
}

/// The overall verdict: the worst severity found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing above info.
    Pass,
    /// At least one warning.
    Warn,
    /// At least one failure.
    Fail,
}

/// One thing QC noticed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Which check: `black`, `freeze`, `silence`, `loudness`, `true_peak`, `av_sync`,
    /// `decode_errors`, `interlaced`.
    pub check: String,
    /// How serious.
    pub severity: Severity,
    /// A sentence for the operator.
    pub message: String,
    /// Start of the segment, seconds (segment checks only).
    pub start_s: Option<f64>,
    /// End of the segment, seconds.
    pub end_s: Option<f64>,
    /// Start as `HH:MM:SS:FF` at the house frame rate.
    pub start_tc: Option<String>,
    /// End as `HH:MM:SS:FF`.
    pub end_tc: Option<String>,
}

/// The QC report stored with the programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QcReport {
    /// Worst severity found.
    pub verdict: Verdict,
    /// Everything found, in check order.
    pub findings: Vec<Finding>,
}

/// What QC judges.
#[derive(Debug, Clone, PartialEq)]
pub struct QcInputs<'a> {
    /// Detector results on the house file.
    pub detections: &'a Detections,
    /// House programme duration, seconds.
    pub duration_s: f64,
    /// House frame rate (timecodes; A/V tolerance).
    pub fps: f64,
    /// Loudness of the house file.
    pub house_loudness: Option<Loudness>,
    /// The channel's loudness target.
    pub target: &'a LoudnessTarget,
    /// Declared durations of the source's video and audio streams.
    pub source_av_s: (Option<f64>, Option<f64>),
    /// Durations of the house file's video and audio.
    pub house_av_s: (Option<f64>, Option<f64>),
    /// Decoder complaints while transcoding, with a sample.
    pub decode_errors: (usize, &'a [String]),
    /// The source was interlaced (and was deinterlaced).
    pub source_interlaced: bool,
}

/// Formats seconds as `HH:MM:SS:FF` at `fps` (non-drop-frame).
pub fn timecode(seconds: f64, fps: f64) -> String {
    let fps_i = fps.round().max(1.0) as u64;
    let frames = (seconds.max(0.0) * fps).round() as u64;
    let (ff, s) = (frames % fps_i, frames / fps_i);
    format!("{:02}:{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60, ff)
}

/// Judges the inputs.
pub fn evaluate(i: &QcInputs<'_>, t: &Thresholds) -> QcReport {
    let mut f = Vec::new();
    let segment = |check: &str, what: &str, seg: &Segment, sev: Severity| Finding {
        check: check.into(),
        severity: sev,
        message: format!("{what} for {:.1} s", seg.duration_s()),
        start_s: Some(seg.start_s),
        end_s: Some(seg.end_s),
        start_tc: Some(timecode(seg.start_s, i.fps)),
        end_tc: Some(timecode(seg.end_s, i.fps)),
    };
    // A segment covering (nearly) the whole programme means there is no programme.
    let sev_for = |seg: &Segment| {
        if i.duration_s > 0.0 && seg.duration_s() >= 0.9 * i.duration_s {
            Severity::Fail
        } else {
            Severity::Warn
        }
    };
    for s in &i.detections.black {
        f.push(segment("black", "black picture", s, sev_for(s)));
    }
    for s in &i.detections.freeze {
        f.push(segment("freeze", "frozen picture", s, sev_for(s)));
    }
    for s in &i.detections.silence {
        f.push(segment("silence", &format!("silence below {} dBFS", t.silence_dbfs), s, sev_for(s)));
    }
    loudness_findings(i, &mut f);
    av_findings(i, t, &mut f);
    let (count, sample) = i.decode_errors;
    if count > 0 {
        let sev = if count >= 100 { Severity::Fail } else { Severity::Warn };
        let first = sample.first().map(String::as_str).unwrap_or("");
        f.push(plain(
            "decode_errors",
            sev,
            format!("{count} decoder error(s) while reading the source; first: {first}"),
        ));
    }
    if i.source_interlaced {
        f.push(plain("interlaced", Severity::Info, "source is interlaced; deinterlaced with bwdif".into()));
    }
    let verdict = match f.iter().map(|x| x.severity).max() {
        Some(Severity::Fail) => Verdict::Fail,
        Some(Severity::Warn) => Verdict::Warn,
        _ => Verdict::Pass,
    };
    QcReport { verdict, findings: f }
}

fn plain(check: &str, severity: Severity, message: String) -> Finding {
    Finding { check: check.into(), severity, message, start_s: None, end_s: None, start_tc: None, end_tc: None }
}

fn loudness_findings(i: &QcInputs<'_>, f: &mut Vec<Finding>) {
    let Some(l) = i.house_loudness else { return };
    let tgt = i.target;
    match l.integrated_lufs {
        Some(lufs) => {
            let dev = lufs - tgt.integrated_lufs();
            if dev.abs() > tgt.tolerance_lu() {
                let sev = if dev.abs() > 2.0 * tgt.tolerance_lu() { Severity::Fail } else { Severity::Warn };
                f.push(plain(
                    "loudness",
                    sev,
                    format!(
                        "integrated loudness {lufs:.1} LUFS, target {:.1} ±{:.1} LU",
                        tgt.integrated_lufs(),
                        tgt.tolerance_lu()
                    ),
                ));
            }
        }
        None => f.push(plain("loudness", Severity::Warn, "no measurable programme loudness (silent)".into())),
    }
    if let Some(tp) = l.true_peak_dbtp {
        let over = tp - tgt.true_peak_ceiling_dbtp();
        if over > 0.0 {
            let sev = if over > 0.5 { Severity::Fail } else { Severity::Warn };
            f.push(plain(
                "true_peak",
                sev,
                format!("true peak {tp:.1} dBTP over the {:.1} dBTP ceiling", tgt.true_peak_ceiling_dbtp()),
            ));
        }
    }
}

fn av_findings(i: &QcInputs<'_>, t: &Thresholds, f: &mut Vec<Finding>) {
    let tol = t.av_mismatch_frames / i.fps.max(1.0);
    if let (Some(v), Some(a)) = i.source_av_s {
        if (v - a).abs() > tol {
            f.push(plain(
                "av_sync",
                Severity::Warn,
                format!("source video lasts {v:.2} s but its audio {a:.2} s (the house file is aligned to the video)"),
            ));
        }
    }
    if let (Some(v), Some(a)) = i.house_av_s {
        if (v - a).abs() > tol {
            f.push(plain("av_sync", Severity::Fail, format!("house video lasts {v:.2} s but its audio {a:.2} s")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>(d: &'a Detections, target: &'a LoudnessTarget, lufs: f64, tp: f64) -> QcInputs<'a> {
        QcInputs {
            detections: d,
            duration_s: 60.0,
            fps: 25.0,
            house_loudness: Some(Loudness {
                integrated_lufs: Some(lufs),
                true_peak_dbtp: Some(tp),
                range_lu: Some(5.0),
            }),
            target,
            source_av_s: (Some(60.0), Some(60.0)),
            house_av_s: (Some(60.0), Some(60.02)),
            decode_errors: (0, &[]),
            source_interlaced: false,
        }
    }

    #[test]
    fn clean_programme_on_target_passes() {
        let (d, t) = (Detections::default(), LoudnessTarget::gy_t_282());
        let r = evaluate(&inputs(&d, &t, -24.2, -3.0), &Thresholds::default());
        assert_eq!(r.verdict, Verdict::Pass, "{r:?}");
        assert!(r.findings.is_empty());
    }

    #[test]
    fn black_segment_warns_with_timecodes() {
        let d = Detections { black: vec![Segment { start_s: 10.0, end_s: 13.52 }], ..Default::default() };
        let t = LoudnessTarget::gy_t_282();
        let r = evaluate(&inputs(&d, &t, -24.0, -3.0), &Thresholds::default());
        assert_eq!(r.verdict, Verdict::Warn);
        assert_eq!(r.findings[0].start_tc.as_deref(), Some("00:00:10:00"));
        assert_eq!(r.findings[0].end_tc.as_deref(), Some("00:00:13:13"));
    }

    #[test]
    fn silence_over_the_whole_programme_fails() {
        let d = Detections { silence: vec![Segment { start_s: 0.0, end_s: 60.0 }], ..Default::default() };
        let t = LoudnessTarget::gy_t_282();
        assert_eq!(evaluate(&inputs(&d, &t, -24.0, -3.0), &Thresholds::default()).verdict, Verdict::Fail);
    }

    #[test]
    fn loudness_off_target_warns_then_fails_and_peaks_over_ceiling_fail() {
        let (d, t) = (Detections::default(), LoudnessTarget::gy_t_282());
        let th = Thresholds::default();
        assert_eq!(evaluate(&inputs(&d, &t, -25.5, -3.0), &th).verdict, Verdict::Warn);
        assert_eq!(evaluate(&inputs(&d, &t, -27.0, -3.0), &th).verdict, Verdict::Fail);
        assert_eq!(evaluate(&inputs(&d, &t, -24.0, -1.0), &th).verdict, Verdict::Fail);
    }

    #[test]
    fn av_mismatch_over_two_frames_is_reported() {
        let (d, t) = (Detections::default(), LoudnessTarget::gy_t_282());
        let mut i = inputs(&d, &t, -24.0, -3.0);
        i.source_av_s = (Some(60.0), Some(59.8));
        let r = evaluate(&i, &Thresholds::default());
        assert_eq!(r.findings[0].check, "av_sync");
        assert_eq!(r.verdict, Verdict::Warn);
        i.source_av_s = (Some(60.0), Some(59.93));
        assert_eq!(evaluate(&i, &Thresholds::default()).verdict, Verdict::Pass);
    }

    #[test]
    fn decode_errors_and_interlacing_are_reported() {
        let (d, t) = (Detections::default(), LoudnessTarget::gy_t_282());
        let errs = vec!["[h264 @ 0x1] error while decoding MB 3 4".to_string()];
        let mut i = inputs(&d, &t, -24.0, -3.0);
        i.decode_errors = (1, &errs);
        i.source_interlaced = true;
        let r = evaluate(&i, &Thresholds::default());
        assert_eq!(r.verdict, Verdict::Warn);
        assert!(r.findings.iter().any(|f| f.check == "interlaced" && f.severity == Severity::Info));
    }

    #[test]
    fn timecodes_count_frames() {
        assert_eq!(timecode(3723.52, 25.0), "01:02:03:13");
        assert_eq!(timecode(0.0, 25.0), "00:00:00:00");
    }
}
