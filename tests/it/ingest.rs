//! `kapok ingest` from a county's file to a ready programme, as an operator runs it: on the
//! all-in-one defaults (SQLite, local store) and on the network deployment's parts
//! (PostgreSQL, S3), with bad input, duplicate content and a running server doing the work.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{ffprobe, kapok, make_clip};

fn ingest(file: &Path, title: &str, env: &[(&str, String)], wait: bool) -> (Option<i32>, serde_json::Value, String) {
    ingest_for("510421", file, title, env, wait)
}

/// `kapok ingest` of `file` for `centre`: exit code, the programme as JSON, stderr.
fn ingest_for(
    centre: &str,
    file: &Path,
    title: &str,
    env: &[(&str, String)],
    wait: bool,
) -> (Option<i32>, serde_json::Value, String) {
    let mut args = vec!["ingest", file.to_str().unwrap(), "--centre", centre, "--title", title, "--category", "涉农"];
    if wait {
        args.push("--wait");
    }
    let out = kapok(&args, env);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), json, stderr)
}

fn asset<'a>(p: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    p["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} asset in {p}"))
}

#[test]
fn a_clip_becomes_a_ready_house_programme_at_the_loudness_target() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("mango.mp4");
    make_clip(&clip, 2, "640x360", 440);
    let data = dir.path().join("data");
    let env = [("KAPOK_DATA", data.display().to_string())];
    let (code, p, stderr) = ingest(&clip, "攀枝花芒果种植技术", &env, true);
    assert_eq!(code, Some(0), "{stderr}\n{p}");
    assert_eq!(p["status"], "ready", "{p}");
    for kind in ["source", "house", "proxy", "poster"] {
        let a = asset(&p, kind);
        assert_eq!(a["sha256"].as_str().unwrap().len(), 64, "{kind}");
    }
    let house_lufs = p["loudness"]["house"]["integrated_lufs"].as_f64().unwrap();
    assert!((house_lufs + 24.0).abs() <= 0.5, "house loudness {house_lufs} LUFS, target -24");
    assert!(p["loudness"]["source"]["integrated_lufs"].is_number());
    assert!(p["qc"]["verdict"].is_string());

    // The house file in the local store, checked by ffprobe: 1920x1080 25p H.264 + AAC 48 kHz.
    let house = data.join("media").join(asset(&p, "house")["key"].as_str().unwrap());
    let probe = ffprobe(&house);
    let streams = probe["streams"].as_array().unwrap();
    let v = streams.iter().find(|s| s["codec_type"] == "video").unwrap();
    let a = streams.iter().find(|s| s["codec_type"] == "audio").unwrap();
    assert_eq!(
        (v["codec_name"].as_str(), v["width"].as_u64(), v["height"].as_u64()),
        (Some("h264"), Some(1920), Some(1080))
    );
    assert_eq!(v["r_frame_rate"], "25/1");
    assert_eq!((a["codec_name"].as_str(), a["sample_rate"].as_str()), (Some("aac"), Some("48000")));
}

#[test]
fn a_centre_configured_for_minus_23_gets_minus_23_while_the_others_keep_minus_24() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("KAPOK_DATA", data.display().to_string()), ("KAPOK_LOUDNESS_TARGETS", "510421=-23".to_string())];
    for (centre, tone, want) in [("510421", 440, -23.0), ("510402", 520, -24.0)] {
        let clip = dir.path().join(format!("{centre}.mp4"));
        make_clip(&clip, 3, "640x360", tone);
        let (code, p, stderr) = ingest_for(centre, &clip, "农技讲座", &env, true);
        assert_eq!((code, p["status"].as_str()), (Some(0), Some("ready")), "{centre}: {stderr}\n{p}");
        // The programme records the target it was normalised to, beside both measurements.
        assert_eq!(p["loudness"]["target"]["integrated_lufs"].as_f64(), Some(want), "{centre}: {p}");
        assert_eq!(p["loudness"]["target"]["true_peak_ceiling_dbtp"].as_f64(), Some(-2.0));
        let stored = p["loudness"]["house"]["integrated_lufs"].as_f64().unwrap();
        assert!((stored - want).abs() <= 0.5, "{centre}: stored house loudness {stored}, target {want}");
        let findings = p["qc"]["findings"].as_array().unwrap();
        assert!(findings.iter().all(|f| f["check"] != "loudness"), "{centre}: QC judged another target: {p}");
        // FFmpeg's own ebur128 filter on the house file in the store, independent of Kapok.
        let house = data.join("media").join(asset(&p, "house")["key"].as_str().unwrap());
        let (lufs, peak) = common::media::ffmpeg_loudness(&house);
        assert!((lufs - want).abs() <= 0.5, "{centre}: house file measures {lufs} LUFS, target {want}");
        assert!(peak <= -1.8, "{centre}: true peak {peak} dBTP over the -2 dBTP ceiling");
    }
}

