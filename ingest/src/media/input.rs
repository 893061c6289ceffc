//! Opening an untrusted file with libavformat, and the few codec parameters `ffmpeg-next`
//! has no safe accessor for.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use ffmpeg_next as ff;

use crate::sandbox::ACCEPTED_DEMUXERS;

/// Opens `path` as FFmpeg's CLI would with `-protocol_whitelist file -format_whitelist …
/// -i file:PATH` (local files only, no playlist demuxers) and reads the stream info.
///
/// # Errors
/// The reason as `PATH: FFmpeg's error`, the way ffprobe words it.
pub fn open(path: &Path) -> Result<ff::format::context::Input, String> {
    ff::init().map_err(|e| format!("FFmpeg initialisation: {e}"))?;
    let mut url = OsString::from("file:");
    url.push(path.as_os_str());
    let mut opts = ff::Dictionary::new();
    opts.set("protocol_whitelist", "file");
    opts.set("format_whitelist", ACCEPTED_DEMUXERS);
    ff::format::input_with_dictionary(&PathBuf::from(url), opts).map_err(|e| format!("{}: {e}", path.display()))
}

/// Codec parameters read straight from `AVCodecParameters`.
pub struct RawParams {
    pub width: i32,
    pub height: i32,
    pub field_order: ff::FieldOrder,
    pub sample_aspect: (i32, i32),
    pub sample_rate: i32,
    pub channels: i32,
}

/// The parameters of `stream`, with the sample aspect ratio chosen as
/// `av_guess_sample_aspect_ratio` (and so ffprobe) does: the stream's, else the codec's.
#[allow(unsafe_code)]
pub fn raw_params(stream: &ff::format::stream::Stream) -> RawParams {
    let params = stream.parameters();
    // SAFETY: both pointers come from live `ffmpeg-next` wrappers borrowed for this call
    // (the stream borrows the open input context, `params` is a reference of its
    // codecpar); only plain fields are copied out.
    unsafe {
        let p = &*params.as_ptr();
        let s = &*stream.as_ptr();
        let sar = if s.sample_aspect_ratio.num > 0 { s.sample_aspect_ratio } else { p.sample_aspect_ratio };
        RawParams {
            width: p.width,
            height: p.height,
            field_order: ff::FieldOrder::from(p.field_order),
            sample_aspect: (sar.num, sar.den),
            sample_rate: p.sample_rate,
            channels: p.ch_layout.nb_channels,
        }
    }
}
