//! A channel's fillers, crawl and logo (migration 0008) through the API: set with PATCH,
//! checked (422 for what the channel may not air), audited, shown in the OpenAPI document,
//! and carried into the playout configuration `kapok serve` builds for the channel.

use super::common;

use catalog::programme::Sharing;
use catalog::user::Role;
use common::{error_of, OTHER, OWN};
use reqwest::Method;
use serde_json::{json, Value};

async fn patch(app: &common::App, role: Role, id: &str, body: Value) -> reqwest::Response {
    app.as_role(role, Method::PATCH, &format!("/api/channels/{id}")).json(&body).send().await.unwrap()
}

both!(fillers_crawl_and_logo_are_set_checked_audited_and_reach_the_playout_config, |app| {
    let channel = common::miyi_tv_with(&app, &[]).await;
    let id = channel.id.to_string();
    let own = app.programme(OWN, "米易台标片", Sharing::Private).await;
    let own_house = app.asset(&own, b"own filler").await;
    let shared = app.programme(OTHER, "盐边风光", Sharing::Network).await;
    let shared_house = app.asset(&shared, b"shared filler").await;
    let private = app.programme(OTHER, "盐边内部节目", Sharing::Private).await;
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("miyi.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n").unwrap();
    let logo = json!({ "path": png, "corner": "bottom-left", "margin": 16, "opacity_percent": 80 });

    let r = patch(
        &app,
        Role::CentreAdmin,
        &id,
        json!({ "fillers": [own.id, shared.id],
        "crawl": " 今晚有雷阵雨，请注意防范 ", "logo": logo }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["fillers"], json!([own.id, shared.id]));
    assert_eq!(c["crawl"], "今晚有雷阵雨，请注意防范");
    assert_eq!(c["logo"], logo);

    // Everyone in the network reads them with the channel.
    let list: Vec<Value> =
        app.as_role(Role::Scheduler, Method::GET, "/api/channels").send().await.unwrap().json().await.unwrap();
    let listed = list.iter().find(|x| x["id"] == id).unwrap();
    assert_eq!((&listed["fillers"], &listed["crawl"], &listed["logo"]), (&c["fillers"], &c["crawl"], &c["logo"]));

    let unknown = catalog::ids::ProgrammeId::new();
    for (body, says) in [
        (json!({ "fillers": [unknown] }), "no programme"),
        (json!({ "fillers": ["not-an-id"] }), "no programme"),
        (json!({ "fillers": [private.id] }), "no programme"),
        (json!({ "fillers": vec![own.id; 51] }), "at most 50"),
        (json!({ "crawl": "雨".repeat(501) }), "at most 500"),
        (json!({ "crawl": "第一行\n第二行" }), "control characters"),
        (json!({ "logo": { "path": "logo.png" } }), "absolute path"),
        (json!({ "logo": { "path": "/a/logo.png", "opacity_percent": 101 } }), "0 to 100"),
    ] {
        let r = patch(&app, Role::CentreAdmin, &id, body.clone()).await;
        let (status, _, message) = error_of(r).await;
        assert_eq!(status, 422, "{body}: {message}");
        assert!(message.contains(says), "{body}: {message:?} should say {says:?}");
    }
    // No existence oracle: another centre's private programme is refused in the words of a
    // missing one (it said "belongs to centre … and is not shared").
    let mut said = Vec::new();
    for filler in [unknown.to_string(), private.id.to_string()] {
        let (_, _, message) = error_of(patch(&app, Role::CentreAdmin, &id, json!({ "fillers": [filler] })).await).await;
        said.push(message.replace(&filler, "ID"));
    }
    assert_eq!(said[0], said[1], "a private programme is told from a missing one");
    let r = patch(&app, Role::CentreAdmin, &id, json!({ "logo": { "path": "/a.png", "size": 3 } })).await;
    assert_eq!(error_of(r).await.0, 422, "unknown logo fields are refused");
    let r = patch(&app, Role::Scheduler, &id, json!({ "crawl": "x" })).await;
    assert_eq!(error_of(r).await.0, 403, "only the centre's admin edits a channel");

    // Audited with before and after; refused edits left no trace.
    let trail = app.store().audit_for_object("channel", &id).await.unwrap();
    assert_eq!(trail.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["channel.create", "channel.update"]);
    assert_eq!(trail[1].before.as_ref().unwrap()["crawl"], Value::Null);
    assert_eq!(trail[1].after.as_ref().unwrap()["fillers"], json!([own.id, shared.id]));

    // The OpenAPI document describes the new fields.
    let doc: Value = app.http.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let props = &doc["components"]["schemas"]["ChannelPatch"]["properties"];
    for field in ["fillers", "crawl", "logo"] {
        assert!(props[field].is_object(), "ChannelPatch.{field} in {props}");
    }

    // What `kapok serve` hands the playout engine for this channel.
    let stored = app.store().get_channel(channel.id).await.unwrap();
    let extras = kapok::onair::extras_of(app.store(), &stored).await.unwrap();
    let format = playout::timeline::ChannelFormat {
        video: None,
        audio: playout::timeline::AudioFormat { rate: 48_000, channels: 2 },
        audio_codec: playout::timeline::AudioCodec::Aac,
    };
    let mut config = playout::channel::ChannelConfig::new("miyi-tv", format, vec![]);
    extras.apply(&mut config);
    let sources: Vec<String> = config
        .fillers
        .iter()
        .map(|i| match &i.source {
            playout::playlist::Source::Uri(u) => u.clone(),
            other => panic!("filler source {other:?}"),
        })
        .collect();
    assert_eq!(
        sources,
        [
            format!("media://{}?sha256={}", own_house.key, own_house.sha256),
            format!("media://{}?sha256={}", shared_house.key, shared_house.sha256)
        ]
    );
    assert_eq!(extras.media().len(), 2, "fillers' media go to the cache prefetch");
    assert_eq!(config.crawl.as_deref(), Some("今晚有雷阵雨，请注意防范"));
    assert!(config.logo.is_some(), "the logo's PNG exists here");

    // Clearing: [] and null.
    let r = patch(&app, Role::CentreAdmin, &id, json!({ "fillers": [], "crawl": null, "logo": null })).await;
    let c: Value = r.json().await.unwrap();
    assert_eq!((&c["fillers"], &c["crawl"], &c["logo"]), (&json!([]), &Value::Null, &Value::Null));
    let cleared = kapok::onair::extras_of(app.store(), &app.store().get_channel(channel.id).await.unwrap()).await;
    let cleared = cleared.unwrap();
    assert!(cleared.fillers.is_empty() && cleared.crawl.is_none() && cleared.logo.is_none());
});

both!(a_channels_audio_codec_is_checked_at_creation_and_reaches_the_playout_format, |app| {
    let create = |kind: &str, format: Value| {
        let body = json!({ "centre": OWN, "slug": format!("codec-{kind}-{}", format["audio_codec"].as_str().unwrap_or("x")),
            "name": "编码测试", "kind": kind, "format": format });
        app.as_role(Role::CentreAdmin, Method::POST, "/api/channels").json(&body).send()
    };
    let tv = |codec: &str| json!({ "width": 1280, "height": 720, "fps": "25/1", "sample_rate": 48000, "channels": 2, "audio_codec": codec });
    let radio = |codec: &str, rate: u32| json!({ "sample_rate": rate, "channels": 2, "audio_codec": codec });

    for (kind, format, says) in [
        ("tv", tv("mp3"), "a tv channel carries aac, mp2"),
        ("radio", radio("mp2", 48_000), "a radio channel carries aac, mp3, opus"),
        ("radio", radio("opus", 44_100), "opus runs at [48000] Hz"),
    ] {
        let (status, _, message) = error_of(create(kind, format).await.unwrap()).await;
        assert_eq!(status, 422, "{kind}: {message}");
        assert!(message.contains("format.audio_codec") && message.contains(says), "{message}");
    }
    assert!(create("radio", radio("ac3", 48_000)).await.unwrap().status().is_client_error());

    for (kind, format, codec) in [
        ("tv", tv("mp2"), playout::timeline::AudioCodec::Mp2),
        ("radio", radio("opus", 48_000), playout::timeline::AudioCodec::Opus),
    ] {
        let r = create(kind, format).await.unwrap();
        assert_eq!(r.status(), 201);
        let c: Value = r.json().await.unwrap();
        assert_eq!(c["format"]["audio_codec"], codec.as_str());
        let stored =
            app.store().get_channel(catalog::ids::ChannelId::parse(c["id"].as_str().unwrap()).unwrap()).await.unwrap();
        assert_eq!(stored.format.audio_codec, codec);
    }
});
