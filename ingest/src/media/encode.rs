//! Encoders and muxers of the house command: libx264 and AAC/FLAC into MP4 or FLAC files,
//! and single JPEG pictures, with the settings of `docs/house-format.md`.

use std::path::Path;

use ff::codec::encoder;
use ff::format::sample::Type as Packing;
use ff::format::{Pixel, Sample};
use ff::{ChannelLayout, Dictionary, Rational};
use ffmpeg_next as ff;

/// An output file being written.
pub struct Muxer {
    pub octx: ff::format::context::Output,
    global_header: bool,
    started: bool,
    name: String,
}

impl Muxer {
    /// Creates `path` as container `format` (`mp4`, `flac`).
    pub fn create(path: &Path, format: &str) -> Result<Muxer, String> {
        let octx = ff::format::output_as(path, format).map_err(|e| format!("{}: {e}", path.display()))?;
        let global_header = octx.format().flags().contains(ff::format::Flags::GLOBAL_HEADER);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().trim_start_matches('.').replace(".part", ""))
            .unwrap_or_default();
        Ok(Muxer { octx, global_header, started: false, name })
    }

    /// Writes the header (`+faststart` for MP4).
    pub fn start(&mut self, faststart: bool) -> Result<(), String> {
        let mut opts = Dictionary::new();
        if faststart {
            opts.set("movflags", "+faststart");
        }
        self.octx.write_header_with(opts).map_err(|e| format!("{}: writing the header: {e}", self.name))?;
        self.started = true;
        Ok(())
    }

    /// Writes the trailer (the MP4 index; moved to the front with `faststart`).
    pub fn finish(&mut self) -> Result<(), String> {
        if self.started {
            self.octx.write_trailer().map_err(|e| format!("{}: writing the trailer: {e}", self.name))?;
        }
        Ok(())
    }

    fn drain(&mut self, enc: &mut encoder::Encoder, stream: usize, tb: Rational) -> Result<(), String> {
        let mut pkt = ff::Packet::empty();
        while enc.receive_packet(&mut pkt).is_ok() {
            pkt.set_stream(stream);
            let st_tb = self.octx.stream(stream).map(|s| s.time_base()).unwrap_or(tb);
            pkt.rescale_ts(tb, st_tb);
            write_interleaved(&mut self.octx, &mut pkt).map_err(|e| format!("{}: writing a packet: {e}", self.name))?;
        }
        Ok(())
    }
}

/// A video encoder feeding one stream of a [`Muxer`], constant frame rate.
pub struct VideoOut {
    enc: encoder::video::Encoder,
    stream: usize,
    tb: Rational,
    next: i64,
}

/// x264 settings of an output.
pub struct X264<'a> {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// `(key, value)` pairs given to libx264/libavcodec (preset, crf, maxrate, g, …).
    pub options: &'a [(&'a str, String)],
}

impl VideoOut {
    /// Adds an H.264 (libx264, High, yuv420p) stream to `mux`.
    pub fn h264(mux: &mut Muxer, s: &X264<'_>) -> Result<VideoOut, String> {
        let codec = encoder::find_by_name("libx264").ok_or("this FFmpeg has no libx264 encoder")?;
        let mut enc = ff::codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()
            .map_err(|e| format!("libx264: {e}"))?;
        let fps = s.fps as i32;
        enc.set_width(s.width);
        enc.set_height(s.height);
        enc.set_format(Pixel::YUV420P);
        enc.set_time_base(Rational(1, fps));
        enc.set_frame_rate(Some(Rational(fps, 1)));
        enc.set_aspect_ratio(Rational(1, 1));
        if mux.global_header {
            enc.set_flags(ff::codec::Flags::GLOBAL_HEADER);
        }
        let mut opts = Dictionary::new();
        opts.set("profile", "high");
        for (k, v) in s.options {
            opts.set(k, v);
        }
        let enc = enc.open_with(opts).map_err(|e| format!("libx264: {e}"))?;
        let mut st = mux.octx.add_stream(codec).map_err(|e| format!("adding the video stream: {e}"))?;
        st.set_parameters(&enc);
        st.set_time_base(Rational(1, fps));
        st.set_avg_frame_rate(Rational(fps, 1));
        st.set_rate(Rational(fps, 1));
        Ok(VideoOut { stream: st.index(), enc, tb: Rational(1, fps), next: 0 })
    }

