//! A PostgreSQL cluster of a test's own, which the test can stop and start again: the
//! database outage of a fault test.
//!
//! [`crate::postgres`] shares one cluster between every test of a process and never stops it;
//! a fault test needs the server to go away (`pg_ctl stop -m fast`: sessions are ended, new
//! connections refused) and come back on the same port with the same data. The cluster lives in
//! a temp dir; a watchdog shell stops it and removes its files once the test process is gone,
//! and [`PgCluster`]'s drop does the same at once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::postgres::{command, is_root, pg_bin_dir};

/// A private PostgreSQL server on `127.0.0.1`, stopped and removed when dropped.
#[derive(Debug)]
pub struct PgCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    root: bool,
}

impl PgCluster {
    /// Runs initdb in a new temp dir and starts the server on a free port.
    ///
    /// # Errors
    /// When the server binaries are missing (the message says how to install them) or initdb
    /// or the server fails (with its output).
    pub fn start() -> Result<Self, String> {
        let bin = pg_bin_dir()?;
        let root = is_root();
        let dir = tempfile::Builder::new().prefix("kapok-pgc-").tempdir().map_err(|e| format!("temp dir: {e}"))?.keep();
        if root {
            let ok = Command::new("chown").arg("-R").arg("postgres:postgres").arg(&dir).status();
            if !ok.map(|s| s.success()).unwrap_or(false) {
                return Err(format!("cannot hand {} to the postgres user", dir.display()));
            }
        }
        let out = command(&bin.join("initdb"), root)
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "-N", "-D"])
            .arg(dir.join("data"))
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let port = crate::net::try_free_port().map_err(|e| format!("no free port: {e}"))?;
        let cluster = Self { bin, dir, port, root };
        cluster.watchdog()?;
        cluster.resume()?;
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`, the superuser's URL.
    #[must_use]
    pub fn admin_url(&self) -> String {
        self.url("postgres")
    }

    /// The URL of database `name` on this server.
    #[must_use]
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The port the server listens on, the same across [`Self::stop`] and [`Self::resume`].
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (`pg_ctl stop -m fast`: open sessions are ended, new connections
    /// refused) and waits until it is down.
    ///
    /// # Errors
    /// With pg_ctl's output when it fails.
    pub fn stop(&self) -> Result<(), String> {
        self.pg_ctl(&["stop", "-m", "fast", "-w", "-t", "30"])
    }

    /// Starts the server again (or the first time) on its port, and waits until it accepts
    /// connections.
    ///
    /// # Errors
    /// With pg_ctl's output and the server log when it does not start within 30 s.
    pub fn resume(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("postgres.log");
        let log = log.to_string_lossy();
        self.pg_ctl(&["start", "-w", "-t", "30", "-l", &log, "-o", &options]).map_err(|e| {
            let log = std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default();
            format!("{e}\n{log}")
        })
    }

    /// Creates database `name` and returns its URL.
    ///
    /// # Errors
    /// When the server refuses.
    pub async fn create_database(&self, name: &str) -> Result<String, sqlx::Error> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.admin_url()).await?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
        conn.close().await?;
        Ok(self.url(name))
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let out = command(&self.bin.join("pg_ctl"), self.root)
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("pg_ctl: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_ctl {args:?} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// A shell that stops the server and removes the cluster once this process is gone (a
    /// test killed before its drop ran leaves nothing behind).
    fn watchdog(&self) -> Result<(), String> {
        let script = r#"
while [ -d "/proc/$1" ]; do sleep 0.5; done
$2 "$3/pg_ctl" -D "$4/data" stop -m immediate >/dev/null 2>&1; rm -rf "$4"
"#;
        let run_as = if self.root { "runuser -u postgres --" } else { "" };
        Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .arg(std::process::id().to_string())
            .arg(run_as)
            .arg(&self.bin)
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(|_| ())
            .map_err(|e| format!("watchdog: {e}"))
    }

    /// The cluster's directory (data, socket and `postgres.log`).
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate", "-w", "-t", "10"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
