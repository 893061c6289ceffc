//! FFmpeg's error messages, counted: the decode-error check of QC counts what libav* reports
//! at error level while the source is decoded (as the `ffmpeg` CLI's `-v error` output was
//! counted), keeps the first lines as a sample, and still prints every line on stderr for
//! the parent's diagnostics.

use std::ffi::CStr;
use std::io::Write as _;
use std::sync::Mutex;

use ffmpeg_next::ffi;

/// Lines kept as the sample.
const SAMPLE: usize = 20;

static ERRORS: Mutex<(usize, Vec<String>)> = Mutex::new((0, Vec::new()));

/// Starts counting (and replaces FFmpeg's default logger for this process).
#[allow(unsafe_code)]
pub fn capture() {
    // SAFETY: `on_log` has the exact signature FFmpeg calls; installing it is a plain store.
    unsafe { ffi::av_log_set_callback(Some(on_log)) }
}

/// How many error lines were seen, and the first of them.
pub fn errors() -> (usize, Vec<String>) {
    ERRORS.lock().map(|g| g.clone()).unwrap_or_default()
}

/// Counts a complaint of our own (a packet the decoder refused) like FFmpeg's.
pub fn note(line: String) {
    let _ = writeln!(std::io::stderr(), "{line}");
    if let Ok(mut g) = ERRORS.lock() {
        g.0 += 1;
        if g.1.len() < SAMPLE {
            g.1.push(line);
        }
    }
}

#[allow(unsafe_code)]
unsafe extern "C" fn on_log(
    avcl: *mut libc::c_void,
    level: libc::c_int,
    fmt: *const libc::c_char,
    vl: *mut ffi::__va_list_tag,
) {
    if !(0..=ffi::AV_LOG_ERROR).contains(&level) || fmt.is_null() {
        return;
    }
    let mut buf = [0 as libc::c_char; 1024];
    let mut prefix: libc::c_int = 1;
    // SAFETY: FFmpeg passes its own context, format and argument list; av_log_format_line2
    // writes at most `buf.len()` bytes, NUL-terminated.
    let n = unsafe { ffi::av_log_format_line2(avcl, level, fmt, vl, buf.as_mut_ptr(), buf.len() as i32, &mut prefix) };
    if n < 0 {
        return;
    }
    // SAFETY: NUL-terminated by av_log_format_line2 above.
    let line = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().trim().to_string();
    if line.is_empty() {
        return;
    }
    let _ = writeln!(std::io::stderr(), "{line}");
    if let Ok(mut g) = ERRORS.lock() {
        g.0 += 1;
        if g.1.len() < SAMPLE {
            g.1.push(line);
        }
    }
}
