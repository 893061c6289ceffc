//! `/api/programmes`: listing and Chinese search, creating (metadata only), reading and
//! editing with optimistic concurrency, a programme's audit trail and assets.
//!
//! Another centre's private programme answers 404, as if it did not exist; another centre's
//! shared programme can be read but answers 403 to a change (see [`crate::auth::policy`]).

pub mod qc;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use catalog::audit::{Actor, AuditEntry};
use catalog::ids::{CentreCode, ProgrammeId};
use catalog::programme::{Category, NewProgramme, Programme, ProgrammeEdit, ProgrammeStatus, Sharing};
use catalog::store::programme_query::ProgrammeQuery;
use catalog::store::ProgrammeFilter;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::policy::{allows, decide, Decision, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::events::Event;
use crate::extract::{parse_id, ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

/// The largest page.
pub const MAX_PAGE: i64 = 100;
/// The longest search text accepted.
pub const MAX_QUERY_CHARS: usize = 200;

/// Filters of a programme listing. Unknown parameters are refused.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Producing centre, e.g. `510421`.
    pub centre: Option<String>,
    /// A category from the controlled list, e.g. `涉农`.
    pub category: Option<String>,
    /// `uploading`, `queued`, `processing`, `ready` or `failed`.
    pub status: Option<String>,
    /// Free text, Chinese or mixed (`芒果`, `2024年`, `CCTV`): ranked by relevance, one page.
    pub q: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1-100 (larger values are clamped to 100).
    pub limit: Option<i64>,
    /// `true`: only programmes shared with the network; `false`: only private ones.
    pub shared: Option<bool>,
    /// Shortest duration, milliseconds (programmes without a duration yet are left out).
    pub min_duration_ms: Option<i64>,
    /// Longest duration, milliseconds.
    pub max_duration_ms: Option<i64>,
    /// Created at or after this instant (RFC 3339, e.g. `2026-11-01T00:00:00+08:00`).
    pub from: Option<String>,
    /// Created before this instant (RFC 3339).
    pub until: Option<String>,
    /// `oldest` (default) or `newest` first; a text search is ranked by relevance instead.
    pub sort: Option<String>,
}

/// A new programme's metadata; the media is uploaded separately.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeCreate {
    pub centre: CentreCode,
    pub title: String,
    #[serde(default)]
    pub series: Option<String>,
    #[serde(default)]
    pub episode: Option<i32>,
    #[serde(default)]
    pub description: String,
    pub category: Category,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub sharing: Option<Sharing>,
    #[serde(default)]
    pub rights_from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub rights_until: Option<DateTime<Utc>>,
}

impl ProgrammeCreate {
    fn into_new(self) -> NewProgramme {
        let mut n = NewProgramme::new(self.centre, self.title, self.category);
        n.series = self.series;
        n.episode = self.episode;
        n.description = self.description;
        if let Some(l) = self.language {
            n.language = l;
        }
        n.tags = self.tags;
        if let Some(s) = self.sharing {
            n.sharing = s;
        }
        n.rights_from = self.rights_from;
        n.rights_until = self.rights_until;
        n
    }
}

/// The audit actor for a principal: the user, and the API token when it came with one.
pub fn actor(p: &Principal) -> Actor {
    match &p.token {
        Some(token) => Actor::user_via_token(&p.username, token),
        None => Actor::user(&p.username),
    }
}

fn parse_or_400<T>(
    what: &str,
    v: Option<&str>,
    parse: impl Fn(&str) -> catalog::Result<T>,
) -> Result<Option<T>, ApiError> {
    v.map(|s| parse(s).map_err(|e| ApiError::bad_request(format!("{what}: {e}")))).transpose()
}

