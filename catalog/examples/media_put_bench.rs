//! Streaming-put throughput and peak memory of the media store (see `bench/media.md`).
//!
//! `media_put_bench local|s3 [MiB]` streams a generated object of MiB mebibytes (default
//! 1024) into a temporary local directory or into a moto S3 server on loopback, and prints
//! the throughput, the digest and this process's peak resident memory (VmHWM).

#![allow(clippy::expect_used)]

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use catalog::media::testing::S3TestServer;
use catalog::media::{Key, MediaStore};
use tokio::io::{AsyncRead, ReadBuf};

/// `len` bytes cycling through a 1 MiB pseudo-random block (generation costs ~nothing).
struct Generated {
    block: Vec<u8>,
    len: u64,
    produced: u64,
}

impl AsyncRead for Generated {
    fn poll_read(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let offset = (self.produced % self.block.len() as u64) as usize;
        let n = (self.len - self.produced).min(buf.remaining() as u64).min((self.block.len() - offset) as u64) as usize;
        buf.put_slice(&self.block[offset..offset + n]);
        self.produced += n as u64;
        Poll::Ready(Ok(()))
    }
}

fn generated(len: u64) -> Generated {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let block = (0..1 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    Generated { block, len, produced: 0 }
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let backend = args.next().unwrap_or_else(|| "local".into());
    let mib: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let dir = tempfile::tempdir().expect("tempdir");
    let server;
    let store = match backend.as_str() {
        "local" => MediaStore::local(dir.path().join("media")).expect("local store"),
        "s3" => {
            server = S3TestServer::start().await.expect("S3 test server");
            MediaStore::open(&server.config("bench")).expect("s3 store")
        }
        other => panic!("unknown backend {other}; expected local or s3"),
    };
    let key = Key::parse("uploads/bench").expect("key");
    let started = Instant::now();
    let outcome = store.put_stream(&key, generated(mib << 20)).await.expect("put");
    let seconds = started.elapsed().as_secs_f64();
    let stored = store.head(&key).await.expect("head").map(|m| m.size);
    assert_eq!(stored, Some(outcome.size));
    println!(
        "backend={backend} size_mib={mib} seconds={seconds:.2} throughput_mib_s={:.1} \
         peak_rss_mib={:.1} sha256={}",
        mib as f64 / seconds,
        peak_rss_mib(),
        outcome.sha256
    );
    store.delete(&key).await.expect("delete");
}
