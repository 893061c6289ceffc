//! Keeping the process's memory near what is live: glibc's malloc tuned at start.
//!
//! Uploads and joins move data through 8 MiB buffers (a segment being received, the parts of
//! a streaming put). With glibc's defaults such buffers are freed into per-thread arenas
//! (up to 8 per core) and the dynamic mmap threshold soon stops returning them to the system,
//! so a server that has carried one large upload kept 70–76 MiB over its idle RSS
//! (bench/ingest.md). [`bound_allocator`] fixes both at process start: at most
//! [`ARENA_MAX`] arenas, and every allocation of [`MMAP_THRESHOLD`] or more served by its own
//! mapping, unmapped when freed. Resident memory then follows the buffers alive at the time
//! (per upload: one segment while receiving, at most `PARTS_IN_FLIGHT + 1` parts while
//! joining), whatever the file size.
//!
//! What is freed in the middle of an arena stays there: glibc returns only the top of a heap
//! on `free`. A server that runs for hours (playout's streaming threads start and end with
//! every item; uploads come and go) fragments its arenas, and the hour's soak of 7 Dec grew
//! 17.9 MiB/h with `malloc_stats` showing 126 MB held for 69 MB in use. The long-running
//! commands (`serve`, `worker`, `playout node`) therefore call [`start_giving_back`]: a thread
//! that calls `malloc_trim(0)` every [`GIVE_BACK_EVERY`], which hands every whole free page
//! of every arena back to the system (`madvise(MADV_DONTNEED)`), live memory untouched.
//!
//! `MALLOC_ARENA_MAX` / `MALLOC_MMAP_THRESHOLD_` set in the environment win: an operator's
//! explicit choice is kept. GLib's slice allocator is pointed at `malloc` too (`G_SLICE`).

/// Arenas glibc may create (its default is 8 per core).
pub const ARENA_MAX: i32 = 2;
/// Allocations at least this large get their own mapping, given back on free.
pub const MMAP_THRESHOLD: i32 = 1024 * 1024;

/// What [`bound_allocator`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tuning {
    /// Both settings applied.
    Applied,
    /// Left as the environment set them (`MALLOC_ARENA_MAX` or `MALLOC_MMAP_THRESHOLD_`).
    FromEnvironment,
    /// Not glibc (or glibc refused): nothing changed.
    Unsupported,
}

/// GLib's slice allocator (GStreamer's buffers, events, structures) keeps per-thread
/// magazines and slabs it never gives back. Playout starts and ends streaming threads with
/// every item, and a heap profile of `kapok serve` (heaptrack, 20 minutes of the soak, 7 Dec)
/// put the largest blocks still held at the end in `g_slice_alloc` — 36 MB under the video
/// decoders' buffer pools and 25 MB under the engine's frame copies, over 31,000 slab
/// allocations each. `G_SLICE=always-malloc` makes the slices plain `malloc`, freed when the
/// buffer is; it is what GLib 2.76 and later do anyway (Debian 12 has 2.74). Set before GLib
/// starts, unless the environment already says otherwise.
fn slices_from_malloc() {
    if std::env::var_os("G_SLICE").is_none() {
        std::env::set_var("G_SLICE", "always-malloc");
    }
}

/// Tunes the allocator as the module documentation says. Call first thing in `main`, before
/// any thread starts (arenas already made are not removed).
pub fn bound_allocator() -> Tuning {
    slices_from_malloc();
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() || std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some() {
        return Tuning::FromEnvironment;
    }
    apply()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn apply() -> Tuning {
    // SAFETY: mallopt only changes allocator parameters; glibc serialises it against
    // concurrent malloc calls, and both values are in the ranges its manual allows.
    let arenas = unsafe { libc::mallopt(libc::M_ARENA_MAX, ARENA_MAX) };
    // Setting the threshold explicitly also turns off glibc's dynamic raising of it.
    let mmap = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
    if arenas == 1 && mmap == 1 {
        Tuning::Applied
    } else {
        Tuning::Unsupported
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply() -> Tuning {
    Tuning::Unsupported
}

/// How often [`start_giving_back`] trims. A trim of the soak server's arenas made ~470
/// `madvise` calls and took ~25 ms under `strace` (bench/notes/soak.md); a fresh server logs
/// 0.5–5 ms at debug level (`RUST_LOG=ingest::allocator=debug`), once a minute.
pub const GIVE_BACK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Gives the free pages inside malloc's arenas back to the system now. Returns whether any
/// memory was released (false where the allocator is not glibc's).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn give_back() -> bool {
    // SAFETY: malloc_trim(0) takes each arena's lock in turn and only releases pages of free
    // chunks (and the heap's unused top); it is safe to call from any thread at any time.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Gives the free pages inside malloc's arenas back to the system now: nothing to do where
/// the allocator is not glibc's.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back() -> bool {
    false
}

/// Starts the thread that calls [`give_back`] every [`GIVE_BACK_EVERY`], for the life of the
/// process. Call once from a long-running command; the thread is named `malloc-trim`.
pub fn start_giving_back() {
    let started = std::thread::Builder::new().name("malloc-trim".into()).spawn(|| loop {
        std::thread::sleep(GIVE_BACK_EVERY);
        let t = std::time::Instant::now();
        let released = give_back();
        tracing::debug!(released, took_us = t.elapsed().as_micros() as u64, "malloc arenas trimmed");
    });
    if let Err(e) = started {
        tracing::warn!(error = %e, "could not start the malloc-trim thread; freed memory stays in the arenas");
    }
}
