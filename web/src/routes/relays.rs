//! `/api/centres/{code}/relays`: a centre's live relays, the only remote sources its schedules
//! may air (issue 19). Its administrator (and the network's) keeps the list; its schedulers
//! and everyone else of the centre read it; other centres' lists are not theirs to see.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use catalog::ids::CentreCode;
use catalog::store::LiveRelay;
use serde::Deserialize;

use crate::auth::policy::{decide, Decision, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiPath};
use crate::routes::programmes::actor;
use crate::state::AppState;

/// A relay's URI: `srt://`, `udp://`, `rtmp://`, `rtsp://`, or an `http(s)://…m3u8` HLS playlist.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelayBody {
    pub uri: String,
}

fn centre_for(p: &Principal, code: &str, perm: Permission) -> Result<CentreCode, ApiError> {
    let centre = parse_id("centre", code, CentreCode::parse)?;
    match decide(p, perm, Permission::ReadSchedule, Some(&centre), false) {
        Decision::Allow => Ok(centre),
        Decision::Hidden => Err(ApiError::not_found(format!("centre {centre} has no relays you may read"))),
        Decision::Forbidden => {
            Err(ApiError::forbidden(format!("{} of {} may not change centre {centre}'s relays", p.role, p.centre)))
        }
    }
}

/// The centre's live relays, by name.
#[utoipa::path(get, path = "/api/centres/{code}/relays", tag = "schedules", params(("code" = String, Path)),
    responses((status = 200, body = Vec<LiveRelay>), (status = 404, body = ErrorBody)))]
pub async fn list_relays(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<Vec<LiveRelay>>, ApiError> {
    let centre = centre_for(&p, &code, Permission::ReadSchedule)?;
    Ok(Json(state.store.list_relays(&centre).await?))
}

/// Adds relay `name` or points it at a new URI (422 for anything but a relay URI).
#[utoipa::path(put, path = "/api/centres/{code}/relays/{name}", tag = "schedules",
    params(("code" = String, Path), ("name" = String, Path)), request_body = RelayBody,
    responses((status = 200, body = LiveRelay), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn put_relay(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((code, name)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<RelayBody>,
) -> Result<Json<LiveRelay>, ApiError> {
    let centre = centre_for(&p, &code, Permission::WriteChannel)?;
    Ok(Json(state.store.put_relay(&actor(&p), &centre, &name, &b.uri).await?))
}

/// Removes relay `name`: published days naming it air slate in its slot from then on.
#[utoipa::path(delete, path = "/api/centres/{code}/relays/{name}", tag = "schedules",
    params(("code" = String, Path), ("name" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_relay(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((code, name)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let centre = centre_for(&p, &code, Permission::WriteChannel)?;
    state.store.delete_relay(&actor(&p), &centre, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
