//! `GET /api/channels/{id}/days/{date}/versions`: every editing version of a channel day,
//! oldest first, with what produced it, who and when, and which were published, for the
//! playlist editor's version history.

use axum::extract::State;
use axum::Json;
use catalog::ids::ChannelId;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::auth::policy::{allows, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiPath};
use crate::state::AppState;

/// The editing versions of one channel day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DayVersions {
    pub channel: ChannelId,
    pub date: NaiveDate,
    /// Oldest first.
    pub versions: Vec<DayVersionSummary>,
}

/// One editing version of a day, with the published versions made from it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DayVersionSummary {
    pub version: i64,
    pub parent: Option<i64>,
    pub change: String,
    /// `change` as a code and parameters.
    #[schema(value_type = Object)]
    pub change_phrase: schedules::Phrase,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// How many items its playlist has.
    pub items: usize,
    /// The published versions made from it.
    pub published: Vec<i64>,
    /// The playlist (JSON of `schedules::Playlist`, docs/schedules.md); left out with
    /// `?playlists=false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub playlist: Option<Value>,
}

/// Whether to send each version's playlist (default: yes).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionsQuery {
    pub playlists: Option<bool>,
}

/// Every editing version of the day (an empty list when it has none yet), each with
/// `version`, `parent`, `change`, `created_by`, `created_at`, `items` (how many) and
/// `published` (the published versions made from it), and the `playlist` itself.
#[utoipa::path(get, path = "/api/channels/{id}/days/{date}/versions", tag = "schedules",
    params(("id" = String, Path), ("date" = String, Path, description = "broadcast day YYYY-MM-DD"), VersionsQuery),
    responses((status = 200, body = DayVersions), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn day_versions(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, date)): ApiPath<(String, String)>,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<VersionsQuery>,
) -> Result<Json<DayVersions>, ApiError> {
    let with_playlists = q.playlists.unwrap_or(true);
    let cid = parse_id("channel", &id, ChannelId::parse)?;
    let c = state.store.get_channel(cid).await?;
    // Schedules are readable network-wide (a playout node: its own centre only), as in
    // schedule_routes.
    if !allows(&p, Permission::ReadSchedule, Some(&c.centre), true) {
        return Err(ApiError::not_found(format!("channel not found: {cid}")));
    }
    let day = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .map_err(|_| ApiError::unprocessable(format!("date {date:?} is not YYYY-MM-DD")))?;
    let published = state.store.published_versions(c.id, day).await?;
    // Another centre's reader does not see the channel's private programmes.
    let index = state.candidates.get(&state.store, &c.centre).await?;
    let private = super::private::Redaction::for_reader(&p, &index);
    let versions = state
        .store
        .day_versions(c.id, day)
        .await?
        .into_iter()
        .map(|v| {
            let items = v.playlist.get("items").and_then(Value::as_array).map_or(0, Vec::len);
            let from_it: Vec<i64> =
                published.iter().filter(|p| p.source_version == Some(v.version)).map(|p| p.version).collect();
            DayVersionSummary {
                version: v.version,
                parent: v.parent,
                change_phrase: schedules::phrase::change(&v.change),
                change: v.change,
                created_by: v.created_by,
                created_at: v.created_at,
                items,
                published: from_it,
                playlist: with_playlists.then(|| private.playlist_value(v.playlist)),
            }
        })
        .collect();
    Ok(Json(DayVersions { channel: c.id, date: day, versions }))
}
