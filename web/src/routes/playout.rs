//! `/api/channels/{id}/…` for remote playout nodes (`kapok playout --channel`): the published
//! days as playout playlists, as-run records in, the channel's house media by checksum, and
//! the emergency alerts that target the channel. The contract of
//! `playout::channel::{HttpSource, HttpAsRunSink}` and `crate::playout_node`.
//!
//! Reading follows the schedules (network-wide, a `playout_node` only its own centre's);
//! writing as-run needs `WriteAsRun` on the channel's centre (its `playout_node` or admin).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use catalog::asrun::AsRunEntry;
use catalog::asset::AssetKind;
use catalog::channel::{Channel, ChannelKind};
use catalog::ids::ChannelId;
use chrono::{DateTime, Duration, Utc};
use schedules::emergency::targeting::{ChannelCoverage, ChannelId as CoverageId, ChannelKind as CoverageKind};
use schedules::emergency::AreaCode;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::policy::{decide, Decision, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

/// The longest playlist window a node may ask for.
const MAX_WINDOW_DAYS: i64 = 8;

/// A playlist window (RFC 3339; default now to 48 h on; at most 8 days).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// One as-run record as a playout node posts it (`playout::asrun::AsRunRecord`); fields not
/// named here are kept in the stored detail.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AsRunBody {
    pub id: Option<String>,
    pub title: Option<String>,
    pub source: Option<String>,
    /// Wall-clock scheduled start (RFC 3339).
    pub scheduled_wall: Option<DateTime<Utc>>,
    /// Wall-clock actual start (RFC 3339); absent for a skipped item (recorded at receipt).
    pub actual_wall: Option<DateTime<Utc>>,
    /// Seconds aired (0 to 7 days).
    pub actual_duration_s: f64,
    /// `played`, `fallback`, `cut`, `skipped`, `interrupted`.
    pub outcome: String,
    pub reason: Option<String>,
}

const OUTCOMES: &[&str] = &["played", "fallback", "cut", "skipped", "interrupted"];

/// The channel `id` if `p` may do `perm` on it (404 when it may not even read it).
pub(crate) async fn channel_for(
    state: &AppState,
    p: &Principal,
    id: &str,
    perm: Permission,
) -> Result<Channel, ApiError> {
    let cid = parse_id("channel", id, ChannelId::parse)?;
    let c = state.store.get_channel(cid).await?;
    match decide(p, perm, Permission::ReadSchedule, Some(&c.centre), true) {
        Decision::Allow => Ok(c),
        Decision::Hidden => Err(ApiError::not_found(format!("channel not found: {cid}"))),
        Decision::Forbidden => {
            Err(ApiError::forbidden(format!("{} of {} may not write this channel's as-run", p.role, p.centre)))
        }
    }
}

/// The published days overlapping the window, as playout playlists (`docs/playlist.md`, every
/// item with its wall-clock `start`); `media://` sources name house files by key and sha256.
#[utoipa::path(get, path = "/api/channels/{id}/playlists", tag = "schedules",
    params(("id" = String, Path), WindowQuery),
    responses((status = 200, body = Vec<crate::schema_docs::PlayoutPlaylistDoc>), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn playlists(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let c = channel_for(&state, &p, &id, Permission::ReadSchedule).await?;
    let from = q.from.unwrap_or_else(Utc::now);
    let until = q.until.unwrap_or(from + Duration::hours(48));
    if until <= from || until - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(ApiError::unprocessable(format!(
            "the window must be from < until, at most {MAX_WINDOW_DAYS} days"
        )));
    }
    let mut docs = catalog::scheduling::published_playout_json(&state.store, &c, from, until).await?;
    // Another centre's reader does not see the channel's private programmes (nor their keys).
    let index = state.candidates.get(&state.store, &c.centre).await?;
    crate::routes::schedules::private::Redaction::for_reader(&p, &index).playout_json(&mut docs);
    Ok(Json(docs))
}

/// A stored as-run record: its row id and the channel's slug.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AsRunStored {
    pub id: i64,
    pub channel: String,
}

