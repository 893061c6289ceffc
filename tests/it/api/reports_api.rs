//! The playlist editor's and reports' read routes through HTTP on both backends: a day's
//! version history with the published marks, a channel's as-run with its fallback count, and
//! airtime per category per centre (agricultural and local hours) from the published days.

use super::common;

use catalog::asrun::AsRunEntry;
use catalog::channel::Channel;
use catalog::programme::Category;
use catalog::user::Role;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::{App, OTHER, OWN};
use reqwest::Method;
use serde_json::{json, Value};

async fn setup(app: &App) -> Channel {
    common::miyi_tv_with(app, &[(Category::Agriculture, 1500), (Category::Agriculture, 1500), (Category::Ident, 30)])
        .await
}

async fn call(app: &App, role: Role, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut rb = app.as_role(role, method, path);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn day() -> NaiveDate {
    (Utc::now() + Duration::days(3)).date_naive()
}

both!(version_history_lists_every_version_and_marks_the_published_one, |app| {
    let ch = setup(&app).await;
    let dp = format!("/api/channels/{}/days/{}", ch.id, day());
    let (s, b) = call(&app, Role::Scheduler, Method::GET, &format!("{dp}/versions"), None).await;
    assert_eq!((s, b["versions"].as_array().map(Vec::len)), (200, Some(0)), "no versions yet: {b}");
    let (s, _) = call(
        &app,
        Role::Scheduler,
        Method::PUT,
        &format!("/api/channels/{}/template", ch.id),
        Some(common::agri_template()),
    )
    .await;
    assert_eq!(s, 200);
    let (s, g) = call(&app, Role::Scheduler, Method::POST, &format!("{dp}/generate"), Some(json!({ "seed": 1 }))).await;
    assert_eq!(s, 201, "{g}");
    let lock = json!({ "version": 1, "op": { "op": "lock", "index": 0, "locked": true } });
    let (s, _) = call(&app, Role::Scheduler, Method::POST, &format!("{dp}/edits"), Some(lock)).await;
    assert_eq!(s, 201);
    let (s, b) =
        call(&app, Role::Scheduler, Method::POST, &format!("{dp}/publish"), Some(json!({ "version": 2 }))).await;
    assert_eq!(s, 201, "{b}");

    let (s, b) = call(&app, Role::Viewer, Method::GET, &format!("{dp}/versions"), None).await;
    assert_eq!(s, 200, "{b}");
    let v = b["versions"].as_array().unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["change"], "generated (seed 1)");
    assert_eq!(v[0]["published"], json!([]));
    assert_eq!(v[1]["parent"], 1);
    assert_eq!(v[1]["published"], json!([1]));
    assert_eq!(v[1]["items"].as_u64().unwrap() as usize, v[1]["playlist"]["items"].as_array().unwrap().len());
    assert!(v[1]["created_by"].as_str().is_some_and(|x| x.starts_with("user:")), "{}", v[1]);

    let (s, b) =
        call(&app, Role::Viewer, Method::GET, &format!("/api/channels/{}/days/27-11-2026/versions", ch.id), None).await;
    assert_eq!((s, b["error"]["message"].as_str().unwrap().contains("YYYY-MM-DD")), (422, true), "{b}");
});

