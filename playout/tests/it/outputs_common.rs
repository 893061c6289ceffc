//! Shared helpers of the output tests: a real-time feeder pushing generated frames and tone
//! into an [`Output`], receivers run as child processes, and ffprobe checks.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gstreamer as gst;
use playout::output::Output;
use playout::timeline::{AudioFormat, ChannelFormat, FrameRate, MediaTime, VideoFormat};
use playout::{OutputState, OutputStatus};
pub use testkit::net::free_port;

pub const FPS: u64 = 25;

pub fn tv() -> ChannelFormat {
    ChannelFormat {
        video: Some(VideoFormat { width: 320, height: 240, fps: FrameRate::new(25, 1).unwrap() }),
        audio: AudioFormat { rate: 48_000, channels: 2 },
        audio_codec: playout::timeline::AudioCodec::Aac,
    }
}

pub fn radio() -> ChannelFormat {
    ChannelFormat {
        video: None,
        audio: AudioFormat { rate: 48_000, channels: 2 },
        audio_codec: playout::timeline::AudioCodec::Aac,
    }
}

/// Pushes 25 fps video (when the format has video) and 40 ms audio chunks in real time,
/// calling `check()` (which drives reconnection) every frame.
pub struct Feeder {
    pub output: Arc<Output>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<u64>>,
}

impl Feeder {
    pub fn start(output: Output, format: ChannelFormat) -> Feeder {
        gst::init().unwrap();
        let output = Arc::new(output);
        let stop = Arc::new(AtomicBool::new(false));
        let (o, s) = (output.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let begin = Instant::now();
            let mut n = 0u64;
            let frame_ns = 1_000_000_000 / FPS;
            while !s.load(Ordering::SeqCst) {
                let pts = MediaTime::from_nanos((n * frame_ns) as i64);
                let dur = MediaTime::from_nanos(frame_ns as i64);
                if let Some(v) = format.video {
                    let size = (v.width * v.height * 3 / 2) as usize;
                    let luma = (n % 200) as u8 + 16;
                    let mut data = vec![128u8; size];
                    data[..(v.width * v.height) as usize].fill(luma);
                    o.push_video(gst::Buffer::from_mut_slice(data), pts, dur).unwrap();
                }
                let samples = (format.audio.rate as u64 / FPS) as usize * format.audio.channels as usize;
                let mut pcm = Vec::with_capacity(samples * 2);
                for i in 0..samples {
                    let t = (n as usize * samples + i) / format.audio.channels as usize;
                    let v = ((t as f64 * 440.0 * std::f64::consts::TAU / 48_000.0).sin() * 8000.0) as i16;
                    pcm.extend_from_slice(&v.to_le_bytes());
                }
                o.push_audio(gst::Buffer::from_mut_slice(pcm), pts, dur).unwrap();
                o.check().unwrap();
                n += 1;
                let due = begin + Duration::from_nanos(n * frame_ns);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            n
        });
        Feeder { output, stop, thread: Some(thread) }
    }

    pub fn states(&self) -> Vec<OutputStatus> {
        self.output.target_states()
    }

    /// Waits up to `timeout` until target `index` is in `state`; returns its status then.
    pub fn wait_for(&self, index: usize, state: OutputState, timeout: Duration) -> OutputStatus {
        let end = Instant::now() + timeout;
        loop {
            let s = self.states()[index].clone();
            if s.state == state || Instant::now() > end {
                assert_eq!(s.state, state, "target {index} not {state:?} within {timeout:?}: {s:?}");
                return s;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops feeding and drains: returns the frames (or audio chunks) pushed and the targets
    /// that failed on the way.
    pub fn finish(mut self) -> (u64, Vec<(String, String)>) {
        self.stop.store(true, Ordering::SeqCst);
        let n = self.thread.take().unwrap().join().unwrap();
        let output = Arc::try_unwrap(self.output).ok().unwrap();
        let failed = output.finish(Duration::from_secs(20)).unwrap();
        (n, failed)
    }
}

/// A child process killed (SIGKILL: the peer vanishes without a goodbye) when dropped.
pub struct Receiver(pub Child);

impl Receiver {
    pub fn spawn(program: &str, args: &[&str], stdout_to: &Path) -> Receiver {
        let out = std::fs::File::create(stdout_to).unwrap();
        Receiver(Command::new(program).args(args).stdout(out).stderr(Stdio::null()).spawn().unwrap())
    }

    pub fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `pts_time` of every packet of `stream` (`v:0`, `a:0`) in `file`, via ffprobe.
pub fn packet_times(file: &Path, stream: &str) -> Vec<f64> {
    let out = Command::new("ffprobe")
        .args(["-v", "quiet", "-select_streams", stream, "-show_entries", "packet=pts_time", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    let mut t: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
        .collect();
    t.sort_by(f64::total_cmp);
    t
}

/// Frames ffprobe can decode from `stream` of `file` (0 when it cannot open it).
pub fn decoded_frames(file: &Path, stream: &str) -> u64 {
    let out = Command::new("ffprobe")
        .args(["-v", "quiet", "-select_streams", stream, "-count_frames", "-show_entries", "stream=nb_read_frames"])
        .args(["-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| l.trim().trim_end_matches(',').parse().ok()).unwrap_or(0)
}

/// Asserts `times` (sorted video PTS) step by one frame everywhere: no gap, no repeat.
pub fn assert_continuous(times: &[f64], what: &str) {
    let frame = 1.0 / FPS as f64;
    for w in times.windows(2) {
        let step = w[1] - w[0];
        assert!((step - frame).abs() < 0.002, "{what}: step {step:.3}s between {:.3} and {:.3}", w[0], w[1]);
    }
}
