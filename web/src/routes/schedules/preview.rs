//! `POST /api/channels/{id}/template/preview`: a day generated from a template that is not
//! saved yet, so the template editor can show what it would make before it replaces the
//! channel's template. Nothing is stored.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use catalog::scheduling::known_categories;
use schedules::{check_template, Generator, PlayHistory, ScheduleError, Template};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{channel_for, findings_of, parse_date, relays_of, schedule_error};
use crate::auth::policy::{Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

/// A template to try on one day.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// JSON of a `schedules::Template` (docs/schedules.md).
    #[schema(value_type = Object)]
    pub template: Value,
    /// Broadcast day YYYY-MM-DD.
    pub date: String,
    #[serde(default)]
    pub seed: u64,
}

/// The day the template would make, with its findings and the rules broken.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreviewAnswer {
    /// JSON of a `schedules::Playlist` (docs/schedules.md).
    #[schema(value_type = Object)]
    pub playlist: Value,
    #[schema(value_type = Vec<crate::schema_docs::FindingDoc>)]
    pub findings: Vec<schedules::Finding>,
    #[schema(value_type = Vec<Object>)]
    pub exceptions: Vec<schedules::RuleBreak>,
}

/// Generates `date` from `template` without saving either (no play history: the preview
/// shows the template's rules, not the rotation of earlier days). 422 with `problems` for a
/// template the PUT would refuse.
#[utoipa::path(post, path = "/api/channels/{id}/template/preview", tag = "schedules", params(("id" = String, Path)),
    request_body = PreviewBody,
    responses((status = 200, body = PreviewAnswer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn preview_template(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<PreviewBody>,
) -> Result<Response, ApiError> {
    let (c, ch) = channel_for(&state, &p, &id, Permission::WriteSchedule).await?;
    let day = parse_date(&b.date)?;
    let t: Template =
        serde_json::from_value(b.template).map_err(|e| ApiError::unprocessable(format!("template: {e}")))?;
    let problems = check_template(&t, &ch, &known_categories());
    if !problems.is_empty() {
        return Ok(schedule_error(ScheduleError::Template(problems)));
    }
    let index = state.candidates.get(&state.store, &c.centre).await?;
    let generator = match Generator::new(&ch, &t, &index) {
        Ok(g) => g,
        Err(e) => return Ok(schedule_error(e)),
    };
    let g = generator.day(day, &PlayHistory::new(), b.seed);
    let relays = relays_of(&state.store, &c).await?;
    let findings = findings_of(&g.playlist, &ch, Some(&t), &index, &relays);
    let playlist = serde_json::to_value(&g.playlist).map_err(ApiError::internal)?;
    Ok((StatusCode::OK, Json(PreviewAnswer { playlist, findings, exceptions: g.exceptions })).into_response())
}
