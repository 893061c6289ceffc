//! Live relays decoded in a child process (issue 19): a relay URI is a stream from outside,
//! so its demuxers and decoders run in `kapok __relay-child`, never in the playout process
//! (which for `kapok serve` is the API server). A crash, a hang or a runaway allocation in
//! them kills the child; the engine sees a failed live source and airs slate or filler.
//!
//! The child re-checks the URI ([`schedules::relay::check_uri`]), decodes it with
//! `uridecodebin`, conforms it to the channel format exactly as an in-process input does
//! ([`super::conform_chain`]) and writes raw I420 video and S16LE audio to its stdout in
//! streamable Matroska. The parent reads that with `fdsrc ! matroskademux` into the same
//! appsinks as any input. Matroska because it carries the caps (size, rate, channels) and the
//! interleaving in-band, `matroskamux`/`matroskademux` handle raw video and PCM without a
//! codec, and the streamable form needs no seeking back on a pipe.
//!
//! The child limits itself before it reads a byte of the stream: address space
//! ([`ADDRESS_SPACE`]), no core dumps, a few file descriptors, its priority ([`NICE`]),
//! and `PR_SET_PDEATHSIG` so it dies with the playout process. The parent kills it when the
//! input is dropped. Children are spawned from one long-lived thread: the death signal follows
//! the *thread* that forked, and inputs are opened on short-lived helper threads.

use std::ffi::OsString;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;

use crate::timeline::ChannelFormat;

/// The hidden command of the `kapok` binary (and of the `kapok-relay-child` stand-in).
pub const CHILD_COMMAND: &str = "__relay-child";

/// The child's address-space limit: a 1080p decode with its queues needs a few hundred MiB;
/// GStreamer's plugins and thread stacks reserve more address space than they touch.
pub const ADDRESS_SPACE: u64 = 3 << 30;

/// How much lower the child's CPU priority is than the playout process's. 0: at +5 the
/// child starved on a loaded 2-core machine (load ~40) and a relay that sends one second of
/// stream missed its 1.5 s window (`live_source` test), where the in-process decode made it.
/// The setting is kept for a machine whose output must win over its relays.
pub const NICE: i32 = 0;

/// File descriptors the child may hold (sockets of an HLS or RTSP source, GStreamer's own).
const OPEN_FILES: u64 = 256;

/// The tail of the child's stderr kept for the as-run reason.
const STDERR_TAIL: usize = 8 << 10;

/// The program to run as the relay child.
///
/// In order: `KAPOK_RELAY_CHILD` (a path), this process when it is `kapok`, else the newest of
/// `kapok` and `kapok-relay-child` next to this executable or one directory up (cargo's
/// `target/<profile>/deps` test binaries).
///
/// # Errors
/// The reason, for the as-run, when none is found.
pub fn program() -> Result<&'static Path, String> {
    static PROGRAM: OnceLock<Option<PathBuf>> = OnceLock::new();
    PROGRAM
        .get_or_init(|| schedules::child_program::find("KAPOK_RELAY_CHILD", "kapok-relay-child"))
        .as_deref()
        .ok_or_else(|| "no kapok binary to decode the live relay in (set KAPOK_RELAY_CHILD)".to_owned())
}

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Spawns `cmd` from the one thread that lives as long as the process, so the child's
/// `PR_SET_PDEATHSIG` fires when the process dies, not when an input's helper thread ends.
fn spawn_from_keeper(cmd: Command) -> std::io::Result<Child> {
    static KEEPER: OnceLock<Option<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let keeper = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        let spawned = std::thread::Builder::new().name("relay-spawner".to_owned()).spawn(move || {
            for (mut cmd, reply) in rx {
                let _ = reply.send(cmd.spawn());
            }
        });
        spawned.ok().map(|_| tx)
    });
    let keeper = keeper.as_ref().ok_or_else(|| std::io::Error::other("cannot start the relay spawner thread"))?;
    let (reply, answer) = mpsc::channel();
    keeper.send((cmd, reply)).map_err(|_| std::io::Error::other("relay spawner thread gone"))?;
    answer.recv().map_err(|_| std::io::Error::other("relay spawner thread gone"))?
}

/// How long a child asked to stop (its stdin closed) has to close its source before it is
/// killed: a relay's sockets closed properly free an SRT or RTMP listener for the next caller
/// at once, where a killed caller holds it until the listener's peer timeout.
const STOP_GRACE: Duration = Duration::from_millis(500);

