//! The SQL store: one API over SQLite (all-in-one) and PostgreSQL (network deployment).
//!
//! Queries are written once with `$n` placeholders (both backends accept them) and run through
//! [`with_pool!`], which expands the same code for each backend's pool. Where the backends
//! differ (job leasing), the SQL differs explicitly. The shared test suite
//! (`catalog/tests/it/`) runs every query on both backends.

mod alerts;
mod asrun;
mod audit;
mod bulk;
mod centres;
mod channels;
mod jobs;
mod programme_events;
pub mod programme_query;
mod programme_search;
mod programmes;
mod qc_override;
mod relays;
mod rows;
mod schedule_candidates;
mod schedules;
mod sessions;
mod uploads;
mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};

pub use channels::ChannelEdit;
pub use programme_events::ProgrammeEventRow;
pub use programmes::ProgrammeFilter;
pub use relays::LiveRelay;
pub use schedule_candidates::{ScheduleCandidate, StreamLayout};
pub use sessions::Session;
pub use uploads::{NewUpload, Upload};

use crate::error::{CatalogError, Result};

/// Handle to the catalog database. Cheap to clone; all clones share one pool.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    changes: ProgrammeChanges,
    /// Moves on every change to an API token (a revocation), for caches of credentials.
    credentials: ProgrammeChanges,
    /// Names this process's store in the programme event outbox (see [`Store::origin`]).
    origin: std::sync::Arc<str>,
    /// Admission of ranked searches (see [`Store::set_search_concurrency`]).
    search_gate: std::sync::Arc<tokio::sync::Semaphore>,
}

/// How many ranked searches run in the database at once unless configured: Elasticsearch's
/// search thread pool size, `cores × 3 / 2 + 1` (4 on 2 cores).
pub fn default_search_concurrency() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    cores * 3 / 2 + 1
}

#[derive(Clone, Debug)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A counter that moves whenever a programme is created, edited, imported or changes status
/// through the store, so that caches of programme data (search answers, schedule candidates)
/// can tell cheaply whether what they hold is still current.
#[derive(Clone, Debug, Default)]
pub struct ProgrammeChanges(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl ProgrammeChanges {
    /// How many programme changes have been made so far.
    pub fn current(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Records one change (after its transaction committed).
    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `$body` with `$pool` bound to whichever pool the store has.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// A transaction for writing, begun the same way on either pool.
///
/// On SQLite it is `BEGIN IMMEDIATE`, which takes the write lock when the transaction begins
/// (waiting out the busy timeout). A deferred `BEGIN` takes it at the first write instead, and
/// a transaction that has read by then fails at once with `SQLITE_BUSY` if another connection
/// wrote in between — its WAL snapshot is stale and no busy timeout applies — so a step read
/// then written under load was lost. PostgreSQL's `BEGIN` is unchanged.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = std::result::Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> std::result::Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> std::result::Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// Inserts one audit row on the given executor (a transaction, so the change and its audit
/// entry commit together), with the centre the change belongs to: `centre` when given (an
/// object already deleted, a job), else the owner of the object named (programme, channel,
/// schedule day, relay, user, token) as it stands in this transaction; none for the others.
macro_rules! record_audit {
    ($ex:expr, $actor:expr, $action:expr, $otype:expr, $oid:expr, $before:expr, $after:expr) => {
        $crate::store::record_audit!($ex, $actor, $action, $otype, $oid, $before, $after, centre: None::<String>)
    };
    ($ex:expr, $actor:expr, $action:expr, $otype:expr, $oid:expr, $before:expr, $after:expr, centre: $centre:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, object_type, object_id, before, after, centre_code) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, CASE $4 \
               WHEN 'programme' THEN (SELECT centre_code FROM programmes WHERE id = $5) \
               WHEN 'channel' THEN (SELECT centre_code FROM channels WHERE id = $5) \
               WHEN 'schedule_day' THEN (SELECT centre_code FROM channels WHERE id = substr($5, 1, 36)) \
               WHEN 'relay' THEN substr($5, 1, 6) \
               WHEN 'user' THEN (SELECT centre_code FROM users WHERE id = $5) \
               WHEN 'token' THEN (SELECT centre_code FROM api_tokens WHERE id = $5) END))",
        )
        .bind(chrono::Utc::now())
        .bind($actor.as_str())
        .bind($action)
        .bind($otype)
        .bind($oid)
        .bind($before.map(sqlx::types::Json))
        .bind($after.map(sqlx::types::Json))
        .bind($centre)
        .execute($ex)
        .await
    };
}
pub(crate) use record_audit;

