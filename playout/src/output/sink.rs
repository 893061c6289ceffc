//! The GStreamer description of each output target's sink side (after the `appsrc` that
//! carries the channel's MPEG-TS), and the reconnect backoff of network targets.
//!
//! Plain string building with unit tests; the pipelines themselves run in [`super::running`].

use std::time::Duration;

use super::target::OutputTarget;
use crate::audio_codec::{AudioCodec, CodecElements};
use crate::error::PlayoutError;

/// Elements a target kind needs on a channel of `codec`, with the Debian package of each.
pub(crate) fn needed(target: &OutputTarget, codec: AudioCodec) -> Vec<(&'static str, &'static str)> {
    let transcodes = match target {
        OutputTarget::Hls(_) | OutputTarget::Rtmp { .. } => codec != AudioCodec::Aac,
        OutputTarget::Icecast { .. } => codec != AudioCodec::Mp3,
        _ => false,
    };
    let decoder = if transcodes { codec.decoder_needs() } else { &[] };
    let own: &[(&str, &str)] = match target {
        OutputTarget::File(_) => &[("filesink", "libgstreamer1.0-0")],
        OutputTarget::Udp { .. } => &[("udpsink", "gstreamer1.0-plugins-good")],
        OutputTarget::Hls(_) => &[("hlssink2", "gstreamer1.0-plugins-good"), ("tsdemux", "gstreamer1.0-plugins-bad")],
        OutputTarget::Srt { .. } => &[("srtsink", "gstreamer1.0-plugins-bad")],
        OutputTarget::Rtmp { .. } => &[
            ("tsdemux", "gstreamer1.0-plugins-bad"),
            ("flvmux", "gstreamer1.0-plugins-good"),
            ("rtmp2sink", "gstreamer1.0-plugins-bad"),
        ],
        OutputTarget::Icecast { .. } => &[
            ("tsdemux", "gstreamer1.0-plugins-bad"),
            ("lamemp3enc", "gstreamer1.0-plugins-good"),
            ("shout2send", "gstreamer1.0-plugins-good"),
        ],
    };
    own.iter().chain(decoder).copied().collect()
}

/// Quotes a value for `gst::parse::launch` (inside double quotes).
fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The sink side of `target`'s pipeline, fed by `appsrc name=src` carrying MPEG-TS whose
/// audio is `codec`.
///
/// # Errors
/// [`PlayoutError::Pipeline`] when the target is unusable (an Icecast mount not starting
/// with `/`; RTMP on a channel whose URL is not `rtmp://`/`rtmps://`);
/// [`PlayoutError::MissingElement`] when the AAC an HLS or RTMP target needs has no encoder.
/// The queue after `tsdemux` on each branch into a muxer. A target that (re)connects
/// mid-stream gets video its `h264parse` drops until the next IDR (up to one 2 s GOP), while
/// the muxer waits for video before it takes audio: with a queue's default 1 s limit the audio
/// branch filled, blocked the demuxer and the target never sent another byte. 4 s (two GOPs)
/// holds the wait.
const DEMUX_QUEUE: &str = "queue max-size-time=4000000000 max-size-buffers=0 max-size-bytes=0";

