//! `POST /api/ebd`: the emergency-broadcast platform's own exchange. The upper platform
//! posts `multipart/form-data` with one part `file` holding an EBD package
//! (`EBDT_<EBDID>.tar`); the answer is always HTTP 200 whose body is again a package, holding
//! a signed `EBDResponse` with the result code (see `schedules::emergency::ebd`). A request
//! that carries no package at all is answered the same way (code 2), so the platform always
//! receives an answer in its own protocol. The processing itself is composed in the `kapok`
//! crate behind [`EbdEndpoint`]; when the exchange is not configured the route answers 503
//! (JSON) naming the settings.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use crate::error::ApiError;
use crate::state::AppState;

/// The largest request accepted on this route: a package at its limit plus multipart framing.
pub const EBD_BODY_LIMIT: usize = schedules::emergency::ebd::vendor::limits::MAX_PACKAGE_BYTES + (1 << 20);

/// What the route asks of the platform link of this process.
pub trait EbdEndpoint: Send + Sync {
    /// Handles one package (`Err`: the request held no `file` part, with the reason) and
    /// returns the reply package, always (a refusal is a reply with its code).
    fn receive(&self, package: Result<Vec<u8>, String>, now: DateTime<Utc>) -> BoxFuture<'static, Reply>;
}

/// A reply package and its name.
#[derive(Debug, Clone)]
pub struct Reply {
    /// `EBDT_<EBDID>.tar`.
    pub name: String,
    /// The tar.
    pub body: Vec<u8>,
}

/// Receives an EBD package from the upper platform.
#[utoipa::path(post, path = "/api/ebd", tag = "alerts",
    request_body(content_type = "multipart/form-data", description = "part `file`: the EBD package (tar)"),
    responses((status = 200, description = "the reply package (tar) holding a signed EBDResponse", content_type = "application/x-tar"),
              (status = 503, description = "the EBD exchange is not configured")))]
pub async fn receive_ebd(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let Some(endpoint) = state.ebd.clone() else {
        return Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "ebd_not_configured",
            "the EBD exchange is not configured: set ebd_ebrid, ebd_platform_ebrid, ebd_signing_key_file and ebd_cert_sn",
        ));
    };
    let package = match multipart {
        Ok(m) => file_part(m).await,
        Err(e) => Err(format!("the request is not multipart/form-data with a part named \"file\": {e}")),
    };
    let reply = endpoint.receive(package, Utc::now()).await;
    state.desk.flush(&state.store).await;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-tar".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", reply.name)),
        ],
        reply.body,
    )
        .into_response())
}

async fn file_part(mut m: Multipart) -> Result<Vec<u8>, String> {
    let part = schedules::emergency::ebd::vendor::MULTIPART_PART;
    loop {
        match m.next_field().await {
            Ok(Some(field)) if field.name() == Some(part) => {
                return field.bytes().await.map(|b| b.to_vec()).map_err(|e| format!("part {part:?}: {e}"))
            }
            Ok(Some(_)) => continue,
            Ok(None) => return Err(format!("the form has no part named {part:?}")),
            Err(e) => return Err(format!("the form cannot be read: {e}")),
        }
    }
}
