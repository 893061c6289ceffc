//! The HTTP API over the real application state (the emergency desk of the `kapok` crate), on
//! 127.0.0.1:0 over SQLite and PostgreSQL, with a user and a token for every role.

#[macro_use]
pub mod common;

mod alert_authority;
mod alert_feed;
mod alert_signed;
mod alert_store;
mod auth;
mod bad_input;
mod channel_extras_api;
mod channel_service_api;
mod live_relays;
mod matrix;
mod media_memory_limit;
mod metrics;
mod openapi_schemas;
mod parsers_prop;
mod playout_node_off_air;
mod playout_routes;
mod programme_retry_delete;
mod qc_override;
mod reports_api;
mod schedule_editing;
mod schedules_api;
mod search_api;
mod stream_layout_api;
mod ui_embedded;
mod uploads;
mod users_api;
