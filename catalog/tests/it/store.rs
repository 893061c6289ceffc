//! The catalog store's behaviour, run identically on SQLite and PostgreSQL.

use catalog::asset::AssetKind;
use catalog::audit::Actor;
use catalog::both_backends;
use catalog::channel::{ChannelFormat, ChannelKind, NewChannel};
use catalog::ids::{AssetId, ProgrammeId, TokenId};
use catalog::programme::{Category, NewProgramme, ProgrammeProgress, ProgrammeStatus, Sharing};
use catalog::store::ProgrammeFilter;
use catalog::user::{NewApiToken, NewUser, Role};
use catalog::{CatalogError, Store};

use crate::common::code;

fn admin() -> Actor {
    Actor::user("admin")
}

both_backends!(centres_are_seeded_with_the_six_network_codes, |store: Store| async move {
    let centres = store.list_centres().await.unwrap();
    let codes: Vec<&str> = centres.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["510400", "510402", "510403", "510411", "510421", "510422"]);
    let miyi = store.get_centre(&code("510421")).await.unwrap();
    assert_eq!(miyi.area_name, "米易县");
    assert!(matches!(store.get_centre(&code("110000")).await, Err(CatalogError::NotFound { .. })));
});

both_backends!(a_programme_moves_through_its_lifecycle_and_every_change_is_audited, |store: Store| async move {
    let mut new = NewProgramme::new(code("510421"), "  攀枝花芒果种植技术 ", Category::Agriculture);
    new.tags = vec!["芒果".into(), "种植".into()];
    new.sharing = Sharing::Network;
    let p = store.create_programme(&admin(), &new, ProgrammeStatus::Queued).await.unwrap();
    assert_eq!(p.title, "攀枝花芒果种植技术", "title is trimmed");
    assert_eq!(p.tags, ["芒果", "种植"]);
    assert_eq!((p.status, p.version), (ProgrammeStatus::Queued, 1));

    let progress = ProgrammeProgress {
        duration_ms: Some(61_040),
        loudness: Some(serde_json::json!({ "source": { "integrated_lufs": -18.2 } })),
        ..Default::default()
    };
    let worker = Actor::system("ingest");
    let p2 = store.set_programme_status(&worker, p.id, ProgrammeStatus::Ready, &progress).await.unwrap();
    assert_eq!((p2.status, p2.version, p2.duration_ms), (ProgrammeStatus::Ready, 2, Some(61_040)));
    assert_eq!(p2.loudness.unwrap()["source"]["integrated_lufs"], -18.2);

    let history = store.audit_for_object("programme", &p.id.to_string()).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["programme.create", "programme.status"]);
    assert_eq!(history[1].actor, worker);
    assert_eq!(history[1].before.as_ref().unwrap()["status"], "queued");
    assert_eq!(history[1].after.as_ref().unwrap()["status"], "ready");
    assert_eq!(store.audit_by_actor(&worker, 10).await.unwrap().len(), 1);

    let missing = store.set_programme_status(&worker, ProgrammeId::new(), ProgrammeStatus::Failed, &progress).await;
    assert!(matches!(missing, Err(CatalogError::NotFound { .. })));
});

