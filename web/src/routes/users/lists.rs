//! `GET /api/users` and `GET /api/tokens`: the accounts and API tokens an admin manages. The
//! network admin sees every centre's (or one, with `?centre=`); a centre admin sees only their
//! own centre's. A token is listed with its name, scope, expiry and revocation, never its
//! secret (only a hash is stored, and that is not served either).

use axum::extract::State;
use axum::Json;
use catalog::ids::CentreCode;
use catalog::user::{ApiToken, Role, User};
use serde::Deserialize;

use crate::auth::policy::{role_may, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// Which centre's accounts to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CentreQuery {
    /// A centre code such as `510421`; a centre admin may give only their own. Default: the
    /// caller's centre, or every centre for the network admin.
    pub centre: Option<String>,
}

/// The centre whose accounts `p` may list for `q`.
fn scope(p: &Principal, q: &CentreQuery) -> Result<Option<CentreCode>, ApiError> {
    if !role_may(p, Permission::ManageUsers) {
        return Err(ApiError::forbidden(format!("{} may not list accounts", p.role)));
    }
    let asked = q
        .centre
        .as_deref()
        .map(|c| CentreCode::parse(c).map_err(|e| ApiError::bad_request(format!("centre: {e}"))))
        .transpose()?;
    if p.role == Role::NetworkAdmin {
        return Ok(asked);
    }
    match asked {
        Some(c) if c != p.centre => {
            Err(ApiError::forbidden(format!("{} of {} may not list the accounts of {c}", p.role, p.centre)))
        }
        _ => Ok(Some(p.centre.clone())),
    }
}

/// Accounts, by username.
#[utoipa::path(get, path = "/api/users", tag = "users", params(CentreQuery),
    responses((status = 200, body = Vec<User>), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<CentreQuery>,
) -> Result<Json<Vec<User>>, ApiError> {
    let centre = scope(&p, &q)?;
    Ok(Json(state.store.list_users_of(centre.as_ref()).await?))
}

/// API tokens (never their secrets), oldest first, revoked and expired ones included.
#[utoipa::path(get, path = "/api/tokens", tag = "users", params(CentreQuery),
    responses((status = 200, body = Vec<ApiToken>), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<CentreQuery>,
) -> Result<Json<Vec<ApiToken>>, ApiError> {
    let centre = scope(&p, &q)?;
    Ok(Json(state.store.list_tokens(centre.as_ref()).await?))
}
