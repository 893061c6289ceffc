//! `POST /api/alerts` from a sender without a session or token: accepted only when the
//! message is signed by a configured source (CAP enveloped XML-DSig RSA-SHA256 against the
//! configured public keys; a GY/T 385 EBD with its detached SM2/SM3 signature, sent hex-encoded
//! in the `X-EBD-Signature` header, against the configured SM2 keys) and its `sent` is within
//! the replay window. Everything else is a 401 with the reason, logged; nothing airs.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::error::ApiError;
use crate::state::AppState;

/// The header carrying an EBD's detached signature document, hex-encoded.
pub const EBD_SIGNATURE_HEADER: &str = "x-ebd-signature";

/// Receives a signed alert (see the module documentation).
///
/// # Errors
/// A 400 for an `X-EBD-Signature` header that is not hex.
pub async fn send_signed(state: AppState, headers: &HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let detached = match headers.get(EBD_SIGNATURE_HEADER) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|t| hex::decode(t.trim()).ok())
                .ok_or_else(|| ApiError::bad_request("X-EBD-Signature must be the detached signature, hex-encoded"))?,
        ),
    };
    let desk = state.desk.clone();
    let now = chrono::Utc::now();
    let result = tokio::task::spawn_blocking(move || desk.receive_signed(&body, detached.as_deref(), now))
        .await
        .map_err(ApiError::internal)?;
    state.desk.flush(&state.store).await;
    crate::routes::alerts::answer(result, "signed source")
}
