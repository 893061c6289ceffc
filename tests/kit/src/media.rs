//! Generated test media: clips made by FFmpeg's lavfi sources (never downloaded), and the
//! `ffmpeg`/`ffprobe` tools run as independent checkers.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `ffmpeg -nostdin -hide_banner -y -v error` with `args`.
///
/// # Panics
/// When ffmpeg is missing or fails; the message carries its stderr.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-y", "-v", "error"])
        .args(args)
        .output()
        .expect("ffmpeg runs (scripts/setup-debian.sh installs it)");
    assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// ffprobe's JSON (`-show_format -show_streams`) of `path`.
///
/// # Panics
/// When ffprobe is missing or cannot read `path`.
pub fn ffprobe(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-show_format", "-show_streams"])
        .arg(path)
        .output()
        .expect("ffprobe runs (scripts/setup-debian.sh installs it)");
    assert!(out.status.success(), "ffprobe {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("ffprobe prints JSON")
}

/// ffprobe's programmes (`-show_programs`) of an MPEG-TS file: programme number, PMT PID, the
/// SDT's `service_name` and `service_provider` tags, the streams with their PIDs.
///
/// # Panics
/// When ffprobe is missing or prints no JSON.
pub fn ffprobe_programs(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-show_programs"])
        .arg(path)
        .output()
        .expect("ffprobe runs (scripts/setup-debian.sh installs it)");
    serde_json::from_slice(&out.stdout).expect("ffprobe prints JSON")
}

/// The audio of MPEG-TS bytes (e.g. datagrams of a UDP output, joined) decoded by ffmpeg to
/// mono 32-bit float samples at `rate` Hz; empty when nothing decodes.
///
/// # Panics
/// When ffmpeg is missing or `dir` is not writable.
pub fn ts_audio(ts: &[u8], dir: &Path, rate: u32) -> Vec<f32> {
    let file = tempfile::Builder::new().suffix(".ts").tempfile_in(dir).expect("temp file");
    std::fs::write(file.path(), ts).expect("write TS");
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "quiet", "-f", "mpegts", "-i"])
        .arg(file.path())
        .args(["-vn", "-ac", "1", "-ar", &rate.to_string(), "-f", "f32le", "-"])
        .output()
        .expect("ffmpeg runs (scripts/setup-debian.sh installs it)");
    out.stdout.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Generates a file at `dir/name` from lavfi video and audio sources.
pub fn generate(dir: &Path, name: &str, video: Option<&str>, audio: Option<&str>, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut args: Vec<&str> = Vec::new();
    if let Some(v) = video {
        args.extend(["-f", "lavfi", "-i", v]);
    }
    if let Some(a) = audio {
        args.extend(["-f", "lavfi", "-i", a]);
    }
    args.extend(extra);
    let o = out.to_str().unwrap().to_string();
    args.push(&o);
    ffmpeg(&args);
    out
}

/// A hostile file and its healthy original (`good.m4a`, `hostile.m4a` in `dir`): 2 s of ALAC
/// stereo whose header then claims 16 M samples a frame, so the decoder reserves about 400 MB
/// of buffers before it reads one packet.
pub fn alac_allocating_400_mb(dir: &Path) -> (PathBuf, PathBuf) {
    let good = generate(dir, "good.m4a", None, Some("sine=r=48000:d=2"), &["-ac", "2", "-c:a", "alac"]);
    let mut bytes = std::fs::read(&good).unwrap();
    let find =
        |needle: &[u8], from: usize| from + bytes[from..].windows(needle.len()).position(|w| w == needle).unwrap();
    let first = find(b"alac", 0);
    let cookie = find(b"alac", first + 4) + 8;
    bytes[cookie..cookie + 4].copy_from_slice(&(4096u32 * 4096).to_be_bytes());
    let hostile = dir.join("hostile.m4a");
    std::fs::write(&hostile, &bytes).unwrap();
    (good, hostile)
}

/// The stream of `kind` ("video"/"audio") in ffprobe JSON.
pub fn stream<'a>(probe: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} stream in {probe}"))
}

/// Parses a float field that ffprobe prints as a string.
pub fn num(v: &serde_json::Value) -> f64 {
    v.as_str().map(|s| s.parse().unwrap()).or_else(|| v.as_f64()).unwrap()
}

/// Integrated loudness and true peak of `path` according to FFmpeg's `ebur128` filter.
///
/// # Panics
/// When ffmpeg cannot read the audio of `path`.
pub fn ffmpeg_loudness(path: &Path) -> (f64, f64) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    let summary = &text[text.rfind("Summary:").expect("ebur128 summary")..];
    let field = |key: &str| -> f64 {
        let rest = &summary[summary.find(key).unwrap() + key.len()..];
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    (field("I:"), field("Peak:"))
}

/// What a clip shows.
#[derive(Debug, Clone, PartialEq)]
enum Picture {
    None,
    /// One second of each colour (a single colour lasts the whole clip).
    Colours(Vec<String>),
    /// FFmpeg's `testsrc2` pattern.
    Pattern,
}

/// A generated H.264 + AAC clip: by default 320x180 at 25 fps with a 500 Hz tone at 48 kHz.
///
/// ```no_run
/// # use testkit::media::Clip;
/// # let dir = std::path::Path::new("/tmp");
/// let red = Clip::colour("red", 2.0).tone(440).write(&dir.join("red.mp4"));
/// let ts = Clip::colour("blue", 1.0).args(&["-g", "5", "-f", "mpegts"]).write(&dir.join("blue.ts"));
/// let seconds = Clip::colours(&["red", "lime"]).write(&dir.join("red-lime.mp4")); // 2 s
/// let upload = Clip::pattern(2.0).size(320, 240).shortest().bytes(dir, "mango.mp4");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    picture: Picture,
    width: u32,
    height: u32,
    fps: u32,
    tone_hz: Option<u32>,
    sample_rate: u32,
    channels: Option<u32>,
    secs: f64,
    shortest: bool,
    args: Vec<String>,
}

