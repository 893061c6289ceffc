//! The job queue on both backends: leases, retries, death, crashed workers, concurrency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use catalog::both_backends;
use catalog::job::{Failure, JobStatus, NewJob};
use catalog::{CatalogError, Store};

const LEASE: Duration = Duration::from_secs(30);

both_backends!(a_job_is_leased_once_and_completed, |store: Store| async move {
    assert!(store.lease("ingest", "w1", LEASE).await.unwrap().is_none(), "empty queue");
    let job = store.enqueue(&NewJob::new("ingest", serde_json::json!({ "file": "a.mp4" }))).await.unwrap();
    let mut lease = store.lease("ingest", "w1", LEASE).await.unwrap().unwrap();
    assert_eq!((lease.job.id, lease.job.attempts, lease.job.status), (job.id, 1, JobStatus::Running));
    assert!(store.lease("ingest", "w2", LEASE).await.unwrap().is_none(), "held by w1");
    assert!(store.lease("other", "w2", LEASE).await.unwrap().is_none(), "kinds are separate");
    store.heartbeat(&mut lease, LEASE, Some(&serde_json::json!({ "stage": "probe", "percent": 10 }))).await.unwrap();
    assert_eq!(store.get_job(job.id).await.unwrap().progress.unwrap()["stage"], "probe");
    let done = store.complete(&lease).await.unwrap();
    assert_eq!(done.status, JobStatus::Done);
    assert!(matches!(store.complete(&lease).await, Err(CatalogError::Conflict(_))), "completing twice");
    assert!(store.lease("ingest", "w2", LEASE).await.unwrap().is_none());
});

both_backends!(a_transient_failure_is_retried_after_backoff_and_a_permanent_one_is_dead, |store: Store| async move {
    let a = store.enqueue(&NewJob::new("ingest", serde_json::json!(1))).await.unwrap();
    let lease = store.lease("ingest", "w1", LEASE).await.unwrap().unwrap();
    let failed = store.fail(&lease, "store timed out", Failure::Transient).await.unwrap();
    assert_eq!(failed.status, JobStatus::Queued);
    assert!(failed.run_at > chrono::Utc::now(), "not due before its backoff");
    assert_eq!(failed.last_error.as_deref(), Some("store timed out"));
    assert!(store.lease("ingest", "w1", LEASE).await.unwrap().is_none(), "backing off");

    let b = store.enqueue(&NewJob::new("ingest", serde_json::json!(2))).await.unwrap();
    let lease = store.lease("ingest", "w1", LEASE).await.unwrap().unwrap();
    assert_eq!(lease.job.id, b.id);
    let dead = store.fail(&lease, "not a media file", Failure::Permanent).await.unwrap();
    assert_eq!(dead.status, JobStatus::Dead);
    let audit = store.audit_for_object("job", &b.id.to_string()).await.unwrap();
    assert_eq!(audit.last().map(|e| e.action.as_str()), Some("job.dead"));
    assert_eq!(store.get_job(a.id).await.unwrap().status, JobStatus::Queued);
});

both_backends!(a_crashed_workers_lease_expires_and_the_job_runs_again_elsewhere, |store: Store| async move {
    let job = store.enqueue(&NewJob { max_attempts: 2, ..NewJob::new("ingest", serde_json::json!({})) }).await.unwrap();
    let stale = store.lease("ingest", "crashed", Duration::from_millis(200)).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut fresh = store.lease("ingest", "w2", LEASE).await.unwrap().unwrap();
    assert_eq!((fresh.job.id, fresh.job.attempts), (job.id, 2));
    assert_eq!(fresh.job.lease_owner.as_deref(), Some("w2"));
    assert!(matches!(store.complete(&stale).await, Err(CatalogError::Conflict(_))), "the stale worker lost it");
    let mut stale = stale;
    assert!(store.heartbeat(&mut stale, LEASE, None).await.is_err());
    store.heartbeat(&mut fresh, Duration::from_millis(100), None).await.unwrap();
    // w2 dies too, on the final attempt: the job is dead, not looping forever.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(store.lease("ingest", "w3", LEASE).await.unwrap().is_none());
    let job = store.get_job(job.id).await.unwrap();
    assert_eq!(job.status, JobStatus::Dead);
    assert!(job.last_error.unwrap().contains("lease expired"));
});

both_backends!(concurrent_workers_run_every_job_exactly_once, |store: Store| async move {
    const JOBS: usize = 120;
    for i in 0..JOBS {
        store.enqueue(&NewJob::new("ingest", serde_json::json!(i))).await.unwrap();
    }
    let runs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let running: Arc<Mutex<std::collections::HashSet<String>>> = Arc::default();
    let mut workers = Vec::new();
    for w in 0..8 {
        let (store, runs, running) = (store.clone(), runs.clone(), running.clone());
        workers.push(tokio::spawn(async move {
            let owner = format!("w{w}");
            let mut idle = 0;
            while idle < 3 {
                let Some(lease) = store.lease("ingest", &owner, LEASE).await.unwrap() else {
                    idle += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                idle = 0;
                let id = lease.job.id.to_string();
                assert!(running.lock().unwrap().insert(id.clone()), "job {id} leased twice at once");
                tokio::task::yield_now().await;
                running.lock().unwrap().remove(&id);
                *runs.lock().unwrap().entry(id).or_default() += 1;
                store.complete(&lease).await.unwrap();
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs.len(), JOBS, "no job lost");
    assert!(runs.values().all(|&n| n == 1), "no job ran twice");
    assert!(store.list_jobs(Some(JobStatus::Queued), 500).await.unwrap().is_empty());
    assert_eq!(store.list_jobs(Some(JobStatus::Done), 500).await.unwrap().len(), JOBS);
});
