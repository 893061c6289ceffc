//! A channel's service ids and PIDs in its MPEG-TS (issue 20, migration 0015) through the
//! API: the defaults until set, set with PATCH, checked (422 naming the field), audited, and
//! carried into the service information `kapok serve` puts in the channel's TS.

use super::common;

use catalog::user::Role;
use common::error_of;
use reqwest::Method;
use serde_json::{json, Value};

async fn patch(app: &common::App, id: &str, body: Value) -> reqwest::Response {
    app.as_role(Role::CentreAdmin, Method::PATCH, &format!("/api/channels/{id}")).json(&body).send().await.unwrap()
}

both!(a_channels_service_ids_are_set_checked_audited_and_reach_its_service_information, |app| {
    let channel = common::miyi_tv_with(&app, &[]).await;
    let id = channel.id.to_string();
    let defaults = json!({ "service_id": 1, "transport_stream_id": 1, "original_network_id": 0xFF01,
        "pmt_pid": 0x1000, "video_pid": 0x100, "audio_pid": 0x101 });
    let list: Vec<Value> =
        app.as_role(Role::Scheduler, Method::GET, "/api/channels").send().await.unwrap().json().await.unwrap();
    assert_eq!(list.iter().find(|c| c["id"] == id).unwrap()["service"], defaults);

    let ids = json!({ "service_id": 421, "transport_stream_id": 0x0421, "original_network_id": 0xFF02,
        "pmt_pid": 0x0200, "video_pid": 0x0210, "audio_pid": 0x0211 });
    let r = patch(&app, &id, json!({ "service": ids })).await;
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["service"], ids);

    for (body, says) in [
        (json!({ "service_id": 0 }), "service_id"),
        (json!({ "pmt_pid": 17 }), "pmt_pid: 17 (0x0011) is reserved"),
        (json!({ "video_pid": 8191 }), "video_pid"),
        (json!({ "video_pid": 300, "audio_pid": 300 }), "audio_pid: 300 is also the video_pid"),
        (json!({ "pmt_pid": 70000 }), "pmt_pid"),
        (json!({ "service_name": "x" }), "service_name"),
    ] {
        let r = patch(&app, &id, json!({ "service": body })).await;
        let (status, _, message) = error_of(r).await;
        assert_eq!(status, 422, "{body}: {message}");
        assert!(message.contains(says), "{body}: {message:?} should say {says:?}");
    }

    // Audited; refused edits left no trace and the ids stand.
    let trail = app.store().audit_for_object("channel", &id).await.unwrap();
    assert_eq!(trail.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["channel.create", "channel.update"]);
    assert_eq!(trail[1].before.as_ref().unwrap()["service"], defaults);
    assert_eq!(trail[1].after.as_ref().unwrap()["service"], ids);

    // What `kapok serve` puts in the channel's SDT: its name, its centre's name, TV.
    let stored = app.store().get_channel(channel.id).await.unwrap();
    let si = kapok::onair::service_info(app.store(), &stored).await;
    assert_eq!(si.ids.service_id, 421);
    assert_eq!(si.ids.audio_pid, 0x0211);
    assert_eq!(
        (si.name.as_str(), si.provider.as_str(), si.service_type()),
        (stored.name.as_str(), "米易县融媒体中心", 1)
    );
});
