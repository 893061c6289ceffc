//! Channel edits (name, day start, retiring, fillers, crawl, logo): checked, stored and
//! audited, on both backends.

use catalog::audit::Actor;
use catalog::both_backends;
use catalog::channel::{ChannelFormat, ChannelKind, ChannelLogo, LogoCorner, NewChannel};
use catalog::programme::{Category, NewProgramme, ProgrammeStatus, Sharing};
use catalog::store::ChannelEdit;
use catalog::{CatalogError, Store};

use crate::common::code;

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
