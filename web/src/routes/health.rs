//! `/healthz`: is this node able to serve? Checks the database and the media store.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use crate::state::AppState;

/// The health of each dependency.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` when every check passed, else `degraded`.
    pub status: &'static str,
    pub database: Check,
    pub storage: Check,
    pub version: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Check {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Check {
    fn from<E: std::fmt::Display>(r: Result<(), E>) -> Self {
        match r {
            Ok(()) => Self { ok: true, error: None },
            Err(e) => Self { ok: false, error: Some(e.to_string()) },
        }
    }
}

/// 200 when the database and the media store answer, 503 (with which failed) otherwise.
#[utoipa::path(get, path = "/healthz", tag = "system",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let (db, storage) = tokio::join!(state.store.ping(), state.media.check());
    let (database, storage) = (Check::from(db), Check::from(storage));
    let ok = database.ok && storage.ok;
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let health =
        Health { status: if ok { "ok" } else { "degraded" }, database, storage, version: env!("CARGO_PKG_VERSION") };
    (status, Json(health))
}
