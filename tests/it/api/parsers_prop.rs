//! Property: no query string and no request body, however malformed, makes the API answer a
//! 5xx or panic; every error is JSON. Runs the real router in-process over SQLite.

use super::common;

use axum::body::Body;
use axum::http::{Method, Request};
use catalog::user::Role;
use proptest::prelude::*;
use serde_json::Value;
use tower::ServiceExt;

struct Rig {
    rt: tokio::runtime::Runtime,
    app: common::App,
    router: axum::Router,
    programme: String,
    channel: String,
}

fn rig() -> Rig {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (app, programme, channel) = rt.block_on(async {
        let app = common::start(catalog::testing::sqlite_store().await).await;
        let p = app.programme(common::OWN, "芒果", catalog::programme::Sharing::Private).await;
        let c = app
            .store()
            .create_channel(
                &catalog::audit::Actor::system("t"),
                &catalog::channel::NewChannel {
                    centre: common::code(common::OWN),
                    slug: "c".into(),
                    name: "c".into(),
                    kind: catalog::channel::ChannelKind::Radio,
                    format: catalog::channel::ChannelFormat::radio(),
                    day_start: "06:00".into(),
                    time_zone: "Asia/Shanghai".into(),
                },
            )
            .await
            .unwrap();
        (app, p.id.to_string(), c.id.to_string())
    });
    let router = web::app::router(app.state.clone());
    Rig { rt, app, router, programme, channel }
}

fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'=' | b'&' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Rig {
    fn call(&self, method: Method, uri: &str, body: Vec<u8>, content_type: &str) -> u16 {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.app.token(Role::CentreAdmin)))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        self.rt.block_on(async {
            let r = self.router.clone().oneshot(req).await.unwrap();
            let status = r.status().as_u16();
            let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
            if status >= 400 {
                assert!(ct.starts_with("application/json"), "{uri}: {status} {ct}");
                let v: Value = serde_json::from_slice(&bytes).unwrap();
                assert!(v["error"]["message"].is_string());
            }
            status
        })
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        prop::sample::select(vec!["510421", "510422", "新闻", "涉农", "tv", "radio", "viewer", "network", "06:00"])
            .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(field(), inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "centre",
            "title",
            "category",
            "version",
            "tags",
            "episode",
            "sharing",
            "rights_from",
            "rights_until",
            "slug",
            "name",
            "kind",
            "format",
            "sample_rate",
            "channels",
            "day_start",
            "retired",
            "username",
            "role",
            "expires_days",
            "display_name",
            "description",
            "language",
            "series",
        ])
        .prop_map(str::to_string),
        "[a-z_]{1,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn query_strings_never_cause_a_5xx(
        path in prop::sample::select(vec!["/api/programmes", "/api/jobs", "/api/channels", "/api/audit"]),
        pairs in prop::collection::vec((field(), prop::collection::vec(any::<u8>(), 0..40)), 0..5),
        raw in prop::collection::vec(any::<u8>(), 0..60),
    ) {
        let rig = RIG.with(|r| r.clone());
        let qs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        let uri = format!("{path}?{}&{}", qs.join("&"), encode(&raw));
        let status = rig.call(Method::GET, &uri, Vec::new(), "application/json");
        prop_assert!(status < 500, "{uri} answered {status}");
    }

    #[test]
    fn json_bodies_never_cause_a_5xx(
        target in 0usize..6,
        value in json_value(),
        raw in prop::collection::vec(any::<u8>(), 0..80),
        use_raw in any::<bool>(),
    ) {
        let rig = RIG.with(|r| r.clone());
        let (method, uri) = match target {
            0 => (Method::POST, "/api/programmes".to_string()),
            1 => (Method::PATCH, format!("/api/programmes/{}", rig.programme)),
            2 => (Method::POST, "/api/channels".to_string()),
            3 => (Method::PATCH, format!("/api/channels/{}", rig.channel)),
            4 => (Method::POST, "/api/tokens".to_string()),
            _ => (Method::POST, "/api/auth/login".to_string()),
        };
        let body = if use_raw || target == 5 { raw } else { serde_json::to_vec(&value).unwrap() };
        let status = rig.call(method, &uri, body.clone(), "application/json");
        prop_assert!(status < 500, "{uri} {} answered {status}", String::from_utf8_lossy(&body));
    }
}

thread_local! {
    static RIG: std::rc::Rc<Rig> = std::rc::Rc::new(rig());
}
