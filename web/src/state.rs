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
    /// Receives emergency alerts and puts them on the channels that run in this process.
    pub desk: crate::emergency::EmergencyDesk,
    /// Resumable uploads (tus): the engine and its limits.
    pub uploads: ingest::upload::Uploads,
    /// API-token look-ups of the last second, dropped when a token is revoked.
    pub tokens: Arc<crate::cache::tokens::TokenCache>,
    /// The channels on air in this process, whose metrics `GET /metrics` serves.
    pub on_air: crate::routes::metrics::OnAirChannels,
}

impl AppState {
    /// State over a store and a media store, with a fresh event bus and login limiter.
    pub fn new(store: Store, media: MediaStore) -> Self {
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
            desk: crate::emergency::EmergencyDesk::new(std::env::temp_dir().join("kapok-alerts")),
            on_air: crate::routes::metrics::OnAirChannels::default(),
        }
    }
}
