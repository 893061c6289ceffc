//! Visibility inside the search index: a centre's search reads only the network's shared
//! programmes and its own, the scope follows every change of sharing, and the scope terms are
//! never matched by a viewer's words. On SQLite and PostgreSQL.

use catalog::audit::Actor;
use catalog::both_backends;
use catalog::programme::{ProgrammeEdit, ProgrammeStatus, Sharing};
use catalog::store::ProgrammeFilter;
use catalog::Store;

use crate::common::{code, new};

async fn titles(store: &Store, q: &str, visible_to: Option<&str>) -> Vec<String> {
    let f =
        ProgrammeFilter { query: Some(q.into()), visible_to: visible_to.map(code), limit: 50, ..Default::default() };
    let mut t: Vec<String> = store.list_programmes(&f).await.unwrap().into_iter().map(|p| p.title).collect();
    t.sort();
    t
}

both_backends!(
    a_centre_search_finds_shared_and_own_programmes_in_both_tiers_never_another_centres_private,
    |store: Store| async move {
        let actor = Actor::system("test");
        let news = [
            new("510400", "米易 共享", "", Sharing::Network),
            new("510421", "米易 本站", "", Sharing::Private),
            new("510422", "米易 他站", "", Sharing::Private),
            new("510400", "果园 共享", "介绍米易", Sharing::Network),
            new("510421", "果园 本站", "介绍米易", Sharing::Private),
            new("510422", "果园 他站", "介绍米易", Sharing::Private),
        ];
        store.import_programmes(&actor, &news, ProgrammeStatus::Ready).await.unwrap();
        let own = titles(&store, "米易", Some("510421")).await;
        assert_eq!(own, ["果园 共享", "果园 本站", "米易 共享", "米易 本站"], "shared and own, both tiers");
        let other = titles(&store, "米易", Some("510422")).await;
        assert_eq!(other, ["果园 他站", "果园 共享", "米易 他站", "米易 共享"], "the other centre sees its own");
        let admin = titles(&store, "米易", None).await;
        assert_eq!(admin.len(), 6, "no visibility limit sees everything: {admin:?}");
    }
);

both_backends!(changing_sharing_moves_a_programme_into_and_out_of_other_centres_searches, |store: Store| async move {
    let actor = Actor::system("test");
    let p = store
        .create_programme(&actor, &new("510422", "格萨拉 杜鹃", "", Sharing::Private), ProgrammeStatus::Ready)
        .await
        .unwrap();
    assert!(titles(&store, "格萨拉", Some("510421")).await.is_empty(), "private to 510422 at first");
    assert_eq!(titles(&store, "格萨拉", Some("510422")).await, ["格萨拉 杜鹃"], "its own centre finds it");
    let share = ProgrammeEdit { version: p.version, sharing: Some(Sharing::Network), ..Default::default() };
    let p = store.update_programme(&actor, p.id, &share).await.unwrap();
    assert_eq!(titles(&store, "格萨拉", Some("510421")).await, ["格萨拉 杜鹃"], "shared: another centre finds it");
    let unshare = ProgrammeEdit { version: p.version, sharing: Some(Sharing::Private), ..Default::default() };
    store.update_programme(&actor, p.id, &unshare).await.unwrap();
    assert!(titles(&store, "格萨拉", Some("510421")).await.is_empty(), "private again: hidden again");
    assert_eq!(titles(&store, "格萨拉", Some("510422")).await, ["格萨拉 杜鹃"], "still found by its own centre");
});

both_backends!(searching_for_the_scope_words_finds_only_programmes_whose_text_holds_them, |store: Store| async move {
    let actor = Actor::system("test");
    let news = [
        new("510421", "network news", "", Sharing::Network),
        new("510421", "玉米", "private c510421 scope", Sharing::Private),
        new("510421", "芒果", "", Sharing::Network),
        new("510422", "石榴", "", Sharing::Private),
    ];
    store.import_programmes(&actor, &news, ProgrammeStatus::Ready).await.unwrap();
    assert_eq!(titles(&store, "network", None).await, ["network news"], "not every shared programme");
    assert_eq!(titles(&store, "private", None).await, ["玉米"], "not every private programme");
    assert_eq!(titles(&store, "c510421", Some("510421")).await, ["玉米"], "not every programme of the centre");
    assert_eq!(titles(&store, "scope network", None).await, Vec::<String>::new(), "the index's own spelling");
});

