//! Finding the program a child process of Kapok runs: the media child of ingest and the relay
//! child of playout are the `kapok` binary itself in a hidden mode, so the code that parses
//! untrusted media ships and upgrades with the process that starts it. Test binaries are not
//! `kapok`: they run a `kapok` or their crate's stand-in built beside them.

use std::path::PathBuf;
use std::sync::OnceLock;

/// Set by the `kapok` binary's `main`: this process is Kapok, whatever its file is called.
static THIS_IS_KAPOK: OnceLock<PathBuf> = OnceLock::new();

/// Called first thing by the `kapok` binary: its children run this very executable. (A
/// release binary renamed or copied as `kapok-1.4` or `/opt/x/kapok-bin` failed every ingest
/// with "no kapok binary to run the media child" when only the file name told.)
pub fn this_process_is_kapok() {
    if let Ok(exe) = std::env::current_exe() {
        let _ = THIS_IS_KAPOK.set(exe);
    }
}

/// The program for a child: the path in `env_var` if set, this process when it is `kapok`
/// (said by [`this_process_is_kapok`], whatever its file is called), else the newest of `kapok` and `stand_in` next to this executable or one directory up
/// (cargo's `target/<profile>/deps` test binaries). `None` when there is none.
pub fn find(env_var: &str, stand_in: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env_var) {
        return Some(PathBuf::from(p));
    }
    if let Some(exe) = THIS_IS_KAPOK.get() {
        return Some(exe.clone());
    }
    let exe = std::env::current_exe().ok()?;
    let here = exe.parent()?;
    [Some(here), here.parent()]
        .into_iter()
        .flatten()
        .flat_map(|d| ["kapok", stand_in].map(|n| d.join(n)))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max_by_key(|(t, _)| *t)
        .map(|(_, p)| p)
}
