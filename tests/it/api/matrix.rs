//! Every route of the OpenAPI document × every role (and no credentials) × an object of the
//! caller's own centre vs another centre's private object, against a table of expected
//! statuses. A route missing from the table fails the test, so a new route cannot ship
//! without its access rules being stated here.

use super::common;

use catalog::audit::Actor;
use catalog::channel::{ChannelFormat, ChannelKind, NewChannel};
use catalog::job::NewJob;
use catalog::programme::Sharing;
use catalog::user::Role;
use common::{App, OTHER, OWN};
use reqwest::Method;
use serde_json::json;

/// Objects of one centre that routes act on.
struct Fixture {
    centre: &'static str,
    programme: String,
    asset: String,
    channel: String,
    job: String,
    token: String,
    user: String,
    upload: String,
    /// The key of an alert for the centre's area, received by the desk.
    alert: String,
}

async fn fixture(app: &App, centre: &'static str) -> Fixture {
    let p = app.programme(centre, &format!("{centre} 芒果种植"), Sharing::Private).await;
    let asset = app.asset(&p, b"0123456789").await;
    let channel = app
        .store()
        .create_channel(
            &Actor::system("test"),
            &NewChannel {
                centre: common::code(centre),
                slug: format!("ch-{centre}"),
                name: format!("频道 {centre}"),
                kind: ChannelKind::Tv,
                format: ChannelFormat::tv_hd(),
                day_start: "06:00".into(),
                time_zone: "Asia/Shanghai".into(),
            },
        )
        .await
        .unwrap();
    let job = app.store().enqueue(&NewJob::new("ingest", json!({ "centre": centre }))).await.unwrap();
    let target = app.user(&format!("target-{centre}"), Role::Viewer, centre).await;
    let (token, _) =
        web::routes::users::issue(app.store(), &Actor::system("test"), &target, "victim", Role::Viewer, None)
            .await
            .unwrap();
    let upload = new_upload(app, centre).await;
    let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let fmt = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let doc = json!({ "id": format!("FIXTURE-{centre}"), "sender": "matrix@510400", "sent": fmt(now),
        "status": "Actual", "msg_type": "Alert", "severity": "Minor", "urgency": "Future", "certainty": "Possible",
        "event": "大雾", "areas": [{ "desc": "辖区", "codes": [centre] }], "language": "zh-CN" });
    let receipt = app.desk.receive(doc.to_string().as_bytes(), chrono::Utc::now()).unwrap();
    kapok::desk::log::flush(&app.desk, app.store()).await;
    Fixture {
        upload,
        alert: receipt.key,
        centre,
        programme: p.id.to_string(),
        asset: asset.id.to_string(),
        channel: channel.id.to_string(),
        job: job.id.to_string(),
        token: token.id.to_string(),
        user: target.username,
    }
}

/// A fresh upload of 1000 bytes for a programme of `centre`.
async fn new_upload(app: &App, centre: &str) -> String {
    let new = catalog::programme::NewProgramme::new(common::code(centre), "上传中", catalog::programme::Category::News);
    let (_, upload) = app.state.uploads.create(&Actor::system("test"), &new, "a.mp4", 1000).await.unwrap();
    upload.id.to_string()
}

/// Who calls: a role's token, or nobody.
type Caller = Option<Role>;

