//! Look-ups and channel edits used by the web API, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use catalog::asset::AssetKind;
use catalog::audit::Actor;
use catalog::both_backends;
use catalog::channel::{ChannelFormat, ChannelKind, NewChannel};
use catalog::ids::{AssetId, CentreCode, TokenId};
use catalog::programme::{Category, NewProgramme, ProgrammeStatus};
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
    let edit = ChannelEdit { name: Some(" 米易综合 ".into()), day_start: Some("05:30".into()), retired: None };
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