both_backends!(listing_programmes_filters_and_pages_without_repeats, |store: Store| async move {
    for i in 0..7 {
        let centre = if i % 2 == 0 { "510421" } else { "510422" };
        let new = NewProgramme::new(code(centre), format!("节目 {i}"), Category::News);
        store.create_programme(&admin(), &new, ProgrammeStatus::Queued).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut filter = ProgrammeFilter { centre: Some(code("510421")), limit: 2, ..Default::default() };
    loop {
        let page = store.list_programmes(&filter).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        filter.after = page.last().map(|p| p.id);
        seen.extend(page.into_iter().map(|p| p.title));
    }
    assert_eq!(seen, ["节目 0", "节目 2", "节目 4", "节目 6"]);
    let absurd = ProgrammeFilter { limit: 1_000_000_000, ..Default::default() };
    assert_eq!(store.list_programmes(&absurd).await.unwrap().len(), 7, "page size is clamped, not refused");
});

both_backends!(a_programme_of_an_unknown_centre_or_with_a_blank_title_is_refused, |store: Store| async move {
    let bad_centre = NewProgramme::new(code("110000"), "北京", Category::News);
    let err = store.create_programme(&admin(), &bad_centre, ProgrammeStatus::Queued).await.unwrap_err();
    assert!(matches!(err, CatalogError::Invalid { .. }), "{err:?}");
    let blank = NewProgramme::new(code("510400"), " ", Category::News);
    assert!(matches!(
        store.create_programme(&admin(), &blank, ProgrammeStatus::Queued).await,
        Err(CatalogError::Invalid { .. })
    ));
    assert!(store.list_programmes(&ProgrammeFilter { limit: 10, ..Default::default() }).await.unwrap().is_empty());
});

both_backends!(assets_are_recorded_once_and_found_by_checksum, |store: Store| async move {
    let p = store
        .create_programme(&admin(), &NewProgramme::new(code("510400"), "新闻", Category::News), ProgrammeStatus::Queued)
        .await
        .unwrap();
    let sha = "ab".repeat(32);
    let a = store.add_asset(p.id, AssetKind::Source, "programmes/x/source", &sha, 1234).await.unwrap();
    assert_eq!((a.kind, a.size_bytes), (AssetKind::Source, 1234));
    let dup = store.add_asset(p.id, AssetKind::Source, "programmes/x/source", &sha, 1234).await;
    assert!(matches!(dup, Err(CatalogError::Conflict(_))), "{dup:?}");
    assert_eq!(store.find_asset_by_sha256(AssetKind::Source, &sha).await.unwrap(), Some(a.clone()));
    assert_eq!(store.find_asset_by_sha256(AssetKind::House, &sha).await.unwrap(), None);
    assert_eq!(store.list_assets(p.id).await.unwrap(), vec![a.clone()]);

    // An ingest product recorded again (a re-run of the job) describes the bytes now stored.
    let house = store.record_asset(p.id, AssetKind::House, "programmes/x/house.mp4", &sha, 10).await.unwrap();
    let other = "cd".repeat(32);
    let again = store.record_asset(p.id, AssetKind::House, "programmes/x/house.mp4", &other, 11).await.unwrap();
    assert_eq!((again.id, again.sha256.as_str(), again.size_bytes), (house.id, other.as_str(), 11));
    assert_eq!(store.list_assets(p.id).await.unwrap(), vec![a, again]);
});

both_backends!(users_and_tokens_are_unique_revocable_and_expire, |store: Store| async move {
    let new = NewUser {
        username: "miyi-editor".into(),
        display_name: "米易编辑".into(),
        password_hash: "$argon2id$stub".into(),
        role: Role::Editor,
        centre: code("510421"),
    };
    let u = store.create_user(&admin(), &new).await.unwrap();
    assert_eq!(store.find_user("miyi-editor").await.unwrap().map(|x| x.id), Some(u.id));
    assert!(matches!(store.create_user(&admin(), &new).await, Err(CatalogError::Conflict(_))));
    let spaced = NewUser { username: "a b".into(), ..new.clone() };
    assert!(matches!(store.create_user(&admin(), &spaced).await, Err(CatalogError::Invalid { .. })));

    let now = chrono::Utc::now();
    let t = store
        .create_token(
            &admin(),
            &NewApiToken {
                user_id: u.id,
                name: "playout-miyi".into(),
                token_hash: "h1".into(),
                role: Role::PlayoutNode,
                centre: code("510421"),
                expires_at: Some(now + chrono::Duration::hours(1)),
            },
        )
        .await
        .unwrap();
    let found = store.find_token("h1").await.unwrap().unwrap();
    assert!(found.is_usable(now));
    assert!(!found.is_usable(now + chrono::Duration::hours(2)), "expired");
    store.revoke_token(&admin(), t.id).await.unwrap();
    store.revoke_token(&admin(), t.id).await.unwrap();
    assert!(!store.find_token("h1").await.unwrap().unwrap().is_usable(now), "revoked");
    assert_eq!(store.find_token("nope").await.unwrap(), None);
});

both_backends!(channels_are_created_listed_and_slugs_are_unique, |store: Store| async move {
    let tv = NewChannel {
        centre: code("510400"),
        slug: "pzh-tv1".into(),
        name: "攀枝花电视台新闻综合频道".into(),
        kind: ChannelKind::Tv,
        format: ChannelFormat::tv_hd(),
        day_start: "06:00".into(),
        time_zone: "Asia/Shanghai".into(),
    };
    let c = store.create_channel(&admin(), &tv).await.unwrap();
    assert_eq!(c.format.video.map(|v| v.fps.to_string()).as_deref(), Some("25/1"));
    assert!(matches!(store.create_channel(&admin(), &tv).await, Err(CatalogError::Conflict(_))));
    let bad = NewChannel { slug: "../etc".into(), ..tv.clone() };
    assert!(matches!(store.create_channel(&admin(), &bad).await, Err(CatalogError::Invalid { .. })));
    assert_eq!(store.list_channels(false).await.unwrap(), vec![c]);
});

both_backends!(chinese_and_mixed_search_finds_ranks_and_respects_visibility, |store: Store| async move {
    let mk = |centre: &str, title: &str, sharing: Sharing, tags: &[&str]| {
        let mut n = NewProgramme::new(code(centre), title, Category::Agriculture);
        n.sharing = sharing;
        n.tags = tags.iter().map(|t| t.to_string()).collect();
        n
    };
    let mango = store
        .create_programme(
            &admin(),
            &mk("510421", "攀枝花芒果种植技术", Sharing::Network, &["芒果"]),
            ProgrammeStatus::Ready,
        )
        .await
        .unwrap();
    let corn = store
        .create_programme(&admin(), &mk("510422", "玉米病虫害防治", Sharing::Private, &[]), ProgrammeStatus::Ready)
        .await
        .unwrap();
    let storm = store
        .create_programme(
            &admin(),
            &mk("510400", "2024年暴雨预警 4K CCTV-7 转播", Sharing::Network, &[]),
            ProgrammeStatus::Ready,
        )
        .await
        .unwrap();
    let dried = store
        .create_programme(&admin(), &mk("510400", "芒果干加工", Sharing::Network, &[]), ProgrammeStatus::Ready)
        .await
        .unwrap();
    let mut orchard = mk("510411", "果园管理", Sharing::Network, &[]);
    orchard.description = "介绍芒果和枇杷的修剪".into();
    let orchard = store.create_programme(&admin(), &orchard, ProgrammeStatus::Ready).await.unwrap();

    let search = |q: &str, visible_to: Option<&str>| {
        let f = ProgrammeFilter {
            query: Some(q.into()),
            visible_to: visible_to.map(code),
            limit: 20,
            ..Default::default()
        };
        let store = store.clone();
        async move { store.list_programmes(&f).await.unwrap().into_iter().map(|p| p.id).collect::<Vec<_>>() }
    };
    let hits = search("芒果", None).await;
    assert_eq!(hits.len(), 3, "every programme that mentions 芒果");
    assert!(hits[..2].contains(&mango.id) && hits[..2].contains(&dried.id), "title matches first: {hits:?}");
    assert_eq!(hits[2], orchard.id, "a match in the description ranks below title matches");
    assert_eq!(search("玉米", None).await, vec![corn.id]);
    assert_eq!(search("暴雨", None).await, vec![storm.id]);
    assert_eq!(search("2024年", None).await, vec![storm.id]);
    assert_eq!(search("4k", None).await, vec![storm.id]);
    assert_eq!(search("cctv", None).await, vec![storm.id]);
    assert_eq!(search("芒果 种植", None).await, vec![mango.id], "all terms must match");
    assert!(search("玉米", Some("510421")).await.is_empty(), "米易 cannot see 盐边's private programme");
    assert_eq!(search("玉米", Some("510422")).await, vec![corn.id], "盐边 sees its own");
    for hostile in ["'; DROP TABLE programmes; --", "\"芒果\" OR *", "🥭", "NEAR(芒果", "\\", "%_", "芒果)"] {
        let _ = search(hostile, None).await; // must not error
    }
    assert_eq!(
        store.list_programmes(&ProgrammeFilter { limit: 10, ..Default::default() }).await.unwrap().len(),
        5,
        "still there"
    );
});

both_backends!(an_edit_on_a_stale_version_conflicts_and_search_follows_the_new_title, |store: Store| async move {
    use catalog::programme::ProgrammeEdit;
    let p = store
        .create_programme(
            &admin(),
            &NewProgramme::new(code("510411"), "枇杷种植", Category::Agriculture),
            ProgrammeStatus::Ready,
        )
        .await
        .unwrap();
    let edit = ProgrammeEdit { version: 1, title: Some("石榴种植".into()), ..Default::default() };
    let p2 = store.update_programme(&admin(), p.id, &edit).await.unwrap();
    assert_eq!((p2.title.as_str(), p2.version), ("石榴种植", 2));
    let stale = store
        .update_programme(&admin(), p.id, &ProgrammeEdit { version: 1, title: Some("x".into()), ..Default::default() })
        .await;
    assert!(matches!(stale, Err(CatalogError::Conflict(_))), "{stale:?}");
    let bad = store
        .update_programme(&admin(), p.id, &ProgrammeEdit { version: 2, title: Some(" ".into()), ..Default::default() })
        .await;
    assert!(matches!(bad, Err(CatalogError::Invalid { .. })));
    let q = |t: &str| ProgrammeFilter { query: Some(t.into()), limit: 5, ..Default::default() };
    assert_eq!(store.list_programmes(&q("石榴")).await.unwrap().len(), 1);
    assert!(store.list_programmes(&q("枇杷")).await.unwrap().is_empty());
    let audit = store.audit_for_object("programme", &p.id.to_string()).await.unwrap();
    assert_eq!(audit.last().unwrap().before.as_ref().unwrap()["title"], "枇杷种植");
});

both_backends!(as_run_is_stored_and_read_back_by_channel_and_time, |store: Store| async move {
    use catalog::asrun::AsRunEntry;
    let t0 = chrono::Utc::now();
    let entry = |channel: &str, secs: i64, outcome: &str| AsRunEntry {
        id: 0,
        channel: channel.into(),
        item_id: Some("p1".into()),
        title: Some("芒果种植".into()),
        source: Some("media://k?sha256=00".into()),
        scheduled_start: Some(t0 + chrono::Duration::seconds(secs)),
        actual_start: t0 + chrono::Duration::seconds(secs),
        duration_ms: 30_000,
        outcome: outcome.into(),
        reason: (outcome != "played").then(|| "file not found".to_string()),
        detail: serde_json::json!({ "frames": 750 }),
    };
    store.record_as_run(&entry("pzh-tv", 0, "played")).await.unwrap();
    store.record_as_run(&entry("pzh-tv", 30, "fallback")).await.unwrap();
    store.record_as_run(&entry("miyi-radio", 0, "played")).await.unwrap();
    let day = store
        .list_as_run("pzh-tv", t0 - chrono::Duration::hours(1), t0 + chrono::Duration::hours(1), 100)
        .await
        .unwrap();
    assert_eq!(day.iter().map(|e| e.outcome.as_str()).collect::<Vec<_>>(), ["played", "fallback"]);
    assert_eq!(day[1].reason.as_deref(), Some("file not found"));
    assert_eq!(day[0].detail["frames"], 750);
    let later = store
        .list_as_run("pzh-tv", t0 + chrono::Duration::seconds(10), t0 + chrono::Duration::hours(1), 100)
        .await
        .unwrap();
    assert_eq!(later.len(), 1);
});

both_backends!(as_run_is_one_line_per_scheduled_item_whichever_node_wrote_it, |store: Store| async move {
    use catalog::asrun::AsRunEntry;
    use chrono::Timelike;
    let t0 = chrono::Utc::now().with_nanosecond(0).unwrap();
    let line = |item: Option<u64>, start_s: i64, dur_ms: i64, on_air: bool, outcome: &str| AsRunEntry {
        id: 0,
        channel: "pzh-tv".into(),
        item_id: item.map(|_| "p1".into()),
        title: Some("芒果种植".into()),
        source: Some("media://k?sha256=00".into()),
        scheduled_start: Some(t0),
        actual_start: t0 + chrono::Duration::seconds(start_s),
        duration_ms: dur_ms,
        outcome: outcome.into(),
        reason: None,
        detail: serde_json::json!({ "item": item, "on_air": on_air }),
    };
    // Main: provisional line on air; killed at 20 s; its restart rejoins at 22 s; the backup
    // (hot standby) reports the whole item; a retried POST repeats the restart's line.
    let first = store.record_as_run(&line(Some(0), 0, 60_000, true, "played")).await.unwrap();
    let rejoined = line(Some(0), 22, 38_000, false, "played");
    assert_eq!(store.record_as_run(&rejoined).await.unwrap(), first);
    assert_eq!(store.record_as_run(&line(Some(3), 0, 60_000, false, "played")).await.unwrap(), first);
    assert_eq!(store.record_as_run(&rejoined).await.unwrap(), first);
    // A gap (no item) in the same second is a line of its own, twice if sent twice.
    store.record_as_run(&line(None, 0, 1_000, false, "fallback")).await.unwrap();
    store.record_as_run(&line(None, 0, 1_000, false, "fallback")).await.unwrap();
    let lines = store
        .list_as_run("pzh-tv", t0 - chrono::Duration::hours(1), t0 + chrono::Duration::hours(1), 100)
        .await
        .unwrap();
    let items: Vec<_> = lines.iter().filter(|l| l.item_id.is_some()).collect();
    assert_eq!(items.len(), 1, "{lines:#?}");
    assert_eq!((items[0].actual_start, items[0].duration_ms), (t0, 60_000));
    assert!(!items[0].is_on_air(), "{:?}", items[0]);
    assert_eq!(lines.len(), 3);
});

both_backends!(a_provisional_line_is_cut_where_a_restarted_node_joined_the_next_item, |store: Store| async move {
    use catalog::asrun::AsRunEntry;
    use chrono::Timelike;
    let t0 = chrono::Utc::now().with_nanosecond(0).unwrap();
    let line = |slot_s: i64, start_s: i64, dur_ms: i64, on_air: bool| AsRunEntry {
        id: 0,
        channel: "pzh-radio".into(),
        item_id: Some(format!("p{slot_s}")),
        title: Some("节目".into()),
        source: None,
        scheduled_start: Some(t0 + chrono::Duration::seconds(slot_s)),
        actual_start: t0 + chrono::Duration::seconds(start_s),
        duration_ms: dur_ms,
        outcome: "played".into(),
        reason: None,
        detail: serde_json::json!({ "item": slot_s, "on_air": on_air }),
    };
    // Item A goes on air (provisional, 60 s planned); its node is killed; the restarted node
    // joins item B at 25 s: A's line ends there instead of overlapping B's.
    let a = store.record_as_run(&line(0, 0, 60_000, true)).await.unwrap();
    store.record_as_run(&line(20, 25, 35_000, false)).await.unwrap();
    let lines = store
        .list_as_run("pzh-radio", t0 - chrono::Duration::hours(1), t0 + chrono::Duration::hours(1), 100)
        .await
        .unwrap();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!((lines[0].id, lines[0].duration_ms), (a, 25_000), "{lines:#?}");
    assert!(lines[0].is_on_air(), "still provisional: a final line of its item would replace it");
    assert!(lines[0].reason.as_deref().unwrap_or_default().contains("its node stopped"), "{lines:#?}");
    assert_eq!(lines[1].duration_ms, 35_000);
});

both_backends!(settling_a_programme_records_an_outbox_event_with_its_origin, |store: Store| async move {
    let t0 = chrono::Utc::now() - chrono::Duration::seconds(1);
    let start = store.last_programme_event().await.unwrap();
    let p = store
        .create_programme(
            &admin(),
            &NewProgramme::new(code("510421"), "出库事件", Category::News),
            ProgrammeStatus::Queued,
        )
        .await
        .unwrap();
    let worker = Actor::system("ingest");
    let none = ProgrammeProgress::default();
    store.set_programme_status(&worker, p.id, ProgrammeStatus::Processing, &none).await.unwrap();
    assert_eq!(store.last_programme_event().await.unwrap(), start, "processing is not an outbox event");
    store.set_programme_status(&worker, p.id, ProgrammeStatus::Ready, &none).await.unwrap();
    store.set_programme_status(&worker, p.id, ProgrammeStatus::Failed, &none).await.unwrap();

    let far = chrono::Utc::now() + chrono::Duration::hours(1);
    let by_seq = store.programme_events_after(start, far, 100).await.unwrap();
    let kinds: Vec<&str> = by_seq.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["programme.ready", "programme.failed"]);
    assert!(by_seq.iter().all(|e| e.programme_id == p.id && e.origin == store.origin()));
    assert!(by_seq[0].seq < by_seq[1].seq);
    let by_time = store.programme_events_after(i64::MAX, t0, 100).await.unwrap();
    assert_eq!(by_time, by_seq, "rows written after `since` come back whatever their number");
    assert_eq!(store.programme_events_after(start, far, 1).await.unwrap().len(), 1, "limit");

    assert_eq!(store.prune_programme_events(t0).await.unwrap(), 0);
    assert_eq!(store.prune_programme_events(far).await.unwrap(), 2);
    assert!(store.programme_events_after(start, t0, 100).await.unwrap().is_empty());
});

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
