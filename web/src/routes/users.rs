//! `/api/users` and `/api/tokens`: accounts and API tokens, managed by the network admin and
//! by each centre's admin for its own centre. A token's secret is shown once, at creation.
//! Nobody but the network admin creates network admins (or tokens with that role).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use catalog::ids::{CentreCode, TokenId};
use catalog::user::{ApiToken, NewApiToken, NewUser, Role, User};
use serde::{Deserialize, Serialize};

use crate::auth::credentials::{check_password, digest, hash_password, new_token_secret};
use crate::auth::policy::{allows, decide, may_mint_for, role_may, token_role_within, Decision, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiPath, ApiQuery};
use crate::routes::programmes::actor;
use crate::state::AppState;

/// A new account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    pub username: String,
    pub display_name: Option<String>,
    /// 10-256 characters; stored as an argon2id hash only.
    pub password: String,
    pub role: Role,
    pub centre: CentreCode,
}

/// A new API token for an existing user, scoped to a role (default: the user's) and to the
/// user's centre.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCreate {
    pub username: String,
    pub name: String,
    pub role: Option<Role>,
    /// Days until it expires (1-3650); none: until revoked.
    pub expires_days: Option<u32>,
}

/// A created token: `secret` is shown this once and never again.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenCreated {
    pub token: ApiToken,
    pub secret: String,
}

fn grants(p: &Principal, role: Role, centre: &CentreCode) -> Result<(), ApiError> {
    if !allows(p, Permission::ManageUsers, Some(centre), false) {
        return Err(ApiError::forbidden(format!("{} of {} may not manage accounts of {centre}", p.role, p.centre)));
    }
    if role == Role::NetworkAdmin && p.role != Role::NetworkAdmin {
        return Err(ApiError::forbidden("only a network admin grants the network_admin role"));
    }
    Ok(())
}

/// Creates an account.
#[utoipa::path(post, path = "/api/users", tag = "users", request_body = UserCreate,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<UserCreate>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    grants(&p, b.role, &b.centre)?;
    check_password(&b.password)?;
    let new = NewUser {
        display_name: b.display_name.unwrap_or_else(|| b.username.clone()),
        username: b.username,
        password_hash: hash_password(b.password).await?,
        role: b.role,
        centre: b.centre,
    };
    Ok((StatusCode::CREATED, Json(state.store.create_user(&actor(&p), &new).await?)))
}

/// Creates an API token; the answer holds the secret, shown only this once.
#[utoipa::path(post, path = "/api/tokens", tag = "users", request_body = TokenCreate,
    responses((status = 201, body = TokenCreated), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<TokenCreate>,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    let user = state.store.find_user(&b.username).await?;
    let user = user.ok_or_else(|| ApiError::not_found(format!("no user {:?}", b.username)))?;
    // Tokens for oneself, or by an admin for users of their own centre ranking below them.
    if user.id != p.user_id {
        match decide(&p, Permission::ManageUsers, Permission::ManageUsers, Some(&user.centre), false) {
            Decision::Allow => {}
            Decision::Hidden => return Err(ApiError::not_found(format!("no user {:?}", b.username))),
            Decision::Forbidden => {
                return Err(ApiError::forbidden(format!("{} may create API tokens only for themselves", p.role)))
            }
        }
        if !may_mint_for(&p, user.role, &user.centre) {
            return Err(ApiError::forbidden(format!(
                "a {} may not create tokens in the name of a {}; they create their own",
                p.role, user.role
            )));
        }
    }
    let role = b.role.unwrap_or(user.role);
    if !token_role_within(role, user.role) {
        return Err(ApiError::forbidden(format!("a token of {} may not act as {role}", user.role)));
    }
    let (token, secret) = issue(&state.store, &actor(&p), &user, &b.name, role, b.expires_days).await?;
    Ok((StatusCode::CREATED, Json(TokenCreated { token, secret })))
}

/// Creates a token for `user` and returns it with its secret.
///
/// # Errors
/// 422 for an empty name or a bad expiry; store errors.
pub async fn issue(
    store: &catalog::Store,
    by: &catalog::audit::Actor,
    user: &User,
    name: &str,
    role: Role,
    expires_days: Option<u32>,
) -> Result<(ApiToken, String), ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::unprocessable("a token name has 1-64 characters"));
    }
    if matches!(expires_days, Some(d) if d == 0 || d > 3650) {
        return Err(ApiError::unprocessable("expires_days must be 1-3650"));
    }
    let secret = new_token_secret();
    let new = NewApiToken {
        user_id: user.id,
        name: name.to_string(),
        token_hash: digest(&secret),
        role,
        centre: user.centre.clone(),
        expires_at: expires_days.map(|d| chrono::Utc::now() + chrono::Duration::days(i64::from(d))),
    };
    Ok((store.create_token(by, &new).await?, secret))
}

/// Revokes an API token at once (revoking twice is harmless).
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let tid = parse_id("token", &id, TokenId::parse)?;
    let token = state.store.get_token(tid).await?;
    match decide(&p, Permission::ManageUsers, Permission::ManageUsers, Some(&token.centre), false) {
        Decision::Allow => {}
        Decision::Hidden => return Err(ApiError::not_found(format!("token not found: {tid}"))),
        Decision::Forbidden => return Err(ApiError::forbidden(format!("{} may not revoke API tokens", p.role))),
    }
    state.store.revoke_token(&actor(&p), tid).await?;
    state.events.end_credential(&token.token_hash);
    Ok(StatusCode::NO_CONTENT)
}

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
