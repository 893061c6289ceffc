//! Kapok's web side: configuration, the HTTP API (with its OpenAPI document), and server
//! start-up and shutdown.

pub mod app;
pub mod centres;
pub mod components;
pub mod config;
pub mod demo;
pub mod emergency;
pub mod error;
pub mod health;
pub mod onair;
pub mod server;
pub mod state;
pub mod telemetry;

pub use config::{Config, ConfigError};
pub use server::{shutdown_signal, Application};