/// A running relay child, seen from the parent: stopped (then killed) and reaped on drop.
pub(super) struct RelayChild {
    /// `None` once handed to the reaper.
    child: Mutex<Option<Child>>,
    pid: u32,
    /// The read end of its stdout, which the parent's `fdsrc` reads.
    stdout: Option<OwnedFd>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Set when the child says it is up (its pipeline playing), or its stderr ends.
    ready: Arc<(Mutex<bool>, Condvar)>,
}

impl RelayChild {
    /// Starts decoding `uri` for a channel of `format` in a child.
    ///
    /// # Errors
    /// The reason, for the as-run, when no child can be started.
    pub(super) fn spawn(uri: &str, format: &ChannelFormat) -> Result<RelayChild, String> {
        let program = program()?;
        let format = serde_json::to_string(format).map_err(|e| format!("channel format: {e}"))?;
        let mut cmd = Command::new(program);
        cmd.arg(CHILD_COMMAND)
            .args(["--uri", uri, "--format", &format, "--parent", &std::process::id().to_string()])
            // Its stdin stays open while the input lives: end of file asks it to stop.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // One malloc arena per thread would reserve 64 MiB of address space each.
            .env("MALLOC_ARENA_MAX", "2")
            // Its own process group: a terminal's Ctrl-C is the playout process's to handle.
            .process_group(0);
        let mut child = spawn_from_keeper(cmd).map_err(|e| format!("cannot start the relay child: {e}"))?;
        let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("relay child without pipes".to_owned());
        };
        let stdout = OwnedFd::from(stdout);
        // A larger pipe (1 MiB, the unprivileged maximum) holds whole frames: fewer wake-ups.
        let _ = rustix::pipe::fcntl_setpipe_size(&stdout, 1 << 20);
        let tail = Arc::new(Mutex::new(Vec::new()));
        let ready: Arc<(Mutex<bool>, Condvar)> = Arc::default();
        let (keep, signal) = (tail.clone(), ready.clone());
        let _ = std::thread::Builder::new().name("relay-stderr".to_owned()).spawn(move || {
            let mut buf = [0u8; 4096];
            let set = || {
                if let Ok(mut r) = signal.0.lock() {
                    *r = true;
                    signal.1.notify_all();
                }
            };
            while let Ok(n @ 1..) = stderr.read(&mut buf) {
                if let Ok(mut t) = keep.lock() {
                    t.extend_from_slice(&buf[..n]);
                    if t.windows(READY.len()).any(|w| w == READY.as_bytes()) {
                        set();
                    }
                    let over = t.len().saturating_sub(STDERR_TAIL);
                    t.drain(..over);
                }
            }
            set();
        });
        let pid = child.id();
        tracing::debug!(pid, uri, "relay child started");
        Ok(RelayChild { child: Mutex::new(Some(child)), pid, stdout: Some(stdout), stderr: tail, ready })
    }

    /// Waits up to `timeout` for the child to be up, so a source's time to send its first
    /// stream is counted from there, not from the start of a process on a busy machine; gives
    /// up when `given_up` says so.
    ///
    /// # Errors
    /// The reason when it did not come up, or failed first.
    pub(super) fn wait_ready(&self, timeout: Duration, given_up: impl Fn() -> bool) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut up = self.ready.0.lock().map_err(|_| "poisoned")?;
        while !*up {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("relay child did not start within {timeout:?}"));
            }
            if given_up() {
                return Err("call given up: its segment ended".to_owned());
            }
            up = self.ready.1.wait_timeout(up, left.min(Duration::from_millis(50))).map_err(|_| "poisoned")?.0;
        }
        drop(up);
        match self.failure(Duration::ZERO) {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }

    /// The child's process id.
    pub(super) fn pid(&self) -> u32 {
        self.pid
    }

    /// The file descriptor of the child's stdout, for `fdsrc`.
    pub(super) fn fd(&self) -> i32 {
        self.stdout.as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    /// Why the child failed, once it has exited (waiting up to `grace` for it to): `None`
    /// while it runs or when it ended cleanly (its source ended).
    pub(super) fn failure(&self, grace: Duration) -> Option<String> {
        let deadline = Instant::now() + grace;
        let status = loop {
            match self.child.lock().ok()?.as_mut()?.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                _ => return None,
            }
        };
        if status.success() {
            return None;
        }
        // The stderr reader may still hold the last line: it ends with the child's pipe.
        std::thread::sleep(Duration::from_millis(20));
        Some(self.describe(status))
    }

    fn describe(&self, status: ExitStatus) -> String {
        use std::os::unix::process::ExitStatusExt;
        let tail = self.stderr.lock().map(|t| String::from_utf8_lossy(&t).into_owned()).unwrap_or_default();
        // The stream's own text may end up in the line (a server's error page): kept short.
        let said = tail.lines().rev().find_map(|l| l.strip_prefix(SAYS)).map(|l| l.chars().take(300).collect());
        match (said, status.signal()) {
            (Some(reason), _) => reason,
            (None, Some(sig)) => format!("relay child killed by signal {sig}{}", signal_name(sig)),
            (None, None) => format!("relay child exited with {status}"),
        }
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        6 => " (SIGABRT)",
        9 => " (SIGKILL: killed, or out of memory)",
        11 => " (SIGSEGV: a crash in the decoder)",
        _ => "",
    }
}

