//! Kapok's web side: configuration, the HTTP API (with its OpenAPI document), authentication
//! and the access policy, server-sent events, and server start-up and shutdown.

pub mod alert_feed;
pub mod alert_log;
pub mod alert_records;
pub mod alert_sources;
pub mod app;
pub mod auth;
pub mod cache;
pub mod components;
pub mod config;
pub mod demo;
pub mod emergency;
pub mod error;
pub mod events;
pub mod extract;
pub mod hardening;
pub mod onair;
pub mod playout_node;
pub mod published;
pub mod range;
pub mod routes;
pub mod schema_docs;
pub mod server;
pub mod state;
pub mod telemetry;

pub use config::{Config, ConfigError};
pub use server::{shutdown_signal, Application};
