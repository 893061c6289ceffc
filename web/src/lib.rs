//! Kapok's HTTP layer: the API's routes (with their OpenAPI document), authentication and the
//! access policy, server-sent events, the caches in front of the catalog, and the browser UI.
//! The system behind it (the emergency desk, channels on air, configuration, start-up) is
//! composed in the `kapok` crate and reached through [`state::AppState`].

pub mod app;
pub mod auth;
pub mod cache;
pub mod desk;
pub mod error;
pub mod events;
pub mod extract;
pub mod hardening;
pub mod range;
pub mod routes;
pub mod schema_docs;
pub mod state;
pub mod ui;
