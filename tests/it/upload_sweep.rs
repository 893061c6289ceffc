//! `kapok serve` sweeps an upload that stops half-way and is never resumed: with
//! `KAPOK_UPLOAD_EXPIRY_S=1` its bytes and row go and its programme fails with the reason,
//! through the real binary, its real sweeper task and a session login (cookie + CSRF).

use crate::common;

use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_abandoned_half_way_is_swept_by_kapok_serve_after_its_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("KAPOK_DATA", dir.path().display().to_string()),
        ("KAPOK_UPLOAD_EXPIRY_S", "1".to_string()),
        ("KAPOK_ADMIN_PASSWORD", "sweeper test password".to_string()),
    ];
    let server = common::serve_with_args(&["--role", "api"], &env);
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{}/api/auth/login", server.base))
        .json(&serde_json::json!({ "username": "admin", "password": "sweeper test password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let body: serde_json::Value = login.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    let with_session = |rb: reqwest::RequestBuilder| {
        rb.header("Cookie", &cookie).header("X-CSRF-Token", &csrf).header("Tus-Resumable", "1.0.0")
    };

    // filename a.mp4, title 半途, centre 510421
    let r = with_session(http.post(format!("{}/api/uploads", server.base)))
        .header("Upload-Length", "1000")
        .header("Upload-Metadata", "filename YS5tcDQ=,title 5Y2K6YCU,centre NTEwNDIx")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let location = format!("{}{}", server.base, r.headers()["location"].to_str().unwrap());
    let pid = r.headers()["kapok-programme-id"].to_str().unwrap().to_string();
    let r = with_session(http.patch(&location))
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(vec![1u8; 400])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    // The sweep is three steps (the row, the programme, the segments): wait for all of them,
    // so a loaded machine that sees the row gone first does not fail the test.
    let segments = dir.path().join("media/uploads");
    let left = || std::fs::read_dir(&segments).map(|d| d.count()).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    let (head, p) = loop {
        let head = with_session(http.head(&location)).send().await.unwrap().status();
        assert!(head == 200 || head == 404, "HEAD answered {head}");
        let p: serde_json::Value = with_session(http.get(format!("{}/api/programmes/{pid}", server.base)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let swept = head == 404 && p["status"] != "uploading" && left() == 0;
        if swept || Instant::now() >= deadline {
            break (head, p);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(head, 404, "the abandoned upload was never swept");
    assert_eq!(p["status"], "failed", "{p}");
    assert!(p["reason"].as_str().unwrap().contains("abandoned: 400 of 1000 bytes"), "{p}");
    assert_eq!(left(), 0, "segments left under {}", segments.display());
}
