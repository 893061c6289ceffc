//! One alert's programme for one channel: attention signal → short pause → the alert's
//! audio (or synthesised speech) → a second of silence; on TV the slate and crawl all along.
//!
//! [`AlertProgramme::build`] returns at once: the signal is computed on the spot, while the
//! message audio and the slate are prepared on helper threads. Each airing takes a fresh
//! [`Source`] from [`AlertProgramme::source`]; until the slate is drawn the picture is the
//! severity colour, and if the message is not ready when the signal ends the pause grows
//! (up to the speech timeout) rather than the programme failing.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gstreamer as gst;
use schedules::emergency::Alert;

use super::attention::AttentionSignal;
use super::canvas::Canvas;
use super::decode::decode_audio;
use super::own_audio::OwnAudio;
use super::slate::{render_slate, Crawl, SlateText};
use super::speech::{speech_text, SpeechSettings};
use super::AlertError;
use crate::engine::Overlay;
use crate::font::CjkFont;
use crate::input::{Generated, Generator, Pull};
use crate::playlist::Source;
use crate::timeline::{ChannelFormat, MediaTime};

/// Pause between the attention signal and the message, seconds.
const PAUSE_S: f64 = 0.5;
/// Silence after the message, seconds.
const TAIL_S: f64 = 1.0;
/// On TV without any message audio, how long the slate stays up, seconds.
const SLATE_ONLY_S: f64 = 10.0;

/// What a programme is made of, besides the alert.
#[derive(Debug, Clone)]
pub struct AlertMedia {
    /// The attention signal, or `None` when the policy says none.
    pub attention: Option<AttentionSignal>,
    /// An audio file to air instead of synthesised speech (tests, local files).
    pub audio: Option<PathBuf>,
    /// The alert's own audio (its resource or EBM auxiliary), shared by every channel it
    /// airs on: fetched once, checked, aired instead of synthesised speech.
    pub own: Option<OwnAudio>,
    /// How to synthesise speech when there is no audio.
    pub speech: SpeechSettings,
    /// Where the speech WAV is written (it is removed once decoded).
    pub work_dir: PathBuf,
    /// The slate font (TV); `None` draws the colour band and crawl band without text.
    pub font: Option<Arc<CjkFont>>,
}

impl AlertMedia {
    /// Defaults: the standard attention signal, synthesised speech, no font.
    pub fn new(work_dir: impl Into<PathBuf>) -> Self {
        AlertMedia {
            attention: Some(AttentionSignal::default()),
            audio: None,
            own: None,
            speech: SpeechSettings::default(),
            work_dir: work_dir.into(),
            font: None,
        }
    }
}

type Slot<T> = Mutex<Option<T>>;

struct Slate {
    i420: Vec<u8>,
    crawl: Option<Crawl>,
}

struct Shared {
    label: String,
    format: ChannelFormat,
    attention: Arc<Vec<i16>>,
    /// Message audio, interleaved at the channel format; `Err` when there is none.
    message: Slot<Result<Arc<Vec<i16>>, String>>,
    slate: Slot<Arc<Slate>>,
    /// The severity colour as a full frame, shown until the slate is drawn.
    placeholder: Vec<u8>,
    /// How long the message may keep the programme waiting after the signal, in samples.
    max_wait: u64,
    notes: Mutex<Vec<String>>,
    /// What the message is (`the alert's own audio (name)`, `synthesised speech`, …), once known.
    message_source: Slot<String>,
}

fn put<T>(slot: &Slot<T>, value: T) {
    if let Ok(mut g) = slot.lock() {
        *g = Some(value);
    }
}

/// An alert's programme for one channel, reusable for every airing.
#[derive(Clone)]
pub struct AlertProgramme {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for AlertProgramme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertProgramme").field("label", &self.shared.label).finish_non_exhaustive()
    }
}

