//! Kapok's web side: configuration, the HTTP API (with its OpenAPI document), authentication
//! and the access policy, server-sent events, and server start-up and shutdown.

pub mod alerts;
pub mod app;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod authn;
pub mod centres;
pub mod channels;
pub mod cli;
pub mod components;
pub mod config;
pub mod demo;
pub mod emergency;
pub mod error;
pub mod events;
pub mod extract;
pub mod hardening;
pub mod health;
pub mod jobs;
pub mod login;
pub mod onair;
pub mod policy;
pub mod programmes;
pub mod published;
pub mod qc_override;
pub mod range;
pub mod ratelimit;
pub mod schedule_routes;
pub mod search_cache;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod tus;
pub mod uploads;
pub mod users;

pub use config::{Config, ConfigError};
pub use server::{shutdown_signal, Application};
