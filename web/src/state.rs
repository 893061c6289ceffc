//! What every handler can reach.

use catalog::Store;

use catalog::media::MediaStore;

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub media: MediaStore,
}