impl AlertProgramme {
    /// Builds the programme of `alert` for a channel of `format` and starts preparing its
    /// message audio (and slate, on TV) in the background.
    ///
    /// # Errors
    /// [`AlertError::Attention`] when the attention-signal settings are unusable.
    pub fn build(alert: &Alert, format: &ChannelFormat, media: &AlertMedia) -> Result<AlertProgramme, AlertError> {
        let (rate, channels) = (format.audio.rate, format.audio.channels);
        let attention = match &media.attention {
            Some(signal) => signal.cached_samples(rate, channels)?,
            None => Arc::new(Vec::new()),
        };
        let text = SlateText::of(alert);
        let placeholder = match format.video {
            Some(v) => solid_i420(v.width, v.height, text.band().0),
            None => Vec::new(),
        };
        let shared = Arc::new(Shared {
            label: format!("alert:{}", alert.id),
            format: *format,
            attention,
            message: Mutex::new(None),
            slate: Mutex::new(None),
            placeholder,
            max_wait: (media.speech.timeout_s.clamp(0.0, 600.0) + 5.0).round() as u64 * u64::from(rate),
            notes: Mutex::new(Vec::new()),
            message_source: Mutex::new(None),
        });
        spawn_message(&shared, alert, media);
        if let Some(v) = format.video {
            let (weak, font, fps) =
                (Arc::downgrade(&shared), media.font.clone(), f64::from(v.fps.num()) / f64::from(v.fps.den()));
            std::thread::spawn(move || {
                let slate = draw_slate(&text, v.width, v.height, fps, font.as_deref());
                if let Some(shared) = weak.upgrade() {
                    if font.is_none() {
                        shared.note("no CJK font: slate without text");
                    }
                    put(&shared.slate, Arc::new(slate));
                }
            });
        }
        Ok(AlertProgramme { shared })
    }

    /// A fresh source for one airing; `on_end` runs (on the engine's thread) when its last
    /// sample has been handed out — the place to release the override, which then lands
    /// exactly at the programme's end.
    pub fn source(&self, on_end: Option<Box<dyn FnOnce() + Send>>) -> Source {
        let cursor = Cursor { shared: self.shared.clone(), sample: 0, frame: 0, message_at: None, total: None, on_end };
        Generated::new(self.shared.label.clone(), self.shared.format, Box::new(cursor)).into_source()
    }

