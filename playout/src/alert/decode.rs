//! Decodes an alert's audio (its own resource, or the synthesised speech WAV) whole into
//! memory at the channel's sample rate and channel count, so the programme can be timed
//! exactly before it airs. Alert audio is short; anything over [`MAX_AUDIO_S`] is refused.

use std::path::Path;
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use super::AlertError;
use crate::timeline::AudioFormat;

/// Longest alert audio accepted, in seconds.
pub const MAX_AUDIO_S: u64 = 600;

/// Decodes `path` (any format GStreamer can decode: WAV, MP3, AAC, Opus …) to interleaved
/// S16 at `format`.
///
/// # Errors
/// [`AlertError::Audio`] when the file is missing, cannot be decoded within `timeout`, has no
/// audio, or is longer than [`MAX_AUDIO_S`].
pub fn decode_audio(path: &Path, format: AudioFormat, timeout: Duration) -> Result<Vec<i16>, AlertError> {
    let err = |m: String| AlertError::Audio(format!("{}: {m}", path.display()));
    if !path.is_file() {
        return Err(err("no such file".to_owned()));
    }
    gst::init().map_err(|e| err(e.to_string()))?;
    let desc = format!(
        "filesrc name=src ! decodebin ! audioconvert ! audioresample ! \
         audio/x-raw,format=S16LE,layout=interleaved,rate={},channels={} ! appsink name=sink sync=false",
        format.rate, format.channels
    );
    let pipeline = gst::parse::launch(&desc)
        .map_err(|e| err(e.to_string()))?
        .downcast::<gst::Pipeline>()
        .map_err(|_| err("not a pipeline".to_owned()))?;
    let result = pull_all(&pipeline, path, format, timeout).map_err(err);
    let _ = pipeline.set_state(gst::State::Null);
    result
}

fn pull_all(pipeline: &gst::Pipeline, path: &Path, format: AudioFormat, timeout: Duration) -> Result<Vec<i16>, String> {
    let src = pipeline.by_name("src").ok_or("filesrc missing")?;
    src.set_property("location", path.to_string_lossy().as_ref());
    let sink = pipeline.by_name("sink").and_then(|e| e.downcast::<gst_app::AppSink>().ok()).ok_or("appsink missing")?;
    let bus = pipeline.bus().ok_or("no bus")?;
    pipeline.set_state(gst::State::Playing).map_err(|_| bus_error(&bus).unwrap_or("cannot start decoding".into()))?;
    let limit = MAX_AUDIO_S as usize * format.rate as usize * format.channels as usize;
    let deadline = Instant::now() + timeout;
    let mut out: Vec<i16> = Vec::new();
    loop {
        if let Some(e) = bus_error(&bus) {
            return Err(e);
        }
        if Instant::now() >= deadline {
            return Err(format!("not decoded within {timeout:?}"));
        }
        match sink.try_pull_sample(gst::ClockTime::from_mseconds(50)) {
            Some(sample) => {
                let buffer = sample.buffer().ok_or("sample without buffer")?;
                let map = buffer.map_readable().map_err(|e| e.to_string())?;
                out.extend(map.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])));
                if out.len() > limit {
                    return Err(format!("longer than {MAX_AUDIO_S} s"));
                }
            }
            None if sink.is_eos() => break,
            None => {}
        }
    }
    if out.is_empty() {
        return Err("no audio decoded".to_owned());
    }
    Ok(out)
}

fn bus_error(bus: &gst::Bus) -> Option<String> {
    bus.pop_filtered(&[gst::MessageType::Error]).map(|m| match m.view() {
        gst::MessageView::Error(e) => e.error().to_string(),
        _ => "error".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::attention::tone_power;

    #[test]
    fn a_mono_22050_wav_becomes_stereo_48k() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("t.wav");
        let status = std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
            .arg("sine=frequency=700:sample_rate=22050:duration=1.5")
            .arg(&wav)
            .status()
            .unwrap();
        assert!(status.success());
        let pcm = decode_audio(&wav, AudioFormat { rate: 48_000, channels: 2 }, Duration::from_secs(20)).unwrap();
        let frames = pcm.len() / 2;
        assert!((frames as i64 - 72_000).abs() < 100, "{frames} frames");
        let left: Vec<i16> = pcm.iter().step_by(2).copied().collect();
        // ffmpeg's sine is at 1/8 of full scale: power 0.25 / 64.
        let block = &left[24_000..28_800];
        assert!(tone_power(block, 48_000, 700.0) > 0.003);
        assert!(tone_power(block, 48_000, 1400.0) < 0.00005);
    }

    #[test]
    fn missing_and_undecodable_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let fmt = AudioFormat { rate: 48_000, channels: 2 };
        let missing = decode_audio(&dir.path().join("none.wav"), fmt, Duration::from_secs(5));
        assert!(matches!(missing, Err(AlertError::Audio(m)) if m.contains("no such file")));
        let junk = dir.path().join("junk.mp3");
        std::fs::write(&junk, b"this is not audio at all, just text").unwrap();
        assert!(matches!(decode_audio(&junk, fmt, Duration::from_secs(10)), Err(AlertError::Audio(_))));
    }
}
