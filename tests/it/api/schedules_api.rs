//! Schedules through HTTP on both backends: template → generate → edit (409 on a stale
//! version, locks, undo) → publish → EPG, now/next and the playout playlists; and the bad
//! input of issue 6 answered with clear 4xx or recorded rule breaks, never a 500.

use super::common;

use catalog::channel::Channel;
use catalog::programme::Category;
use catalog::user::Role;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::App;
use reqwest::Method;
use serde_json::{json, Value};

/// A TV channel of the own centre with 涉农 programmes (25 min, with house assets) and idents.
/// The template's 19:00 relay is on the centre's list.
pub(super) async fn setup(app: &App) -> Channel {
    let ch = common::miyi_tv_with(
        app,
        &[
            (Category::Agriculture, 1500),
            (Category::Agriculture, 1500),
            (Category::Agriculture, 1500),
            (Category::Ident, 30),
            (Category::Ident, 20),
        ],
    )
    .await;
    let actor = catalog::audit::Actor::system("test");
    app.store().put_relay(&actor, &ch.centre, "新闻联播", "srt://relay:9000").await.unwrap();
    ch
}

pub(super) fn template() -> Value {
    json!({
        "name": "weekday",
        "clocks": [{ "name": "agri", "segments": [
            { "at": "00:00", "length": "01:00", "type": "category", "label": "涉农", "filter": { "categories": ["涉农"] } }
        ]}],
        "week": { "default": {
            "clocks": [{ "clock": "agri", "hours": [6, 7, 8] }],
            "blocks": [{ "start": "19:00", "length": "00:30", "type": "live", "uri": "srt://relay:9000", "title": "新闻联播" }]
        }},
        "fillers": { "categories": ["台标宣传"] }
    })
}

/// A broadcast day safely in the future.
pub(super) fn day() -> NaiveDate {
    (Utc::now() + Duration::days(3)).date_naive()
}

/// 19:10 local (+08:00) on `d`.
fn at_1910(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(11, 10, 0).unwrap())
}

