//! `house JOB_JSON`: one decode of the source feeds everything ingest makes from it — the
//! house file (libx264 + AAC in MP4, or FLAC), the re-measure of the normalised audio, the QC
//! detectors, the browse proxy, the poster and the thumbnail strip.
//!
//! Picture: decoder → one filter graph (`house::video_filter`, then `split`: the house
//! encoder; a 540p branch for the proxy encoder, the poster pick and the strip's `tile`; a
//! 480×270 branch through `blackdetect` and `freezedetect`, read from frame metadata).
//! Sound: decoder → `house::audio_filter` (48 kHz stereo, gain, true-peak limiter) → cut to
//! the picture's length or padded with silence → the house and proxy encoders, the BS.1770
//! meter and the silence detector. Codec threads (x264's, the decoder's, the filters' slice
//! threads) use the cores; this thread only moves frames.

use std::collections::VecDeque;
use std::io::Write as _;
use std::time::Instant;

use ff::util::mathematics::rescale::Rescale;
use ff::{ChannelLayout, Rational};
use ffmpeg_next as ff;

use super::encode::{self, AudioOut, Muxer, VideoOut, X264};
use super::{input, log};
use crate::house::job::{HouseJob, HouseReply, PROGRESS};
use crate::house::{HouseKind, HouseSpec};
use crate::loudness::Meter;
use crate::pcm::Measured;
use crate::proxy::STRIP_TILES;
use crate::qc::{Detections, Segment, Thresholds};

const RATE: usize = encode::RATE as usize;

/// Runs the job given as JSON.
pub(crate) fn house(job: &str) -> Result<HouseReply, String> {
    let job: HouseJob = serde_json::from_str(job).map_err(|e| format!("house: bad job: {e}"))?;
    log::capture();
    Run::new(&job)?.run()
}

struct Run<'a> {
    job: &'a HouseJob,
    ictx: ff::format::context::Input,
    /// Source start (container start time) in AV_TIME_BASE units, taken off every timestamp.
    start: i64,
    video: Option<VideoIn>,
    audio: Option<AudioIn>,
    house: Muxer,
    house_v: Option<VideoOut>,
    house_a: AudioOut,
    proxy: Option<(Muxer, Option<VideoOut>, AudioOut)>,
    /// Normalised audio waiting to be cut to the picture (planar left/right).
    fifo: (VecDeque<f32>, VecDeque<f32>),
    /// Samples handed on so far.
    sent: usize,
    /// Samples to skip (audio starting before the picture) or pad before the first.
    audio_started: bool,
    meter: Meter,
    silence: Option<Silence>,
    detect: Option<PictureDetect>,
    poster: Option<Poster>,
    strip: Option<ff::frame::Video>,
    waveform: Option<ff::filter::Graph>,
    last_progress: Instant,
}

struct VideoIn {
    index: usize,
    decoder: ff::decoder::Video,
    tb: Rational,
    step: i64,
    last_pts: Option<i64>,
    graph: Option<ff::filter::Graph>,
    limit: Option<u64>,
    frames: u64,
    proxy_frames: u64,
    filter: String,
}

struct AudioIn {
    index: usize,
    decoder: ff::decoder::Audio,
    tb: Rational,
    graph: Option<(ff::filter::Graph, ChannelLayout)>,
}

