//! `GET /api/channels/{id}/week`: a channel's days at a glance (the scheduler's week view),
//! each with its state (empty, draft, published, or changed since publishing), its number of
//! items, how much of the day is filled and its validation counts.

use axum::extract::State;
use axum::Json;
use chrono::{Duration, NaiveDate, Utc};
use schedules::{Frames, Playlist, Severity};
use serde::{Deserialize, Serialize};

use super::{channel_for, findings_of, relays_of, template_of};
use crate::auth::policy::{Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

/// The most days one answer covers.
const MAX_DAYS: i64 = 31;

/// The first day and how many (default: today's broadcast day, 7 days).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WeekQuery {
    pub from: Option<NaiveDate>,
    pub days: Option<i64>,
}

/// Where a day stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayState {
    /// No version yet.
    Empty,
    /// Versions, none published.
    Draft,
    /// The latest version is published.
    Published,
    /// Published, and edited since.
    Changed,
}

/// One day of the week view.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DaySummary {
    pub date: NaiveDate,
    pub state: DayState,
    pub version: Option<i64>,
    pub published_version: Option<i64>,
    pub items: usize,
    /// Seconds of the day covered by items (gaps are dead air).
    pub filled_secs: f64,
    pub day_secs: f64,
    pub errors: usize,
    pub warnings: usize,
    /// Dead-air gaps (`gap` findings).
    pub gaps: usize,
}

/// The channel's days from `from` (default: today's broadcast day), `days` of them (default
/// 7, at most 31).
#[utoipa::path(get, path = "/api/channels/{id}/week", tag = "schedules", params(("id" = String, Path), WeekQuery),
    responses((status = 200, body = Vec<DaySummary>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn week(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<WeekQuery>,
) -> Result<Json<Vec<DaySummary>>, ApiError> {
    let (c, ch) = channel_for(&state, &p, &id, Permission::ReadSchedule).await?;
    let days = q.days.unwrap_or(7);
    if !(1..=MAX_DAYS).contains(&days) {
        let msg = format!("days must be 1 to {MAX_DAYS}");
        return Err(ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "week_days", msg).with("max", MAX_DAYS));
    }
    let from = q.from.unwrap_or_else(|| ch.day_at(Utc::now()).date);
    let t = template_of(&state.store, &c).await?;
    let index = state.candidates.get(&state.store, &c.centre).await?;
    let relays = relays_of(&state.store, &c).await?;
    let mut out = Vec::new();
    for k in 0..days {
        let date = from + Duration::days(k);
        let latest = state.store.latest_day_version(c.id, date).await?;
        let published = state.store.published_versions(c.id, date).await?;
        let source = published.last().and_then(|p| p.source_version);
        let Some(v) = latest else {
            let empty = Playlist::empty(&ch, date);
            let day_secs = empty.rate.to_media(empty.length()).as_secs_f64();
            out.push(DaySummary {
                date,
                state: DayState::Empty,
                version: None,
                published_version: published.last().map(|p| p.version),
                items: 0,
                filled_secs: 0.0,
                day_secs,
                errors: 0,
                warnings: 0,
                gaps: 0,
            });
            continue;
        };
        let playlist: Playlist = serde_json::from_value(v.playlist).map_err(ApiError::internal)?;
        let findings = findings_of(&playlist, &ch, t.as_ref(), &index, &relays);
        let len = playlist.length();
        let filled: Frames = playlist
            .items
            .iter()
            .map(|it| it.end().min(len) - it.start.max(Frames::ZERO).min(len))
            .fold(Frames::ZERO, |a, b| a + b.max(Frames::ZERO));
        let state = match (published.last(), source) {
            (None, _) => DayState::Draft,
            (Some(_), Some(s)) if s == v.version => DayState::Published,
            (Some(_), _) => DayState::Changed,
        };
        out.push(DaySummary {
            date,
            state,
            version: Some(v.version),
            published_version: published.last().map(|p| p.version),
            items: playlist.items.len(),
            filled_secs: playlist.rate.to_media(filled).as_secs_f64(),
            day_secs: playlist.rate.to_media(len).as_secs_f64(),
            errors: findings.iter().filter(|f| f.severity == Severity::Error).count(),
            warnings: findings.iter().filter(|f| f.severity == Severity::Warning).count(),
            gaps: findings.iter().filter(|f| f.code == "gap").count(),
        });
    }
    Ok(Json(out))
}
