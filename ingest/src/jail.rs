//! The jail every ingest child runs in, on top of the [`crate::sandbox`]'s rlimits: its own
//! network, IPC, UTS, PID and mount namespaces, every capability dropped, no new privileges,
//! the file system read-only but for the attempt's work directory, and — when Kapok runs as
//! root — an unprivileged user of its own.
//!
//! What each layer stops, for a decoder that a hostile file has taken over:
//! - **network namespace** (only a down loopback): no request to any URL, no exfiltration;
//! - **PID namespace**: no other process is visible, so none can be signalled or traced (the
//!   worker, the API server and playout run as the same user);
//! - **mount namespace**: `/` and every other mount read-only, but the work directory of
//!   this attempt (mounted at [`WORK`]); the source is mounted read-only at [`SOURCE`];
//!   `/dev` holds only `null`, `zero`, `full`, `random` and `urandom` (no disk, no shared
//!   memory of another process);
//! - **user**: as root, the child runs as `nobody` (or `KAPOK_INGEST_SANDBOX_USER`), so
//!   device nodes, root's files and other users' files are out of reach; as an unprivileged
//!   user (the package's `kapok`), a user namespace gives the mount rights and the child
//!   keeps the user's identity with no capability at all.
//!
//! Built from util-linux (`unshare`, `mount`, `setpriv`), which every Debian has, so no
//! `unsafe` is needed. Where namespaces are not allowed (a container without them, a systemd
//! unit with `RestrictNamespaces=`), [`mode`] says why once in the log and the children run
//! under the rlimits alone; `KAPOK_INGEST_SANDBOX=rlimits` asks for that,
//! `KAPOK_INGEST_SANDBOX=namespaces` refuses to run without the jail.

use std::cell::RefCell;
use std::ffi::{OsStr, OsString};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Where the work directory appears inside the jail.
pub const WORK: &str = "/mnt/kapok-work";
/// Where the source file appears inside the jail (read-only).
pub const SOURCE: &str = "/mnt/kapok-source";
/// Where the program appears inside the jail (read-only), so that a binary under a home
/// directory the jail's user cannot enter still runs.
const PROGRAM: &str = "/mnt/kapok-program";

/// The jail's set-up, run by `sh` as PID 1 of the new namespaces. Positional: work dir,
/// source, program (each `-` when absent), uid, gid (`-` to keep), then the command. Without
/// a work dir (a child outside an ingest attempt) `/` stays writable to the parent's user.
///
/// PID 1 runs the command as its child rather than `exec`ing it: the kernel does not deliver
/// a signal PID 1 sends itself (an `abort()` on a failed allocation), so the tool must not be
/// PID 1. Its death by signal N comes back as exit status 128 + N (see [`signal_of`]).
const SCRIPT: &str = r#"set -e
w=$1; src=$2; prog=$3; uid=$4; gid=$5; shift 5
mount -t tmpfs -o size=64k,mode=755 kapok-jail /mnt
if [ "$w" != - ]; then mkdir /mnt/kapok-work; mount --bind "$w" /mnt/kapok-work; fi
if [ "$src" != - ]; then : > /mnt/kapok-source; mount --bind -o ro "$src" /mnt/kapok-source; fi
if [ "$prog" != - ]; then : > /mnt/kapok-program; mount --bind -o ro "$prog" /mnt/kapok-program; fi
mkdir /mnt/dev
for n in null zero full random urandom; do : > /mnt/dev/$n; mount --bind /dev/$n /mnt/dev/$n; done
mount -t tmpfs -o size=16k,mode=755,nosuid kapok-dev /dev
for n in null zero full random urandom; do : > /dev/$n; mount --bind /mnt/dev/$n /dev/$n; done
if [ "$w" != - ]; then mount -o remount,bind,ro /; fi
mount -o remount,bind,ro /mnt
if [ "$uid" != - ]; then set -- --reuid="$uid" --regid="$gid" --clear-groups -- "$@"; else set -- -- "$@"; fi
set +e
setpriv --no-new-privs --inh-caps=-all --bounding-set=-all "$@"
exit $?
"#;