impl<'a> Run<'a> {
    fn new(job: &'a HouseJob) -> Result<Self, String> {
        let spec = &job.spec;
        let ictx = input::open(&job.source)?;
        let start = match input::start_time(&ictx) {
            t if t == ff::ffi::AV_NOPTS_VALUE => 0,
            t => t,
        };
        let video = match (&job.video, job.kind) {
            (Some(v), HouseKind::Tv) => Some(open_video(&ictx, v)?),
            (None, HouseKind::Tv) => return Err("the TV house format needs a video stream; the file has none".into()),
            _ => None,
        };
        let audio = job.audio.map(|i| open_audio(&ictx, i)).transpose()?;
        if job.kind == HouseKind::Radio && audio.is_none() {
            return Err("the file has no audio stream".into());
        }
        let name = HouseSpec::file_name(job.kind);
        let part = job.work_dir.join(format!(".{name}.part"));
        let (mut house, house_v, house_a) = match job.kind {
            HouseKind::Tv => {
                let mut m = Muxer::create(&part, "mp4")?;
                let opts = x264_house(spec);
                let v = VideoOut::h264(
                    &mut m,
                    &X264 { width: spec.width, height: spec.height, fps: spec.fps, options: &opts },
                )?;
                let a = AudioOut::aac(&mut m, spec.aac_kbps)?;
                (m, Some(v), a)
            }
            HouseKind::Radio => {
                let mut m = Muxer::create(&part, "flac")?;
                let a = AudioOut::flac(&mut m)?;
                (m, None, a)
            }
        };
        house.start(job.kind == HouseKind::Tv)?;
        let proxy = if job.proxy {
            let (file, tv) = match job.kind {
                HouseKind::Tv => ("proxy.mp4", true),
                HouseKind::Radio => ("proxy.m4a", false),
            };
            let mut m = Muxer::create(&job.work_dir.join(file), "mp4")?;
            let v = if tv {
                let w = proxy_width(spec);
                let opts = x264_proxy();
                Some(VideoOut::h264(&mut m, &X264 { width: w, height: 540, fps: spec.fps, options: &opts })?)
            } else {
                None
            };
            let a = AudioOut::aac(&mut m, 128)?;
            m.start(true)?;
            Some((m, v, a))
        } else {
            None
        };
        let waveform = (job.proxy && job.kind == HouseKind::Radio).then(waveform_graph).transpose()?;
        let duration = job.duration_s.max(0.04);
        Ok(Run {
            job,
            ictx,
            start,
            video,
            audio,
            house,
            house_v,
            house_a,
            proxy,
            fifo: (VecDeque::new(), VecDeque::new()),
            sent: 0,
            audio_started: false,
            meter: Meter::new(2, RATE as u32).map_err(|e| e.to_string())?,
            silence: job.detect.map(|t| Silence::new(&t)),
            detect: job.detect.filter(|_| job.kind == HouseKind::Tv).map(PictureDetect::new),
            poster: (job.proxy && job.kind == HouseKind::Tv).then(|| Poster::new(duration)),
            strip: None,
            waveform,
            last_progress: Instant::now(),
        })
    }

    fn run(mut self) -> Result<HouseReply, String> {
        let (vi, ai) = (self.video.as_ref().map(|v| v.index), self.audio.as_ref().map(|a| a.index));
        loop {
            let mut packet = ff::Packet::empty();
            match packet.read(&mut self.ictx) {
                Ok(()) => {}
                Err(ff::Error::Eof) => break,
                Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => continue,
                Err(e) => {
                    log::note(format!("read error, input ends here: {e}"));
                    break;
                }
            }
            let s = packet.stream();
            if Some(s) == vi {
                self.video_packet(Some(&packet))?;
            } else if Some(s) == ai {
                self.audio_packet(Some(&packet))?;
            }
            self.progress();
        }
        if vi.is_some() {
            self.video_packet(None)?;
        }
        if ai.is_some() {
            self.audio_packet(None)?;
        }
        self.finish()
    }

    fn progress(&mut self) {
        if self.last_progress.elapsed().as_millis() < 250 {
            return;
        }
        self.last_progress = Instant::now();
        let done_s = match &self.video {
            Some(v) => v.frames as f64 / f64::from(self.job.spec.fps),
            None => self.sent as f64 / RATE as f64,
        };
        let f = (done_s / self.job.duration_s.max(0.04)).clamp(0.0, 1.0);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{PROGRESS}{f:.4}").and_then(|()| out.flush());
    }

    /// Decodes one video packet (`None`: the end) and moves what comes out through the graph.
    fn video_packet(&mut self, packet: Option<&ff::Packet>) -> Result<(), String> {
        let Some(v) = self.video.as_mut() else { return Ok(()) };
        if !send(&mut v.decoder, packet, "video") {
            return Ok(());
        }
        let offset = self.start.rescale(Rational(1, 1_000_000), v.tb);
        let mut frame = ff::frame::Video::empty();
        while let Some(v) = self.video.as_mut() {
            match receive(&mut v.decoder, &mut frame, "video") {
                Some(true) => {}
                Some(false) => continue,
                None => break,
            }
            let pts = match frame.timestamp() {
                Some(t) => t - offset,
                None => v.last_pts.map_or(0, |p| p + v.step),
            };
            v.last_pts = Some(pts);
            frame.set_pts(Some(pts));
            if v.graph.is_none() {
                v.graph = Some(video_graph(&frame, v.tb, &v.filter, self.job)?);
            }
            if let Some(g) = v.graph.as_mut() {
                add(g, "in", &frame)?;
            }
            self.drain_video()?;
        }
        if packet.is_none() {
            if let Some(v) = self.video.as_mut() {
                // The end is after the last frame's own duration (as the `ffmpeg` CLI closes
                // its inputs), so `fps` keeps the last frame.
                let end = v.last_pts.map_or(0, |p| p + v.step);
                if let Some(g) = v.graph.as_mut() {
                    node(g, "in")?.source().close(end).map_err(|e| format!("video filters: {e}"))?;
                }
            }
            self.drain_video()?;
        }
        Ok(())
    }

