//! The real application on 127.0.0.1:0 over a fresh catalog (SQLite or PostgreSQL) and a
//! local media store in a temp dir, with users and tokens for every role.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::OnceLock;

use catalog::audit::Actor;
use catalog::ids::CentreCode;
use catalog::media::{layout, MediaStore};
use catalog::programme::{Category, NewProgramme, Programme, ProgrammeStatus, Sharing};
use catalog::testing::TestStore;
use catalog::user::{NewUser, Role, User};
use web::state::AppState;

pub const OWN: &str = "510421";
pub const OTHER: &str = "510422";
pub const PASSWORD: &str = "correct horse battery staple";

/// One argon2 hash of [`PASSWORD`] shared by every fixture user (hashing is slow in debug).
pub async fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(h) = HASH.get() {
        return h.clone();
    }
    let h = web::auth::credentials::hash_password(PASSWORD.into()).await.unwrap();
    HASH.get_or_init(|| h).clone()
}

pub fn code(s: &str) -> CentreCode {
    CentreCode::parse(s).unwrap()
}

pub struct App {
    pub base: String,
    pub state: AppState,
    /// The emergency desk behind `state.desk`.
    pub desk: kapok::desk::EmergencyDesk,
    /// The channels behind `state.on_air` (`/metrics`).
    pub on_air: kapok::metrics::OnAirChannels,
    pub http: reqwest::Client,
    /// API token secret per role; every role's user belongs to [`OWN`] except the network
    /// admin, who belongs to the city centre.
    pub tokens: HashMap<Role, String>,
    pub users: HashMap<Role, User>,
    _store: TestStore,
    _media_dir: tempfile::TempDir,
}

impl App {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn token(&self, role: Role) -> &str {
        &self.tokens[&role]
    }

    /// A request with `role`'s bearer token.
    pub fn as_role(&self, role: Role, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(self.token(role))
    }

    pub fn store(&self) -> &catalog::Store {
        &self.state.store
    }

    /// A programme of `centre` created directly in the store.
    pub async fn programme(&self, centre: &str, title: &str, sharing: Sharing) -> Programme {
        let mut n = NewProgramme::new(code(centre), title, Category::Agriculture);
        n.sharing = sharing;
        self.store().create_programme(&Actor::system("test"), &n, ProgrammeStatus::Ready).await.unwrap()
    }

    /// An asset of `p` with `data` stored in the media store.
    pub async fn asset(&self, p: &Programme, data: &[u8]) -> catalog::asset::Asset {
        let key = layout::programme_house(p.id).unwrap();
        self.state.media.put_bytes(&key, bytes::Bytes::copy_from_slice(data)).await.unwrap();
        let sha = web::auth::credentials::digest(&String::from_utf8_lossy(data));
        self.store()
            .add_asset(p.id, catalog::asset::AssetKind::House, key.as_str(), &sha, data.len() as i64)
            .await
            .unwrap()
    }

    /// A user with [`PASSWORD`].
    pub async fn user(&self, username: &str, role: Role, centre: &str) -> User {
        let new = NewUser {
            username: username.into(),
            display_name: username.into(),
            password_hash: password_hash().await,
            role,
            centre: code(centre),
        };
        self.store().create_user(&Actor::system("test"), &new).await.unwrap()
    }
}

/// Starts the app over `store`, serving with client addresses (for the login rate limit).
pub async fn start(store: TestStore) -> App {
    let media_dir = tempfile::tempdir().unwrap();
    let media = MediaStore::local(media_dir.path()).unwrap();
    let desk = kapok::desk::EmergencyDesk::new(media_dir.path().join("work"));
    let on_air = kapok::metrics::OnAirChannels::default();
    let state = AppState::new(store.store.clone(), media, std::sync::Arc::new(desk.clone()))
        .with_channels(std::sync::Arc::new(on_air.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = web::app::router(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut app = App {
        base: format!("http://{addr}"),
        state,
        desk,
        on_air,
        http,
        tokens: HashMap::new(),
        users: HashMap::new(),
        _store: store,
        _media_dir: media_dir,
    };
    for &role in Role::ALL {
        let centre = if role == Role::NetworkAdmin { CentreCode::CITY } else { OWN };
        let user = app.user(&format!("{role}-user"), role, centre).await;
        let (_, secret) =
            web::routes::users::issue(app.store(), &Actor::system("test"), &user, "fixture", role, None).await.unwrap();
        app.tokens.insert(role, secret);
        app.users.insert(role, user);
    }
    app
}

/// Runs `body` on an app over SQLite and over PostgreSQL.
#[macro_export]
macro_rules! both {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = common::start(catalog::testing::sqlite_store().await).await;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let $app = common::start(catalog::testing::postgres_store().await).await;
                $body
            }
        }
    };
}

