//! tus 1.0 uploads over real HTTP against a real server, on SQLite and PostgreSQL: a clip sent
//! in chunks, a connection dropped mid-PATCH, HEAD, resume, completion, and a real ingest
//! worker taking the programme to ready. Bad metadata and bad offsets answer clear 4xx errors
//! and make nothing.

use super::common;

use std::time::{Duration, Instant};

use base64::Engine;
use catalog::user::Role;
use common::App;
use reqwest::Method;
use tokio::io::AsyncWriteExt;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn metadata(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k} {}", b64(v))).collect::<Vec<_>>().join(",")
}

fn clip(dir: &std::path::Path) -> Vec<u8> {
    testkit::media::Clip::pattern(2.0).size(320, 240).tone(440).shortest().bytes(dir, "mango.mp4")
}

async fn create(app: &App, role: Role, length: usize, meta: &str) -> reqwest::Response {
    app.as_role(role, Method::POST, "/api/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .header("Upload-Metadata", meta)
        .send()
        .await
        .unwrap()
}

async fn patch(app: &App, location: &str, offset: usize, bytes: Vec<u8>) -> reqwest::Response {
    app.as_role(Role::Editor, Method::PATCH, location)
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", offset.to_string())
        .body(bytes)
        .send()
        .await
        .unwrap()
}

async fn offset(app: &App, location: &str) -> Option<usize> {
    let r = app.as_role(Role::Editor, Method::HEAD, location).header("Tus-Resumable", "1.0.0").send().await.unwrap();
    if r.status() == 404 {
        return None;
    }
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    Some(r.headers()["upload-offset"].to_str().unwrap().parse().unwrap())
}

/// Sends the headers of a PATCH of `total` bytes and only `sent` of them, then drops the
/// connection.
async fn patch_and_drop(app: &App, location: &str, offset: usize, bytes: &[u8], total: usize) {
    let addr = app.base.strip_prefix("http://").unwrap();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nTus-Resumable: 1.0.0\r\n\
         Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\nContent-Length: {total}\r\n\r\n",
        app.token(Role::Editor)
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(bytes).await.unwrap();
    s.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(s);
}

async fn status_of(app: &App, id: &str) -> serde_json::Value {
    let r = app.as_role(Role::Editor, Method::GET, &format!("/api/programmes/{id}")).send().await.unwrap();
    r.json().await.unwrap()
}

both!(a_clip_sent_in_chunks_survives_a_dropped_connection_and_becomes_ready, |app| {
    let dir = tempfile::tempdir().unwrap();
    let file = clip(dir.path());
    let opts = app.http.request(Method::OPTIONS, app.url("/api/uploads")).send().await.unwrap();
    assert_eq!(opts.status(), 204);
    assert_eq!(opts.headers()["tus-version"], "1.0.0");
    assert_eq!(opts.headers()["tus-extension"], "creation,termination,expiration");
    assert!(opts.headers().contains_key("tus-max-size"));

    let meta = metadata(&[
        ("filename", "芒果.mp4"),
        ("title", "攀枝花芒果种植技术"),
        ("category", "涉农"),
        ("tags", "芒果,种植"),
    ]);
    let r = create(&app, Role::Editor, file.len(), &meta).await;
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");
    assert!(r.headers().contains_key("upload-expires"));
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let pid = r.headers()["kapok-programme-id"].to_str().unwrap().to_string();
    assert!(location.starts_with("/api/uploads/"));
    assert_eq!(status_of(&app, &pid).await["status"], "uploading", "the programme exists at once");

    let third = file.len() / 3;
    let r = patch(&app, &location, 0, file[..third].to_vec()).await;
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["upload-offset"].to_str().unwrap(), third.to_string());

    // Half of the next chunk, then the connection drops.
    let half = (file.len() - third) / 2;
    patch_and_drop(&app, &location, third, &file[third..third + half], file.len() - third).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let resume_at = loop {
        let at = offset(&app, &location).await.unwrap();
        // The server keeps what it received; wait until it has noticed the drop.
        let probe = patch(&app, &location, at, Vec::new()).await;
        if probe.status() == 204 {
            break at;
        }
        // 423: the dropped request still holds the upload; 409: it stored its bytes between
        // our HEAD and this PATCH.
        assert!([409, 423].contains(&probe.status().as_u16()), "{}", probe.status());
        assert!(Instant::now() < deadline, "the dropped request never released the upload");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(resume_at, third + half, "the bytes received before the drop were kept");

    // A wrong offset is a conflict; garbage is a 400.
    assert_eq!(patch(&app, &location, 1, vec![0]).await.status(), 409);
    let (status, _, msg) = common::error_of(
        app.as_role(Role::Editor, Method::PATCH, &location)
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", "-5")
            .body(vec![0u8])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(msg.contains("Upload-Offset"), "{msg}");

    let r = patch(&app, &location, resume_at, file[resume_at..].to_vec()).await;
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["upload-offset"].to_str().unwrap(), file.len().to_string());
    assert_eq!(offset(&app, &location).await, Some(file.len()));
    assert_eq!(status_of(&app, &pid).await["status"], "queued");

    // A real worker takes it to ready.
    let work = tempfile::tempdir().unwrap();
    let mut events = app.state.events.subscribe();
    let worker = ingest::worker::Worker::new(
        app.state.store.clone(),
        app.state.media.clone(),
        ingest::worker::WorkerConfig::new("test-worker", work.path()),
    )
    .on_settled(kapok::components::settled_events(&app.state));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));
    let deadline = Instant::now() + Duration::from_secs(300);
    let p = loop {
        let p = status_of(&app, &pid).await;
        if p["status"] == "ready" || p["status"] == "failed" {
            break p;
        }
        assert!(Instant::now() < deadline, "still {p}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let _ = stop.send(());
    running.await.unwrap();
    assert_eq!(p["status"], "ready", "{p}");
    let ready = loop {
        let e = tokio::time::timeout(Duration::from_secs(5), events.next()).await.unwrap().unwrap().unwrap();
        if e.kind.starts_with("programme.ready") || e.kind == "programme.failed" {
            break e;
        }
    };
    assert_eq!((ready.kind.as_str(), ready.payload["id"].as_str()), ("programme.ready", Some(pid.as_str())));
    let assets: serde_json::Value = app
        .as_role(Role::Editor, Method::GET, &format!("/api/programmes/{pid}/assets"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let source = assets.as_array().unwrap().iter().find(|a| a["kind"] == "source").unwrap();
    use sha2::Digest;
    assert_eq!(source["sha256"].as_str().unwrap(), hex::encode(sha2::Sha256::digest(&file)));
});

both!(bad_metadata_and_bad_headers_answer_4xx_and_create_nothing, |app| {
    let good = [("filename", "a.mp4"), ("title", "标题")];
    // The upload page counts to 200 characters; the server holds the same limit at creation,
    // before a byte is sent (a 375-character title used to fail only after the upload).
    let long_title = "长".repeat(201);
    let before = app
        .store()
        .list_programmes(&catalog::store::ProgrammeFilter { limit: 1000, ..Default::default() })
        .await
        .unwrap()
        .len();
    let cases: Vec<(String, usize, u16, &str)> = vec![
        (metadata(&[("filename", "../../etc/passwd"), ("title", "t")]), 10, 400, "filename"),
        (metadata(&[("filename", "a\0.mp4"), ("title", "t")]), 10, 400, "filename"),
        (metadata(&[("filename", "a\u{7}.mp4"), ("title", "t")]), 10, 400, "filename"),
        (metadata(&[("filename", "a.mp4")]), 10, 400, "title"),
        (metadata(&[("title", "t")]), 10, 400, "filename"),
        (metadata(&[("filename", "a.mp4"), ("title", "t"), ("centre", "999999")]), 10, 422, "centre"),
        (metadata(&[("filename", "a.mp4"), ("title", "t"), ("centre", "5104")]), 10, 400, "centre"),
        (metadata(&[("filename", "a.mp4"), ("title", "t"), ("centre", common::OTHER)]), 10, 403, "centre"),
        ("filename !!!,title x".to_string(), 10, 400, "base64"),
        (metadata(&good), 0, 400, "empty"),
        (metadata(&[("filename", "a.mp4"), ("title", &long_title)]), 10, 400, "title"),
        (metadata(&good), 300 * 1024 * 1024 * 1024, 413, "limit"),
    ];
    for (meta, length, want, named) in cases {
        let (status, _, msg) = common::error_of(create(&app, Role::Editor, length, &meta).await).await;
        assert_eq!(status, want, "{meta}: {msg}");
        assert!(msg.to_lowercase().contains(named), "{meta}: {msg}");
    }
    let garbage = app
        .as_role(Role::Editor, Method::POST, "/api/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "12abc")
        .header("Upload-Metadata", metadata(&good))
        .send()
        .await
        .unwrap();
    assert_eq!(common::error_of(garbage).await.0, 400);
    let old = app
        .as_role(Role::Editor, Method::POST, "/api/uploads")
        .header("Tus-Resumable", "0.2.2")
        .header("Upload-Length", "10")
        .header("Upload-Metadata", metadata(&good))
        .send()
        .await
        .unwrap();
    assert_eq!(old.headers()["tus-version"], "1.0.0");
    assert_eq!(common::error_of(old).await.0, 412);
    assert_eq!(create(&app, Role::Viewer, 10, &metadata(&good)).await.status(), 403);
    assert_eq!(
        app.store()
            .list_programmes(&catalog::store::ProgrammeFilter { limit: 1000, ..Default::default() })
            .await
            .unwrap()
            .len(),
        before,
        "nothing half-made"
    );

    // Wrong body type; an unknown upload; cancelling.
    let r = create(&app, Role::Editor, 10, &metadata(&good)).await;
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let pid = r.headers()["kapok-programme-id"].to_str().unwrap().to_string();
    let wrong_type = app
        .as_role(Role::Editor, Method::PATCH, &location)
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/json")
        .header("Upload-Offset", "0")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(common::error_of(wrong_type).await.0, 415);
    assert_eq!(patch(&app, &location, 0, vec![1; 11]).await.status(), 413, "past Upload-Length");
    assert_eq!(patch(&app, "/api/uploads/not-an-id", 0, vec![1]).await.status(), 404);
    let del =
        app.as_role(Role::Editor, Method::DELETE, &location).header("Tus-Resumable", "1.0.0").send().await.unwrap();
    assert_eq!(del.status(), 204);
    assert_eq!(offset(&app, &location).await, None);
    let p = status_of(&app, &pid).await;
    assert_eq!((p["status"].as_str(), p["reason"].as_str()), (Some("failed"), Some("upload cancelled")));
});

/// Bytes free on the file system of `dir` (`df`, an independent tool).
fn free_bytes(dir: &std::path::Path) -> u64 {
    let out = std::process::Command::new("df").args(["-B1", "--output=avail"]).arg(dir).output().unwrap();
    String::from_utf8(out.stdout).unwrap().lines().nth(1).unwrap().trim().parse().unwrap()
}

both!(an_upload_the_disk_cannot_hold_is_refused_before_a_byte_is_taken, |app| {
    // The probe: 200 GiB uploads were accepted whatever the disk held.
    let root = app.state.media.local_root().unwrap().to_path_buf();
    let free = free_bytes(&root);
    let length = free.saturating_sub(1 << 30).min(app.state.uploads.settings.max_size);
    if free.saturating_sub(length) >= app.state.uploads.settings.free_space_floor {
        eprintln!("{free} bytes free: more than the largest upload leaves above the floor; nothing to refuse here");
        return;
    }
    let meta = metadata(&[("filename", "big.mp4"), ("title", "太大的节目")]);
    let r = create(&app, Role::Editor, length as usize, &meta).await;
    let (status, code, message) = common::error_of(r).await;
    assert_eq!((status, code.as_str()), (507, "insufficient_storage"), "{message}");
    assert!(message.contains("does not fit"), "{message}");
    let page = app.store().list_programmes(&catalog::store::ProgrammeFilter { limit: 10, ..Default::default() }).await;
    assert!(page.unwrap().iter().all(|p| p.title != "太大的节目"), "nothing was created");
});

both!(a_centres_upload_quota_counts_its_files_and_unfinished_uploads, |app| {
    let mut settings = ingest::upload::UploadSettings { centre_quota: Some(10_000), ..Default::default() };
    settings.free_space_floor = 0;
    let uploads = ingest::upload::Uploads::new(app.store().clone(), app.state.media.clone(), settings);
    let actor = catalog::audit::Actor::system("test");
    let p = app.programme(common::OWN, "已入库", catalog::programme::Sharing::Private).await;
    app.asset(&p, &[7u8; 4_000]).await;
    let new =
        catalog::programme::NewProgramme::new(common::code(common::OWN), "上传", catalog::programme::Category::News);
    uploads.create(&actor, &new, "a.mp4", 5_000).await.unwrap();
    // 4,000 stored + 5,000 announced: 1,001 more is over 10,000.
    let refused = uploads.create(&actor, &new, "b.mp4", 1_001).await.unwrap_err();
    assert!(matches!(refused, ingest::upload::UploadError::QuotaExceeded { used: 9_000, .. }), "{refused}");
    assert!(refused.to_string().contains("quota"), "{refused}");
    uploads.create(&actor, &new, "c.mp4", 1_000).await.unwrap();
    // Another centre has its own quota.
    let other =
        catalog::programme::NewProgramme::new(common::code(common::OTHER), "上传", catalog::programme::Category::News);
    uploads.create(&actor, &other, "d.mp4", 9_999).await.unwrap();
});

both!(uploads_created_at_the_same_instant_cannot_together_pass_a_quota_with_room_for_one, |app| {
    let mut settings = ingest::upload::UploadSettings { centre_quota: Some(10_000), ..Default::default() };
    settings.free_space_floor = 0;
    let uploads = ingest::upload::Uploads::new(app.store().clone(), app.state.media.clone(), settings);
    let actor = catalog::audit::Actor::system("test");
    let new = catalog::programme::NewProgramme::new(
        common::code(common::OWN),
        "同时上传",
        catalog::programme::Category::News,
    );
    // Twenty uploads of 6,000 bytes at once against 10,000: exactly one fits.
    let attempts = (0..20).map(|i| {
        let (uploads, actor, new) = (uploads.clone(), actor.clone(), new.clone());
        tokio::spawn(async move { uploads.create(&actor, &new, &format!("{i}.mp4"), 6_000).await })
    });
    let results: Vec<_> = futures::future::join_all(attempts).await.into_iter().map(Result::unwrap).collect();
    let accepted = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(accepted, 1, "uploads accepted: {accepted}");
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(matches!(r, ingest::upload::UploadError::QuotaExceeded { .. }), "{r}");
    }
    let (stored, pending) = app.store().centre_storage(&common::code(common::OWN)).await.unwrap();
    assert_eq!(stored + pending, 6_000);
    // A refused upload leaves no programme behind.
    let filter = catalog::store::ProgrammeFilter { limit: 100, ..Default::default() };
    let made = app.store().list_programmes(&filter).await.unwrap();
    assert_eq!(made.iter().filter(|p| p.title == "同时上传").count(), 1);
});