    fn drain_video(&mut self) -> Result<(), String> {
        let Some(v) = self.video.as_mut() else { return Ok(()) };
        let Some(g) = v.graph.as_mut() else { return Ok(()) };
        let mut f = ff::frame::Video::empty();
        if let Some(det) = self.detect.as_mut() {
            while pull(g, "qc", &mut f)? {
                det.frame(&f, self.poster.as_mut());
            }
        }
        while pull(g, "house", &mut f)? {
            if v.limit.is_some_and(|n| v.frames >= n) {
                continue;
            }
            v.frames += 1;
            if let Some(enc) = self.house_v.as_mut() {
                enc.push(&mut f, &mut self.house)?;
            }
        }
        if let Some((mux, Some(enc), _)) = self.proxy.as_mut() {
            while pull(g, "proxy", &mut f)? {
                if v.limit.is_some_and(|n| v.proxy_frames >= n) {
                    continue;
                }
                let t = v.proxy_frames as f64 / f64::from(self.job.spec.fps);
                v.proxy_frames += 1;
                if let Some(p) = self.poster.as_mut() {
                    p.offer(t, &f);
                }
                enc.push(&mut f, mux)?;
            }
            while pull(g, "strip", &mut f)? {
                if self.strip.is_none() {
                    self.strip = Some(f.clone());
                }
            }
        }
        let allowed = v.frames as usize * RATE / self.job.spec.fps as usize;
        self.pump_audio(Some(allowed))
    }

    fn audio_packet(&mut self, packet: Option<&ff::Packet>) -> Result<(), String> {
        let Some(a) = self.audio.as_mut() else { return Ok(()) };
        if !send(&mut a.decoder, packet, "audio") {
            return Ok(());
        }
        let offset = self.start.rescale(Rational(1, 1_000_000), a.tb);
        let mut frame = ff::frame::Audio::empty();
        while let Some(a) = self.audio.as_mut() {
            match receive(&mut a.decoder, &mut frame, "audio") {
                Some(true) => {}
                Some(false) => continue,
                None => break,
            }
            if frame.samples() == 0 {
                continue;
            }
            let pts = frame.timestamp().map(|t| t - offset);
            frame.set_pts(pts);
            let layout = layout_of(&frame);
            frame.set_channel_layout(layout);
            if a.graph.as_ref().is_some_and(|(_, l)| *l != layout) {
                // A layout change mid-stream: finish the old graph, start a new one.
                self.audio_graph_end()?;
                if let Some(a) = self.audio.as_mut() {
                    a.graph = None;
                }
            }
            let Some(a) = self.audio.as_mut() else { break };
            if a.graph.is_none() {
                a.graph = Some((audio_graph(&frame, a.tb, &self.job.audio_filter)?, layout));
            }
            if let Some((g, _)) = a.graph.as_mut() {
                add(g, "in", &frame)?;
            }
            self.drain_audio()?;
        }
        if packet.is_none() {
            self.audio_graph_end()?;
        }
        Ok(())
    }

    fn audio_graph_end(&mut self) -> Result<(), String> {
        if let Some((g, _)) = self.audio.as_mut().and_then(|a| a.graph.as_mut()) {
            close(g, "in")?;
        }
        self.drain_audio()
    }

