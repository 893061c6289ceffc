//! `POST /api/programmes/{id}/qc-override`: an editor of the programme's centre makes a
//! QC-failed programme ready, giving a reason. Audited (who, reason, before/after); refused
//! unless QC failed and the house file was stored, so there is something to air.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use catalog::asset::AssetKind;
use catalog::ids::ProgrammeId;
use catalog::programme::{Programme, ProgrammeStatus, Sharing};
use serde::Deserialize;

use crate::auth::policy::{decide, Decision, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiPath};
use crate::routes::programmes::{actor, programme_event};
use crate::state::AppState;

/// The longest reason accepted, in characters.
pub const MAX_REASON_CHARS: usize = 1000;

/// Why QC is overridden.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QcOverride {
    /// What the editor checked and why the programme may air, e.g. "片头黑场为设计效果".
    pub reason: String,
}

/// Makes a QC-failed programme ready.
#[utoipa::path(post, path = "/api/programmes/{id}/qc-override", tag = "catalog", params(("id" = String, Path)),
    request_body = QcOverride,
    responses((status = 200, body = Programme), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn qc_override(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<QcOverride>,
) -> Result<Json<Programme>, ApiError> {
    let pid = parse_id("programme", &id, ProgrammeId::parse)?;
    let current = state.store.get_programme(pid).await?;
    let shared = current.sharing == Sharing::Network;
    match decide(&p, Permission::WriteProgramme, Permission::ReadProgramme, Some(&current.centre), shared) {
        Decision::Allow => {}
        Decision::Hidden => return Err(ApiError::not_found(format!("programme not found: {pid}"))),
        Decision::Forbidden => {
            return Err(ApiError::forbidden(format!(
                "{} of {} may not override QC of this programme",
                p.role, p.centre
            )))
        }
    }
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::unprocessable("reason must say why the programme may air"));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::unprocessable(format!("reason is longer than {MAX_REASON_CHARS} characters")));
    }
    let qc_failed = current.qc.as_ref().and_then(|q| q.get("verdict")).and_then(|v| v.as_str()) == Some("fail");
    if current.status != ProgrammeStatus::Failed || !qc_failed {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_qc_failed",
            format!("only a programme that failed QC can be overridden; this one is {}", current.status),
        ));
    }
    let assets = state.store.list_assets(pid).await?;
    if !assets.iter().any(|a| a.kind == AssetKind::House) {
        return Err(ApiError::new(StatusCode::CONFLICT, "no_house_file", "the programme has no house file to air"));
    }
    let pr = state.store.override_qc(&actor(&p), &current, reason).await?;
    state.search_cache.invalidate();
    state.events.publish(programme_event("programme.ready", &pr));
    Ok(Json(pr))
}
