//! `/api/channels/{id}/…` schedules: the channel's template, generating, editing (versioned,
//! 409 on a stale version, undo), validating, importing and publishing a broadcast day, and
//! the published guide (XMLTV, now/next). Reading is open to the network (like channels);
//! changing needs `WriteSchedule` on the owning centre.

pub mod compact;
pub mod copy;
pub mod history;
pub mod now_next;
pub mod preview;
pub mod private;
pub mod week;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use catalog::channel::Channel as CatalogChannel;
use catalog::ids::ChannelId;
use catalog::schedule::NewDayVersion;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use schedules::{
    check_template, validate, xmltv, CandidateIndex, Channel, EditOp, EpgChannel, Finding, Generator, PlayHistory,
    Playlist, ProgrammeLookup, PublishedDays, ScheduleError, Template, VersionedPlaylist,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::policy::{decide, Decision, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiPath, ApiQuery};
use crate::routes::programmes::actor;
use crate::state::AppState;
use catalog::scheduling::{known_categories, published_playlists, schedule_channel};
use schedules::relay::Relay;

/// Schedules are readable network-wide, like channels.
const SCHEDULES_SHARED: bool = true;

/// Generation options.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateBody {
    /// Same seed, template and catalog → same day.
    #[serde(default)]
    pub seed: u64,
}

/// An edit of the current version.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    /// The version the edit is based on (409 when it is no longer current).
    pub version: u64,
    /// `{"op": "insert"|"move"|"replace"|"delete"|"trim"|"retime"|"lock", ...}`.
    #[schema(value_type = Object)]
    pub op: EditOp,
    /// `day` (default): the answer holds the whole new playlist; `range`: only the items that
    /// changed (`range`), which is what an editor showing the day needs.
    #[serde(default)]
    pub answer: EditAnswer,
}

/// What an edit answers with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EditAnswer {
    /// The whole new playlist.
    #[default]
    Day,
    /// Only the changed range of items.
    Range,
}

/// The items of a new version that differ from its parent: `items[from..from + removed]` of
/// the parent are replaced by `items`, giving `length` items.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemRange {
    pub from: usize,
    pub removed: usize,
    /// JSON of `schedules::PlaylistItem`s.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<schedules::PlaylistItem>,
    pub length: usize,
}

impl ItemRange {
    /// The smallest range that turns `before`'s items into `after`'s.
    fn between(before: &Playlist, after: &Playlist) -> Self {
        let (a, b) = (&before.items, &after.items);
        let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let room = a.len().min(b.len()) - head;
        let tail = a.iter().rev().zip(b.iter().rev()).take(room).take_while(|(x, y)| x == y).count();
        Self { from: head, removed: a.len() - head - tail, items: b[head..b.len() - tail].to_vec(), length: b.len() }
    }
}

/// Names the version an undo or publish is based on.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    pub version: u64,
}

/// How a day is answered.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// `true`: items without their English `why` where a `reason` phrase says the same (what
    /// the day editor opens; see `compact.rs`).
    pub compact: Option<bool>,
}

/// A guide window (RFC 3339; default: now to 7 days on; at most 31 days).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EpgQuery {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The instant to ask about (default: now).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AtQuery {
    pub at: Option<DateTime<Utc>>,
}

/// A channel's stored template.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateAnswer {
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// JSON of a `schedules::Template` (docs/schedules.md).
    #[schema(value_type = Object)]
    pub template: Value,
}

/// A day version just stored (generated, edited, undone or imported), with its findings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoredDay {
    pub version: i64,
    /// What made it, in English.
    pub change: String,
    /// `change` as a code and parameters (`insert_at` with `title`, `at`, …).
    #[schema(value_type = Object)]
    pub change_phrase: schedules::Phrase,
    /// JSON of a `schedules::Playlist` (docs/schedules.md); left out of an edit's `range` answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub playlist: Option<Value>,
    /// The items that changed (an edit asked for `answer: range`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<ItemRange>,
    #[schema(value_type = Vec<crate::schema_docs::FindingDoc>)]
    pub findings: Vec<schedules::Finding>,
    /// Rules the generator broke, and why (generation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub exceptions: Option<Vec<schedules::RuleBreak>>,
}

