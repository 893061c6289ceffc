//! Starting the media child ([`crate::media`]) from the worker: which program, and its
//! answers turned into values or [`IngestError`]s.
//!
//! The child is the running `kapok` binary itself in its hidden mode, so the code that
//! parses media ships and upgrades with the worker. Test binaries are not `kapok`: they
//! use a `kapok` or `kapok-media-child` (this crate's stand-in) built beside them.

use std::cell::Cell;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::de::DeserializeOwned;

use crate::media::CHILD_COMMAND;
use crate::sandbox::{self, Limits};
use crate::IngestError;

/// The name the child goes by in errors.
pub const TOOL: &str = "media child";

/// The program to run as the media child.
///
/// In order: `KAPOK_MEDIA_CHILD` (a path), this process when it is `kapok`, else the newest
/// of `kapok` and `kapok-media-child` next to this executable or one directory up (cargo's
/// `target/<profile>/deps` test binaries).
///
/// # Errors
/// [`IngestError::Spawn`] (retryable) when none is found.
pub fn program() -> Result<&'static Path, IngestError> {
    static PROGRAM: OnceLock<Option<PathBuf>> = OnceLock::new();
    PROGRAM
        .get_or_init(|| schedules::child_program::find("KAPOK_MEDIA_CHILD", "kapok-media-child"))
        .as_deref()
        .ok_or_else(|| IngestError::Spawn {
            tool: TOOL,
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no kapok binary to run the media child (set KAPOK_MEDIA_CHILD)",
            ),
        })
}

thread_local! {
    static MEMORY_CAP_MIB: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Runs `f` with every media child it starts on this thread held to at most `cap_mib` MiB of
/// address space (`None`: the children's own limits). The previous cap is restored after.
pub fn with_memory_cap<R>(cap_mib: Option<u64>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            MEMORY_CAP_MIB.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(MEMORY_CAP_MIB.with(|c| c.replace(cap_mib)));
    f()
}

fn capped(mut limits: Limits) -> Limits {
    if let Some(mib) = MEMORY_CAP_MIB.with(Cell::get) {
        limits.address_space = limits.address_space.min(mib << 20);
    }
    limits
}

/// Runs `kapok __media-child ARGS…` under `limits` and parses its JSON answer.
///
/// # Errors
/// [`IngestError::Tool`] with the child's reason when it fails (non-retryable unless the
/// environment is at fault), [`IngestError::Timeout`] past the wall-clock limit,
/// [`IngestError::Spawn`] when it cannot start, [`IngestError::BadMedia`] for an answer
/// that is not the expected JSON.
pub fn run<T: DeserializeOwned + Send>(args: &[OsString], limits: Limits) -> Result<T, IngestError> {
    let mut full: Vec<OsString> = vec![CHILD_COMMAND.into()];
    full.extend_from_slice(args);
    let out =
        sandbox::run_program(TOOL, program()?.as_os_str(), &full, capped(limits), sandbox::collect_capped(4 << 20))?;
    serde_json::from_slice(&out.output)
        .map_err(|e| IngestError::bad_media(format!("unreadable answer from the media child: {e}")))
}

/// As [`run`], for a command that prints progress lines (`progress 0.25`, see
/// [`crate::house::job::PROGRESS`]) before its answer; `progress` receives 0.0…1.0.
///
/// # Errors
/// As [`run`].
pub fn run_with_progress<T: DeserializeOwned + Send>(
    args: &[OsString],
    limits: Limits,
    progress: &mut (dyn FnMut(f64) + Send),
) -> Result<T, IngestError> {
    let mut full: Vec<OsString> = vec![CHILD_COMMAND.into()];
    full.extend_from_slice(args);
    let read = |stdout: std::process::ChildStdout| {
        let mut answer = Vec::new();
        for line in BufReader::new(stdout.take(16 << 20)).split(b'\n') {
            let line = line.map_err(|e| IngestError::bad_media(format!("reading the media child: {e}")))?;
            let progress_line = line.strip_prefix(crate::house::job::PROGRESS.as_bytes());
            match progress_line.and_then(|p| std::str::from_utf8(p).ok()?.trim().parse::<f64>().ok()) {
                Some(f) if f.is_finite() => progress(f.clamp(0.0, 1.0)),
                Some(_) => {}
                None if progress_line.is_none() && !line.is_empty() => answer = line,
                None => {}
            }
        }
        Ok(answer)
    };
    let out = sandbox::run_program(TOOL, program()?.as_os_str(), &full, capped(limits), read)?;
    serde_json::from_slice(&out.output)
        .map_err(|e| IngestError::bad_media(format!("unreadable answer from the media child: {e}")))
}