/// How the children of this process are confined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Namespaces as described in the module; `user` is the uid/gid a root parent drops to.
    Namespaces {
        /// The uid and gid the child runs as (root only), else `None`.
        user: Option<(u32, u32)>,
        /// Whether a user namespace is needed (an unprivileged parent).
        userns: bool,
    },
    /// Rlimits only, with the reason the jail is not used.
    RlimitsOnly(String),
}

impl Mode {
    /// One line for logs and `kapok doctor`.
    pub fn describe(&self) -> String {
        match self {
            Mode::Namespaces { user: Some((u, g)), .. } => {
                format!("namespaces (net, pid, ipc, uts, mount; read-only but the work dir) as uid {u} gid {g}, no capabilities")
            }
            Mode::Namespaces { user: None, .. } => {
                "namespaces (user, net, pid, ipc, uts, mount; read-only but the work dir), no capabilities".into()
            }
            Mode::RlimitsOnly(why) => format!("rlimits only ({why})"),
        }
    }
}

/// The jail in use, found once per process: the setting, then a trial run.
pub fn mode() -> &'static Mode {
    static MODE: OnceLock<Mode> = OnceLock::new();
    MODE.get_or_init(|| {
        let mode = detect();
        match &mode {
            Mode::RlimitsOnly(why) => tracing::warn!(reason = %why, "ingest children run without the namespace jail"),
            m => tracing::info!(jail = %m.describe(), "ingest children run in a jail"),
        }
        mode
    })
}

fn detect() -> Mode {
    let wanted = std::env::var("KAPOK_INGEST_SANDBOX").unwrap_or_default();
    if wanted == "rlimits" {
        return Mode::RlimitsOnly("KAPOK_INGEST_SANDBOX=rlimits".into());
    }
    let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
    let user = if root {
        let name = std::env::var("KAPOK_INGEST_SANDBOX_USER").unwrap_or_else(|_| "nobody".into());
        match lookup_user(&name) {
            Some(ids) => Some(ids),
            None => return refuse(&wanted, format!("no user {name} to run ingest children as")),
        }
    } else {
        None
    };
    let mode = Mode::Namespaces { user, userns: !root };
    let mut probe = command(&mode, &Dirs::default(), &[], OsStr::new("true"), &[]);
    probe.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    match probe.output() {
        Ok(out) if out.status.success() => mode,
        Ok(out) => refuse(
            &wanted,
            format!(
                "namespaces not allowed here: {}",
                String::from_utf8_lossy(&out.stderr).trim().replace('\n', " | ")
            ),
        ),
        Err(e) => refuse(&wanted, format!("unshare not available: {e}")),
    }
}

fn refuse(wanted: &str, why: String) -> Mode {
    assert!(wanted != "namespaces", "KAPOK_INGEST_SANDBOX=namespaces, but {why}");
    Mode::RlimitsOnly(why)
}

/// The uid and gid of `name` in `/etc/passwd`.
fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 4 && f[0] == name).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?))).flatten()
    })
}

/// The directories of the ingest attempt running on this thread.
#[derive(Debug, Clone, Default)]
pub struct Dirs {
    /// The only directory the child may write (the attempt's output directory).
    pub work: Option<PathBuf>,
    /// The source file, readable.
    pub source: Option<PathBuf>,
}

thread_local! {
    static CURRENT: RefCell<Dirs> = RefCell::new(Dirs::default());
}

/// Runs `f` with `dirs` as the jail's directories for every child started on this thread.
pub fn with_dirs<R>(dirs: Dirs, f: impl FnOnce() -> R) -> R {
    struct Restore(Dirs);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = std::mem::take(&mut self.0);
            CURRENT.with(|c| *c.borrow_mut() = prev);
        }
    }
    let prev = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), dirs));
    let _restore = Restore(prev);
    f()
}

