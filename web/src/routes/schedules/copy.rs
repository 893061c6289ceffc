//! `POST /api/channels/{id}/days/{date}/copy`: the day's current version copied to other
//! broadcast days of the same channel (a week built from one good day), each stored as a new
//! version of its day with its own findings. Nothing is published.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use catalog::schedule::NewDayVersion;
use chrono::{NaiveDate, Utc};
use schedules::{Playlist, Severity};
use serde::{Deserialize, Serialize};

use super::{channel_for, findings_of, parse_date, relays_of, template_of};
use crate::auth::policy::{Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::routes::programmes::actor;
use crate::state::AppState;

/// At most this many days in one copy.
const MAX_DAYS: usize = 31;

/// The days to copy to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyBody {
    /// Broadcast days YYYY-MM-DD (not the source day, not over yet; at most 31).
    pub to: Vec<String>,
}

/// One day written by a copy.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CopiedDay {
    pub date: NaiveDate,
    /// The version the copy is on that day.
    pub version: i64,
    /// Validation errors of the copy on that day (rights, readiness: it is not published).
    pub errors: usize,
}

/// Copies the day's current version to each day of `to`, as a new version there.
#[utoipa::path(post, path = "/api/channels/{id}/days/{date}/copy", tag = "schedules",
    params(("id" = String, Path), ("date" = String, Path, description = "broadcast day YYYY-MM-DD")),
    request_body = CopyBody,
    responses((status = 201, body = Vec<CopiedDay>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn copy_day(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, date)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<CopyBody>,
) -> Result<Response, ApiError> {
    let (c, ch) = channel_for(&state, &p, &id, Permission::WriteSchedule).await?;
    let day = parse_date(&date)?;
    if b.to.is_empty() || b.to.len() > MAX_DAYS {
        let msg = format!("copy to between 1 and {MAX_DAYS} days");
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "copy_days", msg).with("max", MAX_DAYS));
    }
    let mut targets = Vec::with_capacity(b.to.len());
    for t in &b.to {
        let d = parse_date(t)?;
        if d == day {
            let msg = format!("{d} is the day being copied");
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "copy_onto_itself", msg).with("date", d));
        }
        let end = ch.day(d).instant(ch.day(d).length()).with_timezone(&Utc);
        if end <= Utc::now() {
            let msg = format!("broadcast day {d} is already over");
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "day_over", msg).with("date", d));
        }
        if !targets.contains(&d) {
            targets.push(d);
        }
    }
    let source = state.store.latest_day_version(c.id, day).await?;
    let source = source.ok_or_else(|| ApiError::not_found(format!("{} has no playlist for {day}", c.slug)))?;
    let playlist: Playlist = serde_json::from_value(source.playlist).map_err(ApiError::internal)?;
    let t = template_of(&state.store, &c).await?;
    let index = state.candidates.get(&state.store, &c.centre).await?;
    let relays = relays_of(&state.store, &c).await?;
    let change = format!("copied from {day} version {}", source.version);
    let mut out = Vec::with_capacity(targets.len());
    for d in targets {
        let copy = Playlist { date: d, ..playlist.clone() };
        let latest = state.store.latest_day_version(c.id, d).await?.map(|v| v.version);
        let new = NewDayVersion { expected: latest.unwrap_or(0), parent: latest, change: &change, playlist: &copy };
        let v = state.store.append_day_version(&actor(&p), c.id, d, &new).await?;
        let findings = findings_of(&copy, &ch, t.as_ref(), &index, &relays);
        let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
        out.push(CopiedDay { date: d, version: v.version, errors });
    }
    Ok((StatusCode::CREATED, Json(out)).into_response())
}
