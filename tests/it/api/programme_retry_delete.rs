//! A failed programme through HTTP on both backends: retried from its stored source (a new
//! ingest job, status `queued`), or deleted with its files; only its own centre's editors and
//! admins may, and only while it is failed.

use super::common;

use catalog::asset::AssetKind;
use catalog::audit::Actor;
use catalog::media::layout;
use catalog::programme::{Programme, ProgrammeProgress, ProgrammeStatus, Sharing};
use catalog::user::Role;
use common::{App, OTHER, OWN};
use reqwest::Method;

/// A programme of `centre` whose ingest failed, with a stored source file.
async fn failed(app: &App, centre: &str, title: &str) -> (Programme, catalog::media::Key) {
    let p = app.programme(centre, title, Sharing::Network).await;
    let key = layout::programme_source(p.id, &"ab".repeat(32)).unwrap();
    app.state.media.put_bytes(&key, bytes::Bytes::from_static(b"not media at all")).await.unwrap();
    app.store().add_asset(p.id, AssetKind::Source, key.as_str(), "abc", 16).await.unwrap();
    let why = ProgrammeProgress { reason: Some("bad media: not a media file".into()), ..Default::default() };
    let p =
        app.store().set_programme_status(&Actor::system("test"), p.id, ProgrammeStatus::Failed, &why).await.unwrap();
    (p, key)
}

async fn status(app: &App, role: Role, method: Method, path: &str) -> u16 {
    app.as_role(role, method, path).send().await.unwrap().status().as_u16()
}

both!(a_failed_programme_is_retried_from_its_source_by_its_centre, |app| {
    let (p, _) = failed(&app, OWN, "重试的节目").await;
    let path = format!("/api/programmes/{}/retry", p.id);
    assert_eq!(status(&app, Role::Viewer, Method::POST, &path).await, 403);
    assert_eq!(status(&app, Role::Scheduler, Method::POST, &path).await, 403);
    let r = app.as_role(Role::Editor, Method::POST, &path).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "queued", "{body}");
    let jobs = app.store().list_jobs(None, 100).await.unwrap();
    assert!(
        jobs.iter().any(|j| j.kind == "ingest" && j.payload["programme_id"] == p.id.to_string()),
        "a new ingest job names the programme: {jobs:?}"
    );
    // Queued now: a second retry is a conflict, and so is deleting it.
    assert_eq!(status(&app, Role::Editor, Method::POST, &path).await, 409);
    assert_eq!(status(&app, Role::Editor, Method::DELETE, &format!("/api/programmes/{}", p.id)).await, 409);
});

both!(a_failed_programme_is_deleted_with_its_files_and_a_ready_one_is_not, |app| {
    let (p, key) = failed(&app, OWN, "删除的节目").await;
    let path = format!("/api/programmes/{}", p.id);
    assert_eq!(status(&app, Role::Viewer, Method::DELETE, &path).await, 403);
    assert_eq!(status(&app, Role::Editor, Method::DELETE, &path).await, 204);
    assert_eq!(status(&app, Role::Editor, Method::GET, &path).await, 404);
    assert!(!app.state.media.exists(&key).await.unwrap(), "the source file is removed");
    let audit = app.store().audit_for_object("programme", &p.id.to_string()).await.unwrap();
    assert_eq!(audit.last().map(|e| e.action.as_str()), Some("programme.delete"));
    // The search no longer finds it.
    let r = app.as_role(Role::Editor, Method::GET, "/api/programmes?q=删除的节目").send().await.unwrap();
    let found: serde_json::Value = r.json().await.unwrap();
    assert_eq!(found["items"].as_array().map(Vec::len), Some(0), "{found}");

    let ready = app.programme(OWN, "已就绪的节目", Sharing::Network).await;
    assert_eq!(status(&app, Role::Editor, Method::DELETE, &format!("/api/programmes/{}", ready.id)).await, 409);
    // Another centre's failed programme: readable (shared) but not ours to delete.
    let (theirs, _) = failed(&app, OTHER, "别的中心的节目").await;
    assert_eq!(status(&app, Role::Editor, Method::DELETE, &format!("/api/programmes/{}", theirs.id)).await, 403);
    assert_eq!(status(&app, Role::Editor, Method::POST, &format!("/api/programmes/{}/retry", theirs.id)).await, 403);
});
