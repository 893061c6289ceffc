//! `/api/alerts`: emergency alerts in (CAP 1.2, GB/T 35965.1, GY/T 385 EBM or Kapok's JSON)
//! and their states out. Only senders whose role may send alerts, for areas within their own
//! centre (the city centre's for the whole network), are accepted; everything else is refused
//! before anything airs.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::emergency::{DeskError, Receipt};
use crate::error::{ApiError, ErrorBody};
use crate::policy::{role_may, Permission, Principal};
use crate::state::AppState;

/// An alert refused as invalid, with every reason.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InvalidAlert {
    /// `{ "code": "invalid_alert", "message" }`.
    pub error: crate::error::ErrorDetail,
    /// Each problem: `code`, `message`, `path`.
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<schedules::emergency::Reason>,
}

/// Receives an alert document and puts it on air on the channels it targets.
#[utoipa::path(post, path = "/api/alerts", tag = "alerts",
    request_body(content = String, description = "CAP 1.2 XML, GY/T 385 EBD/EBM XML, or JSON alert"),
    responses((status = 202, body = Object), (status = 403, body = ErrorBody), (status = 422, body = InvalidAlert)))]
pub async fn send_alert(State(state): State<AppState>, p: Principal, body: Bytes) -> Result<Response, ApiError> {
    if !role_may(&p, Permission::SendAlert) {
        return Err(ApiError::forbidden(format!("{} may not send alerts", p.role)));
    }
    let centre = p.centre.clone();
    let network_wide = p.role == catalog::user::Role::NetworkAdmin || centre.is_city();
    let authorize = move |alert: &schedules::emergency::Alert| {
        if network_wide {
            return Ok(());
        }
        let codes: Vec<String> = alert.areas.iter().flat_map(|a| a.codes.iter().map(|c| c.to_string())).collect();
        if codes.is_empty() || codes.iter().any(|c| !c.starts_with(centre.as_str())) {
            return Err(format!("centre {centre} may send alerts only for its own area codes ({centre}…)"));
        }
        Ok(())
    };
    let desk = state.desk.clone();
    let now = chrono::Utc::now();
    let result =
        tokio::task::spawn_blocking(move || desk.receive(&body, now, authorize)).await.map_err(ApiError::internal)?;
    match result {
        Ok(receipt) => {
            tracing::warn!(user = %p.username, alert = %receipt.key, outcome = receipt.outcome, channels = ?receipt.channels, "alert received");
            Ok((StatusCode::ACCEPTED, Json::<Receipt>(receipt)).into_response())
        }
        Err(DeskError::Invalid(reasons)) => {
            tracing::warn!(user = %p.username, reasons = reasons.len(), "alert refused as invalid");
            let detail = crate::error::ErrorDetail {
                code: "invalid_alert".into(),
                message: reasons.first().map(|r| r.message.clone()).unwrap_or_else(|| "invalid alert".into()),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(InvalidAlert { error: detail, reasons })).into_response())
        }
        Err(DeskError::Forbidden(m)) => Err(ApiError::forbidden(m)),
        Err(e) => Err(ApiError::unprocessable(e.to_string())),
    }
}

/// The alerts this server knows and their states.
#[utoipa::path(get, path = "/api/alerts", tag = "alerts", responses((status = 200, body = Object)))]
pub async fn list_alerts(State(state): State<AppState>, p: Principal) -> Result<Response, ApiError> {
    if !role_may(&p, Permission::ReadAlert) {
        return Err(ApiError::forbidden(format!("{} may not read alerts", p.role)));
    }
    Ok(Json(state.desk.alerts()).into_response())
}
