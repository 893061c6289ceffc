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
