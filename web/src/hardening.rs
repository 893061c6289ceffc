//! Response hardening applied to every answer: security headers, and a guarantee that every
//! error is JSON (errors produced below the handlers, such as a body-limit 413 or a 405,
//! arrive as plain text and are rewritten here into the API's error shape).

use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Only this origin's scripts, styles, images, media and connections; no framing, no plugins.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; object-src 'none'; \
                       frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// Adds the security headers to a response.
pub async fn secure_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    r
}

fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::NOT_FOUND => "not_found",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

/// Rewrites a non-JSON error answer into `{error: {code, message}}` with the same status.
pub async fn json_errors(r: Response) -> Response {
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return r;
    }
    let is_json =
        r.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return r;
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is larger than the 4 MiB limit".to_string(),
        s => s.canonical_reason().unwrap_or("error").to_string(),
    };
    let mut out = ApiError::new(status, code_for(status), message).into_response();
    for name in [axum::http::header::RETRY_AFTER, axum::http::header::CONTENT_RANGE, axum::http::header::ALLOW] {
        if let Some(v) = r.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}
