//! The GStreamer text that encodes a channel's audio codec on air (the one
//! `schedules::format::AudioCodec`), parses it for the mux, and turns it into what an output
//! must carry (FLV and HLS previews take AAC,
//! Icecast listeners MP3).
//!
//! Bitrates (per channel, CBR), chosen as broadcast practice has them:
//!
//! | codec | channels | stereo | mono | rates | encoder |
//! |---|---|---|---|---|---|
//! | AAC-LC | TV, radio | 128 kb/s | 96 kb/s | any | `avenc_aac` (or `voaacenc`, `fdkaacenc`) |
//! | MPEG-1 Layer II | TV | 256 kb/s | 128 kb/s | 32/44.1/48 kHz | `twolamemp2enc` (or `avenc_mp2`) |
//! | MPEG-1 Layer III | radio | 128 kb/s | 96 kb/s | 32/44.1/48 kHz | `lamemp3enc` |
//! | Opus | radio | 128 kb/s | 96 kb/s | 48 kHz | `opusenc` |
//!
//! MP2 at 256 kb/s stereo is the usual DVB/DTMB distribution rate for a TV service's main
//! audio; MP3 at 128 kb/s is what Icecast radio serves; Opus at 128 kb/s is transparent for
//! music and runs at 48 kHz only among broadcast rates.

use gstreamer as gst;

pub use schedules::format::{AudioCodec, BadAudioCodec};

use crate::error::PlayoutError;

/// The GStreamer side of an [`AudioCodec`] (the codec itself, its text form, which kinds and
/// rates it fits and its bitrates are `schedules::format`'s).
pub(crate) trait CodecElements: Copy {
    /// The encoder and parser, ready to link to `mpegtsmux`, e.g.
    /// `twolamemp2enc bitrate=256 ! mpegaudioparse`.
    ///
    /// # Errors
    /// [`PlayoutError::MissingElement`] when no encoder of the codec is installed.
    fn encoder(self, channels: u32) -> Result<String, PlayoutError>;

    /// The parser and decoder of the codec's elementary stream (from `tsdemux`) to raw audio.
    fn decoder(self) -> &'static str;

    /// Elements [`CodecElements::to_aac`] and [`CodecElements::to_mp3`] may need, with their
    /// packages.
    fn decoder_needs(self) -> &'static [(&'static str, &'static str)];

    /// From the demuxed stream to parsed AAC (RTMP's FLV, the HLS preview browsers play):
    /// the stream itself when it is AAC, else decoded and encoded at 128 kb/s.
    ///
    /// # Errors
    /// [`PlayoutError::MissingElement`] without an AAC encoder.
    fn to_aac(self) -> Result<String, PlayoutError>;

    /// From the demuxed stream to parsed MP3 at 128 kb/s CBR (Icecast): the stream itself
    /// when it is MP3, else decoded and encoded.
    fn to_mp3(self) -> String;
}

impl CodecElements for AudioCodec {
    fn encoder(self, channels: u32) -> Result<String, PlayoutError> {
        let bps = self.bitrate_bps(channels);
        Ok(match self {
            AudioCodec::Aac => aac_encoder(bps)?,
            AudioCodec::Mp2 => match installed(&["twolamemp2enc", "avenc_mp2"]) {
                Some("twolamemp2enc") => format!("twolamemp2enc bitrate={} ! mpegaudioparse", bps / 1000),
                Some(f) => format!("{f} bitrate={bps} ! mpegaudioparse"),
                None => return Err(PlayoutError::MissingElement("twolamemp2enc", "gstreamer1.0-plugins-good")),
            },
            AudioCodec::Mp3 => {
                require("lamemp3enc", "gstreamer1.0-plugins-good")?;
                format!("lamemp3enc target=bitrate bitrate={} cbr=true ! mpegaudioparse", bps / 1000)
            }
            AudioCodec::Opus => {
                require("opusenc", "gstreamer1.0-plugins-base")?;
                format!("opusenc bitrate={bps} bitrate-type=cbr ! opusparse")
            }
        })
    }

    fn decoder(self) -> &'static str {
        match self {
            AudioCodec::Aac => "aacparse ! avdec_aac",
            AudioCodec::Mp2 | AudioCodec::Mp3 => "mpegaudioparse ! mpg123audiodec",
            AudioCodec::Opus => "opusparse ! opusdec",
        }
    }

    fn decoder_needs(self) -> &'static [(&'static str, &'static str)] {
        match self {
            AudioCodec::Aac => &[("avdec_aac", "gstreamer1.0-libav")],
            AudioCodec::Mp2 | AudioCodec::Mp3 => &[("mpg123audiodec", "gstreamer1.0-plugins-good")],
            AudioCodec::Opus => &[("opusdec", "gstreamer1.0-plugins-base")],
        }
    }

    fn to_aac(self) -> Result<String, PlayoutError> {
        match self {
            AudioCodec::Aac => Ok("aacparse".to_owned()),
            _ => Ok(format!("{} ! audioconvert ! audioresample ! {}", self.decoder(), aac_encoder(128_000)?)),
        }
    }

    fn to_mp3(self) -> String {
        match self {
            AudioCodec::Mp3 => "mpegaudioparse".to_owned(),
            _ => format!(
                "{} ! audioconvert ! audioresample ! lamemp3enc target=bitrate bitrate=128 cbr=true ! mpegaudioparse",
                self.decoder()
            ),
        }
    }
}

fn installed(factories: &[&'static str]) -> Option<&'static str> {
    factories.iter().copied().find(|f| gst::ElementFactory::find(f).is_some())
}

fn require(factory: &'static str, package: &'static str) -> Result<(), PlayoutError> {
    installed(&[factory]).map(|_| ()).ok_or(PlayoutError::MissingElement(factory, package))
}

/// The installed AAC encoder at `bps`, with its parser. FFmpeg's (gstreamer1.0-libav) gets
/// the `fast` coder: gst-libav defaults to `twoloop`, which costs ~35 % more CPU for the
/// same 128 kbit/s.
fn aac_encoder(bps: u32) -> Result<String, PlayoutError> {
    match installed(&["avenc_aac", "voaacenc", "fdkaacenc"]) {
        Some("avenc_aac") => Ok(format!("avenc_aac bitrate={bps} aac-coder=fast ! aacparse")),
        Some(f) => Ok(format!("{f} bitrate={bps} ! aacparse")),
        None => Err(PlayoutError::MissingElement("avenc_aac", "gstreamer1.0-libav")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_pass_their_own_codec_through_and_transcode_the_others() {
        gst::init().unwrap();
        assert_eq!(AudioCodec::Aac.to_aac().unwrap(), "aacparse");
        assert!(AudioCodec::Mp2.to_aac().unwrap().starts_with("mpegaudioparse ! mpg123audiodec ! audioconvert"));
        assert_eq!(AudioCodec::Mp3.to_mp3(), "mpegaudioparse");
        assert!(AudioCodec::Opus.to_mp3().starts_with("opusparse ! opusdec"));
        assert!(AudioCodec::Mp2.encoder(2).unwrap().ends_with("! mpegaudioparse"));
    }
}