    /// Encodes the next frame (its timestamp is the frame count: constant frame rate).
    pub fn push(&mut self, frame: &mut ff::frame::Video, mux: &mut Muxer) -> Result<(), String> {
        frame.set_pts(Some(self.next));
        // The decoder's picture type would force x264's frame types (keyframes off the GOP).
        frame.set_kind(ff::picture::Type::None);
        self.next += 1;
        self.enc.send_frame(frame).map_err(|e| format!("libx264: {e}"))?;
        mux.drain(&mut self.enc, self.stream, self.tb)
    }

    /// Drains the encoder.
    pub fn finish(&mut self, mux: &mut Muxer) -> Result<(), String> {
        self.enc.send_eof().map_err(|e| format!("libx264: {e}"))?;
        mux.drain(&mut self.enc, self.stream, self.tb)
    }
}

/// An audio encoder (48 kHz stereo) feeding one stream of a [`Muxer`], fed planar f32 of
/// any length and cut into the encoder's frame size.
pub struct AudioOut {
    enc: encoder::audio::Encoder,
    stream: usize,
    next: i64,
    frame_size: usize,
    s32: bool,
    l: Vec<f32>,
    r: Vec<f32>,
}

/// Sample rate of all house audio.
pub const RATE: i32 = 48_000;

impl AudioOut {
    /// AAC-LC at `kbps`.
    pub fn aac(mux: &mut Muxer, kbps: u32) -> Result<AudioOut, String> {
        Self::open(mux, ff::codec::Id::AAC, Sample::F32(Packing::Planar), &[("b", format!("{kbps}k"))])
    }

    /// FLAC, 24-bit.
    pub fn flac(mux: &mut Muxer) -> Result<AudioOut, String> {
        Self::open(mux, ff::codec::Id::FLAC, Sample::I32(Packing::Packed), &[("bits_per_raw_sample", "24".into())])
    }

    fn open(
        mux: &mut Muxer,
        id: ff::codec::Id,
        format: Sample,
        options: &[(&str, String)],
    ) -> Result<AudioOut, String> {
        let codec = encoder::find(id).ok_or_else(|| format!("this FFmpeg has no {id:?} encoder"))?;
        let mut enc = ff::codec::context::Context::new_with_codec(codec)
            .encoder()
            .audio()
            .map_err(|e| format!("{id:?} encoder: {e}"))?;
        enc.set_rate(RATE);
        enc.set_channel_layout(ChannelLayout::STEREO);
        enc.set_format(format);
        enc.set_time_base(Rational(1, RATE));
        if mux.global_header {
            enc.set_flags(ff::codec::Flags::GLOBAL_HEADER);
        }
        let mut opts = Dictionary::new();
        for (k, v) in options {
            opts.set(k, v);
        }
        let enc = enc.open_with(opts).map_err(|e| format!("{id:?} encoder: {e}"))?;
        let mut st = mux.octx.add_stream(codec).map_err(|e| format!("adding the audio stream: {e}"))?;
        st.set_parameters(&enc);
        st.set_time_base(Rational(1, RATE));
        let frame_size = match enc.frame_size() {
            0 => 1024,
            n => n as usize,
        };
        let s32 = matches!(format, Sample::I32(_));
        Ok(AudioOut { stream: st.index(), enc, next: 0, frame_size, s32, l: Vec::new(), r: Vec::new() })
    }

    /// Adds samples (left, right; equal lengths).
    pub fn push(&mut self, l: &[f32], r: &[f32], mux: &mut Muxer) -> Result<(), String> {
        self.l.extend_from_slice(l);
        self.r.extend_from_slice(r);
        let mut done = 0;
        while self.l.len() - done >= self.frame_size {
            self.encode(done, self.frame_size, mux)?;
            done += self.frame_size;
        }
        self.l.drain(..done);
        self.r.drain(..done);
        Ok(())
    }

