//! Sweeping abandoned uploads: one that received nothing for [`UploadSettings::expiry`] is
//! deleted (segments and row) and its programme marked failed; a completed one's row is
//! forgotten. Safe to run on every node at once: each upload is taken by whoever deletes its
//! row first.
//!
//! [`UploadSettings::expiry`]: super::UploadSettings::expiry

use std::future::Future;
use std::time::Duration;

use catalog::audit::Actor;
use catalog::CatalogError;

use super::{UploadError, Uploads};

/// Uploads handled per pass.
const BATCH: i64 = 100;

impl Uploads {
    /// One pass: every upload expired by now. Returns how many incomplete uploads were
    /// discarded.
    ///
    /// # Errors
    /// `Catalog` when the database cannot be read.
    pub async fn sweep_once(&self) -> Result<usize, UploadError> {
        let actor = Actor::system("upload-sweeper");
        let mut discarded = 0;
        for upload in self.store.expired_uploads(chrono::Utc::now(), BATCH).await? {
            if upload.completed_at.is_some() {
                self.store.delete_upload(upload.id).await?;
                continue;
            }
            let reason = format!(
                "upload abandoned: {} of {} bytes received, nothing more for {} s",
                upload.received,
                upload.length,
                self.settings.expiry.as_secs()
            );
            match self.discard(&actor, &upload, &reason).await {
                Ok(_) => discarded += 1,
                // Another node took it first.
                Err(UploadError::Catalog(CatalogError::NotFound { .. })) => {}
                Err(e) => tracing::warn!(upload = %upload.id, error = %e, "sweeping an upload failed"),
            }
        }
        Ok(discarded)
    }

    /// Sweeps every `every` until `shutdown` completes.
    pub async fn run_sweeper(self, every: Duration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                _ = tick.tick() => {
                    match self.sweep_once().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(discarded = n, "abandoned uploads swept"),
                        Err(e) => tracing::warn!(error = %e, "upload sweep failed"),
                    }
                }
            }
        }
    }

    /// How often to sweep for this expiry: a quarter of it, between 1 s and 5 min.
    pub fn sweep_interval(&self) -> Duration {
        (self.settings.expiry / 4).clamp(Duration::from_secs(1), Duration::from_secs(300))
    }
}
