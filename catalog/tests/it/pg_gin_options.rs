//! PostgreSQL's search indexes keep no pending list (migration 0012): a search must never read
//! a backlog of unmerged entries after a bulk import.

#[tokio::test]
async fn the_search_gin_indexes_have_fastupdate_off_and_nothing_pending_after_an_import() {
    let t = catalog::testing::postgres_store().await;
    let news: Vec<_> = (0..300)
        .map(|i| {
            let centre = catalog::ids::CentreCode::parse("510421").unwrap();
            catalog::programme::NewProgramme::new(
                centre,
                format!("米易芒果 第{i}期"),
                catalog::programme::Category::Agriculture,
            )
        })
        .collect();
    let actor = catalog::audit::Actor::system("test");
    t.store.import_programmes(&actor, &news, catalog::programme::ProgrammeStatus::Ready).await.unwrap();
    let pool = sqlx::PgPool::connect(&t.url).await.unwrap();
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pgstattuple").execute(&pool).await.unwrap();
    for index in ["programmes_title_tsv_idx", "programmes_search_tsv_idx"] {
        let (options,): (Option<Vec<String>>,) = sqlx::query_as("SELECT reloptions FROM pg_class WHERE relname = $1")
            .bind(index)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(options, Some(vec!["fastupdate=off".to_string()]), "{index}");
        let (pending,): (i32,) = sqlx::query_as("SELECT pending_pages FROM pgstatginindex($1::regclass)")
            .bind(index)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(pending, 0, "{index}: pending pages after an import");
    }
}