    fn drain_audio(&mut self) -> Result<(), String> {
        let Some((g, _)) = self.audio.as_mut().and_then(|a| a.graph.as_mut()) else { return Ok(()) };
        let tb = node(g, "out")?.sink().time_base();
        let mut f = ff::frame::Audio::empty();
        while pull(g, "out", &mut f)? {
            let (l, r) = (f.plane::<f32>(0), f.plane::<f32>(1));
            let mut skip = 0;
            if !self.audio_started {
                self.audio_started = true;
                // Audio that starts after the picture is preceded by silence; before it, cut.
                let at = f.pts().map_or(0, |p| p.rescale(tb, Rational(1, RATE as i32)));
                if at > 0 && at < 10 * RATE as i64 {
                    self.fifo.0.extend(std::iter::repeat_n(0.0, at as usize));
                    self.fifo.1.extend(std::iter::repeat_n(0.0, at as usize));
                } else if at < 0 {
                    skip = ((-at) as usize).min(l.len());
                }
            }
            self.fifo.0.extend(&l[skip..]);
            self.fifo.1.extend(&r[skip..]);
        }
        let allowed = match &self.video {
            Some(v) => v.frames as usize * RATE / self.job.spec.fps as usize,
            None => usize::MAX,
        };
        // Audio past a declared video end is never needed.
        if let Some(n) = self.video.as_ref().and_then(|v| v.limit) {
            let cap = (n as usize * RATE / self.job.spec.fps as usize).saturating_sub(self.sent);
            self.fifo.0.truncate(cap);
            self.fifo.1.truncate(cap);
        }
        self.pump_audio(Some(allowed))
    }

    /// Hands queued audio on, up to `allowed` samples in all (the picture's length so far).
    fn pump_audio(&mut self, allowed: Option<usize>) -> Result<(), String> {
        let room = allowed.unwrap_or(usize::MAX).saturating_sub(self.sent);
        let n = room.min(self.fifo.0.len());
        if n == 0 {
            return Ok(());
        }
        let l: Vec<f32> = self.fifo.0.drain(..n).collect();
        let r: Vec<f32> = self.fifo.1.drain(..n).collect();
        self.emit(&l, &r)
    }