/// A day's latest editing version with its findings and latest published version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DayAnswer {
    pub version: i64,
    pub parent: Option<i64>,
    pub change: String,
    /// `change` as a code and parameters.
    #[schema(value_type = Object)]
    pub change_phrase: schedules::Phrase,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// JSON of a `schedules::Playlist` (docs/schedules.md); serialised once, straight to
    /// the answer.
    #[schema(value_type = Object)]
    pub playlist: Playlist,
    #[schema(value_type = Vec<crate::schema_docs::FindingDoc>)]
    pub findings: Vec<schedules::Finding>,
    pub published_version: Option<i64>,
}

/// A published version just made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublishedAnswer {
    pub published_version: i64,
    pub source_version: i64,
    pub published_at: DateTime<Utc>,
    /// The item on air when it was published (it takes effect from the next one).
    pub on_air_item: Option<usize>,
    #[schema(value_type = Vec<crate::schema_docs::FindingDoc>)]
    pub warnings: Vec<schedules::Finding>,
}

/// A 4xx answer in the API's error shape with the details (`problems`, `findings`, `errors`).
fn detailed(status: StatusCode, code: &'static str, message: String, key: &str, details: Value) -> Response {
    let mut body = json!({ "error": { "code": code, "message": message } });
    body[key] = details;
    (status, Json(body)).into_response()
}

fn schedule_error(e: ScheduleError) -> Response {
    let msg = e.to_string();
    match e {
        ScheduleError::Template(p) => {
            detailed(StatusCode::UNPROCESSABLE_ENTITY, "invalid_template", msg, "problems", json!(p))
        }
        ScheduleError::Import(errs) => {
            detailed(StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv", msg, "errors", json!(errs))
        }
        e => edit_refusal(e, msg).into_response(),
    }
}

/// A refused edit, undo or publish: a `code` per kind of refusal and the values its message
/// names as `params` (rows 1-based, as a person counts them), so the UI words it.
fn edit_refusal(e: ScheduleError, msg: String) -> ApiError {
    let invalid = |code| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg.clone());
    match e {
        ScheduleError::Conflict { expected, current } => {
            ApiError::new(StatusCode::CONFLICT, "conflict", msg).with("expected", expected).with("current", current)
        }
        ScheduleError::Locked { index } => ApiError::new(StatusCode::CONFLICT, "locked", msg).with("row", index + 1),
        ScheduleError::NothingToUndo(v) => {
            ApiError::new(StatusCode::CONFLICT, "nothing_to_undo", msg).with("version", v)
        }
        ScheduleError::NoSuchItem { index, len } => invalid("no_such_item").with("row", index + 1).with("rows", len),
        ScheduleError::InvalidEdit { phrase, .. } => {
            let code = match phrase.code.as_str() {
                "outside_day" => "outside_day",
                "no_length" => "no_length",
                "fixed_start" => "fixed_start",
                "does_not_fit" => "does_not_fit",
                "bad_history" => "bad_history",
                _ => "invalid_edit",
            };
            phrase.params.into_iter().fold(invalid(code), |e, (k, v)| e.with(&k, v))
        }
        ScheduleError::PublishBlocked(n) => invalid("publish_blocked").with("count", n),
        ScheduleError::Time { text, .. } => invalid("invalid_time").with("text", text),
        ScheduleError::Mismatch(_) => invalid("mismatch"),
        _ => ApiError::unprocessable(msg),
    }
}

/// The channel, its scheduler view, checked for `perm`.
async fn channel_for(
    state: &AppState,
    p: &Principal,
    id: &str,
    perm: Permission,
) -> Result<(CatalogChannel, Channel), ApiError> {
    let cid = parse_id("channel", id, ChannelId::parse)?;
    let c = state.store.get_channel(cid).await?;
    match decide(p, perm, Permission::ReadSchedule, Some(&c.centre), SCHEDULES_SHARED) {
        Decision::Allow => {}
        Decision::Hidden => return Err(ApiError::not_found(format!("channel not found: {cid}"))),
        Decision::Forbidden => {
            return Err(ApiError::forbidden(format!("{} of {} may not change this schedule", p.role, p.centre)))
        }
    }
    let ch = schedule_channel(&c)?;
    Ok((c, ch))
}

fn parse_date(text: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_date", format!("date {text:?} is not YYYY-MM-DD"))
            .with("text", text)
    })
}

