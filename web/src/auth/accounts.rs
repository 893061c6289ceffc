//! Operator commands behind `kapok user add`, `kapok token create` and the first-run admin.
//! Each takes a connected store and plain arguments and returns what to print.

use catalog::audit::Actor;
use catalog::ids::CentreCode;
use catalog::user::{NewUser, Role, User};
use catalog::Store;

use crate::auth::credentials::{check_password, hash_password, random_secret};
use crate::error::ApiError;

/// The first admin's username.
pub const ADMIN: &str = "admin";

/// A CLI failure, with a message for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(pub String);

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> Self {
        Self(e.message)
    }
}

impl From<catalog::CatalogError> for CliError {
    fn from(e: catalog::CatalogError) -> Self {
        Self(e.to_string())
    }
}

fn cli() -> Actor {
    Actor::system("cli")
}

/// On a catalog with no users, creates `admin` (network admin of the city centre 510400) with
/// `password_from_env` (e.g. `KAPOK_ADMIN_PASSWORD`) or a generated password, which is
/// returned to be printed once. Returns `None` when users exist or the password was given.
///
/// # Errors
/// A given password that is too short or long; database errors.
pub async fn bootstrap_admin(store: &Store, password_from_env: Option<String>) -> Result<Option<String>, CliError> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let (password, generated) = match password_from_env.filter(|p| !p.is_empty()) {
        Some(p) => (p, false),
        None => (random_secret()[..24].to_string(), true),
    };
    check_password(&password)?;
    let centre = CentreCode::parse(CentreCode::CITY)?;
    let new = NewUser {
        username: ADMIN.into(),
        display_name: "全网管理员".into(),
        password_hash: hash_password(password.clone()).await?,
        role: Role::NetworkAdmin,
        centre,
    };
    store.create_user(&Actor::system("bootstrap"), &new).await?;
    Ok(generated.then_some(password))
}

/// `kapok user add`: creates a user.
///
/// # Errors
/// A bad role or centre, a short password, a taken username.
pub async fn user_add(
    store: &Store,
    username: &str,
    display_name: &str,
    role: &str,
    centre: &str,
    password: &str,
) -> Result<User, CliError> {
    check_password(password)?;
    let new = NewUser {
        username: username.to_string(),
        display_name: if display_name.is_empty() { username.to_string() } else { display_name.to_string() },
        password_hash: hash_password(password.to_string()).await?,
        role: Role::parse(role)?,
        centre: CentreCode::parse(centre)?,
    };
    Ok(store.create_user(&cli(), &new).await?)
}

/// `kapok token create`: creates an API token for `username` and returns its secret (shown
/// once). `role` defaults to the user's role; `centre`, when given, must be the user's.
///
/// # Errors
/// An unknown user, bad role, a centre other than the user's, a bad expiry.
pub async fn token_create(
    store: &Store,
    username: &str,
    name: &str,
    role: Option<&str>,
    centre: Option<&str>,
    expires_days: Option<u32>,
) -> Result<String, CliError> {
    let user = store.find_user(username).await?.ok_or_else(|| CliError(format!("no user {username:?}")))?;
    if let Some(c) = centre {
        if CentreCode::parse(c)? != user.centre {
            return Err(CliError(format!("{username} belongs to centre {}, not {c}", user.centre)));
        }
    }
    let role = role.map(Role::parse).transpose()?.unwrap_or(user.role);
    let (_, secret) = crate::routes::users::issue(store, &cli(), &user, name, role, expires_days).await?;
    Ok(secret)
}
