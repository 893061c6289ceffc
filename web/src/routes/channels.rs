//! `/api/channels`: list (public within the network), create, edit and retire (own centre).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use catalog::channel::{Channel, ChannelFormat, ChannelKind, ChannelLogo, NewChannel, ServiceIds};
use catalog::ids::{CentreCode, ChannelId, ProgrammeId};
use catalog::store::ChannelEdit;
use serde::Deserialize;

use crate::auth::policy::{allows, decide, Decision, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiPath, ApiQuery};
use crate::routes::programmes::actor;
use crate::state::AppState;

/// Channels are public within the network: the `shared` flag the policy sees for them.
const CHANNELS_SHARED: bool = true;

/// Listing options.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChannelQuery {
    /// Include retired channels.
    pub retired: Option<bool>,
}

/// A new channel.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelCreate {
    #[schema(value_type = String, example = "510421")]
    pub centre: CentreCode,
    /// Lower-case a-z, 0-9 and `-`, e.g. `miyi-tv1`.
    pub slug: String,
    pub name: String,
    #[schema(value_type = String, example = "tv")]
    pub kind: ChannelKind,
    #[schema(value_type = Object)]
    pub format: ChannelFormat,
    /// `HH:MM`, default 06:00.
    pub day_start: Option<String>,
    pub time_zone: Option<String>,
}

/// A change to a channel: rename, move the day start, retire (`retired: true`) or return to
/// service (`retired: false`), or set what it airs besides its schedule (docs/channels.md).
/// Fields left out are kept.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub day_start: Option<String>,
    pub retired: Option<bool>,
    /// Programme ids aired in rotation when the schedule cannot air (its centre's own or
    /// shared with the network; at most 50); replaces the list, `[]` clears it.
    pub fillers: Option<Vec<String>>,
    /// One line of text crawling across the bottom of the picture (TV), at most 500
    /// characters, no control characters; `null` or `""` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub crawl: Option<Option<String>>,
    /// The logo burnt into the picture (TV): `{ "path": "/abs/logo.png", "corner":
    /// "top-left|top-right|bottom-left|bottom-right", "margin": 24, "opacity_percent": 100 }`;
    /// `null` removes it. Applied when the channel's output is next built.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub logo: Option<Option<ChannelLogo>>,
    /// How the channel's service is numbered in its MPEG-TS (docs/service-information.md):
    /// `{ "service_id": 1, "transport_stream_id": 1, "original_network_id": 65281,
    /// "pmt_pid": 4096, "video_pid": 256, "audio_pid": 257 }`; replaces the stored ids, fields
    /// left out take these defaults. Applied when the channel's output is next built.
    #[schema(value_type = Option<Object>)]
    pub service: Option<ServiceIds>,
}

/// A field that is present (`null` included): `Some(value)`; absent fields stay `None`.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The channels the caller may read, by slug.
#[utoipa::path(get, path = "/api/channels", tag = "channels", params(ChannelQuery),
    responses((status = 200, body = Vec<Channel>), (status = 401, body = ErrorBody)))]
pub async fn list_channels(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ChannelQuery>,
) -> Result<Json<Vec<Channel>>, ApiError> {
    let all = state.store.list_channels(q.retired.unwrap_or(false)).await?;
    Ok(Json(
        all.into_iter().filter(|c| allows(&p, Permission::ReadChannel, Some(&c.centre), CHANNELS_SHARED)).collect(),
    ))
}

/// Creates a channel of the caller's centre.
#[utoipa::path(post, path = "/api/channels", tag = "channels", request_body = ChannelCreate,
    responses((status = 201, body = Channel), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create_channel(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<ChannelCreate>,
) -> Result<(StatusCode, Json<Channel>), ApiError> {
    if !allows(&p, Permission::WriteChannel, Some(&b.centre), false) {
        return Err(ApiError::forbidden(format!("{} may not create channels for centre {}", p.role, b.centre)));
    }
    // A channel the playout engine could not air is refused here, not when it goes on air.
    b.format.check_kind(b.kind == ChannelKind::Radio).map_err(|e| ApiError::unprocessable(e.to_string()))?;
    let new = NewChannel {
        centre: b.centre,
        slug: b.slug,
        name: b.name,
        kind: b.kind,
        format: b.format,
        day_start: b.day_start.unwrap_or_else(|| "06:00".into()),
        time_zone: b.time_zone.unwrap_or_else(|| "Asia/Shanghai".into()),
    };
    let c = state.store.create_channel(&actor(&p), &new).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Renames, re-times, retires or un-retires a channel of the caller's centre, or sets its
/// fillers, crawl and logo.
#[utoipa::path(patch, path = "/api/channels/{id}", tag = "channels", params(("id" = String, Path)),
    request_body = ChannelPatch,
    responses((status = 200, body = Channel), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update_channel(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<ChannelPatch>,
) -> Result<Json<Channel>, ApiError> {
    let cid = parse_id("channel", &id, ChannelId::parse)?;
    let c = state.store.get_channel(cid).await?;
    match decide(&p, Permission::WriteChannel, Permission::ReadChannel, Some(&c.centre), CHANNELS_SHARED) {
        Decision::Allow => {}
        Decision::Hidden => return Err(ApiError::not_found(format!("channel not found: {cid}"))),
        Decision::Forbidden => {
            return Err(ApiError::forbidden(format!("{} of {} may not change this channel", p.role, p.centre)))
        }
    }
    let fillers = match b.fillers {
        Some(ids) => Some(
            ids.iter()
                .map(|t| {
                    ProgrammeId::parse(t).map_err(|_| ApiError::unprocessable(format!("fillers: no programme {t:?}")))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let edit = ChannelEdit {
        name: b.name,
        day_start: b.day_start,
        retired: b.retired,
        fillers,
        crawl: b.crawl,
        logo: b.logo,
        service: b.service,
    };
    Ok(Json(state.store.update_channel(&actor(&p), cid, &edit).await?))
}
