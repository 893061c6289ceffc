//! The parts that run beside the API in one process (`kapok serve`) or alone (`kapok worker`).

use catalog::media::MediaStore;
use catalog::Store;
use ingest::worker::{Worker, WorkerConfig};

use crate::config::Config;

/// An ingest worker named after this host and process, working under `<data>/work`, normalising
/// each programme to its centre's configured loudness target.
pub fn ingest_worker(config: &Config, store: Store, media: MediaStore, concurrency: usize) -> Worker {
    let host =
        std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "kapok".into());
    let mut wc = WorkerConfig::new(format!("{host}:{}", std::process::id()), config.data.join("work"));
    wc.concurrency = concurrency.max(1);
    wc.targets = config.loudness.clone();
    wc.lease = config.worker_lease;
    Worker::new(store, media, wc)
}

/// Puts this server's channels on air (making the demo channels on a first run), lists them
/// in `on_air` (for `/metrics`) and keeps them there until `shutdown`; then stops them
/// cleanly. A failure is logged, not fatal: the API stays up.
pub async fn run_channels(
    data: std::path::PathBuf,
    store: Store,
    media: MediaStore,
    desk: crate::desk::EmergencyDesk,
    on_air_list: crate::metrics::OnAirChannels,
    outputs: Vec<(String, playout::OutputTarget)>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let prepare = async {
        let made = crate::demo::seed_if_empty(&store, &media, &data.join("work").join("demo")).await;
        let channels = match made {
            Ok(Some(made)) => {
                tracing::info!(channels = made.len(), "first run: demo channels and programmes made");
                made
            }
            Ok(None) => crate::demo::load(&store).await.map_err(|e| e.to_string())?,
            Err(e) => return Err(e.to_string()),
        };
        tokio::task::spawn_blocking(move || {
            crate::onair::OnAir::start_demo(&data, &store, &media, &channels, &desk, &outputs)
        })
        .await
        .map_err(|e| e.to_string())?
    };
    // A shutdown while the channels are still being prepared wins: the preparation is dropped
    // (its FFmpeg children are killed) and an unfinished first run is redone on the next start.
    let on_air = tokio::select! {
        prepared = prepare => prepared,
        () = &mut shutdown => return,
    };
    match on_air {
        Ok(on_air) => {
            for (slug, handle) in on_air.handles() {
                on_air_list.add(&slug, handle);
            }
            shutdown.await;
            on_air_list.clear();
            let _ = tokio::task::spawn_blocking(move || on_air.stop()).await;
        }
        Err(e) => {
            tracing::error!(error = %e, "channels not started; the API stays up");
            shutdown.await;
        }
    }
}

/// The watch folders of `config.watch_dir` (`<watch_dir>/<centre code>/`), if configured.
pub fn watcher(config: &Config, store: Store, media: MediaStore) -> Option<ingest::watch::Watcher> {
    let root = config.watch_dir.clone()?;
    Some(ingest::watch::Watcher::new(root, store, media, ingest::watch::WatchSettings::default()))
}

/// Publishes `programme.ready` / `programme.failed` on the state's event bus when a worker
/// settles a programme (and drops cached searches, which show statuses).
pub fn settled_events(state: &web::state::AppState) -> ingest::worker::SettledFn {
    let events = state.events.clone();
    let search_cache = state.search_cache.clone();
    std::sync::Arc::new(move |p| {
        let kind =
            if p.status == catalog::programme::ProgrammeStatus::Ready { "programme.ready" } else { "programme.failed" };
        search_cache.invalidate();
        events.publish(web::routes::programmes::programme_event(kind, p));
    })
}
