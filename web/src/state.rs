//! What every handler can reach.

use std::sync::Arc;

use catalog::media::MediaStore;
use catalog::Store;

use crate::auth::ratelimit::LoginLimiter;
use crate::cache::search::SearchCache;
use crate::events::Bus;

/// How long a search answer is reused.
pub const SEARCH_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub media: MediaStore,
    /// Server-sent events: publish here from any component (`state.events.publish(…)`).
    pub events: Bus,
    /// Failed-login counts per username and per client address.
    pub logins: Arc<LoginLimiter>,
    /// Recent search answers, dropped on every programme change made through the store.
    pub search_cache: Arc<SearchCache>,
    /// Scheduling candidates per centre, rebuilt after a programme change.
    pub candidates: Arc<crate::cache::candidates::CandidateCache>,
    /// The latest editing version of channel days being edited, parsed.
    pub days: Arc<crate::cache::days::DayCache>,
    /// Receives emergency alerts and puts them on the channels that run in this process.
    pub desk: Arc<dyn crate::desk::AlertDesk>,
    /// Resumable uploads (tus): the engine and its limits.
    pub uploads: ingest::upload::Uploads,
    /// API-token look-ups of the last second, dropped when a token is revoked.
    pub tokens: Arc<crate::cache::tokens::TokenCache>,
    /// The channels on air in this process, whose metrics `GET /metrics` serves.
    pub on_air: Arc<dyn crate::routes::metrics::ChannelMetrics>,
    /// The emergency-broadcast platform exchange (`POST /api/ebd`), when configured.
    pub ebd: Option<Arc<dyn crate::routes::ebd::EbdEndpoint>>,
}

impl AppState {
    /// State over a store, a media store and the process's emergency desk, with a fresh event
    /// bus and login limiter and no channels on air (see [`Self::with_channels`]).
    pub fn new(store: Store, media: MediaStore, desk: Arc<dyn crate::desk::AlertDesk>) -> Self {
        Self {
            uploads: ingest::upload::Uploads::new(store.clone(), media.clone(), Default::default()),
            search_cache: Arc::new(SearchCache::following(SEARCH_CACHE_TTL, store.programme_changes())),
            tokens: Arc::new(crate::cache::tokens::TokenCache::following(
                crate::cache::tokens::TOKEN_CACHE_TTL,
                store.credential_changes(),
            )),
            store,
            media,
            events: Bus::new(),
            logins: Arc::new(LoginLimiter::new()),
            candidates: Arc::default(),
            days: Arc::default(),
            desk,
            on_air: Arc::new(crate::routes::metrics::NoChannels),
            ebd: None,
        }
    }

    /// This state, answering `POST /api/ebd` through `endpoint`.
    pub fn with_ebd(mut self, endpoint: Arc<dyn crate::routes::ebd::EbdEndpoint>) -> Self {
        self.ebd = Some(endpoint);
        self
    }

    /// This state, serving the metrics of `channels` at `/metrics`.
    pub fn with_channels(mut self, channels: Arc<dyn crate::routes::metrics::ChannelMetrics>) -> Self {
        self.on_air = channels;
        self
    }
}