/// Stores `playlist` as the next version (kept in [`AppState::days`] for the next edit) and
/// answers it with its findings: the whole playlist, or (`range_from` its parent) only the
/// items that changed.
#[allow(clippy::too_many_arguments)]
async fn store_version(
    state: &AppState,
    p: &Principal,
    c: &CatalogChannel,
    ch: &Channel,
    day: NaiveDate,
    expected: i64,
    parent: Option<i64>,
    change: &str,
    playlist: Playlist,
    exceptions: Option<Vec<schedules::RuleBreak>>,
    range_from: Option<&Playlist>,
) -> Result<Response, ApiError> {
    let new = NewDayVersion { expected, parent, change, playlist: &playlist };
    let v = state.store.append_day_version(&actor(p), c.id, day, &new).await?;
    let t = template_of(&state.store, c).await?;
    let index = state.candidates.get(&state.store, &c.centre).await?;
    let relays = relays_of(&state.store, c).await?;
    let findings = findings_of(&playlist, ch, t.as_ref(), &index, &relays);
    let (doc, range) = match range_from {
        Some(before) => (None, Some(ItemRange::between(before, &playlist))),
        None => (Some(serde_json::to_value(&playlist).map_err(ApiError::internal)?), None),
    };
    state.days.put(c.id, day, v.version, std::sync::Arc::new(playlist));
    let body = StoredDay {
        version: v.version,
        change_phrase: schedules::phrase::change(&v.change),
        change: v.change,
        playlist: doc,
        range,
        findings,
        exceptions,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Replaces the channel's template (JSON of a `schedules::Template`, docs/schedules.md).
/// 422 with `problems` when it has any.
#[utoipa::path(put, path = "/api/channels/{id}/template", tag = "schedules", params(("id" = String, Path)),
    request_body(content = Object, description = "JSON of a `schedules::Template` (docs/schedules.md)"),
    responses((status = 200, body = TemplateAnswer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn put_template(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let (c, ch) = channel_for(&state, &p, &id, Permission::WriteSchedule).await?;
    let t: Template = serde_json::from_value(body).map_err(|e| ApiError::unprocessable(format!("template: {e}")))?;
    let problems = check_template(&t, &ch, &known_categories());
    if !problems.is_empty() {
        return Ok(schedule_error(ScheduleError::Template(problems)));
    }
    // What generation will check: every category named has programmes the channel's centre
    // can air now, so a template accepted here does not fail later at generation.
    let index = state.candidates.get(&state.store, &c.centre).await?;
    if let Err(e) = Generator::new(&ch, &t, &index) {
        return Ok(schedule_error(e));
    }
    let doc = serde_json::to_value(&t).map_err(ApiError::internal)?;
    let stored = state.store.put_schedule_template(&actor(&p), c.id, &doc).await?;
    Ok(Json(TemplateAnswer { version: stored.version, updated_at: stored.updated_at, template: stored.template })
        .into_response())
}

/// The channel's template.
#[utoipa::path(get, path = "/api/channels/{id}/template", tag = "schedules", params(("id" = String, Path)),
    responses((status = 200, body = TemplateAnswer), (status = 404, body = ErrorBody)))]
pub async fn get_template(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TemplateAnswer>, ApiError> {
    let (c, _) = channel_for(&state, &p, &id, Permission::ReadSchedule).await?;
    let t = state.store.get_schedule_template(c.id).await?;
    let t = t.ok_or_else(|| ApiError::not_found(format!("{} has no template yet", c.slug)))?;
    Ok(Json(TemplateAnswer { version: t.version, updated_at: t.updated_at, template: t.template }))
}

/// Generates the day from the template and the catalog (programmes visible to the channel's
/// centre) and stores it as a new version: 201 with `playlist`, `findings`, `exceptions`
/// (rules broken, and why) and `version`.
#[utoipa::path(post, path = "/api/channels/{id}/days/{date}/generate", tag = "schedules",
    params(("id" = String, Path), ("date" = String, Path, description = "broadcast day YYYY-MM-DD")),
    request_body = GenerateBody,
    responses((status = 201, body = StoredDay), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn generate(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, date)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<GenerateBody>,
) -> Result<Response, ApiError> {
    let (c, ch) = channel_for(&state, &p, &id, Permission::WriteSchedule).await?;
    let day = parse_date(&date)?;
    let t = template_of(&state.store, &c)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{} has no template yet", c.slug)))?;
    let index = state.candidates.get(&state.store, &c.centre).await?;
    let generator = match Generator::new(&ch, &t, &index) {
        Ok(g) => g,
        Err(e) => return Ok(schedule_error(e)),
    };
    // Rotation and separation carry over from the published days before this one.
    let start = ch.day(day).instant(schedules::Frames::ZERO).with_timezone(&Utc);
    let mut history = PlayHistory::new();
    for earlier in published_playlists(&state.store, &c, start - Duration::days(2), start).await? {
        if earlier.date < day {
            history.record_playlist(&earlier, |id| index.by_id(id).and_then(|p| p.series.clone()));
        }
    }
    let g = generator.day(day, &history, b.seed);
    let latest = state.store.latest_day_version(c.id, day).await?.map(|v| v.version);
    let change = format!("generated (seed {})", b.seed);
    let exceptions = Some(g.exceptions);
    store_version(&state, &p, &c, &ch, day, latest.unwrap_or(0), latest, &change, g.playlist, exceptions, None).await
}

/// The day's latest version with its validation findings and the latest published version.
#[utoipa::path(get, path = "/api/channels/{id}/days/{date}", tag = "schedules",
    params(("id" = String, Path), ("date" = String, Path), DayQuery),
    responses((status = 200, body = DayAnswer), (status = 404, body = ErrorBody)))]
pub async fn get_day(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, date)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<DayAnswer>, ApiError> {
    let (c, ch) = channel_for(&state, &p, &id, Permission::ReadSchedule).await?;
    let day = parse_date(&date)?;
    let none = || ApiError::not_found(format!("{} has no playlist for {day}", c.slug));
    // The latest version's head, and its playlist from the editing cache when this process
    // stored it (a day just generated or edited): neither the day's document nor those of its
    // published versions are read again.
    let head = state.store.latest_day_head(c.id, day).await?.ok_or_else(none)?;
    let (head, playlist) = match state.days.get(c.id, day, head.version) {
        Some(kept) => (head, Playlist::clone(&kept)),
        None => {
            let v = state.store.latest_day_version(c.id, day).await?.ok_or_else(none)?;
            let playlist: Playlist = serde_json::from_value(v.playlist).map_err(ApiError::internal)?;
            state.days.put(c.id, day, v.version, std::sync::Arc::new(playlist.clone()));
            let head = catalog::schedule::DayHead {
                version: v.version,
                parent: v.parent,
                change: v.change,
                created_by: v.created_by,
                created_at: v.created_at,
                published: head.published,
            };
            (head, playlist)
        }
    };
    let t = template_of(&state.store, &c).await?;
    let index = state.candidates.get(&state.store, &c.centre).await?;
    let relays = relays_of(&state.store, &c).await?;
    let mut findings = findings_of(&playlist, &ch, t.as_ref(), &index, &relays);
    let (published, v) = (head.published, head);
    // Another centre's reader does not see the channel's private programmes.
    let private = private::Redaction::for_reader(&p, &index);
    private.findings(&playlist, &mut findings);
    let mut shown = private.playlist(playlist);
    if q.compact == Some(true) {
        compact::compact(&mut shown);
    }
    Ok(Json(DayAnswer {
        version: v.version,
        parent: v.parent,
        change_phrase: schedules::phrase::change(&v.change),
        change: v.change,
        created_by: v.created_by,
        created_at: v.created_at,
        playlist: shown,
        findings,
        published_version: published,
    }))
}

/// Applies one edit to the current version (`version` must be current: 409 otherwise; a
/// locked item refuses with 409 `locked`).
#[utoipa::path(post, path = "/api/channels/{id}/days/{date}/edits", tag = "schedules",
    params(("id" = String, Path), ("date" = String, Path)), request_body = EditBody,
    responses((status = 201, body = StoredDay), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_day(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, date)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<EditBody>,
) -> Result<Response, ApiError> {
    let (c, ch) = channel_for(&state, &p, &id, Permission::WriteSchedule).await?;
    let day = parse_date(&date)?;
    if let EditOp::InsertAt { at, .. } = &b.op {
        refuse_past(&ch, day, *at)?;
    }
    // Only the current version is read (undo reads the history), and not even that when this
    // process stored it: the store still refuses the append if another writer went first.
    let v = i64::try_from(b.version).map_err(|_| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_version", "version is out of range")
            .with("version", b.version)
    })?;
    let current = match state.days.get(c.id, day, v) {
        Some(p) => p,
        None => {
            let latest = state.store.latest_day_version(c.id, day).await?;
            let latest = latest.ok_or_else(|| {
                ApiError::not_found(format!("{} has no playlist for {day}; generate or import one", c.slug))
            })?;
            if latest.version != v {
                let current = latest.version as u64;
                return Ok(schedule_error(ScheduleError::Conflict { expected: b.version, current }));
            }
            std::sync::Arc::new(serde_json::from_value::<Playlist>(latest.playlist).map_err(ApiError::internal)?)
        }
    };
    let (next, change) = match schedules::edit::apply_once(&current, &b.op) {
        Ok(x) => x,
        Err(e) => return Ok(schedule_error(e)),
    };
    let range_from = (b.answer == EditAnswer::Range).then_some(&*current);
    store_version(&state, &p, &c, &ch, day, v, Some(v), &change, next, None, range_from).await
}

