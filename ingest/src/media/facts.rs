//! `facts FILE`: container and streams as ffprobe's JSON names them.

use std::path::Path;

use ff::media::Type;
use ffmpeg_next as ff;

use super::input;
use crate::probe::{RawDisposition, RawFormat, RawProbe, RawStream};

/// Opens `path` and describes it.
///
/// # Errors
/// FFmpeg's reason when the file cannot be opened.
pub(crate) fn facts(path: &Path) -> Result<RawProbe, String> {
    let ictx = input::open(path)?;
    let format = RawFormat {
        format_name: Some(ictx.format().name().to_string()),
        duration: timestamp(ictx.duration(), ff::Rational::new(1, ff::ffi::AV_TIME_BASE)),
    };
    let streams = ictx.streams().map(|s| stream(&s)).collect();
    Ok(RawProbe { streams, format: Some(format) })
}

fn stream(s: &ff::format::stream::Stream) -> RawStream {
    let params = s.parameters();
    let raw = input::raw_params(s);
    let codec_type = match params.medium() {
        Type::Video => "video",
        Type::Audio => "audio",
        Type::Subtitle => "subtitle",
        Type::Attachment => "attachment",
        Type::Data => "data",
        Type::Unknown => "unknown",
    };
    let id = params.id();
    let mut out = RawStream {
        index: u32::try_from(s.index()).ok(),
        codec_type: Some(codec_type.to_string()),
        codec_name: (id != ff::codec::Id::None).then(|| id.name().to_string()),
        duration: timestamp(s.duration(), s.time_base()),
        disposition: Some(RawDisposition {
            attached_pic: u8::from(s.disposition().contains(ff::format::stream::Disposition::ATTACHED_PIC)),
        }),
        ..RawStream::default()
    };
    match params.medium() {
        Type::Video => {
            out.width = u32::try_from(raw.width).ok();
            out.height = u32::try_from(raw.height).ok();
            out.avg_frame_rate = Some(fraction(s.avg_frame_rate(), '/'));
            out.r_frame_rate = Some(fraction(s.rate(), '/'));
            out.field_order = Some(
                match raw.field_order {
                    ff::FieldOrder::Progressive => "progressive",
                    ff::FieldOrder::TT => "tt",
                    ff::FieldOrder::BB => "bb",
                    ff::FieldOrder::TB => "tb",
                    ff::FieldOrder::BT => "bt",
                    ff::FieldOrder::Unknown => "unknown",
                }
                .to_string(),
            );
            let (n, d) = raw.sample_aspect;
            out.sample_aspect_ratio = (n > 0 && d > 0).then(|| format!("{n}:{d}"));
        }
        Type::Audio => {
            out.sample_rate = Some(raw.sample_rate.to_string());
            out.channels = u32::try_from(raw.channels).ok();
        }
        _ => {}
    }
    out
}

/// `ts` in `base` as seconds with six decimals, `None` when unset (`AV_NOPTS_VALUE`).
fn timestamp(ts: i64, base: ff::Rational) -> Option<String> {
    if ts == ff::ffi::AV_NOPTS_VALUE || base.denominator() == 0 {
        return None;
    }
    // i64 → f64 loses precision only beyond 2^53 ticks, far past the 24 h the parent accepts.
    #[allow(clippy::cast_precision_loss)]
    let secs = ts as f64 * f64::from(base.numerator()) / f64::from(base.denominator());
    Some(format!("{secs:.6}"))
}

fn fraction(r: ff::Rational, sep: char) -> String {
    format!("{}{sep}{}", r.numerator(), r.denominator())
}
