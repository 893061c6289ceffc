//! Search through the API with its answer cache on: ranked pages follow `next`, and a
//! programme change made outside the API (the ingest worker's status change) is seen at once.

use super::common;

use catalog::audit::Actor;
use catalog::programme::{Category, NewProgramme, ProgrammeProgress, ProgrammeStatus, Sharing};
use catalog::user::Role;
use reqwest::Method;
use serde_json::Value;

use common::{code, OWN};

async fn search(app: &common::App, query: &str) -> Value {
    let r = app.as_role(Role::Viewer, Method::GET, &format!("/api/programmes?{query}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn titles(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_string()).collect()
}

both!(a_cached_search_shows_a_status_change_made_by_the_worker_at_once, |app| {
    let mut n = NewProgramme::new(code(OWN), "芒果种植技术", Category::Agriculture);
    n.sharing = Sharing::Network;
    let p = app.store().create_programme(&Actor::system("test"), &n, ProgrammeStatus::Queued).await.unwrap();
    let ready = "status=ready&q=%E8%8A%92%E6%9E%9C";
    assert!(titles(&search(&app, ready).await).is_empty(), "not ready yet");
    assert!(titles(&search(&app, ready).await).is_empty(), "asked again: now from the cache");
    // What the ingest worker does when a programme is ready: a store call, no API, no cache call.
    let worker_store = app.store().clone();
    let progress = ProgrammeProgress { duration_ms: Some(60_000), ..Default::default() };
    worker_store.set_programme_status(&Actor::system("ingest"), p.id, ProgrammeStatus::Ready, &progress).await.unwrap();
    assert_eq!(titles(&search(&app, ready).await), ["芒果种植技术"], "the cached answer was dropped");
});

both!(ranked_search_pages_follow_next_through_every_match, |app| {
    let actor = Actor::system("test");
    let mut news = Vec::new();
    for i in 0..5 {
        let mut t = NewProgramme::new(code(OWN), format!("芒果种植 第{i}期"), Category::Agriculture);
        t.sharing = Sharing::Network;
        news.push(t);
        let mut d = NewProgramme::new(code(OWN), format!("果园管理 第{i}期"), Category::Agriculture);
        d.description = "介绍芒果的修剪".into();
        news.push(d);
    }
    app.store().import_programmes(&actor, &news, ProgrammeStatus::Ready).await.unwrap();
    let mut all = Vec::new();
    let mut page = search(&app, "q=%E8%8A%92%E6%9E%9C&limit=4").await;
    loop {
        all.extend(titles(&page));
        match page["next"].as_str() {
            Some(next) => page = search(&app, &format!("q=%E8%8A%92%E6%9E%9C&limit=4&after={next}")).await,
            None => break,
        }
    }
    assert_eq!(all.len(), 10, "{all:?}");
    assert!(all[..5].iter().all(|t| t.starts_with("芒果种植")), "title matches first: {all:?}");
    assert!(all[5..].iter().all(|t| t.starts_with("果园管理")), "{all:?}");
    let r = app
        .as_role(
            Role::Viewer,
            Method::GET,
            "/api/programmes?q=%E8%8A%92%E6%9E%9C&after=00000000-0000-0000-0000-000000000000",
        )
        .send()
        .await
        .unwrap();
    let (status, _, message) = common::error_of(r).await;
    assert_eq!(status, 422, "{message}");
});
