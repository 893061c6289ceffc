//! Free loopback ports for servers and peers a test starts itself.
//!
//! A port found by binding port 0 and closing the socket comes from the kernel's ephemeral
//! range (`net.ipv4.ip_local_port_range`, 32768–60999 here), the same range every outgoing
//! connection and every other `bind(0)` of the machine draws from: between the test closing
//! it and its server (icecast2, srt-live-transmit, a `kapok playout` node) binding it, an
//! ffmpeg listener's own end of a connection or another test's server may take it, and the
//! test then talks to the wrong peer (a CI run hung on an ffmpeg reading from such a port).
//! Ports here come from below that range, each handed out once per test process, starting at
//! an offset of the process id so two test processes seldom walk the same ports.

use std::net::{TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};

/// The ports handed out: [`FIRST`, `FIRST + SPAN`), under the ephemeral range.
const FIRST: u32 = 20_000;
const SPAN: u32 = 12_000;

/// A port on `127.0.0.1` free for both TCP and UDP at the time of the call, not given out
/// before by this process and outside the kernel's ephemeral range (see the module).
///
/// # Errors
/// When the system has no free port to give.
pub fn try_free_port() -> std::io::Result<u16> {
    static HANDED_OUT: AtomicU32 = AtomicU32::new(0);
    let offset = std::process::id().wrapping_mul(7919);
    for _ in 0..SPAN {
        let n = offset.wrapping_add(HANDED_OUT.fetch_add(1, Ordering::Relaxed)) % SPAN;
        let port = u16::try_from(FIRST + n).expect("under 32000");
        let Ok(_tcp) = TcpListener::bind(("127.0.0.1", port)) else { continue };
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err(std::io::Error::other("no port free for both TCP and UDP on 127.0.0.1 in 20000–31999"))
}

/// [`try_free_port`], panicking when there is none.
///
/// # Panics
/// When the system has no free port to give.
#[must_use]
pub fn free_port() -> u16 {
    try_free_port().unwrap_or_else(|e| panic!("no free port: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ports_are_outside_the_ephemeral_range_and_never_given_twice() {
        let ports: Vec<u16> = (0..200).map(|_| super::free_port()).collect();
        assert!(ports.iter().all(|p| (20_000..32_000).contains(p)), "{ports:?}");
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ports.len(), "a port given twice: {ports:?}");
    }
}
