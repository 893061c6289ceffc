//! Scheduling candidates per centre, built once per catalog change. Every schedule route
//! (generate, edit, validate, publish, import) needs the whole candidate index of the channel's
//! centre; with 100,000 programmes, reading and indexing it costs far more than generating a
//! day, so the index is kept until the catalog's programme change signal moves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use catalog::ids::CentreCode;
use catalog::Store;
use schedules::CandidateIndex;

use crate::error::ApiError;

/// The latest candidate index of each centre, with the change count it was built at.
#[derive(Debug, Default)]
pub struct CandidateCache {
    built: Mutex<HashMap<CentreCode, (u64, Arc<CandidateIndex>)>>,
}

impl CandidateCache {
    /// The candidates of `centre`, rebuilt when a programme changed since the last build.
    ///
    /// # Errors
    /// 500 when the catalog cannot be read.
    pub async fn get(&self, store: &Store, centre: &CentreCode) -> Result<Arc<CandidateIndex>, ApiError> {
        let changes = store.programme_changes();
        // Read before the query: a change racing the query leaves the entry already stale.
        let at = changes.current();
        if let Some((n, index)) = self.built.lock().unwrap_or_else(PoisonError::into_inner).get(centre) {
            if *n == at {
                return Ok(index.clone());
            }
        }
        let index = Arc::new(catalog::scheduling::candidates(store, centre).await?);
        self.built.lock().unwrap_or_else(PoisonError::into_inner).insert(centre.clone(), (at, index.clone()));
        Ok(index)
    }
}