    fn emit(&mut self, l: &[f32], r: &[f32]) -> Result<(), String> {
        self.sent += l.len();
        self.house_a.push(l, r, &mut self.house)?;
        if let Some((mux, _, enc)) = self.proxy.as_mut() {
            enc.push(l, r, mux)?;
        }
        let inter: Vec<f32> = l.iter().zip(r).flat_map(|(a, b)| [*a, *b]).collect();
        self.meter.add_interleaved(&inter).map_err(|e| e.to_string())?;
        if let Some(s) = self.silence.as_mut() {
            s.push(l, r);
        }
        if let Some(g) = self.waveform.as_mut() {
            let mut f = ff::frame::Audio::new(
                ff::format::Sample::F32(ff::format::sample::Type::Packed),
                l.len(),
                ChannelLayout::STEREO,
            );
            let out = f.data_mut(0);
            for (i, s) in inter.iter().enumerate() {
                out[i * 4..i * 4 + 4].copy_from_slice(&s.to_ne_bytes());
            }
            f.set_rate(RATE as u32);
            f.set_pts(Some((self.sent - l.len()) as i64));
            add(g, "in", &f)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<HouseReply, String> {
        let fps = f64::from(self.job.spec.fps);
        let total = match &self.video {
            Some(v) => v.frames as usize * RATE / self.job.spec.fps as usize,
            None => self.sent + self.fifo.0.len(),
        };
        if self.video.as_ref().is_some_and(|v| v.frames == 0) {
            return Err("no picture could be decoded from the video stream".into());
        }
        // Pad (audio shorter than the picture, or none) and cut (longer).
        let missing = total.saturating_sub(self.sent + self.fifo.0.len());
        self.fifo.0.extend(std::iter::repeat_n(0.0, missing));
        self.fifo.1.extend(std::iter::repeat_n(0.0, missing));
        while self.sent < total {
            let n = (total - self.sent).min(RATE);
            let l: Vec<f32> = self.fifo.0.drain(..n).collect();
            let r: Vec<f32> = self.fifo.1.drain(..n).collect();
            self.emit(&l, &r)?;
        }
        let duration_s = match &self.video {
            Some(v) => v.frames as f64 / fps,
            None => self.sent as f64 / RATE as f64,
        };
        if let Some(v) = self.house_v.as_mut() {
            v.finish(&mut self.house)?;
        }
        self.house_a.finish(&mut self.house)?;
        self.house.finish()?;
        let mut poster_s = None;
        let work = self.job.work_dir.clone();
        if let Some((mut mux, v, mut a)) = self.proxy.take() {
            if let Some(mut v) = v {
                v.finish(&mut mux)?;
            }
            a.finish(&mut mux)?;
            mux.finish()?;
        }
        if let Some(p) = self.poster.take() {
            let (t, frame) = p.picked().ok_or("no picture for the poster")?;
            poster_s = Some(t);
            encode::write_jpeg(&frame, 3, &work.join("poster.jpg"))?;
            let strip = self.strip.take().ok_or("no picture for the thumbnail strip")?;
            encode::write_jpeg(&strip, 4, &work.join("strip.jpg"))?;
        }
        if let Some(mut g) = self.waveform.take() {
            close(&mut g, "in")?;
            let mut f = ff::frame::Video::empty();
            if !pull(&mut g, "out", &mut f)? {
                return Err("waveform: no picture".into());
            }
            encode::write_jpeg(&f, 3, &work.join("poster.jpg"))?;
        }
        let detections = self.job.detect.map(|_| {
            let mut d = Detections::default();
            if let Some(det) = self.detect.take() {
                det.finish(duration_s, &mut d);
            }
            if let Some(s) = self.silence.take() {
                d.silence = s.finish(duration_s);
            }
            crate::qc::detect::drop_freeze_inside_black(&mut d);
            d
        });
        let loudness = self.meter.loudness().map_err(|e| e.to_string())?;
        let (count, sample) = log::errors();
        Ok(HouseReply {
            house: Measured { loudness, decoded_s: self.meter.duration_s() },
            decode_errors: sample,
            decode_error_count: count,
            frames: self.video.as_ref().map_or(0, |v| v.frames),
            detections,
            poster_s,
            peak_rss_kib: crate::house::job::peak_rss_kib(),
        })
    }
}

/// Sends a packet (`None`: the end) to a decoder; a refused one is counted as a decode error.
fn send(dec: &mut ff::decoder::Opened, packet: Option<&ff::Packet>, what: &str) -> bool {
    let sent = match packet {
        Some(p) => dec.send_packet(p),
        None => dec.send_eof(),
    };
    if let Err(e) = sent {
        log::note(format!("{what}: error while decoding: {e}"));
    }
    sent.is_ok()
}

/// The next decoded frame: `Some(true)` one is in `frame`, `Some(false)` a decode error
/// (counted), `None` nothing more for now.
fn receive(dec: &mut ff::decoder::Opened, frame: &mut ff::Frame, what: &str) -> Option<bool> {
    match dec.receive_frame(frame) {
        Ok(()) => Some(true),
        Err(ff::Error::Eof) => None,
        Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => None,
        Err(e) => {
            log::note(format!("{what}: error while decoding: {e}"));
            Some(false)
        }
    }
}

fn x264_house(spec: &HouseSpec) -> Vec<(&'static str, String)> {
    let kbps = format!("{}k", spec.max_video_kbps);
    let gop = spec.fps.to_string();
    vec![
        ("preset", spec.x264_preset.clone()),
        ("crf", spec.crf.to_string()),
        ("maxrate", kbps.clone()),
        ("bufsize", kbps),
        ("g", gop.clone()),
        ("keyint_min", gop),
        ("sc_threshold", "0".into()),
        ("flags", "+cgop".into()),
    ]
}

/// The browse proxy's x264 settings. `superfast`: half the CPU of `veryfast` for 0.0005 less
/// SSIM at the same bitrate (0.99616 against 0.99666, 12 s of 1080i testsrc2 made 540p, 7 Dec):
/// the proxy rides on the house encode, and the ingest benchmark's target is 1.25× the
/// house-only `ffmpeg` command.
fn x264_proxy() -> Vec<(&'static str, String)> {
    [("preset", "superfast"), ("b", "1500k"), ("maxrate", "1800k"), ("bufsize", "3000k"), ("g", "50")]
        .map(|(k, v)| (k, v.to_string()))
        .into()
}

/// Width of the 540-line proxy (`scale=-2:540` of the house picture).
fn proxy_width(spec: &HouseSpec) -> u32 {
    let w = (f64::from(spec.width) * 540.0 / f64::from(spec.height) / 2.0).round() as u32 * 2;
    w.max(2)
}

fn open_video(ictx: &ff::format::context::Input, v: &crate::house::job::VideoIn) -> Result<VideoIn, String> {
    let index = v.index as usize;
    let st = ictx.stream(index).ok_or_else(|| format!("the file has no stream {index}"))?;
    let mut ctx = ff::codec::context::Context::from_parameters(st.parameters())
        .map_err(|e| format!("cannot decode video stream {index}: {e}"))?;
    ctx.set_threading(ff::threading::Config { kind: ff::threading::Type::Frame, count: 0, ..Default::default() });
    let decoder = ctx.decoder().video().map_err(|e| format!("cannot decode video stream {index}: {e}"))?;
    let tb = st.time_base();
    let rate = st.avg_frame_rate();
    let step = if rate.numerator() > 0 && rate.denominator() > 0 { 1i64.rescale(rate.invert(), tb).max(1) } else { 1 };
    Ok(VideoIn {
        index,
        decoder,
        tb,
        step,
        last_pts: None,
        graph: None,
        limit: v.frames,
        frames: 0,
        proxy_frames: 0,
        filter: v.filter.clone(),
    })
}

fn open_audio(ictx: &ff::format::context::Input, stream: u32) -> Result<AudioIn, String> {
    let index = stream as usize;
    let st = ictx.stream(index).ok_or_else(|| format!("the file has no stream {index}"))?;
    let ctx = ff::codec::context::Context::from_parameters(st.parameters())
        .map_err(|e| format!("cannot decode audio stream {index}: {e}"))?;
    let decoder = ctx.decoder().audio().map_err(|e| format!("cannot decode audio stream {index}: {e}"))?;
    Ok(AudioIn { index, decoder, tb: st.time_base(), graph: None })
}

fn node(g: &mut ff::filter::Graph, name: &str) -> Result<ff::filter::Context, String> {
    g.get(name).ok_or_else(|| format!("filter graph has no {name}"))
}

/// Gives `frame` to the graph's source `name`.
pub(super) fn add(g: &mut ff::filter::Graph, name: &str, frame: &ff::Frame) -> Result<(), String> {
    node(g, name)?.source().add(frame).map_err(|e| format!("filters: {e}"))
}

/// Ends the input of the graph's source `name`.
pub(super) fn close(g: &mut ff::filter::Graph, name: &str) -> Result<(), String> {
    node(g, name)?.source().flush().map_err(|e| format!("filters: {e}"))
}

/// The next frame of the graph's sink `name`, if one is ready.
///
/// What `frame` held is released first: `av_buffersink_get_frame` moves the new frame over
/// the old one without unreferencing it (FFmpeg's `av_frame_move_ref`, checked only by an
/// assertion that release builds leave out), and `ffmpeg-next` does not unreference either.
/// A frame reused across pulls kept every picture it had held: 4 GiB, the memory limit, a
/// third of the way into a 60 s 1080i programme (bench/ingest.sh, 7 Dec).
pub(super) fn pull<F: Fresh>(g: &mut ff::filter::Graph, name: &str, frame: &mut F) -> Result<bool, String> {
    *frame = F::fresh();
    Ok(node(g, name)?.sink().frame(frame).is_ok())
}

/// A frame that holds nothing (dropping the old one unreferences its buffers).
pub(super) trait Fresh: std::ops::DerefMut<Target = ff::Frame> {
    fn fresh() -> Self;
}

impl Fresh for ff::frame::Video {
    fn fresh() -> Self {
        ff::frame::Video::empty()
    }
}

impl Fresh for ff::frame::Audio {
    fn fresh() -> Self {
        ff::frame::Audio::empty()
    }
}

fn filter(name: &str) -> Result<ff::filter::Filter, String> {
    ff::filter::find(name).ok_or_else(|| format!("this FFmpeg has no {name} filter"))
}

/// The picture graph, set up from the first decoded frame (as the `ffmpeg` CLI does).
fn video_graph(
    frame: &ff::frame::Video,
    tb: Rational,
    chain: &str,
    job: &HouseJob,
) -> Result<ff::filter::Graph, String> {
    let mut g = ff::filter::Graph::new();
    let sar = frame.aspect_ratio();
    let sar = if sar.numerator() > 0 && sar.denominator() > 0 { sar } else { Rational(1, 1) };
    let pix: ff::ffi::AVPixelFormat = frame.format().into();
    let args = format!(
        "video_size={}x{}:pix_fmt={}:time_base={}/{}:pixel_aspect={}/{}",
        frame.width(),
        frame.height(),
        pix as i32,
        tb.numerator(),
        tb.denominator(),
        sar.numerator(),
        sar.denominator()
    );
    let bad = |e: ff::Error| format!("video filters: {e}");
    g.add(&filter("buffer")?, "in", &args).map_err(bad)?;
    let mut outs = vec!["house"];
    let mut branches = Vec::new();
    if job.proxy {
        outs.extend(["proxy", "strip"]);
        let rate = f64::from(STRIP_TILES) / job.duration_s.max(0.04);
        branches.push(format!(
            "[p]scale=-2:540,split=2[proxy][t];[t]fps={rate:.6},scale=192:108,tile={STRIP_TILES}x1,format=yuvj420p[strip]"
        ));
    }
    if let Some(t) = job.detect {
        outs.push("qc");
        branches.push(format!(
            "[q]scale=480:270:flags=fast_bilinear,blackdetect=d={}:pix_th={},freezedetect=n=-60dB:d={}[qc]",
            t.black_min_s, t.black_pixel_level, t.freeze_min_s
        ));
    }
    for o in &outs {
        g.add(&filter("buffersink")?, o, "").map_err(bad)?;
    }
    let labels: String =
        ["[house]", if job.proxy { "[p]" } else { "" }, if job.detect.is_some() { "[q]" } else { "" }].concat();
    let n = outs.len() - usize::from(job.proxy);
    let mut spec = format!("[in]{chain},split={n}{labels}");
    for b in branches {
        spec.push(';');
        spec.push_str(&b);
    }
    input::parse_graph(&mut g, "in", &outs, &spec).map_err(bad)?;
    g.validate().map_err(bad)?;
    Ok(g)
}

/// The sound graph: the house chain, ending in planar float 48 kHz stereo.
pub(super) fn audio_graph(frame: &ff::frame::Audio, tb: Rational, chain: &str) -> Result<ff::filter::Graph, String> {
    let mut g = ff::filter::Graph::new();
    let fmt: ff::ffi::AVSampleFormat = frame.format().into();
    let args = format!(
        "time_base={}/{}:sample_rate={}:sample_fmt={}:channel_layout=0x{:x}",
        tb.numerator(),
        tb.denominator(),
        frame.rate(),
        fmt as i32,
        frame.channel_layout().bits()
    );
    let bad = |e: ff::Error| format!("audio filters: {e}");
    g.add(&filter("abuffer")?, "in", &args).map_err(bad)?;
    g.add(&filter("abuffersink")?, "out", "").map_err(bad)?;
    let spec = format!("[in]{chain},aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo[out]");
    g.output("in", 0).and_then(|p| p.input("out", 0)).and_then(|p| p.parse(&spec)).map_err(bad)?;
    g.validate().map_err(bad)?;
    Ok(g)
}

/// The radio poster: the waveform of the whole programme.
fn waveform_graph() -> Result<ff::filter::Graph, String> {
    let mut g = ff::filter::Graph::new();
    let bad = |e: ff::Error| format!("waveform: {e}");
    g.add(&filter("abuffer")?, "in", "time_base=1/48000:sample_rate=48000:sample_fmt=flt:channel_layout=0x3")
        .map_err(bad)?;
    g.add(&filter("buffersink")?, "out", "").map_err(bad)?;
    g.output("in", 0)
        .and_then(|p| p.input("out", 0))
        .and_then(|p| p.parse("[in]showwavespic=s=960x540:split_channels=1,format=yuvj420p[out]"))
        .map_err(bad)?;
    g.validate().map_err(bad)?;
    Ok(g)
}

/// The frame's channel layout, or FFmpeg's default for its channel count when unset.
pub(super) fn layout_of(frame: &ff::frame::Audio) -> ChannelLayout {
    let l = frame.channel_layout();
    if l.is_empty() || l.channels() != i32::from(frame.channels()) {
        ChannelLayout::default(i32::from(frame.channels()))
    } else {
        l
    }
}

/// Black and frozen runs from `blackdetect`/`freezedetect` frame metadata.
struct PictureDetect {
    t: Thresholds,
    black_open: Option<f64>,
    freeze_open: Option<f64>,
    black: Vec<Segment>,
    freeze: Vec<Segment>,
}

impl PictureDetect {
    fn new(t: Thresholds) -> Self {
        Self { t, black_open: None, freeze_open: None, black: Vec::new(), freeze: Vec::new() }
    }

    fn frame(&mut self, f: &ff::frame::Video, poster: Option<&mut Poster>) {
        let md = f.metadata();
        let num = |k: &str| md.get(k).and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite());
        let mut ended = None;
        if let Some(s) = num("lavfi.black_start") {
            self.black_open = Some(s.max(0.0));
        }
        if let (Some(e), Some(s)) = (num("lavfi.black_end"), self.black_open) {
            self.black_open = None;
            if e - s >= self.t.black_min_s {
                let seg = Segment { start_s: s, end_s: e };
                self.black.push(seg);
                ended = Some(seg);
            }
        }
        if let Some(s) = num("lavfi.freezedetect.freeze_start") {
            self.freeze_open = Some(s.max(0.0));
        }
        if let (Some(e), Some(s)) = (num("lavfi.freezedetect.freeze_end"), self.freeze_open) {
            self.freeze_open = None;
            let seg = Segment { start_s: s, end_s: e };
            self.freeze.push(seg);
            ended = ended.or(Some(seg));
        }
        if let (Some(seg), Some(p)) = (ended, poster) {
            p.avoid(seg);
        }
    }

    fn finish(self, duration_s: f64, d: &mut Detections) {
        d.black = self.black;
        if let Some(s) = self.black_open.filter(|s| duration_s - s >= self.t.black_min_s) {
            d.black.push(Segment { start_s: s, end_s: duration_s });
        }
        d.freeze = self.freeze;
        if let Some(s) = self.freeze_open {
            d.freeze.push(Segment { start_s: s, end_s: duration_s.max(s) });
        }
    }
}

/// `silencedetect`'s rule: a run of samples under the level in every channel, at least the
/// minimum length, starts where its first sample was.
struct Silence {
    noise: f32,
    min: u64,
    run: u64,
    pos: u64,
    start: Option<u64>,
    found: Vec<Segment>,
}

impl Silence {
    fn new(t: &Thresholds) -> Self {
        Self {
            noise: 10f64.powf(t.silence_dbfs / 20.0) as f32,
            min: (t.silence_min_s * RATE as f64).round().max(1.0) as u64,
            run: 0,
            pos: 0,
            start: None,
            found: Vec::new(),
        }
    }

