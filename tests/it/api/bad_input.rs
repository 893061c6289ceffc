//! Bad input answers a 4xx JSON error that says what is wrong; never a 500, never a panic.
//! Also: searching and titles with SQL/HTML metacharacters and emoji, range requests, events.

use super::common;

use catalog::programme::Sharing;
use catalog::user::Role;
use common::{error_of, OTHER, OWN};
use reqwest::Method;
use serde_json::{json, Value};

both!(malformed_bodies_are_4xx_json_naming_the_problem, |app| {
    let post = |body: Vec<u8>, ct: &'static str| {
        app.as_role(Role::Editor, Method::POST, "/api/programmes").header("content-type", ct).body(body).send()
    };
    let cases: Vec<(Vec<u8>, &str, u16, &str)> = vec![
        (b"{\"centre\": ".to_vec(), "application/json", 400, "malformed_json"),
        (b"not json at all".to_vec(), "application/json", 400, "malformed_json"),
        (
            r#"{"centre":"510421","title":42,"category":"新闻"}"#.as_bytes().to_vec(),
            "application/json",
            422,
            "invalid_body",
        ),
        (br#"{"centre":"510421","title":"x","category":"farming"}"#.to_vec(), "application/json", 422, "invalid_body"),
        (
            r#"{"centre":"510421","title":"x","category":"新闻","colour":"red"}"#.as_bytes().to_vec(),
            "application/json",
            422,
            "invalid_body",
        ),
        (
            b"{\"centre\":\"510421\",\"title\":\"\xff\xfe\",\"category\":\"\xe6\x96\xb0\xe9\x97\xbb\"}".to_vec(),
            "application/json",
            400,
            "malformed_json",
        ),
        (
            r#"{"centre":"510421","title":"x","category":"新闻"}"#.as_bytes().to_vec(),
            "text/plain",
            415,
            "unsupported_media_type",
        ),
        (
            r#"{"centre":"510421","title":"  ","category":"新闻"}"#.as_bytes().to_vec(),
            "application/json",
            422,
            "invalid",
        ),
        (
            r#"{"centre":"510421","title":"x","category":"新闻","episode":-3}"#.as_bytes().to_vec(),
            "application/json",
            422,
            "invalid",
        ),
        (
            r#"{"centre":"5104","title":"x","category":"新闻"}"#.as_bytes().to_vec(),
            "application/json",
            422,
            "invalid_body",
        ),
        (br#"[]"#.to_vec(), "application/json", 422, "invalid_body"),
    ];
    for (body, ct, want, code) in cases {
        let shown = String::from_utf8_lossy(&body).to_string();
        let (status, got_code, message) = error_of(post(body, ct).await.unwrap()).await;
        assert_eq!((status, got_code.as_str()), (want, code), "{shown}: {message}");
    }
    // The unknown field is named.
    let r = post(
        r#"{"centre":"510421","title":"x","category":"新闻","colour":"red"}"#.as_bytes().to_vec(),
        "application/json",
    );
    assert!(error_of(r.await.unwrap()).await.2.contains("colour"));
    // Oversized bodies: 413 JSON, with or without a Content-Length.
    // A declared length over the limit is refused before the body is read (so this client
    // sends only the head; a client writing the body on would see the connection close).
    let head = format!(
        "POST /api/programmes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.token(Role::Editor),
        5 * 1024 * 1024
    );
    let answer = raw_exchange(&app.base, head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/json") && answer.contains("too_large"), "{answer}");
    // Streamed without a length: refused once the limit is passed. The server may answer
    // 413 and close while the client is still writing; then the client sees the connection
    // end (broken pipe) instead of the answer. Either way the body is not accepted.
    let big = vec![b' '; 4 * 1024 * 1024 + 1];
    let stream =
        futures::stream::iter(big.chunks(64 * 1024).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>());
    let r = app
        .as_role(Role::Editor, Method::POST, "/api/programmes")
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await;
    match r {
        Ok(r) => assert_eq!(error_of(r).await.0, 413),
        Err(e) => assert!(e.is_request() && !e.is_timeout(), "{e}"),
    }
    // PATCH without version, with a stale version.
    let p = app.programme(OWN, "旧标题", Sharing::Private).await;
    let path = format!("/api/programmes/{}", p.id);
    let r = app.as_role(Role::Editor, Method::PATCH, &path).json(&json!({ "title": "新" })).send().await.unwrap();
    let (s, _, m) = error_of(r).await;
    assert_eq!(s, 422);
    assert!(m.contains("version"), "{m}");
    let r = app
        .as_role(Role::Editor, Method::PATCH, &path)
        .json(&json!({ "version": 1, "title": "一" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .as_role(Role::Editor, Method::PATCH, &path)
        .json(&json!({ "version": 1, "title": "二" }))
        .send()
        .await
        .unwrap();
    let (s, code, _) = error_of(r).await;
    assert_eq!((s, code.as_str()), (409, "conflict"));
});

/// Writes `bytes` to the server and reads the whole answer (the request must say `Connection: close`).
async fn raw_exchange(base: &str, bytes: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).to_string()
}

both!(bad_query_strings_and_ids_are_4xx_and_page_size_is_clamped, |app| {
    for i in 0..3 {
        app.programme(OWN, &format!("节目 {i}"), Sharing::Private).await;
    }
    let get = |path: &str| app.as_role(Role::Viewer, Method::GET, path).send();
    let r = get("/api/programmes?limit=1000000000").await.unwrap();
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    for (path, want) in [
        ("/api/programmes?limit=-5", 400),
        ("/api/programmes?limit=100000000000000000000000", 400),
        ("/api/programmes?limit=ten", 400),
        ("/api/programmes?status=done", 400),
        ("/api/programmes?centre=%FF%FE", 400),
        ("/api/programmes?after=%27%20OR%201%3D1", 400),
        ("/api/programmes?sort=title", 400),
        ("/api/programmes?colour=red", 400),
        ("/api/programmes?min_duration_ms=-5", 400),
        ("/api/programmes?max_duration_ms=-1", 400),
        ("/api/programmes?from=2024-13-01", 400),
        ("/api/programmes?shared=maybe", 400),
        ("/api/jobs?limit=-1", 400),
        ("/api/jobs?status=zombie", 400),
        ("/api/audit", 403),
        ("/api/programmes/not-a-uuid", 404),
        ("/api/programmes/00000000-0000-0000-0000-000000000000", 404),
        ("/api/programmes/%FF", 400),
        ("/api/assets/00000000-0000-0000-0000-000000000000/content", 404),
        ("/api/nowhere", 404),
    ] {
        let (s, _, m) = error_of(get(path).await.unwrap()).await;
        assert_eq!(s, want, "{path}: {m}");
    }
    let r = app.as_role(Role::NetworkAdmin, Method::GET, "/api/audit?actor=nobody").send().await.unwrap();
    assert_eq!(error_of(r).await.0, 400);
    let r = app.as_role(Role::NetworkAdmin, Method::PUT, "/api/programmes").send().await.unwrap();
    assert_eq!(error_of(r).await.0, 405);
    // Paging walks every visible programme once.
    let first: Value = get("/api/programmes?limit=2").await.unwrap().json().await.unwrap();
    let next = first["next"].as_str().unwrap();
    let second: Value = get(&format!("/api/programmes?limit=2&after={next}")).await.unwrap().json().await.unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
});

both!(metacharacters_and_emoji_are_just_text_in_titles_and_search, |app| {
    let titles = [
        "'; DROP TABLE programmes; --",
        "<script>alert(1)</script> 芒果",
        "🥭 芒果丰收 🎉",
        "100% \"quoted\" \\ back_slash",
    ];
    for t in titles {
        let r = app
            .as_role(Role::Editor, Method::POST, "/api/programmes")
            .json(&json!({ "centre": OWN, "title": t, "category": "涉农", "sharing": "network" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{t}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["title"], t, "stored verbatim");
    }
    for q in ["'; DROP TABLE programmes; --", "<script>", "🥭", "\" OR 1=1 --", "NEAR(芒果", "*", "%", "芒果 AND", ")"]
    {
        let r = app.as_role(Role::Viewer, Method::GET, "/api/programmes").query(&[("q", q)]).send().await.unwrap();
        assert_eq!(r.status(), 200, "{q}");
    }
    let v: Value = app
        .as_role(Role::Viewer, Method::GET, "/api/programmes")
        .query(&[("q", "芒果")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 2, "{v}");
    assert!(app.store().list_programmes(&Default::default()).await.is_ok(), "the table is still there");
});

both!(another_centres_private_programme_is_404_its_shared_one_readable_not_writable, |app| {
    let private = app.programme(OTHER, "盐边私有", Sharing::Private).await;
    let shared = app.programme(OTHER, "盐边共享", Sharing::Network).await;
    let get = |id: String| app.as_role(Role::Editor, Method::GET, &format!("/api/programmes/{id}")).send();
    assert_eq!(error_of(get(private.id.to_string()).await.unwrap()).await.0, 404);
    assert_eq!(get(shared.id.to_string()).await.unwrap().status(), 200);
    let r = app
        .as_role(Role::Editor, Method::PATCH, &format!("/api/programmes/{}", shared.id))
        .json(&json!({ "version": shared.version, "title": "改" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 403);
    let list: Value = app
        .as_role(Role::Viewer, Method::GET, "/api/programmes?centre=510422")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [shared.id.to_string()]);
    // Its asset content follows the programme's visibility.
    let a = app.asset(&private, b"secret media").await;
    let r = app.as_role(Role::Viewer, Method::GET, &format!("/api/assets/{}/content", a.id)).send().await.unwrap();
    assert_eq!(error_of(r).await.0, 404);
});

both!(asset_content_serves_ranges_206_and_416, |app| {
    let p = app.programme(OWN, "片段", Sharing::Private).await;
    let data: Vec<u8> = (0..=255u8).cycle().take(3 * 1024 * 1024 + 17).collect();
    let a = app.asset(&p, &data).await;
    let path = format!("/api/assets/{}/content", a.id);
    let full = app.as_role(Role::Viewer, Method::GET, &path).send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    assert_eq!(full.bytes().await.unwrap().as_ref(), data.as_slice());
    let r = app.as_role(Role::Viewer, Method::GET, &path).header("range", "bytes=1000-2500000").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], format!("bytes 1000-2500000/{}", data.len()));
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[1000..=2_500_000]);
    let r = app.as_role(Role::Viewer, Method::GET, &path).header("range", "bytes=-10").send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[data.len() - 10..]);
    let r = app.as_role(Role::Viewer, Method::GET, &path).header("range", "bytes=99999999-").send().await.unwrap();
    assert_eq!(r.headers()["content-range"], format!("bytes */{}", data.len()));
    assert_eq!(error_of(r).await.0, 416);
});

both!(security_headers_are_on_every_answer, |app| {
    for path in ["/healthz", "/api/programmes", "/api/nowhere"] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(h["content-security-policy"].to_str().unwrap().starts_with("default-src 'self'"));
    }
});

both!(events_reach_only_those_who_may_read_them, |app| {
    use futures::StreamExt;
    let open = |role: Role| app.as_role(role, Method::GET, "/api/events").send();
    let other_editor = app.user("editor-yanbian", Role::Editor, OTHER).await;
    let (_, other_secret) = web::routes::users::issue(
        app.store(),
        &catalog::audit::Actor::system("test"),
        &other_editor,
        "t",
        Role::Editor,
        None,
    )
    .await
    .unwrap();
    let own_stream = open(Role::Viewer).await.unwrap();
    assert_eq!(own_stream.headers()["content-type"], "text/event-stream");
    let other_stream = app.http.get(app.url("/api/events")).bearer_auth(&other_secret).send().await.unwrap();
    // A private programme of OWN, then a shared one.
    for (title, sharing) in [("私有新闻", "private"), ("共享新闻", "network")] {
        let r = app
            .as_role(Role::Editor, Method::POST, "/api/programmes")
            .json(&json!({ "centre": OWN, "title": title, "category": "新闻", "sharing": sharing }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let read_until = |resp: reqwest::Response, needle: &'static str| async move {
        let mut s = resp.bytes_stream();
        let mut text = String::new();
        while !text.contains(needle) {
            let chunk =
                tokio::time::timeout(std::time::Duration::from_secs(10), s.next()).await.unwrap().unwrap().unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        text
    };
    let own_text = read_until(own_stream, "共享新闻").await;
    assert!(own_text.contains("event: programme.created") && own_text.contains("私有新闻"), "{own_text}");
    let other_text = read_until(other_stream, "共享新闻").await;
    assert!(!other_text.contains("私有新闻"), "another centre saw a private programme: {other_text}");
});

both!(a_cached_search_sees_a_programme_created_through_the_api, |app| {
    let search = || async {
        let v: Value = app
            .as_role(Role::Viewer, Method::GET, "/api/programmes")
            .query(&[("q", "石榴")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["items"].as_array().unwrap().len()
    };
    assert_eq!(search().await, 0);
    let r = app
        .as_role(Role::Editor, Method::POST, "/api/programmes")
        .json(&json!({ "centre": OWN, "title": "仁和石榴丰收", "category": "涉农" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(search().await, 1, "the create dropped the cached answer");
});
