//! Who is calling: the [`Principal`] extractor. A request is authenticated by an API token
//! (`Authorization: Bearer kpk_…`) or by the browser session cookie; a state-changing request
//! authenticated by the cookie must also repeat the session's CSRF token in `X-CSRF-Token`
//! (tokens are exempt: a browser never attaches them on its own). Missing or invalid
//! credentials are a 401, a missing or wrong CSRF token a 403, both as JSON.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use chrono::Utc;

use crate::auth::credentials::{digest, secrets_equal, CSRF_HEADER, SESSION_COOKIE, TOKEN_PREFIX};
use crate::auth::policy::Principal;
use crate::error::ApiError;
use crate::state::AppState;

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The SHA-256 digest of the request's credential as stored (an API token's, else the
/// session cookie's) and whether it is a session; `None` without one.
pub fn credential_digest(headers: &HeaderMap) -> (Option<String>, bool) {
    let bearer =
        headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|t| t.strip_prefix("Bearer ")).map(str::trim);
    match (bearer, cookie(headers, SESSION_COOKIE)) {
        (Some(token), _) => (Some(digest(token)), false),
        (None, Some(secret)) => (Some(digest(secret)), true),
        (None, None) => (None, false),
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(p.clone());
        }
        let p = authenticate(parts, state).await?;
        parts.extensions.insert(p.clone());
        Ok(p)
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let text = value.to_str().map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
        let secret = text
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|s| s.starts_with(TOKEN_PREFIX))
            .ok_or_else(|| ApiError::unauthorized("use Authorization: Bearer kpk_… with an API token"))?;
        return by_token(state, secret).await;
    }
    if let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) {
        return by_session(parts, state, secret).await;
    }
    Err(ApiError::unauthorized("sign in (POST /api/auth/login) or send an API token"))
}

async fn by_token(state: &AppState, secret: &str) -> Result<Principal, ApiError> {
    let hash = digest(secret);
    let found = match state.tokens.get(&hash, std::time::Instant::now()) {
        Some(kept) => Some(kept),
        None => {
            let generation = state.tokens.generation();
            let found = state.store.find_token_with_user(&hash).await?;
            if let Some(f) = &found {
                state.tokens.put(&hash, f.clone(), generation, std::time::Instant::now());
            }
            found
        }
    };
    // The look-up is by digest; the final comparison is constant-time all the same.
    let (token, username, disabled) = found
        .filter(|(t, _, _)| secrets_equal(&t.token_hash, &hash))
        .ok_or_else(|| ApiError::unauthorized("unknown API token"))?;
    if !token.is_usable(Utc::now()) {
        return Err(ApiError::unauthorized("this API token has expired or been revoked"));
    }
    if disabled {
        return Err(ApiError::unauthorized("the account of this API token is disabled"));
    }
    Ok(Principal { user_id: token.user_id, username, role: token.role, centre: token.centre, token: Some(token.name) })
}

async fn by_session(parts: &Parts, state: &AppState, secret: &str) -> Result<Principal, ApiError> {
    let session = state
        .store
        .find_session(&digest(secret), Utc::now())
        .await?
        .ok_or_else(|| ApiError::unauthorized("the session has ended; sign in again"))?;
    if !is_safe(&parts.method) {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !secrets_equal(sent, &session.csrf_token) {
            return Err(ApiError::forbidden("missing or wrong X-CSRF-Token header (from the login response)"));
        }
    }
    let user = state.store.get_user(session.user_id).await?;
    if user.disabled {
        return Err(ApiError::unauthorized("this account is disabled"));
    }
    Ok(Principal { user_id: user.id, username: user.username, role: user.role, centre: user.centre, token: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, "a=1; kapok_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
