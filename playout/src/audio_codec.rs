//! The codec of a channel's audio on air, and the GStreamer text that encodes it, parses it
//! for the mux, and turns it into what an output must carry (FLV and HLS previews take AAC,
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

use std::fmt;
use std::str::FromStr;

use gstreamer as gst;

use crate::error::PlayoutError;

/// How a channel's audio is encoded on air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AudioCodec {
    /// AAC-LC in ADTS: TV and radio; the default.
    #[default]
    Aac,
    /// MPEG-1 Audio Layer II (ISO/IEC 11172-3): TV.
    Mp2,
    /// MPEG-1 Audio Layer III: radio.
    Mp3,
    /// Opus (RFC 6716) at 48 kHz: radio.
    Opus,
}

/// Why a codec text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audio codec {0:?} is not one of aac, mp2, mp3, opus")]
pub struct BadAudioCodec(pub String);

impl AudioCodec {
    /// The stable text form (`aac`, `mp2`, `mp3`, `opus`).
    pub const fn as_str(self) -> &'static str {
        match self {
            AudioCodec::Aac => "aac",
            AudioCodec::Mp2 => "mp2",
            AudioCodec::Mp3 => "mp3",
            AudioCodec::Opus => "opus",
        }
    }

    /// Why this codec cannot be the audio of a channel of that kind and rate, if it cannot:
    /// TV carries AAC or MP2, radio AAC, MP3 or Opus; MPEG audio runs at 32, 44.1 or 48 kHz
    /// and Opus at 48 kHz.
    pub fn unfit(self, radio: bool, rate: u32) -> Option<String> {
        let kinds: &[AudioCodec] = if radio {
            &[AudioCodec::Aac, AudioCodec::Mp3, AudioCodec::Opus]
        } else {
            &[AudioCodec::Aac, AudioCodec::Mp2]
        };
        if !kinds.contains(&self) {
            let names: Vec<&str> = kinds.iter().map(|c| c.as_str()).collect();
            return Some(format!("a {} channel carries {}", if radio { "radio" } else { "tv" }, names.join(", ")));
        }
        let rates: &[u32] = match self {
            AudioCodec::Aac => return None,
            AudioCodec::Mp2 | AudioCodec::Mp3 => &[32_000, 44_100, 48_000],
            AudioCodec::Opus => &[48_000],
        };
        (!rates.contains(&rate)).then(|| format!("{self} runs at {rates:?} Hz, not {rate}"))
    }

    /// Bits per second for `channels` (1 or 2): see the module table.
    pub fn bitrate_bps(self, channels: u32) -> u32 {
        match (self, channels) {
            (AudioCodec::Mp2, 1) => 128_000,
            (AudioCodec::Mp2, _) => 256_000,
            (_, 1) => 96_000,
            _ => 128_000,
        }
    }

    /// The encoder and parser, ready to link to `mpegtsmux`, e.g.
    /// `twolamemp2enc bitrate=256 ! mpegaudioparse`.
    ///
    /// # Errors
    /// [`PlayoutError::MissingElement`] when no encoder of the codec is installed.
    pub(crate) fn encoder(self, channels: u32) -> Result<String, PlayoutError> {
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

    /// The parser and decoder of the codec's elementary stream (from `tsdemux`) to raw audio.
    fn decoder(self) -> &'static str {
        match self {
            AudioCodec::Aac => "aacparse ! avdec_aac",
            AudioCodec::Mp2 | AudioCodec::Mp3 => "mpegaudioparse ! mpg123audiodec",
            AudioCodec::Opus => "opusparse ! opusdec",
        }
    }

    /// Elements [`AudioCodec::to_aac`] and [`AudioCodec::to_mp3`] may need, with their packages.
    pub(crate) fn decoder_needs(self) -> &'static [(&'static str, &'static str)] {
        match self {
            AudioCodec::Aac => &[("avdec_aac", "gstreamer1.0-libav")],
            AudioCodec::Mp2 | AudioCodec::Mp3 => &[("mpg123audiodec", "gstreamer1.0-plugins-good")],
            AudioCodec::Opus => &[("opusdec", "gstreamer1.0-plugins-base")],
        }
    }

    /// From the demuxed stream to parsed AAC (RTMP's FLV, the HLS preview browsers play):
    /// the stream itself when it is AAC, else decoded and encoded at 128 kb/s.
    ///
    /// # Errors
    /// [`PlayoutError::MissingElement`] without an AAC encoder.
    pub(crate) fn to_aac(self) -> Result<String, PlayoutError> {
        match self {
            AudioCodec::Aac => Ok("aacparse".to_owned()),
            _ => Ok(format!("{} ! audioconvert ! audioresample ! {}", self.decoder(), aac_encoder(128_000)?)),
        }
    }

    /// From the demuxed stream to parsed MP3 at 128 kb/s CBR (Icecast): the stream itself
    /// when it is MP3, else decoded and encoded.
    pub(crate) fn to_mp3(self) -> String {
        match self {
            AudioCodec::Mp3 => "mpegaudioparse".to_owned(),
            _ => format!(
                "{} ! audioconvert ! audioresample ! lamemp3enc target=bitrate bitrate=128 cbr=true ! mpegaudioparse",
                self.decoder()
            ),
        }
    }
}

impl fmt::Display for AudioCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AudioCodec {
    type Err = BadAudioCodec;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [AudioCodec::Aac, AudioCodec::Mp2, AudioCodec::Mp3, AudioCodec::Opus]
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| BadAudioCodec(s.to_owned()))
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
    fn codecs_parse_from_their_names_and_others_are_refused() {
        for c in [AudioCodec::Aac, AudioCodec::Mp2, AudioCodec::Mp3, AudioCodec::Opus] {
            assert_eq!(c.as_str().parse::<AudioCodec>(), Ok(c));
        }
        assert!("ac3".parse::<AudioCodec>().unwrap_err().to_string().contains("aac, mp2, mp3, opus"));
        assert_eq!(AudioCodec::default(), AudioCodec::Aac);
    }

    #[test]
    fn tv_carries_aac_or_mp2_and_radio_aac_mp3_or_opus_at_their_rates() {
        assert_eq!(AudioCodec::Mp2.unfit(false, 48_000), None);
        assert!(AudioCodec::Mp3.unfit(false, 48_000).unwrap().contains("tv channel carries aac, mp2"));
        assert!(AudioCodec::Opus.unfit(false, 48_000).is_some());
        assert!(AudioCodec::Mp2.unfit(true, 48_000).unwrap().contains("radio channel carries aac, mp3, opus"));
        assert_eq!(AudioCodec::Opus.unfit(true, 48_000), None);
        assert!(AudioCodec::Opus.unfit(true, 44_100).unwrap().contains("not 44100"));
        assert_eq!(AudioCodec::Mp3.unfit(true, 44_100), None);
        assert!(AudioCodec::Mp2.unfit(false, 22_050).is_some());
        assert_eq!(AudioCodec::Aac.unfit(true, 22_050), None);
    }

    #[test]
    fn bitrates_are_the_documented_ones() {
        assert_eq!(AudioCodec::Mp2.bitrate_bps(2), 256_000);
        assert_eq!(AudioCodec::Mp2.bitrate_bps(1), 128_000);
        assert_eq!(AudioCodec::Aac.bitrate_bps(2), 128_000);
        assert_eq!(AudioCodec::Mp3.bitrate_bps(2), 128_000);
        assert_eq!(AudioCodec::Opus.bitrate_bps(1), 96_000);
    }

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