/// Builds the store filter for `p` from the query, refusing what cannot be meant.
///
/// # Errors
/// 400 naming the bad parameter.
pub fn filter_for(p: &Principal, q: &ListQuery) -> Result<ProgrammeQuery, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if limit < 1 {
        return Err(ApiError::bad_request("limit must be at least 1"));
    }
    if q.q.as_ref().is_some_and(|t| t.chars().count() > MAX_QUERY_CHARS) {
        return Err(ApiError::bad_request(format!("q is longer than {MAX_QUERY_CHARS} characters")));
    }
    for (name, v) in [("min_duration_ms", q.min_duration_ms), ("max_duration_ms", q.max_duration_ms)] {
        if v.is_some_and(|d| d < 0) {
            return Err(ApiError::bad_request(format!("{name} must not be negative")));
        }
    }
    if let (Some(a), Some(b)) = (q.min_duration_ms, q.max_duration_ms) {
        if a > b {
            return Err(ApiError::bad_request("min_duration_ms is greater than max_duration_ms"));
        }
    }
    let instant = |name: &str, v: Option<&str>| -> Result<Option<DateTime<Utc>>, ApiError> {
        v.map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| ApiError::bad_request(format!("{name}: {s:?} is not an RFC 3339 instant ({e})")))
        })
        .transpose()
    };
    let newest_first = match q.sort.as_deref() {
        None | Some("oldest") => false,
        Some("newest") => true,
        Some(other) => return Err(ApiError::bad_request(format!("sort: {other:?} is not oldest or newest"))),
    };
    let filter = ProgrammeFilter {
        centre: parse_or_400("centre", q.centre.as_deref(), CentreCode::parse)?,
        visible_to: (p.role != catalog::user::Role::NetworkAdmin).then(|| p.centre.clone()),
        status: parse_or_400("status", q.status.as_deref(), ProgrammeStatus::parse)?,
        category: parse_or_400("category", q.category.as_deref(), Category::parse)?,
        query: q.q.clone().filter(|t| !t.trim().is_empty()),
        after: parse_or_400("after", q.after.as_deref(), ProgrammeId::parse)?,
        limit: limit.min(MAX_PAGE),
    };
    Ok(ProgrammeQuery {
        filter,
        sharing: q.shared.map(|s| if s { Sharing::Network } else { Sharing::Private }),
        min_duration_ms: q.min_duration_ms,
        max_duration_ms: q.max_duration_ms,
        created_from: instant("from", q.from.as_deref())?,
        created_until: instant("until", q.until.as_deref())?,
        newest_first,
    })
}

/// One page of a programme listing or search.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProgrammePage {
    pub items: Vec<Programme>,
    /// The `after` cursor of the next page; null on the last one.
    pub next: Option<String>,
}