    /// Waits until the message audio (and the slate) are prepared; false on timeout.
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        let s = &self.shared;
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let message = s.message.lock().is_ok_and(|g| g.is_some());
            let slate = s.format.video.is_none() || s.slate.lock().is_ok_and(|g| g.is_some());
            if message && slate {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The crawl alone as an overlay over the programme, for `passes` crossings of the
    /// picture (Minor alerts on TV), and how long that takes. `None` on radio or when no
    /// font could draw the text. Waits (at most 2 s) for the slate thread.
    pub fn crawl_overlay(&self, passes: u32) -> Option<(Box<dyn Overlay>, Duration)> {
        let v = self.shared.format.video?;
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        let slate = loop {
            if let Some(slate) = self.shared.slate.lock().ok().and_then(|g| g.clone()) {
                break slate;
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let frames = slate.crawl.as_ref()?.pass_frames() * u64::from(passes.max(1));
        let length = v.fps.frames_to_time(frames);
        Some((Box::new(CrawlOverlay { slate, frame: 0, frames }), Duration::from_nanos(length.unsigned_nanos())))
    }

    /// The programme's length once its message is known.
    pub fn duration(&self) -> Option<MediaTime> {
        let s = &self.shared;
        let guard = s.message.lock().ok()?;
        let message = guard.as_ref()?;
        let (start, len) = message_span(s, 0, message);
        Some(s.format.sample_time(start + len + secs(s, TAIL_S)))
    }

    /// Problems met while preparing (speech failed, audio undecodable, no font …).
    pub fn notes(&self) -> Vec<String> {
        self.shared.notes.lock().map(|n| n.clone()).unwrap_or_default()
    }

    /// What the message was and what went wrong preparing it, for the as-run
    /// (`message: synthesised speech; alert audio not aired, speech instead: …`).
    pub fn summary(&self) -> String {
        let s = &self.shared;
        let source = s.message_source.lock().ok().and_then(|g| g.clone()).unwrap_or_else(|| "not ready".to_owned());
        let mut out = format!("message: {source}");
        for n in self.notes() {
            out.push_str("; ");
            out.push_str(&n);
        }
        out
    }

    /// Whether the programme has pictures (a TV channel's).
    pub fn has_video(&self) -> bool {
        self.shared.format.video.is_some()
    }

    /// The as-run label, `alert:ID`.
    pub fn label(&self) -> &str {
        &self.shared.label
    }
}

impl Shared {
    fn note(&self, text: impl Into<String>) {
        let text = text.into();
        tracing::warn!(alert = %self.label, %text, "alert programme");
        if let Ok(mut n) = self.notes.lock() {
            n.push(text);
        }
    }
}

fn secs(s: &Shared, seconds: f64) -> u64 {
    (seconds * f64::from(s.format.audio.rate)).round() as u64
}

fn attention_len(s: &Shared) -> u64 {
    (s.attention.len() / s.format.audio.channels.max(1) as usize) as u64
}

/// Where the message starts (never before `now`) and its length, in samples.
fn message_span(s: &Shared, now: u64, message: &Result<Arc<Vec<i16>>, String>) -> (u64, u64) {
    let pause = if s.attention.is_empty() { 0 } else { secs(s, PAUSE_S) };
    let start = (attention_len(s) + pause).max(now);
    let len = match message {
        Ok(m) => (m.len() / s.format.audio.channels.max(1) as usize) as u64,
        Err(_) if s.format.video.is_some() => secs(s, SLATE_ONLY_S),
        Err(_) => 0,
    };
    (start, len)
}

/// A name no other programme of this process uses, for the speech and audio files.
fn unique_stem(alert_id: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let id: String = alert_id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).take(64).collect();
    format!("alert-{id}-{}-{n}", std::process::id())
}

fn spawn_message(shared: &Arc<Shared>, alert: &Alert, media: &AlertMedia) {
    let weak = Arc::downgrade(shared);
    let (audio, own, speech, dir, format) =
        (media.audio.clone(), media.own.clone(), media.speech.clone(), media.work_dir.clone(), shared.format.audio);
    let text = speech_text(alert);
    // One file per programme (that is, per alert and channel), removed once decoded.
    let stem = unique_stem(&alert.id);
    let timeout = Duration::from_secs_f64(speech.timeout_s.clamp(0.1, 600.0)) + Duration::from_secs(5);
    std::thread::spawn(move || {
        let from_file = |path: &std::path::Path| decode_audio(path, format, timeout).map(Arc::new);
        let mut problems = Vec::new();
        let mut source = String::new();
        let mut message = match (&own, &audio) {
            (Some(own), _) => {
                source = format!("the alert's own audio ({})", own.name());
                own.bytes().and_then(|bytes| {
                    let path = dir.join(format!("{stem}.audio"));
                    std::fs::write(&path, &bytes[..]).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    let decoded = from_file(&path).map_err(|e| format!("it does not decode as audio: {e}"));
                    let _ = std::fs::remove_file(&path);
                    decoded
                })
            }
            (None, Some(path)) => {
                source = format!("audio file {}", path.display());
                from_file(path).map_err(|e| e.to_string())
            }
            (None, None) => Err(String::new()),
        };
        if let Err(e) = &message {
            if !e.is_empty() {
                problems.push(format!("alert audio not aired, speech instead: {e}"));
            }
            source = "synthesised speech".to_owned();
            let wav = dir.join(format!("{stem}.wav"));
            message = speech.synthesise(&text, &wav).and_then(|()| from_file(&wav)).map_err(|e| e.to_string());
            let _ = std::fs::remove_file(&wav);
            if let Err(e) = &message {
                problems.push(e.clone());
                source = "none (speech failed)".to_owned();
            }
        }
        if let Some(shared) = weak.upgrade() {
            for p in problems {
                shared.note(p);
            }
            put(&shared.message_source, source);
            put(&shared.message, message);
        }
    });
}

fn draw_slate(text: &SlateText, width: u32, height: u32, fps: f64, font: Option<&CjkFont>) -> Slate {
    match font {
        Some(font) => Slate {
            i420: render_slate(text, width, height, font).to_i420(),
            crawl: Some(if text.drill {
                Crawl::drill(&text.crawl, width, height, fps, font)
            } else {
                Crawl::new(&text.crawl, width, height, fps, font)
            }),
        },
        None => Slate { i420: solid_i420(width, height, text.band().0), crawl: None },
    }
}

/// A full I420 frame of one colour.
fn solid_i420(width: u32, height: u32, colour: [u8; 3]) -> Vec<u8> {
    let px = Canvas::new(2, 2, colour).to_i420();
    let luma = width as usize * height as usize;
    let mut out = vec![px[0]; luma];
    out.resize(luma + luma / 4, px[4]);
    out.resize(luma + luma / 2, px[5]);
    out
}

/// A crawl drawn over the scheduled programme.
struct CrawlOverlay {
    slate: Arc<Slate>,
    frame: u64,
    frames: u64,
}

impl Overlay for CrawlOverlay {
    fn draw(&mut self, frame: &mut [u8], _width: u32, height: u32) -> bool {
        let Some(crawl) = &self.slate.crawl else { return false };
        if self.frame >= self.frames {
            return false;
        }
        crawl.draw(frame, self.frame, height);
        self.frame += 1;
        true
    }
}

/// One airing's position in the programme.
struct Cursor {
    shared: Arc<Shared>,
    /// Samples (per channel) handed out.
    sample: u64,
    /// Video frames handed out.
    frame: u64,
    message_at: Option<(u64, u64)>,
    total: Option<u64>,
    on_end: Option<Box<dyn FnOnce() + Send>>,
}

impl Cursor {
    /// Fixes the message's place once it is known (or given up on).
    fn resolve(&mut self) {
        if self.total.is_some() {
            return;
        }
        let s = self.shared.clone();
        let attention = attention_len(&s);
        if self.sample < attention {
            return;
        }
        let ready = s.message.lock().ok().and_then(|g| g.as_ref().map(|m| message_span(&s, self.sample, m)));
        let span = match ready {
            Some(span) => Some(span),
            None if self.sample >= attention + s.max_wait => {
                s.note("message audio not ready in time: not aired");
                Some(message_span(&s, self.sample, &Err(String::new())))
            }
            None => None,
        };
        if let Some((start, len)) = span {
            self.message_at = Some((start, len));
            self.total = Some(start + len + secs(&s, TAIL_S));
        }
    }

    fn samples(&self, from: &[i16], at: u64, n: u64) -> gst::Buffer {
        let ch = self.shared.format.audio.channels as usize;
        let part = &from[at as usize * ch..(at + n) as usize * ch];
        let bytes: Vec<u8> = part.iter().flat_map(|s| s.to_le_bytes()).collect();
        gst::Buffer::from_mut_slice(bytes)
    }
}

impl Generator for Cursor {
    fn has_video(&self) -> bool {
        self.shared.format.video.is_some()
    }

    fn pull_video(&mut self) -> Pull {
        self.resolve();
        let s = &self.shared;
        if self.total.is_some_and(|t| s.format.sample_at_frame(self.frame) >= t) {
            return Pull::Eos;
        }
        let slate = s.slate.lock().ok().and_then(|g| g.clone());
        let frame = match slate {
            Some(slate) => {
                let mut f = slate.i420.clone();
                if let (Some(crawl), Some(v)) = (&slate.crawl, s.format.video) {
                    crawl.draw(&mut f, self.frame, v.height);
                }
                f
            }
            None => s.placeholder.clone(),
        };
        self.frame += 1;
        Pull::Buffer(gst::Buffer::from_mut_slice(frame))
    }

    fn pull_audio(&mut self) -> Pull {
        self.resolve();
        let s = self.shared.clone();
        let chunk = u64::from(s.format.audio.rate / 50).max(1);
        let attention = attention_len(&s);
        let silence =
            |n: u64| gst::Buffer::from_mut_slice(vec![0u8; n as usize * 2 * s.format.audio.channels as usize]);
        let at = self.sample;
        let (buffer, n) = if at < attention {
            let n = chunk.min(attention - at);
            (self.samples(&s.attention, at, n), n)
        } else {
            match (self.total, self.message_at) {
                (Some(total), _) if at >= total => {
                    if let Some(end) = self.on_end.take() {
                        end();
                    }
                    return Pull::Eos;
                }
                (Some(total), Some((start, len))) => {
                    let message = s.message.lock().ok().and_then(|g| g.as_ref().and_then(|m| m.as_ref().ok().cloned()));
                    match message {
                        Some(m) if at >= start && at < start + len => {
                            let n = chunk.min(start + len - at);
                            (self.samples(&m, at - start, n), n)
                        }
                        _ => {
                            let next = if at < start { start } else { total };
                            let n = chunk.min(next - at);
                            (silence(n), n)
                        }
                    }
                }
                _ => (silence(chunk), chunk),
            }
        };
        self.sample += n;
        if self.total.is_some_and(|t| self.sample >= t) {
            // The last sample is out: the release lands before the engine's next frame/tick.
            if let Some(end) = self.on_end.take() {
                end();
            }
        }
        Pull::Buffer(buffer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::attention::detects;
    use crate::timeline::{AudioFormat, FrameRate, VideoFormat};

    fn alert() -> Alert {
        let doc = r#"{"id":"t-1","sender":"s","sent":"2026-07-01T08:30:00+08:00","status":"Actual",
            "msg_type":"Alert","severity":"Extreme","urgency":"Immediate","certainty":"Observed",
            "event":"地震","headline":"地震预警","areas":[{"desc":"米易县","codes":["510421"]}],"language":"zh-CN"}"#;
        schedules::emergency::validate_document(doc.as_bytes()).alert.unwrap()
    }

    fn radio() -> ChannelFormat {
        ChannelFormat {
            video: None,
            audio: AudioFormat { rate: 48_000, channels: 2 },
            audio_codec: crate::timeline::AudioCodec::Aac,
        }
    }

    fn drain(source: Source, format: &ChannelFormat) -> (Vec<i16>, u64) {
        let Source::Generated(g) = source else { panic!("not generated") };
        let item = crate::playlist::Item {
            source: Source::Generated(g),
            in_point: MediaTime::ZERO,
            duration: MediaTime::from_nanos(1),
            kind: crate::playlist::ItemKind::Live,
            title: None,
            id: None,
            start: None,
            offset: None,
            hard: false,
        };
        let input = crate::input::Input::open(&item, format, Duration::from_secs(1)).unwrap();
        let (mut pcm, mut frames) = (Vec::new(), 0);
        loop {
            match input.pull_audio() {
                Pull::Buffer(b) => {
                    let map = b.map_readable().unwrap();
                    pcm.extend(map.chunks_exact(2).map(|x| i16::from_le_bytes([x[0], x[1]])));
                }
                Pull::Eos => break,
                other => panic!("{other:?}"),
            }
        }
        while format.video.is_some() {
            match input.pull_video() {
                Pull::Buffer(b) => {
                    assert_eq!(b.size(), 320 * 180 * 3 / 2);
                    frames += 1;
                }
                Pull::Eos => break,
                other => panic!("{other:?}"),
            }
        }
        (pcm, frames)
    }

    #[test]
    fn radio_programme_is_signal_pause_speech_tail_and_ends_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut media = AlertMedia::new(dir.path());
        media.attention = Some(AttentionSignal { duration_s: 2.0, ..AttentionSignal::default() });
        let p = AlertProgramme::build(&alert(), &radio(), &media).unwrap();
        assert!(p.wait_ready(Duration::from_secs(20)), "{:?}", p.notes());
        let ended = Arc::new(Mutex::new(0));
        let e = ended.clone();
        let (pcm, _) = drain(p.source(Some(Box::new(move || *e.lock().unwrap() += 1))), &radio());
        assert_eq!(*ended.lock().unwrap(), 1);
        let total = (pcm.len() / 2) as u64;
        assert_eq!(Some(radio().sample_time(total)), p.duration());
        let left: Vec<i16> = pcm.iter().step_by(2).copied().collect();
        let signal = AttentionSignal::default();
        assert!(detects(&signal, &left[..4800], 48_000));
        assert!(detects(&signal, &left[91_200..96_000], 48_000));
        assert!(left[96_000..120_000].iter().all(|&x| x == 0), "pause");
        let speech = &left[120_000..total as usize - 48_000];
        assert!(speech.len() > 48_000, "speech {} samples", speech.len());
        assert!(speech.iter().any(|&x| x.abs() > 1000));
        assert!(left[total as usize - 48_000..].iter().all(|&x| x == 0), "tail");
        assert!(dir.path().read_dir().unwrap().next().is_none(), "speech WAV removed");
    }

    #[test]
    fn own_audio_is_preferred_and_bad_audio_falls_back_to_speech() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("own.wav");
        let ok = std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=300:duration=1.25"])
            .arg(&wav)
            .status()
            .unwrap();
        assert!(ok.success());
        let mut media = AlertMedia::new(dir.path());
        media.attention = None;
        media.audio = Some(wav);
        let p = AlertProgramme::build(&alert(), &radio(), &media).unwrap();
        assert!(p.wait_ready(Duration::from_secs(20)));
        // 1.25 s of audio (resampled from 44.1 kHz, ± a sample) and the 1 s tail.
        let d = p.duration().unwrap().as_secs_f64();
        assert!((d - 2.25).abs() < 0.001, "{d}");
        media.audio = Some(dir.path().join("missing.mp3"));
        let p = AlertProgramme::build(&alert(), &radio(), &media).unwrap();
        assert!(p.wait_ready(Duration::from_secs(20)));
        assert!(p.notes().iter().any(|n| n.contains("speech instead")), "{:?}", p.notes());
        assert!(p.duration().unwrap() > MediaTime::from_secs_f64(2.0).unwrap());
    }

    #[test]
    fn tv_programme_has_a_frame_per_frame_time_and_survives_failed_speech() {
        let dir = tempfile::tempdir().unwrap();
        let tv = ChannelFormat {
            video: Some(VideoFormat { width: 320, height: 180, fps: FrameRate::new(25, 1).unwrap() }),
            audio: AudioFormat { rate: 48_000, channels: 2 },
            audio_codec: crate::timeline::AudioCodec::Aac,
        };
        let mut media = AlertMedia::new(dir.path());
        media.attention = Some(AttentionSignal { duration_s: 1.0, ..AttentionSignal::default() });
        media.speech.program = "/nonexistent/espeak-ng".into();
        media.font = CjkFont::find().ok().map(Arc::new);
        let p = AlertProgramme::build(&alert(), &tv, &media).unwrap();
        assert!(p.wait_ready(Duration::from_secs(20)));
        assert!(p.notes().iter().any(|n| n.contains("espeak")), "{:?}", p.notes());
        // 1 s signal + 0.5 s pause + 10 s slate only + 1 s tail.
        assert_eq!(p.duration(), Some(MediaTime::from_secs_f64(12.5).unwrap()));
        let (pcm, frames) = drain(p.source(None), &tv);
        assert_eq!(pcm.len(), 12 * 48_000 * 2 + 48_000);
        assert_eq!(frames, 313); // 12.5 s at 25 fps, rounded up to cover the last samples
        assert!(p.source(None) != p.source(None));
        // A programme made for another channel format is refused, not aired garbled.
        let Source::Generated(g) = p.source(None) else { panic!() };
        let item = crate::playlist::Item {
            source: Source::Generated(g),
            in_point: MediaTime::ZERO,
            duration: MediaTime::from_nanos(1),
            kind: crate::playlist::ItemKind::Live,
            title: None,
            id: None,
            start: None,
            offset: None,
            hard: false,
        };
        let err = crate::input::Input::open(&item, &radio(), Duration::from_secs(1)).err().unwrap();
        assert!(err.contains("another channel format"), "{err}");
    }
}
