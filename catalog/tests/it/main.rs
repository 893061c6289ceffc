//! The catalog's integration tests, one binary: each module is one behaviour of the store,
//! the queue or the media store, run against real backends (SQLite and a throwaway
//! PostgreSQL, moto for S3) through the `test-support` harnesses.
//! `tests/media_store_env.rs` is its own binary: it sets the process environment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

mod alert_store;
mod channels;
mod common;
mod media_store;
mod migration_0021;
mod pg_gin_options;
mod queue;
mod schedule_store;
mod search_migration;
mod search_pages;
mod search_scope;
mod search_window;
mod store;
