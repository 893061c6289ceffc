//! Users and API tokens.

use chrono::Utc;

use super::rows::{convert, TokenRow, UserRow};
use super::{record_audit, with_pool, Store};
use crate::audit::Actor;
use crate::error::{CatalogError, Result};
use crate::ids::{CentreCode, TokenId, UserId};
use crate::store::BeginWrite;
use crate::user::{ApiToken, NewApiToken, NewUser, User};

const USER_COLUMNS: &str = "id, username, display_name, password_hash, role, centre_code, disabled, created_at";
const TOKEN_COLUMNS: &str = "id, user_id, name, token_hash, role, centre_code, created_at, expires_at, revoked_at";

/// A token row with the two facts of its user that authentication needs.
#[derive(sqlx::FromRow)]
struct TokenUserRow {
    #[sqlx(flatten)]
    token: TokenRow,
    username: String,
    disabled: bool,
}

impl Store {
    /// Creates a user, audited (without the password hash).
    ///
    /// # Errors
    /// `Conflict` when the username is taken; `Invalid` for an empty username or unknown centre.
    pub async fn create_user(&self, actor: &Actor, new: &NewUser) -> Result<User> {
        let name = new.username.trim();
        if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(CatalogError::invalid("username", "use 1-64 characters without spaces"));
        }
        let id = UserId::new();
        let sql = "INSERT INTO users (id, username, display_name, password_hash, role, centre_code, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7)";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sql)
                .bind(id.to_string()).bind(name).bind(&new.display_name).bind(&new.password_hash)
                .bind(new.role.as_str()).bind(new.centre.as_str()).bind(Utc::now())
                .execute(&mut *tx).await?;
            let after = serde_json::json!({ "username": name, "role": new.role, "centre": new.centre });
            record_audit!(&mut *tx, actor, "user.create", "user", id.to_string(), None::<serde_json::Value>, Some(after))?;
            tx.commit().await?;
        });
        self.get_user(id).await
    }

    /// One user by id.
    ///
    /// # Errors
    /// `NotFound` when there is no such user.
    pub async fn get_user(&self, id: UserId) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> =
            with_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await)?;
        row.ok_or_else(|| CatalogError::not_found("user", id))?.try_into()
    }

    /// One user by username, if there is one.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn find_user(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        let row: Option<UserRow> =
            with_pool!(self, pool => sqlx::query_as(&sql).bind(username).fetch_optional(pool).await)?;
        row.map(User::try_from).transpose()
    }

    /// Every user, by username.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
        let rows: Vec<UserRow> = with_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
        convert(rows)
    }

    /// The users of one centre (every user when `centre` is `None`), by username.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn list_users_of(&self, centre: Option<&CentreCode>) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE ($1 IS NULL OR centre_code = $1) ORDER BY username");
        let rows: Vec<UserRow> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(centre.map(|c| c.as_str().to_string())).fetch_all(pool).await)?;
        convert(rows)
    }

    /// The API tokens of one centre (all when `centre` is `None`), oldest first; revoked and
    /// expired ones included. Only hashes are stored, so no secret can be listed.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn list_tokens(&self, centre: Option<&CentreCode>) -> Result<Vec<ApiToken>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE ($1 IS NULL OR centre_code = $1) ORDER BY created_at, id"
        );
        let rows: Vec<TokenRow> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(centre.map(|c| c.as_str().to_string())).fetch_all(pool).await)?;
        rows.into_iter().map(ApiToken::try_from).collect()
    }

    /// Stores a new API token (its hash only), audited.
    ///
    /// # Errors
    /// `Conflict` when the hash is already stored; `Invalid` for an unknown user or centre.
    pub async fn create_token(&self, actor: &Actor, new: &NewApiToken) -> Result<ApiToken> {
        let id = TokenId::new();
        let sql = format!(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, role, centre_code, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {TOKEN_COLUMNS}"
        );
        let row: TokenRow = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: TokenRow = sqlx::query_as(&sql)
                .bind(id.to_string()).bind(new.user_id.to_string()).bind(&new.name).bind(&new.token_hash)
                .bind(new.role.as_str()).bind(new.centre.as_str()).bind(Utc::now()).bind(new.expires_at)
                .fetch_one(&mut *tx).await?;
            let after = serde_json::json!({ "name": new.name, "role": new.role, "centre": new.centre, "expires_at": new.expires_at });
            record_audit!(&mut *tx, actor, "token.create", "token", id.to_string(), None::<serde_json::Value>, Some(after))?;
            tx.commit().await?;
            row
        });
        row.try_into()
    }

    /// The token with this hash, usable or not (the caller checks `is_usable`).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn find_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1");
        let row: Option<TokenRow> =
            with_pool!(self, pool => sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await)?;
        row.map(ApiToken::try_from).transpose()
    }

    /// Revokes a token at once; revoking twice is harmless.
    ///
    /// # Errors
    /// `NotFound` when there is no such token.
    pub async fn revoke_token(&self, actor: &Actor, id: TokenId) -> Result<()> {
        let sql = "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(sql).bind(Utc::now()).bind(id.to_string()).execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(CatalogError::not_found("token", id));
            }
            record_audit!(&mut *tx, actor, "token.revoke", "token", id.to_string(), None::<serde_json::Value>, None::<serde_json::Value>)?;
            tx.commit().await?;
        });
        self.credentials.bump();
        Ok(())
    }

    /// The token with this hash and its user's name and disabled flag, in one round trip
    /// (authentication runs on every API request).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn find_token_with_user(&self, token_hash: &str) -> Result<Option<(ApiToken, String, bool)>> {
        let sql = "SELECT t.id, t.user_id, t.name, t.token_hash, t.role, t.centre_code, t.created_at, t.expires_at, \
                   t.revoked_at, u.username, u.disabled FROM api_tokens t JOIN users u ON u.id = t.user_id \
                   WHERE t.token_hash = $1";
        let row: Option<TokenUserRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(token_hash).fetch_optional(pool).await)?;
        match row {
            Some(r) => Ok(Some((r.token.try_into()?, r.username, r.disabled))),
            None => Ok(None),
        }
    }

    /// One API token by id, usable or not.
    ///
    /// # Errors
    /// `NotFound` when there is no such token.
    pub async fn get_token(&self, id: TokenId) -> Result<ApiToken> {
        let sql = "SELECT id, user_id, name, token_hash, role, centre_code, created_at, expires_at, revoked_at \
                   FROM api_tokens WHERE id = $1";
        let row: Option<TokenRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(id.to_string()).fetch_optional(pool).await)?;
        row.ok_or_else(|| CatalogError::not_found("token", id))?.try_into()
    }
}