pub(super) async fn call(app: &App, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut rb = app.as_role(Role::Scheduler, method, path);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

pub(super) fn errors(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

both!(generate_edit_publish_and_read_back, |app| {
    let ch = setup(&app).await;
    let base = format!("/api/channels/{}", ch.id);
    let d = day();
    let dp = format!("{base}/days/{d}");

    let (s, b) = call(&app, Method::PUT, &format!("{base}/template"), Some(template())).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = call(&app, Method::GET, &format!("{base}/template"), None).await;
    assert_eq!((s, b["version"].as_i64()), (200, Some(1)), "{b}");

    let (s, gen) = call(&app, Method::POST, &format!("{dp}/generate"), Some(json!({ "seed": 7 }))).await;
    assert_eq!(s, 201, "{gen}");
    assert_eq!(gen["version"], 1);
    assert!(errors(&gen["findings"]).is_empty(), "{}", gen["findings"]);
    let items = gen["playlist"]["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["title"] == "新闻联播"), "the 19:00 relay is in the day");
    // Same seed → same day.
    let (_, again) = call(&app, Method::POST, &format!("{dp}/generate"), Some(json!({ "seed": 7 }))).await;
    assert_eq!(again["version"], 2);
    assert_eq!(again["playlist"], gen["playlist"]);

    // Deleting the first item ripples soft items earlier: a gap before the hard 19:00 relay.
    let del = json!({ "version": 2, "op": { "op": "delete", "index": 0 } });
    let (s, b) = call(&app, Method::POST, &format!("{dp}/edits"), Some(del.clone())).await;
    assert_eq!((s, b["version"].as_i64()), (201, Some(3)), "{b}");
    let (s, b) = call(&app, Method::POST, &format!("{dp}/edits"), Some(del)).await;
    assert_eq!((s, b["error"]["code"].as_str()), (409, Some("conflict")), "stale version: {b}");
    let (s, b) = call(&app, Method::POST, &format!("{dp}/publish"), Some(json!({ "version": 3 }))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("publish_blocked")), "{b}");
    assert!(!errors(&b["findings"]).is_empty(), "{b}");

    // A locked item refuses changes.
    let lock = json!({ "version": 3, "op": { "op": "lock", "index": 1, "locked": true } });
    let (s, _) = call(&app, Method::POST, &format!("{dp}/edits"), Some(lock)).await;
    assert_eq!(s, 201);
    let (s, b) = call(
        &app,
        Method::POST,
        &format!("{dp}/edits"),
        Some(json!({ "version": 4, "op": { "op": "delete", "index": 1 } })),
    )
    .await;
    assert_eq!((s, b["error"]["code"].as_str()), (409, Some("locked")), "{b}");
    let (s, b) = call(
        &app,
        Method::POST,
        &format!("{dp}/edits"),
        Some(json!({ "version": 4, "op": { "op": "delete", "index": 99999 } })),
    )
    .await;
    assert_eq!(s, 422, "{b}");

    // Undo the lock, then the delete: back to the generated day.
    let (s, b) = call(&app, Method::POST, &format!("{dp}/undo"), Some(json!({ "version": 4 }))).await;
    assert_eq!((s, b["version"].as_i64()), (201, Some(5)), "{b}");
    let (s, b) = call(&app, Method::POST, &format!("{dp}/undo"), Some(json!({ "version": 5 }))).await;
    assert_eq!(s, 201, "{b}");
    let v = b["version"].as_u64().unwrap();
    assert_eq!(b["playlist"], gen["playlist"], "two undos restore the generated day");

    let (s, p1) = call(&app, Method::POST, &format!("{dp}/publish"), Some(json!({ "version": v }))).await;
    assert_eq!((s, p1["published_version"].as_i64()), (201, Some(1)), "{p1}");
    let (s, p2) = call(&app, Method::POST, &format!("{dp}/publish"), Some(json!({ "version": v }))).await;
    assert_eq!((s, p2["published_version"].as_i64()), (201, Some(2)), "re-publishing makes a new version: {p2}");

    let (s, day_doc) = call(&app, Method::GET, &dp, None).await;
    assert_eq!(s, 200);
    assert_eq!((day_doc["version"].as_u64(), day_doc["published_version"].as_i64()), (Some(v), Some(2)));

    // The guide and now/next read the published day.
    // The broadcast day: 06:00 local (22:00 UTC the day before) for 24 h.
    let from = at_1910(d) - Duration::minutes(13 * 60 + 10);
    let until = from + Duration::days(1);
    let r = app
        .as_role(Role::Viewer, Method::GET, &format!("{base}/epg.xml"))
        .query(&[("from", from.to_rfc3339()), ("until", until.to_rfc3339())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/xml"));
    let xml = r.text().await.unwrap();
    assert!(xml.contains("<programme") && xml.contains("新闻联播"), "{xml}");
    // Checked by the independent XMLTV validator (Debian xmltv-util).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("epg.xml");
    std::fs::write(&file, &xml).unwrap();
    let out = std::process::Command::new("tv_validate_file")
        .args(["--dtd-file", "/usr/share/xmltv/xmltv.dtd"])
        .arg(&file)
        .output()
        .expect("tv_validate_file (Debian xmltv-util) is installed");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let r = app
        .as_role(Role::Viewer, Method::GET, &format!("{base}/now-next"))
        .query(&[("at", at_1910(d).to_rfc3339())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let nn: Value = r.json().await.unwrap();
    assert!(nn.to_string().contains("新闻联播"), "{nn}");

    // What playout reads: the published day in the playlist format of docs/playlist.md.
    let docs = catalog::scheduling::published_playout_json(app.store(), &ch, from, until).await.unwrap();
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert_eq!(docs[0]["format"]["kind"], "tv");
    let items = docs[0]["items"].as_array().unwrap();
    let live = items.iter().find(|i| i["kind"] == "live").unwrap();
    assert_eq!(live["source"], "srt://relay:9000");
    assert_eq!(live["hard"], true);
    assert!(live["start"].as_str().unwrap().ends_with("T19:00:00+08:00"), "{live}");
    assert!(
        items.iter().any(|i| i["source"].as_str().unwrap().starts_with("media://")
            && i["source"].as_str().unwrap().contains("?sha256=")),
        "programme items name their house asset"
    );
    let total: f64 = items.iter().map(|i| i["duration"].as_f64().unwrap()).sum();
    assert!((total - 86_400.0).abs() < 1e-6, "the day is tiled: {total}");
    // Outside the published days: nothing.
    let none = catalog::scheduling::published_playout_json(
        app.store(),
        &ch,
        until + Duration::days(3),
        until + Duration::days(4),
    )
    .await
    .unwrap();
    assert!(none.is_empty());
    // The next day generates with the published day as rotation history.
    let (s, next) = call(
        &app,
        Method::POST,
        &format!("{base}/days/{}/generate", d + Duration::days(1)),
        Some(json!({ "seed": 7 })),
    )
    .await;
    assert_eq!(s, 201, "{next}");
    assert!(errors(&next["findings"]).is_empty(), "{}", next["findings"]);
});

both!(bad_input_gets_clear_errors_or_recorded_breaks, |app| {
    let ch = setup(&app).await;
    let base = format!("/api/channels/{}", ch.id);
    let d = day();
    let dp = format!("{base}/days/{d}");
    let problems = |b: &Value| -> Vec<String> {
        b["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_string()).collect()
    };

    // Overlapping hard events.
    let mut t = template();
    t["week"]["default"]["blocks"].as_array_mut().unwrap().push(
        json!({ "start": "19:15", "length": "00:30", "type": "live", "uri": "srt://other:9000", "title": "重叠" }),
    );
    let (s, b) = call(&app, Method::PUT, &format!("{base}/template"), Some(t)).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_template")), "{b}");
    assert!(problems(&b).contains(&"hard_overlap".to_string()), "{b}");

    // A block longer than its hour.
    let mut t = template();
    t["clocks"][0]["segments"][0]["at"] = json!("00:30");
    t["clocks"][0]["segments"][0]["length"] = json!("00:45");
    let (s, b) = call(&app, Method::PUT, &format!("{base}/template"), Some(t)).await;
    assert_eq!(s, 422, "{b}");
    assert!(problems(&b).contains(&"block_exceeds_hour".to_string()), "{b}");

    // A rule naming a category the catalog does not have (deleted).
    let mut t = template();
    t["clocks"][0]["segments"][0]["filter"]["categories"] = json!(["已删除的栏目"]);
    let (s, b) = call(&app, Method::PUT, &format!("{base}/template"), Some(t)).await;
    assert_eq!(s, 422, "{b}");
    assert!(problems(&b).contains(&"unknown_category".to_string()), "{b}");

    // Not a template at all; generating without one; bad dates and channels.
    let (s, _) = call(&app, Method::PUT, &format!("{base}/template"), Some(json!({ "name": 3 }))).await;
    assert_eq!(s, 422);
    let (s, _) = call(&app, Method::POST, &format!("{dp}/generate"), Some(json!({ "seed": 1 }))).await;
    assert_eq!(s, 404);
    let (s, _) = call(&app, Method::GET, &format!("{base}/days/2026-13-40"), None).await;
    assert_eq!(s, 422);
    let (s, _) = call(&app, Method::GET, "/api/channels/not-a-uuid/template", None).await;
    assert!(s == 404 || s == 422 || s == 400, "{s}");

    // A quota no catalog can meet: generated with the break recorded; publishing refused.
    let mut t = template();
    t["quotas"] = json!([{ "name": "涉农 ≥ 20 h", "filter": { "categories": ["涉农"] }, "from": "06:00", "until": "06:00",
        "min": { "minutes": 1200 } }]);
    let (s, b) = call(&app, Method::PUT, &format!("{base}/template"), Some(t)).await;
    assert_eq!(s, 200, "{b}");
    let (s, gen) = call(&app, Method::POST, &format!("{dp}/generate"), Some(json!({ "seed": 1 }))).await;
    assert_eq!(s, 201, "{gen}");
    assert!(gen["exceptions"].as_array().unwrap().iter().any(|e| e["rule"] == "quota"), "{}", gen["exceptions"]);
    assert!(errors(&gen["findings"]).contains(&"quota_unmet".to_string()), "{}", gen["findings"]);
    let (s, b) = call(&app, Method::POST, &format!("{dp}/publish"), Some(json!({ "version": 1 }))).await;
    assert_eq!(s, 422, "{b}");

    // CSV with bad times, a duplicate line and an unknown programme: line-numbered, nothing kept.
    let other = d + Duration::days(1);
    let csv = "start,programme,duration\n06:00:00,节目 0,\n25:61:00,节目 1,\n06:00:00,节目 2,\n07:00:00,没有这个节目,00:10:00\n";
    let r = app
        .as_role(Role::Scheduler, Method::POST, &format!("{base}/days/{other}/import"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "invalid_csv");
    let lines: Vec<u64> = b["errors"].as_array().unwrap().iter().map(|e| e["line"].as_u64().unwrap()).collect();
    for l in [3, 4, 5] {
        assert!(lines.contains(&l), "line {l} reported: {b}");
    }
    let (s, _) = call(&app, Method::GET, &format!("{base}/days/{other}"), None).await;
    assert_eq!(s, 404, "nothing half-imported");
    // A good CSV imports as version 1.
    let r = app
        .as_role(Role::Scheduler, Method::POST, &format!("{base}/days/{other}/import"))
        .body("start,programme,duration\n06:00:00,节目 0,\n06:25:00,live:srt://relay:9000,00:30:00\n")
        .send()
        .await
        .unwrap();
    let status = r.status();
    let b: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{b}");
    assert_eq!(b["version"], 1);
});

both!(another_centres_reader_sees_private_programmes_only_as_such, |app| {
    // The probe: schedules showed other centres' private programme titles and media keys.
    let ch = common::miyi_tv_with(&app, &[(Category::Agriculture, 1500), (Category::Ident, 30)]).await;
    let base = format!("/api/channels/{}", ch.id);
    let d = day();
    let dp = format!("{base}/days/{d}");
    assert_eq!(call(&app, Method::PUT, &format!("{base}/template"), Some(common::agri_template())).await.0, 200);
    let (s, gen) = call(&app, Method::POST, &format!("{dp}/generate"), Some(json!({ "seed": 1 }))).await;
    assert_eq!(s, 201, "{gen}");
    let (s, b) = call(&app, Method::POST, &format!("{dp}/publish"), Some(json!({ "version": 1 }))).await;
    assert_eq!(s, 201, "{b}");
    let ids: Vec<String> = gen["playlist"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["source"]["id"].as_str().map(String::from))
        .collect();
    assert!(!ids.is_empty(), "{gen}");

    let outsider = app.user("viewer-other", Role::Viewer, common::OTHER).await;
    let (_, secret) = web::routes::users::issue(
        app.store(),
        &catalog::audit::Actor::system("test"),
        &outsider,
        "t",
        Role::Viewer,
        None,
    )
    .await
    .unwrap();
    let at = Utc.from_utc_datetime(&(d - Duration::days(1)).and_hms_opt(22, 30, 0).unwrap()).to_rfc3339();
    let paths = [
        dp.clone(),
        format!("{dp}/versions"),
        format!("{base}/epg.xml"),
        format!("{base}/now-next?at={}", common::urlencode(&at)),
        format!("{base}/playlists?from={}", common::urlencode(&(at.clone()))),
    ];
    let label = format!("private programme of {}", common::OWN);
    for path in &paths {
        let r = app.http.get(app.url(path)).bearer_auth(&secret).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let text = r.text().await.unwrap();
        assert!(!text.contains("节目 0") && !text.contains("节目 1"), "{path} shows a private title: {text}");
        assert!(!ids.iter().any(|id| text.contains(id.as_str())), "{path} shows a private programme's id or key");
        assert!(text.contains(&label), "{path} does not say {label:?}: {text}");
        // The channel's own centre sees its programmes.
        let own = app.as_role(Role::Viewer, Method::GET, path).send().await.unwrap().text().await.unwrap();
        assert!(own.contains("节目 ") && !own.contains(&label), "{path} as its own centre: {own}");
    }
});
