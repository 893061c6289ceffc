//! Schedules through the stored path (bench/schedules.sh): the benchmark's synthetic catalog
//! (`schedules::demo::catalog`, 100,000 programmes) is stored in a fresh SQLite or PostgreSQL
//! catalog, 12 channels (a TV and a radio channel per centre) get the demo template through
//! `PUT /api/channels/{id}/template`, and every channel-day of a week is generated through
//! `POST /api/channels/{id}/days/{date}/generate` over loopback, one request at a time. Then
//! `GET /api/channels/{id}/days/{date}` (the day with its validation) is timed 100 times.
//!
//! `schedule_bench_stored sqlite|postgres [N]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Instant;

use catalog::audit::Actor;
use catalog::channel::{ChannelFormat, ChannelKind, NewChannel};
use catalog::ids::CentreCode;
use catalog::programme::{Category, NewProgramme, ProgrammeStatus, Sharing};
use catalog::user::{NewUser, Role};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

/// The demo catalog's categories as the catalog's controlled list names them.
fn category(demo: &str) -> &'static str {
    match demo {
        "涉农" => "涉农",
        "news" => "新闻",
        "culture" => "文化",
        "drama" => "综艺",
        "应急" => "应急科普",
        "kids" => "少儿",
        "ident" => "台标宣传",
        _ => "公益",
    }
}

/// Renames every demo category named in the template JSON.
fn rename(v: &mut Value) {
    match v {
        Value::String(s) if schedules::demo::CATEGORIES.contains(&s.as_str()) => *s = category(s).to_string(),
        Value::Array(a) => a.iter_mut().for_each(rename),
        Value::Object(o) => o.values_mut().for_each(rename),
        _ => {}
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).map(String::as_str).unwrap_or("sqlite");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let data = tempfile::tempdir().unwrap();
    let url = match backend {
        "postgres" => catalog::testing::postgres_database_url().await,
        _ => format!("sqlite://{}", data.path().join("kapok.db").display()),
    };
    let store = catalog::Store::connect(&url).await.unwrap();
    let now = Utc::now();
    let t0 = Instant::now();
    let actor = Actor::system("bench");
    let demo = schedules::demo::catalog(n, 7, now);
    for chunk in demo.chunks(2_000) {
        for ready in [true, false] {
            let part: Vec<_> = chunk.iter().filter(|p| p.ready == ready).collect();
            let news: Vec<NewProgramme> = part
                .iter()
                .map(|p| {
                    let cat = Category::parse(category(&p.category)).unwrap();
                    let mut new = NewProgramme::new(CentreCode::parse(p.centre.as_str()).unwrap(), &p.title, cat);
                    new.sharing = if p.shared { Sharing::Network } else { Sharing::Private };
                    new.series = p.series.clone();
                    new.tags = p.tags.clone();
                    new.language = p.language.clone();
                    new.rights_from = p.rights_from;
                    new.rights_until = p.rights_until;
                    new
                })
                .collect();
            let ms: Vec<i64> = part.iter().map(|p| (p.duration.as_secs_f64() * 1000.0).round() as i64).collect();
            let status = if ready { ProgrammeStatus::Ready } else { ProgrammeStatus::Processing };
            store.import_programmes_with_durations(&actor, &news, &ms, status).await.unwrap();
        }
    }
    store.analyze().await.unwrap();
    println!("stored {n} programmes into {backend} in {:.1} s", t0.elapsed().as_secs_f64());

    let admin = store
        .create_user(
            &actor,
            &NewUser {
                username: "bench".into(),
                display_name: "bench".into(),
                password_hash: "unused".into(),
                role: Role::NetworkAdmin,
                centre: CentreCode::parse(CentreCode::CITY).unwrap(),
            },
        )
        .await
        .unwrap();
    let (_, token) =
        web::routes::users::issue(&store, &actor, &admin, "bench", Role::NetworkAdmin, None).await.unwrap();
    let mut template = serde_json::to_value(schedules::demo::template().unwrap()).unwrap();
    rename(&mut template);
    let mut channels = Vec::new();
    for centre in schedules::demo::CENTRES {
        for (kind, format) in [(ChannelKind::Tv, ChannelFormat::tv_hd()), (ChannelKind::Radio, ChannelFormat::radio())]
        {
            let c = store
                .create_channel(
                    &actor,
                    &NewChannel {
                        centre: CentreCode::parse(centre).unwrap(),
                        slug: format!("{centre}-{kind}"),
                        name: format!("{centre} {kind}"),
                        kind,
                        format,
                        day_start: "06:00".into(),
                        time_zone: "Asia/Shanghai".into(),
                    },
                )
                .await
                .unwrap();
            channels.push(c);
        }
    }

    let media = catalog::media::MediaStore::local(data.path().join("media")).unwrap();
    let desk = kapok::desk::EmergencyDesk::new(std::env::temp_dir().join("kapok-bench-desk"));
    let app = web::app::router(web::state::AppState::new(store, media, std::sync::Arc::new(desk)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    let http = reqwest::Client::new();
    for c in &channels {
        let r = http
            .put(format!("{base}/api/channels/{}/template", c.id))
            .bearer_auth(&token)
            .json(&template)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    let first = (now + Duration::days(1)).date_naive();
    let (mut items, mut breaks, mut first_call) = (0usize, 0usize, None);
    let t1 = Instant::now();
    for c in &channels {
        for d in 0..7 {
            let t = Instant::now();
            let date = first + Duration::days(d);
            let r = http
                .post(format!("{base}/api/channels/{}/days/{date}/generate", c.id))
                .bearer_auth(&token)
                .json(&json!({ "seed": 1 }))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let b: Value = r.json().await.unwrap();
            assert_eq!(status, 201, "{b}");
            items += b["playlist"]["items"].as_array().map_or(0, Vec::len);
            breaks += b["exceptions"].as_array().map_or(0, Vec::len);
            first_call.get_or_insert(t.elapsed());
        }
    }
    let t_gen = t1.elapsed();
    let last = channels.last().unwrap();
    let date = first + Duration::days(6);
    let runs = 100;
    let t2 = Instant::now();
    for _ in 0..runs {
        let r = http.get(format!("{base}/api/channels/{}/days/{date}", last.id)).bearer_auth(&token).send().await;
        assert_eq!(r.unwrap().status(), 200);
    }
    let t_day = t2.elapsed() / runs;
    println!(
        "generate 7 d x 12 ch through POST .../generate  {:.3} s  ({} channel-days, {items} items, {breaks} rule breaks)",
        t_gen.as_secs_f64(),
        channels.len() * 7
    );
    println!(
        "first request (builds the centre's candidate index)  {:.1} ms",
        first_call.unwrap_or_default().as_secs_f64() * 1e3
    );
    println!("GET one day with its validation (mean of {runs})  {:.2} ms", t_day.as_secs_f64() * 1e3);
}
