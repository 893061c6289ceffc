//! The whole ingest of one file: probe (facts, source loudness) → one decode in the media
//! child making the house file with the gain, the re-measure, the QC detections, proxy and
//! thumbnails → QC verdict.
//!
//! Works on local paths only; the job worker fetches the upload from the media store into a
//! scratch directory, calls [`process`], and stores the files it returns. On error the work
//! directory may hold partial files (always under names the outcome never returns): discard it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::gain::LoudnessTarget;
use crate::house::{self, HouseKind, HouseOutcome, HouseSpec};
use crate::probe::{self, ProbeReport, StreamKind};
use crate::proxy::ProxyOutcome;
use crate::qc::{self, QcInputs, QcReport, Thresholds};
use crate::sandbox::{self, CancelToken};
use crate::IngestError;

/// Where the pipeline is, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Reading facts and measuring source loudness.
    Probe,
    /// Making the house file.
    Transcode,
    /// Quality control of the house file.
    Qc,
    /// Proxy, poster and thumbnails.
    Proxy,
    /// Finished.
    Done,
}

/// Settings of one ingest (from the channel and the deployment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessOptions {
    /// House picture settings.
    pub house: HouseSpec,
    /// TV or radio; `None` picks TV when the source has video.
    pub kind: Option<HouseKind>,
    /// Loudness target (default GY/T 282-2014: −24 LKFS, −2 dBTP).
    pub target: LoudnessTarget,
    /// QC thresholds.
    pub qc: Thresholds,
    /// Longest programme accepted, seconds (default 12 h).
    pub max_duration_s: f64,
    /// Caps the address space of every media child, MiB (`None`: each child's own limit, 1–4
    /// GiB). For deployments with little memory, and for tests of the limit.
    #[serde(default)]
    pub media_memory_mib: Option<u64>,
    /// Cancels the ingest: running FFmpeg children are killed, the call returns
    /// [`IngestError::Cancelled`] (retryable). Not serialised.
    #[serde(skip)]
    pub cancel: CancelToken,
}

impl Default for ProcessOptions {
    fn default() -> Self {
        Self {
            house: HouseSpec::default(),
            kind: None,
            target: LoudnessTarget::default(),
            qc: Thresholds::default(),
            max_duration_s: 12.0 * 3600.0,
            media_memory_mib: None,
            cancel: CancelToken::new(),
        }
    }
}

/// Everything an ingest produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessOutcome {
    /// Facts and (native) loudness of the source.
    pub source: ProbeReport,
    /// The house file, the gain plan, source and house loudness.
    pub house: HouseOutcome,
    /// Facts of the house file.
    pub house_probe: ProbeReport,
    /// QC verdict and findings.
    pub qc: QcReport,
    /// Proxy, poster, strip.
    pub proxy: ProxyOutcome,
    /// The loudness target the house file was normalised to and QC judged it against.
    pub target: LoudnessTarget,
}

/// One file an ingest produced, for the media store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asset {
    /// `house`, `proxy`, `poster` or `strip`.
    pub kind: &'static str,
    /// Where it is in the work directory.
    pub path: std::path::PathBuf,
}

impl ProcessOutcome {
    /// The files to store, house file first.
    pub fn assets(&self) -> Vec<Asset> {
        let mut v = vec![
            Asset { kind: "house", path: self.house.path.clone() },
            Asset { kind: "proxy", path: self.proxy.proxy.clone() },
            Asset { kind: "poster", path: self.proxy.poster.clone() },
        ];
        if let Some(strip) = &self.proxy.strip {
            v.push(Asset { kind: "strip", path: strip.clone() });
        }
        v
    }
}

/// Runs the whole ingest without progress reports. See [`process_with_progress`].
///
/// # Errors
/// As [`process_with_progress`].
pub fn process(source: &Path, work_dir: &Path, opts: &ProcessOptions) -> Result<ProcessOutcome, IngestError> {
    process_with_progress(source, work_dir, opts, &mut |_, _| {})
}

