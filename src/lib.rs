//! The composition of a running Kapok system: configuration, the all-in-one server and the
//! API node (`kapok serve`), the ingest worker (`kapok worker`), the channels on air, the
//! emergency desk, the remote playout node (`kapok playout`), the demo of a first run and
//! telemetry. The binary (`src/main.rs`) parses the command line and calls
//! [`cmd`]; everything here is a library that tests call.

pub mod cmd;
pub mod components;
pub mod config;
pub mod connections;
pub mod demo;
pub mod desk;
pub mod metrics;
pub mod node;
pub mod onair;
pub mod platform;
pub mod server;
pub mod telemetry;

pub use config::{Config, ConfigError};
pub use server::{shutdown_signal, Application};
