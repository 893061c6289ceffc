//! `/api/uploads`: resumable uploads, tus 1.0 (core, creation, termination, expiration). See
//! docs/upload.md. The engine is [`ingest::upload`]; this file maps HTTP to it.
//!
//! These routes sit outside the API's 4 MiB body limit: a PATCH body is streamed into the
//! media store segment by segment, never buffered whole.

pub mod tus;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use catalog::ids::UploadId;
use catalog::store::Upload;
use ingest::upload::UploadError;

use crate::auth::policy::{self, Decision, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiPath};
use crate::routes::programmes::{actor, programme_event};
use crate::state::AppState;

const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
const UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");
const PROGRAMME_ID: HeaderName = HeaderName::from_static("kapok-programme-id");

/// Adds `Tus-Resumable` to every answer of these routes (tus 1.0 §3.2).
pub async fn tus_resumable(mut r: Response) -> Response {
    r.headers_mut().insert(TUS_RESUMABLE, HeaderValue::from_static(tus::VERSION));
    r
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn value(v: impl ToString) -> HeaderValue {
    // Numbers, ids and dates only: always valid header text.
    HeaderValue::from_str(&v.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn http_date(t: chrono::DateTime<chrono::Utc>) -> HeaderValue {
    value(t.format("%a, %d %b %Y %H:%M:%S GMT"))
}

/// The 412 answer unless the client speaks tus 1.0.0.
fn version_refusal(headers: &HeaderMap) -> Option<Response> {
    match header(headers, "tus-resumable") {
        Some(tus::VERSION) => None,
        other => {
            let e = ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "unsupported_version",
                format!("Tus-Resumable must be {}, not {other:?}", tus::VERSION),
            );
            let mut r = e.into_response();
            r.headers_mut().insert("tus-version", HeaderValue::from_static(tus::VERSION));
            Some(r)
        }
    }
}

fn bad(r: tus::Refusal) -> ApiError {
    ApiError::bad_request(r.message)
}

fn upload_error(e: UploadError) -> ApiError {
    match e {
        UploadError::Catalog(c) => c.into(),
        UploadError::OffsetMismatch { .. } => ApiError::new(StatusCode::CONFLICT, "offset_mismatch", e.to_string()),
        UploadError::Busy => ApiError::new(StatusCode::LOCKED, "busy", e.to_string()),
        UploadError::Complete => ApiError::new(StatusCode::CONFLICT, "complete", e.to_string()),
        UploadError::TooLong { .. } | UploadError::TooLarge { .. } => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", e.to_string())
        }
        UploadError::Empty => ApiError::bad_request(e.to_string()),
        UploadError::QuotaExceeded { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "quota_exceeded", e.to_string())
        }
        UploadError::NoSpace { .. } => {
            ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "insufficient_storage", e.to_string())
        }
        UploadError::Interrupted(_) => ApiError::new(StatusCode::BAD_REQUEST, "interrupted", e.to_string()),
        UploadError::Worker(ingest::worker::WorkerError::BadInput(m)) => ApiError::unprocessable(m),
        other => ApiError::internal(other),
    }
}

/// The upload `id`, if the caller may write it (see [`policy::upload_decision`]).
async fn writable(state: &AppState, p: &Principal, id: &str) -> Result<Upload, ApiError> {
    let uid = parse_id("upload", id, UploadId::parse)?;
    let upload = state.store.get_upload(uid).await?;
    match policy::upload_decision(p, &upload.centre) {
        Decision::Allow => Ok(upload),
        Decision::Hidden => Err(ApiError::not_found(format!("upload not found: {uid}"))),
        Decision::Forbidden => {
            Err(ApiError::forbidden(format!("{} of {} may not upload programmes", p.role, p.centre)))
        }
    }
}

/// What this server supports (tus discovery). Needs no credentials.
#[utoipa::path(options, path = "/api/uploads", tag = "uploads",
    responses((status = 204, description = "Tus-Version, Tus-Extension, Tus-Max-Size")))]
pub async fn upload_options(State(state): State<AppState>) -> Response {
    let mut h = HeaderMap::new();
    h.insert("tus-version", HeaderValue::from_static(tus::VERSION));
    h.insert("tus-extension", HeaderValue::from_static(tus::EXTENSIONS));
    h.insert("tus-max-size", value(state.uploads.settings.max_size));
    (StatusCode::NO_CONTENT, h).into_response()
}

/// Creates an upload and its programme (status `uploading`). Headers: `Tus-Resumable: 1.0.0`,
/// `Upload-Length`, `Upload-Metadata` (base64 pairs: filename and title required; centre,
/// category, description, language, tags, shared optional).
#[utoipa::path(post, path = "/api/uploads", tag = "uploads",
    responses((status = 201, description = "Location, Upload-Expires, Kapok-Programme-Id"),
              (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 507, body = ErrorBody)))]
