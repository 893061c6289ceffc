//! The `kapok` crate's integration tests, one binary: the real binary on a fresh data
//! directory (`cli`, `serve`, `playout_node` …), the composed system in process (alerts on air,
//! ingest) and, under [`api`], the HTTP API over the real application state on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes, dead_code)]

mod alert;
mod alert_coverage;
mod alert_memory;
mod alert_on_air;
mod api;
mod cli;
mod common;
mod ebd_platform;
mod fault_suite;
mod ingest;
mod onair;
mod playout_backup;
mod playout_node;
mod playout_node_exit;
mod serve;
mod service_info;
mod upload_sweep;
mod worker_events;
