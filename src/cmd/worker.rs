//! `kapok worker`: an ingest worker (and the watch folders, when configured) against the
//! configured database and store, until SIGINT or SIGTERM.

use std::path::Path;
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{load_config, runtime, Failure};

#[derive(clap::Args)]
pub struct Args {
    /// Jobs processed at once (default: the `worker_concurrency` setting, at least 1).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: Option<u16>,
}

pub fn run(config: Option<&Path>, args: Args) -> Result<ExitCode, Failure> {
    let config = load_config(config)?;
    crate::telemetry::init(config.log_format);
    ingest::allocator::start_giving_back();
    runtime()?.block_on(async {
        let shutdown = crate::shutdown_signal();
        let (store, media) = crate::server::connect(&config).await?;
        let watch = crate::components::watcher(&config, store.clone(), media.clone());
        // A worker process exists to work: `worker_concurrency = 0` (no worker in the
        // server) means one job at a time here.
        let concurrency = args.concurrency.map_or(config.worker_concurrency.max(1), usize::from);
        let worker = crate::components::ingest_worker(&config, store, media, concurrency);
        let stop = CancellationToken::new();
        let tasks = TaskTracker::new();
        if let Some(w) = watch {
            tasks.spawn(w.run(stop.clone().cancelled_owned()));
        }
        let on_signal = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            on_signal.cancel();
        });
        worker.run(stop.clone().cancelled_owned()).await;
        tasks.close();
        tasks.wait().await;
        Ok::<(), Failure>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