/// Runs the whole ingest of `source`, writing into `work_dir` (created if missing).
/// `progress` receives the stage and the overall percentage (0–100).
///
/// # Errors
/// [`IngestError::BadMedia`] (and `Timeout`, `Tool`) when the media is unusable — not
/// retryable, the reason is meant for the programme's page; [`IngestError::Io`] and
/// [`IngestError::Spawn`] for environment faults — retryable; see [`IngestError::kind`].
pub fn process_with_progress(
    source: &Path,
    work_dir: &Path,
    opts: &ProcessOptions,
    progress: &mut (dyn FnMut(Stage, f64) + Send),
) -> Result<ProcessOutcome, IngestError> {
    let dirs = crate::jail::Dirs { work: Some(work_dir.to_path_buf()), source: Some(source.to_path_buf()) };
    // The work dir must exist before the jail mounts it.
    std::fs::create_dir_all(work_dir).map_err(|e| IngestError::io(work_dir, e))?;
    crate::jail::with_dirs(dirs, || {
        sandbox::with_cancel(&opts.cancel, || {
            crate::child::with_memory_cap(opts.media_memory_mib, || run_stages(source, work_dir, opts, progress))
        })
    })
}

fn run_stages(
    source: &Path,
    work_dir: &Path,
    opts: &ProcessOptions,
    progress: &mut (dyn FnMut(Stage, f64) + Send),
) -> Result<ProcessOutcome, IngestError> {
    opts.house.validate()?;
    std::fs::create_dir_all(work_dir).map_err(|e| IngestError::io(work_dir, e))?;
    progress(Stage::Probe, 0.0);
    let src = probe::probe_file(source)?;
    if src.video().is_none() && src.audio().is_none() {
        let kinds: Vec<String> = src.streams.iter().map(|s| format!("{:?}", s.kind).to_lowercase()).collect();
        return Err(IngestError::bad_media(format!(
            "no audio or video stream to ingest (the file holds only: {})",
            kinds.join(", ")
        )));
    }
    if let Some(d) = src.duration_s {
        if d > opts.max_duration_s {
            return Err(IngestError::bad_media(format!(
                "programme lasts {d:.0} s, longer than the {:.0} s allowed",
                opts.max_duration_s
            )));
        }
    }
    let kind = opts.kind.unwrap_or_else(|| house::kind_for(&src));

    progress(Stage::Transcode, 5.0);
    let mut on_transcode = |f: f64| progress(Stage::Transcode, 5.0 + 85.0 * f);
    // One decode of the source: house file, re-measure, detectors, proxy, poster, strip.
    let extras = house::Extras { detect: Some(opts.qc), proxy: true };
    let made = house::make(source, &src, kind, &opts.house, &opts.target, work_dir, extras, &mut on_transcode)?;
    if let Some(kib) = made.child_peak_rss_kib {
        tracing::info!(peak_mib = kib / 1024, "house transcode done in one decode");
    }
    let (made, detections, rendered) = match (made.detections, made.proxy) {
        (Some(d), Some(p)) => (made.house, d, p),
        _ => return Err(IngestError::bad_media("the media child left out the detections or the proxy")),
    };
    let house_probe = probe::probe_facts(&made.path)?;
    let house_s = house_probe.duration_s.unwrap_or(0.0);
    probe::check_not_truncated(src.duration_s, house_s, "media")?;

    progress(Stage::Qc, 90.0);
    let stream_s = |r: &ProbeReport, k: StreamKind| r.streams.iter().find(|s| s.kind == k).and_then(|s| s.duration_s);
    let fps = f64::from(opts.house.fps);
    let inputs = QcInputs {
        detections: &detections,
        duration_s: house_s,
        fps,
        house_loudness: made.house_loudness,
        target: &opts.target,
        source_av_s: (stream_s(&src, StreamKind::Video), stream_s(&src, StreamKind::Audio)),
        house_av_s: (stream_s(&house_probe, StreamKind::Video), stream_s(&house_probe, StreamKind::Audio)),
        decode_errors: (made.decode_error_count, &made.decode_errors),
        source_interlaced: src.video().and_then(|v| v.interlaced) == Some(true),
    };
    let report = qc::evaluate(&inputs, &opts.qc);
    progress(Stage::Proxy, 95.0);
    progress(Stage::Done, 100.0);
    Ok(ProcessOutcome { source: src, house: made, house_probe, qc: report, proxy: rendered, target: opts.target })
}
