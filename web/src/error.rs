//! The one error type of the HTTP API: `{ "error": { "code", "message" } }` with the right
//! status. 4xx messages tell a person what to fix; 5xx details are logged, never served.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use catalog::CatalogError;
use serde::Serialize;

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds to wait before trying again (sent as `Retry-After`), for 429 answers.
    pub retry_after: Option<u64>,
    /// The values the message names (a title, a time, a row), so a client can word the
    /// `code` in its reader's language.
    pub params: BTreeMap<String, String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `invalid`, `conflict`.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// The values `message` names, by name, for clients that word `code` themselves.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None, params: BTreeMap::new() }
    }
    /// The error with parameter `key` set to `value` (see [`ErrorDetail::params`]).
    #[must_use]
    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.params.insert(key.to_owned(), value.to_string());
        self
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    /// A server-side failure: the detail goes to the log, the client gets a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the server log")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code.to_string(), message: self.message, params: self.params },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        response
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match &e {
            CatalogError::Invalid { .. } => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string()),
            CatalogError::NotFound { .. } => Self::not_found(e.to_string()),
            CatalogError::Conflict(_) => Self::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            _ => Self::internal(e),
        }
    }
}