/// The expected status of `method path` for `caller` on an own (`own`) or another centre's
/// private object. `None`: the route is not in the table.
fn expected(method: &str, path: &str, caller: Caller, own: bool) -> Option<u16> {
    use Role as R;
    let Some(role) = caller else {
        return Some(match (method, path) {
            ("GET", "/healthz") | ("GET", "/api/centres") | ("POST", "/api/auth/login") => 200,
            // The platform authenticates by its package signature, not a session; this server
            // has no EBD identity configured, so the exchange is unavailable to everyone.
            ("POST", "/api/ebd") => 503,
            _ => 401,
        });
    };
    let na = role == R::NetworkAdmin;
    let admin = na || role == R::CentreAdmin;
    // Another centre's private object: the network admin may; a role that may act at all but
    // not see it gets 404; a role that may never act gets 403.
    let scoped = |allowed_own: bool, hidden_to: bool, ok: u16| -> u16 {
        if na || (own && allowed_own) {
            ok
        } else if !allowed_own {
            403
        } else if hidden_to {
            404
        } else {
            403
        }
    };
    let read = |ok: u16| if own || na { ok } else { 404 };
    Some(match (method, path) {
        ("GET", "/healthz") | ("GET", "/api/centres") | ("POST", "/api/auth/login") => 200,
        ("POST", "/api/auth/logout") => 204,
        ("GET", "/api/auth/me") | ("GET", "/api/programmes") | ("GET", "/api/channels") | ("GET", "/api/events") => 200,
        ("POST", "/api/programmes") => {
            if na || (own && matches!(role, R::CentreAdmin | R::Editor)) {
                201
            } else {
                403
            }
        }
        // A programme's audit is the audit log's: its centre's admins (issue 19).
        ("GET", "/api/programmes/{id}/audit") => scoped(admin, true, 200),
        ("GET", "/api/programmes/{id}")
        | ("GET", "/api/programmes/{id}/assets")
        | ("GET", "/api/assets/{id}/content") => read(200),
        ("PATCH", "/api/programmes/{id}") => scoped(matches!(role, R::CentreAdmin | R::Editor), true, 200),
        // The fixture programme has not failed QC: those allowed get 409.
        ("POST", "/api/programmes/{id}/qc-override") => scoped(matches!(role, R::CentreAdmin | R::Editor), true, 409),
        // Only a failed programme is retried or deleted; the fixture's is ready: 409.
        ("POST", "/api/programmes/{id}/retry") | ("DELETE", "/api/programmes/{id}") => {
            scoped(matches!(role, R::CentreAdmin | R::Editor), true, 409)
        }
        ("POST", "/api/channels") => {
            if na || (own && admin) {
                201
            } else {
                403
            }
        }
        // Channels are visible network-wide, so another centre's is 403, not 404.
        ("PATCH", "/api/channels/{id}") => scoped(admin, false, 200),
        ("GET", "/api/jobs") => {
            if role == R::PlayoutNode {
                403
            } else {
                200
            }
        }
        ("GET", "/api/jobs/{id}") => scoped(role != R::PlayoutNode, true, 200),
        ("GET", "/api/audit") => scoped(admin, true, 200),
        ("POST", "/api/users") => {
            if na || (own && admin) {
                201
            } else {
                403
            }
        }
        ("POST", "/api/tokens") => scoped(admin, true, 201),
        // Listed per centre (`?centre=` of the fixture): admins of that centre and the network admin.
        ("GET", "/api/users") | ("GET", "/api/tokens") => {
            if na || (own && admin) {
                200
            } else {
                403
            }
        }
        ("GET", "/api/alerts") => 200,
        ("POST", "/api/ebd") => 503,
        // Alerts are network-wide: every role reads any alert's history and report.
        ("GET", "/api/alerts/{id}") | ("GET", "/api/alerts/{id}/report") => 200,
        // An alert for the fixture centre's area: only its own senders (and the network admin).
        ("POST", "/api/alerts") => scoped(matches!(role, R::CentreAdmin | R::EmergencyOperator), false, 202),
        ("DELETE", "/api/tokens/{id}") => scoped(admin, true, 204),
        // Schedules: readable network-wide (a playout node only its own centre's); changed by
        // the owning centre's schedulers and admins. The walk runs paths in order, so the days
        // routes run before any template exists: generate, edit, undo and publish find nothing
        // (404), the import body is a bad CSV (422) and the template GET precedes its PUT.
        ("GET", "/api/channels/{id}/template") | ("GET", "/api/channels/{id}/days/{date}") => 404,
        ("PUT", "/api/channels/{id}/template") | ("POST", "/api/channels/{id}/template/preview") => {
            scoped(matches!(role, R::CentreAdmin | R::Scheduler), false, 200)
        }
        ("POST", "/api/channels/{id}/days/{date}/generate")
        | ("POST", "/api/channels/{id}/days/{date}/edits")
        | ("POST", "/api/channels/{id}/days/{date}/undo")
        | ("POST", "/api/channels/{id}/days/{date}/publish") => {
            scoped(matches!(role, R::CentreAdmin | R::Scheduler), false, 404)
        }
        ("POST", "/api/channels/{id}/days/{date}/copy") => {
            scoped(matches!(role, R::CentreAdmin | R::Scheduler), false, 404)
        }
        ("POST", "/api/channels/{id}/days/{date}/import") => {
            scoped(matches!(role, R::CentreAdmin | R::Scheduler), false, 422)
        }
        // Version history and as-run read like the guide; airtime filters to what the caller reads.
        ("GET", "/api/channels/{id}/days/{date}/versions")
        | ("GET", "/api/channels/{id}/as-run")
        | ("GET", "/api/channels/{id}/week") => {
            if own || role != R::PlayoutNode {
                200
            } else {
                404
            }
        }
        ("GET", "/api/reports/airtime") | ("GET", "/api/reports/producers") => 200,
        ("GET", "/api/channels/{id}/epg.xml") | ("GET", "/api/channels/{id}/now-next") => {
            if own || role != R::PlayoutNode {
                200
            } else {
                404
            }
        }
        // Uploads: whoever may create the centre's programmes; an unfinished upload is private
        // to its centre. Each PATCH sends one byte at the current offset; each DELETE a fresh upload.
        ("POST", "/api/uploads") => {
            if na || (own && matches!(role, R::CentreAdmin | R::Editor)) {
                201
            } else {
                403
            }
        }
        // Remote playout nodes: read like schedules; as-run written by the centre's node or admin.
        ("GET", "/api/channels/{id}/playlists")
        | ("GET", "/api/channels/{id}/alerts/active")
        | ("GET", "/api/channels/{id}/alerts/stream") => {
            if own || role != R::PlayoutNode {
                200
            } else {
                404
            }
        }
        // No house file has the all-zero checksum.
        ("GET", "/api/channels/{id}/media/{sha256}") => 404,
        ("POST", "/api/channels/{id}/as-run") => {
            if na || (own && matches!(role, R::CentreAdmin | R::PlayoutNode)) {
                201
            } else if role == R::PlayoutNode {
                404
            } else {
                403
            }
        }
        // A centre's live relays: read by its own people, kept by its admins (issue 19).
        ("GET", "/api/centres/{code}/relays") => read(200),
        ("PUT", "/api/centres/{code}/relays/{name}") => scoped(admin, true, 200),
        ("DELETE", "/api/centres/{code}/relays/{name}") => scoped(admin, true, 204),
        ("PATCH", "/api/uploads/{id}") => scoped(matches!(role, R::CentreAdmin | R::Editor), true, 204),
        ("DELETE", "/api/uploads/{id}") => scoped(matches!(role, R::CentreAdmin | R::Editor), true, 204),
        _ => return None,
    })
}

