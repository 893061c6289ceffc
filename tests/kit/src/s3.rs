//! A real S3-compatible server on loopback for tests: moto's S3 server.
//!
//! [`S3Server::start`] runs `moto_server` (or `python3 -m moto.server`) on a free loopback
//! port, waits until it listens, creates [`BUCKET`], and kills the process when dropped. If
//! moto is not installed, `start` fails with the command that installs it — tests never skip
//! silently. The server knows nothing of Kapok: a test gives [`S3Server::url`],
//! [`S3Server::endpoint`] and the credentials to the store it opens.
//!
//! The catalog's `test-support` feature compiles this file too (it may not depend on this
//! crate), so it uses nothing of the crate.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The command that installs the test server (also in `scripts/setup-debian.sh`).
pub const INSTALL_HINT: &str =
    "pip install --break-system-packages 'moto[server]==5.2.1'  (or pip install 'moto[server]==5.2.1' in a venv)";

/// Environment variable naming the server command, e.g. `/opt/moto/bin/moto_server`.
pub const SERVER_ENV: &str = "KAPOK_TEST_S3_SERVER";

/// The bucket created by [`S3Server::start`].
pub const BUCKET: &str = "kapok-test";

/// Credentials and region the test server accepts (moto accepts any).
pub const ACCESS_KEY_ID: &str = "kapok-test-key";
pub const SECRET_ACCESS_KEY: &str = "kapok-test-secret";
pub const REGION: &str = "us-east-1";

const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A moto S3 server on `127.0.0.1`, killed on drop.
#[derive(Debug)]
pub struct S3Server {
    child: Option<Child>,
    port: u16,
}

impl S3Server {
    /// Starts a server, waits until it listens and creates [`BUCKET`].
    ///
    /// # Errors
    /// An error carrying [`INSTALL_HINT`] if moto is missing, or the server's output if it
    /// fails to start.
    pub async fn start() -> std::io::Result<Self> {
        let (mut child, lines) = spawn()?;
        let port = tokio::task::spawn_blocking(move || wait_for_port(&lines)).await.map_err(std::io::Error::other)?;
        let port = match port {
            Ok(port) => port,
            Err(output) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(std::io::Error::other(format!(
                    "the S3 test server did not start ({output}); install it with: {INSTALL_HINT}"
                )));
            }
        };
        let server = Self { child: Some(child), port };
        server.create_bucket(BUCKET).await?;
        Ok(server)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The `s3://` URL of a store in [`BUCKET`] under `prefix` (may be empty).
    pub fn url(&self, prefix: &str) -> String {
        Self::url_for_bucket(BUCKET, prefix)
    }

    /// The `s3://` URL of a store in `bucket` under `prefix` (may be empty).
    pub fn url_for_bucket(bucket: &str, prefix: &str) -> String {
        match prefix {
            "" => format!("s3://{bucket}"),
            p => format!("s3://{bucket}/{p}"),
        }
    }

    /// The standard `AWS_*` environment variables that point an S3 client (including a
    /// `kapok` subprocess whose store URL is [`S3Server::url`]) at this server.
    pub fn aws_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT", self.endpoint()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.into()),
        ]
    }

    /// Creates another bucket.
    ///
    /// # Errors
    /// If the server does not answer 200.
    pub async fn create_bucket(&self, bucket: &str) -> std::io::Result<()> {
        let (status, body) = self.request("PUT", &format!("/{bucket}")).await?;
        if status != 200 {
            return Err(std::io::Error::other(format!("creating bucket {bucket} answered {status}: {body}")));
        }
        Ok(())
    }

    /// How many multipart uploads are open (started, neither completed nor aborted) in
    /// `bucket`: a store that aborts on failure leaves none.
    ///
    /// # Errors
    /// If the server does not answer 200.
    pub async fn open_multipart_uploads(&self, bucket: &str) -> std::io::Result<usize> {
        let (status, body) = self.request("GET", &format!("/{bucket}?uploads")).await?;
        if status != 200 {
            return Err(std::io::Error::other(format!("listing uploads answered {status}: {body}")));
        }
        Ok(body.matches("<UploadId>").count())
    }

    /// Kills the server (to test what clients see when the store is down).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// One unsigned HTTP/1.1 request (moto does not check signatures).
    async fn request(&self, method: &str, target: &str) -> std::io::Result<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
        let request = format!(
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {text}")))?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        Ok((status, body))
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts moto on port 0; returns the child and a channel of its output lines.
fn spawn() -> std::io::Result<(Child, mpsc::Receiver<String>)> {
    let args = ["-H", "127.0.0.1", "-p", "0"];
    let mut commands: Vec<(String, Vec<&str>)> = Vec::new();
    match std::env::var(SERVER_ENV) {
        Ok(server) if !server.trim().is_empty() => commands.push((server, args.to_vec())),
        _ => {
            commands.push(("moto_server".into(), args.to_vec()));
            let mut module = vec!["-m", "moto.server"];
            module.extend(args);
            commands.push(("python3".into(), module));
        }
    }
    let mut tried = Vec::new();
    for (program, args) in commands {
        let spawned = Command::new(&program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        match spawned {
            Ok(mut child) => {
                let (tx, rx) = mpsc::channel();
                if let Some(out) = child.stdout.take() {
                    forward(out, tx.clone());
                }
                if let Some(err) = child.stderr.take() {
                    forward(err, tx);
                }
                return Ok((child, rx));
            }
            Err(e) => tried.push(format!("{program}: {e}")),
        }
    }
    Err(std::io::Error::other(format!(
        "no S3 test server could be run ({}); install it with: {INSTALL_HINT}",
        tried.join("; ")
    )))
}

/// Forwards the lines of `pipe` to `tx` until it closes (draining it so moto never blocks
/// on a full pipe while logging requests).
fn forward(pipe: impl Read + Send + 'static, tx: mpsc::Sender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            // The receiver is gone once the server is up; keep draining regardless.
            let _ = tx.send(line);
        }
    });
}

/// Waits for werkzeug's ` * Running on http://127.0.0.1:PORT` line; `Err` carries the
/// output seen so far.
fn wait_for_port(lines: &mpsc::Receiver<String>) -> Result<u16, String> {
    let deadline = std::time::Instant::now() + START_TIMEOUT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                if let Some(port) = line.split("Running on http://127.0.0.1:").nth(1).and_then(|rest| {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    digits.parse().ok()
                }) {
                    return Ok(port);
                }
                seen.push(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!(
                    "no listening port after {} s; output: {}",
                    START_TIMEOUT.as_secs(),
                    seen.join(" | ")
                ))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(format!("it exited; output: {}", seen.join(" | ")))
            }
        }
    }
}