impl Drop for RelayChild {
    /// Asks the child to stop (closes its stdin and stdout) and leaves the wait to a reaper
    /// thread, so dropping an input never holds up the engine; past [`STOP_GRACE`] the child
    /// is killed.
    fn drop(&mut self) {
        let Some(mut child) = self.child.lock().ok().and_then(|mut c| c.take()) else { return };
        drop(child.stdin.take());
        drop(self.stdout.take());
        let reaped = std::thread::Builder::new().name("relay-reaper".to_owned()).spawn(move || {
            let deadline = Instant::now() + STOP_GRACE;
            while Instant::now() < deadline {
                if !matches!(child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        });
        if let Err(e) = reaped {
            tracing::warn!(error = %e, "no reaper thread: the relay child is killed at once");
            if let Some(pid) = i32::try_from(self.pid).ok().and_then(rustix::process::Pid::from_raw) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
    }
}

/// The bus message the child's stdin watcher posts when the parent asks it to stop.
const STOP: &str = "kapok-relay-stop";

/// The child's line on stderr once its pipeline is playing.
const READY: &str = "relay child ready";

/// The prefix of the child's one-line reason on stderr.
const SAYS: &str = "relay child: ";

/// The child: `kapok __relay-child --uri URI --format JSON --parent PID`. Exits 0 when the
/// source ended, 1 with a `relay child: …` line on stderr when it failed, 2 for bad arguments.
pub fn child_main(args: &[OsString]) -> ExitCode {
    match child_run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, reason)) => {
            eprintln!("{SAYS}{reason}");
            ExitCode::from(code)
        }
    }
}

fn child_run(args: &[OsString]) -> Result<(), (u8, String)> {
    let usage = |m: String| (2, m);
    let (mut uri, mut format, mut parent) = (None, None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().and_then(|v| v.to_str()).ok_or_else(|| usage(format!("{flag:?} needs a value")))?;
        match flag.to_str() {
            Some("--uri") => uri = Some(value.to_owned()),
            Some("--format") => {
                format =
                    Some(serde_json::from_str::<ChannelFormat>(value).map_err(|e| usage(format!("--format: {e}")))?);
            }
            Some("--parent") => parent = Some(value.parse::<i32>().map_err(|e| usage(format!("--parent: {e}")))?),
            _ => return Err(usage(format!("unknown argument {flag:?}"))),
        }
    }
    let (Some(uri), Some(format)) = (uri, format) else {
        return Err(usage("usage: __relay-child --uri URI --format JSON [--parent PID]".to_owned()));
    };
    confine(parent).map_err(|e| (1, format!("cannot limit the relay child: {e}")))?;
    // Again here: whatever started this process, only a relay reaches GStreamer.
    schedules::relay::check_uri(&uri).map_err(|e| (1, format!("source refused: {e}")))?;
    gst::init().map_err(|e| (1, format!("GStreamer: {e}")))?;
    relay(&uri, &format).map_err(|e| (1, e))
}

/// Limits this process before it touches the stream.
fn confine(parent: Option<i32>) -> std::io::Result<()> {
    use rustix::process::{self, Resource, Rlimit, Signal};
    process::set_parent_process_death_signal(Some(Signal::KILL))?;
    // The parent may have died before the death signal was set.
    if let Some(parent) = parent {
        if process::getppid().map(|p| p.as_raw_nonzero().get()) != Some(parent) {
            return Err(std::io::Error::other("the playout process is gone"));
        }
    }
    let cap = |n: u64| Rlimit { current: Some(n), maximum: Some(n) };
    process::setrlimit(Resource::As, cap(ADDRESS_SPACE))?;
    process::setrlimit(Resource::Core, cap(0))?;
    process::setrlimit(Resource::Nofile, cap(OPEN_FILES))?;
    process::nice(NICE)?;
    Ok(())
}