/// The request for a route on fixture `f`.
async fn request(
    app: &App,
    method: &str,
    path: &str,
    caller: Caller,
    f: &Fixture,
    n: usize,
) -> reqwest::RequestBuilder {
    let id = match path {
        p if p.starts_with("/api/programmes/") => f.programme.clone(),
        p if p.starts_with("/api/assets/") => f.asset.clone(),
        p if p.starts_with("/api/channels/") => f.channel.clone(),
        p if p.starts_with("/api/jobs/") => f.job.clone(),
        p if p.starts_with("/api/tokens/") => f.token.clone(),
        "/api/uploads/{id}" if method == "DELETE" => new_upload(app, f.centre).await,
        p if p.starts_with("/api/uploads/") => f.upload.clone(),
        p if p.starts_with("/api/alerts/") => f.alert.clone(),
        _ => String::new(),
    };
    let mut url = path.replace("{id}", &id).replace("{date}", "2026-11-27");
    url = url.replace("{code}", f.centre).replace("{name}", &format!("relay-{n}"));
    if path == "/api/centres/{code}/relays/{name}" && method == "DELETE" {
        let (actor, centre) = (Actor::system("test"), common::code(f.centre));
        app.store().put_relay(&actor, &centre, &format!("relay-{n}"), "srt://relay:9000").await.unwrap();
    }
    let body = match (method, path) {
        ("POST", "/api/auth/login") => Some(json!({ "username": "viewer-user", "password": common::PASSWORD })),
        ("POST", "/api/programmes") => {
            Some(json!({ "centre": f.centre, "title": format!("新节目 {n}"), "category": "新闻" }))
        }
        ("PATCH", "/api/programmes/{id}") => {
            let pid = catalog::ids::ProgrammeId::parse(&f.programme).unwrap();
            let version = app.store().get_programme(pid).await.unwrap().version;
            Some(json!({ "version": version, "description": format!("edit {n}") }))
        }
        ("POST", "/api/programmes/{id}/qc-override") => Some(json!({ "reason": format!("checked {n}") })),
        ("POST", "/api/channels") => Some(json!({ "centre": f.centre, "slug": format!("new-{n}"), "name": "新频道",
            "kind": "radio", "format": { "sample_rate": 48000, "channels": 2 } })),
        ("PATCH", "/api/channels/{id}") => Some(json!({ "name": format!("频道 {n}") })),
        ("POST", "/api/users") => Some(json!({ "username": format!("new-{n}"), "password": common::PASSWORD,
            "role": "viewer", "centre": f.centre })),
        ("POST", "/api/tokens") => Some(json!({ "username": f.user, "name": format!("t{n}") })),
        ("POST", "/api/alerts") => {
            let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
            let fmt = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
            Some(json!({ "id": format!("MATRIX-{n}"), "sender": "matrix@510400", "sent": fmt(now),
                "status": "Actual", "msg_type": "Alert", "severity": "Severe", "urgency": "Immediate",
                "certainty": "Observed", "event": "暴雨", "headline": "暴雨橙色预警", "description": "测试",
                "areas": [{ "desc": "辖区", "codes": [f.centre] }],
                "effective": fmt(now), "expires": fmt(now + chrono::Duration::hours(1)), "resources": [], "language": "zh-CN" }))
        }
        ("PUT", "/api/channels/{id}/template") => Some(json!({ "name": format!("t{n}"), "week": { "default": {
            "blocks": [{ "start": "19:00", "length": "00:30", "type": "live", "uri": "srt://relay:9000", "title": "新闻联播" }] } },
            "fillers": { "categories": ["台标宣传"] } })),
        ("POST", "/api/channels/{id}/template/preview") => Some(json!({ "date": "2030-01-07", "seed": n,
            "template": { "name": format!("t{n}"), "week": { "default": { "blocks": [] } }, "fillers": { "categories": [] } } })),
        ("POST", "/api/channels/{id}/days/{date}/generate") => Some(json!({ "seed": n })),
        ("POST", "/api/channels/{id}/days/{date}/copy") => Some(json!({ "to": ["2099-01-01"] })),
        ("POST", "/api/channels/{id}/days/{date}/edits") => {
            Some(json!({ "version": 1, "op": { "op": "delete", "index": 0 } }))
        }
        ("POST", "/api/channels/{id}/days/{date}/undo") | ("POST", "/api/channels/{id}/days/{date}/publish") => {
            Some(json!({ "version": 1 }))
        }
        ("POST", "/api/channels/{id}/as-run") => Some(json!({ "outcome": "played", "actual_duration_s": 1.5 })),
        ("PUT", "/api/centres/{code}/relays/{name}") => Some(json!({ "uri": "srt://relay:9000" })),
        _ => None,
    };
    url = url.replace("{sha256}", &"0".repeat(64));
    if path.starts_with("/api/uploads") {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = app.http.request(m, app.url(&url)).header("Tus-Resumable", "1.0.0");
        if let Some(role) = caller {
            rb = rb.bearer_auth(app.token(role));
        }
        return match method {
            "POST" => {
                use base64::Engine;
                let b = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
                let meta = format!("filename {},title {},centre {}", b("a.mp4"), b(&format!("上传 {n}")), b(f.centre));
                rb.header("Upload-Length", "1000").header("Upload-Metadata", meta)
            }
            "PATCH" => {
                let uid = catalog::ids::UploadId::parse(&id).unwrap();
                let at = app.store().get_upload(uid).await.unwrap().received;
                rb.header("Content-Type", "application/offset+octet-stream")
                    .header("Upload-Offset", at.to_string())
                    .body(vec![7u8])
            }
            _ => rb,
        };
    }
    if path == "/api/channels/{id}/days/{date}/import" {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = app.http.request(m, app.url(&url)).body("start,programme,duration\n25:61:00,x,00:00:10\n");
        if let Some(role) = caller {
            rb = rb.bearer_auth(app.token(role));
        }
        return rb;
    }
    match path {
        "/api/programmes" if method == "GET" => url.push_str(&format!("?centre={}", f.centre)),
        "/api/users" | "/api/tokens" if method == "GET" => url.push_str(&format!("?centre={}", f.centre)),
        "/api/audit" => url.push_str(&format!("?object_type=programme&object_id={}", f.programme)),
        _ => {}
    }
    let m = Method::from_bytes(method.as_bytes()).unwrap();
    let mut rb = app.http.request(m, app.url(&url));
    if let Some(role) = caller {
        rb = rb.bearer_auth(app.token(role));
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    rb
}

async fn walk(app: App) {
    let own = fixture(&app, OWN).await;
    let other = fixture(&app, OTHER).await;
    let doc: serde_json::Value = app.http.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    assert!(routes.len() >= 20, "only {} routes in the document", routes.len());
    let callers: Vec<Caller> = std::iter::once(None).chain(Role::ALL.iter().copied().map(Some)).collect();
    let mut failures = Vec::new();
    let mut n = 0;
    for (method, path) in &routes {
        for &caller in &callers {
            for (is_own, f) in [(true, &own), (false, &other)] {
                n += 1;
                let Some(want) = expected(method, path, caller, is_own) else {
                    panic!("{method} {path} is not in the access table: add its expected statuses");
                };
                let r = request(&app, method, path, caller, f, n).await.send().await.unwrap();
                let got = r.status().as_u16();
                if got >= 400 {
                    let (_, _, _) = common::error_of(r).await;
                }
                if got != want {
                    failures.push(format!("{method} {path} as {caller:?} on {}: got {got}, want {want}", f.centre));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {n} cases differ:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_by_every_role_by_centre_answers_as_the_table_says_on_sqlite() {
    walk(common::start(catalog::testing::sqlite_store().await).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_by_every_role_by_centre_answers_as_the_table_says_on_postgres() {
    walk(common::start(catalog::testing::postgres_store().await).await).await;
}
