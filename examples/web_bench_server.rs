//! The API under load (bench/web.sh): loads N programmes into a fresh SQLite or PostgreSQL
//! catalog, creates a viewer token, writes what the load generator needs, and serves the real
//! router (and the same router with the search cache off on PORT+2); a trivial axum handler
//! is served beside it as the ceiling.
//!
//! `web_bench_server sqlite|postgres N PORT TRIVIAL_PORT INFO_DIR`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::Instant;

use catalog::audit::Actor;
use catalog::ids::CentreCode;
use catalog::programme::{Category, NewProgramme, ProgrammeStatus, Sharing};
use catalog::user::{NewUser, Role};

const PLACES: &[&str] = &["攀枝花", "米易", "盐边", "仁和", "东区", "西区", "格萨拉", "二滩"];
const TOPICS: &[&str] = &[
    "芒果种植技术",
    "玉米病虫害防治",
    "暴雨预警科普",
    "彝族火把节",
    "少儿安全教育",
    "新闻联播",
    "4K纪录片 阳光花城",
    "CCTV-7 农业频道精选",
    "2024年春耕备耕",
    "枇杷采摘",
    "森林防火",
    "乡村振兴故事",
    "钒钛产业",
    "康养旅游",
    "石榴丰收",
    "交通安全",
];

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).map(String::as_str).unwrap_or("sqlite");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let port: u16 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(18080);
    let trivial_port: u16 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(18081);
    let info = std::path::PathBuf::from(args.get(5).cloned().unwrap_or_else(|| "/tmp/kapok-web-bench".into()));
    std::fs::create_dir_all(&info).unwrap();
    let data = tempfile::tempdir().unwrap();
    // KAPOK_BENCH_DB: keep the SQLite file there (for looking at query plans afterwards).
    let db =
        std::env::var("KAPOK_BENCH_DB").map(std::path::PathBuf::from).unwrap_or_else(|_| data.path().join("kapok.db"));
    let url = match backend {
        "postgres" => catalog::testing::postgres_database_url().await,
        _ => format!("sqlite://{}", db.display()),
    };
    let mut store = catalog::Store::connect(&url).await.unwrap();
    // KAPOK_SEARCH_CONCURRENCY: as `kapok serve` takes it (bench/web.md compares settings).
    if let Some(n) = std::env::var("KAPOK_SEARCH_CONCURRENCY").ok().and_then(|v| v.parse().ok()) {
        store.set_search_concurrency(n);
    }

    let started = Instant::now();
    let centres = ["510400", "510402", "510403", "510411", "510421", "510422"];
    let mut ids = Vec::new();
    let batch = 2_000;
    for start in (0..n).step_by(batch) {
        let news: Vec<NewProgramme> = (start..(start + batch).min(n))
            .map(|i| {
                let title = format!("{}{} 第{}期", PLACES[i % PLACES.len()], TOPICS[(i / 7) % TOPICS.len()], i);
                let cat = Category::ALL[i % Category::ALL.len()];
                let mut p = NewProgramme::new(CentreCode::parse(centres[i % centres.len()]).unwrap(), title, cat);
                p.sharing = if i % 2 == 0 { Sharing::Network } else { Sharing::Private };
                p.description = format!("{}的{}节目，面向全市观众。", PLACES[(i / 3) % PLACES.len()], cat);
                p.tags = vec![TOPICS[i % TOPICS.len()].chars().take(2).collect()];
                p
            })
            .collect();
        let got = store.import_programmes(&Actor::system("bench"), &news, ProgrammeStatus::Ready).await.unwrap();
        ids.extend(got.into_iter().step_by(97));
    }
    store.analyze().await.unwrap();
    eprintln!("loaded {n} programmes into {backend} in {:.1} s", started.elapsed().as_secs_f64());

    let user = store
        .create_user(
            &Actor::system("bench"),
            &NewUser {
                username: "bench".into(),
                display_name: "bench".into(),
                password_hash: "unused".into(),
                role: Role::Viewer,
                centre: CentreCode::parse("510421").unwrap(),
            },
        )
        .await
        .unwrap();
    let (_, secret) =
        web::routes::users::issue(&store, &Actor::system("bench"), &user, "bench", Role::Viewer, None).await.unwrap();
    // Ids the viewer may read (own centre or shared), for random get-by-id.
    let mut readable = Vec::new();
    for id in ids {
        let p = store.get_programme(id).await.unwrap();
        if p.centre.as_str() == "510421" || p.sharing == Sharing::Network {
            readable.push(id.to_string());
        }
    }
    std::fs::write(info.join("token"), &secret).unwrap();
    std::fs::write(info.join("ids"), readable.join("\n")).unwrap();

    let media = catalog::media::MediaStore::local(data.path().join("media")).unwrap();
    // PORT+3: the uncached router with searches ungated (as before the search gate), so one run
    // compares the two on the same database in the same minute.
    let mut ungated_store = store.clone();
    ungated_store.set_search_concurrency(4096);
    let desk = kapok::desk::EmergencyDesk::new(data.path().join("work"));
    let state = web::state::AppState::new(store, media, std::sync::Arc::new(desk));
    let mut uncached = state.clone();
    uncached.search_cache = std::sync::Arc::new(web::cache::search::SearchCache::new(std::time::Duration::ZERO));
    let mut ungated = uncached.clone();
    ungated.store = ungated_store;
    let app = web::app::router(state);
    let app_uncached = web::app::router(uncached);
    let app_ungated = web::app::router(ungated);
    let trivial = axum::Router::new().route("/trivial", axum::routing::get(|| async { "ok" }));
    let l1 = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let l2 = tokio::net::TcpListener::bind(("127.0.0.1", trivial_port)).await.unwrap();
    let l3 = tokio::net::TcpListener::bind(("127.0.0.1", port + 2)).await.unwrap();
    let l4 = tokio::net::TcpListener::bind(("127.0.0.1", port + 3)).await.unwrap();
    std::fs::write(info.join("ready"), "1").unwrap();
    eprintln!(
        "serving on {port} (api), {} (api, search cache off), {} (cache off, searches ungated) and {trivial_port} \
         (trivial)",
        port + 2,
        port + 3
    );
    let serve = |l, app: axum::Router| axum::serve(l, app.into_make_service_with_connect_info::<SocketAddr>());
    tokio::try_join!(
        serve(l1, app).into_future(),
        serve(l3, app_uncached).into_future(),
        serve(l4, app_ungated).into_future(),
        axum::serve(l2, trivial).into_future()
    )
    .unwrap();
}
