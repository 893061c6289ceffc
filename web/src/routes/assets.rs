//! `/api/assets/{id}/content`: a programme's stored media, streamed from the media store with
//! HTTP range requests (206/416), for those who may see the programme (404 for anyone else).

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use catalog::ids::AssetId;
use catalog::media::{Key, MediaError, MediaStore};
use futures::stream::StreamExt;

use crate::auth::policy::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiPath};
use crate::range::{decide, Served};
use crate::state::AppState;

/// Bytes read from the store per request while streaming a range.
const CHUNK: u64 = 1024 * 1024;

/// The media type served for a key, by its extension.
pub fn content_type(key: &str) -> &'static str {
    let ext = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "mp4" | "m4v" => "video/mp4",
        "ts" => "video/mp2t",
        "mxf" => "application/mxf",
        "mov" => "video/quicktime",
        "mkv" => "video/x-matroska",
        "m4a" => "audio/mp4",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "m3u8" => "application/vnd.apple.mpegurl",
        _ => "application/octet-stream",
    }
}

fn media_error(e: MediaError) -> ApiError {
    if e.is_not_found() {
        ApiError::not_found("the asset's media is not in the store")
    } else {
        ApiError::internal(e)
    }
}

/// Streams `range` of `key` in chunks, so a large range is never held in memory whole.
fn range_body(media: MediaStore, key: Key, range: std::ops::Range<u64>) -> Body {
    let stream = futures::stream::unfold(range.start, move |pos| {
        let (media, key) = (media.clone(), key.clone());
        async move {
            if pos >= range.end {
                return None;
            }
            let end = (pos + CHUNK).min(range.end);
            let next: Result<Bytes, std::io::Error> =
                media.get_range(&key, pos..end).await.map_err(std::io::Error::other);
            Some((next, end))
        }
    });
    Body::from_stream(stream.boxed())
}

/// The bytes of an asset; honours `Range: bytes=…` (206, or 416 past the end).
#[utoipa::path(get, path = "/api/assets/{id}/content", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, description = "the whole object"), (status = 206, description = "the requested range"),
              (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)))]
pub async fn asset_content(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let aid = parse_id("asset", &id, AssetId::parse)?;
    let asset = state.store.get_asset(aid).await?;
    // Visibility is the programme's: an asset of an invisible programme does not exist.
    crate::routes::programmes::readable(&state, &p, &asset.programme_id.to_string())
        .await
        .map_err(|_| ApiError::not_found(format!("asset not found: {aid}")))?;
    let key = Key::parse(asset.key.clone()).map_err(ApiError::internal)?;
    let meta = state.media.head(&key).await.map_err(media_error)?;
    let size = meta.ok_or_else(|| ApiError::not_found("the asset's media is not in the store"))?.size;
    let range_header = headers.get(RANGE).and_then(|v| v.to_str().ok());
    let (status, range) = match decide(range_header, size) {
        Served::Full => (StatusCode::OK, 0..size),
        Served::Partial(r) => (StatusCode::PARTIAL_CONTENT, r),
        Served::Unsatisfiable => {
            let mut r = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("the object has {size} bytes"),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert(CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    let body = if status == StatusCode::OK {
        let obj = state.media.get(&key).await.map_err(media_error)?;
        Body::from_stream(obj.into_stream().map(|r| r.map_err(std::io::Error::other)))
    } else {
        range_body(state.media.clone(), key, range.clone())
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&asset.key)));
    h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(CONTENT_LENGTH, HeaderValue::from(range.end - range.start));
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{size}", range.start, range.end - 1)) {
            h.insert(CONTENT_RANGE, v);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    #[test]
    fn media_types_follow_the_extension() {
        assert_eq!(super::content_type("programmes/1/house.MP4"), "video/mp4");
        assert_eq!(super::content_type("a/b.ts"), "video/mp2t");
        assert_eq!(super::content_type("noext"), "application/octet-stream");
    }
}