/// The jailed command for `prlimit RLIMITS… -- program args…`, or `None` when children run
/// under rlimits only.
pub fn wrap(rlimits: &[OsString], program: &OsStr, args: &[OsString]) -> Option<Command> {
    let mode = mode();
    if matches!(mode, Mode::RlimitsOnly(_)) {
        return None;
    }
    let dirs = CURRENT.with(|c| c.borrow().clone());
    Some(command(mode, &dirs, rlimits, program, args))
}

fn command(mode: &Mode, dirs: &Dirs, rlimits: &[OsString], program: &OsStr, args: &[OsString]) -> Command {
    let Mode::Namespaces { user, userns } = mode else { unreachable!("rlimits only has no jail") };
    let mut dirs = dirs.clone();
    // A child that runs as another user must be able to write its work dir and read its
    // source; a source that user may not read keeps the child in the parent's identity.
    let mut user = *user;
    if dirs.work.is_none() {
        // Outside an ingest attempt (`kapok probe`, a stage called on its own) nothing says
        // where the child may write: it keeps the parent's user and a writable file system,
        // with the namespaces and no capability.
        user = None;
    }
    if let Some((uid, gid)) = user {
        if let Some(w) = &dirs.work {
            if std::os::unix::fs::chown(w, Some(uid), Some(gid)).is_err() {
                user = None;
            }
        }
        if dirs.source.as_ref().is_some_and(|s| !world_readable(s)) {
            user = None;
        }
    }
    let program_path = Path::new(program);
    let jailed_program = program_path.is_absolute() && program_path.is_file();
    let usable = |p: &Option<PathBuf>| p.as_deref().and_then(Path::to_str).map(str::to_owned);
    let (work, source) = (usable(&dirs.work), usable(&dirs.source));
    dirs.work = work.as_ref().map(PathBuf::from);
    dirs.source = source.as_ref().map(PathBuf::from);
    // Paths the child is given are rewritten to where the jail mounts them.
    let rewrite = |a: &OsString| -> OsString {
        let Some(s) = a.to_str() else { return a.clone() };
        let mut s = s.to_owned();
        if let Some(src) = &source {
            s = replace_path(&s, src, SOURCE);
        }
        if let Some(w) = &work {
            s = replace_path(&s, w, WORK);
        }
        s.into()
    };
    let dash = || OsString::from("-");
    let mut cmd = Command::new("unshare");
    if *userns {
        cmd.args(["--user", "--map-root-user"]);
    }
    cmd.args(["--mount", "--propagation", "private", "--net", "--ipc", "--uts", "--pid", "--fork", "--kill-child"])
        .arg("--mount-proc")
        .args(["--", "sh", "-c", SCRIPT, "kapok-jail"])
        .arg(dirs.work.as_ref().map_or_else(dash, |p| p.clone().into_os_string()))
        .arg(dirs.source.as_ref().map_or_else(dash, |p| p.clone().into_os_string()))
        .arg(if jailed_program { program.to_owned() } else { dash() });
    match user {
        Some((uid, gid)) => cmd.arg(uid.to_string()).arg(gid.to_string()),
        None => cmd.arg("-").arg("-"),
    };
    cmd.arg("prlimit").args(rlimits).arg("--");
    cmd.arg(if jailed_program { OsStr::new(PROGRAM) } else { program });
    cmd.args(args.iter().map(rewrite));
    cmd
}

/// `text` with each occurrence of the path `from` (not a longer name that starts with it)
/// replaced by `to`.
fn replace_path(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let after = &rest[at + from.len()..];
        let whole = !after.starts_with(|c: char| c.is_alphanumeric() || "._-".contains(c));
        out.push_str(&rest[..at]);
        out.push_str(if whole { to } else { from });
        rest = after;
    }
    out.push_str(rest);
    out
}