both!(airtime_counts_agricultural_and_local_hours_of_the_published_day_per_centre, |app| {
    let ch = setup(&app).await;
    let d = day();
    let dp = format!("/api/channels/{}/days/{d}", ch.id);
    call(
        &app,
        Role::Scheduler,
        Method::PUT,
        &format!("/api/channels/{}/template", ch.id),
        Some(common::agri_template()),
    )
    .await;
    let (s, g) = call(&app, Role::Scheduler, Method::POST, &format!("{dp}/generate"), Some(json!({ "seed": 3 }))).await;
    assert_eq!(s, 201, "{g}");
    let (s, b) =
        call(&app, Role::Scheduler, Method::POST, &format!("{dp}/publish"), Some(json!({ "version": 1 }))).await;
    assert_eq!(s, 201, "{b}");
    // The whole broadcast day (06:00 +08:00 to 06:00 the next day) lies inside the window.
    let from = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap()) - Duration::days(1);
    let until = from + Duration::days(3);
    let q = format!("from={}&until={}", from.to_rfc3339(), until.to_rfc3339()).replace('+', "%2B");
    let (s, b) = call(&app, Role::Viewer, Method::GET, &format!("/api/reports/airtime?{q}"), None).await;
    assert_eq!(s, 200, "{b}");
    let centres = b["centres"].as_array().unwrap();
    assert_eq!(centres.len(), 1, "{b}");
    let c = &centres[0];
    assert_eq!(c["centre"], OWN);
    let total = c["total_hours"].as_f64().unwrap();
    assert!((total - 24.0).abs() < 1e-6, "a full day: {total}");
    let agri = c["agricultural_hours"].as_f64().unwrap();
    assert!(agri > 0.5 && agri <= 2.0, "two agri clock hours, 25-minute programmes: {agri}");
    assert_eq!(c["categories"]["涉农"].as_f64(), Some(agri));
    let sum: f64 = c["categories"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
    assert!((sum - total).abs() < 1e-6);
    assert!(c["local_hours"].as_f64().unwrap() >= agri, "the programmes are the centre's own: {c}");

    let (s, b) = call(&app, Role::Viewer, Method::GET, &format!("/api/reports/airtime?{q}&centre={OTHER}"), None).await;
    assert_eq!((s, b["centres"].as_array().map(Vec::len)), (200, Some(0)), "{b}");
    let (s, b) = call(&app, Role::Viewer, Method::GET, &format!("/api/reports/airtime?{q}&centre=51"), None).await;
    assert_eq!(s, 422, "{b}");
    let back = format!("from={}&until={}", until.to_rfc3339(), from.to_rfc3339()).replace('+', "%2B");
    let (s, b) = call(&app, Role::Viewer, Method::GET, &format!("/api/reports/airtime?{back}"), None).await;
    assert_eq!((s, b["error"]["message"].as_str().unwrap().contains("from < until")), (422, true), "{b}");
});