    fn encode(&mut self, from: usize, n: usize, mux: &mut Muxer) -> Result<(), String> {
        let (l, r) = (&self.l[from..from + n], &self.r[from..from + n]);
        let mut frame = if self.s32 {
            let mut f = ff::frame::Audio::new(Sample::I32(Packing::Packed), n, ChannelLayout::STEREO);
            let out = f.data_mut(0);
            for (i, (a, b)) in l.iter().zip(r).enumerate() {
                out[i * 8..i * 8 + 4].copy_from_slice(&to_i32(*a).to_ne_bytes());
                out[i * 8 + 4..i * 8 + 8].copy_from_slice(&to_i32(*b).to_ne_bytes());
            }
            f
        } else {
            let mut f = ff::frame::Audio::new(Sample::F32(Packing::Planar), n, ChannelLayout::STEREO);
            // `plane_mut`, not `data_mut`: libav sets only the first plane's line size.
            for (plane, src) in [l, r].into_iter().enumerate() {
                f.plane_mut::<f32>(plane).copy_from_slice(src);
            }
            f
        };
        frame.set_rate(RATE as u32);
        frame.set_pts(Some(self.next));
        self.next += n as i64;
        self.enc.send_frame(&frame).map_err(|e| format!("audio encoder: {e}"))?;
        mux.drain(&mut self.enc, self.stream, Rational(1, RATE))
    }

    /// Encodes what is left (a short last frame) and drains the encoder.
    pub fn finish(&mut self, mux: &mut Muxer) -> Result<(), String> {
        if !self.l.is_empty() {
            self.encode(0, self.l.len(), mux)?;
            self.l.clear();
            self.r.clear();
        }
        self.enc.send_eof().map_err(|e| format!("audio encoder: {e}"))?;
        mux.drain(&mut self.enc, self.stream, Rational(1, RATE))
    }
}

/// Full scale float to 32-bit integer (FLAC keeps the top 24 bits).
fn to_i32(s: f32) -> i32 {
    (f64::from(s.clamp(-1.0, 1.0)) * 2_147_483_647.0).round() as i32
}

/// Writes `frame` (any size; converted to full-range 4:2:0) as a JPEG of quality `q`
/// (`-q:v`, 2 best … 31).
pub fn write_jpeg(frame: &ff::frame::Video, q: i32, path: &Path) -> Result<(), String> {
    let (w, h) = (frame.width(), frame.height());
    let mut jpeg_frame = if frame.format() == Pixel::YUVJ420P {
        frame.clone()
    } else {
        let mut sws = ff::software::scaling::Context::get(
            frame.format(),
            w,
            h,
            Pixel::YUVJ420P,
            w,
            h,
            ff::software::scaling::Flags::BICUBIC,
        )
        .map_err(|e| format!("picture conversion: {e}"))?;
        let mut out = ff::frame::Video::empty();
        sws.run(frame, &mut out).map_err(|e| format!("picture conversion: {e}"))?;
        out
    };
    jpeg_frame.set_pts(Some(0));
    jpeg_frame.set_kind(ff::picture::Type::None);
    let codec = encoder::find(ff::codec::Id::MJPEG).ok_or("this FFmpeg has no JPEG encoder")?;
    let mut enc =
        ff::codec::context::Context::new_with_codec(codec).encoder().video().map_err(|e| format!("JPEG: {e}"))?;
    enc.set_width(w);
    enc.set_height(h);
    enc.set_format(Pixel::YUVJ420P);
    enc.set_time_base(Rational(1, 25));
    enc.set_flags(ff::codec::Flags::QSCALE);
    enc.set_global_quality(q * 118); // FF_QP2LAMBDA
    let mut enc = enc.open_as(codec).map_err(|e| format!("JPEG: {e}"))?;
    enc.send_frame(&jpeg_frame).map_err(|e| format!("JPEG: {e}"))?;
    enc.send_eof().map_err(|e| format!("JPEG: {e}"))?;
    let mut pkt = ff::Packet::empty();
    enc.receive_packet(&mut pkt).map_err(|e| format!("JPEG: {e}"))?;
    let data = pkt.data().ok_or("JPEG: empty picture")?;
    std::fs::write(path, data).map_err(|e| format!("{}: {e}", path.display()))
}

/// `av_interleaved_write_frame`. `ffmpeg-next`'s refuses empty packets, but the FLAC encoder's
/// last one is empty and carries the final STREAMINFO (sample count, MD5) as side data.
#[allow(unsafe_code)]
fn write_interleaved(octx: &mut ff::format::context::Output, pkt: &mut ff::Packet) -> Result<(), ff::Error> {
    use ff::packet::Mut as _;
    // SAFETY: both pointers come from live wrappers borrowed mutably for the call; the muxer
    // takes the packet's reference and leaves it blank, which the wrapper tolerates.
    match unsafe { ff::ffi::av_interleaved_write_frame(octx.as_mut_ptr(), pkt.as_mut_ptr()) } {
        0 => Ok(()),
        e => Err(ff::Error::from(e)),
    }
}
