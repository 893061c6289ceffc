//! The allocator tuning gives freed 8 MiB buffers back to the system: after many
//! upload-shaped rounds (buffers made on runtime workers, written and freed on blocking
//! threads, three in flight) the process's resident memory is back near where it started.
//! Its own test binary: the tuning must happen before other threads allocate.

use ingest::allocator::{bound_allocator, give_back, Tuning};

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn freed_upload_buffers_leave_resident_memory_where_it_was() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return; // the operator's setting is kept; nothing of ours to check
    }
    assert_eq!(bound_allocator(), Tuning::Applied);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let before = rss_kib();
    let mut peak = 0;
    runtime.block_on(async {
        let mut inflight = tokio::task::JoinSet::new();
        for round in 0..96u8 {
            // Sizes vary a little, as hyper chunks and the last part of a put do.
            let size = 8 * 1024 * 1024 - usize::from(round) * 4096;
            let mut buf = bytes::BytesMut::zeroed(size);
            buf.iter_mut().step_by(4096).for_each(|b| *b = round);
            let part = buf.freeze();
            inflight.spawn_blocking(move || part.iter().step_by(4096).map(|&b| u64::from(b)).sum::<u64>());
            while inflight.len() > 2 {
                inflight.join_next().await.unwrap().unwrap();
            }
            peak = peak.max(rss_kib());
        }
        while inflight.join_next().await.is_some() {}
    });
    let after = rss_kib();
    assert!(peak > before, "the buffers were resident while alive");
    assert!(
        after < before + 12 * 1024,
        "resident memory {before} KiB before, {after} KiB after ({peak} KiB peak): freed buffers were kept"
    );
    fragmented_arenas_are_given_back();
}

/// Small blocks freed in the middle of the heap stay resident (glibc trims only the top);
/// `give_back` returns their pages. Run after the test above, in the same thread: two tests
/// of one binary would see each other's memory.
fn fragmented_arenas_are_given_back() {
    // 64 MiB of 2 KiB blocks; every 32nd is kept, so no free run reaches the heap's top.
    let mut blocks: Vec<Vec<u8>> = (0..32 * 1024).map(|i| vec![(i % 251) as u8; 2048]).collect();
    let kept: Vec<Vec<u8>> = blocks.iter_mut().step_by(32).map(std::mem::take).collect();
    drop(blocks);
    let held = rss_kib();
    assert!(give_back(), "malloc_trim released nothing");
    let trimmed = rss_kib();
    assert!(
        trimmed + 40 * 1024 < held,
        "{held} KiB resident with 62 MiB freed in the middle of the heap, {trimmed} KiB after give_back"
    );
    assert!(kept.iter().all(|b| b.len() == 2048), "the kept blocks are intact");
}