/// 422 `in_the_past` when offset `at` of broadcast day `day` has already gone out: what is on
/// air cannot be changed behind the playout's back.
fn refuse_past(ch: &Channel, day: NaiveDate, at: schedules::Frames) -> Result<(), ApiError> {
    let when = ch.day(day).instant(at);
    let now = Utc::now().with_timezone(&ch.offset());
    if when.with_timezone(&Utc) <= Utc::now() {
        let (at, now) = (when.format("%Y-%m-%d %H:%M:%S"), now.format("%Y-%m-%d %H:%M:%S"));
        let msg = format!("{at} is already past (now {now}): insert at a later time");
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "in_the_past", msg)
            .with("at", at)
            .with("now", now));
    }
    Ok(())
}

/// Stores the newest version of `vp` (made by an edit or undo of version `before`).
async fn store_latest(
    state: &AppState,
    p: &Principal,
    c: &catalog::channel::Channel,
    ch: &schedules::Channel,
    day: chrono::NaiveDate,
    vp: &schedules::VersionedPlaylist,
    before: u64,
) -> Result<Response, ApiError> {
    let Some(last) = vp.versions().last() else { return Err(ApiError::internal("the change produced no version")) };
    let parent = last.parent.map(|n| n as i64);
    let playlist = last.playlist.clone();
    store_version(state, p, c, ch, day, before as i64, parent, &last.change, playlist, None, None).await
}

