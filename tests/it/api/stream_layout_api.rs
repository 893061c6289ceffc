//! The stream layout of stored programmes reaches validation: a programme ingested as TV (its
//! thumbnail strip is stored) is TV-only, so a radio day holding it is refused publication.
//! The candidate index the routes share is rebuilt when a programme changes.

use super::common;

use catalog::asset::AssetKind;
use catalog::audit::Actor;
use catalog::channel::{Channel, ChannelFormat, ChannelKind, NewChannel};
use catalog::media::layout;
use catalog::programme::{Category, NewProgramme, ProgrammeProgress, ProgrammeStatus};
use catalog::user::Role;
use common::{App, OWN};
use reqwest::Method;
use serde_json::Value;

async fn channel(app: &App, slug: &str, kind: ChannelKind) -> Channel {
    let format = if kind == ChannelKind::Tv { ChannelFormat::tv_hd() } else { ChannelFormat::radio() };
    let new = NewChannel {
        centre: common::code(OWN),
        slug: slug.into(),
        name: slug.into(),
        kind,
        format,
        day_start: "06:00".into(),
        time_zone: "Asia/Shanghai".into(),
    };
    app.store().create_channel(&Actor::system("test"), &new).await.unwrap()
}

/// A ready 25-minute programme with a house file, and a thumbnail strip when `tv`.
async fn programme(app: &App, title: &str, tv: bool) -> catalog::ids::ProgrammeId {
    let n = NewProgramme::new(common::code(OWN), title, Category::Agriculture);
    let p = app.store().create_programme(&Actor::system("test"), &n, ProgrammeStatus::Queued).await.unwrap();
    let progress = ProgrammeProgress { duration_ms: Some(1_500_000), ..Default::default() };
    let p = app
        .store()
        .set_programme_status(&Actor::system("ingest"), p.id, ProgrammeStatus::Ready, &progress)
        .await
        .unwrap();
    app.asset(&p, title.as_bytes()).await;
    if tv {
        let key = layout::programme_thumbnail(p.id, 0).unwrap();
        app.store().add_asset(p.id, AssetKind::Thumbnail, key.as_str(), "00", 2).await.unwrap();
    }
    p.id
}

async fn import(app: &App, ch: &Channel, date: &str, title: &str) -> Value {
    let r = app
        .as_role(Role::Scheduler, Method::POST, &format!("/api/channels/{}/days/{date}/import", ch.id))
        .body(format!("start,programme,duration\n06:00:00,{title},\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

fn codes(b: &Value) -> Vec<String> {
    b["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

both!(a_programme_ingested_as_tv_is_refused_on_radio_and_fine_on_tv, |app| {
    let radio = channel(&app, "miyi-radio", ChannelKind::Radio).await;
    let tv = channel(&app, "miyi-tv", ChannelKind::Tv).await;
    programme(&app, "芒果种植 电视版", true).await;
    let on_radio = import(&app, &radio, "2030-01-01", "芒果种植 电视版").await;
    assert!(codes(&on_radio).contains(&"tv_only_on_radio".to_string()), "{}", on_radio["findings"]);
    let on_tv = import(&app, &tv, "2030-01-01", "芒果种植 电视版").await;
    assert!(!codes(&on_tv).iter().any(|c| c == "no_video_on_tv" || c == "tv_only_on_radio"), "{}", on_tv["findings"]);

    // Without a strip nothing says TV-only; a programme added after the first import is found
    // (the routes' candidate index follows the catalog's change signal).
    programme(&app, "芒果种植 广播版", false).await;
    let later = import(&app, &radio, "2030-01-02", "芒果种植 广播版").await;
    assert!(!codes(&later).contains(&"tv_only_on_radio".to_string()), "{}", later["findings"]);
});

both!(a_programme_ingested_as_radio_is_warned_of_on_tv_and_fine_on_radio, |app| {
    let radio = channel(&app, "miyi-radio", ChannelKind::Radio).await;
    let tv = channel(&app, "miyi-tv", ChannelKind::Tv).await;
    let id = programme(&app, "芒果种植 广播版", false).await;
    app.store().set_house_kind(id, "radio").await.unwrap();
    let on_tv = import(&app, &tv, "2030-01-01", "芒果种植 广播版").await;
    let f = on_tv["findings"].as_array().unwrap().iter().find(|f| f["code"] == "audio_only_on_tv");
    let f = f.unwrap_or_else(|| panic!("no audio_only_on_tv warning: {}", on_tv["findings"]));
    assert_eq!((f["severity"].as_str(), f["item"].as_u64()), (Some("warning"), Some(0)), "{f}");
    assert_eq!(f["params"]["title"], "芒果种植 广播版", "{f}");
    let on_radio = import(&app, &radio, "2030-01-01", "芒果种植 广播版").await;
    assert!(
        !codes(&on_radio).iter().any(|c| c == "audio_only_on_tv" || c == "tv_only_on_radio"),
        "{}",
        on_radio["findings"]
    );
    assert!(app.store().set_house_kind(id, "video").await.is_err(), "only tv or radio");
});
