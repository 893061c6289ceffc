//! Starting the media child ([`crate::media`]) from the worker: which program, and its
//! answers turned into values or [`IngestError`]s.
//!
//! The child is the running `kapok` binary itself in its hidden mode, so the code that
//! parses media ships and upgrades with the worker. Test binaries are not `kapok`: they
//! use a `kapok` or `kapok-media-child` (this crate's stand-in) built beside them.

use std::ffi::OsString;
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
    PROGRAM.get_or_init(find_program).as_deref().ok_or_else(|| IngestError::Spawn {
        tool: TOOL,
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no kapok binary to run the media child (set KAPOK_MEDIA_CHILD)",
        ),
    })
}

fn find_program() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KAPOK_MEDIA_CHILD") {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    if exe.file_stem().is_some_and(|s| s == "kapok") {
        return Some(exe);
    }
    let here = exe.parent()?;
    [Some(here), here.parent()]
        .into_iter()
        .flatten()
        .flat_map(|d| ["kapok", "kapok-media-child"].map(|n| d.join(n)))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max_by_key(|(t, _)| *t)
        .map(|(_, p)| p)
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
    let out = sandbox::run_program(TOOL, program()?.as_os_str(), &full, limits, sandbox::collect_capped(4 << 20))?;
    serde_json::from_slice(&out.output)
        .map_err(|e| IngestError::bad_media(format!("unreadable answer from the media child: {e}")))
}
