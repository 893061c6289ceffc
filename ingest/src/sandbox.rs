//! Runs FFmpeg tools as children under a wall-clock limit and an address-space limit, inside
//! the [`crate::jail`] (namespaces, no capabilities, read-only but the work dir) where the
//! machine allows it.
//!
//! The memory limit is set by `prlimit --as=BYTES` (util-linux), which execs the tool with
//! the limit in place, so the pid we hold is the tool's own and killing it on timeout leaves
//! nothing behind. (`setrlimit` in a `pre_exec` hook would need `unsafe`, which the
//! workspace denies.) Stdout is handed to a consumer on a scoped thread while stderr is
//! drained into a bounded tail, so a child that floods either pipe can neither block nor
//! exhaust our memory.

use std::cell::RefCell;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::IngestError;

/// Resource limits of one child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock limit; the child is killed (SIGKILL) when it runs longer.
    pub wall: Duration,
    /// Address-space limit in bytes (`RLIMIT_AS`).
    pub address_space: u64,
}

impl Limits {
    /// Limits for `ffprobe` reading headers: 60 s, 1 GiB.
    pub const PROBE: Limits = Limits { wall: Duration::from_secs(60), address_space: 1 << 30 };

    /// Limits for a decode or transcode of a programme of `media_s` seconds: 120 s plus
    /// `per_media_s` seconds per second of media, and `gib` GiB of address space.
    pub fn for_media(media_s: f64, per_media_s: f64, gib: u64) -> Limits {
        let secs = 120.0 + media_s.max(0.0) * per_media_s;
        Limits { wall: Duration::from_secs_f64(secs.min(7.0 * 24.0 * 3600.0)), address_space: gib << 30 }
    }
}

/// Asks running and future tool children to stop (the worker's shutdown, a withdrawn upload).
///
/// Clones share one flag. Children started inside [`with_cancel`] on the same thread watch it
/// and are killed within ~100 ms of [`CancelToken::cancel`].
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that has not been cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels: running children are killed, new ones are not started.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once [`CancelToken::cancel`] was called on any clone.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl PartialEq for CancelToken {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

thread_local! {
    static CURRENT_CANCEL: RefCell<Option<CancelToken>> = const { RefCell::new(None) };
}

/// Runs `f` with `token` watched by every child [`run`] starts on this thread, so the
/// stages need not pass it along. The previous token is restored afterwards.
pub fn with_cancel<R>(token: &CancelToken, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<CancelToken>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0.take();
            CURRENT_CANCEL.with(|c| *c.borrow_mut() = prev);
        }
    }
    let prev = CURRENT_CANCEL.with(|c| c.borrow_mut().replace(token.clone()));
    let _restore = Restore(prev);
    f()
}

fn current_cancel() -> Option<CancelToken> {
    CURRENT_CANCEL.with(|c| c.borrow().clone())
}

/// The tail of stderr kept for error messages and for report parsing.
const STDERR_CAP: usize = 4 << 20;

/// What a finished child left behind.
#[derive(Debug)]
pub struct Finished<T> {
    /// The consumer's result.
    pub output: T,
    /// The last 4 MiB of stderr, lossily decoded.
    pub stderr: String,
}