    fn push(&mut self, l: &[f32], r: &[f32]) {
        for (a, b) in l.iter().zip(r) {
            if a.abs() < self.noise && b.abs() < self.noise {
                self.run += 1;
                if self.start.is_none() && self.run >= self.min {
                    self.start = Some(self.pos + 1 - self.run);
                }
            } else {
                if let Some(s) = self.start.take() {
                    self.found.push(Segment { start_s: s as f64 / RATE as f64, end_s: self.pos as f64 / RATE as f64 });
                }
                self.run = 0;
            }
            self.pos += 1;
        }
    }

    fn finish(mut self, duration_s: f64) -> Vec<Segment> {
        if let Some(s) = self.start {
            let s = s as f64 / RATE as f64;
            self.found.push(Segment { start_s: s, end_s: duration_s.max(s) });
        }
        self.found
    }
}

/// The poster pick as `proxy::poster_time` makes it, decided while the picture streams by: a
/// third in, moved past each black or frozen run that covers it as the run ends.
struct Poster {
    duration_s: f64,
    target: f64,
    picked: Option<(f64, ff::frame::Video)>,
    last: Option<(f64, ff::frame::Video)>,
}

impl Poster {
    fn new(duration_s: f64) -> Self {
        let target = crate::proxy::poster_time(duration_s, &[]);
        Self { duration_s, target, picked: None, last: None }
    }

    fn offer(&mut self, t: f64, f: &ff::frame::Video) {
        if self.picked.is_none() {
            if t + 1e-6 >= self.target {
                self.picked = Some((t, f.clone()));
                self.last = None;
            } else {
                self.last = Some((t, f.clone()));
            }
        }
    }

    fn avoid(&mut self, seg: Segment) {
        if self.target >= seg.start_s && self.target < seg.end_s && seg.end_s + 0.5 < self.duration_s {
            self.target = seg.end_s + 0.5;
            if let Some(p) = self.picked.take() {
                self.last = Some(p);
            }
        }
    }

    fn picked(self) -> Option<(f64, ff::frame::Video)> {
        self.picked.or(self.last)
    }
}