/// Undoes the change that produced the current version (as a new version).
#[utoipa::path(post, path = "/api/channels/{id}/days/{date}/undo", tag = "schedules",
    params(("id" = String, Path), ("date" = String, Path)), request_body = VersionBody,
    responses((status = 201, body = StoredDay), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn undo_day(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, date)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<VersionBody>,
) -> Result<Response, ApiError> {
    let (c, ch) = channel_for(&state, &p, &id, Permission::WriteSchedule).await?;
    let day = parse_date(&date)?;
    let mut vp = history_of(&state.store, &c, day).await?;
    let before = vp.version();
    if let Err(e) = vp.undo(b.version) {
        return Ok(schedule_error(e));
    }
    store_latest(&state, &p, &c, &ch, day, &vp, before).await
}

/// Publishes editing version `version` (which must be current). Validation errors block
/// publishing (422 with `findings`); warnings are kept with the published version. Each
/// publish is a new immutable published version; on air, it takes effect from the next item.
#[utoipa::path(post, path = "/api/channels/{id}/days/{date}/publish", tag = "schedules",
    params(("id" = String, Path), ("date" = String, Path)), request_body = VersionBody,
    responses((status = 201, body = PublishedAnswer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish_day(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, date)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<VersionBody>,
) -> Result<Response, ApiError> {
    let (c, ch) = channel_for(&state, &p, &id, Permission::WriteSchedule).await?;
    let day = parse_date(&date)?;
    let v = state.store.latest_day_version(c.id, day).await?;
    let v = v.ok_or_else(|| ApiError::not_found(format!("{} has no playlist for {day}", c.slug)))?;
    if v.version as u64 != b.version {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("version {} is not current (the day is at version {})", b.version, v.version),
        )
        .with("expected", b.version)
        .with("current", v.version));
    }
    let playlist: Playlist = serde_json::from_value(v.playlist).map_err(ApiError::internal)?;
    let t = template_of(&state.store, &c).await?;
    let index = state.candidates.get(&state.store, &c.centre).await?;
    let relays = relays_of(&state.store, &c).await?;
    let findings = findings_of(&playlist, &ch, t.as_ref(), &index, &relays);
    if schedules::has_errors(&findings) {
        let n = findings.iter().filter(|f| f.severity == schedules::Severity::Error).count();
        let msg = format!("publishing blocked by {n} validation error(s)");
        return Ok(detailed(StatusCode::UNPROCESSABLE_ENTITY, "publish_blocked", msg, "findings", json!(findings)));
    }
    let earlier = state.store.published_versions(c.id, day).await?;
    let records: Vec<Value> = earlier.iter().map(|e| e.record.clone()).collect();
    let expected = earlier.last().map_or(0, |e| e.version);
    let mut days: PublishedDays = serde_json::from_value(json!({ "channel": ch.id, "date": day, "versions": records }))
        .map_err(ApiError::internal)?;
    let published = match days.publish(playlist, &findings, Some(b.version), Utc::now()) {
        Ok(d) => d.clone(),
        Err(e) => return Ok(schedule_error(e)),
    };
    let record = serde_json::to_value(&published).map_err(ApiError::internal)?;
    let stored = state.store.publish_day(&actor(&p), c.id, day, expected, Some(v.version), &record).await?;
    Ok((
        StatusCode::CREATED,
        Json(PublishedAnswer {
            published_version: stored.version,
            source_version: v.version,
            published_at: stored.published_at,
            on_air_item: published.on_air_item,
            warnings: published.warnings,
        }),
    )
        .into_response())
}

