//! The job queue's types and its rules (backoff, when a job is dead), free of SQL.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ids::JobId;
use crate::text_enum::text_enum;

text_enum!(
    /// Where a job is. `Queued` jobs wait for `run_at`; `Running` ones hold a lease.
    JobStatus, "job status" {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Dead = "dead",
    }
);

/// A unit of work as stored.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: JobId,
    /// What the job does, e.g. `ingest`.
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: JobStatus,
    /// Leases taken so far (each lease is one attempt).
    pub attempts: i32,
    pub max_attempts: i32,
    /// Not to be leased before this time (backoff after a failure).
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub progress: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub max_attempts: i32,
}

impl NewJob {
    /// A job with the default of 5 attempts.
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        Self { kind: kind.into(), payload, max_attempts: 5 }
    }
}

/// A held lease: proof that this worker, and only it, is running the job now.
/// Heartbeat, complete and fail all require it, so a worker whose lease expired (and whose
/// job another worker took over) cannot overwrite the newer attempt's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub job: Job,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// How a failure should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Worth trying again later (storage hiccup, network).
    Transient,
    /// Will never succeed (bad media): dead at once.
    Permanent,
}

/// The delay before the next attempt after `attempts` attempts: exponential from 2 s, capped
/// at 10 minutes, so a flapping store is retried briskly at first and then left alone.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    let secs = 2u64.saturating_pow(exp).saturating_mul(2);
    Duration::from_secs(secs.min(600))
}

/// What a failure leads to: dead when permanent or out of attempts, else queued again.
pub fn after_failure(attempts: i32, max_attempts: i32, failure: Failure) -> JobStatus {
    if failure == Failure::Permanent || attempts >= max_attempts {
        JobStatus::Dead
    } else {
        JobStatus::Queued
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_two_seconds_and_caps_at_ten_minutes() {
        let secs: Vec<u64> = (1..=10).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(secs, vec![2, 4, 8, 16, 32, 64, 128, 256, 512, 600]);
        assert_eq!(backoff(0).as_secs(), 2);
        assert_eq!(backoff(i32::MAX).as_secs(), 600);
    }

    #[test]
    fn a_job_dies_when_out_of_attempts_or_permanently_failed() {
        assert_eq!(after_failure(1, 3, Failure::Transient), JobStatus::Queued);
        assert_eq!(after_failure(3, 3, Failure::Transient), JobStatus::Dead);
        assert_eq!(after_failure(1, 3, Failure::Permanent), JobStatus::Dead);
    }
}
