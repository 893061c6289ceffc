//! Ranked search beyond the newest programmes: PostgreSQL walks the newest 1,000 programmes of a
//! tier by primary key and asks its GIN index for the rest, so matches older than that window
//! (a rare word, or a common one that the viewer may mostly not see) must come back in the same
//! order, page after page, as matches inside it. SQLite's FTS5 path must agree. Both backends.

use catalog::audit::Actor;
use catalog::both_backends;
use catalog::ids::ProgrammeId;
use catalog::programme::{Programme, ProgrammeStatus, Sharing};
use catalog::store::ProgrammeFilter;
use catalog::Store;

use crate::common::{code, new};

/// Every page of the search for `q` as `viewer`, 20 at a time, following `next` to the end.
async fn all_pages(store: &Store, q: &str, viewer: &str) -> Vec<Programme> {
    let mut out: Vec<Programme> = Vec::new();
    let mut after: Option<ProgrammeId> = None;
    for _ in 0..100 {
        let f = ProgrammeFilter {
            query: Some(q.into()),
            visible_to: Some(code(viewer)),
            limit: 20,
            after,
            ..Default::default()
        };
        let page = store.list_programmes(&f).await.unwrap();
        let full = page.len() == 20;
        after = page.last().map(|p| p.id);
        out.extend(page);
        if !full {
            return out;
        }
    }
    panic!("more than 100 pages");
}

both_backends!(matches_older_than_the_newest_thousand_come_back_in_order_on_every_page, |store: Store| async move {
    let actor = Actor::system("test");
    // Oldest first: 45 title matches (a third another centre's private), 12 description-only
    // matches, then 1,200 newer programmes of which only 6 match, in titles.
    let mut news = Vec::new();
    for i in 0..45 {
        let sharing = if i % 3 == 0 { Sharing::Private } else { Sharing::Network };
        let centre = if i % 3 == 0 { "510422" } else { "510400" };
        news.push(new(centre, &format!("钒钛 旧 第{i}期"), "", sharing));
    }
    for i in 0..12 {
        news.push(new("510421", &format!("产业 第{i}期"), "介绍钒钛", Sharing::Private));
    }
    for i in 0..1200 {
        let title = if i % 200 == 7 { format!("钒钛 新 第{i}期") } else { format!("石榴 第{i}期") };
        news.push(new("510400", &title, "", Sharing::Network));
    }
    for chunk in news.chunks(500) {
        store.import_programmes(&actor, chunk, ProgrammeStatus::Ready).await.unwrap();
    }
    // With fresh planner statistics, as after a bulk import (SQLite keeps none for the index).
    store.analyze().await.unwrap();
    let got = all_pages(&store, "钒钛", "510421").await;
    let titles: Vec<&str> = got.iter().map(|p| p.title.as_str()).collect();
    // 6 new + 30 old visible title matches, newest first, then the 12 description matches.
    assert_eq!(got.len(), 48, "{titles:?}");
    let (tier1, tier2) = got.split_at(36);
    assert!(tier1.iter().all(|p| p.title.starts_with("钒钛")), "{titles:?}");
    assert!(tier2.iter().all(|p| p.title.starts_with("产业")), "{titles:?}");
    for tier in [tier1, tier2] {
        assert!(tier.windows(2).all(|w| w[0].id > w[1].id), "newest first within a tier: {titles:?}");
    }
    assert!(tier1[..6].iter().all(|p| p.title.contains('新')), "the new ones first: {titles:?}");
    assert!(got.iter().all(|p| p.sharing == Sharing::Network || p.centre.as_str() == "510421"), "{titles:?}");
    // The other centre sees its private old ones too, and not 510421's description matches.
    let other = all_pages(&store, "钒钛", "510422").await;
    assert_eq!(other.len(), 51, "6 new + 45 old title matches");
});

both_backends!(searches_admitted_one_at_a_time_answer_as_ungated_ones, |store: Store| async move {
    let actor = Actor::system("test");
    let news: Vec<_> = (0..300)
        .map(|i| {
            let (centre, sharing) =
                if i % 2 == 0 { ("510400", Sharing::Network) } else { ("510422", Sharing::Private) };
            new(centre, &format!("芒果 第{i}期"), if i % 5 == 0 { "介绍玉米" } else { "" }, sharing)
        })
        .collect();
    store.import_programmes(&actor, &news, ProgrammeStatus::Ready).await.unwrap();
    let mut gated = store.clone();
    gated.set_search_concurrency(0); // taken as 1: never a gate nobody passes
    let expect_mango = all_pages(&store, "芒果", "510421").await;
    let expect_corn = all_pages(&store, "玉米", "510422").await;
    assert_eq!((expect_mango.len(), expect_corn.len()), (150, 60));
    // 16 searches at once through a gate of one: each waits its turn and none is lost.
    let runs = (0..16).map(|i| {
        let gated = gated.clone();
        tokio::spawn(async move {
            if i % 2 == 0 {
                all_pages(&gated, "芒果", "510421").await
            } else {
                all_pages(&gated, "玉米", "510422").await
            }
        })
    });
    for (i, got) in futures::future::join_all(runs).await.into_iter().enumerate() {
        let want = if i % 2 == 0 { &expect_mango } else { &expect_corn };
        let ids = |v: &[Programme]| v.iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(ids(&got.unwrap()), ids(want), "search {i}");
    }
});

both_backends!(
    a_filter_that_rejects_the_newest_thousand_title_matches_still_finds_older_ones,
    |store: Store| async move {
        // PostgreSQL reads the title tier from its postings, at most 1,000 per scope; here the
        // filter rejects all 1,000 newest, so the three older agricultural ones must come from the
        // tsvector path, newest first, whichever path answers.
        let actor = Actor::system("test");
        let mut news = Vec::new();
        for i in 0..1_100 {
            let mut n = new("510400", &format!("芒果 第{i}期"), "", Sharing::Network);
            if i >= 3 {
                n.category = catalog::programme::Category::News;
            }
            news.push(n);
        }
        for chunk in news.chunks(550) {
            store.import_programmes(&actor, chunk, ProgrammeStatus::Ready).await.unwrap();
        }
        store.analyze().await.unwrap();
        let f = ProgrammeFilter {
            query: Some("芒果".into()),
            category: Some(catalog::programme::Category::Agriculture),
            visible_to: Some(code("510421")),
            limit: 20,
            ..Default::default()
        };
        let got = store.list_programmes(&f).await.unwrap();
        let titles: Vec<&str> = got.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["芒果 第2期", "芒果 第1期", "芒果 第0期"]);
    }
);
