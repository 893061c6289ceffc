//! Feeds: turn an input's pulls into exactly the frames and samples the timeline asks for,
//! padding with the last frame, slate or silence when the input ends or fails.

use gstreamer as gst;

use crate::asrun::AsRunRecord;
use crate::input::{Input, Pull};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Flowing,
    Ended,
    Failed,
}

/// The video side of one input.
pub(crate) struct VideoFeed {
    pub(crate) state: State,
    last: Option<gst::Buffer>,
    pub(crate) held: u64,
    pub(crate) slate: u64,
    /// Frames aired as stand-ins while a real-time source was late.
    pub(crate) late: u64,
}

/// The audio side of one input.
pub(crate) struct AudioFeed {
    pub(crate) state: State,
    pending: Option<(gst::Buffer, usize)>,
    bytes_per_sample: usize,
    pub(crate) silent: u64,
    /// Samples of silence aired while a real-time source was late.
    pub(crate) late: u64,
}

impl VideoFeed {
    pub(crate) fn new(state: State) -> Self {
        VideoFeed { state, last: None, held: 0, slate: 0, late: 0 }
    }

    /// The next frame to air (`None` only on radio, where there is no slate).
    pub(crate) fn next(
        &mut self,
        input: Option<&Input>,
        slate: Option<&gst::Buffer>,
        rec: &mut AsRunRecord,
    ) -> Option<gst::Buffer> {
        if let (State::Flowing, Some(input)) = (self.state, input) {
            match input.pull_video() {
                // A deep copy: the encoder holds frames for its look-ahead, and they must not
                // pin buffers of the input's (bounded) decoder pool.
                Pull::Buffer(b) => match b.copy_deep() {
                    Ok(b) => {
                        self.last = Some(b.clone());
                        return Some(b);
                    }
                    Err(e) => {
                        self.state = State::Failed;
                        rec.fallback(format!("cannot copy frame: {e}"));
                    }
                },
                Pull::Eos => self.state = State::Ended,
                Pull::Failed(reason) => {
                    self.state = State::Failed;
                    rec.fallback(reason);
                }
                Pull::Late => {
                    self.late += 1;
                    return match &self.last {
                        Some(last) => Some(last.clone()),
                        None => slate.cloned(),
                    };
                }
            }
        }
        match (&self.state, &self.last) {
            (State::Ended, Some(last)) => {
                self.held += 1;
                Some(last.clone())
            }
            _ => {
                self.slate += 1;
                slate.cloned()
            }
        }
    }

    /// Drops `n` frames of the input (joining an item late).
    pub(crate) fn skip(&mut self, input: Option<&Input>, n: u64, rec: &mut AsRunRecord) {
        for _ in 0..n {
            if self.state != State::Flowing {
                return;
            }
            let _ = self.next(input, None, rec);
        }
    }
}

impl AudioFeed {
    pub(crate) fn new(state: State, channels: u32) -> Self {
        AudioFeed { state, pending: None, bytes_per_sample: 2 * channels as usize, silent: 0, late: 0 }
    }

    /// Up to `max` samples: from the input while it flows, silence after.
    pub(crate) fn take(&mut self, input: Option<&Input>, max: u64, rec: &mut AsRunRecord) -> (gst::Buffer, u64) {
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
            match (self.state, input) {
                (State::Flowing, Some(input)) => match input.pull_audio() {
                    Pull::Buffer(b) => self.pending = Some((b, 0)),
                    Pull::Eos => self.state = State::Ended,
                    Pull::Failed(reason) => {
                        self.state = State::Failed;
                        rec.fallback(reason);
                    }
                    Pull::Late => {
                        self.late += max;
                        return (silence(max, self.bytes_per_sample), max);
                    }
                },
                _ => {
                    self.silent += max;
                    return (silence(max, self.bytes_per_sample), max);
                }
            }
        }
    }

    /// Drops `n` samples of the input (joining an item late).
    /// (A late source yields silence here, which is dropped the same way.)
    pub(crate) fn skip(&mut self, input: Option<&Input>, mut n: u64, rec: &mut AsRunRecord) {
        while n > 0 && (self.state == State::Flowing || self.pending.is_some()) {
            let (_, got) = self.take(input, n, rec);
            n -= got;
        }
    }
}

fn silence(samples: u64, bytes_per_sample: usize) -> gst::Buffer {
    gst::Buffer::from_mut_slice(vec![0u8; samples as usize * bytes_per_sample])
}
