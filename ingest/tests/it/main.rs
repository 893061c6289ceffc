//! The ingest crate's integration tests, one binary: real media made by FFmpeg, a real
//! catalog (SQLite and PostgreSQL), real stores, results checked by ffprobe and FFmpeg.
//! `tests/allocator.rs` is its own binary: it tunes the allocator, which must happen before
//! any other thread of the process allocates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

mod bad_input;
mod common;
mod house;
mod media_child;
mod pipeline;
mod probe;
mod upload;
mod watch;
mod worker;