pub async fn create_upload(State(state): State<AppState>, p: Principal, headers: HeaderMap) -> Response {
    if let Some(r) = version_refusal(&headers) {
        return r;
    }
    match create(&state, &p, &headers).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn create(state: &AppState, p: &Principal, headers: &HeaderMap) -> Result<Response, ApiError> {
    if headers.contains_key("upload-defer-length") {
        return Err(ApiError::bad_request("Upload-Defer-Length is not supported: send Upload-Length"));
    }
    let length = tus::parse_size("Upload-Length", header(headers, "upload-length")).map_err(bad)?;
    let meta = tus::parse_metadata(header(headers, "upload-metadata").unwrap_or_default()).map_err(bad)?;
    let request = tus::upload_request(&meta, &p.centre).map_err(bad)?;
    let centre = &request.programme.centre;
    match state.store.get_centre(centre).await {
        Ok(_) => {}
        Err(catalog::CatalogError::NotFound { .. }) => {
            return Err(ApiError::unprocessable(format!(
                "Upload-Metadata centre {centre} is not a centre of the network"
            )))
        }
        Err(e) => return Err(e.into()),
    }
    if !policy::may_start_upload(p, centre) {
        return Err(ApiError::forbidden(format!(
            "{} of {} may not upload programmes for centre {centre}",
            p.role, p.centre
        )));
    }
    let (programme, upload) =
        state.uploads.create(&actor(p), &request.programme, &request.filename, length).await.map_err(upload_error)?;
    state.search_cache.invalidate();
    state.events.publish(programme_event("programme.created", &programme));
    let mut h = HeaderMap::new();
    h.insert(LOCATION, value(format!("/api/uploads/{}", upload.id)));
    h.insert(UPLOAD_EXPIRES, http_date(upload.expires_at));
    h.insert(UPLOAD_OFFSET, value(0));
    h.insert(PROGRAMME_ID, value(programme.id));
    Ok((StatusCode::CREATED, h).into_response())
}

/// How far an upload has got.
#[utoipa::path(head, path = "/api/uploads/{id}", tag = "uploads", params(("id" = String, Path)),
    responses((status = 200, description = "Upload-Offset, Upload-Length, Kapok-Programme-Id, Upload-Expires"),
              (status = 404, body = ErrorBody)))]
pub async fn upload_status(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let upload = writable(&state, &p, &id).await?;
    let mut h = HeaderMap::new();
    h.insert(UPLOAD_OFFSET, value(upload.received));
    h.insert(UPLOAD_LENGTH, value(upload.length));
    h.insert(PROGRAMME_ID, value(upload.programme_id));
    h.insert(UPLOAD_EXPIRES, http_date(upload.expires_at));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((StatusCode::OK, h).into_response())
}

/// Appends bytes at `Upload-Offset` (`Content-Type: application/offset+octet-stream`). After
/// the last byte the programme is queued for ingest.
#[utoipa::path(patch, path = "/api/uploads/{id}", tag = "uploads", params(("id" = String, Path)),
    responses((status = 204, description = "Upload-Offset: the bytes received"), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 423, body = ErrorBody)))]
pub async fn append_upload(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(r) = version_refusal(&headers) {
        return r;
    }
    match append(&state, &p, &id, &headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn append(
    state: &AppState,
    p: &Principal,
    id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if header(headers, CONTENT_TYPE.as_str()) != Some(tus::PATCH_CONTENT_TYPE) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("Content-Type must be {}", tus::PATCH_CONTENT_TYPE),
        ));
    }
    let offset = tus::parse_size("Upload-Offset", header(headers, "upload-offset")).map_err(bad)?;
    let upload = writable(state, p, id).await?;
    let offset = i64::try_from(offset).map_err(|_| ApiError::bad_request("Upload-Offset is too large"))?;
    let done =
        state.uploads.append(&actor(p), upload.id, offset, body.into_data_stream()).await.map_err(upload_error)?;
    if let Some(programme) = &done.programme {
        state.search_cache.invalidate();
        state.events.publish(programme_event("programme.updated", programme));
    }
    let mut h = HeaderMap::new();
    h.insert(UPLOAD_OFFSET, value(done.upload.received));
    h.insert(UPLOAD_EXPIRES, http_date(done.upload.expires_at));
    Ok((StatusCode::NO_CONTENT, h).into_response())
}

/// Cancels an unfinished upload (termination): its bytes are deleted and its programme is
/// marked failed ("upload cancelled").
#[utoipa::path(delete, path = "/api/uploads/{id}", tag = "uploads", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 412, body = ErrorBody)))]
pub async fn cancel_upload(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = version_refusal(&headers) {
        return r;
    }
    let run = async {
        let upload = writable(&state, &p, &id).await?;
        let programme = state.uploads.cancel(&actor(&p), upload.id).await.map_err(upload_error)?;
        state.search_cache.invalidate();
        state.events.publish(programme_event("programme.failed", &programme));
        Ok::<_, ApiError>(StatusCode::NO_CONTENT.into_response())
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