fn world_readable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.mode() & 0o004 != 0)
}

/// The signal a jailed child died of: the jail's PID 1 reports it as exit status 128 + N.
pub fn signal_of(code: i32) -> Option<i32> {
    (129..160).contains(&code).then_some(code - 128)
}

/// Whether children are jailed (for the caller's reading of exit statuses).
pub fn active() -> bool {
    !matches!(mode(), Mode::RlimitsOnly(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::{self, Limits};

    #[test]
    fn paths_are_rewritten_whole_names_only() {
        assert_eq!(replace_path("file:/a/out/x.mxf", "/a/out", WORK), format!("file:{WORK}/x.mxf"));
        assert_eq!(replace_path("/a/out", "/a/out", WORK), WORK);
        assert_eq!(replace_path("/a/out2/x", "/a/out", WORK), "/a/out2/x");
        assert_eq!(replace_path("movie=/a/out:x=/a/out/y", "/a/out", WORK), format!("movie={WORK}:x={WORK}/y"));
    }

    /// What a hostile decoder could try, from inside the jail: each line of the script prints
    /// what happened, and every line is checked. Fails where the jail is not available (set
    /// `KAPOK_INGEST_SANDBOX=rlimits` to run the suite on such a machine, and know it).
    #[test]
    fn a_jailed_child_writes_only_its_work_dir_sees_no_process_and_reaches_no_network() {
        if std::env::var("KAPOK_INGEST_SANDBOX").as_deref() == Ok("rlimits") {
            return;
        }
        assert!(active(), "the jail is not available here: {}", mode().describe());
        let dir = tempfile::tempdir().unwrap();
        let (work, source) = (dir.path().join("out"), dir.path().join("source"));
        std::fs::create_dir(&work).unwrap();
        std::fs::write(&source, b"the source").unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (w, s, outside) = (work.display(), source.display(), dir.path().join("outside"));
        let script = format!(
            "echo made > {w}/made && echo work:ok || echo work:refused
             cat {s} >/dev/null && echo source:ok || echo source:refused
             echo x > {s} 2>/dev/null && echo source-write:ok || echo source-write:refused
             touch {o} 2>/dev/null && echo outside:ok || echo outside:refused
             touch /etc/kapok-jail-test 2>/dev/null && echo etc:ok || echo etc:refused
             kill -0 {pid} 2>/dev/null && echo parent:visible || echo parent:hidden
             bash -c 'echo hi > /dev/tcp/127.0.0.1/{port}' 2>/dev/null && echo net:ok || echo net:refused
             ls /dev | tr '\\n' ' '; echo
             echo uid:$(id -u)",
            o = outside.display(),
            pid = std::process::id(),
        );
        let dirs = Dirs { work: Some(work.clone()), source: Some(source.clone()) };
        let out = with_dirs(dirs, || {
            sandbox::run("sh", &["-c".into(), script.into()], Limits::PROBE, sandbox::collect_capped(1 << 16))
        })
        .unwrap();
        let text = String::from_utf8(out.output).unwrap();
        for expected in [
            "work:ok",
            "source:ok",
            "source-write:refused",
            "outside:refused",
            "etc:refused",
            "parent:hidden",
            "net:refused",
        ] {
            assert!(text.lines().any(|l| l == expected), "expected {expected} in:\n{text}");
        }
        assert_eq!(std::fs::read_to_string(work.join("made")).unwrap(), "made\n");
        assert!(!outside.exists());
        assert_eq!(std::fs::read_to_string(&source).unwrap(), "the source");
        assert!(listener.accept().is_err(), "a connection came through from the jail");
        assert!(text.contains("full null random urandom zero"), "only the harmless devices: {text}");
        let root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
        if root {
            assert!(text.lines().any(|l| l == "uid:65534"), "as root the child runs as nobody: {text}");
        }
    }
}
