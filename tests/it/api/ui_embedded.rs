//! The browser UI as `kapok serve` mounts it (`web::app::router_with_ui`): the build embedded
//! in the binary by default, a directory in its place for UI development; the SPA fallback
//! stays out of the server's own paths.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn get(app: &Router, path: &str, if_none_match: Option<&str>) -> Answer {
    let mut request = Request::get(path);
    if let Some(tag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    let r = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (r.status(), r.headers().clone());
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
    Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

fn header(a: &Answer, name: header::HeaderName) -> &str {
    a.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The router and what must outlive it.
async fn app(ui: Option<&std::path::Path>) -> (Router, (catalog::testing::TestStore, tempfile::TempDir)) {
    let store = catalog::testing::sqlite_store().await;
    let media_dir = tempfile::tempdir().unwrap();
    let media = catalog::media::MediaStore::local(media_dir.path()).unwrap();
    let desk = kapok::desk::EmergencyDesk::new(media_dir.path().join("work"));
    let state = web::state::AppState::new(store.store.clone(), media, std::sync::Arc::new(desk));
    (web::app::router_with_ui(state, ui), (store, media_dir))
}

/// The server's own paths answer JSON 404s, never the UI's page.
async fn assert_server_paths_stay_json(app: &Router) {
    for path in ["/api/nope", "/api", "/hls/nope/index.m3u8", "/metrics/nope"] {
        let a = get(app, path, None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert!(header(&a, header::CONTENT_TYPE).starts_with("application/json"), "{path}: {}", a.body);
        assert!(a.body.contains("\"not_found\""), "{path}: {}", a.body);
    }
}

#[tokio::test]
async fn the_default_router_serves_the_embedded_ui_with_client_routes_falling_back_to_it() {
    let (app, _keep) = app(None).await;
    let root = get(&app, "/", None).await;
    assert_eq!(root.status, StatusCode::OK);
    assert_eq!(header(&root, header::CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(header(&root, header::CACHE_CONTROL), "no-cache");
    if web::ui::is_embedded() {
        // Debug builds read the checkout's build at run time, so this is what a release embeds.
        let built = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ui/dist/index.html")).unwrap();
        assert_eq!(root.body, built);
        assert!(root.body.contains(r#"<html lang="zh-CN">"#), "{}", root.body);
        let tag = header(&root, header::ETAG).to_string();
        assert!(tag.starts_with('"'), "a content hash: {tag:?}");
        assert_eq!(get(&app, "/", Some(&tag)).await.status, StatusCode::NOT_MODIFIED);
    } else {
        // `ui/dist` not built (a fresh checkout before `npm run build`): a page that says so.
        assert!(root.body.contains("UI not built") && root.body.contains("npm run build"), "{}", root.body);
    }
    let client_route = get(&app, "/monitor/pzh-demo-tv", None).await;
    assert_eq!(client_route.status, StatusCode::OK);
    assert_eq!(client_route.body, root.body, "a client route is the UI's page");
    assert_server_paths_stay_json(&app).await;
}

#[tokio::test]
async fn a_ui_directory_replaces_the_embedded_ui_with_hashed_assets_cached_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let index = "<!doctype html>\n<html lang=\"zh-CN\"><title>木棉 Kapok</title></html>\n";
    std::fs::write(dir.path().join("index.html"), index).unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(dir.path().join("assets/index-AbC123.js"), "console.log(1)").unwrap();
    std::fs::write(dir.path().join("assets/index-AbC123.css"), "body{}").unwrap();
    let (app, _keep) = app(Some(dir.path())).await;

    for path in ["/", "/index.html", "/catalog", "/channels/pzh-demo-radio/"] {
        let a = get(&app, path, None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.body, index, "{path}");
        assert_eq!(header(&a, header::CACHE_CONTROL), "no-cache", "{path}: index.html is revalidated");
    }
    let js = get(&app, "/assets/index-AbC123.js", None).await;
    assert_eq!((js.status, js.body.as_str()), (StatusCode::OK, "console.log(1)"));
    assert_eq!(header(&js, header::CONTENT_TYPE), "text/javascript; charset=utf-8");
    assert_eq!(header(&js, header::CACHE_CONTROL), "public, max-age=31536000, immutable");
    let css = get(&app, "/assets/index-AbC123.css", None).await;
    assert_eq!(header(&css, header::CONTENT_TYPE), "text/css; charset=utf-8");

    // A missing file is a 404 rather than HTML a browser would try to run as a script.
    for path in ["/assets/index-Old999.js", "/favicon.ico"] {
        let a = get(&app, path, None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert!(header(&a, header::CONTENT_TYPE).starts_with("application/json"), "{path}");
    }
    assert_eq!(get(&app, "/../Cargo.toml", None).await.status, StatusCode::NOT_FOUND);
    assert_server_paths_stay_json(&app).await;
}

#[tokio::test]
async fn a_ui_directory_without_a_build_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _keep) = app(Some(dir.path())).await;
    let a = get(&app, "/", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("界面未构建") && a.body.contains("UI not built"), "{}", a.body);
    assert!(a.body.contains("npm run build"), "{}", a.body);
    assert_server_paths_stay_json(&app).await;
}
