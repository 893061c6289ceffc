//! Live sources are named relays of the channel's centre (issue 19, findings 1): a scheduler's
//! CSV with `live:http://…` or `live:file:///…` is refused (it made the server fetch the URL,
//! or air a local file on the login-free HLS preview); only `srt/udp/rtmp/rtsp/HLS` URIs enter
//! a centre's list, kept by its admins; a day naming a relay not (or no longer) on the list is
//! not published, and a published one airs slate in its slot.

use super::common;

use catalog::user::Role;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use reqwest::Method;
use serde_json::{json, Value};

async fn send(rb: reqwest::RequestBuilder) -> (u16, Value) {
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A day of two 12-hour slots of live `reference`.
fn csv(reference: &str) -> String {
    format!("start,programme,duration\n06:00:00,live:{reference},12:00:00\n18:00:00,live:{reference},12:00:00\n")
}

both!(live_sources_are_named_relays_of_the_centre_only, |app| {
    let ch = common::miyi_tv_with(&app, &[]).await;
    let d: NaiveDate = (Utc::now() + Duration::days(3)).date_naive();
    let dp = format!("/api/channels/{}/days/{d}", ch.id);
    let relays = format!("/api/centres/{}/relays", ch.centre);
    let import = |body: String| app.as_role(Role::Scheduler, Method::POST, &format!("{dp}/import")).body(body);

    // The probe's imports: an internal URL and a local file.
    for reference in ["http://127.0.0.1:9/x.mp3", "file:///etc/passwd", "/etc/passwd", "cctv"] {
        let (s, b) = send(import(csv(reference))).await;
        assert_eq!((s, b["error"]["code"].as_str()), (422, Some("unknown_relay")), "{reference}: {b}");
        assert!(b["findings"][0]["message"].as_str().unwrap().contains("live item 1"), "{b}");
    }

    // Only relay URIs enter the list, and only by the centre's admins.
    for bad in ["file:///etc/passwd", "http://127.0.0.1:9/x.mp3", "media://programmes/x/house.mp4", "/etc/passwd"] {
        let rb = app.as_role(Role::CentreAdmin, Method::PUT, &format!("{relays}/cctv")).json(&json!({ "uri": bad }));
        let (s, b) = send(rb).await;
        assert_eq!(s, 422, "{bad}: {b}");
    }
    let put =
        |role| app.as_role(role, Method::PUT, &format!("{relays}/cctv")).json(&json!({ "uri": "srt://relay:9000" }));
    assert_eq!(send(put(Role::Scheduler)).await.0, 403);
    let (s, b) = send(put(Role::CentreAdmin)).await;
    assert_eq!((s, b["uri"].as_str()), (200, Some("srt://relay:9000")), "{b}");
    let (s, list) = send(app.as_role(Role::Scheduler, Method::GET, &relays)).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(1)), "{list}");

    // By name: imported, published, and playout gets the relay's URI.
    let (s, b) = send(import(csv("cctv"))).await;
    assert_eq!(s, 201, "{b}");
    let version = b["version"].as_i64().unwrap();
    let rb = app.as_role(Role::Scheduler, Method::POST, &format!("{dp}/publish")).json(&json!({ "version": version }));
    let (s, b) = send(rb).await;
    assert_eq!(s, 201, "{b}");
    let from = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap());
    let docs =
        catalog::scheduling::published_playout_json(app.store(), &ch, from, from + Duration::days(1)).await.unwrap();
    let sources: Vec<&str> =
        docs[0]["items"].as_array().unwrap().iter().map(|i| i["source"].as_str().unwrap()).collect();
    assert_eq!(sources, ["srt://relay:9000", "srt://relay:9000"], "{docs:?}");

    // Removed from the list: the published day airs slate there, and publishing again is refused.
    let (s, _) = send(app.as_role(Role::CentreAdmin, Method::DELETE, &format!("{relays}/cctv"))).await;
    assert_eq!(s, 204);
    let docs =
        catalog::scheduling::published_playout_json(app.store(), &ch, from, from + Duration::days(1)).await.unwrap();
    assert!(docs[0]["items"].as_array().unwrap().iter().all(|i| i["source"] == "slate"), "{docs:?}");
    let rb = app.as_role(Role::Scheduler, Method::POST, &format!("{dp}/publish")).json(&json!({ "version": version }));
    let (s, b) = send(rb).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("publish_blocked")), "{b}");
    assert!(b["findings"].as_array().unwrap().iter().any(|f| f["code"] == "unknown_relay"), "{b}");
});

both!(media_of_a_programme_the_centre_may_no_longer_air_goes_to_playout_as_slate, |app| {
    // A county's programme shared with the network, scheduled by another centre's channel,
    // then made private again: its house file must not reach that channel's playout.
    use catalog::programme::{Category, NewProgramme, ProgrammeEdit, ProgrammeProgress, ProgrammeStatus, Sharing};
    let ch = common::miyi_tv_with(&app, &[]).await;
    let actor = catalog::audit::Actor::system("test");
    let mut n = NewProgramme::new(common::code(common::OTHER), "仁和区新闻", Category::News);
    n.sharing = Sharing::Network;
    let p = app.store().create_programme(&actor, &n, ProgrammeStatus::Queued).await.unwrap();
    let progress = ProgrammeProgress { reason: None, duration_ms: Some(1_800_000), qc: None, loudness: None };
    let p = app.store().set_programme_status(&actor, p.id, ProgrammeStatus::Ready, &progress).await.unwrap();
    app.asset(&p, b"house file").await;
    let d: NaiveDate = (Utc::now() + Duration::days(3)).date_naive();
    let dp = format!("/api/channels/{}/days/{d}", ch.id);
    let mut csv = String::from("start,programme,duration\n");
    for half_hour in 0..48 {
        let minutes = 6 * 60 + half_hour * 30;
        csv.push_str(&format!("{:02}:{:02}:00,{},\n", minutes / 60 % 24, minutes % 60, p.id));
    }
    let (s, b) = send(app.as_role(Role::Scheduler, Method::POST, &format!("{dp}/import")).body(csv)).await;
    assert_eq!(s, 201, "{b}");
    let rb =
        app.as_role(Role::Scheduler, Method::POST, &format!("{dp}/publish")).json(&json!({ "version": b["version"] }));
    let (s, b) = send(rb).await;
    assert_eq!(s, 201, "{b}");
    let from = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap());
    let sources = || async {
        let docs = catalog::scheduling::published_playout_json(app.store(), &ch, from, from + Duration::hours(2))
            .await
            .unwrap();
        docs[0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["source"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(sources().await.iter().all(|s| s.starts_with("media://")), "shared: its house file airs");
    let edit = ProgrammeEdit { version: p.version, sharing: Some(Sharing::Private), ..Default::default() };
    app.store().update_programme(&actor, p.id, &edit).await.unwrap();
    let now = sources().await;
    assert!(now.iter().all(|s| s == "slate"), "private again: slate, not its media: {now:?}");
});
