//! Look-ups and channel edits used by the web API, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use catalog::asset::AssetKind;
use catalog::audit::Actor;
use catalog::both_backends;
use catalog::channel::{ChannelFormat, ChannelKind, ChannelLogo, LogoCorner, NewChannel};
use catalog::ids::{AssetId, CentreCode, TokenId};
use catalog::programme::{Category, NewProgramme, ProgrammeStatus, Sharing};
use catalog::store::web_lookups::ChannelEdit;
use catalog::user::{NewApiToken, NewUser, Role};
use catalog::{CatalogError, Store};

fn code(s: &str) -> CentreCode {
    CentreCode::parse(s).unwrap()
}

both_backends!(assets_and_tokens_are_found_by_id, |store: Store| async move {
    let actor = Actor::user("admin");
    let p = store
        .create_programme(
            &actor,
            &NewProgramme::new(code("510421"), "芒果", Category::Agriculture),
            ProgrammeStatus::Ready,
        )
        .await
        .unwrap();
    let a = store.add_asset(p.id, AssetKind::House, "programmes/x/house.mp4", "ab", 10).await.unwrap();
    assert_eq!(store.get_asset(a.id).await.unwrap(), a);
    assert!(matches!(store.get_asset(AssetId::new()).await, Err(CatalogError::NotFound { .. })));

    let u = store
        .create_user(
            &actor,
            &NewUser {
                username: "ed".into(),
                display_name: "Ed".into(),
                password_hash: "x".into(),
                role: Role::Editor,
                centre: code("510421"),
            },
        )
        .await
        .unwrap();
    let t = store
        .create_token(
            &actor,
            &NewApiToken {
                user_id: u.id,
                name: "n".into(),
                token_hash: "h".into(),
                role: Role::Editor,
                centre: code("510421"),
                expires_at: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(store.get_token(t.id).await.unwrap(), t);
    assert!(matches!(store.get_token(TokenId::new()).await, Err(CatalogError::NotFound { .. })));
});

both_backends!(a_channel_is_renamed_retired_and_returned_with_audit, |store: Store| async move {
    let actor = Actor::user("miyi-admin");
    let new = NewChannel {
        centre: code("510421"),
        slug: "miyi-tv".into(),
        name: "米易电视".into(),
        kind: ChannelKind::Tv,
        format: ChannelFormat::tv_hd(),
        day_start: "06:00".into(),
        time_zone: "Asia/Shanghai".into(),
    };
    let c = store.create_channel(&actor, &new).await.unwrap();
    let edit =
        ChannelEdit { name: Some(" 米易综合 ".into()), day_start: Some("05:30".into()), ..Default::default() };
    let c2 = store.update_channel(&actor, c.id, &edit).await.unwrap();
    assert_eq!((c2.name.as_str(), c2.day_start.as_str(), c2.retired_at), ("米易综合", "05:30", None));
    let retired =
        store.update_channel(&actor, c.id, &ChannelEdit { retired: Some(true), ..Default::default() }).await.unwrap();
    assert!(retired.retired_at.is_some());
    assert!(store.list_channels(false).await.unwrap().is_empty());
    let back =
        store.update_channel(&actor, c.id, &ChannelEdit { retired: Some(false), ..Default::default() }).await.unwrap();
    assert!(back.retired_at.is_none());
    for bad in [
        ChannelEdit { name: Some("  ".into()), ..Default::default() },
        ChannelEdit { day_start: Some("25:00".into()), ..Default::default() },
    ] {
        assert!(matches!(store.update_channel(&actor, c.id, &bad).await, Err(CatalogError::Invalid { .. })));
    }
    let actions: Vec<String> =
        store.audit_for_object("channel", &c.id.to_string()).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["channel.create", "channel.update", "channel.retire", "channel.update"]);
    let last = store.audit_for_object("channel", &c.id.to_string()).await.unwrap().pop().unwrap();
    assert!(last.before.unwrap()["retired_at"].is_string(), "before and after are recorded");
});

both_backends!(a_channels_fillers_crawl_and_logo_are_checked_stored_and_audited, |store: Store| async move {
    let actor = Actor::user("miyi-admin");
    let new = NewChannel {
        centre: code("510421"),
        slug: "miyi-radio".into(),
        name: "米易广播".into(),
        kind: ChannelKind::Radio,
        format: ChannelFormat::radio(),
        day_start: "06:00".into(),
        time_zone: "Asia/Shanghai".into(),
    };
    let c = store.create_channel(&actor, &new).await.unwrap();
    assert_eq!((c.fillers.len(), c.crawl.as_ref(), c.logo.as_ref()), (0, None, None), "none by default");
    let programme = |centre: &str, sharing: Sharing| {
        let mut n = NewProgramme::new(code(centre), "垫播", Category::Music);
        n.sharing = sharing;
        n
    };
    let own = store.create_programme(&actor, &programme("510421", Sharing::Private), ProgrammeStatus::Ready).await;
    let shared = store.create_programme(&actor, &programme("510422", Sharing::Network), ProgrammeStatus::Ready).await;
    let private = store.create_programme(&actor, &programme("510422", Sharing::Private), ProgrammeStatus::Ready).await;
    let (own, shared, private) = (own.unwrap().id, shared.unwrap().id, private.unwrap().id);
    let logo = ChannelLogo {
        path: "/srv/kapok/miyi.png".into(),
        corner: LogoCorner::BottomLeft,
        margin: 16,
        opacity_percent: 70,
    };
    let edit = ChannelEdit {
        fillers: Some(vec![own, shared]),
        crawl: Some(Some(" 今天夜间有雷阵雨 ".into())),
        logo: Some(Some(logo.clone())),
        ..Default::default()
    };
    let c2 = store.update_channel(&actor, c.id, &edit).await.unwrap();
    assert_eq!(c2.fillers, [own, shared]);
    assert_eq!(c2.crawl.as_deref(), Some("今天夜间有雷阵雨"));
    assert_eq!(c2.logo.as_ref(), Some(&logo));
    assert_eq!(store.get_channel(c.id).await.unwrap(), c2, "read back as written");
    let renamed =
        store.update_channel(&actor, c.id, &ChannelEdit { name: Some("米易之声".into()), ..Default::default() }).await;
    assert_eq!(renamed.unwrap().fillers, [own, shared], "an edit of other fields keeps them");
    for bad in [
        ChannelEdit { fillers: Some(vec![private]), ..Default::default() },
        ChannelEdit { fillers: Some(vec![own, catalog::ids::ProgrammeId::new()]), ..Default::default() },
        ChannelEdit { fillers: Some(vec![own; 51]), ..Default::default() },
        ChannelEdit { crawl: Some(Some("两行\n文字".into())), ..Default::default() },
        ChannelEdit {
            logo: Some(Some(ChannelLogo { path: "relative.png".into(), ..logo.clone() })),
            ..Default::default()
        },
    ] {
        let r = store.update_channel(&actor, c.id, &bad).await;
        assert!(matches!(r, Err(CatalogError::Invalid { .. })), "{bad:?}: {r:?}");
    }
    let cleared = ChannelEdit { fillers: Some(vec![]), crawl: Some(None), logo: Some(None), ..Default::default() };
    let c3 = store.update_channel(&actor, c.id, &cleared).await.unwrap();
    assert_eq!((c3.fillers.len(), c3.crawl, c3.logo), (0, None, None));
    let audit = store.audit_for_object("channel", &c.id.to_string()).await.unwrap();
    let set = &audit[1];
    assert_eq!(set.action, "channel.update");
    assert_eq!(set.before.as_ref().unwrap()["fillers"], serde_json::json!([]));
    assert_eq!(set.after.as_ref().unwrap()["fillers"], serde_json::json!([own, shared]));
    assert_eq!(set.after.as_ref().unwrap()["logo"]["corner"], "bottom-left");
    assert_eq!(audit.len(), 4, "create, set, rename, clear: refused edits leave no trace");
});

both_backends!(a_bulk_import_is_searchable_audited_and_all_or_nothing, |store: Store| async move {
    let actor = Actor::system("import");
    let mut news: Vec<NewProgramme> = (0..20)
        .map(|i| NewProgramme::new(code("510422"), format!("盐边芒果 第{i}期"), Category::Agriculture))
        .collect();
    let ids = store.import_programmes(&actor, &news, ProgrammeStatus::Ready).await.unwrap();
    assert_eq!(ids.len(), 20);
    let found = store
        .list_programmes(&catalog::store::ProgrammeFilter {
            query: Some("芒果".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 20);
    assert_eq!(store.audit_for_object("programme", &ids[0].to_string()).await.unwrap()[0].action, "programme.import");
    news[5].title = " ".into();
    assert!(store.import_programmes(&actor, &news, ProgrammeStatus::Ready).await.is_err());
    let all =
        store.list_programmes(&catalog::store::ProgrammeFilter { limit: 500, ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 20, "nothing of the refused batch was imported");
});

both_backends!(the_full_query_filters_by_sharing_duration_and_date_and_sorts_both_ways, |store: Store| async move {
    use catalog::programme::{ProgrammeProgress, Sharing};
    use catalog::store::programme_query::ProgrammeQuery;
    use catalog::store::ProgrammeFilter;
    let actor = Actor::system("t");
    let mut ids = Vec::new();
    for (i, sharing) in [Sharing::Network, Sharing::Private, Sharing::Network].into_iter().enumerate() {
        let mut n = NewProgramme::new(code("510421"), format!("玉米 {i}"), Category::Agriculture);
        n.sharing = sharing;
        let p = store.create_programme(&actor, &n, ProgrammeStatus::Queued).await.unwrap();
        let progress = ProgrammeProgress { duration_ms: Some(60_000 * (i as i64 + 1)), ..Default::default() };
        store.set_programme_status(&actor, p.id, ProgrammeStatus::Ready, &progress).await.unwrap();
        ids.push(p.id);
    }
    let q = |f: fn(&mut ProgrammeQuery)| {
        let mut q =
            ProgrammeQuery { filter: ProgrammeFilter { limit: 100, ..Default::default() }, ..Default::default() };
        f(&mut q);
        let store = store.clone();
        async move { store.query_programmes(&q).await.unwrap().into_iter().map(|p| p.id).collect::<Vec<_>>() }
    };
    assert_eq!(q(|_| {}).await, ids);
    assert_eq!(q(|q| q.newest_first = true).await, ids.iter().rev().copied().collect::<Vec<_>>());
    assert_eq!(q(|q| q.sharing = Some(Sharing::Private)).await, [ids[1]]);
    assert_eq!(q(|q| q.min_duration_ms = Some(90_000)).await, [ids[1], ids[2]]);
    assert_eq!(q(|q| q.max_duration_ms = Some(60_000)).await, [ids[0]]);
    assert_eq!(q(|q| q.created_from = Some(chrono::Utc::now() + chrono::Duration::hours(1))).await, []);
    assert_eq!(q(|q| q.created_until = Some(chrono::Utc::now() + chrono::Duration::hours(1))).await.len(), 3);
    assert_eq!(q(|q| q.created_until = Some(chrono::Utc::now() - chrono::Duration::hours(1))).await, []);
    let searched = q(|q| {
        q.filter.query = Some("玉米".into());
        q.sharing = Some(Sharing::Network);
    })
    .await;
    assert_eq!(searched.len(), 2);
    let mut page = ProgrammeQuery { newest_first: true, ..Default::default() };
    page.filter.limit = 2;
    let first = store.query_programmes(&page).await.unwrap();
    page.filter.after = Some(first[1].id);
    let second = store.query_programmes(&page).await.unwrap();
    assert_eq!(second.iter().map(|p| p.id).collect::<Vec<_>>(), [ids[0]]);
});
