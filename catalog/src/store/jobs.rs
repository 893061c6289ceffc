//! The job queue on SQL. A lease is an UPDATE that claims one eligible job and stamps it with a
//! fresh random token; heartbeat, complete and fail only touch the row while that token is
//! still on it. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so concurrent workers never
//! wait on each other; SQLite serialises writers, so the same single statement is atomic there.
//! Eligible: queued and due, or running with an expired lease (its worker died).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::rows::{convert, JobRow, JOB_COLUMNS};
use super::{record_audit, with_pool, Db, Store};
use crate::audit::Actor;
use crate::error::{CatalogError, Result};
use crate::ids::JobId;
use crate::job::{after_failure, backoff, Failure, Job, JobStatus, Lease, NewJob};
use crate::store::BeginWrite;

fn until(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Store {
    /// Queues a job, due now.
    ///
    /// # Errors
    /// `Invalid` when `max_attempts` is below 1.
    pub async fn enqueue(&self, job: &NewJob) -> Result<Job> {
        if job.max_attempts < 1 {
            return Err(CatalogError::invalid("max_attempts", "must be at least 1"));
        }
        let now = Utc::now();
        let sql = format!(
            "INSERT INTO jobs (id, kind, payload, status, max_attempts, run_at, created_at, updated_at) \
             VALUES ($1, $2, $3, 'queued', $4, $5, $5, $5) RETURNING {JOB_COLUMNS}"
        );
        let row: JobRow = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(JobId::new().to_string()).bind(&job.kind).bind(Json(&job.payload))
            .bind(job.max_attempts).bind(now)
            .fetch_one(pool).await)?;
        row.try_into()
    }

    /// Claims the next eligible job of `kind` for `owner` for `lease_for`, or `None` when
    /// there is nothing to do. Jobs whose lease expired on their final attempt are marked dead
    /// first (a job that kills its worker every time must not loop forever).
    ///
    /// # Errors
    /// `Database` when the database fails.
    pub async fn lease(&self, kind: &str, owner: &str, lease_for: Duration) -> Result<Option<Lease>> {
        let now = Utc::now();
        self.reap_expired(kind, now).await?;
        let token = hex::encode(rand::random::<[u8; 16]>());
        let expires_at = until(now, lease_for);
        let pick = "SELECT id FROM jobs WHERE kind = $5 AND attempts < max_attempts \
                    AND ((status = 'queued' AND run_at <= $4) OR (status = 'running' AND lease_expires_at < $4)) \
                    ORDER BY run_at, id LIMIT 1";
        let lock = match self.db {
            Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Db::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_token = $1, lease_owner = $2, \
             lease_expires_at = $3, updated_at = $4 WHERE id = ({pick}{lock}) RETURNING {JOB_COLUMNS}"
        );
        let row: Option<JobRow> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(&token).bind(owner).bind(expires_at).bind(now).bind(kind)
            .fetch_optional(pool).await)?;
        Ok(match row {
            Some(row) => Some(Lease { job: row.try_into()?, token, expires_at }),
            None => None,
        })
    }

    async fn reap_expired(&self, kind: &str, now: DateTime<Utc>) -> Result<()> {
        let sql = "UPDATE jobs SET status = 'dead', lease_token = NULL, lease_expires_at = NULL, updated_at = $1, \
                   last_error = COALESCE(last_error || '; ', '') || 'lease expired on the final attempt (worker died?)' \
                   WHERE kind = $2 AND status = 'running' AND lease_expires_at < $1 AND attempts >= max_attempts \
                   RETURNING id, payload";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let dead: Vec<(String, Json<serde_json::Value>)> = sqlx::query_as(sql).bind(now).bind(kind).fetch_all(&mut *tx).await?;
            for (id, payload) in dead {
                let (centre, programme) = owner_of(&payload.0);
                let centre = match (centre, programme) {
                    (None, Some(p)) => sqlx::query_scalar(PROGRAMME_CENTRE).bind(p).fetch_optional(&mut *tx).await?,
                    (c, _) => c,
                };
                record_audit!(&mut *tx, Actor::system("queue"), "job.dead", "job", id, None::<serde_json::Value>,
                    Some(serde_json::json!({ "reason": "lease expired on the final attempt" })), centre: centre)?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Extends a held lease and optionally records progress.
    ///
    /// # Errors
    /// `Conflict` when the lease is no longer this worker's (it expired and was taken over).
    pub async fn heartbeat(
        &self,
        lease: &mut Lease,
        lease_for: Duration,
        progress: Option<&serde_json::Value>,
    ) -> Result<()> {
        let now = Utc::now();
        let expires_at = until(now, lease_for);
        let sql = "UPDATE jobs SET lease_expires_at = $1, progress = COALESCE($2, progress), updated_at = $3 \
                   WHERE id = $4 AND lease_token = $5 AND status = 'running'";
        let done = with_pool!(self, pool => sqlx::query(sql)
            .bind(expires_at).bind(progress.map(Json)).bind(now).bind(lease.job.id.to_string()).bind(&lease.token)
            .execute(pool).await.map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(lease_lost(lease));
        }
        lease.expires_at = expires_at;
        Ok(())
    }

    /// Marks a leased job done.
    ///
    /// # Errors
    /// `Conflict` when the lease is no longer this worker's.
    pub async fn complete(&self, lease: &Lease) -> Result<Job> {
        let sql = format!(
            "UPDATE jobs SET status = 'done', lease_token = NULL, lease_expires_at = NULL, updated_at = $1 \
             WHERE id = $2 AND lease_token = $3 AND status = 'running' RETURNING {JOB_COLUMNS}"
        );
        let row: Option<JobRow> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(Utc::now()).bind(lease.job.id.to_string()).bind(&lease.token)
            .fetch_optional(pool).await)?;
        row.ok_or_else(|| lease_lost(lease))?.try_into()
    }

    /// Records a failed attempt: queued again after a backoff, or dead when the failure is
    /// permanent or the attempts are spent (audited).
    ///
    /// # Errors
    /// `Conflict` when the lease is no longer this worker's.
    pub async fn fail(&self, lease: &Lease, error: &str, failure: Failure) -> Result<Job> {
        let now = Utc::now();
        let status = after_failure(lease.job.attempts, lease.job.max_attempts, failure);
        let run_at = until(now, backoff(lease.job.attempts));
        let sql = format!(
            "UPDATE jobs SET status = $1, run_at = $2, last_error = $3, lease_token = NULL, lease_expires_at = NULL, \
             updated_at = $4 WHERE id = $5 AND lease_token = $6 AND status = 'running' RETURNING {JOB_COLUMNS}"
        );
        let row: Option<JobRow> = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: Option<JobRow> = sqlx::query_as(&sql)
                .bind(status.as_str()).bind(run_at).bind(error).bind(now)
                .bind(lease.job.id.to_string()).bind(&lease.token)
                .fetch_optional(&mut *tx).await?;
            if row.is_some() && status == JobStatus::Dead {
                let centre = match owner_of(&lease.job.payload) {
                    (None, Some(p)) => sqlx::query_scalar(PROGRAMME_CENTRE).bind(p).fetch_optional(&mut *tx).await?,
                    (c, _) => c,
                };
                record_audit!(&mut *tx, Actor::system("queue"), "job.dead", "job", lease.job.id.to_string(),
                    None::<serde_json::Value>, Some(serde_json::json!({ "reason": error })), centre: centre)?;
            }
            tx.commit().await?;
            row
        });
        row.ok_or_else(|| lease_lost(lease))?.try_into()
    }

    /// One job.
    ///
    /// # Errors
    /// `NotFound` when there is no such job.
    pub async fn get_job(&self, id: JobId) -> Result<Job> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        let row: Option<JobRow> =
            with_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await)?;
        row.ok_or_else(|| CatalogError::not_found("job", id))?.try_into()
    }

    /// Jobs, newest first, optionally of one status; at most `limit` (1..=500).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn list_jobs(&self, status: Option<JobStatus>, limit: i64) -> Result<Vec<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT $2");
        let rows: Vec<JobRow> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(status.map(|s| s.as_str().to_string())).bind(limit.clamp(1, 500)).fetch_all(pool).await)?;
        convert(rows)
    }
}

fn lease_lost(lease: &Lease) -> CatalogError {
    CatalogError::Conflict(format!("the lease on job {} is no longer held (expired and taken over?)", lease.job.id))
}

/// The centre of the programme named (a job's owner when its payload names no centre).
const PROGRAMME_CENTRE: &str = "SELECT centre_code FROM programmes WHERE id = $1";

/// Whose a job is, from its payload: the centre it names (`centre`), and the programme it
/// works on (`programme_id`), whose centre it is otherwise.
fn owner_of(payload: &serde_json::Value) -> (Option<String>, Option<String>) {
    let text = |k: &str| payload.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    (text("centre"), text("programme_id"))
}
