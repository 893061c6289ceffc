//! Filler programmes in place of the slate: the channel's configured list (see
//! [`rotation::FillerRotation`] for the choice), each opened ahead on a helper thread so
//! a switch to filler does not wait for a file to preroll, aired back to back until the
//! segment that needs them ends.

use gstreamer as gst;

use crate::asrun::AsRunRecord;
use crate::clock::PlayoutClock;
use crate::feed::{AudioFeed, State, VideoFeed};
use crate::input::{Input, Pending};
use crate::playlist::Item;
use crate::timeline::MediaTime;
use std::time::Duration;

use super::Engine;

mod rotation;

use rotation::FillerRotation;

/// A filler on air: its input and feeds.
pub(super) struct Filler {
    /// True for the segment's own live relay, called again after it dropped.
    pub(super) relay: bool,
    pub(super) input: Input,
    pub(super) video: VideoFeed,
    pub(super) audio: AudioFeed,
}

impl Filler {
    /// True when it has nothing more to give (its picture, or on radio its sound, ended).
    pub(super) fn done(&self, radio: bool) -> bool {
        if radio {
            self.audio.state != State::Flowing
        } else {
            self.video.state != State::Flowing
        }
    }
}

/// The channel's fillers and the one opened ahead.
#[derive(Default)]
pub(super) struct Fillers {
    items: Vec<Item>,
    rotation: FillerRotation,
    ahead: Option<(usize, Pending)>,
    /// The live item on air, while it airs.
    pub(super) relay: Option<Item>,
    /// A call to it in progress (after it dropped or never connected).
    pub(super) retry: Option<Pending>,
    /// When a failed relay is called again, and how long the wait after the next failure is.
    pub(super) backoff: RelayBackoff,
}

/// Calls to a failed live relay back off: 1 s after the first failed call, doubling to 30 s,
/// so a relay that answers 404 is not asked again on every frame (it was: 25 calls a second,
/// a new pipeline each). Reset when the relay's segment ends.
#[derive(Default)]
pub(super) struct RelayBackoff {
    /// No call before this engine time.
    next_call: Option<MediaTime>,
    /// The wait after the next failed call (0: the first, 1 s).
    wait: Duration,
}

impl RelayBackoff {
    const FIRST: Duration = Duration::from_secs(1);
    const MOST: Duration = Duration::from_secs(30);

    fn due(&self, now: MediaTime) -> bool {
        self.next_call.is_none_or(|t| now >= t)
    }

    /// Records a failed call at `now`; the wait before the next one.
    fn failed(&mut self, now: MediaTime) -> Duration {
        self.wait = if self.wait.is_zero() { Self::FIRST } else { (self.wait * 2).min(Self::MOST) };
        let nanos = i64::try_from(self.wait.as_nanos()).unwrap_or(i64::MAX);
        self.next_call = Some(now.saturating_add(MediaTime::from_nanos(nanos)));
        self.wait
    }
}

impl<C: PlayoutClock> Engine<C> {
    /// Airs `fillers` (files, e.g. idents and short programmes, in rotation) instead of the
    /// slate when an item's media is missing or fails, a live source drops, or nothing is
    /// scheduled; the slate airs only when no filler opens. The as-run of such a segment is
    /// `fallback` with the reason and `filler <source>` for each one aired.
    pub fn set_fillers(&mut self, fillers: Vec<Item>) {
        self.fillers = Fillers { rotation: FillerRotation::new(fillers.len()), items: fillers, ..Fillers::default() };
        self.open_filler_ahead();
    }

    pub(super) fn has_fillers(&self) -> bool {
        self.fillers.rotation.any()
    }

    fn open_filler_ahead(&mut self) {
        if self.fillers.ahead.is_some() {
            return;
        }
        if let Some(i) = self.fillers.rotation.pick() {
            let (timeout, patience) = (self.config.input_timeout, self.config.patience);
            let pending = Pending::open(&self.fillers.items[i], self.format, timeout, patience);
            self.fillers.ahead = Some((i, pending));
        }
    }