/// Stores one as-run record of the channel (from its playout node).
#[utoipa::path(post, path = "/api/channels/{id}/as-run", tag = "schedules", params(("id" = String, Path)),
    request_body = AsRunBody,
    responses((status = 201, body = AsRunStored), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn post_as_run(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(detail): ApiJson<Value>,
) -> Result<(StatusCode, Json<AsRunStored>), ApiError> {
    let c = channel_for(&state, &p, &id, Permission::WriteAsRun).await?;
    let r: AsRunBody = serde_json::from_value(detail.clone())
        .map_err(|e| ApiError::unprocessable(format!("not an as-run record: {e}")))?;
    if !OUTCOMES.contains(&r.outcome.as_str()) {
        return Err(ApiError::unprocessable(format!("outcome {:?} is not one of {}", r.outcome, OUTCOMES.join(", "))));
    }
    if !(0.0..=7.0 * 86_400.0).contains(&r.actual_duration_s) {
        return Err(ApiError::unprocessable("actual_duration_s must be between 0 and 7 days"));
    }
    let entry = AsRunEntry {
        id: 0,
        channel: c.slug.clone(),
        item_id: r.id,
        title: r.title,
        source: r.source,
        scheduled_start: r.scheduled_wall,
        actual_start: r.actual_wall.unwrap_or_else(Utc::now),
        duration_ms: (r.actual_duration_s * 1000.0).round() as i64,
        outcome: r.outcome,
        reason: r.reason,
        detail,
    };
    let stored = state.store.record_as_run(&entry).await?;
    Ok((StatusCode::CREATED, Json(AsRunStored { id: stored, channel: c.slug })))
}

/// A house file aired by the channel, by its SHA-256 (the `sha256` of a `media://` source);
/// Range requests as `/api/assets/{id}/content`. 404 when no visible house asset has it.
#[utoipa::path(get, path = "/api/channels/{id}/media/{sha256}", tag = "schedules",
    params(("id" = String, Path), ("sha256" = String, Path)),
    responses((status = 200, description = "the whole object"), (status = 206, description = "the requested range"),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn media(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, sha256)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    channel_for(&state, &p, &id, Permission::ReadSchedule).await?;
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::unprocessable(format!("{sha256:?} is not a SHA-256 in hex")));
    }
    let sha256 = sha256.to_ascii_lowercase();
    let asset = state
        .store
        .find_asset_by_sha256(AssetKind::House, &sha256)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no house file with sha256 {sha256}")))?;
    // Visibility and ranges are the asset route's.
    crate::routes::assets::asset_content(State(state), p, ApiPath(asset.id.to_string()), headers).await
}

/// The channel as alert targeting sees it (as `kapok serve` registers its own channels).
pub fn coverage(c: &Channel) -> ChannelCoverage {
    ChannelCoverage {
        id: CoverageId(c.slug.clone()),
        kind: match c.kind {
            ChannelKind::Tv => CoverageKind::Tv,
            ChannelKind::Radio => CoverageKind::Radio,
        },
        area_codes: AreaCode::parse(c.centre.as_str()).into_iter().collect(),
        allows_drills: true,
        polygon: None,
    }
}

/// An alert not yet ended that targets a channel.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ActiveAlert {
    pub key: String,
    #[schema(value_type = crate::schema_docs::AlertStateDoc)]
    pub state: schedules::emergency::lifecycle::AlertState,
    /// Kapok's JSON alert form (what `POST /api/alerts` accepts).
    #[schema(value_type = Object)]
    pub alert: Value,
    /// The area code its sender may interrupt (a county's); absent: the whole network. The
    /// node airs it only on a channel that area owns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// The alerts not yet ended that target the channel, oldest first, each with `alert` in
/// Kapok's JSON alert form (what `POST /api/alerts` accepts), so a remote node hands it to its
/// own emergency desk.
#[utoipa::path(get, path = "/api/channels/{id}/alerts/active", tag = "alerts", params(("id" = String, Path)),
    responses((status = 200, body = Vec<ActiveAlert>), (status = 404, body = ErrorBody)))]
pub async fn active_alerts(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<ActiveAlert>>, ApiError> {
    let c = channel_for(&state, &p, &id, Permission::ReadSchedule).await?;
    Ok(Json(active_for(&state, &c)?))
}

/// The alerts not yet ended that target `c`, oldest first (see [`active_alerts`]).
pub(crate) fn active_for(state: &AppState, c: &Channel) -> Result<Vec<ActiveAlert>, ApiError> {
    let cov = [coverage(c)];
    let mut out: Vec<(String, ActiveAlert)> = Vec::new();
    for t in state.desk.alerts() {
        let targeting = schedules::emergency::targeting::targets(&t.alert, &cov);
        if targeting.withheld.is_some() || targeting.channels.is_empty() {
            continue;
        }
        // An area's sender interrupts its own channels only, whatever its areas overlap.
        let scope = state.desk.scope_of(&t.alert.key());
        if scope != schedules::emergency::scope::SenderScope::Network && !scope.owns(&cov[0]) {
            continue;
        }
        let alert = serde_json::to_value(&t.alert).map_err(ApiError::internal)?;
        let sent = alert["sent"].as_str().unwrap_or_default().to_string();
        let scope = match scope {
            schedules::emergency::scope::SenderScope::Area(a) => Some(a.as_str().to_string()),
            schedules::emergency::scope::SenderScope::Network => None,
        };
        out.push((sent, ActiveAlert { key: t.alert.key().as_str().to_string(), state: t.state, alert, scope }));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out.into_iter().map(|(_, v)| v).collect())
}
