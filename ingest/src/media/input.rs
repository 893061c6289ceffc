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

/// The container's start time (`AVFormatContext.start_time`, in `AV_TIME_BASE` units).
#[allow(unsafe_code)]
pub fn start_time(ictx: &ff::format::context::Input) -> i64 {
    // SAFETY: a plain field read through the live input context.
    unsafe { (*ictx.as_ptr()).start_time }
}

/// `avfilter_graph_parse_ptr` of `spec` between the graph's existing source `source` and its
/// existing sinks `sinks`, each referred to in `spec` by its name as label. (`ffmpeg-next`'s
/// `Parser` keeps only two labels on a side: it overwrites the second's link.)
#[allow(unsafe_code)]
pub fn parse_graph(g: &mut ff::filter::Graph, source: &str, sinks: &[&str], spec: &str) -> Result<(), ff::Error> {
    use std::ffi::CString;
    let c = |s: &str| CString::new(s).map_err(|_| ff::Error::InvalidData);
    let spec = c(spec)?;
    // SAFETY: every AVFilterInOut is allocated here, its name duplicated with av_strdup and
    // its filter context taken from this graph (alive for the call); the lists are freed
    // with avfilter_inout_free whatever the parse does, as its documentation asks.
    unsafe {
        let mut inout =
            |name: &str, next: *mut ff::ffi::AVFilterInOut| -> Result<*mut ff::ffi::AVFilterInOut, ff::Error> {
                let mut ctx = g.get(name).ok_or(ff::Error::InvalidData)?;
                let io = ff::ffi::avfilter_inout_alloc();
                if io.is_null() {
                    return Err(ff::Error::Other { errno: libc::ENOMEM });
                }
                let n = c(name)?;
                (*io).name = ff::ffi::av_strdup(n.as_ptr());
                (*io).filter_ctx = ctx.as_mut_ptr();
                (*io).pad_idx = 0;
                (*io).next = next;
                Ok(io)
            };
        let mut outputs = inout(source, std::ptr::null_mut())?;
        let mut inputs: *mut ff::ffi::AVFilterInOut = std::ptr::null_mut();
        for name in sinks.iter().rev() {
            match inout(name, inputs) {
                Ok(io) => inputs = io,
                Err(e) => {
                    ff::ffi::avfilter_inout_free(&mut inputs);
                    ff::ffi::avfilter_inout_free(&mut outputs);
                    return Err(e);
                }
            }
        }
        let r = ff::ffi::avfilter_graph_parse_ptr(
            g.as_mut_ptr(),
            spec.as_ptr(),
            &mut inputs,
            &mut outputs,
            std::ptr::null_mut(),
        );
        ff::ffi::avfilter_inout_free(&mut inputs);
        ff::ffi::avfilter_inout_free(&mut outputs);
        if r < 0 {
            Err(ff::Error::from(r))
        } else {
            Ok(())
        }
    }
}