/// Decodes `uri`, conforms its first video (TV) and audio stream and writes them to stdout
/// as streamable Matroska until the source ends or fails.
fn relay(uri: &str, format: &ChannelFormat) -> Result<(), String> {
    let pipeline = gst::Pipeline::new();
    let decode = super::decoder(uri, format)?;
    let mux = gst::ElementFactory::make("matroskamux")
        .property("streamable", true)
        .build()
        .map_err(|_| "GStreamer element matroskamux missing".to_owned())?;
    let out = super::make("fdsink")?;
    out.set_property("fd", 1i32);
    out.set_property("sync", false);
    pipeline.add_many([&decode, &mux, &out]).map_err(|e| e.to_string())?;
    mux.link(&out).map_err(|e| e.to_string())?;
    let (weak, weak_mux, fmt) = (pipeline.downgrade(), mux.downgrade(), *format);
    let taken: Arc<Mutex<(bool, bool)>> = Arc::default();
    decode.connect_pad_added(move |_, pad| {
        let (Some(pipeline), Some(mux)) = (weak.upgrade(), weak_mux.upgrade()) else { return };
        let Some(video) = super::stream_kind(pad, &fmt) else {
            return super::add_fakesink(&pipeline, pad);
        };
        let Ok(mut taken) = taken.lock() else { return };
        let slot = if video { &mut taken.0 } else { &mut taken.1 };
        if *slot {
            return super::add_fakesink(&pipeline, pad); // a second video/audio stream
        }
        match conform_into_mux(&pipeline, &mux, pad, &fmt, video) {
            Ok(()) => *slot = true,
            Err(e) => eprintln!("relay child warning: cannot conform decoded stream: {e}"),
        }
    });
    let bus = pipeline.bus().ok_or("pipeline without bus")?;
    // The parent closes our stdin to ask us to stop: the source is then closed properly.
    let asked = bus.downgrade();
    let _ = std::thread::Builder::new().name("relay-stdin".to_owned()).spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        if let Some(bus) = asked.upgrade() {
            let _ = bus.post(gst::message::Application::new(gst::Structure::new_empty(STOP)));
        }
    });
    pipeline.set_state(gst::State::Playing).map_err(|_| "cannot start source".to_owned())?;
    eprintln!("{READY}");
    let end = bus.timed_pop_filtered(
        gst::ClockTime::NONE,
        &[gst::MessageType::Eos, gst::MessageType::Error, gst::MessageType::Application],
    );
    let result = match end.as_ref().map(|m| (m.type_(), super::bus_error(m))) {
        Some((_, Some(err))) => Err(err),
        _ => Ok(()),
    };
    let _ = pipeline.set_state(gst::State::Null);
    result
}

fn conform_into_mux(
    pipeline: &gst::Pipeline,
    mux: &gst::Element,
    pad: &gst::Pad,
    format: &ChannelFormat,
    video: bool,
) -> Result<(), String> {
    let err = |e: gst::glib::BoolError| e.to_string();
    let mut elements = super::conform_chain(format, video)?;
    let caps = super::make("capsfilter")?;
    caps.set_property("caps", super::conform_caps(format, video));
    elements.push(caps);
    pipeline.add_many(&elements).map_err(err)?;
    gst::Element::link_many(&elements).map_err(err)?;
    let template = if video { "video_%u" } else { "audio_%u" };
    let mux_pad = mux.request_pad_simple(template).ok_or("the muxer takes no more streams")?;
    let last = elements.last().and_then(|e| e.static_pad("src")).ok_or("conform chain without src pad")?;
    last.link(&mux_pad).map_err(|e| format!("cannot link to the muxer: {e:?}"))?;
    for e in &elements {
        e.sync_state_with_parent().map_err(err)?;
    }
    let sinkpad = elements[0].static_pad("sink").ok_or("conform chain without sink pad")?;
    pad.link(&sinkpad).map_err(|e| format!("cannot link decoded stream: {e:?}"))?;
    Ok(())
}