    /// The live relay of the segment on air, when a call to it (made on a helper thread while
    /// slate or filler airs) has brought its stream back; the as-run notes it.
    pub(super) fn relay_back(&mut self, rec: &mut AsRunRecord) -> Option<Filler> {
        let item = self.fillers.relay.as_ref()?;
        let Some(pending) = self.fillers.retry.take() else {
            if !self.fillers.backoff.due(self.now()) {
                return None;
            }
            let (timeout, patience) = (self.config.input_timeout, self.config.patience);
            self.fillers.retry = Some(Pending::open(item, self.format, timeout, patience));
            return None;
        };
        if !pending.is_finished() {
            self.fillers.retry = Some(pending);
            return None;
        }
        let now = self.now();
        let input = match pending.wait() {
            Ok(input) if self.usable(&input) => input,
            failed => {
                let reason = failed.err().unwrap_or_else(|| "no picture or sound".to_owned());
                let before = self.fillers.backoff.wait;
                let wait = self.fillers.backoff.failed(now);
                // Noted while the wait grows, then once: the as-run stays readable over an hour.
                if wait != before {
                    let at = now.as_secs_f64();
                    rec.note(format!(
                        "live source call at {at:.3} s failed ({reason}); calling again in {} s{}",
                        wait.as_secs(),
                        if wait == RelayBackoff::MOST { " and every 30 s after" } else { "" }
                    ));
                }
                return None;
            }
        };
        self.fillers.backoff = RelayBackoff::default();
        let at = now.as_secs_f64();
        rec.note(format!("live source back at {at:.3} s"));
        let state = |present: bool| if present { State::Flowing } else { State::Failed };
        Some(Filler {
            relay: true,
            video: VideoFeed::new(state(input.has_video())),
            audio: AudioFeed::new(state(input.has_audio()), self.format.audio.channels),
            input,
        })
    }

    /// A TV filler needs a picture, a radio filler sound (else it would be swapped every frame).
    fn usable(&self, input: &Input) -> bool {
        if self.format.is_radio() {
            input.has_audio()
        } else {
            input.has_video()
        }
    }

    /// The next frame of the filler on air; when it ends on this very pull, the next filler's
    /// first frame (not a repeat of its last), so fillers follow each other frame-exactly.
    pub(super) fn filler_frame(&mut self, filler: &mut Option<Filler>, rec: &mut AsRunRecord) -> Option<gst::Buffer> {
        let slate = self.slate.clone();
        // Bounded: fillers that end at once (empty files) must not spin the frame loop.
        for _ in 0..=self.fillers.items.len() {
            let f = filler.as_mut()?;
            let flowing = f.video.state == State::Flowing;
            let frame = f.video.next(Some(&f.input), slate.as_ref(), rec);
            if !(flowing && f.video.state == State::Ended) {
                return frame;
            }
            match self.next_filler(rec) {
                Some(next) => *filler = Some(next),
                None => return frame,
            }
        }
        slate
    }

    /// The next filler that opens (noted in `rec`), or `None`: slate.
    pub(super) fn next_filler(&mut self, rec: &mut AsRunRecord) -> Option<Filler> {
        self.set_filler(None);
        while let Some((i, pending)) = self.fillers.ahead.take() {
            let opened = pending.wait();
            self.open_filler_ahead();
            let source = self.fillers.items[i].source.to_string();
            match opened {
                Ok(input) if !self.usable(&input) => {
                    tracing::warn!(filler = %source, "filler lacks the channel's picture or sound: skipped from now on");
                    self.fillers.rotation.broken(i);
                }
                Ok(input) => {
                    let state = |present: bool| if present { State::Flowing } else { State::Failed };
                    let (v, a) = (input.has_video(), input.has_audio());
                    rec.note(format!("filler {source}"));
                    self.set_filler(Some(self.fillers.items[i].title.clone().unwrap_or(source)));
                    return Some(Filler {
                        relay: false,
                        video: VideoFeed::new(state(v)),
                        audio: AudioFeed::new(state(a), self.format.audio.channels),
                        input,
                    });
                }
                Err(e) => {
                    tracing::warn!(filler = %source, error = %e, "filler does not open: skipped from now on");
                    self.fillers.rotation.broken(i);
                    if self.fillers.ahead.as_ref().is_some_and(|(j, _)| *j == i) {
                        self.fillers.ahead = None;
                        self.open_filler_ahead();
                    }
                }
            }
        }
        None
    }

    /// Says in the status which filler airs (`None`: the schedule or the slate).
    pub(super) fn set_filler(&self, filler: Option<String>) {
        if let Ok(mut s) = self.status.lock() {
            s.filler = filler;
        }
    }
}
