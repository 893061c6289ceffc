//! The ingest job worker: leases `ingest` jobs from the catalog queue and turns a stored source
//! into a ready programme. The source is fetched to a private work directory, processed by
//! [`crate::pipeline`] (FFmpeg children, never in-process decoding), every product is stored and
//! recorded, and only then is the programme marked ready. Bad media fails the programme with
//! its reason and the job for good; storage faults are retried with backoff; a worker that
//! dies leaves a lease that expires, and the job runs again elsewhere.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use catalog::asset::AssetKind;
use catalog::audit::Actor;
use catalog::ids::ProgrammeId;
use catalog::job::{Failure, Lease};
use catalog::media::{layout, Key, MediaError, MediaStore};
use catalog::programme::{ProgrammeProgress, ProgrammeStatus};
use catalog::{CatalogError, Store};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::error::ErrorKind;
use crate::pipeline::{self, ProcessOptions, ProcessOutcome, Stage};
use crate::qc::Verdict;
use crate::targets::LoudnessTargets;

/// The queue's name for ingest jobs.
pub const JOB_KIND: &str = "ingest";

/// The payload of an ingest job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestJob {
    pub programme_id: ProgrammeId,
    /// Media-store key of the source file.
    pub source_key: String,
    /// The producing centre (also what decides who may see the job and its progress).
    #[serde(default)]
    pub centre: Option<String>,
}

/// What can stop a job or a submission.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    BadInput(String),
}

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Name of this worker in leases and logs (host and process, say).
    pub owner: String,
    /// Jobs processed at once.
    pub concurrency: usize,
    /// Lease length; heartbeats renew it every third of it.
    pub lease: Duration,
    /// Where work directories are made (one per job, removed after).
    pub work_root: PathBuf,
    /// How long to wait before asking again when the queue is empty.
    pub idle_poll: Duration,
    /// Settings of each ingest; its `target` is replaced per job by `targets`.
    pub options: ProcessOptions,
    /// The loudness target of each producing centre (default: GY/T 282 for all).
    pub targets: LoudnessTargets,
}

impl WorkerConfig {
    /// One job at a time, 60 s leases, work under `work_root`.
    pub fn new(owner: impl Into<String>, work_root: impl Into<PathBuf>) -> Self {
        Self {
            owner: owner.into(),
            concurrency: 1,
            lease: Duration::from_secs(60),
            work_root: work_root.into(),
            idle_poll: Duration::from_millis(500),
            options: ProcessOptions::default(),
            targets: LoudnessTargets::default(),
        }
    }
}

/// Called with each progress step: programme, its centre, stage, overall percent.
pub type ProgressFn = Arc<dyn Fn(ProgrammeId, Option<&str>, Stage, f64) + Send + Sync>;

/// How long a job is held through an outage of the store or the database before the failure
/// counts as an attempt (its lease is renewed meanwhile whenever the database answers).
const OUTAGE_WAIT_MAX: Duration = Duration::from_secs(30 * 60);
/// How often the store and the database are probed while a job is held.
const OUTAGE_POLL: Duration = Duration::from_secs(2);

/// Called once a programme has settled as ready or failed (not for a retry), with the
/// programme as stored.
pub type SettledFn = Arc<dyn Fn(&catalog::programme::Programme) + Send + Sync>;

/// The outcome of one processed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    pub programme_id: Option<ProgrammeId>,
    pub status: ProgrammeStatus,
}

/// An ingest worker over a catalog and a media store.
#[derive(Clone)]
pub struct Worker {
    store: Store,
    media: MediaStore,
    config: WorkerConfig,
    progress: Option<ProgressFn>,
    settled: Option<SettledFn>,
}

impl Worker {
    pub fn new(store: Store, media: MediaStore, config: WorkerConfig) -> Self {
        Self { store, media, config, progress: None, settled: None }
    }

    /// Reports each programme that settles as ready or failed (e.g. to the event stream).
    pub fn on_settled(mut self, f: SettledFn) -> Self {
        self.settled = Some(f);
        self
    }

