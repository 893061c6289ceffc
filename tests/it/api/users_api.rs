//! Listing accounts and API tokens, and changes made with a token audited as the token.

use super::common;

use catalog::user::Role;
use reqwest::Method;
use serde_json::{json, Value};

use common::{OTHER, OWN};

async fn get(app: &common::App, role: Role, path: &str) -> (u16, Value) {
    let r = app.as_role(role, Method::GET, path).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

both!(a_centre_admin_lists_only_their_centres_users_and_tokens_without_secrets, |app| {
    app.user("other-editor", Role::Editor, OTHER).await;
    let (s, users) = get(&app, Role::CentreAdmin, "/api/users").await;
    assert_eq!(s, 200);
    let users = users.as_array().unwrap();
    assert!(users.iter().all(|u| u["centre"] == OWN), "{users:?}");
    assert!(users.iter().any(|u| u["username"] == "editor-user"));
    assert!(users.iter().all(|u| u.get("password_hash").is_none()), "no password hashes");
    let (s, all) = get(&app, Role::NetworkAdmin, "/api/users").await;
    assert_eq!(s, 200);
    assert!(all.as_array().unwrap().iter().any(|u| u["username"] == "other-editor"), "the network admin sees all");
    assert_eq!(get(&app, Role::CentreAdmin, &format!("/api/users?centre={OTHER}")).await.0, 403);
    assert_eq!(get(&app, Role::Editor, "/api/users").await.0, 403);
    assert_eq!(get(&app, Role::CentreAdmin, "/api/users?centre=nope").await.0, 400);

    let (s, tokens) = get(&app, Role::CentreAdmin, "/api/tokens").await;
    assert_eq!(s, 200);
    let tokens = tokens.as_array().unwrap();
    assert!(tokens.iter().any(|t| t["name"] == "fixture" && t["role"] == "editor"), "{tokens:?}");
    assert!(tokens.iter().all(|t| t["centre"] == OWN), "{tokens:?}");
    let text = serde_json::to_string(tokens).unwrap();
    for secret in app.tokens.values() {
        assert!(!text.contains(secret.as_str()), "a token secret was listed");
    }
    assert!(tokens.iter().all(|t| t.get("token_hash").is_none()), "no hashes either");
});

both!(a_change_made_with_an_api_token_is_audited_as_the_token_and_its_user, |app| {
    let r = app
        .as_role(Role::Editor, Method::POST, "/api/programmes")
        .json(&json!({ "centre": OWN, "title": "令牌创建的节目", "category": "新闻" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let (s, trail) = get(&app, Role::NetworkAdmin, &format!("/api/audit?object_type=programme&object_id={id}")).await;
    assert_eq!(s, 200);
    assert_eq!(trail[0]["actor"], "user:editor-user token:fixture", "{trail}");
    for actor in ["user:editor-user", "token:fixture"] {
        let (s, by) = get(&app, Role::NetworkAdmin, &format!("/api/audit?actor={actor}")).await;
        assert_eq!(s, 200);
        assert!(by.as_array().unwrap().iter().any(|e| e["object_id"] == id.as_str()), "{actor}: {by}");
    }
    let (_, by) = get(&app, Role::NetworkAdmin, "/api/audit?actor=token:other").await;
    assert!(by.as_array().unwrap().is_empty(), "another token's name finds nothing: {by}");
});

both!(tokens_are_minted_for_oneself_or_by_an_admin_for_those_below, |app| {
    // The probe: a centre admin minted a token in the network admin's name (audited `user:admin`).
    let boss = app.user("boss", Role::NetworkAdmin, OWN).await;
    let peer = app.user("peer-admin", Role::CentreAdmin, OWN).await;
    let app = &app;
    let mint = |role: Role, body: serde_json::Value| async move {
        let r = app.as_role(role, Method::POST, "/api/tokens").json(&body).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    };
    let tok = |user: &str, role: Option<&str>| json!({ "username": user, "name": "t", "role": role });
    for (user, role) in [(&boss.username, Some("viewer")), (&boss.username, None), (&peer.username, Some("viewer"))] {
        let (s, b) = mint(Role::CentreAdmin, tok(user, role)).await;
        assert_eq!(s, 403, "a centre admin minted a token for {user} as {role:?}: {b}");
    }
    // Nor a token above the user's own role.
    let (s, b) = mint(Role::CentreAdmin, tok("editor-user", Some("centre_admin"))).await;
    assert_eq!(s, 403, "an editor's token as centre admin: {b}");
    let (s, b) = mint(Role::CentreAdmin, tok("editor-user", Some("scheduler"))).await;
    assert_eq!(s, 403, "an editor's token as scheduler: {b}");
    // What stays: an admin for those below, anyone for themselves (at their role or as viewer).
    assert_eq!(mint(Role::CentreAdmin, tok("editor-user", None)).await.0, 201);
    assert_eq!(mint(Role::CentreAdmin, tok("editor-user", Some("viewer"))).await.0, 201);
    assert_eq!(mint(Role::Editor, tok("editor-user", None)).await.0, 201);
    assert_eq!(mint(Role::Editor, tok("editor-user", Some("viewer"))).await.0, 201);
    assert_eq!(mint(Role::Editor, tok("editor-user", Some("centre_admin"))).await.0, 403);
    assert_eq!(mint(Role::Editor, tok("viewer-user", None)).await.0, 403, "an editor for someone else");
    assert_eq!(mint(Role::NetworkAdmin, tok("peer-admin", None)).await.0, 201);
});

both!(the_audit_log_is_searched_by_actor_action_type_centre_and_time_in_pages_of_one_query, |app| {
    use catalog::programme::Sharing;
    let r = app
        .as_role(Role::Editor, Method::POST, "/api/programmes")
        .json(&json!({ "centre": OWN, "title": "米易的节目", "category": "新闻" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let own = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let other = app.programme(OTHER, "盐边的节目", Sharing::Network).await.id.to_string();
    let ids = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|e| e["object_id"].as_str().unwrap().to_string()).collect()
    };
    let (s, all) = get(&app, Role::NetworkAdmin, "/api/audit?action=programme.create").await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(ids(&all)[..2], [other.clone(), own.clone()], "newest first: {all}");
    let (_, kind) = get(&app, Role::NetworkAdmin, "/api/audit?action=programme.&object_type=programme").await;
    assert!(kind.as_array().unwrap().iter().all(|e| e["action"].as_str().unwrap().starts_with("programme.")), "{kind}");
    // By centre: the centre's users' changes and changes to its objects.
    let (_, miyi) = get(&app, Role::NetworkAdmin, &format!("/api/audit?centre={OWN}&object_type=programme")).await;
    assert!(ids(&miyi).contains(&own) && !ids(&miyi).contains(&other), "{miyi}");
    let (_, yanbian) = get(&app, Role::NetworkAdmin, &format!("/api/audit?centre={OTHER}&object_type=programme")).await;
    assert_eq!(ids(&yanbian), vec![other.clone()], "{yanbian}");
    let (_, by) = get(&app, Role::NetworkAdmin, &format!("/api/audit?actor=user:editor-user&centre={OTHER}")).await;
    assert!(by.as_array().unwrap().is_empty(), "{by}");
    // A time range.
    let enc = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339().replace('+', "%2B");
    let (hour_ago, soon) =
        (chrono::Utc::now() - chrono::Duration::hours(1), chrono::Utc::now() + chrono::Duration::hours(1));
    let (_, window) =
        get(&app, Role::NetworkAdmin, &format!("/api/audit?from={}&until={}", enc(hour_ago), enc(soon))).await;
    assert!(ids(&window).contains(&own), "{window}");
    let (_, later) = get(&app, Role::NetworkAdmin, &format!("/api/audit?from={}", enc(soon))).await;
    assert!(later.as_array().unwrap().is_empty(), "{later}");
    // Pages by id: each entry once, in order.
    let (_, first) = get(&app, Role::NetworkAdmin, "/api/audit?limit=2").await;
    let last = first[1]["id"].as_i64().unwrap();
    let (_, second) = get(&app, Role::NetworkAdmin, &format!("/api/audit?limit=2&before={last}")).await;
    let (_, both) = get(&app, Role::NetworkAdmin, "/api/audit?limit=4").await;
    let joined: Vec<&Value> = first.as_array().unwrap().iter().chain(second.as_array().unwrap()).collect();
    assert_eq!(joined, both.as_array().unwrap().iter().collect::<Vec<_>>(), "{first} {second} {both}");
    // A centre admin searches its own centre only; an editor not at all.
    let (s, mine) = get(&app, Role::CentreAdmin, "/api/audit?object_type=programme").await;
    assert_eq!(s, 200, "{mine}");
    assert!(ids(&mine).contains(&own) && !ids(&mine).contains(&other), "{mine}");
    assert_eq!(get(&app, Role::CentreAdmin, &format!("/api/audit?centre={OTHER}")).await.0, 403);
    assert_eq!(get(&app, Role::Editor, "/api/audit?action=programme.create").await.0, 403);
    for bad in
        ["/api/audit?from=yesterday", "/api/audit?centre=nope", "/api/audit?object_id=x&action=y", "/api/audit?limit=0"]
    {
        assert_eq!(get(&app, Role::NetworkAdmin, bad).await.0, 400, "{bad}");
    }
});

both!(the_audit_log_by_centre_keeps_its_jobs_rows_and_its_deleted_programmes_rows, |app| {
    use catalog::job::{Failure, NewJob};
    use catalog::programme::{ProgrammeStatus, Sharing};
    let store = app.store();
    // Written by the system, so no user of the centre matches them: only the stored centre does.
    let sys = catalog::audit::Actor::system("test");
    let p = app.programme(OWN, "米易删除的节目", Sharing::Private).await;
    let pid = p.id.to_string();
    // Two jobs die: one payload names only the programme (jobs made before payloads named a
    // centre), the other the centre.
    for payload in [json!({ "programme_id": pid }), json!({ "centre": OWN, "programme_id": "gone" })] {
        let job = store.enqueue(&NewJob { max_attempts: 1, ..NewJob::new("audit-test", payload) }).await.unwrap();
        let lease = store.lease("audit-test", "test", std::time::Duration::from_secs(60)).await.unwrap().unwrap();
        assert_eq!(lease.job.id, job.id);
        store.fail(&lease, "not media", Failure::Permanent).await.unwrap();
    }
    store.set_programme_status(&sys, p.id, ProgrammeStatus::Failed, &Default::default()).await.unwrap();
    store.delete_programme(&sys, p.id).await.unwrap();

    let (s, miyi) = get(&app, Role::NetworkAdmin, &format!("/api/audit?centre={OWN}")).await;
    assert_eq!(s, 200, "{miyi}");
    let rows = miyi.as_array().unwrap();
    let dead: Vec<&Value> = rows.iter().filter(|e| e["object_type"] == "job" && e["action"] == "job.dead").collect();
    assert_eq!(dead.len(), 2, "both jobs' rows: {miyi}");
    let of_p: Vec<&str> =
        rows.iter().filter(|e| e["object_id"] == pid.as_str()).map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["programme.create", "programme.status", "programme.delete"] {
        assert!(of_p.contains(&action), "{action} of the deleted programme: {miyi}");
    }
    assert!(
        rows.iter().filter(|e| e["actor"] == "system:test" || e["actor"] == "system:queue").all(|e| e["centre"] == OWN),
        "{miyi}"
    );
    // Another centre's search finds none of them; the centre's own admin finds them by default.
    let (_, yanbian) = get(&app, Role::NetworkAdmin, &format!("/api/audit?centre={OTHER}")).await;
    let theirs = yanbian.as_array().unwrap();
    assert!(!theirs.iter().any(|e| e["object_type"] == "job" || e["object_id"] == pid.as_str()), "{yanbian}");
    let (s, mine) = get(&app, Role::CentreAdmin, "/api/audit?object_type=job").await;
    assert_eq!((s, mine.as_array().unwrap().len()), (200, 2), "{mine}");
    let (_, mine) = get(&app, Role::CentreAdmin, "/api/audit?action=programme.delete").await;
    assert!(mine.as_array().unwrap().iter().any(|e| e["object_id"] == pid.as_str()), "{mine}");
});
