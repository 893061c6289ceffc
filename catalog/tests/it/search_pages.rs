//! Ranked search pages and the programme change signal, on SQLite and PostgreSQL.

use catalog::audit::Actor;
use catalog::both_backends;
use catalog::ids::ProgrammeId;
use catalog::programme::{ProgrammeProgress, ProgrammeStatus, Sharing};
use catalog::store::ProgrammeFilter;
use catalog::{CatalogError, Store};

use crate::common::{code, new};

both_backends!(ranked_search_pages_through_every_match_once_title_matches_first, |store: Store| async move {
    let actor = Actor::system("test");
    // 7 title matches, 6 description matches, 4 private to another centre, 3 unrelated.
    let mut news = Vec::new();
    for i in 0..7 {
        news.push(new("510421", &format!("芒果种植 第{i}期"), "", Sharing::Network));
        if i < 6 {
            news.push(new("510400", &format!("果园管理 第{i}期"), "介绍芒果的修剪", Sharing::Network));
        }
        if i < 4 {
            news.push(new("510422", &format!("芒果加工 第{i}期"), "", Sharing::Private));
        }
        if i < 3 {
            news.push(new("510400", &format!("玉米 第{i}期"), "", Sharing::Network));
        }
    }
    store.import_programmes(&actor, &news, ProgrammeStatus::Ready).await.unwrap();
    let page = |after: Option<ProgrammeId>| {
        let f = ProgrammeFilter {
            query: Some("芒果".into()),
            visible_to: Some(code("510421")),
            after,
            limit: 3,
            ..Default::default()
        };
        let store = store.clone();
        async move { store.list_programmes(&f).await.unwrap() }
    };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let got = page(after).await;
        assert!(got.len() <= 3);
        seen.extend(got.iter().cloned());
        match got.last() {
            Some(last) if got.len() == 3 => after = Some(last.id),
            _ => break,
        }
    }
    let titles: Vec<&str> = seen.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(seen.len(), 13, "7 title and 6 description matches, the private ones hidden: {titles:?}");
    let mut ids: Vec<ProgrammeId> = seen.iter().map(|p| p.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 13, "no programme twice across pages: {titles:?}");
    assert!(titles[..7].iter().all(|t| t.starts_with("芒果种植")), "title matches first: {titles:?}");
    assert!(titles[7..].iter().all(|t| t.starts_with("果园管理")), "then the others: {titles:?}");
    assert_eq!(titles[0], "芒果种植 第6期", "newest first within a tier: {titles:?}");
    assert_eq!(titles[7], "果园管理 第5期", "newest first within a tier: {titles:?}");

    let unknown =
        ProgrammeFilter { query: Some("芒果".into()), after: Some(ProgrammeId::new()), ..Default::default() };
    let err = store.list_programmes(&unknown).await;
    assert!(matches!(err, Err(CatalogError::Invalid { what: "after", .. })), "{err:?}");
});

both_backends!(every_programme_write_moves_the_change_signal_shared_by_clones, |store: Store| async move {
    let actor = Actor::system("test");
    let signal = store.clone().programme_changes();
    let mut last = signal.current();
    let mut moved = |what: &str| {
        let now = signal.current();
        assert!(now > last, "{what} moved the change signal");
        last = now;
    };
    let p = store
        .create_programme(&actor, &new("510421", "芒果种植", "", Sharing::Network), ProgrammeStatus::Queued)
        .await
        .unwrap();
    moved("create");
    let progress = ProgrammeProgress { duration_ms: Some(60_000), ..Default::default() };
    store.set_programme_status(&actor, p.id, ProgrammeStatus::Ready, &progress).await.unwrap();
    moved("status change (the ingest worker's write)");
    let edit = catalog::programme::ProgrammeEdit { version: 2, title: Some("石榴".into()), ..Default::default() };
    store.update_programme(&actor, p.id, &edit).await.unwrap();
    moved("edit");
    store
        .import_programmes(&actor, &[new("510421", "玉米", "", Sharing::Network)], ProgrammeStatus::Ready)
        .await
        .unwrap();
    moved("import");
});
