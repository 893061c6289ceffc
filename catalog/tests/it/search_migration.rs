//! SQLite migration 0012 (scoped search terms) rebuilds the search index of a catalog indexed
//! before it: every programme keeps its place (newest first) and is found by the centres that
//! may see it, and only by them.

use std::borrow::Cow;
use std::str::FromStr;

use catalog::audit::Actor;
use catalog::ids::ProgrammeId;
use catalog::programme::{ProgrammeStatus, Sharing};
use catalog::store::ProgrammeFilter;
use catalog::Store;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

use crate::common::{code, new};

/// Programmes written as the store wrote them before 0012: plain terms and a `scope` column.
async fn catalog_indexed_before_scoped_terms(url: &str, rows: &[(&str, &str, &str, &str)]) {
    let opts = SqliteConnectOptions::from_str(url).unwrap().create_if_missing(true);
    let pool = SqlitePool::connect_with(opts).await.unwrap();
    let all = sqlx::migrate!("./migrations/sqlite");
    let before_0012 =
        Migrator { migrations: Cow::Owned(all.migrations.iter().filter(|m| m.version < 12).cloned().collect()), ..all };
    before_0012.run(&pool).await.unwrap();
    // Oldest first; row numbers go down (migration 0010), so the last is the newest.
    for (n, (centre, sharing, title, body)) in rows.iter().enumerate() {
        let id = ProgrammeId::new().to_string();
        let rowid = -(n as i64) - 1;
        sqlx::query(
            "INSERT INTO programmes (id, centre_code, title, category, language, sharing, status, created_at, \
             updated_at, title_terms, search_terms, search_rowid) VALUES ($1, $2, $3, '涉农', '普通话', $4, 'ready', \
             $5, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(centre)
        .bind(title)
        .bind(sharing)
        .bind(chrono::Utc::now())
        .bind(title)
        .bind(format!("{title} {title} {body}"))
        .bind(rowid)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO programme_search (rowid, programme_id, title, body, scope) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(rowid)
        .bind(&id)
        .bind(title)
        .bind(body)
        .bind(format!("{sharing} c{centre}"))
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
}

async fn titles(store: &Store, q: &str, visible_to: Option<&str>) -> Vec<String> {
    let f =
        ProgrammeFilter { query: Some(q.into()), visible_to: visible_to.map(code), limit: 50, ..Default::default() };
    store.list_programmes(&f).await.unwrap().into_iter().map(|p| p.title).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn programmes_indexed_before_scoped_terms_keep_their_order_and_their_viewers() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("kapok.db").display());
    catalog_indexed_before_scoped_terms(
        &url,
        &[
            ("510400", "network", "米易 共享", ""),
            ("510421", "private", "米易 本站", ""),
            ("510422", "private", "米易 他站", ""),
            ("510400", "network", "果园 共享", "介绍 米易"),
            ("510422", "private", "果园 他站", "介绍 米易"),
            ("510421", "private", "石榴", ""),
        ],
    )
    .await;
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(titles(&store, "米易", Some("510421")).await, ["米易 本站", "米易 共享", "果园 共享"]);
    assert_eq!(titles(&store, "米易", Some("510422")).await, ["米易 他站", "米易 共享", "果园 他站", "果园 共享"]);
    assert_eq!(titles(&store, "米易", None).await.len(), 5, "no visibility limit sees every match");
    assert_eq!(titles(&store, "石榴", Some("510421")).await, ["石榴"], "own centre, title only");
    assert!(titles(&store, "石榴", Some("510422")).await.is_empty(), "private to 510421");

    // A programme added after migrating is the newest.
    let actor = Actor::system("test");
    store
        .create_programme(&actor, &new("510421", "米易 新", "", Sharing::Private), ProgrammeStatus::Ready)
        .await
        .unwrap();
    assert_eq!(titles(&store, "米易", Some("510421")).await, ["米易 新", "米易 本站", "米易 共享", "果园 共享"]);
}
