//! A throwaway PostgreSQL server, and a new empty database on it for each test.
//!
//! When `KAPOK_TEST_DATABASE_URL` is set (a superuser URL), each test gets a new database on
//! that server. Otherwise the first test of a process starts a private cluster (initdb +
//! postgres from Debian's packages, in a temp dir, on a free loopback port); a watchdog shell
//! stops it and removes its files when the test process exits. Missing server binaries fail
//! the test with the install command: no test skips silently.
//!
//! The catalog's `test-support` feature compiles this file too (it may not depend on this
//! crate), so it uses nothing of the crate but the sibling `net` module.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sqlx::Connection;

/// The environment variable naming an existing server to use instead of a private cluster.
pub const SERVER_ENV: &str = "KAPOK_TEST_DATABASE_URL";

/// The URL of a new, empty database on the test PostgreSQL server (started on first use).
///
/// # Panics
/// When no PostgreSQL can be started or reached; the message says how to install it.
pub async fn database_url() -> String {
    let admin = match std::env::var(SERVER_ENV) {
        Ok(url) => url,
        Err(_) => match CLUSTER.get_or_init(start_cluster) {
            Ok(url) => url.clone(),
            Err(e) => panic!("{e}"),
        },
    };
    let name = format!("kapok_t_{}", uuid::Uuid::new_v4().simple());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match create_database(&admin, &name).await {
            Ok(()) => break,
            Err(e) if Instant::now() < deadline => {
                tracing::debug!("test postgres not ready: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot create a test database on {admin}: {e}"),
        }
    }
    match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("{SERVER_ENV} {admin:?} has no database path"),
    }
}

async fn create_database(admin: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
    conn.close().await
}

static CLUSTER: OnceLock<Result<String, String>> = OnceLock::new();

const INSTALL: &str = "install them with `sudo apt-get install -y postgresql` (or run scripts/setup-debian.sh)";

/// Where Debian (or PATH) keeps `initdb` and `postgres`.
pub(crate) fn pg_bin_dir() -> Result<PathBuf, String> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    dirs.sort();
    if let Some(d) = dirs.into_iter().rev().find(|d| d.join("initdb").exists() && d.join("postgres").exists()) {
        return Ok(d);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find(|d| d.join("initdb").exists() && d.join("postgres").exists())
        .ok_or_else(|| format!("PostgreSQL server binaries (initdb, postgres) not found: {INSTALL}"))
}

pub(crate) fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// `initdb` refuses to run as root, so as root the cluster runs as the `postgres` user that
/// Debian's package creates.
pub(crate) fn command(bin: &Path, as_postgres: bool) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn start_cluster() -> Result<String, String> {
    let bin = pg_bin_dir()?;
    let root = is_root();
    let dir = tempfile::Builder::new().prefix("kapok-pg-").tempdir().map_err(|e| format!("temp dir: {e}"))?.keep();
    let data = dir.join("data");
    if root {
        let ok = Command::new("chown").arg("-R").arg("postgres:postgres").arg(&dir).status();
        if !ok.map(|s| s.success()).unwrap_or(false) {
            return Err(format!(
                "cannot hand {} to the postgres user (is PostgreSQL installed? {INSTALL})",
                dir.display()
            ));
        }
    }
    let out = command(&bin.join("initdb"), root)
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "-N", "-D"])
        .arg(&data)
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let port = super::net::try_free_port().map_err(|e| format!("no free port: {e}"))?;
    // The watchdog runs postgres and stops it (and removes the cluster) once this test process
    // is gone; /proc is checked rather than `kill -0`, which fails across users.
    let script = r#"
"$1/postgres" -D "$2" -p "$3" -k "$4" -c listen_addresses=127.0.0.1 -c fsync=off \
  -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 >"$4/postgres.log" 2>&1 &
pg=$!
while [ -d "/proc/$5" ] && kill -0 "$pg" 2>/dev/null; do sleep 0.5; done
kill -INT "$pg" 2>/dev/null; wait "$pg"; rm -rf "$4"
"#;
    let sh = Path::new("/bin/sh");
    command(sh, root)
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(&bin)
        .arg(&data)
        .arg(port.to_string())
        .arg(&dir)
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("start postgres: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
            return Err(format!("postgres did not start on port {port} within 30 s: {log}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}
