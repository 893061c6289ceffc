//! `/api/alerts/{id}` and `/api/alerts/{id}/report`: one alert's stored state history, and
//! its report (channels, airings with start and end, repeats, outcomes). `{id}` is the
//! alert's key as `POST /api/alerts` answers it (`cap:sender,identifier,sent` or `ebm:ID`),
//! percent-encoded. Read from the catalog, so both survive a restart.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::auth::policy::{role_may, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiPath;
use crate::state::AppState;

/// A stored alert with every step.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AlertHistory {
    #[serde(flatten)]
    pub alert: catalog::alert::AlertRecord,
    /// State changes and airing events, oldest first.
    pub history: Vec<catalog::alert::AlertEvent>,
}

async fn load(
    state: &AppState,
    p: &Principal,
    key: &str,
) -> Result<(catalog::alert::AlertRecord, Vec<catalog::alert::AlertEvent>), ApiError> {
    if !role_may(p, Permission::ReadAlert) {
        return Err(ApiError::forbidden(format!("{} may not read alerts", p.role)));
    }
    // What the desk queued (e.g. an airing that just ended) is written before reading.
    state.desk.flush(&state.store).await;
    let record = match state.store.get_alert(key).await {
        Err(catalog::CatalogError::NotFound { .. }) => {
            return Err(ApiError::not_found(format!(
                "no alert with key {key:?} (use the key POST /api/alerts answered)"
            )))
        }
        other => other?,
    };
    let events = state.store.alert_events(key).await?;
    Ok((record, events))
}

/// One alert: its stored form, current state and every timestamped step.
#[utoipa::path(get, path = "/api/alerts/{id}", tag = "alerts", params(("id" = String, Path, description = "the alert's key")),
    responses((status = 200, body = AlertHistory), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_alert(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(key): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (alert, history) = load(&state, &p, &key).await?;
    Ok(Json(AlertHistory { alert, history }).into_response())
}

/// Which channels aired an alert, when (start and end of each airing), how many times, and
/// with what outcome.
#[utoipa::path(get, path = "/api/alerts/{id}/report", tag = "alerts", params(("id" = String, Path, description = "the alert's key")),
    responses((status = 200, body = crate::routes::alerts::report::AlertReport), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn alert_report(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(key): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (record, events) = load(&state, &p, &key).await?;
    Ok(Json(crate::routes::alerts::report::report(&record, &events)).into_response())
}
