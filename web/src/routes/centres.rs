//! `/api/centres`: the six centres of the network.

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// A media centre as served.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CentreView {
    /// GB/T 2260 area code, e.g. `510421`.
    pub code: String,
    pub name: String,
    pub area_name: String,
}

/// The centres of the network, city first.
#[utoipa::path(get, path = "/api/centres", tag = "catalog",
    responses((status = 200, body = Vec<CentreView>), (status = 500, body = ErrorBody)))]
pub async fn list_centres(State(state): State<AppState>) -> Result<Json<Vec<CentreView>>, ApiError> {
    let centres = state.store.list_centres().await?;
    Ok(Json(
        centres
            .into_iter()
            .map(|c| CentreView { code: c.code.to_string(), name: c.name, area_name: c.area_name })
            .collect(),
    ))
}