/// Imports the day from CSV (`start,programme,duration[,timing]`, text body) as a new
/// version. All or nothing: 422 with line-numbered `errors`.
#[utoipa::path(post, path = "/api/channels/{id}/days/{date}/import", tag = "schedules",
    params(("id" = String, Path), ("date" = String, Path)), request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = StoredDay), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn import_day(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, date)): ApiPath<(String, String)>,
    body: String,
) -> Result<Response, ApiError> {
    let (c, ch) = channel_for(&state, &p, &id, Permission::WriteSchedule).await?;
    let day = parse_date(&date)?;
    let index = state.candidates.get(&state.store, &c.centre).await?;
    let playlist = match schedules::import_day_csv(&body, &ch, day, &*index) {
        Ok(pl) => pl,
        Err(e) => return Ok(schedule_error(e)),
    };
    // `live:NAME` must name a relay of the centre's list: the import is refused otherwise.
    let relays = relays_of(&state.store, &c).await?;
    let unlisted = unlisted_relays(&playlist, &ch, &relays);
    if !unlisted.is_empty() {
        let msg = format!("{} live item(s) name no relay of centre {}'s list", unlisted.len(), c.centre);
        return Ok(detailed(StatusCode::UNPROCESSABLE_ENTITY, "unknown_relay", msg, "findings", json!(unlisted)));
    }
    let latest = state.store.latest_day_version(c.id, day).await?.map(|v| v.version);
    store_version(&state, &p, &c, &ch, day, latest.unwrap_or(0), latest, "imported", playlist, None, None).await
}

