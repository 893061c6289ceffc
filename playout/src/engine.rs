//! The engine: walks the planned timeline, pulls conformed frames and samples from each
//! item's input, re-stamps them onto the one channel timeline and pushes them to the output.
//!
//! Exactly the planned number of frames and samples go out per segment whatever the source
//! does: short sources are padded (last frame, silence), long ones cut, failed ones replaced
//! by slate and silence. The clock decides only *when* each buffer is pushed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gstreamer as gst;

use crate::asrun::{AsRunRecord, Outcome};
use crate::clock::PlayoutClock;
use crate::error::PlayoutError;
use crate::input::{Input, Pending, Pull};
use crate::output::Output;
use crate::playlist::Playlist;
use crate::status::Status;
use crate::timeline::{plan, ChannelFormat, Segment, SegmentKind};

/// Runtime settings of an engine.
#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    /// How long an input may take to preroll, and the longest stall of a pull, before the
    /// engine gives up on it and fills.
    pub input_timeout: Duration,
    /// How long the output may take to drain at the end.
    pub drain_timeout: Duration,
}

impl EngineConfig {
    /// For rendering on the virtual clock: generous, since a busy CPU is not a fault.
    pub fn rendering() -> Self {
        EngineConfig { input_timeout: Duration::from_secs(30), drain_timeout: Duration::from_secs(300) }
    }

    /// For real time: a source silent for 2 s is treated as failed.
    pub fn real_time() -> Self {
        EngineConfig { input_timeout: Duration::from_secs(2), drain_timeout: Duration::from_secs(30) }
    }
}

/// One channel's engine: an output that never stops and the counters of what it emitted.
pub struct Engine<C: PlayoutClock> {
    format: ChannelFormat,
    output: Output,
    clock: C,
    config: EngineConfig,
    frames_out: u64,
    samples_out: u64,
    slate: Option<gst::Buffer>,
    status: Arc<Mutex<Status>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    Flowing,
    Ended,
    Failed,
}

struct VideoFeed<'a> {
    input: Option<&'a Input>,
    state: Feed,
    last: Option<gst::Buffer>,
    held: u64,
}

struct AudioFeed<'a> {
    input: Option<&'a Input>,
    state: Feed,
    pending: Option<(gst::Buffer, usize)>,
    bytes_per_sample: usize,
    silent: u64,
}

impl<C: PlayoutClock> Engine<C> {
    /// An engine for `format` pushing into `output`, paced by `clock`.
    pub fn new(format: ChannelFormat, output: Output, clock: C, config: EngineConfig) -> Self {
        let slate = format.video.map(|v| {
            // Black I420: Y = 16, Cb = Cr = 128 (BT.601/709 video range).
            let (w, h) = (v.width as usize, v.height as usize);
            let mut data = vec![16u8; w * h];
            data.resize(w * h * 3 / 2, 128);
            gst::Buffer::from_mut_slice(data)
        });
        Engine { format, output, clock, config, frames_out: 0, samples_out: 0, slate, status: Arc::default() }
    }

    /// Shared live status (now/next, position, counters), for an API or metrics endpoint.
    pub fn status(&self) -> Arc<Mutex<Status>> {
        self.status.clone()
    }

    /// Video frames and audio samples emitted so far.
    pub fn counters(&self) -> (u64, u64) {
        (self.frames_out, self.samples_out)
    }