pub(crate) fn sink_description(
    target: &OutputTarget,
    has_video: bool,
    codec: AudioCodec,
) -> Result<String, PlayoutError> {
    let q = |p: &std::path::Path| quote(&p.to_string_lossy());
    Ok(match target {
        OutputTarget::File(p) => format!("filesink location=\"{}\" sync=false", q(p)),
        OutputTarget::Udp { host, port } => {
            format!("udpsink host=\"{}\" port={port} sync=false async=false", host.replace('"', ""))
        }
        OutputTarget::Hls(dir) => {
            let hls = format!(
                "hlssink2 name=hls location=\"{}\" playlist-location=\"{}\" target-duration=2 \
                 max-files=10 playlist-length=6 send-keyframe-requests=false",
                q(&dir.join("segment%05d.ts")),
                q(&dir.join("index.m3u8"))
            );
            let video = if has_video { format!("d. ! {DEMUX_QUEUE} ! h264parse ! hls.video ") } else { String::new() };
            format!("tsdemux name=d {video}d. ! {DEMUX_QUEUE} ! {} ! hls.audio {hls}", codec.to_aac()?)
        }
        OutputTarget::Srt { uri } => {
            if !uri.starts_with("srt://") {
                return Err(PlayoutError::Pipeline(format!("srt output {uri:?}: not an srt:// URI")));
            }
            // No built-in reconnect and no waiting for a peer: a caller whose peer is gone
            // errors and is restarted with backoff; a listener discards until a caller comes.
            format!(
                "srtsink uri=\"{}\" wait-for-connection=false auto-reconnect=false sync=false async=false",
                quote(uri)
            )
        }
        OutputTarget::Rtmp { url } => {
            if !(url.starts_with("rtmp://") || url.starts_with("rtmps://")) {
                return Err(PlayoutError::Pipeline(format!("rtmp output {url:?}: not an rtmp:// URL")));
            }
            let video = if has_video { format!("d. ! {DEMUX_QUEUE} ! h264parse ! flv.video ") } else { String::new() };
            format!(
                "tsdemux name=d {video}d. ! {DEMUX_QUEUE} ! {} ! flv.audio \
                 flvmux name=flv streamable=true ! rtmp2sink location=\"{}\" sync=false async=false",
                codec.to_aac()?,
                quote(url)
            )
        }
        OutputTarget::Icecast { host, port, mount, password } => {
            if !mount.starts_with('/') {
                return Err(PlayoutError::Pipeline(format!("icecast mount {mount:?}: must start with /")));
            }
            // Icecast listeners expect MP3 at 128 kbit/s CBR; the video (TV) is left unlinked.
            format!(
                "tsdemux name=d d. ! queue ! {} \
                 ! shout2send ip=\"{}\" port={port} mount=\"{}\" password=\"{}\" sync=false async=false",
                codec.to_mp3(),
                quote(host),
                quote(mount),
                quote(password)
            )
        }
    })
}

/// Wait before reconnect attempt `attempt` (1-based): 1 s, doubling, at most 30 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(5)).min(Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_thirty_seconds() {
        let secs: Vec<u64> = (1..=8).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(0).as_secs(), 1);
        assert_eq!(backoff(u32::MAX).as_secs(), 30);
    }

    #[test]
    fn network_sinks_are_quoted_and_checked() {
        let srt = OutputTarget::Srt { uri: "srt://:9000?mode=listener".into() };
        let d = sink_description(&srt, true, AudioCodec::Aac).unwrap();
        assert!(d.contains("srtsink uri=\"srt://:9000?mode=listener\""), "{d}");
        assert!(sink_description(&OutputTarget::Srt { uri: "udp://x:1".into() }, true, AudioCodec::Aac).is_err());
        let rtmp = OutputTarget::Rtmp { url: "rtmp://h/live/a\"b".into() };
        let d = sink_description(&rtmp, false, AudioCodec::Aac).unwrap();
        assert!(d.contains("location=\"rtmp://h/live/a\\\"b\""), "{d}");
        assert!(!d.contains("flv.video"), "radio has no video: {d}");
        let ice = OutputTarget::Icecast { host: "h".into(), port: 8000, mount: "radio".into(), password: "p".into() };
        assert!(sink_description(&ice, false, AudioCodec::Aac).is_err());
    }

    #[test]
    fn icecast_passes_an_mp3_channel_through_and_needs_a_decoder_only_to_transcode() {
        let ice = OutputTarget::Icecast { host: "h".into(), port: 8000, mount: "/r.mp3".into(), password: "p".into() };
        let d = sink_description(&ice, false, AudioCodec::Mp3).unwrap();
        assert!(d.contains("queue ! mpegaudioparse ! shout2send"), "{d}");
        assert!(!needed(&ice, AudioCodec::Mp3).iter().any(|(e, _)| e.contains("dec")));
        assert!(needed(&ice, AudioCodec::Aac).contains(&("avdec_aac", "gstreamer1.0-libav")));
        let hls = OutputTarget::Hls("/tmp/h".into());
        assert!(needed(&hls, AudioCodec::Opus).contains(&("opusdec", "gstreamer1.0-plugins-base")));
        assert!(needed(&OutputTarget::File("/tmp/a.ts".into()), AudioCodec::Mp2).len() == 1);
    }
}