/// Process-wide SQLite options, set once before the first connection opens (SQLite accepts
/// them only before it initialises). Memory statistics are turned off: this build
/// (libsqlite3-sys, bundled) keeps them by default, which takes one process-wide mutex on every
/// allocation, and under load the pooled connections spent a fifth of a search's CPU waiting
/// for each other there. SQLite's own list of recommended options turns them off too.
fn sqlite_global_options() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is called with the argument list SQLITE_CONFIG_MEMSTATUS
        // documents (one int), once, before this process opens its first connection (if
        // something opened one earlier, SQLite refuses with SQLITE_MISUSE and nothing changes).
        #[allow(unsafe_code)]
        let rc = unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, std::ffi::c_int::from(0u8))
        };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!("SQLite memory statistics stay on (sqlite3_config gave {rc})");
        }
    });
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing, with its directory) or
    /// `postgres://…`, and applies pending migrations.
    ///
    /// # Errors
    /// `Config` for an unsupported or malformed URL; `Database` when the server cannot be
    /// reached within 10 s; `Migrate` when the schema cannot be brought up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        let config_err = |message: String| CatalogError::Config { url: redact(url), message };
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| config_err(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Reads map the file instead of copying pages through read(2), and each pooled
                // connection keeps 8 MiB of pages instead of 2 MiB: a search reads the FTS5
                // doclists of its words, which no longer go back to the kernel on every query.
                .pragma("mmap_size", "268435456")
                .pragma("cache_size", "-8192");
            let path = opts.get_filename();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| config_err(format!("cannot create directory {}: {e}", dir.display())))?;
            }
            sqlite_global_options();
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(CatalogError::Database)?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url).map_err(|e| config_err(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(CatalogError::Database)?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            Db::Postgres(pool)
        } else {
            return Err(config_err("use sqlite://PATH or postgres://USER@HOST/DB".into()));
        };
        let origin = uuid::Uuid::new_v4().to_string().into();
        let store = Self {
            db,
            changes: ProgrammeChanges::default(),
            credentials: ProgrammeChanges::default(),
            origin,
            search_gate: std::sync::Arc::new(tokio::sync::Semaphore::new(default_search_concurrency())),
        };
        store.index_unindexed().await?;
        Ok(store)
    }

    /// Sets how many ranked searches may run in the database at once (at least 1); the others
    /// wait their turn in arrival order. Searches are the heaviest reads. When every request runs
    /// at once, the database shares its cores among all of them, and one slow word is slowed by
    /// all the others (on 2 cores with 16 at once, by 8 times). Admitted in order, a search
    /// waits its turn and then runs at full speed. Throughput stays the same and the slowest
    /// answers come sooner. Set it before cloning: clones made earlier keep the gate they had.
    pub fn set_search_concurrency(&mut self, n: usize) {
        self.search_gate = std::sync::Arc::new(tokio::sync::Semaphore::new(n.max(1)));
    }

    /// The credential change signal of this store (shared by all its clones): it moves when a
    /// token is revoked through any clone, so a cache of token look-ups drops what it holds.
    pub fn credential_changes(&self) -> ProgrammeChanges {
        self.credentials.clone()
    }

    /// The programme change signal of this store (shared by all its clones): it moves on every
    /// programme write made through any clone, by the API or by the ingest worker alike.
    pub fn programme_changes(&self) -> ProgrammeChanges {
        self.changes.clone()
    }

    /// Refreshes the query planner's statistics (after a bulk import: PostgreSQL otherwise
    /// plans searches with the word frequencies of an empty table until autovacuum runs).
    ///
    /// # Errors
    /// `Database` when the statement fails.
    ///
    /// SQLite: the search index's own tables (`programme_search_*`) are left without statistics.
    /// With them, this SQLite build (STAT4) re-prepares FTS5's internal statements whenever a
    /// bound word changes, which was a third of the CPU of every search.
    pub async fn analyze(&self) -> Result<()> {
        match &self.db {
            Db::Postgres(pool) => {
                // VACUUM too: a freshly loaded table has no visibility map and no hint bits, so
                // every read after a bulk load checks each row's transaction again until
                // autovacuum gets round to it (PostgreSQL's "Populating a Database").
                sqlx::query("VACUUM (ANALYZE) programmes").execute(pool).await?;
                sqlx::query("ANALYZE").execute(pool).await?;
            }
            Db::Sqlite(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query("ANALYZE").execute(&mut *conn).await?;
                let stats: Vec<(String,)> =
                    sqlx::query_as("SELECT name FROM sqlite_schema WHERE name IN ('sqlite_stat1', 'sqlite_stat4')")
                        .fetch_all(&mut *conn)
                        .await?;
                for (table,) in stats {
                    sqlx::query(&format!("DELETE FROM {table} WHERE tbl LIKE 'programme\\_search%' ESCAPE '\\'"))
                        .execute(&mut *conn)
                        .await?;
                }
                // Reloads the statistics into the planner.
                sqlx::query("ANALYZE sqlite_schema").execute(&mut *conn).await?;
            }
        }
        Ok(())
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// A cheap round trip, for health checks.
    ///
    /// # Errors
    /// `Database` when the database does not answer.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

/// The URL with any password replaced, fit for logs and error messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(super::redact("postgres://kapok:secret@db/kapok"), "postgres://kapok:***@db/kapok");
        assert_eq!(super::redact("sqlite://data/kapok.db"), "sqlite://data/kapok.db");
    }
}