/// The published guide as XMLTV (programmes and live relays of the latest published
/// versions).
#[utoipa::path(get, path = "/api/channels/{id}/epg.xml", tag = "schedules", params(("id" = String, Path), EpgQuery),
    responses((status = 200, body = String, content_type = "application/xml"), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn epg(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<EpgQuery>,
) -> Result<Response, ApiError> {
    let (c, ch) = channel_for(&state, &p, &id, Permission::ReadSchedule).await?;
    let from = q.from.unwrap_or_else(Utc::now);
    let until = q.until.unwrap_or(from + Duration::days(7));
    if until <= from || until - from > Duration::days(31) {
        return Err(ApiError::unprocessable("the window must be from < until, at most 31 days"));
    }
    let playlists = readable_playlists(&state, &p, &c, from, until).await?;
    let xml = xmltv(&[EpgChannel { channel: &ch, playlists: &playlists }], from, until);
    Ok(([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], xml).into_response())
}

/// The published playlists of `c` overlapping the window, as `p` may see them (another
/// centre's reader: the channel's private programmes named only as such).
async fn readable_playlists(
    state: &AppState,
    p: &Principal,
    c: &CatalogChannel,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Playlist>, ApiError> {
    let playlists = published_playlists(&state.store, c, from, until).await?;
    let index = state.candidates.get(&state.store, &c.centre).await?;
    let private = private::Redaction::for_reader(p, &index);
    Ok(playlists.into_iter().map(|pl| private.playlist(pl)).collect())
}

/// The channel's stored template, if any.
///
/// # Errors
/// 500 when the catalog cannot be read or the stored template does not decode.
pub async fn template_of(store: &catalog::Store, c: &CatalogChannel) -> Result<Option<Template>, ApiError> {
    let Some(t) = store.get_schedule_template(c.id).await? else { return Ok(None) };
    serde_json::from_value(t.template)
        .map(Some)
        .map_err(|e| ApiError::internal(format!("stored template of {}: {e}", c.slug)))
}

/// The categories whose programmes air as fillers on `c`: its template's filler categories,
/// else the catalog's idents and public-service spots.
///
/// # Errors
/// 500 when the catalog cannot be read or the stored template does not decode.
pub async fn filler_categories(store: &catalog::Store, c: &CatalogChannel) -> Result<Vec<String>, ApiError> {
    use catalog::programme::Category;
    Ok(match template_of(store, c).await? {
        Some(t) => t.fillers.categories,
        None => [Category::Ident, Category::PublicService].iter().map(|c| c.as_str().to_owned()).collect(),
    })
}

/// Validation of `playlist` against the channel, the template's quotas, the catalog and the
/// centre's live relays, now.
pub fn findings_of(
    playlist: &Playlist,
    ch: &Channel,
    t: Option<&Template>,
    index: &CandidateIndex,
    relays: &[Relay],
) -> Vec<Finding> {
    let quotas = t.map(|t| t.quotas.as_slice()).unwrap_or_default();
    let mut findings = validate(playlist, ch, quotas, index, Utc::now());
    findings.extend(unlisted_relays(playlist, ch, relays));
    findings
}

/// An error for each live item that names no relay of the channel's centre's list (a URI
/// typed into an edit or a template, a relay since removed): nothing else may go on air live.
fn unlisted_relays(playlist: &Playlist, ch: &Channel, relays: &[Relay]) -> Vec<Finding> {
    playlist
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| match &it.source {
            schedules::Source::Live { uri } if schedules::relay::resolve(uri, relays).is_none() => Some(
                Finding::new(
                    schedules::Severity::Error,
                    "unknown_relay",
                    Some(i),
                    format!(
                        "live item {} ({:?}) names no relay of centre {}'s list (GET /api/centres/{}/relays)",
                        i + 1,
                        it.title,
                        ch.centre,
                        ch.centre
                    ),
                )
                .with("title", &it.title)
                .with("centre", &ch.centre),
            ),
            _ => None,
        })
        .collect()
}

/// The live relays of `c`'s centre.
///
/// # Errors
/// 500 when the catalog cannot be read.
pub async fn relays_of(store: &catalog::Store, c: &CatalogChannel) -> Result<Vec<Relay>, ApiError> {
    Ok(store.list_relays(&c.centre).await?.iter().map(catalog::store::LiveRelay::relay).collect())
}

/// The day's whole editing history, for applying an edit or an undo.
///
/// # Errors
/// 404 when the day has no version; 500 when the catalog cannot be read.
pub async fn history_of(
    store: &catalog::Store,
    c: &CatalogChannel,
    day: NaiveDate,
) -> Result<VersionedPlaylist, ApiError> {
    let versions = store.day_versions(c.id, day).await?;
    if versions.is_empty() {
        return Err(ApiError::not_found(format!("{} has no playlist for {day}; generate or import one", c.slug)));
    }
    let raw: Vec<Value> = versions
        .into_iter()
        .map(|v| json!({ "number": v.version, "parent": v.parent, "change": v.change, "playlist": v.playlist }))
        .collect();
    serde_json::from_value(json!({ "versions": raw }))
        .map_err(|e| ApiError::internal(format!("stored versions of {} {day}: {e}", c.slug)))
}