    /// Plays `playlist` from the current timeline position to its end and returns the as-run.
    ///
    /// # Errors
    /// Only an output failure ([`PlayoutError::Output`]); media faults become fallback records.
    pub fn run(&mut self, playlist: &Playlist) -> Result<Vec<AsRunRecord>, PlayoutError> {
        let segments = plan(&self.format, &playlist.plan_items());
        let (format, timeout) = (self.format, self.config.input_timeout);
        let airs = |s: &Segment| matches!(s.kind, SegmentKind::Item(_)) && !s.is_empty();
        let open = |k: usize| -> Option<(usize, Pending)> {
            match segments[k].kind {
                SegmentKind::Item(i) => Some((k, Pending::open(&playlist.items[i], format, timeout))),
                SegmentKind::Gap => None,
            }
        };
        let next_from = |from: usize| segments.iter().skip(from).position(airs).map(|p| p + from);
        let mut pending = next_from(0).and_then(open);
        let mut records = Vec::with_capacity(segments.len());
        for (k, seg) in segments.iter().enumerate() {
            let mut rec = AsRunRecord::for_segment(seg);
            if let SegmentKind::Item(i) = seg.kind {
                let item = &playlist.items[i];
                rec.item = Some(i);
                rec.id.clone_from(&item.id);
                rec.title.clone_from(&item.title);
                rec.source = Some(item.source.to_string());
                rec.scheduled_wall = item.start.map(|s| s.to_rfc3339());
            }
            if seg.is_empty() {
                records.push(rec);
                continue;
            }
            let input = match seg.kind {
                SegmentKind::Gap => {
                    rec.fallback("nothing scheduled before a hard start: slate and silence");
                    None
                }
                SegmentKind::Item(_) => {
                    let mine = match pending.take() {
                        Some((pk, p)) if pk == k => Some(p),
                        other => {
                            pending = other;
                            open(k).map(|(_, p)| p)
                        }
                    };
                    mine.map(Pending::wait)
                }
            };
            // Open the next item while this one airs.
            if pending.is_none() {
                pending = next_from(k + 1).and_then(open);
            }
            let input = match input {
                Some(Ok(input)) => Some(input),
                Some(Err(reason)) => {
                    rec.fallback(reason);
                    None
                }
                None => None,
            };
            self.set_now(&rec, next_from(k + 1).map(|n| &segments[n]), playlist);
            self.air(seg, input.as_ref(), &mut rec)?;
            drop(input);
            self.output.check()?;
            if rec.outcome == Outcome::Fallback {
                if let Ok(mut s) = self.status.lock() {
                    s.fallbacks += 1;
                }
            }
            tracing::info!(item = ?rec.item, outcome = ?rec.outcome, reason = ?rec.reason, "as-run");
            records.push(rec);
        }
        Ok(records)
    }

    /// Ends the output cleanly (the file is complete when this returns).
    ///
    /// # Errors
    /// [`PlayoutError::Output`] when the output fails to drain.
    pub fn finish(self) -> Result<(), PlayoutError> {
        self.output.finish(self.config.drain_timeout)
    }

    fn set_now(&self, rec: &AsRunRecord, next: Option<&Segment>, playlist: &Playlist) {
        let label = |i: usize| {
            let item = &playlist.items[i];
            item.title.clone().unwrap_or_else(|| item.source.to_string())
        };
        if let Ok(mut s) = self.status.lock() {
            s.now = rec.item.map(label);
            s.next = next.and_then(|n| match n.kind {
                SegmentKind::Item(i) => Some(label(i)),
                SegmentKind::Gap => None,
            });
        }
    }

    fn air(&mut self, seg: &Segment, input: Option<&Input>, rec: &mut AsRunRecord) -> Result<(), PlayoutError> {
        let mut video = VideoFeed { input, state: Feed::Flowing, last: None, held: 0 };
        let mut audio = AudioFeed {
            input,
            state: Feed::Flowing,
            pending: None,
            bytes_per_sample: 2 * self.format.audio.channels as usize,
            silent: 0,
        };
        match input {
            None => {
                video.state = Feed::Failed;
                audio.state = Feed::Failed;
            }
            Some(i) => {
                if !i.has_audio() {
                    rec.fallback("no audio track: silence");
                    audio.state = Feed::Failed;
                }
                if self.format.video.is_some() && !i.has_video() {
                    rec.fallback("no video track: slate");
                    video.state = Feed::Failed;
                }
            }
        }
        match self.format.video {
            Some(v) => {
                for frame in seg.start.frame..seg.end.frame {
                    let pts = v.fps.frames_to_time(frame);
                    let duration = v.fps.frames_to_time(frame + 1).saturating_sub(pts);
                    self.clock.wait_until(pts);
                    let (buffer, slate) = video.next(self.slate.as_ref(), rec);
                    rec.slate_frames += u64::from(slate);
                    if let Some(buffer) = buffer {
                        self.output.push_video(buffer, pts, duration)?;
                    }
                    self.frames_out += 1;
                    self.audio_until(self.format.sample_at_frame(frame + 1), &mut audio, rec)?;
                    self.publish_position();
                }
            }
            None => {
                let chunk = u64::from(self.format.audio.rate / 50).max(1); // 20 ms
                let mut at = seg.start.sample;
                while at < seg.end.sample {
                    let to = (at + chunk).min(seg.end.sample);
                    self.clock.wait_until(self.format.sample_time(at));
                    self.audio_until(to, &mut audio, rec)?;
                    self.publish_position();
                    at = to;
                }
            }
        }
        if video.held > 0 {
            rec.note(format!("source short: last frame held for {} frames", video.held));
        }
        if audio.silent > 0 && audio.state == Feed::Ended {
            rec.note(format!("audio short: {} samples of silence", audio.silent));
        }
        Ok(())
    }

