//! `measure FILE STREAM CHANNELS RATE [CHANNELS RATE]…`: one audio stream decoded once,
//! converted by libswresample (the same matrices as `ffmpeg -ac N -ar R`) to each requested
//! layout and metered with BS.1770 as it decodes, in constant memory.
//!
//! `measure-filtered FILE STREAM FILTER`: the stream through an FFmpeg audio filter chain
//! ending in 48 kHz stereo (the house chain with its limiter: the make-up measurement of
//! [`crate::normalise`]), metered as it comes out.

use std::path::Path;

use ff::format::sample::Type as Packing;
use ff::format::Sample;
use ff::software::resampling;
use ff::ChannelLayout;
use ffmpeg_next as ff;

use super::house::{add, audio_graph, close, layout_of, pull};
use super::input;
use crate::loudness::Meter;
use crate::pcm::Measured;

/// Decodes audio stream `stream` of `path` once and measures it as each `(channels, rate)`.
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
    let mut decoder = open_decoder(&st, stream)?;
    let mut meters = layouts
        .iter()
        .map(|&(channels, rate)| {
            let meter = Meter::new(channels, rate).map_err(|e| e.to_string())?;
            Ok((Converter { resampler: None, channels, rate, samples: Vec::new() }, meter))
        })
        .collect::<Result<Vec<_>, String>>()?;
    decode(&mut ictx, path, &mut decoder, stream, |frame| {
        for (conv, meter) in &mut meters {
            conv.push(frame, meter)?;
        }
        Ok(())
    })?;
    for (conv, meter) in &mut meters {
        conv.finish(meter)?;
    }
    meters
        .iter()
        .map(|(_, meter)| {
            let loudness = meter.loudness().map_err(|e| e.to_string())?;
            Ok(Measured { loudness, decoded_s: meter.duration_s() })
        })
        .collect()
}

/// Decodes audio stream `stream` of `path` through the filter chain `chain` (which, with the
/// `aformat` the graph ends in, makes 48 kHz stereo) and measures what comes out.
///
/// # Errors
/// As [`measure`], and a sentence when the chain does not parse or fails.
pub(crate) fn measure_filtered(path: &Path, stream: u32, chain: &str) -> Result<Measured, String> {
    let mut ictx = input::open(path)?;
    let st = ictx.stream(stream as usize).ok_or_else(|| format!("the file has no stream {stream}"))?;
    if st.parameters().medium() != ff::media::Type::Audio {
        return Err(format!("stream {stream} is not audio"));
    }
    let tb = st.time_base();
    let mut decoder = open_decoder(&st, stream)?;
    let mut meter = Meter::new(2, 48_000).map_err(|e| e.to_string())?;
    let mut graph: Option<(ff::filter::Graph, ChannelLayout)> = None;
    let mut out = ff::frame::Audio::empty();
    let mut inter: Vec<f32> = Vec::new();
    let mut drain = |g: &mut ff::filter::Graph, meter: &mut Meter| -> Result<(), String> {
        while pull(g, "out", &mut out)? {
            let (l, r) = (out.plane::<f32>(0), out.plane::<f32>(1));
            inter.clear();
            inter.extend(l.iter().zip(r).flat_map(|(a, b)| [*a, *b]).map(|s| if s.is_finite() { s } else { 0.0 }));
            meter.add_interleaved(&inter).map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    decode(&mut ictx, path, &mut decoder, stream, |frame| {
        if frame.samples() == 0 {
            return Ok(());
        }
        let layout = layout_of(frame);
        frame.set_channel_layout(layout);
        if let Some((mut g, _)) = graph.take_if(|(_, l)| *l != layout) {
            // A layout change mid-stream: finish the old graph, start a new one.
            close(&mut g, "in")?;
            drain(&mut g, &mut meter)?;
        }
        if graph.is_none() {
            graph = Some((audio_graph(frame, tb, chain)?, layout));
        }
        let Some((g, _)) = graph.as_mut() else { return Ok(()) };
        add(g, "in", frame)?;
        drain(g, &mut meter)
    })?;
    if let Some((mut g, _)) = graph.take() {
        close(&mut g, "in")?;
        drain(&mut g, &mut meter)?;
    }
    Ok(Measured { loudness: meter.loudness().map_err(|e| e.to_string())?, decoded_s: meter.duration_s() })
}

fn open_decoder(st: &ff::format::stream::Stream, stream: u32) -> Result<ff::decoder::Audio, String> {
    let ctx = ff::codec::context::Context::from_parameters(st.parameters())
        .map_err(|e| format!("cannot decode audio stream {stream}: {e}"))?;
    ctx.decoder().audio().map_err(|e| format!("cannot decode audio stream {stream}: {e}"))
}

/// Reads the file and hands each decoded frame of audio stream `stream` to `each`.
///
/// Packets the decoder rejects are skipped, as FFmpeg's CLI does; a read error ends the
/// input early (the parent compares the decoded length with the header).
fn decode(
    ictx: &mut ff::format::context::Input,
    path: &Path,
    decoder: &mut ff::decoder::Audio,
    stream: u32,
    mut each: impl FnMut(&mut ff::frame::Audio) -> Result<(), String>,
) -> Result<(), String> {
    let mut frame = ff::frame::Audio::empty();
    let mut skipped = 0usize;
    loop {
        // A fresh packet each read: `av_read_frame` does not free what a reused one held, so
        // reusing it leaked every packet (memory grew with the programme's length).
        let mut packet = ff::Packet::empty();
        match packet.read(ictx) {
            Ok(()) => {}
            Err(ff::Error::Eof) => break,
            Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => continue,
            Err(e) => {
                eprintln!("{}: read error, input ends here: {e}", path.display());
                break;
            }
        }
        if packet.stream() != stream as usize {
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
            each(&mut frame)?;
        }
    }
    if decoder.send_eof().is_ok() {
        while decoder.receive_frame(&mut frame).is_ok() {
            each(&mut frame)?;
        }
    }
    if skipped > 10 {
        eprintln!("audio stream {stream}: {skipped} packets skipped in all");
    }
    Ok(())
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
