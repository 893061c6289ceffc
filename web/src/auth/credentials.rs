//! Credentials: argon2id password hashes, random secrets for sessions and API tokens, and the
//! SHA-256 digests under which those secrets are stored (a database leak reveals no secret).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// The prefix of every API token secret, so leaked tokens are recognisable by scanners.
pub const TOKEN_PREFIX: &str = "kpk_";
/// The browser session cookie.
pub const SESSION_COOKIE: &str = "kapok_session";
/// The header that must repeat the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a browser session lasts.
pub const SESSION_HOURS: i64 = 12;

/// 32 random bytes as lower-case hex (from the OS-seeded CSPRNG).
pub fn random_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// A new API token secret: `kpk_` and 64 hex digits.
pub fn new_token_secret() -> String {
    format!("{TOKEN_PREFIX}{}", random_secret())
}

/// The SHA-256 of a secret, hex: what is stored and looked up.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time equality of two secrets (different lengths compare unequal at once; the
/// length of a CSRF token is not a secret).
pub fn secrets_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Checks a new password: long enough to resist guessing, short enough to hash cheaply.
///
/// # Errors
/// `invalid` saying what is wrong.
pub fn check_password(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if !(10..=256).contains(&n) {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "a password must have 10-256 characters",
        ));
    }
    Ok(())
}

fn hash_now(password: &str) -> Result<String, ApiError> {
    let salt =
        SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(|e| ApiError::internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("argon2: {e}")))
}

/// Argon2 runs on at most one thread a core: each verification takes ~19 MiB and a core for
/// its duration, and a burst of logins ran them all at once (memory, and every other blocking
/// task of the server, waited behind them).
fn argon2_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(argon2_parallelism()))
}

/// How many argon2 computations may run at once (the number of cores).
pub fn argon2_parallelism() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// Runs `work` on the blocking pool once an argon2 slot is free.
async fn with_argon2_slot<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let _slot = argon2_slots().acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

/// Hashes a password with argon2id (default parameters) on the blocking pool.
///
/// # Errors
/// `internal` when hashing fails (it does not, short of memory exhaustion).
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    with_argon2_slot(move || hash_now(&password)).await.ok_or_else(|| ApiError::internal("argon2 task failed"))?
}

/// A real hash of a random password, verified when the username is unknown so that a login
/// for a missing user takes as long as one with a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_now(&random_secret()).unwrap_or_default())
}

/// Verifies a password against a stored PHC string on the blocking pool; with no stored hash
/// (unknown user) the same work is done and the answer is no. A malformed hash verifies nothing.
pub async fn verify_password(password: String, stored: Option<String>) -> bool {
    with_argon2_slot(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash().to_string());
        let ok = match PasswordHash::new(&stored) {
            Ok(h) => Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
            Err(_) => false,
        };
        ok && known
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery".into(), Some(h.clone())).await);
        assert!(!verify_password("correct horse battery!".into(), Some(h)).await);
        assert!(!verify_password("x".into(), Some("not a hash".into())).await);
        assert!(!verify_password("x".into(), None).await);
    }

    #[test]
    fn secrets_are_random_and_stored_as_digests() {
        let (a, b) = (new_token_secret(), new_token_secret());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == 68);
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(secrets_equal("abc", "abc") && !secrets_equal("abc", "abd") && !secrets_equal("abc", "ab"));
    }

    #[test]
    fn passwords_must_be_ten_to_256_characters() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough").is_ok());
        assert!(check_password(&"x".repeat(257)).is_err());
    }
}
