//! A TCP forwarder on loopback that a fault test can cut and restore, and that spreads
//! connections over several backends as a load balancer does.
//!
//! Two uses: in front of a server whose state must survive its "outage" (moto keeps its
//! objects in memory, so killing it would lose the bucket; cutting the forwarder makes the
//! endpoint refuse connections and resets the open ones, what clients of a stopped S3 server
//! see), and in front of several API nodes (each new connection goes to the next backend in
//! turn; one that refuses is skipped, as a load balancer's health check would).

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Default)]
struct Shared {
    open: AtomicBool,
    stopped: AtomicBool,
    next: AtomicUsize,
    ids: AtomicU64,
    /// Both sockets of every forwarded connection, to reset them on a cut.
    live: Mutex<HashMap<u64, (TcpStream, TcpStream)>>,
}

/// A forwarder listening on `127.0.0.1:port`, stopped when dropped.
#[derive(Debug)]
pub struct TcpProxy {
    port: u16,
    backends: Vec<SocketAddr>,
    shared: Arc<Shared>,
}

impl TcpProxy {
    /// Listens on a free loopback port and forwards each connection to one of `backends`
    /// (round robin, skipping those that refuse).
    ///
    /// # Errors
    /// When no port can be bound.
    pub fn start(backends: Vec<SocketAddr>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared { open: AtomicBool::new(true), ..Shared::default() });
        let proxy = Self { port, backends, shared };
        proxy.accept_loop(listener)?;
        Ok(proxy)
    }

    /// The port it listens on (the same across [`Self::cut`] and [`Self::restore`]).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops listening (new connections are refused) and resets every open connection.
    pub fn cut(&self) {
        self.shared.open.store(false, Ordering::SeqCst);
        // The accept loop drops its listener within a poll; the open connections go now.
        let live = std::mem::take(&mut *self.shared.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        for (a, b) in live.values() {
            let _ = a.shutdown(Shutdown::Both);
            let _ = b.shutdown(Shutdown::Both);
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    /// Listens again on the same port.
    ///
    /// # Errors
    /// When the port cannot be bound again.
    pub fn restore(&self) -> std::io::Result<()> {
        let listener = TcpListener::bind(("127.0.0.1", self.port))?;
        self.shared.open.store(true, Ordering::SeqCst);
        self.accept_loop(listener)
    }

    fn accept_loop(&self, listener: TcpListener) -> std::io::Result<()> {
        listener.set_nonblocking(true)?;
        let (shared, backends) = (self.shared.clone(), self.backends.clone());
        std::thread::spawn(move || loop {
            if !shared.open.load(Ordering::SeqCst) || shared.stopped.load(Ordering::SeqCst) {
                return; // drops the listener: connections are refused from here on
            }
            match listener.accept() {
                Ok((client, _)) => {
                    let (shared, backends) = (shared.clone(), backends.clone());
                    std::thread::spawn(move || forward(client, &backends, &shared));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(10)),
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        });
        Ok(())
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.cut();
    }
}

/// Connects `client` to the next backend that accepts and copies both ways until either side
/// closes; a client no backend takes is closed.
fn forward(client: TcpStream, backends: &[SocketAddr], shared: &Shared) {
    let _ = client.set_nonblocking(false);
    let first = shared.next.fetch_add(1, Ordering::SeqCst);
    let server = (0..backends.len()).find_map(|i| {
        let addr = backends[(first + i) % backends.len()];
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()
    });
    let Some(server) = server else { return };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let id = shared.ids.fetch_add(1, Ordering::SeqCst);
    let (Ok(c2), Ok(s2), Ok(c3), Ok(s3)) =
        (client.try_clone(), server.try_clone(), client.try_clone(), server.try_clone())
    else {
        return;
    };
    if !shared.open.load(Ordering::SeqCst) {
        return;
    }
    shared.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id, (c3, s3));
    let upstream = std::thread::spawn(move || pump(c2, s2));
    pump(server, client);
    let _ = upstream.join();
    shared.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
}

/// Copies `from` to `to` until `from` ends, then ends both directions (a half-closed HTTP
/// connection is of no use to either side).
fn pump(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}