#[test]
fn bad_files_end_with_a_clear_reason_and_identical_content_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("KAPOK_DATA", dir.path().join("data").display().to_string())];

    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    let (code, _, stderr) = ingest(&empty, "空文件", &env, true);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("empty"), "{stderr}");

    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "这不是视频文件 this is not a video\n".repeat(100)).unwrap();
    let (code, p, stderr) = ingest(&text, "文本冒充视频", &env, true);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(p["status"], "failed");
    assert!(p["reason"].as_str().is_some_and(|r| !r.is_empty()), "{p}");
    assert!(
        p["assets"].as_array().unwrap().iter().all(|a| a["kind"] == "source"),
        "nothing half-made is recorded: {p}"
    );

    let missing = dir.path().join("nope.mp4");
    let (code, _, stderr) = ingest(&missing, "不存在", &env, false);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("nope.mp4"), "{stderr}");

    let clip = dir.path().join("clip.mp4");
    make_clip(&clip, 1, "320x240", 600);
    let (_, first, _) = ingest(&clip, "第一次", &env, false);
    let (_, second, _) = ingest(&clip, "第二次", &env, false);
    assert_eq!(first["status"], "queued");
    assert_ne!(first["id"], second["id"]);
    assert_eq!(asset(&first, "source")["key"], asset(&second, "source")["key"], "the same bytes are stored once");
}

