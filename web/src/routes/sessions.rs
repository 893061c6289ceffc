//! `/api/auth/*`: signing in and out of a browser session, and who am I.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::auth::credentials::{digest, random_secret, verify_password, SESSION_COOKIE, SESSION_HOURS};
use crate::auth::policy::Principal;
use crate::auth::principal::cookie;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;

/// A sign-in.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The signed-in user and the CSRF token to send as `X-CSRF-Token` on every change.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    pub user: Principal,
    pub csrf_token: String,
}

/// The client's address as the listener saw it (`unknown` when the server was not started
/// with connect info).
pub struct ClientIp(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip().to_string());
        Ok(Self(ip.unwrap_or_else(|| "unknown".into())))
    }
}

/// Whether the request reached the proxy over TLS (then the cookie is `Secure`).
fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').next().is_some_and(|p| p.trim().eq_ignore_ascii_case("https")))
}

/// The `Set-Cookie` value for a session secret (or, with `None`, one that clears it).
pub fn session_cookie(secret: Option<&str>, secure: bool) -> String {
    let (value, age) = match secret {
        Some(s) => (s, SESSION_HOURS * 3600),
        None => ("", 0),
    };
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={age}{secure}")
}

fn with_cookie(mut response: Response, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(SET_COOKIE, v);
    }
    response
}

/// Signs in with a username and password: sets the `kapok_session` cookie (HttpOnly,
/// SameSite=Strict, Secure behind TLS) and answers the CSRF token. Attempts are reserved
/// before the password is checked: per username, five failures (or attempts in flight) then a
/// lock doubling from 5 s (429, Retry-After); per address, spaced after twenty failures, never
/// locked (see `auth::ratelimit`).
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    // Without connect info every client would share one address bucket: limit by user only.
    let address = (ip != "unknown").then_some(ip.as_str());
    // Reserved before the password is checked: attempts in flight count against the limits.
    let attempt = match state.logins.reserve(&req.username, address, Instant::now()) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!("too many failed sign-ins; try again in {secs} s"),
            );
            e.retry_after = Some(secs);
            return Err(e);
        }
    };
    if !attempt.wait.is_zero() {
        // Many failures from this address: its attempts take turns (slowed, never locked).
        tokio::time::sleep(attempt.wait).await;
    }
    let user = state.store.find_user(req.username.trim()).await?;
    let ok = verify_password(req.password, user.as_ref().map(|u| u.password_hash.clone())).await;
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            drop(attempt); // a failure
            tracing::info!(username = ?req.username.trim(), %ip, "failed sign-in");
            return Err(ApiError::unauthorized("wrong username or password"));
        }
    };
    attempt.succeeded();
    let (secret, csrf) = (random_secret(), random_secret());
    let expires = chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS);
    state.store.create_session(&digest(&secret), user.id, &csrf, expires).await?;
    tracing::info!(username = %user.username, "signed in");
    let body = LoginResponse {
        user: Principal {
            user_id: user.id,
            username: user.username,
            role: user.role,
            centre: user.centre,
            token: None,
        },
        csrf_token: csrf,
    };
    Ok(with_cookie(Json(body).into_response(), &session_cookie(Some(&secret), over_tls(&headers))))
}

/// Signs out: ends the session and clears the cookie. With an API token there is nothing to end.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, _p: Principal, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        state.store.delete_session(&digest(secret)).await?;
        // Its event streams end too.
        state.events.end_credential(&digest(secret));
    }
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), &session_cookie(None, over_tls(&headers))))
}

/// The caller, as the API sees it (role and centre of the session's user or of the token).
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses((status = 200, body = Principal), (status = 401, body = ErrorBody)))]
pub async fn me(p: Principal) -> Json<Principal> {
    Json(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_only_behind_tls() {
        let c = session_cookie(Some("s3cret"), false);
        assert_eq!(c, "kapok_session=s3cret; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200");
        assert!(session_cookie(Some("s"), true).ends_with("; Secure"));
        assert!(session_cookie(None, false).contains("Max-Age=0"));
        let mut h = HeaderMap::new();
        assert!(!over_tls(&h));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(over_tls(&h));
    }
}
