//! QC override over real HTTP on both backends: a real ingest of an all-black clip fails QC
//! with its products stored; an editor of its centre makes it ready with a reason, audited;
//! other roles and centres, a blank reason, and a programme that did not fail QC are refused.

use super::common;

use catalog::asset::AssetKind;
use catalog::audit::Actor;
use catalog::programme::{Category, NewProgramme, ProgrammeProgress, ProgrammeStatus, Sharing};
use catalog::user::Role;
use reqwest::Method;
use serde_json::json;

both!(an_editor_overrides_a_real_qc_failure_and_the_audit_says_who_and_why, |app| {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("black.mp4");
    let ok = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:size=320x240:rate=25:duration=3"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(ok.success());
    let new = NewProgramme::new(common::code(common::OWN), "黑场", Category::News);
    let (store, media) = (app.state.store.clone(), app.state.media.clone());
    let p = ingest::submit::submit_file(&store, &media, &Actor::system("test"), &clip, &new).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let worker = ingest::worker::Worker::new(store.clone(), media, ingest::worker::WorkerConfig::new("w", work.path()));
    worker.run_one().await.unwrap();
    let failed = store.get_programme(p.id).await.unwrap();
    assert_eq!(failed.status, ProgrammeStatus::Failed, "{failed:?}");
    assert!(failed.reason.as_deref().unwrap().contains("QC"), "{failed:?}");
    let kinds: Vec<AssetKind> = store.list_assets(p.id).await.unwrap().into_iter().map(|a| a.kind).collect();
    assert!(kinds.contains(&AssetKind::House) && kinds.contains(&AssetKind::Proxy), "products stored: {kinds:?}");

    let path = format!("/api/programmes/{}/qc-override", p.id);
    let send =
        |role: Role, reason: &str| app.as_role(role, Method::POST, &path).json(&json!({ "reason": reason })).send();
    assert_eq!(send(Role::Viewer, "ok").await.unwrap().status(), 403);
    assert_eq!(send(Role::Scheduler, "ok").await.unwrap().status(), 403);
    assert_eq!(common::error_of(send(Role::Editor, "  ").await.unwrap()).await.0, 422);
    let r = send(Role::Editor, "片头黑场为设计效果，已人工审看").await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let (status, code, _) = common::error_of(send(Role::Editor, "again").await.unwrap()).await;
    assert_eq!((status, code.as_str()), (409, "not_qc_failed"));

    let audit = store.audit_for_object("programme", &p.id.to_string()).await.unwrap();
    let entry = audit.iter().find(|e| e.action == "programme.qc_override").expect("an audit entry");
    let entry = serde_json::to_value(entry).unwrap();
    assert!(entry["actor"].as_str().unwrap().contains("editor-user"), "{entry}");
    assert_eq!(entry["before"]["status"], "failed");
    assert_eq!(entry["before"]["qc_verdict"], "fail");
    assert_eq!(entry["after"]["status"], "ready");
    assert_eq!(entry["after"]["override_reason"], "片头黑场为设计效果，已人工审看");

    // Another centre's private QC failure is invisible to this centre's editor.
    let other = app.programme(common::OTHER, "别处", Sharing::Private).await;
    let qc = ProgrammeProgress { qc: Some(json!({ "verdict": "fail" })), ..Default::default() };
    store.set_programme_status(&Actor::system("test"), other.id, ProgrammeStatus::Failed, &qc).await.unwrap();
    let r = app
        .as_role(Role::Editor, Method::POST, &format!("/api/programmes/{}/qc-override", other.id))
        .json(&json!({ "reason": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // The network admin may, but there is no house file to air.
    let r = app
        .as_role(Role::NetworkAdmin, Method::POST, &format!("/api/programmes/{}/qc-override", other.id))
        .json(&json!({ "reason": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(common::error_of(r).await.1, "no_house_file");
});
