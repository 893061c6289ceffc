//! The first run as a newcomer sees it: `kapok serve` on an empty data directory puts a demo
//! TV and a demo radio channel on air, their HLS previews are served over HTTP and decode
//! (checked by ffprobe, independent of the engine), their metrics are at `/metrics`, and
//! what aired is in the as-run log.

use crate::common;

use std::time::{Duration, Instant};

fn probe_url(url: &str) -> serde_json::Value {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_streams", url])
        .output()
        .expect("ffprobe");
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

#[test]
fn a_first_run_puts_a_tv_and_a_radio_channel_on_air_with_hls_previews() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = common::serve(&[("KAPOK_DATA", data.display().to_string())]);
    let started = Instant::now();
    let client = reqwest::blocking::Client::new();
    let ready = |slug: &str| {
        let r = client.get(format!("{}/hls/{slug}/index.m3u8", server.base)).send();
        r.ok().filter(|r| r.status() == 200).and_then(|r| r.text().ok()).is_some_and(|t| t.contains(".ts"))
    };
    while !(ready("pzh-demo-tv") && ready("pzh-demo-radio")) {
        assert!(started.elapsed() < Duration::from_secs(90), "the previews were not on air within 90 s");
        std::thread::sleep(Duration::from_millis(500));
    }
    let on_air_after = started.elapsed();
    eprintln!("both previews on air {:.1} s after start", on_air_after.as_secs_f64());

    // Prometheus scrapes both channels at /metrics, without a token.
    let metrics = client.get(format!("{}/metrics", server.base)).send().unwrap();
    assert_eq!(metrics.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let metrics = metrics.text().unwrap();
    for line in [
        "kapok_playout_frames_total{channel=\"pzh-demo-tv\"} ",
        "kapok_playout_samples_total{channel=\"pzh-demo-radio\"} ",
    ] {
        let value = metrics.lines().find_map(|l| l.strip_prefix(line)).and_then(|v| v.parse::<f64>().ok());
        assert!(value.is_some_and(|v| v > 0.0), "{line}: {value:?} in\n{metrics}");
    }

    let tv = probe_url(&format!("{}/hls/pzh-demo-tv/index.m3u8", server.base));
    let streams = tv["streams"].as_array().expect("tv streams");
    assert!(streams.iter().any(|s| s["codec_name"] == "h264" && s["width"] == 1280 && s["height"] == 720), "{tv}");
    assert!(streams.iter().any(|s| s["codec_name"] == "aac" && s["sample_rate"] == "48000"), "{tv}");
    let radio = probe_url(&format!("{}/hls/pzh-demo-radio/index.m3u8", server.base));
    let streams = radio["streams"].as_array().expect("radio streams");
    assert!(streams.iter().all(|s| s["codec_type"] == "audio"), "radio is audio only: {radio}");
    assert!(!streams.is_empty());

    // Items end within a demo programme's 30 s; wait for the first as-run rows.
    let db = format!("sqlite://{}", data.join("kapok.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rows = rt.block_on(async {
        let store = catalog::Store::connect(&db).await.unwrap();
        let (from, until) =
            (chrono::Utc::now() - chrono::Duration::hours(1), chrono::Utc::now() + chrono::Duration::hours(1));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let rows = store.list_as_run("pzh-demo-tv", from, until, 100).await.unwrap();
            if !rows.is_empty() || Instant::now() > deadline {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    assert!(!rows.is_empty(), "no as-run recorded for the TV channel");
    assert_eq!(rows[0].outcome, "played", "{:?}", rows[0]);
    assert!(rows[0].title.as_deref().unwrap_or("").contains("演示"));
}

#[test]
fn a_fresh_server_names_what_each_channel_airs_in_now_next_published_day_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = common::serve(&[("KAPOK_DATA", data.display().to_string())]);
    // A loaded machine (the full suite, other builds) makes the first run slow: as the browser walk.
    common::wait_for_demo_channels(&server.base, Duration::from_secs(180));
    let call = common::api_as(&server.base, &common::token(&data, "admin"));
    let (s, channels) = call(reqwest::Method::GET, "/api/channels", None);
    assert_eq!(s, 200, "{channels}");
    let time = |v: &serde_json::Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or("")).ok();
    for ch in channels.as_array().unwrap() {
        let (s, nn) =
            call(reqwest::Method::GET, &format!("/api/channels/{}/now-next", ch["id"].as_str().unwrap()), None);
        assert_eq!(s, 200, "{nn}");
        // Nothing is published: the guide is empty, the engine airs the channel's cycle.
        assert!(nn["now"].is_null() && nn["next"].is_null(), "{nn}");
        let (now, next) = (&nn["airing"]["now"], &nn["airing"]["next"]);
        let title = now["title"].as_str().unwrap_or_else(|| panic!("no title airing: {nn}"));
        assert!(title.contains("演示"), "{nn}");
        // The cycle's ident and public-service spot are fillers; the rest programmes.
        let filler = title.contains("台标宣传") || title.contains("公益广告");
        assert_eq!(now["kind"], if filler { "filler" } else { "programme" }, "{nn}");
        let (start, stop) = (time(&now["start"]).expect("a start"), time(&now["stop"]).expect("a stop"));
        let at = chrono::Utc::now();
        assert!(start <= at + chrono::Duration::seconds(1) && at < stop + chrono::Duration::seconds(1), "{at} in {nn}");
        assert!(stop - start >= chrono::Duration::seconds(1), "{nn}");
        assert!(next["title"].as_str().is_some_and(|t| t.contains("演示")), "{nn}");
        assert_eq!(time(&next["start"]), Some(stop), "next begins where now ends: {nn}");
    }
    // A time asked for reads the published guide only.
    let id = channels[0]["id"].as_str().unwrap();
    let (_, at) = call(reqwest::Method::GET, &format!("/api/channels/{id}/now-next?at=2026-01-01T00:00:00Z"), None);
    assert!(at.get("airing").is_none(), "{at}");
}
