//! `/api/alerts`: emergency alerts in (CAP 1.2, GB/T 35965.1, GY/T 385 EBM or Kapok's JSON)
//! and their states out. Only senders whose role may send alerts, for areas within their own
//! centre (the city centre's for the whole network), are accepted; everything else is refused
//! before anything airs.

pub mod detail;
pub mod report;
pub mod signed;
pub mod stream;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::auth::policy::{role_may, Permission, Principal};
use crate::desk::{DeskError, Receipt};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// An alert refused as invalid, with every reason.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InvalidAlert {
    /// `{ "code": "invalid_alert", "message" }`.
    pub error: crate::error::ErrorDetail,
    /// Each problem: `code`, `message`, `path`.
    #[schema(value_type = Vec<crate::schema_docs::ReasonDoc>)]
    pub reasons: Vec<schedules::emergency::Reason>,
}

/// Receives an alert document and puts it on air on the channels it targets. Without a
/// session or token, only a message signed by a configured source is accepted (401 otherwise).
#[utoipa::path(post, path = "/api/alerts", tag = "alerts",
    request_body(content = String, description = "CAP 1.2 XML, GY/T 385 EBD/EBM XML, or JSON alert"),
    responses((status = 202, body = Receipt), (status = 401, body = InvalidAlert), (status = 403, body = ErrorBody), (status = 422, body = InvalidAlert)))]
pub async fn send_alert(
    State(state): State<AppState>,
    headers: HeaderMap,
    p: Result<Principal, ApiError>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = match p {
        Ok(p) => p,
        // No credentials at all: only a configured signed source may send.
        Err(_) if !has_credentials(&headers) => {
            return crate::routes::alerts::signed::send_signed(state, &headers, body).await
        }
        Err(e) => return Err(e),
    };
    if !role_may(&p, Permission::SendAlert) {
        return Err(ApiError::forbidden(format!("{} may not send alerts", p.role)));
    }
    let scope = sender_scope(&p)?;
    let desk = state.desk.clone();
    let sender = catalog::audit::Actor::user(&p.username);
    let now = chrono::Utc::now();
    let result = tokio::task::spawn_blocking(move || desk.receive_as(&body, now, sender, scope))
        .await
        .map_err(ApiError::internal)?;
    // Stored (with its audit) before the sender hears it was accepted.
    state.desk.flush(&state.store).await;
    answer(result, &p.username)
}

/// For whom `p` sends: the whole network (the network administrator, the city centre) or
/// their centre's area.
pub(crate) fn sender_scope(p: &Principal) -> Result<crate::desk::SenderScope, ApiError> {
    if p.role == catalog::user::Role::NetworkAdmin || p.centre.is_city() {
        return Ok(crate::desk::SenderScope::Network);
    }
    schedules::emergency::AreaCode::parse(p.centre.as_str())
        .map(crate::desk::SenderScope::Area)
        .map_err(|e| ApiError::forbidden(format!("centre {} has no area code to send for: {e}", p.centre)))
}

/// Whether the request carries a token or a session cookie (valid or not).
fn has_credentials(headers: &HeaderMap) -> bool {
    headers.contains_key(axum::http::header::AUTHORIZATION)
        || crate::auth::principal::cookie(headers, crate::auth::credentials::SESSION_COOKIE).is_some()
}

/// The answer to what the desk did with an alert from `sender`.
pub(crate) fn answer(result: Result<Receipt, DeskError>, sender: &str) -> Result<Response, ApiError> {
    let refused = |status: StatusCode, code: &str, reasons: Vec<schedules::emergency::Reason>| {
        let detail = crate::error::ErrorDetail {
            code: code.into(),
            message: reasons.first().map(|r| r.message.clone()).unwrap_or_else(|| code.replace('_', " ")),
            params: Default::default(),
        };
        (status, Json(InvalidAlert { error: detail, reasons })).into_response()
    };
    match result {
        Ok(receipt) => {
            tracing::warn!(%sender, alert = %receipt.key, outcome = receipt.outcome, channels = ?receipt.channels, "alert received");
            Ok((StatusCode::ACCEPTED, Json::<Receipt>(receipt)).into_response())
        }
        Err(DeskError::Invalid(reasons)) => {
            tracing::warn!(%sender, reasons = reasons.len(), "alert refused as invalid");
            Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, "invalid_alert", reasons))
        }
        Err(DeskError::Unauthenticated(reasons)) => {
            let first = reasons.first().map(|r| r.message.clone()).unwrap_or_default();
            tracing::warn!(%sender, reason = %first, "alert refused: not signed by a configured source");
            Ok(refused(StatusCode::UNAUTHORIZED, "unauthenticated_alert", reasons))
        }
        Err(DeskError::Forbidden(m)) => Err(ApiError::forbidden(m)),
        Err(e) => Err(ApiError::unprocessable(e.to_string())),
    }
}

/// The alerts this server knows and their states.
#[utoipa::path(get, path = "/api/alerts", tag = "alerts",
    responses((status = 200, body = Vec<crate::schema_docs::TrackedAlertDoc>), (status = 403, body = ErrorBody)))]
pub async fn list_alerts(State(state): State<AppState>, p: Principal) -> Result<Response, ApiError> {
    if !role_may(&p, Permission::ReadAlert) {
        return Err(ApiError::forbidden(format!("{} may not read alerts", p.role)));
    }
    Ok(Json(state.desk.alerts()).into_response())
}