async fn pages(store: &Store, q: &str, visible_to: &str, limit: i64) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let f = ProgrammeFilter {
            query: Some(q.into()),
            visible_to: Some(code(visible_to)),
            after,
            limit,
            ..Default::default()
        };
        let got = store.list_programmes(&f).await.unwrap();
        assert!(got.len() as i64 <= limit);
        seen.extend(got.iter().map(|p| p.title.clone()));
        match got.last() {
            Some(last) if got.len() as i64 == limit => after = Some(last.id),
            _ => return seen,
        }
    }
}

both_backends!(
    a_word_whose_title_matches_are_all_hidden_pages_through_what_the_viewer_may_see_newest_first,
    |store: Store| async move {
        let actor = Actor::system("test");
        // 米易 in 12 titles private to 510422 (hidden from 510421), in 2 of 510421's own titles,
        // and in the description of 5 shared and 3 own programmes; 石榴 alone is unrelated.
        let (mut news, mut titles, mut rest) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..12 {
            news.push(new("510422", &format!("米易 他站 第{i}期"), "", Sharing::Private));
            if i < 5 {
                let t = format!("果园 共享 第{i}期");
                news.push(new("510400", &t, "介绍米易", Sharing::Network));
                rest.push(t);
            }
            if i < 3 {
                let t = format!("果园 本站 第{i}期");
                news.push(new("510421", &t, "介绍米易", Sharing::Private));
                rest.push(t);
            }
            if i < 2 {
                let t = format!("米易 本站 第{i}期");
                news.push(new("510421", &t, "", Sharing::Private));
                titles.push(t);
            }
            news.push(new("510421", &format!("石榴 第{i}期"), "", Sharing::Private));
        }
        store.import_programmes(&actor, &news, ProgrammeStatus::Ready).await.unwrap();
        titles.reverse();
        rest.reverse();
        let want: Vec<String> = titles.into_iter().chain(rest.iter().cloned()).collect();
        for limit in [1, 2, 3, 20] {
            assert_eq!(pages(&store, "米易", "510421", limit).await, want, "pages of {limit}");
        }
        // Two words, each in the title or the body: only the 果园 programmes hold both.
        assert_eq!(pages(&store, "果园 米易", "510421", 2).await, rest, "two words");
        let other = pages(&store, "米易", "510422", 5).await;
        assert_eq!(other.len(), 12 + 5, "510422 sees its own 12 and the 5 shared: {other:?}");
        assert!(other[..12].iter().all(|t| t.starts_with("米易 他站")), "{other:?}");
    }
);

both_backends!(
    changing_sharing_or_text_keeps_a_description_match_in_the_right_centres_searches,
    |store: Store| async move {
        let actor = Actor::system("test");
        let p = store
            .create_programme(
                &actor,
                &new("510422", "杜鹃花", "格萨拉的春天", Sharing::Private),
                ProgrammeStatus::Ready,
            )
            .await
            .unwrap();
        assert!(titles(&store, "格萨拉", Some("510421")).await.is_empty(), "private to 510422 at first");
        let retitle = ProgrammeEdit { version: p.version, title: Some("杜鹃花开".into()), ..Default::default() };
        let p = store.update_programme(&actor, p.id, &retitle).await.unwrap();
        assert!(titles(&store, "格萨拉", Some("510421")).await.is_empty(), "a text edit keeps it private");
        assert_eq!(titles(&store, "格萨拉", Some("510422")).await, ["杜鹃花开"], "and found by its centre");
        let share = ProgrammeEdit { version: p.version, sharing: Some(Sharing::Network), ..Default::default() };
        let p = store.update_programme(&actor, p.id, &share).await.unwrap();
        assert_eq!(titles(&store, "格萨拉", Some("510421")).await, ["杜鹃花开"], "shared: found in the second tier");
        assert_eq!(titles(&store, "格萨拉 杜鹃", Some("510421")).await, ["杜鹃花开"], "title and body words");
        let unshare = ProgrammeEdit { version: p.version, sharing: Some(Sharing::Private), ..Default::default() };
        store.update_programme(&actor, p.id, &unshare).await.unwrap();
        assert!(titles(&store, "格萨拉", Some("510421")).await.is_empty(), "private again: hidden again");
        assert_eq!(titles(&store, "格萨拉", None).await, ["杜鹃花开"], "no visibility limit still finds it");
    }
);