both!(as_run_lists_what_aired_with_the_fallback_count, |app| {
    let ch = setup(&app).await;
    let now = Utc::now();
    // Only the fallback is an alarm: an override's interruption and a hard start's cut are not.
    for (i, outcome) in ["played", "fallback", "played", "interrupted", "cut"].into_iter().enumerate() {
        let e = AsRunEntry {
            id: 0,
            channel: ch.slug.clone(),
            item_id: Some(format!("miyi-tv/x/{i}")),
            title: Some(format!("节目 {i}")),
            source: Some("slate".into()),
            scheduled_start: Some(now - Duration::minutes(30 - i as i64)),
            actual_start: now - Duration::minutes(30 - i as i64),
            duration_ms: 60_000,
            outcome: outcome.into(),
            reason: (outcome == "fallback").then(|| "missing file".into()),
            detail: json!({}),
        };
        app.store().record_as_run(&e).await.unwrap();
    }
    let path = format!("/api/channels/{}/as-run", ch.id);
    let (s, b) = call(&app, Role::Viewer, Method::GET, &path, None).await;
    assert_eq!(s, 200, "{b}");
    let entries = b["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0]["title"], "节目 0", "oldest first");
    assert_eq!(b["fallbacks"], 1);
    assert_eq!(entries[1]["reason"], "missing file");
    let from = (now - Duration::days(2)).to_rfc3339().replace('+', "%2B");
    let until = (now - Duration::days(1)).to_rfc3339().replace('+', "%2B");
    let (s, b) = call(&app, Role::Viewer, Method::GET, &format!("{path}?from={from}&until={until}"), None).await;
    assert_eq!((s, b["entries"].as_array().map(Vec::len)), (200, Some(0)), "{b}");
    let (s, _) = call(&app, Role::Viewer, Method::GET, &format!("{path}?centre={OWN}"), None).await;
    assert_eq!(s, 422);
    let (s, _) = call(&app, Role::Viewer, Method::GET, "/api/channels/not-an-id/as-run", None).await;
    assert_eq!(s, 404);
});

/// A city channel (510400) that aired `played` stretches of the given programmes, at the
/// given minutes before now, with the given outcome.
async fn city_tv_aired(app: &App, aired: &[(&catalog::programme::Programme, i64, i64, &str)]) -> Channel {
    let ch = common::tv_channel(app, "510400", "city-tv", "攀枝花电视台").await;
    let now = Utc::now();
    for (p, ago_min, secs, outcome) in aired {
        let e = AsRunEntry {
            id: 0,
            channel: ch.slug.clone(),
            item_id: Some(p.id.to_string()),
            title: Some(p.title.clone()),
            source: Some("media://x".into()),
            scheduled_start: Some(now - Duration::minutes(*ago_min)),
            actual_start: now - Duration::minutes(*ago_min),
            duration_ms: secs * 1000,
            outcome: (*outcome).into(),
            reason: None,
            detail: json!({}),
        };
        app.store().record_as_run(&e).await.unwrap();
    }
    ch
}

both!(producers_report_counts_a_county_programme_aired_on_the_city_channel_and_only_what_aired, |app| {
    use catalog::programme::Sharing;
    let miyi = app.programme(OWN, "米易芒果种植", Sharing::Network).await;
    let yanbian = app.programme(OTHER, "盐边新闻", Sharing::Network).await;
    city_tv_aired(
        &app,
        &[
            (&miyi, 90, 1800, "played"),
            (&miyi, 50, 600, "cut"),
            // Slate aired instead, and a skipped item never aired: neither counts.
            (&miyi, 40, 600, "fallback"),
            (&miyi, 30, 600, "skipped"),
            (&yanbian, 20, 900, "played"),
        ],
    )
    .await;
    // A 米易 editor asking for 米易's programmes sees their airtime on the city channel.
    let (s, b) = call(&app, Role::Editor, Method::GET, &format!("/api/reports/producers?centre={OWN}"), None).await;
    assert_eq!(s, 200, "{b}");
    let centres = b["centres"].as_array().unwrap();
    assert_eq!(centres.len(), 1, "{b}");
    assert_eq!(centres[0]["centre"], OWN);
    assert!((centres[0]["total_hours"].as_f64().unwrap() - 2400.0 / 3600.0).abs() < 1e-9, "{b}");
    assert!((centres[0]["agricultural_hours"].as_f64().unwrap() - 2400.0 / 3600.0).abs() < 1e-9, "{b}");
    assert!((centres[0]["channels"]["city-tv"].as_f64().unwrap() - 2400.0 / 3600.0).abs() < 1e-9, "{b}");
    assert_eq!(centres[0]["programmes"][0]["title"], "米易芒果种植");
    // Without a centre: every producer, and the window never reaches past now.
    let from = (Utc::now() - Duration::days(1)).to_rfc3339().replace('+', "%2B");
    let until = (Utc::now() + Duration::days(2)).to_rfc3339().replace('+', "%2B");
    let path = format!("/api/reports/producers?from={from}&until={until}");
    let (s, b) = call(&app, Role::Viewer, Method::GET, &path, None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["centres"].as_array().map(Vec::len), Some(2), "{b}");
    let reported_until = chrono::DateTime::parse_from_rfc3339(b["until"].as_str().unwrap()).unwrap();
    assert!(reported_until <= Utc::now(), "the window is clipped to now: {b}");
    let (s, _) = call(&app, Role::Viewer, Method::GET, "/api/reports/producers?centre=5104", None).await;
    assert_eq!(s, 422);
});

both!(producers_report_counts_idents_and_spots_as_fillers_apart_from_programme_airtime, |app| {
    use catalog::programme::{NewProgramme, ProgrammeStatus, Sharing};
    let miyi = app.programme(OWN, "米易芒果种植", Sharing::Network).await;
    let mut ident = NewProgramme::new(catalog::ids::CentreCode::parse(OWN).unwrap(), "米易台标", Category::Ident);
    ident.sharing = Sharing::Network;
    let actor = catalog::audit::Actor::system("test");
    let ident = app.store().create_programme(&actor, &ident, ProgrammeStatus::Ready).await.unwrap();
    // The city channel has no published day: its own cycle aired the programme and the ident.
    city_tv_aired(&app, &[(&miyi, 90, 1800, "played"), (&ident, 60, 30, "played"), (&ident, 30, 30, "played")]).await;
    let (s, b) = call(&app, Role::Editor, Method::GET, &format!("/api/reports/producers?centre={OWN}"), None).await;
    assert_eq!(s, 200, "{b}");
    let c = &b["centres"][0];
    assert!((c["total_hours"].as_f64().unwrap() - 0.5).abs() < 1e-9, "the ident is no programme airtime: {b}");
    assert!((c["channels"]["city-tv"].as_f64().unwrap() - 0.5).abs() < 1e-9, "{b}");
    assert!((c["filler_hours"].as_f64().unwrap() - 60.0 / 3600.0).abs() < 1e-9, "the ident's minute apart: {b}");
    assert!(c["categories"].get("台标宣传").is_none(), "{b}");
    let titles: Vec<&str> = c["programmes"].as_array().unwrap().iter().filter_map(|p| p["title"].as_str()).collect();
    assert_eq!(titles, ["米易芒果种植"], "{b}");
});