/// Programmes the caller may read: its centre's and those shared with the network.
#[utoipa::path(get, path = "/api/programmes", tag = "catalog", params(ListQuery),
    responses((status = 200, body = ProgrammePage),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_programmes(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let pq = filter_for(&p, &q)?;
    let run = || async {
        let items = state.store.query_programmes(&pq).await?;
        let f = &pq.filter;
        // A full page has a next one, listed or ranked alike (`after` continues either order).
        let next = (items.len() as i64 == f.limit).then(|| items.last().map(|x| x.id.to_string())).flatten();
        let body = serde_json::to_vec(&ProgrammePage { items, next }).map_err(ApiError::internal)?;
        Ok::<_, ApiError>(Bytes::from(body))
    };
    // Only ranked searches are cached: they are the expensive ones.
    let body = match pq.filter.query {
        Some(_) => {
            let key = format!("{:?}|{q:?}", pq.filter.visible_to);
            state.search_cache.get_or_compute(&key, run).await?
        }
        None => run().await?,
    };
    Ok(json_bytes(body))
}

fn json_bytes(body: Bytes) -> Response {
    ([(CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

fn shared(pr: &Programme) -> bool {
    pr.sharing == Sharing::Network
}

/// Loads a programme the caller may read, else 404.
///
/// # Errors
/// 404 when it does not exist or is another centre's private programme.
pub async fn readable(state: &AppState, p: &Principal, id: &str) -> Result<Programme, ApiError> {
    let id = parse_id("programme", id, ProgrammeId::parse)?;
    let pr = state.store.get_programme(id).await?;
    if allows(p, Permission::ReadProgramme, Some(&pr.centre), shared(&pr)) {
        Ok(pr)
    } else {
        Err(ApiError::not_found(format!("programme not found: {id}")))
    }
}

/// The event published for a programme.
pub fn programme_event(kind: &str, pr: &Programme) -> Event {
    Event {
        kind: kind.into(),
        centre: Some(pr.centre.clone()),
        shared: shared(pr),
        payload: serde_json::json!({ "id": pr.id, "title": pr.title, "status": pr.status, "version": pr.version,
            "reason": pr.reason }),
    }
}

/// Creates a programme's metadata (status `uploading`) in the caller's centre.
#[utoipa::path(post, path = "/api/programmes", tag = "catalog", request_body = ProgrammeCreate,
    responses((status = 201, body = Programme), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_programme(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<ProgrammeCreate>,
) -> Result<(StatusCode, Json<Programme>), ApiError> {
    if !allows(&p, Permission::WriteProgramme, Some(&body.centre), false) {
        return Err(ApiError::forbidden(format!("{} may not create programmes for centre {}", p.role, body.centre)));
    }
    let pr = state.store.create_programme(&actor(&p), &body.into_new(), ProgrammeStatus::Uploading).await?;
    state.search_cache.invalidate();
    state.events.publish(programme_event("programme.created", &pr));
    Ok((StatusCode::CREATED, Json(pr)))
}

/// One programme.
#[utoipa::path(get, path = "/api/programmes/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = Programme), (status = 404, body = ErrorBody)))]
pub async fn get_programme(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Programme>, ApiError> {
    Ok(Json(readable(&state, &p, &id).await?))
}

/// Edits a programme's metadata. `version` must be the version read: a concurrent change
/// answers 409 instead of being overwritten. Unknown fields are refused.
#[utoipa::path(patch, path = "/api/programmes/{id}", tag = "catalog", params(("id" = String, Path)),
    request_body = ProgrammeEdit,
    responses((status = 200, body = Programme), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_programme(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(edit): ApiJson<ProgrammeEdit>,
) -> Result<Json<Programme>, ApiError> {
    let pid = parse_id("programme", &id, ProgrammeId::parse)?;
    let current = state.store.get_programme(pid).await?;
    match decide(&p, Permission::WriteProgramme, Permission::ReadProgramme, Some(&current.centre), shared(&current)) {
        Decision::Allow => {}
        Decision::Hidden => return Err(ApiError::not_found(format!("programme not found: {pid}"))),
        Decision::Forbidden => {
            return Err(ApiError::forbidden(format!("{} of {} may not change this programme", p.role, p.centre)))
        }
    }
    // Making a programme private to another centre is also a change of who may see it.
    let pr = state.store.update_programme(&actor(&p), pid, &edit).await?;
    state.search_cache.invalidate();
    state.events.publish(programme_event("programme.updated", &pr));
    Ok(Json(pr))
}

/// The programme `id` if `p` may change it (403 for a programme it may only read, 404 for
/// one it may not see).
async fn writable(state: &AppState, p: &Principal, id: &str) -> Result<Programme, ApiError> {
    let pid = parse_id("programme", id, ProgrammeId::parse)?;
    let current = state.store.get_programme(pid).await?;
    match decide(p, Permission::WriteProgramme, Permission::ReadProgramme, Some(&current.centre), shared(&current)) {
        Decision::Allow => Ok(current),
        Decision::Hidden => Err(ApiError::not_found(format!("programme not found: {pid}"))),
        Decision::Forbidden => {
            Err(ApiError::forbidden(format!("{} of {} may not change this programme", p.role, p.centre)))
        }
    }
}

/// Queues a failed programme's ingest again from its stored source file (after a fix on the
/// server, or a transient fault that outlasted the job's attempts). 409 unless it is failed;
/// 422 when no source file was stored (nothing to process again: delete it instead).
#[utoipa::path(post, path = "/api/programmes/{id}/retry", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = Programme), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn retry_programme(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Programme>, ApiError> {
    let current = writable(&state, &p, &id).await?;
    if current.status != ProgrammeStatus::Failed {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("programme {} is {}: only a failed programme is retried", current.id, current.status.as_str()),
        ));
    }
    let queued = match ingest::submit::queue(&state.store, &actor(&p), &current).await {
        Ok(q) => q,
        Err(ingest::worker::WorkerError::BadInput(why)) => return Err(ApiError::unprocessable(why)),
        Err(ingest::worker::WorkerError::Catalog(e)) => return Err(e.into()),
        Err(e) => return Err(ApiError::internal(e)),
    };
    state.search_cache.invalidate();
    state.events.publish(programme_event("programme.updated", &queued));
    Ok(Json(queued))
}

/// Deletes a programme that never became ready (failed, or an abandoned upload) with its
/// files. 409 for a queued, processing or ready programme.
#[utoipa::path(delete, path = "/api/programmes/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn delete_programme(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let current = writable(&state, &p, &id).await?;
    let keys = state.store.delete_programme(&actor(&p), current.id).await?;
    for key in keys {
        // A file left behind costs space, not correctness: the row that named it is gone.
        if let Ok(k) = catalog::media::Key::parse(key.clone()) {
            if let Err(e) = state.media.delete(&k).await {
                tracing::warn!(%key, error = %e, "media of a deleted programme not removed");
            }
        }
    }
    state.search_cache.invalidate();
    Ok(StatusCode::NO_CONTENT)
}

/// The audit trail of a programme, oldest first: under the rule of `/api/audit` (its
/// before and after values are the audit log's), so the centre's admins and the network admin
/// read it; other roles get 403, another centre's admin 404 for a private programme.
#[utoipa::path(get, path = "/api/programmes/{id}/audit", tag = "audit", params(("id" = String, Path)),
    responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn programme_audit(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let pid = parse_id("programme", &id, ProgrammeId::parse)?;
    let pr = state.store.get_programme(pid).await?;
    match decide(&p, Permission::ReadAudit, Permission::ReadProgramme, Some(&pr.centre), shared(&pr)) {
        Decision::Allow => Ok(Json(state.store.audit_for_object("programme", &pr.id.to_string()).await?)),
        Decision::Hidden => Err(ApiError::not_found(format!("programme not found: {pid}"))),
        Decision::Forbidden => Err(ApiError::forbidden(format!("{} may not read the audit log", p.role))),
    }
}

/// The stored media objects of a programme.
#[utoipa::path(get, path = "/api/programmes/{id}/assets", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = Vec<catalog::asset::Asset>), (status = 404, body = ErrorBody)))]
pub async fn programme_assets(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<catalog::asset::Asset>>, ApiError> {
    let pr = readable(&state, &p, &id).await?;
    Ok(Json(state.store.list_assets(pr.id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalog::user::Role;

    fn who(role: Role) -> Principal {
        Principal {
            user_id: catalog::ids::UserId::new(),
            username: "u".into(),
            role,
            centre: CentreCode::parse("510421").unwrap(),
            token: None,
        }
    }

    #[test]
    fn page_size_is_clamped_and_bad_filters_are_named() {
        let q = ListQuery { limit: Some(1_000_000_000), ..Default::default() };
        assert_eq!(filter_for(&who(Role::Viewer), &q).unwrap().filter.limit, MAX_PAGE);
        for (q, named) in [
            (ListQuery { limit: Some(-1), ..Default::default() }, "limit"),
            (ListQuery { centre: Some("5104".into()), ..Default::default() }, "centre"),
            (ListQuery { category: Some("farming".into()), ..Default::default() }, "category"),
            (ListQuery { after: Some("x".into()), ..Default::default() }, "after"),
            (ListQuery { q: Some("芒".repeat(201)), ..Default::default() }, "q"),
            (ListQuery { min_duration_ms: Some(-1), ..Default::default() }, "min_duration_ms"),
            (ListQuery { min_duration_ms: Some(9), max_duration_ms: Some(1), ..Default::default() }, "min_duration_ms"),
            (ListQuery { from: Some("yesterday".into()), ..Default::default() }, "from"),
            (ListQuery { sort: Some("title".into()), ..Default::default() }, "sort"),
        ] {
            let e = filter_for(&who(Role::Viewer), &q).unwrap_err();
            assert!(e.message.starts_with(named), "{}", e.message);
        }
    }

    #[test]
    fn only_the_network_admin_lists_without_the_visibility_filter() {
        let q = ListQuery::default();
        assert!(filter_for(&who(Role::NetworkAdmin), &q).unwrap().filter.visible_to.is_none());
        assert!(filter_for(&who(Role::CentreAdmin), &q).unwrap().filter.visible_to.is_some());
    }
}