/// Runs `tool args…` under `limits`, giving its stdout to `consume`.
///
/// Returns once the child has exited with status 0.
///
/// # Errors
/// [`IngestError::Spawn`] if it cannot start, [`IngestError::Timeout`] if it ran past the
/// wall limit, [`IngestError::Tool`] on a non-zero exit or a signal (the memory limit shows
/// up as an allocation failure or SIGSEGV/SIGABRT), or the consumer's own error.
pub fn run<T, F>(tool: &'static str, args: &[OsString], limits: Limits, consume: F) -> Result<Finished<T>, IngestError>
where
    T: Send,
    F: FnOnce(ChildStdout) -> Result<T, IngestError> + Send,
{
    run_program(tool, std::ffi::OsStr::new(tool), args, limits, consume)
}

/// As [`run`], for a program given by path (the media child), named `tool` in errors.
///
/// # Errors
/// As [`run`].
pub fn run_program<T, F>(
    tool: &'static str,
    program: &std::ffi::OsStr,
    args: &[OsString],
    limits: Limits,
    consume: F,
) -> Result<Finished<T>, IngestError>
where
    T: Send,
    F: FnOnce(ChildStdout) -> Result<T, IngestError> + Send,
{
    let cancel = current_cancel();
    if cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
        return Err(IngestError::Cancelled);
    }
    let rlimits: [OsString; 2] = [format!("--as={}", limits.address_space).into(), "--core=0".into()];
    let mut cmd = crate::jail::wrap(&rlimits, program, args).unwrap_or_else(|| {
        let mut plain = Command::new("prlimit");
        plain.args(&rlimits).arg("--").arg(program).args(args);
        plain
    });
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // glibc reserves 64 MiB of address space per malloc arena (one per thread by
        // default); capping arenas keeps a many-threaded x264 on a many-core worker inside
        // the address-space limit without changing what it can actually allocate.
        .env("MALLOC_ARENA_MAX", "2")
        // Own process group, so a timeout kills the tool and anything it forked.
        .process_group(0);
    tracing::debug!(tool, ?args, "spawning media tool");
    let mut child = cmd.spawn().map_err(|source| IngestError::Spawn { tool, source })?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(IngestError::Spawn { tool, source: std::io::Error::other("child pipes missing") });
    };
    let timed_out = AtomicBool::new(false);
    let cancelled = AtomicBool::new(false);
    let (status, output, tail) = std::thread::scope(|s| {
        let out = s.spawn(move || consume(stdout));
        let err = s.spawn(move || read_tail(stderr));
        let status = supervise(&mut child, limits.wall, cancel.as_ref(), &timed_out, &cancelled);
        let output = out.join().unwrap_or_else(|_| Err(IngestError::bad_media("output reader panicked")));
        let tail = err.join().unwrap_or_default();
        (status, output, tail)
    });
    if cancelled.load(Ordering::SeqCst) {
        return Err(IngestError::Cancelled);
    }
    if timed_out.load(Ordering::SeqCst) {
        return Err(IngestError::Timeout { tool, limit_s: limits.wall.as_secs() });
    }
    let status = status.map_err(|source| IngestError::Spawn { tool, source })?;
    if !status.success() {
        // A consumer that gave up first (and so broke the pipe) has the better reason.
        return Err(match output {
            Err(e @ IngestError::BadMedia { .. }) => e,
            _ => tool_failure(tool, status, &tail, limits),
        });
    }
    Ok(Finished { output: output?, stderr: tail })
}

/// Waits for the child, killing it at the deadline or on cancellation.
fn supervise(
    child: &mut Child,
    wall: Duration,
    cancel: Option<&CancelToken>,
    timed_out: &AtomicBool,
    cancelled: &AtomicBool,
) -> std::io::Result<ExitStatus> {
    let deadline = Instant::now() + wall;
    let mut nap = Duration::from_millis(5);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        let stop = cancel.is_some_and(CancelToken::is_cancelled);
        if stop || Instant::now() >= deadline {
            let flag = if stop { cancelled } else { timed_out };
            flag.store(true, Ordering::SeqCst);
            kill_group(child.id());
            let _ = child.kill();
            return child.wait();
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(100));
    }
}

/// SIGKILLs the process group `pgid` (our child leads its own group).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn read_tail(mut r: impl Read) -> String {
    let mut keep: Vec<u8> = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                keep.extend_from_slice(&buf[..n]);
                if keep.len() > 2 * STDERR_CAP {
                    keep.drain(..keep.len() - STDERR_CAP);
                }
            }
        }
    }
    if keep.len() > STDERR_CAP {
        keep.drain(..keep.len() - STDERR_CAP);
    }
    String::from_utf8_lossy(&keep).into_owned()
}

fn tool_failure(tool: &'static str, status: ExitStatus, stderr: &str, limits: Limits) -> IngestError {
    use std::os::unix::process::ExitStatusExt;
    // A jailed child's death by signal comes back from the jail's PID 1 as 128 + N.
    let signal =
        status.signal().or_else(|| status.code().filter(|_| crate::jail::active()).and_then(crate::jail::signal_of));
    let status_text = match (status.code(), signal) {
        (_, Some(sig)) => format!("killed by signal {sig}"),
        (Some(c), None) => format!("exit status {c}"),
        _ => "unknown status".to_string(),
    };
    let environmental = stderr.contains("No space left on device")
        || stderr.contains("Read-only file system")
        || stderr.contains("Permission denied");
    // The address-space limit shows as a failed allocation: Rust's abort message, libav's
    // ENOMEM, or a signal from a decoder that did not check its allocation.
    let out_of_memory = stderr.contains("memory allocation of")
        || stderr.contains("Cannot allocate memory")
        || stderr.contains("std::bad_alloc")
        || matches!(signal, Some(6 | 11));
    let detail = if out_of_memory && !environmental {
        format!("memory limit of {} MiB reached: {}", limits.address_space >> 20, last_lines(stderr, 2))
    } else {
        last_lines(stderr, 3)
    };
    IngestError::Tool { tool, status: status_text, detail, environmental }
}

/// The last `n` non-empty lines of `text`, joined by " | " (for one-line reasons).
pub fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let start = lines.len().saturating_sub(n);
    let joined = lines[start..].join(" | ");
    if joined.is_empty() {
        "no diagnostics".to_string()
    } else {
        joined.chars().take(600).collect()
    }
}

