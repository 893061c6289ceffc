//! Test harnesses (feature `test-support`): a fresh catalog database per test on SQLite or
//! on a throwaway PostgreSQL cluster.
//!
//! PostgreSQL: the server of `testkit::postgres` (`tests/kit/src/postgres.rs`), a private
//! cluster or `KAPOK_TEST_DATABASE_URL`, with a new database per test. These are the parts
//! that need catalog types; generic harnesses live in the `testkit` crate.

use crate::Store;

/// A store on a fresh database, and whatever must live as long as it.
pub struct TestStore {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl std::ops::Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

/// A migrated store on a new SQLite file in a temp dir.
///
/// # Panics
/// When the temp dir or database cannot be created (a broken test machine).
#[allow(clippy::expect_used)]
pub async fn sqlite_store() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("kapok.db").display());
    let store = Store::connect(&url).await.expect("sqlite store");
    TestStore { store, url, _dir: Some(dir) }
}

/// A migrated store on a new database of the test PostgreSQL server.
///
/// # Panics
/// When no PostgreSQL can be started or reached; the message says how to install it.
#[allow(clippy::expect_used, clippy::panic)]
pub async fn postgres_store() -> TestStore {
    let url = postgres_database_url().await;
    let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("connect {url}: {e}"));
    TestStore { store, url, _dir: None }
}

/// The URL of a new, empty database on the test PostgreSQL server (started on first use).
///
/// # Panics
/// When no PostgreSQL can be started or reached; the message says how to install it.
pub async fn postgres_database_url() -> String {
    postgres::database_url().await
}

// The harness is `testkit`'s, compiled here from its source: catalog may not depend on the
// dev-only testkit crate, and `web`'s and the root crate's tests still reach it through here.
// One binary should use one of the two (each starts its own cluster on first use).
#[allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
#[path = "../../tests/kit/src/net.rs"]
mod net;
#[path = "../../tests/kit/src/postgres.rs"]
mod postgres;

/// Runs an async test body against a fresh store on each backend:
/// `both_backends!(name, |store| async move { ... })` defines `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::testing::sqlite_store().await;
                ($body)(t.store.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let t = $crate::testing::postgres_store().await;
                ($body)(t.store.clone()).await;
            }
        }
    };
}