impl Clip {
    fn new(picture: Picture, secs: f64) -> Clip {
        Clip {
            picture,
            width: 320,
            height: 180,
            fps: 25,
            tone_hz: Some(500),
            sample_rate: 48_000,
            channels: None,
            secs,
            shortest: false,
            args: Vec::new(),
        }
    }

    /// A clip of one `colour` (an FFmpeg colour name) lasting `secs`.
    #[must_use]
    pub fn colour(colour: &str, secs: f64) -> Clip {
        Clip::new(Picture::Colours(vec![colour.to_owned()]), secs)
    }

    /// A clip showing each of `colours` for one second: the colour tells the second.
    #[must_use]
    pub fn colours(colours: &[&str]) -> Clip {
        Clip::new(Picture::Colours(colours.iter().map(|c| (*c).to_owned()).collect()), colours.len() as f64)
    }

    /// A clip of FFmpeg's `testsrc2` pattern lasting `secs`.
    #[must_use]
    pub fn pattern(secs: f64) -> Clip {
        Clip::new(Picture::Pattern, secs)
    }

    /// A clip of tone alone (no video) lasting `secs`.
    #[must_use]
    pub fn audio_only(secs: f64) -> Clip {
        Clip::new(Picture::None, secs)
    }

    /// Picture size.
    #[must_use]
    pub fn size(mut self, width: u32, height: u32) -> Clip {
        (self.width, self.height) = (width, height);
        self
    }

    /// Frame rate.
    #[must_use]
    pub fn fps(mut self, fps: u32) -> Clip {
        self.fps = fps;
        self
    }

    /// The tone's frequency.
    #[must_use]
    pub fn tone(mut self, hz: u32) -> Clip {
        self.tone_hz = Some(hz);
        self
    }

    /// No audio stream.
    #[must_use]
    pub fn no_audio(mut self) -> Clip {
        self.tone_hz = None;
        self
    }

    /// The tone's sample rate.
    #[must_use]
    pub fn sample_rate(mut self, rate: u32) -> Clip {
        self.sample_rate = rate;
        self
    }

    /// Audio channels of the encoded clip (`-ac`); FFmpeg's choice (mono) when not set.
    #[must_use]
    pub fn channels(mut self, channels: u32) -> Clip {
        self.channels = Some(channels);
        self
    }

    /// Ends the clip with its shortest stream (`-shortest`).
    #[must_use]
    pub fn shortest(mut self) -> Clip {
        self.shortest = true;
        self
    }

    /// Further output options, e.g. `-g 5` for short GOPs or `-f mpegts`.
    #[must_use]
    pub fn args(mut self, args: &[&str]) -> Clip {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    /// Writes the clip to `path` (the extension or `-f` picks the container).
    ///
    /// # Panics
    /// When ffmpeg is missing or fails; the message carries its stderr.
    pub fn write(&self, path: &Path) -> PathBuf {
        let (w, h, r, secs) = (self.width, self.height, self.fps, self.secs);
        let mut cmd = Command::new("ffmpeg");
        cmd.args(["-hide_banner", "-loglevel", "error", "-y"]);
        let mut maps: Vec<String> = Vec::new();
        match &self.picture {
            Picture::None => {}
            Picture::Colours(colours) if colours.len() == 1 => {
                cmd.args(["-f", "lavfi", "-i", &format!("color=c={}:s={w}x{h}:r={r}:d={secs}", colours[0])]);
            }
            Picture::Colours(colours) => {
                let mut graph = String::new();
                for (i, c) in colours.iter().enumerate() {
                    graph.push_str(&format!("color=c={c}:s={w}x{h}:r={r}:d=1[v{i}];"));
                }
                for i in 0..colours.len() {
                    graph.push_str(&format!("[v{i}]"));
                }
                graph.push_str(&format!("concat=n={}:v=1:a=0[v]", colours.len()));
                cmd.args(["-filter_complex", &graph]);
                maps.extend(["-map".into(), "[v]".into()]);
                if self.tone_hz.is_some() {
                    maps.extend(["-map".into(), "0:a".into()]);
                }
            }
            Picture::Pattern => {
                cmd.args(["-f", "lavfi", "-i", &format!("testsrc2=size={w}x{h}:rate={r}:duration={secs}")]);
            }
        }
        if let Some(hz) = self.tone_hz {
            cmd.args([
                "-f",
                "lavfi",
                "-i",
                &format!("sine=frequency={hz}:sample_rate={}:duration={secs}", self.sample_rate),
            ]);
        }
        cmd.args(&maps);
        if self.picture != Picture::None {
            cmd.args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]);
        }
        if self.tone_hz.is_some() {
            cmd.args(["-c:a", "aac"]);
            if let Some(channels) = self.channels {
                cmd.args(["-ac", &channels.to_string()]);
            }
        }
        if self.shortest {
            cmd.arg("-shortest");
        }
        cmd.args(&self.args).arg(path);
        let out = cmd.output().expect("ffmpeg runs (scripts/setup-debian.sh installs it)");
        assert!(
            out.status.success(),
            "ffmpeg could not make {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        path.to_owned()
    }

    /// Writes the clip to `dir/name` and returns its bytes (e.g. to upload them).
    ///
    /// # Panics
    /// When ffmpeg fails or the file cannot be read back.
    pub fn bytes(&self, dir: &Path, name: &str) -> Vec<u8> {
        std::fs::read(self.write(&dir.join(name))).expect("read the generated clip")
    }
}