    fn audio_until(
        &mut self,
        target: u64,
        feed: &mut AudioFeed<'_>,
        rec: &mut AsRunRecord,
    ) -> Result<(), PlayoutError> {
        while self.samples_out < target {
            let (buffer, n) = feed.take(target - self.samples_out, rec);
            let pts = self.format.sample_time(self.samples_out);
            let duration = self.format.sample_time(self.samples_out + n).saturating_sub(pts);
            self.output.push_audio(buffer, pts, duration)?;
            self.samples_out += n;
        }
        Ok(())
    }

    fn publish_position(&self) {
        if let Ok(mut s) = self.status.lock() {
            s.frames_out = self.frames_out;
            s.samples_out = self.samples_out;
            s.position_s = self.format.sample_time(self.samples_out).as_secs_f64();
        }
    }
}

impl VideoFeed<'_> {
    /// The next frame to air and whether it is slate.
    fn next(&mut self, slate: Option<&gst::Buffer>, rec: &mut AsRunRecord) -> (Option<gst::Buffer>, bool) {
        if let (Feed::Flowing, Some(input)) = (self.state, self.input) {
            match input.pull_video() {
                // A deep copy: the encoder holds frames for its look-ahead, and they must not
                // pin buffers of the input's (bounded) decoder pool.
                Pull::Buffer(b) => match b.copy_deep() {
                    Ok(b) => {
                        self.last = Some(b.clone());
                        return (Some(b), false);
                    }
                    Err(e) => {
                        self.state = Feed::Failed;
                        rec.fallback(format!("cannot copy frame: {e}"));
                    }
                },
                Pull::Eos => self.state = Feed::Ended,
                Pull::Failed(reason) => {
                    self.state = Feed::Failed;
                    rec.fallback(reason);
                }
            }
        }
        match (&self.state, &self.last) {
            (Feed::Ended, Some(last)) => {
                self.held += 1;
                (Some(last.clone()), false)
            }
            _ => (slate.cloned(), true),
        }
    }
}

impl AudioFeed<'_> {
    /// Up to `max` samples: from the source while it flows, silence after.
    fn take(&mut self, max: u64, rec: &mut AsRunRecord) -> (gst::Buffer, u64) {
        loop {
            if let Some((buffer, offset)) = self.pending.take() {
                let avail = ((buffer.size() - offset) / self.bytes_per_sample) as u64;
                let n = avail.min(max);
                let end = offset + n as usize * self.bytes_per_sample;
                if n > 0 {
                    if let Ok(part) = buffer.copy_region(gst::BufferCopyFlags::MEMORY, offset..end) {
                        if end < buffer.size() {
                            self.pending = Some((buffer, end));
                        }
                        return (part, n);
                    }
                }
            }
            match (self.state, self.input) {
                (Feed::Flowing, Some(input)) => match input.pull_audio() {
                    Pull::Buffer(b) => self.pending = Some((b, 0)),
                    Pull::Eos => self.state = Feed::Ended,
                    Pull::Failed(reason) => {
                        self.state = Feed::Failed;
                        rec.fallback(reason);
                    }
                },
                _ => {
                    self.silent += max;
                    let silence = vec![0u8; max as usize * self.bytes_per_sample];
                    return (gst::Buffer::from_mut_slice(silence), max);
                }
            }
        }
    }
}