    /// Reports progress (e.g. to the event stream) as well as to the job row.
    pub fn on_progress(mut self, f: ProgressFn) -> Self {
        self.progress = Some(f);
        self
    }

    /// Runs `concurrency` job loops until `shutdown` completes; a job in progress at shutdown
    /// is cancelled (its FFmpeg children killed) and handed back to the queue for retry.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut loops = Vec::new();
        for n in 0..self.config.concurrency.max(1) {
            let worker = self.clone();
            let mut stop = stop_rx.clone();
            loops.push(tokio::spawn(async move {
                let owner = format!("{}#{n}", worker.config.owner);
                loop {
                    if *stop.borrow() {
                        break;
                    }
                    match worker.run_one_as(&owner, Some(stop.clone())).await {
                        Ok(Some(_)) => continue,
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "ingest worker: queue error"),
                    }
                    tokio::select! {
                        _ = stop.changed() => {}
                        () = tokio::time::sleep(worker.config.idle_poll) => {}
                    }
                }
            }));
        }
        shutdown.await;
        let _ = stop_tx.send(true);
        for l in loops {
            let _ = l.await;
        }
    }

    /// Leases and processes one job, if there is one.
    ///
    /// # Errors
    /// When the queue itself cannot be reached; a failing job is not an error here.
    pub async fn run_one(&self) -> Result<Option<Processed>, WorkerError> {
        self.run_one_as(&self.config.owner, None).await
    }

    async fn run_one_as(
        &self,
        owner: &str,
        stop: Option<tokio::sync::watch::Receiver<bool>>,
    ) -> Result<Option<Processed>, WorkerError> {
        let Some(lease) = self.store.lease(JOB_KIND, owner, self.config.lease).await? else {
            return Ok(None);
        };
        Ok(Some(self.process(lease, stop).await))
    }

    async fn process(&self, lease: Lease, stop: Option<tokio::sync::watch::Receiver<bool>>) -> Processed {
        let actor = Actor::system("ingest");
        let mut job: IngestJob = match serde_json::from_value(lease.job.payload.clone()) {
            Ok(j) => j,
            Err(e) => {
                let _ = self.store.fail(&lease, &format!("bad job payload: {e}"), Failure::Permanent).await;
                return Processed { programme_id: None, status: ProgrammeStatus::Failed };
            }
        };
        let id = job.programme_id;
        if job.centre.is_none() {
            // Queued before jobs named their centre: the programme knows it (and its target).
            job.centre = self.store.get_programme(id).await.ok().map(|p| p.centre.to_string());
        }
        let work = self.work_dir(&lease).await;
        let _ = self.store.set_programme_status(&actor, id, ProgrammeStatus::Processing, &Default::default()).await;
        let mut lease = lease;
        let mut result = self.attempt(&lease, &job, &work, stop.clone()).await;
        // An outage of the store or the database is not the job's fault: the attempt is run
        // again once they are back, instead of spending one of the job's few attempts (five,
        // 30 s of backoff in all: a one-minute S3 outage failed every upload in flight).
        while matches!(&result, Err((_, Failure::Transient))) && self.waited_out_outage(&mut lease, &stop).await {
            result = self.attempt(&lease, &job, &work, stop.clone()).await;
        }
        let _ = tokio::fs::remove_dir_all(&work).await;
        let (status, progress, failure) = match result {
            Ok(outcome) => {
                let (status, progress) = verdict(&outcome);
                // What the house file carries, for scheduling (sound only on a TV channel is
                // warned of, TV-only on radio refused).
                let kind = if outcome.house_probe.video().is_some() { "tv" } else { "radio" };
                if let Err(e) = self.store.set_house_kind(id, kind).await {
                    tracing::warn!(programme = %id, error = %e, "could not record the house kind");
                }
                match self.store.complete(&lease).await {
                    Err(CatalogError::Conflict(why)) => return self.superseded(id, &why).await,
                    // The database stumbled: record the outcome all the same; the job, still
                    // running, is run again when its lease expires, and a re-run is idempotent.
                    Err(e) => tracing::warn!(job = %lease.job.id, error = %e, "ingest finished, job not marked done"),
                    Ok(_) => {}
                }
                (status, progress, None)
            }
            Err((reason, failure)) => {
                tracing::warn!(programme = %id, %reason, "ingest failed");
                let reason = crate::error::without_paths(&reason);
                let job_after = self.store.fail(&lease, &reason, failure).await;
                if let Err(CatalogError::Conflict(why)) = &job_after {
                    return self.superseded(id, why).await;
                }
                let dead = matches!(&job_after, Ok(j) if j.status == catalog::job::JobStatus::Dead);
                let status = if dead { ProgrammeStatus::Failed } else { ProgrammeStatus::Queued };
                let reason = if dead { reason } else { format!("will retry: {reason}") };
                (status, ProgrammeProgress { reason: Some(reason), ..Default::default() }, Some(failure))
            }
        };
        match self.store.set_programme_status(&actor, id, status, &progress).await {
            Ok(p) if matches!(status, ProgrammeStatus::Ready | ProgrammeStatus::Failed) => {
                if let Some(f) = &self.settled {
                    f(&p);
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(programme = %id, error = %e, ?failure, "could not record the ingest outcome"),
        }
        Processed { programme_id: Some(id), status }
    }

    /// After a transient failure: while the media store or the database does not answer,
    /// holds the job (renewing its lease whenever the database answers) until both do, and
    /// says whether there was such an outage to wait out. `false` at once when both answer
    /// (the failure was the attempt's own), when the lease was lost, when the worker is
    /// stopping, or after [`OUTAGE_WAIT_MAX`]: the failure then counts as an attempt.
    async fn waited_out_outage(&self, lease: &mut Lease, stop: &Option<tokio::sync::watch::Receiver<bool>>) -> bool {
        let started = std::time::Instant::now();
        let mut waited = false;
        loop {
            if stop.as_ref().is_some_and(|s| *s.borrow()) || started.elapsed() > OUTAGE_WAIT_MAX {
                return false;
            }
            let store = self.media.check().await;
            let database = self.store.heartbeat(lease, self.config.lease, None).await;
            match (&store, &database) {
                (_, Err(CatalogError::Conflict(_))) => return false,
                (Ok(()), Ok(_)) => return waited,
                _ => {}
            }
            if !waited {
                tracing::warn!(job = %lease.job.id, store = ?store.err(), database = ?database.err(),
                    "ingest held: the media store or the database is unavailable; the attempt runs again when they are back");
            }
            waited = true;
            tokio::time::sleep(OUTAGE_POLL).await;
        }
    }

    /// An attempt whose lease was taken over (it stalled past its lease) leaves the programme
    /// to the attempt that holds the job now: writing its own outcome could turn a programme
    /// the other attempt made ready back into "queued" with no job left to run.
    async fn superseded(&self, id: ProgrammeId, why: &str) -> Processed {
        tracing::warn!(programme = %id, reason = why, "ingest attempt superseded; the programme is left to the new one");
        let status = self.store.get_programme(id).await.map_or(ProgrammeStatus::Processing, |p| p.status);
        Processed { programme_id: Some(id), status }
    }

    /// Fetch, process and store; the error carries the reason and whether to retry.
    async fn attempt(
        &self,
        lease: &Lease,
        job: &IngestJob,
        work: &Path,
        stop: Option<tokio::sync::watch::Receiver<bool>>,
    ) -> Result<ProcessOutcome, (String, Failure)> {
        let transient = |e: &dyn std::fmt::Display| (e.to_string(), Failure::Transient);
        tokio::fs::create_dir_all(work).await.map_err(|e| transient(&e))?;
        let source = work.join("source");
        self.fetch(&job.source_key, &source).await.map_err(|e| match e {
            WorkerError::Media(MediaError::NotFound { .. }) => {
                ("the source file is missing from the store".into(), Failure::Permanent)
            }
            other => transient(&other),
        })?;

        // Progress flows from the blocking pipeline to heartbeats through this cell.
        let state: Arc<Mutex<(Stage, f64)>> = Arc::new(Mutex::new((Stage::Probe, 0.0)));
        let mut options = self.config.options.clone();
        options.target = self.config.targets.for_centre(job.centre.as_deref());
        // A token of this attempt alone: the configured one is shared by every clone of the
        // options, and one attempt cancelled (a heartbeat failed while the database was down)
        // left it cancelled for good, so every later job of this worker failed "cancelled"
        // until its attempts ran out (fault suite, 7 Dec).
        options.cancel = crate::sandbox::CancelToken::new();
        let cancel = options.cancel.clone();
        let (src, dir, cell, progress, id) =
            (source.clone(), work.join("out"), state.clone(), self.progress.clone(), job.programme_id);
        let centre = job.centre.clone();
        let mut task = tokio::task::spawn_blocking(move || {
            pipeline::process_with_progress(&src, &dir, &options, &mut |stage, pct| {
                if let Ok(mut s) = cell.lock() {
                    *s = (stage, pct);
                }
                if let Some(f) = &progress {
                    f(id, centre.as_deref(), stage, pct);
                }
            })
        });
        let mut lease = lease.clone();
        let beat = self.config.lease / 3;
        let outcome = loop {
            let stopped = async {
                match stop.clone() {
                    Some(mut s) => {
                        let _ = s.wait_for(|v| *v).await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                done = &mut task => break done,
                () = tokio::time::sleep(beat) => {
                    let (stage, pct) = state.lock().map(|s| *s).unwrap_or((Stage::Probe, 0.0));
                    let p = serde_json::json!({ "stage": stage, "percent": pct });
                    if self.store.heartbeat(&mut lease, self.config.lease, Some(&p)).await.is_err() {
                        cancel.cancel();
                    }
                }
                () = stopped => cancel.cancel(),
            }
        };
        let outcome = match outcome {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => {
                let failure = if e.kind() == ErrorKind::Retryable { Failure::Transient } else { Failure::Permanent };
                return Err((e.to_string(), failure));
            }
            Err(join) => return Err((format!("the ingest task failed: {join}"), Failure::Transient)),
        };
        // Only while the job is still ours: a stalled attempt must not overwrite the products
        // of the one that took it over.
        self.store.heartbeat(&mut lease, self.config.lease, None).await.map_err(|e| transient(&e))?;
        self.store_products(job.programme_id, &outcome).await.map_err(|e| transient(&e))?;
        Ok(outcome)
    }

    /// A work directory of this attempt alone, after removing those of earlier attempts of the
    /// same job: a worker killed on this machine leaves its directory behind, and its FFmpeg
    /// children (in their own process groups) may still be writing there, so a new attempt
    /// must never share it.
    async fn work_dir(&self, lease: &Lease) -> PathBuf {
        let job = format!("job-{}", lease.job.id);
        if let Ok(mut dir) = tokio::fs::read_dir(&self.config.work_root).await {
            while let Ok(Some(entry)) = dir.next_entry().await {
                if entry.file_name().to_str().is_some_and(|n| n == job || n.starts_with(&format!("{job}-"))) {
                    let _ = tokio::fs::remove_dir_all(entry.path()).await;
                }
            }
        }
        self.config.work_root.join(format!("{job}-{}", lease.job.attempts))
    }

    async fn fetch(&self, key: &str, dest: &Path) -> Result<(), WorkerError> {
        let key = Key::parse(key)?;
        let mut reader = self.media.get(&key).await?.into_reader();
        let mut file = tokio::fs::File::create(dest).await.map_err(|e| WorkerError::Io(e.to_string()))?;
        tokio::io::copy_buf(&mut reader, &mut file).await.map_err(|e| WorkerError::Io(e.to_string()))?;
        file.flush().await.map_err(|e| WorkerError::Io(e.to_string()))?;
        Ok(())
    }

    /// Stores every product and records it; a product already recorded by an earlier attempt
    /// (same kind and key) gets the digest and size of what is stored now, so a re-run leaves
    /// one row per product that describes its object.
    async fn store_products(&self, id: ProgrammeId, outcome: &ProcessOutcome) -> Result<(), WorkerError> {
        for asset in outcome.assets() {
            let (kind, key) = match asset.kind {
                "house" => (AssetKind::House, layout::programme_house(id)?),
                "proxy" => (AssetKind::Proxy, layout::programme_proxy(id)?),
                "poster" => (AssetKind::Poster, layout::programme(id)?.join("poster.jpg")?),
                _ => (AssetKind::Thumbnail, layout::programme_thumbnail(id, 0)?),
            };
            let file = tokio::fs::File::open(&asset.path)
                .await
                .map_err(|e| WorkerError::Io(format!("{}: {e}", asset.path.display())))?;
            let put = self.media.put_stream(&key, file).await?;
            let size = i64::try_from(put.size).unwrap_or(i64::MAX);
            self.store.record_asset(id, kind, key.as_str(), &put.sha256, size).await?;
        }
        Ok(())
    }
}

/// The programme's status after a finished pipeline: ready unless QC failed.
fn verdict(outcome: &ProcessOutcome) -> (ProgrammeStatus, ProgrammeProgress) {
    let qc = serde_json::to_value(&outcome.qc).ok();
    let loudness = serde_json::json!({
        "source": outcome.house.source_loudness,
        "house": outcome.house.house_loudness,
        "gain": outcome.house.plan,
        "target": outcome.target,
    });
    let duration_ms = outcome.house_probe.duration_s.map(|d| (d * 1000.0).round() as i64);
    let (status, reason) = match outcome.qc.verdict {
        Verdict::Fail => (ProgrammeStatus::Failed, Some("QC failed: an editor must review the findings".to_string())),
        _ => (ProgrammeStatus::Ready, None),
    };
    (status, ProgrammeProgress { reason, duration_ms, qc, loudness: Some(loudness) })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use catalog::ids::CentreCode;
    use catalog::job::JobStatus;
    use catalog::programme::{Category, NewProgramme};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_attempt_whose_lease_was_taken_over_leaves_the_programme_and_its_products_alone() {
        let t = catalog::testing::sqlite_store().await;
        let dir = tempfile::tempdir().unwrap();
        let media = MediaStore::local(dir.path().join("media")).unwrap();
        let clip = dir.path().join("clip.mp4");
        let made = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1"])
            .args(["-f", "lavfi", "-i", "sine=duration=1", "-c:v", "libx264", "-preset", "ultrafast", "-shortest"])
            .arg(&clip)
            .status()
            .unwrap();
        assert!(made.success());
        let new = NewProgramme::new(CentreCode::parse("510421").unwrap(), "被接管", Category::parse("涉农").unwrap());
        let p = crate::submit::submit_file(&t.store, &media, &Actor::system("test"), &clip, &new).await.unwrap();

        // This attempt's lease runs out at once; while it checks quality, another worker takes
        // the job over (and is still working on it when this attempt finishes).
        let stale = t.store.lease(JOB_KIND, "stalled", Duration::from_millis(1)).await.unwrap().unwrap();
        let (store, handle) = (t.store.clone(), tokio::runtime::Handle::current());
        let taken = Arc::new(AtomicBool::new(false));
        let took = taken.clone();
        let worker = Worker::new(t.store.clone(), media, WorkerConfig::new("stalled", dir.path().join("work")))
            .on_progress(Arc::new(move |_, _, stage, _| {
                if stage == Stage::Qc && !took.load(Ordering::SeqCst) {
                    let lease = handle.block_on(store.lease(JOB_KIND, "other", Duration::from_secs(60)));
                    took.store(matches!(lease, Ok(Some(_))), Ordering::SeqCst);
                }
            }));
        let done = worker.process(stale.clone(), None).await;
        assert!(taken.load(Ordering::SeqCst), "the other worker took the job over");
        assert_eq!(done.status, ProgrammeStatus::Processing);
        let now = t.store.get_programme(p.id).await.unwrap();
        assert_eq!((now.status, now.reason), (ProgrammeStatus::Processing, None), "left to the new attempt");
        let kinds: Vec<AssetKind> = t.store.list_assets(p.id).await.unwrap().into_iter().map(|a| a.kind).collect();
        assert_eq!(kinds, [AssetKind::Source], "no product of the superseded attempt stored");
        let job = t.store.get_job(stale.job.id).await.unwrap();
        assert_eq!((job.status, job.attempts, job.lease_owner.as_deref()), (JobStatus::Running, 2, Some("other")));
    }

    /// An attempt cancelled because its heartbeat failed (its lease taken over) does not
    /// cancel the worker's next job: the cancel token was shared by every job of a worker.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_attempt_leaves_the_workers_next_job_to_run() {
        let t = catalog::testing::sqlite_store().await;
        let dir = tempfile::tempdir().unwrap();
        let media = MediaStore::local(dir.path().join("media")).unwrap();
        let clip = |name: &str, secs: u32| {
            let path = dir.path().join(name);
            let made = std::process::Command::new("ffmpeg")
                .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
                .arg(format!("testsrc2=size=320x240:rate=25:duration={secs}"))
                .args(["-f", "lavfi", "-i"])
                .arg(format!("sine=duration={secs}"))
                .args(["-c:v", "libx264", "-preset", "ultrafast", "-shortest"])
                .arg(&path)
                .status()
                .unwrap();
            assert!(made.success());
            path
        };
        let centre = CentreCode::parse("510421").unwrap();
        let first = NewProgramme::new(centre.clone(), "被取消", Category::parse("涉农").unwrap());
        let p1 = crate::submit::submit_file(&t.store, &media, &Actor::system("test"), &clip("a.mp4", 3), &first)
            .await
            .unwrap();
        // The first attempt's lease is taken over as soon as it starts; its heartbeat (every
        // 100 ms) then fails and cancels it.
        let stale = t.store.lease(JOB_KIND, "w", Duration::from_millis(1)).await.unwrap().unwrap();
        let (store, handle) = (t.store.clone(), tokio::runtime::Handle::current());
        let taken = Arc::new(AtomicBool::new(false));
        let took = taken.clone();
        let mut config = WorkerConfig::new("w", dir.path().join("work"));
        config.lease = Duration::from_millis(300);
        let worker = Worker::new(t.store.clone(), media.clone(), config).on_progress(Arc::new(move |id, _, _, _| {
            if id == p1.id && !took.load(Ordering::SeqCst) {
                let lease = handle.block_on(store.lease(JOB_KIND, "other", Duration::from_secs(600)));
                took.store(matches!(lease, Ok(Some(_))), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(400));
            }
        }));
        let done = worker.process(stale, None).await;
        assert!(taken.load(Ordering::SeqCst), "the other worker took the first job over");
        assert_ne!(done.status, ProgrammeStatus::Ready, "the first attempt was cancelled");

        let second = NewProgramme::new(centre, "下一个", Category::parse("涉农").unwrap());
        let p2 = crate::submit::submit_file(&t.store, &media, &Actor::system("test"), &clip("b.mp4", 1), &second)
            .await
            .unwrap();
        let lease = t.store.lease(JOB_KIND, "w", Duration::from_secs(60)).await.unwrap().unwrap();
        let done = worker.process(lease, None).await;
        let now = t.store.get_programme(p2.id).await.unwrap();
        assert_eq!((done.status, now.status), (ProgrammeStatus::Ready, ProgrammeStatus::Ready), "{:?}", now.reason);
    }
}
