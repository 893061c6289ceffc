//! The browser UI: the built `ui/dist` embedded in the binary, so `kapok serve` answers `/`
//! wherever it is started, or a directory on disk in its place for UI development.
//!
//! Every path outside the API's (`/api`, `/hls`, `/metrics`) is the UI's: a file of the build
//! when there is one, else `index.html`, whose hash router shows the page (a client route).
//! Vite names the files under `assets/` by their content, so they are cached for good; every
//! other file is revalidated on each use (`no-cache` with an `ETag`), so a new build is seen
//! at once. A binary compiled before the UI was built answers a page that says so.
//!
//! Debug builds read the embedded folder from the checkout at run time (rust-embed's
//! behaviour); release builds carry its bytes. `web/build.rs` makes a release build notice a
//! UI built after it.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};

use crate::error::ApiError;

/// `ui/dist` as built by `npm run build`; empty when it was not built.
#[derive(rust_embed::RustEmbed)]
#[folder = "../ui/dist"]
#[allow_missing = true]
struct Embedded;

/// Path prefixes that belong to the server, never to the UI: unknown paths under them stay
/// JSON 404s instead of becoming the UI's page.
const SERVER_PATHS: &[&str] = &["/api", "/hls", "/metrics"];

/// Content-hashed build output (Vite's `build.assetsDir`).
const HASHED_DIR: &str = "assets/";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Where the UI's files come from.
#[derive(Clone, Debug)]
enum Source {
    Embedded,
    Dir(Arc<PathBuf>),
}

/// One file of the UI and what it is.
struct File {
    bytes: Cow<'static, [u8]>,
    /// A strong validator: the content's SHA-256 (embedded files only; a UI developer's
    /// directory is simply read again).
    etag: Option<String>,
}

/// The UI as a service for the router's fallback (GET and HEAD): embedded when `dir` is
/// `None`, else served from `dir` (for UI development: `KAPOK_UI_DIR=ui/dist`).
pub fn service<S: Clone + Send + Sync + 'static>(dir: Option<&Path>) -> MethodRouter<S> {
    let source = match dir {
        None => Source::Embedded,
        Some(d) => Source::Dir(Arc::new(d.to_path_buf())),
    };
    get(move |uri: Uri, headers: HeaderMap| serve(source.clone(), uri, headers))
}

/// Whether the binary carries a built UI (false when it was compiled before `npm run build`).
pub fn is_embedded() -> bool {
    <Embedded as rust_embed::RustEmbed>::get("index.html").is_some()
}

async fn serve(source: Source, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if SERVER_PATHS.iter().any(|p| path == *p || path.strip_prefix(p).is_some_and(|rest| rest.starts_with('/'))) {
        return ApiError::not_found(format!("no route for {path}")).into_response();
    }
    let Some(rel) = relative(path) else {
        return ApiError::not_found(format!("no file {path}")).into_response();
    };
    let rel = if rel.is_empty() { "index.html" } else { rel };
    if let Some(file) = read(&source, rel).await {
        return answer(rel, file, &headers);
    }
    // A missing file of the build (an old hashed asset, a mistyped name) is a 404, not the
    // page: a browser would try to run HTML as a script. Anything else is a client route.
    if rel != "index.html" && (rel.starts_with(HASHED_DIR) || has_extension(rel)) {
        return ApiError::not_found(format!("no file {path}")).into_response();
    }
    match read(&source, "index.html").await {
        Some(file) => answer("index.html", file, &headers),
        None => not_built(&source),
    }
}

/// The request path as a path inside the UI's folder, or `None` when it tries to leave it.
fn relative(path: &str) -> Option<&str> {
    let rel = path.trim_start_matches('/');
    // With the leading slashes gone, joining `rel` to a folder stays inside it unless a
    // segment climbs out.
    let safe = rel.split('/').all(|seg| !matches!(seg, "." | "..") && !seg.contains(['\\', '\0']));
    safe.then_some(rel)
}

fn has_extension(rel: &str) -> bool {
    rel.rsplit('/').next().is_some_and(|name| name.contains('.'))
}

async fn read(source: &Source, rel: &str) -> Option<File> {
    match source {
        Source::Embedded => <Embedded as rust_embed::RustEmbed>::get(rel)
            .map(|f| File { etag: Some(format!("\"{}\"", hex::encode(f.metadata.sha256_hash()))), bytes: f.data }),
        Source::Dir(dir) => {
            let bytes = tokio::fs::read(dir.join(rel)).await.ok()?;
            Some(File { bytes: Cow::Owned(bytes), etag: None })
        }
    }
}

fn answer(rel: &str, file: File, request: &HeaderMap) -> Response {
    let cache = if rel.starts_with(HASHED_DIR) { IMMUTABLE } else { REVALIDATE };
    let mut headers = HeaderMap::new();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(rel)));
    if let Some(tag) = file.etag.as_deref().and_then(|t| HeaderValue::from_str(t).ok()) {
        let fresh = request.get(IF_NONE_MATCH).is_some_and(|have| have == tag);
        headers.insert(ETAG, tag);
        if fresh {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
    }
    (headers, file.bytes.into_owned()).into_response()
}

/// The Content-Type of a file of the build, by its extension.
fn content_type(rel: &str) -> &'static str {
    let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// The page at `/` when there is no built UI: what happened and the command that fixes it.
/// 200, not an error: the server itself works, and the API and previews answer.
fn not_built(source: &Source) -> Response {
    let (zh, en) = match source {
        Source::Embedded => (
            "这个 kapok 程序编译时界面尚未构建。请先构建界面，再重新编译：".to_string(),
            "This kapok binary was compiled before the browser UI was built. Build the UI, then the binary again:"
                .to_string(),
        ),
        Source::Dir(dir) => {
            let dir = html_escape(&dir.display().to_string());
            (
                format!("界面目录 {dir} 中没有 index.html（KAPOK_UI_DIR / ui_dir）。请构建界面："),
                format!("The UI directory {dir} holds no index.html (KAPOK_UI_DIR / ui_dir). Build the UI:"),
            )
        }
    };
    let page = format!(
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head><meta charset=\"utf-8\"><title>木棉 Kapok：界面未构建 · UI not built</title></head>\n\
         <body>\n<h1>界面未构建 · UI not built</h1>\n<p>{zh}</p>\n<p lang=\"en\">{en}</p>\n\
         <pre>(cd ui &amp;&amp; npm ci &amp;&amp; npm run build)\ncargo build --release --bin kapok</pre>\n\
         <p>接口照常工作 · The API works: <a href=\"/api/openapi.json\">/api/openapi.json</a>, <a href=\"/healthz\">/healthz</a></p>\n\
         </body>\n</html>\n"
    );
    ([(CONTENT_TYPE, "text/html; charset=utf-8"), (CACHE_CONTROL, REVALIDATE)], page).into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_folder_are_refused() {
        assert_eq!(relative("/"), Some(""));
        assert_eq!(relative("/assets/index-abc.js"), Some("assets/index-abc.js"));
        assert_eq!(relative("/monitor/"), Some("monitor/"));
        assert_eq!(relative("//etc/passwd"), Some("etc/passwd"), "stays inside the folder");
        for bad in ["/../etc/passwd", "/assets/../../x", "/./index.html", "/a\\..\\b"] {
            assert_eq!(relative(bad), None, "{bad}");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("assets/index-CZUxf7Vl.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("assets/index-DCh63YVA.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