#[test]
fn a_running_server_picks_up_what_the_cli_queued() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [
        ("KAPOK_DATA", data.display().to_string()),
        ("KAPOK_ADMIN_PASSWORD", "进度-事件-测试-2026".to_string()),
        ("KAPOK_LOUDNESS_TARGETS", "510421=-23".to_string()),
    ];
    let server = common::serve(&env);
    // Watch the event stream as the network admin while the server works.
    let login = reqwest::blocking::Client::new()
        .post(format!("{}/api/auth/login", server.base))
        .json(&serde_json::json!({ "username": "admin", "password": "进度-事件-测试-2026" }))
        .send()
        .unwrap();
    let cookie = login.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let events = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    {
        let (events, url, cookie) = (events.clone(), format!("{}/api/events", server.base), cookie.clone());
        std::thread::spawn(move || {
            use std::io::Read;
            let client = reqwest::blocking::Client::builder().timeout(None).build().unwrap();
            let Ok(mut r) = client.get(url).header("cookie", cookie).send() else { return };
            let mut buf = [0u8; 4096];
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                events.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
    }
    let clip = dir.path().join("news.mp4");
    make_clip(&clip, 2, "320x240", 880);
    let (code, p, stderr) = ingest(&clip, "仁和新闻", &env, false);
    assert_eq!((code, p["status"].as_str()), (Some(0), Some("queued")), "{stderr}");
    let db = format!("sqlite://{}", data.join("kapok.db").display());
    let id = catalog::ids::ProgrammeId::parse(p["id"].as_str().unwrap()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let settled = rt.block_on(async {
        let store = catalog::Store::connect(&db).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let p = store.get_programme(id).await.unwrap();
            if matches!(p.status.as_str(), "ready" | "failed") || Instant::now() > deadline {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    assert_eq!(settled.status.as_str(), "ready");
    let loudness = settled.loudness.unwrap();
    assert_eq!(loudness["target"]["integrated_lufs"].as_f64(), Some(-23.0), "the server's worker: {loudness}");
    let seen = events.lock().unwrap().clone();
    assert!(
        seen.contains("job.progress") && seen.contains(&id.to_string()),
        "no progress events for {id}: {seen:.300}"
    );
}

#[test]
fn the_network_deployment_ingests_into_postgresql_and_s3() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (db, s3) = rt.block_on(async {
        let s3 = catalog::media::testing::S3TestServer::start()
            .await
            .expect("S3 test server (moto): scripts/setup-debian.sh");
        (catalog::testing::postgres_database_url().await, s3)
    });
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("county.mp4");
    make_clip(&clip, 2, "640x360", 500);
    let cfg = s3.config("kapok");
    let env = [
        ("KAPOK_DATA", dir.path().join("data").display().to_string()),
        ("KAPOK_DATABASE_URL", db),
        ("KAPOK_STORAGE_URL", cfg.url.clone()),
        ("KAPOK_S3_ENDPOINT", s3.endpoint()),
        ("KAPOK_S3_REGION", cfg.s3_region.clone().unwrap()),
        ("KAPOK_S3_ACCESS_KEY_ID", cfg.s3_access_key_id.clone().unwrap()),
        ("KAPOK_S3_SECRET_ACCESS_KEY", cfg.s3_secret_access_key.clone().unwrap()),
        ("KAPOK_S3_ALLOW_HTTP", "true".to_string()),
    ];
    let (code, p, stderr) = ingest(&clip, "盐边县农技推广", &env, true);
    assert_eq!(code, Some(0), "{stderr}\n{p}");
    assert_eq!(p["status"], "ready");
    let house_key = asset(&p, "house")["key"].as_str().unwrap().to_string();
    let size = rt.block_on(async {
        let store = catalog::media::MediaStore::open(&cfg).unwrap();
        store.head(&catalog::media::Key::parse(house_key).unwrap()).await.unwrap().map(|m| m.size)
    });
    assert!(size.unwrap_or(0) > 10_000, "the house file is in the S3 bucket");
}

/// The statuses of `ids` in the catalog at `db`.
fn statuses(rt: &tokio::runtime::Runtime, db: &str, ids: &[catalog::ids::ProgrammeId]) -> Vec<String> {
    rt.block_on(async {
        let store = catalog::Store::connect(db).await.unwrap();
        let mut v = Vec::new();
        for id in ids {
            v.push(store.get_programme(*id).await.unwrap().status.as_str().to_string());
        }
        store.close().await;
        v
    })
}

#[test]
fn a_server_runs_worker_concurrency_jobs_at_once_and_none_when_it_is_zero() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = format!("sqlite://{}", data.join("kapok.db").display());
    let env = |n: &str| [("KAPOK_DATA", data.display().to_string()), ("KAPOK_WORKER_CONCURRENCY", n.to_string())];
    let rt = tokio::runtime::Runtime::new().unwrap();

    // No worker in the server: what the CLI queued stays queued.
    let server = common::serve(&env("0"));
    let mut ids = Vec::new();
    for (i, tone) in [430, 570].into_iter().enumerate() {
        let clip = dir.path().join(format!("parallel-{i}.mp4"));
        make_clip(&clip, 8, "640x360", tone);
        let (code, p, stderr) = ingest(&clip, "并行入库", &env("0"), false);
        assert_eq!((code, p["status"].as_str()), (Some(0), Some("queued")), "{stderr}");
        ids.push(catalog::ids::ProgrammeId::parse(p["id"].as_str().unwrap()).unwrap());
    }
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(statuses(&rt, &db, &ids), ["queued", "queued"], "a server with worker_concurrency 0 ingests nothing");
    drop(server);

    // Two at once: both programmes are processing together before both are ready.
    let _server = common::serve(&env("2"));
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut together = false;
    loop {
        let now = statuses(&rt, &db, &ids);
        together |= now.iter().all(|s| s == "processing");
        if now.iter().all(|s| s == "ready") {
            break;
        }
        assert!(Instant::now() < deadline && !now.iter().any(|s| s == "failed"), "{now:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(together, "the two jobs never ran at the same time");
}

#[test]
fn a_worker_killed_mid_ingest_leaves_a_lease_that_expires_and_another_worker_finishes_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [
        ("KAPOK_DATA", data.display().to_string()),
        ("KAPOK_WORKER_LEASE_S", "3".to_string()),
        ("KAPOK_LOUDNESS_TARGETS", "510421=-23".to_string()),
    ];
    let clip = dir.path().join("long.mp4");
    make_clip(&clip, 10, "640x360", 440);
    let (code, p, stderr) = ingest(&clip, "断电也能完成", &env, false);
    assert_eq!((code, p["status"].as_str()), (Some(0), Some("queued")), "{stderr}");
    let id = catalog::ids::ProgrammeId::parse(p["id"].as_str().unwrap()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(catalog::Store::connect(&format!("sqlite://{}", data.join("kapok.db").display()))).unwrap();
    let job = || {
        let jobs = rt.block_on(store.list_jobs(None, 500)).unwrap();
        jobs.into_iter().find(|j| j.payload["programme_id"] == id.to_string()).unwrap()
    };

    // The first worker is killed while it transcodes (its heartbeats have recorded the stage).
    let mut first = common::WorkerProcess::start(&env);
    let deadline = Instant::now() + Duration::from_secs(120);
    let held = loop {
        let j = job();
        if j.status.as_str() == "running" && j.progress.as_ref().is_some_and(|p| p["stage"] == "transcode") {
            break j;
        }
        assert!(Instant::now() < deadline && j.status.as_str() != "done", "never saw the transcode: {j:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let killed_at = chrono::Utc::now();
    let left = job();
    assert_eq!((left.status.as_str(), left.attempts), ("running", 1), "the dead worker's lease stays: {left:?}");
    assert_eq!(left.lease_owner, held.lease_owner);
    assert!(left.lease_expires_at.unwrap() > killed_at, "the lease had not run out when the worker died");
    assert_eq!(rt.block_on(store.get_programme(id)).unwrap().status.as_str(), "processing");

    // A second worker asks for work at once, but takes the job over only once the lease has
    // run out; then it finishes it.
    let _second = common::WorkerProcess::start(&env);
    let expires = left.lease_expires_at.unwrap();
    while chrono::Utc::now() < expires {
        let j = job();
        if chrono::Utc::now() < expires {
            assert_eq!(j.attempts, 1, "taken over before the lease ran out: {j:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    let done = loop {
        let p = rt.block_on(store.get_programme(id)).unwrap();
        if matches!(p.status.as_str(), "ready" | "failed") {
            break p;
        }
        assert!(Instant::now() < deadline, "never settled: {:?}", job());
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(done.status.as_str(), "ready", "{:?}", done.reason);
    let finished = job();
    assert_eq!((finished.status.as_str(), finished.attempts), ("done", 2));
    assert_ne!(finished.lease_owner, held.lease_owner, "finished by the other worker");
    assert_eq!(done.loudness.unwrap()["target"]["integrated_lufs"].as_f64(), Some(-23.0), "kapok worker's target");
    let mut kinds: Vec<String> =
        rt.block_on(store.list_assets(id)).unwrap().iter().map(|a| a.kind.as_str().to_string()).collect();
    kinds.sort();
    assert_eq!(kinds, ["house", "poster", "proxy", "source", "thumbnail"], "one of each, none twice");
    let work: Vec<_> = std::fs::read_dir(data.join("work")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(work.iter().all(|n| !n.to_string_lossy().starts_with("job-")), "attempts' scratch removed: {work:?}");
}

/// The binary as an operator may install it: renamed (`kapok-1.4`), alone in its directory,
/// started from another directory. Its media child is itself: before, a `kapok` renamed this
/// way failed every ingest with "no kapok binary to run the media child" (seen in a soak run
/// of a copied release binary, 7 Dec).
#[test]
fn a_renamed_kapok_binary_started_from_elsewhere_ingests_with_itself_as_the_media_child() {
    let dir = tempfile::tempdir().unwrap();
    let bin_dir = dir.path().join("opt");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let bin = bin_dir.join("kapok-1.4");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_kapok"), &bin).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_kapok"), &bin).unwrap();
    }
    let clip = dir.path().join("mango.mp4");
    make_clip(&clip, 1, "320x240", 440);
    let elsewhere = dir.path().join("home");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let out = std::process::Command::new(&bin)
        .args([
            "ingest",
            clip.to_str().unwrap(),
            "--centre",
            "510421",
            "--title",
            "改名",
            "--category",
            "涉农",
            "--wait",
        ])
        .env("KAPOK_DATA", dir.path().join("data"))
        .env_remove("KAPOK_MEDIA_CHILD")
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(p["status"], "ready", "{p}\n{}", String::from_utf8_lossy(&out.stderr));
}
