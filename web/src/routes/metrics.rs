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
use std::sync::{Arc, RwLock};

use axum::extract::{FromRef, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use playout::channel::ChannelHandle;

use crate::state::AppState;

/// The content type of the Prometheus text exposition format.
pub const CONTENT_TYPE_0_0_4: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The channels on air in this process, by slug; cheap to clone (shared).
#[derive(Clone, Default)]
pub struct OnAirChannels(Arc<RwLock<Vec<(String, ChannelHandle)>>>);

impl OnAirChannels {
    /// Adds (or replaces) a channel.
    pub fn add(&self, slug: &str, handle: ChannelHandle) {
        if let Ok(mut list) = self.0.write() {
            list.retain(|(s, _)| s != slug);
            list.push((slug.to_owned(), handle));
        }
    }

    /// Forgets every channel (they are being stopped).
    pub fn clear(&self) {
        if let Ok(mut list) = self.0.write() {
            list.clear();
        }
    }

    /// Every channel's metrics, each metric family once.
    pub fn prometheus(&self) -> String {
        let list = self.0.read().map(|l| l.clone()).unwrap_or_default();
        let statuses: Vec<(String, playout::Status)> = list.iter().map(|(s, h)| (s.clone(), h.status())).collect();
        let refs: Vec<(&str, &playout::Status)> = statuses.iter().map(|(s, st)| (s.as_str(), st)).collect();
        playout::status::prometheus_text(&refs)
    }
}

impl FromRef<AppState> for OnAirChannels {
    fn from_ref(state: &AppState) -> Self {
        state.on_air.clone()
    }
}

/// `GET /metrics`.
pub async fn metrics(State(channels): State<OnAirChannels>) -> impl IntoResponse {
    ([(CONTENT_TYPE, CONTENT_TYPE_0_0_4)], channels.prometheus())
}

/// Serves `GET /metrics` of `channels` alone on `listener` until `shutdown` (a remote node).
///
/// # Errors
/// An I/O error of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    channels: OnAirChannels,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new().route("/metrics", get(metrics)).with_state(channels);
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