/// A consumer that keeps at most `cap` bytes of stdout and fails beyond that.
pub fn collect_capped(cap: usize) -> impl FnOnce(ChildStdout) -> Result<Vec<u8>, IngestError> + Send {
    move |out| {
        let mut buf = Vec::new();
        let n = out
            .take(cap as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| IngestError::bad_media(format!("reading tool output: {e}")))?;
        if n > cap {
            return Err(IngestError::bad_media(format!("tool output larger than {cap} bytes")));
        }
        Ok(buf)
    }
}

/// A consumer that discards stdout.
pub fn discard(mut out: ChildStdout) -> Result<(), IngestError> {
    let _ = std::io::copy(&mut out, &mut std::io::sink());
    Ok(())
}

/// The common FFmpeg input options for an untrusted local file: local files only (no
/// network, no playlists that point at other files) and only the demuxers we accept.
pub fn untrusted_input(path: &std::path::Path) -> Vec<OsString> {
    let mut file = OsString::from("file:");
    file.push(path.as_os_str());
    vec![
        "-protocol_whitelist".into(),
        "file".into(),
        "-format_whitelist".into(),
        ACCEPTED_DEMUXERS.into(),
        "-i".into(),
        file,
    ]
}

/// Demuxers accepted for uploads. Playlist-like formats (hls, concat, ffconcat, image2
/// patterns, tty) are absent on purpose: they can make FFmpeg read other files.
pub const ACCEPTED_DEMUXERS: &str = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mpegts,mxf,avi,wav,w64,\
mp3,flac,ogg,aac,ac3,eac3,mpeg,dv,gxf,aiff,caf,asf,flv,h264,hevc,m4v,mpegvideo,yuv4mpegpipe,amr";

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<OsString> {
        vec!["-c".into(), script.into()]
    }

    #[test]
    fn a_hanging_child_is_killed_at_the_wall_limit() {
        let limits = Limits { wall: Duration::from_millis(300), address_space: 1 << 30 };
        let t0 = Instant::now();
        let err = run("sh", &sh("sleep 30"), limits, discard).unwrap_err();
        assert!(matches!(err, IngestError::Timeout { tool: "sh", .. }), "{err}");
        assert!(t0.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_failing_child_reports_its_last_stderr_lines() {
        let err = run("sh", &sh("echo one >&2; echo 'the reason' >&2; exit 3"), Limits::PROBE, discard).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("exit status 3") && text.contains("the reason"), "{text}");
        assert!(!err.is_retryable());
    }

    #[test]
    fn the_memory_limit_applies_to_the_child() {
        let limits = Limits { wall: Duration::from_secs(10), address_space: 64 << 20 };
        // `head -c` of 200 MB into a shell variable needs more than 64 MiB.
        let err =
            run("sh", &sh("x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}"), limits, discard).unwrap_err();
        assert!(matches!(err, IngestError::Tool { .. }), "{err}");
    }

    #[test]
    fn stdout_beyond_the_cap_is_refused() {
        let err = run("sh", &sh("head -c 5000 /dev/zero"), Limits::PROBE, collect_capped(100)).unwrap_err();
        assert!(err.to_string().contains("larger than 100 bytes"), "{err}");
    }

    #[test]
    fn missing_tool_is_a_retryable_spawn_error() {
        let err = run("kapok-no-such-tool", &[], Limits::PROBE, discard).unwrap_err();
        // prlimit starts, then fails to exec the tool: exit status 127 or similar.
        assert!(matches!(err, IngestError::Tool { .. } | IngestError::Spawn { .. }), "{err}");
    }

    #[test]
    fn cancelling_kills_the_running_child_and_refuses_new_ones() {
        let token = CancelToken::new();
        let remote = token.clone();
        let t0 = Instant::now();
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            remote.cancel();
        });
        let err = with_cancel(&token, || run("sh", &sh("sleep 30"), Limits::PROBE, discard)).unwrap_err();
        canceller.join().unwrap();
        assert!(matches!(err, IngestError::Cancelled), "{err}");
        assert!(t0.elapsed() < Duration::from_secs(5));
        assert!(err.is_retryable());
        let again = with_cancel(&token, || run("sh", &sh("true"), Limits::PROBE, discard)).unwrap_err();
        assert!(matches!(again, IngestError::Cancelled));
        // Outside the scope the token no longer applies.
        assert!(run("sh", &sh("true"), Limits::PROBE, discard).is_ok());
    }

    #[test]
    fn last_lines_keeps_the_tail() {
        assert_eq!(last_lines("a\n\nb\nc\n", 2), "b | c");
        assert_eq!(last_lines("", 2), "no diagnostics");
    }
}