/// The JSON error body of a response, asserting its shape.
pub async fn error_of(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let text = r.text().await.unwrap();
    assert!(ct.starts_with("application/json"), "{status} answered {ct:?}: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let code = v["error"]["code"].as_str().unwrap_or_else(|| panic!("no error.code in {text}")).to_string();
    let message = v["error"]["message"].as_str().unwrap().to_string();
    assert!(!message.is_empty());
    (status, code, message)
}

/// A 1080p TV channel of `centre` (day start 06:00, Asia/Shanghai).
pub async fn tv_channel(app: &App, centre: &str, slug: &str, name: &str) -> catalog::channel::Channel {
    use catalog::channel::{ChannelFormat, ChannelKind, NewChannel};
    let new = NewChannel {
        centre: code(centre),
        slug: slug.into(),
        name: name.into(),
        kind: ChannelKind::Tv,
        format: ChannelFormat::tv_hd(),
        day_start: "06:00".into(),
        time_zone: "Asia/Shanghai".into(),
    };
    app.store().create_channel(&Actor::system("test"), &new).await.unwrap()
}

/// The own centre's TV channel `miyi-tv` (1080p, day start 06:00) and one ready private
/// programme with a house asset per `(category, seconds)`, titled `节目 {i}`.
/// A radio channel of `centre`, created in the catalog.
pub async fn radio_channel(app: &App, centre: &str, slug: &str, name: &str) -> catalog::channel::Channel {
    use catalog::channel::{ChannelFormat, ChannelKind, NewChannel};
    app.store()
        .create_channel(
            &Actor::system("test"),
            &NewChannel {
                centre: code(centre),
                slug: slug.into(),
                name: name.into(),
                kind: ChannelKind::Radio,
                format: ChannelFormat::radio(),
                day_start: "06:00".into(),
                time_zone: "Asia/Shanghai".into(),
            },
        )
        .await
        .unwrap()
}

pub async fn miyi_tv_with(app: &App, programmes: &[(Category, i64)]) -> catalog::channel::Channel {
    let ch = tv_channel(app, OWN, "miyi-tv", "米易电视台").await;
    for (i, &(category, secs)) in programmes.iter().enumerate() {
        let mut n = NewProgramme::new(code(OWN), format!("节目 {i}"), category);
        n.sharing = Sharing::Private;
        let p = app.store().create_programme(&Actor::system("test"), &n, ProgrammeStatus::Queued).await.unwrap();
        let progress = catalog::programme::ProgrammeProgress {
            reason: None,
            duration_ms: Some(secs * 1000),
            qc: None,
            loudness: None,
        };
        let p = app
            .store()
            .set_programme_status(&Actor::system("test"), p.id, ProgrammeStatus::Ready, &progress)
            .await
            .unwrap();
        app.asset(&p, format!("media {i}").as_bytes()).await;
    }
    ch
}

/// A template of two 涉农 hours (06:00-08:00) with 台标宣传 fillers, for [`miyi_tv_with`]'s channel.
pub fn agri_template() -> serde_json::Value {
    serde_json::json!({
        "name": "agri mornings",
        "clocks": [{ "name": "agri", "segments": [
            { "at": "00:00", "length": "01:00", "type": "category", "label": "涉农", "filter": { "categories": ["涉农"] } }
        ]}],
        "week": { "default": { "clocks": [{ "clock": "agri", "hours": [6, 7] }], "blocks": [] } },
        "fillers": { "categories": ["台标宣传"] }
    })
}

/// `s` percent-encoded as one path segment (an alert key holds `:`, `,` and `@`).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
