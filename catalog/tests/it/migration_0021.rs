//! Migration 0021 backfills what was written before it, on both databases: the centre of each
//! audit row (a deleted programme's rows take the centre its create row recorded, a job's rows
//! the centre of its payload or of its deleted programme), and the house kind of programmes
//! ingested before 0020 without a thumbnail strip (sound only: a poster and no strip).

use std::borrow::Cow;

use catalog::audit::AuditSearch;
use catalog::store::StreamLayout;
use catalog::Store;
use sqlx::migrate::Migrator;

/// Rows as the store wrote them before 0021: programme D (of 510421) created, failed and
/// deleted; job J (payload naming only D) and job K (payload naming 510422) dead.
const BEFORE_0021: &str = r#"
INSERT INTO audit_log (at, actor, action, object_type, object_id, before, after) VALUES
 ('2026-01-01T00:00:00Z', 'system:test', 'programme.create', 'programme', 'prog-d', NULL, '{"title": "D", "centre": "510421", "status": "ready"}'),
 ('2026-01-01T00:01:00Z', 'system:test', 'programme.status', 'programme', 'prog-d', '{"status": "ready"}', '{"status": "failed"}'),
 ('2026-01-01T00:02:00Z', 'system:queue', 'job.dead', 'job', 'job-j', NULL, '{"reason": "not media"}'),
 ('2026-01-01T00:03:00Z', 'system:queue', 'job.dead', 'job', 'job-k', NULL, '{"reason": "not media"}'),
 ('2026-01-01T00:04:00Z', 'system:test', 'programme.delete', 'programme', 'prog-d', '{"title": "D", "status": "failed"}', NULL);
INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at) VALUES
 ('job-j', 'ingest', '{"programme_id": "prog-d", "source_key": "x"}', 'dead', 1, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:02:00Z'),
 ('job-k', 'ingest', '{"programme_id": "prog-k", "centre": "510422"}', 'dead', 1, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:03:00Z');
INSERT INTO programmes (id, centre_code, title, category, language, sharing, status, duration_ms, created_at, updated_at) VALUES
 ('01a24eeb-0000-7000-8000-000000000001', '510421', 'radio ingested', '涉农', '普通话', 'private', 'ready', 30000, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
 ('01a24eeb-0000-7000-8000-000000000002', '510421', 'tv ingested', '涉农', '普通话', 'private', 'ready', 30000, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
 ('01a24eeb-0000-7000-8000-000000000003', '510421', 'recorded, not ingested', '涉农', '普通话', 'private', 'ready', 30000, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
INSERT INTO assets (id, programme_id, kind, key, sha256, size_bytes, created_at) VALUES
 ('a1', '01a24eeb-0000-7000-8000-000000000001', 'house', 'h1', 's', 1, '2026-01-01T00:00:00Z'),
 ('a2', '01a24eeb-0000-7000-8000-000000000001', 'proxy', 'x1', 's', 1, '2026-01-01T00:00:00Z'),
 ('a3', '01a24eeb-0000-7000-8000-000000000001', 'poster', 'p1', 's', 1, '2026-01-01T00:00:00Z'),
 ('a4', '01a24eeb-0000-7000-8000-000000000002', 'house', 'h2', 's', 1, '2026-01-01T00:00:00Z'),
 ('a5', '01a24eeb-0000-7000-8000-000000000002', 'poster', 'p2', 's', 1, '2026-01-01T00:00:00Z'),
 ('a6', '01a24eeb-0000-7000-8000-000000000002', 'thumbnail', 't2', 's', 1, '2026-01-01T00:00:00Z'),
 ('a7', '01a24eeb-0000-7000-8000-000000000003', 'house', 'h3', 's', 1, '2026-01-01T00:00:00Z');
"#;

fn before_0021(all: Migrator) -> Migrator {
    Migrator { migrations: Cow::Owned(all.migrations.iter().filter(|m| m.version < 21).cloned().collect()), ..all }
}

/// The rows found searching by `centre`, as `action object_id`.
async fn by_centre(store: &Store, centre: &str) -> Vec<String> {
    let q = AuditSearch { centre: Some(centre.into()), limit: 100, ..Default::default() };
    let mut rows: Vec<String> =
        store.audit_search(&q).await.unwrap().into_iter().map(|e| format!("{} {}", e.action, e.object_id)).collect();
    rows.sort();
    rows
}

async fn check(store: &Store) {
    assert_eq!(
        by_centre(store, "510421").await,
        ["job.dead job-j", "programme.create prog-d", "programme.delete prog-d", "programme.status prog-d"],
        "the deleted programme's rows and its job's"
    );
    assert_eq!(by_centre(store, "510422").await, ["job.dead job-k"]);
    let centre = catalog::ids::CentreCode::parse("510421").unwrap();
    let mut kinds: Vec<(String, StreamLayout)> =
        store.schedule_candidates(&centre).await.unwrap().into_iter().map(|c| (c.title, c.layout)).collect();
    kinds.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        kinds,
        [
            ("radio ingested".to_string(), StreamLayout::Audio),
            ("recorded, not ingested".to_string(), StreamLayout::Unknown),
            ("tv ingested".to_string(), StreamLayout::Video),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_rows_written_before_0021_get_their_audit_centre_and_house_kind() {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
    use std::str::FromStr;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("kapok.db").display());
    let pool =
        SqlitePool::connect_with(SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true)).await.unwrap();
    before_0021(sqlx::migrate!("./migrations/sqlite")).run(&pool).await.unwrap();
    sqlx::raw_sql(BEFORE_0021).execute(&pool).await.unwrap();
    pool.close().await;
    check(&Store::connect(&url).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rows_written_before_0021_get_their_audit_centre_and_house_kind() {
    let url = catalog::testing::postgres_database_url().await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    before_0021(sqlx::migrate!("./migrations/postgres")).run(&pool).await.unwrap();
    sqlx::raw_sql(BEFORE_0021).execute(&pool).await.unwrap();
    pool.close().await;
    check(&Store::connect(&url).await.unwrap()).await;
}
