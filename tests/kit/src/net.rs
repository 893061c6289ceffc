//! Free loopback ports for servers and peers a test starts itself.

use std::net::{TcpListener, UdpSocket};

/// A port on `127.0.0.1` free for both TCP and UDP at the time of the call (another process
/// may take it before the test binds it; bind port 0 where the code under test allows).
///
/// # Errors
/// When the system has no free port to give.
pub fn try_free_port() -> std::io::Result<u16> {
    for _ in 0..64 {
        let tcp = TcpListener::bind("127.0.0.1:0")?;
        let port = tcp.local_addr()?.port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err(std::io::Error::other("no port free for both TCP and UDP on 127.0.0.1"))
}

/// [`try_free_port`], panicking when there is none.
///
/// # Panics
/// When the system has no free port to give.
#[must_use]
pub fn free_port() -> u16 {
    try_free_port().unwrap_or_else(|e| panic!("no free port: {e}"))
}
