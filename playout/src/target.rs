//! Output targets: each one its own small pipeline fed with the channel's MPEG-TS, so a
//! target that fails or stalls (a full disk, an unwritable HLS directory) loses only its own
//! data and never blocks the channel or the other targets.

use std::path::PathBuf;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::error::PlayoutError;

/// Where the channel's MPEG-TS goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputTarget {
    /// A `.ts` file.
    File(PathBuf),
    /// MPEG-TS over UDP (7 TS packets a datagram).
    Udp {
        /// Destination host (unicast or multicast).
        host: String,
        /// Destination port.
        port: u16,
    },
    /// HLS: `index.m3u8` and 2 s segments (`segment00000.ts` …) in a directory, cut at key frames.
    Hls(PathBuf),
}

impl std::fmt::Display for OutputTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputTarget::File(p) => write!(f, "file {}", p.display()),
            OutputTarget::Udp { host, port } => write!(f, "udp://{host}:{port}"),
            OutputTarget::Hls(d) => write!(f, "hls {}", d.display()),
        }
    }
}

/// A running target pipeline.
pub(crate) struct Target {
    pub(crate) name: String,
    pipeline: gst::Pipeline,
    src: gst_app::AppSrc,
    pub(crate) failed: Option<String>,
    /// Buffers pushed while the queue was full (a leaky target then drops its oldest data).
    pub(crate) dropped: u64,
    max_bytes: u64,
}

impl Target {
    /// Starts the pipeline of `target`. `lossless` (rendering) blocks the channel when the
    /// target is slow; otherwise (on air) the target drops its oldest data past ~2 s.
    pub(crate) fn start(target: &OutputTarget, has_video: bool, lossless: bool) -> Result<Target, PlayoutError> {
        let quote = |p: &std::path::Path| p.to_string_lossy().replace('\\', "\\\\").replace('"', "\\\"");
        let sink = match target {
            OutputTarget::File(p) => format!("filesink location=\"{}\" sync=false", quote(p)),
            OutputTarget::Udp { host, port } => {
                format!("udpsink host=\"{}\" port={port} sync=false async=false", host.replace('"', ""))
            }
            OutputTarget::Hls(dir) => {
                let hls = format!(
                    "hlssink2 name=hls location=\"{}\" playlist-location=\"{}\" target-duration=2 \
                     max-files=10 playlist-length=6 send-keyframe-requests=false",
                    quote(&dir.join("segment%05d.ts")),
                    quote(&dir.join("index.m3u8"))
                );
                let video = if has_video { "d. ! queue ! h264parse ! hls.video " } else { "" };
                format!("tsdemux name=d {video}d. ! queue ! aacparse ! hls.audio {hls}")
            }
        };
        let desc = format!("appsrc name=src format=time ! {sink}");
        let pipeline = gst::parse::launch(&desc)
            .map_err(|e| PlayoutError::Pipeline(format!("{target}: {e}")))?
            .downcast::<gst::Pipeline>()
            .map_err(|_| PlayoutError::Pipeline("not a pipeline".to_owned()))?;
        let src = pipeline
            .by_name("src")
            .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
            .ok_or_else(|| PlayoutError::Pipeline("target appsrc missing".to_owned()))?;
        src.set_caps(Some(
            &gst::Caps::builder("video/mpegts").field("systemstream", true).field("packetsize", 188).build(),
        ));
        let max_bytes = if lossless { 4 << 20 } else { 2 << 20 };
        src.set_max_bytes(max_bytes);
        src.set_block(lossless);
        if !lossless {
            src.set_leaky_type(gst_app::AppLeakyType::Downstream);
        }
        pipeline.set_state(gst::State::Playing).map_err(|_| {
            PlayoutError::Pipeline(format!("{target}: cannot start ({})", first_error(&pipeline).unwrap_or_default()))
        })?;
        Ok(Target { name: target.to_string(), pipeline, src, failed: None, dropped: 0, max_bytes })
    }

    /// Hands one TS buffer to the target; a failed target ignores it.
    pub(crate) fn push(&mut self, buffer: gst::Buffer) {
        if self.failed.is_some() {
            return;
        }
        if self.src.current_level_bytes() + buffer.size() as u64 > self.max_bytes {
            self.dropped += 1;
        }
        if let Err(e) = self.src.push_buffer(buffer) {
            self.fail(format!("refused data: {e:?}"));
        }
    }

    /// Records the target's first bus error, if any, and stops it.
    pub(crate) fn poll(&mut self) {
        if self.failed.is_none() {
            if let Some(e) = first_error(&self.pipeline) {
                self.fail(e);
            }
        }
    }

    fn fail(&mut self, reason: String) {
        tracing::error!(target = %self.name, %reason, "output target failed; the others go on");
        let _ = self.pipeline.set_state(gst::State::Null);
        self.failed = Some(reason);
    }

    pub(crate) fn end_of_stream(&self) {
        if self.failed.is_none() {
            let _ = self.src.end_of_stream();
        }
    }

    /// Waits for the target to write everything it was given.
    pub(crate) fn drain(&mut self, timeout: gst::ClockTime) -> Result<(), String> {
        if let Some(f) = &self.failed {
            return Err(f.clone());
        }
        let bus = self.pipeline.bus().ok_or("no bus")?;
        match bus.timed_pop_filtered(timeout, &[gst::MessageType::Eos, gst::MessageType::Error]) {
            Some(m) if m.type_() == gst::MessageType::Eos => Ok(()),
            Some(m) => Err(crate::output::describe(&m)),
            None => Err("did not drain in time".to_owned()),
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

fn first_error(pipeline: &gst::Pipeline) -> Option<String> {
    pipeline.bus()?.pop_filtered(&[gst::MessageType::Error]).map(|m| crate::output::describe(&m))
}
