//! `/api/jobs`: the work queue as its centre sees it. A job belongs to the centre named by
//! its payload's `centre`, or else to the centre of the programme named by `programme_id`;
//! a job naming neither belongs to the network (network admins only).

use axum::extract::State;
use axum::Json;
use catalog::ids::{CentreCode, JobId, ProgrammeId};
use catalog::job::{Job, JobStatus};
use catalog::Store;
use serde::Deserialize;

use crate::auth::policy::{allows, decide, role_may, Decision, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiPath, ApiQuery};
use crate::state::AppState;

/// Listing options.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// `queued`, `running`, `done` or `dead`.
    pub status: Option<String>,
    /// At most this many (1-500, default 100).
    pub limit: Option<i64>,
}

/// The centre a job belongs to, if any.
pub async fn job_centre(store: &Store, job: &Job) -> Option<CentreCode> {
    if let Some(c) = job.payload.get("centre").and_then(|v| v.as_str()).and_then(|s| CentreCode::parse(s).ok()) {
        return Some(c);
    }
    let pid = job.payload.get("programme_id").and_then(|v| v.as_str()).and_then(|s| ProgrammeId::parse(s).ok())?;
    store.get_programme(pid).await.ok().map(|p| p.centre)
}

/// Jobs of the caller's centre, newest first.
#[utoipa::path(get, path = "/api/jobs", tag = "jobs", params(JobQuery),
    responses((status = 200, body = Vec<Job>), (status = 403, body = ErrorBody)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> Result<Json<Vec<Job>>, ApiError> {
    if !role_may(&p, Permission::ReadJob) {
        return Err(ApiError::forbidden(format!("{} may not read jobs", p.role)));
    }
    let status = q
        .status
        .as_deref()
        .map(JobStatus::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("status: {e}")))?;
    let limit = q.limit.unwrap_or(100);
    if limit < 1 {
        return Err(ApiError::bad_request("limit must be at least 1"));
    }
    let jobs = state.store.list_jobs(status, limit.min(500)).await?;
    let mut out = Vec::with_capacity(jobs.len());
    for j in jobs {
        let centre = job_centre(&state.store, &j).await;
        if allows(&p, Permission::ReadJob, centre.as_ref(), false) {
            out.push(j);
        }
    }
    Ok(Json(out))
}

/// One job of the caller's centre.
#[utoipa::path(get, path = "/api/jobs/{id}", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, body = Job), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_job(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Job>, ApiError> {
    let jid = parse_id("job", &id, JobId::parse)?;
    let job = state.store.get_job(jid).await?;
    let centre = job_centre(&state.store, &job).await;
    match decide(&p, Permission::ReadJob, Permission::ReadJob, centre.as_ref(), false) {
        Decision::Allow => Ok(Json(job)),
        Decision::Hidden => Err(ApiError::not_found(format!("job not found: {jid}"))),
        Decision::Forbidden => Err(ApiError::forbidden(format!("{} may not read jobs", p.role))),
    }
}
