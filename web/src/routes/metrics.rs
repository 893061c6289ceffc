//! `GET /metrics`: the playout metrics of every channel this process airs, in Prometheus text
//! format (0.0.4), label `channel` (the slug). `kapok serve` serves it beside the API (outside
//! `/api/` and its OpenAPI document: it is for Prometheus, not for API clients); a remote
//! node serves it on `--metrics-listen ADDR` when asked.
//!
//! No authentication, as Prometheus exporters have it: the scraper holds no Kapok token, and
//! nothing here is a secret (target names hide RTMP keys, SRT passphrases and Icecast
//! passwords). Where the metrics must not be public, the operator chooses where they are bound
//! (`--metrics-listen 127.0.0.1:9464` on a node) or blocks `/metrics` at the reverse proxy.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{FromRef, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// The content type of the Prometheus text exposition format.
pub const CONTENT_TYPE_0_0_4: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The channels on air in this process, as `/metrics` reads them (the playout engines are
/// composed in the `kapok` crate; an API-only process has none).
pub trait ChannelMetrics: Send + Sync {
    /// Every channel's metrics in the Prometheus text format, each metric family once.
    fn prometheus(&self) -> String;

    /// What the channel `slug` airs now and next by its engine (the now/next route names it
    /// whether or not a day is published); `None` when it is not on air in this process.
    fn airing(&self, _slug: &str) -> Option<Airing> {
        None
    }
}

/// What a channel's engine airs now and next.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Airing {
    /// On air now.
    pub now: AiringItem,
    /// What follows by the schedule loaded (absent past its end).
    pub next: Option<AiringItem>,
}

/// One item a channel's engine airs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct AiringItem {
    /// Programme (a file of the schedule or the channel's cycle), filler, slate, live or alert.
    pub kind: AiringKind,
    /// Its title; absent for the slate and for a programme its reader may not see.
    pub title: Option<String>,
    /// The programme's id, when it is one (a file item of the schedule or cycle).
    #[serde(skip)]
    pub programme: Option<String>,
    /// When it began (absent when not known: an alert).
    pub start: Option<chrono::DateTime<chrono::Utc>>,
    /// When it ends (absent when not known: an alert, a gap with nothing after it).
    pub stop: Option<chrono::DateTime<chrono::Utc>>,
}

/// What kind of thing airs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AiringKind {
    /// A programme.
    Programme,
    /// A filler (an ident, a public-service spot) of the schedule or of the channel's list.
    Filler,
    /// The slate.
    Slate,
    /// A live relay.
    Live,
    /// An emergency alert overriding the schedule.
    Alert,
}

/// No channels: an API-only process.
pub struct NoChannels;

impl ChannelMetrics for NoChannels {
    fn prometheus(&self) -> String {
        String::new()
    }
}

/// What `/metrics` serves from.
#[derive(Clone)]
pub struct Channels(pub Arc<dyn ChannelMetrics>);

impl FromRef<AppState> for Channels {
    fn from_ref(state: &AppState) -> Self {
        Channels(state.on_air.clone())
    }
}

/// `GET /metrics`.
pub async fn metrics(State(channels): State<Channels>) -> impl IntoResponse {
    ([(CONTENT_TYPE, CONTENT_TYPE_0_0_4)], channels.0.prometheus())
}

/// Serves `GET /metrics` of `channels` alone on `listener` until `shutdown` (a remote node).
///
/// # Errors
/// An I/O error of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    channels: Arc<dyn ChannelMetrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new().route("/metrics", get(metrics)).with_state(Channels(channels));
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
