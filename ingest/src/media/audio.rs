//! `measure FILE STREAM CHANNELS RATE [CHANNELS RATE]…`: one audio stream decoded once,
//! converted by libswresample (the same matrices as `ffmpeg -ac N -ar R`) to each requested
//! layout and metered with BS.1770 as it decodes, in constant memory.

use std::path::Path;

use ff::format::sample::Type as Packing;
use ff::format::Sample;
use ff::software::resampling;
use ff::ChannelLayout;
use ffmpeg_next as ff;

use super::input;
use crate::loudness::Meter;
use crate::pcm::Measured;

/// Decodes audio stream `stream` of `path` once and measures it as each `(channels, rate)`.
///
/// Packets the decoder rejects are skipped, as FFmpeg's CLI does; a read error ends the
/// input early (the parent compares the decoded length with the header).
///
/// # Errors
/// A sentence when the file cannot be opened, the stream is missing or not audio, or no
/// decoder exists for it.
pub(crate) fn measure(path: &Path, stream: u32, layouts: &[(u32, u32)]) -> Result<Vec<Measured>, String> {
    let mut ictx = input::open(path)?;
    let index = stream as usize;
    let st = ictx.stream(index).ok_or_else(|| format!("the file has no stream {stream}"))?;
    if st.parameters().medium() != ff::media::Type::Audio {
        return Err(format!("stream {stream} is not audio"));
    }
    let ctx = ff::codec::context::Context::from_parameters(st.parameters())
        .map_err(|e| format!("cannot decode audio stream {stream}: {e}"))?;
    let mut decoder = ctx.decoder().audio().map_err(|e| format!("cannot decode audio stream {stream}: {e}"))?;
    let mut meters = layouts
        .iter()
        .map(|&(channels, rate)| {
            let meter = Meter::new(channels, rate).map_err(|e| e.to_string())?;
            Ok((Converter { resampler: None, channels, rate, samples: Vec::new() }, meter))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut frame = ff::frame::Audio::empty();
    let mut skipped = 0usize;
    loop {
        // A fresh packet each read: `av_read_frame` does not free what a reused one held, so
        // reusing it leaked every packet (memory grew with the programme's length).
        let mut packet = ff::Packet::empty();
        match packet.read(&mut ictx) {
            Ok(()) => {}
            Err(ff::Error::Eof) => break,
            Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => continue,
            Err(e) => {
                eprintln!("{}: read error, input ends here: {e}", path.display());
                break;
            }
        }
        if packet.stream() != index {
            continue;
        }
        if let Err(e) = decoder.send_packet(&packet) {
            skipped += 1;
            if skipped <= 10 {
                eprintln!("audio stream {stream}: packet skipped: {e}");
            }
            continue;
        }
        while decoder.receive_frame(&mut frame).is_ok() {
            for (conv, meter) in &mut meters {
                conv.push(&mut frame, meter)?;
            }
        }
    }
    if decoder.send_eof().is_ok() {
        while decoder.receive_frame(&mut frame).is_ok() {
            for (conv, meter) in &mut meters {
                conv.push(&mut frame, meter)?;
            }
        }
    }
    for (conv, meter) in &mut meters {
        conv.finish(meter)?;
    }
    if skipped > 10 {
        eprintln!("audio stream {stream}: {skipped} packets skipped in all");
    }
    meters
        .iter()
        .map(|(_, meter)| {
            let loudness = meter.loudness().map_err(|e| e.to_string())?;
            Ok(Measured { loudness, decoded_s: meter.duration_s() })
        })
        .collect()
}

/// Decoded frames → interleaved f32 at the meter's layout, rebuilt when the input changes.
struct Converter {
    resampler: Option<(resampling::Context, (Sample, u64, u32))>,
    channels: u32,
    rate: u32,
    samples: Vec<f32>,
}

impl Converter {
    fn push(&mut self, frame: &mut ff::frame::Audio, meter: &mut Meter) -> Result<(), String> {
        let in_layout = layout_of(frame);
        // libswresample compares the frame's layout with the one it was set up for; a
        // decoder's unordered layout ("1 channels") must read as the default one it was.
        frame.set_channel_layout(in_layout);
        let key = (frame.format(), in_layout.bits(), frame.rate());
        if self.resampler.as_ref().is_none_or(|(_, k)| *k != key) {
            self.finish(meter)?;
            let out_layout = if in_layout.channels() == self.channels as i32 {
                in_layout
            } else {
                ChannelLayout::default(self.channels as i32)
            };
            let ctx = resampling::Context::get(
                frame.format(),
                in_layout,
                frame.rate(),
                Sample::F32(Packing::Packed),
                out_layout,
                self.rate,
            )
            .map_err(|e| format!("audio conversion: {e}"))?;
            self.resampler = Some((ctx, key));
        }
        let Some((ctx, _)) = self.resampler.as_mut() else { return Ok(()) };
        // Room for the resampler's buffered delay plus this frame at the output rate.
        let room = frame.samples() * self.rate as usize / frame.rate().max(1) as usize + 256;
        let mut out = ff::frame::Audio::new(Sample::F32(Packing::Packed), room, ctx.output().channel_layout);
        ctx.run(frame, &mut out).map_err(|e| format!("audio conversion: {e}"))?;
        self.feed(&out, meter)
    }

    /// Drains the resampler's buffered tail into the meter.
    fn finish(&mut self, meter: &mut Meter) -> Result<(), String> {
        let Some((mut ctx, _)) = self.resampler.take() else { return Ok(()) };
        loop {
            let mut out = ff::frame::Audio::new(Sample::F32(Packing::Packed), 4096, ctx.output().channel_layout);
            ctx.flush(&mut out).map_err(|e| format!("audio conversion: {e}"))?;
            if out.samples() == 0 {
                return Ok(());
            }
            self.feed(&out, meter)?;
        }
    }

    fn feed(&mut self, out: &ff::frame::Audio, meter: &mut Meter) -> Result<(), String> {
        let n = out.samples() * self.channels as usize * 4;
        let bytes = out.data(0).get(..n).ok_or("audio conversion: short output buffer")?;
        self.samples.clear();
        self.samples.extend(bytes.chunks_exact(4).map(|b| {
            let s = f32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            // A NaN or ±inf from a broken decoder would poison the meter's sums.
            if s.is_finite() {
                s
            } else {
                0.0
            }
        }));
        meter.add_interleaved(&self.samples).map_err(|e| e.to_string())
    }
}

/// The frame's channel layout, or FFmpeg's default for its channel count when unset.
fn layout_of(frame: &ff::frame::Audio) -> ChannelLayout {
    let l = frame.channel_layout();
    if l.is_empty() || l.channels() != i32::from(frame.channels()) {
        ChannelLayout::default(i32::from(frame.channels()))
    } else {
        l
    }
}
