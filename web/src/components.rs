//! The parts that run beside the API in one process (`kapok serve`) or alone (`kapok worker`).

use catalog::media::MediaStore;
use catalog::Store;
use ingest::worker::{Worker, WorkerConfig};

use crate::config::Config;

/// An ingest worker named after this host and process, working under `<data>/work`.
pub fn ingest_worker(config: &Config, store: Store, media: MediaStore, concurrency: usize) -> Worker {
    let host =
        std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "kapok".into());
    let mut wc = WorkerConfig::new(format!("{host}:{}", std::process::id()), config.data.join("work"));
    wc.concurrency = concurrency.max(1);
    Worker::new(store, media, wc)
}

/// Puts this server's channels on air (making the demo channels on a first run) and keeps
/// them there until `shutdown`; then stops them cleanly. A failure is logged, not fatal: the
/// API stays up.
pub async fn run_channels(
    data: std::path::PathBuf,
    store: Store,
    media: MediaStore,
    desk: crate::emergency::EmergencyDesk,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let channels = match crate::demo::seed_if_empty(&store, &media, &data.join("work").join("demo")).await {
        Ok(Some(made)) => {
            tracing::info!(channels = made.len(), "first run: demo channels and programmes made");
            Ok(made)
        }
        Ok(None) => crate::demo::load(&store).await,
        Err(e) => Err(e),
    };
    let channels = match channels {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "channels not started");
            return shutdown.await;
        }
    };
    let started =
        tokio::task::spawn_blocking(move || crate::onair::OnAir::start_demo(&data, &store, &media, &channels, &desk));
    let on_air = match started.await.map_err(|e| e.to_string()).and_then(|r| r) {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "channels not started");
            return shutdown.await;
        }
    };
    shutdown.await;
    let _ = tokio::task::spawn_blocking(move || on_air.stop()).await;
}
