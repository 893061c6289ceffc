//! Stored schedules (templates, editing versions, published days) on SQLite and PostgreSQL.

use catalog::audit::Actor;
use catalog::both_backends;
use catalog::channel::{ChannelFormat, ChannelKind, NewChannel};
use catalog::ids::{CentreCode, ChannelId};
use catalog::schedule::NewDayVersion;
use catalog::{CatalogError, Store};
use chrono::NaiveDate;
use serde_json::json;

fn actor() -> Actor {
    Actor::user("sched")
}

async fn channel(store: &Store) -> ChannelId {
    let new = NewChannel {
        centre: CentreCode::parse("510421").unwrap(),
        slug: "miyi-tv".into(),
        name: "米易电视台".into(),
        kind: ChannelKind::Tv,
        format: ChannelFormat::tv_hd(),
        day_start: "06:00".into(),
        time_zone: "Asia/Shanghai".into(),
    };
    store.create_channel(&actor(), &new).await.unwrap().id
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

both_backends!(templates_are_versioned_and_audited, |store: Store| async move {
    let ch = channel(&store).await;
    assert!(store.get_schedule_template(ch).await.unwrap().is_none());
    let t1 = store.put_schedule_template(&actor(), ch, &json!({ "name": "a" })).await.unwrap();
    assert_eq!(t1.version, 1);
    let t2 = store.put_schedule_template(&actor(), ch, &json!({ "name": "b" })).await.unwrap();
    assert_eq!(t2.version, 2);
    let got = store.get_schedule_template(ch).await.unwrap().unwrap();
    assert_eq!((got.version, got.template), (2, json!({ "name": "b" })));
    let audit = store.audit_for_object("channel", &ch.to_string()).await.unwrap();
    let changes: Vec<_> = audit.iter().filter(|a| a.action == "schedule.template").collect();
    assert_eq!(changes.len(), 2);
    let unknown = store.put_schedule_template(&actor(), ChannelId::new(), &json!({})).await;
    assert!(matches!(unknown, Err(CatalogError::NotFound { .. })), "{unknown:?}");
});

both_backends!(day_versions_append_with_optimistic_concurrency, |store: Store| async move {
    let ch = channel(&store).await;
    assert!(store.latest_day_version(ch, day(26)).await.unwrap().is_none());
    let p1 = json!({ "items": [1] });
    let v1 = store
        .append_day_version(
            &actor(),
            ch,
            day(26),
            &NewDayVersion { expected: 0, parent: None, change: "generated", playlist: &p1 },
        )
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    let p2 = json!({ "items": [1, 2] });
    let v2 = store
        .append_day_version(
            &actor(),
            ch,
            day(26),
            &NewDayVersion { expected: 1, parent: Some(1), change: "insert at 1", playlist: &p2 },
        )
        .await
        .unwrap();
    assert_eq!((v2.version, v2.parent), (2, Some(1)));
    // A stale or future expected version is refused and writes nothing.
    for expected in [1, 5] {
        let r = store
            .append_day_version(
                &actor(),
                ch,
                day(26),
                &NewDayVersion { expected, parent: None, change: "x", playlist: &p1 },
            )
            .await;
        assert!(matches!(r, Err(CatalogError::Conflict(_))), "{r:?}");
    }
    let all = store.day_versions(ch, day(26)).await.unwrap();
    assert_eq!(all.iter().map(|v| v.version).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(all[1].playlist, p2);
    assert_eq!(all[1].created_by, "user:sched");
    let latest = store.latest_day_version(ch, day(26)).await.unwrap().unwrap();
    assert_eq!(latest.version, 2);
    // Another day is separate.
    assert!(store.day_versions(ch, day(27)).await.unwrap().is_empty());
    let audit = store.audit_for_object("schedule_day", &format!("{ch}/2026-11-26")).await.unwrap();
    assert_eq!(audit.len(), 2);
});

both_backends!(published_days_are_immutable_versions, |store: Store| async move {
    let ch = channel(&store).await;
    let r1 = json!({ "version": 1 });
    let p1 = store.publish_day(&actor(), ch, day(26), 0, Some(3), &r1).await.unwrap();
    assert_eq!(p1.version, 1);
    let stale = store.publish_day(&actor(), ch, day(26), 0, Some(4), &r1).await;
    assert!(matches!(stale, Err(CatalogError::Conflict(_))), "{stale:?}");
    let r2 = json!({ "version": 2 });
    store.publish_day(&actor(), ch, day(26), 1, Some(4), &r2).await.unwrap();
    store.publish_day(&actor(), ch, day(28), 0, None, &r1).await.unwrap();
    let all = store.published_versions(ch, day(26)).await.unwrap();
    assert_eq!(all.iter().map(|p| (p.version, p.source_version)).collect::<Vec<_>>(), vec![(1, Some(3)), (2, Some(4))]);
    assert_eq!(all[0].record, r1, "an earlier published version is kept unchanged");
    let latest = store.latest_published_days(ch, day(25), day(28)).await.unwrap();
    assert_eq!(latest.iter().map(|p| (p.day, p.version)).collect::<Vec<_>>(), vec![(day(26), 2), (day(28), 1)]);
    assert!(store.latest_published_days(ch, day(29), day(30)).await.unwrap().is_empty());
});
