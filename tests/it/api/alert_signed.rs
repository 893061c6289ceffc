//! `POST /api/alerts` without a session or token: a CAP alert signed (XML-DSig RSA-SHA256)
//! by a configured key, or an EBD with a detached SM2 signature by a configured key made in
//! the test, is accepted; a wrong, missing or replayed signature is a 401 with the reason and
//! nothing is stored or aired.

use super::common;

use common::error_of;
use schedules::emergency::authenticate::Authority;
use serde_json::Value;
use sm2::dsa::signature::Signer as _;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/schedules/tests/fixtures/alerts/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Trusts the fixture CAP key as `pzh-cap-01` (and `sm2`, when given). The CAP fixtures were
/// signed by xmlsec1 for 2026-07-01, so the replay window is widened for them; `max_age_s`
/// narrows it again for the replay test.
fn authority(cap_pem: &str, sm2: Option<&sm2::dsa::SigningKey>, max_age_s: u32) -> Authority {
    let sources = kapok::config::alerts::AlertSources::default();
    let mut a = sources.authority().unwrap();
    a.replay.max_age_s = max_age_s;
    a.cap_keys.add_pem("pzh-cap-01", &String::from_utf8(fixture(cap_pem)).unwrap()).unwrap();
    if let Some(k) = sm2 {
        a.ebd_keys.add_sec1_hex("pzh-ebs-01", &hex::encode(k.verifying_key().to_sec1_bytes()), None).unwrap();
    }
    a
}

async fn post(app: &common::App, body: Vec<u8>, ebd_signature: Option<String>) -> reqwest::Response {
    let mut rb = app.http.post(app.url("/api/alerts")).header("content-type", "application/xml").body(body);
    if let Some(sig) = ebd_signature {
        rb = rb.header("x-ebd-signature", sig);
    }
    rb.send().await.unwrap()
}

async fn refused(app: &common::App, body: Vec<u8>, sig: Option<String>, words: &str) {
    let r = post(app, body, sig).await;
    let (status, code, message) = error_of(r).await;
    assert_eq!((status, code.as_str()), (401, "unauthenticated_alert"), "{message}");
    assert!(message.contains(words), "{message:?} does not say {words:?}");
}

/// The EBM fixture re-dated to `sent` (Beijing time) with EBM id suffix `n`.
fn ebd_sent(sent: chrono::DateTime<chrono::Utc>, n: u32) -> Vec<u8> {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let f = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
    String::from_utf8(fixture("ebm_publish_miyi.xml"))
        .unwrap()
        .replace("2026-07-01 08:30:00", &f(sent))
        .replace("2026-07-01 08:30:05", &f(sent))
        .replace("2026-07-01 20:30:00", &f(sent + chrono::Duration::hours(12)))
        .replace("51042100000000000120260701083000001", &format!("5104210000000000012026070108300{n:04}"))
        .into_bytes()
}

fn detached(key: &sm2::dsa::SigningKey, ebd: &[u8]) -> String {
    let sig: sm2::dsa::Signature = key.sign(ebd);
    let file = format!(
        "<Signature><CertSN>pzh-ebs-01</CertSN><SignatureValue>{}</SignatureValue></Signature>",
        hex::encode(sig.to_bytes())
    );
    hex::encode(file)
}

both!(a_cap_alert_signed_by_a_configured_key_is_accepted_without_a_session, |app| {
    app.desk.set_authority(authority("cap_signing_key.pub.pem", None, u32::MAX));
    let r = post(&app, fixture("cap_signed_rsa.xml"), None).await;
    assert_eq!(r.status(), 202);
    let receipt: Value = r.json().await.unwrap();
    let key = receipt["key"].as_str().unwrap();
    assert_eq!(receipt["outcome"], "accepted");
    // Signed by xmlsec1 for July 2026: authentic, but past its `expires`, so it never airs.
    assert_eq!(app.store().get_alert(key).await.unwrap().state, "expired");
    let again: Value = post(&app, fixture("cap_signed_rsa.xml"), None).await.json().await.unwrap();
    assert_eq!(again["outcome"], "duplicate", "a replay of the same signed message airs nothing more");
});

both!(wrong_or_missing_signatures_from_unauthenticated_senders_are_401_and_nothing_is_stored, |app| {
    app.desk.set_authority(authority("cap_signing_key.pub.pem", None, u32::MAX));
    let tampered = String::from_utf8(fixture("cap_signed_rsa.xml")).unwrap().replace("Extreme", "Minor");
    refused(&app, tampered.into_bytes(), None, "digest").await;
    refused(&app, fixture("cap_flood_extreme_miyi.xml"), None, "signed").await;
    let json = fixture("json_alert_moderate.json");
    refused(&app, json, None, "not signed").await;
    // The right document, but the configured key is another one.
    app.desk.set_authority(authority("other_key.pub.pem", None, u32::MAX));
    refused(&app, fixture("cap_signed_rsa.xml"), None, "RSA signature does not match").await;
    assert!(app.desk.alerts().is_empty(), "nothing taken in");
    let cutoff = chrono::Utc::now() - chrono::Duration::days(365);
    assert!(app.store().alerts_to_restore(cutoff).await.unwrap().is_empty(), "nothing stored");
});

both!(an_ebd_with_a_configured_sm2_signature_is_accepted_and_forged_or_replayed_ones_are_401, |app| {
    let secret = sm2::SecretKey::random(&mut rand::rngs::OsRng);
    let key = sm2::dsa::SigningKey::new(schedules::emergency::signature::DEFAULT_DIST_ID, &secret).unwrap();
    app.desk.set_authority(authority("cap_signing_key.pub.pem", Some(&key), 3600));
    let now = chrono::Utc::now();
    let ebd = ebd_sent(now, 1);
    let r = post(&app, ebd.clone(), Some(detached(&key, &ebd))).await;
    assert_eq!(r.status(), 202);
    let receipt: Value = r.json().await.unwrap();
    let events = app.store().alert_events(receipt["key"].as_str().unwrap()).await.unwrap();
    let verified = events.iter().find(|e| e.event == "verified").expect("a verified step");
    assert_eq!(verified.note.as_deref(), Some("signed by configured key pzh-ebs-01"));

    let other = ebd_sent(now, 2);
    let forged = detached(&key, &ebd_sent(now, 3));
    refused(&app, other.clone(), Some(forged), "signature").await;
    refused(&app, other, None, "signed").await;
    let old = ebd_sent(now - chrono::Duration::hours(2), 4);
    refused(&app, old.clone(), Some(detached(&key, &old)), "old").await;
    let stranger = sm2::dsa::SigningKey::new(
        schedules::emergency::signature::DEFAULT_DIST_ID,
        &sm2::SecretKey::random(&mut rand::rngs::OsRng),
    )
    .unwrap();
    let fresh = ebd_sent(now, 5);
    refused(&app, fresh.clone(), Some(detached(&stranger, &fresh)), "signature").await;
    let bad_header = post(&app, fresh, Some("not hex".into())).await;
    assert_eq!(error_of(bad_header).await.0, 400);
    assert_eq!(app.desk.alerts().len(), 1, "only the signed EBD was taken in");
});
