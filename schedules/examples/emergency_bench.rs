//! Throughput of alert validation, targeting and SM2 verification.
//! Run: `bench/emergency.sh` (release build). Prints one line per case.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use schedules::emergency::signature::{verify_detached, TrustedKeys, DEFAULT_DIST_ID};
use schedules::emergency::targeting::{targets, ChannelCoverage, ChannelId, ChannelKind};
use schedules::emergency::{validate_document, AreaCode, MAX_DOCUMENT_BYTES};
use sm2::dsa::signature::Signer as _;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/alerts/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn time(label: &str, iterations: u32, bytes: usize, mut f: impl FnMut()) {
    f();
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let per = start.elapsed().as_secs_f64() / f64::from(iterations);
    let mbps = if bytes == 0 { "-".to_string() } else { format!("{:.1}", bytes as f64 / per / 1e6) };
    println!("{label:<44} {:>10.1} µs/op {:>12.0} op/s {mbps:>9} MB/s", per * 1e6, 1.0 / per);
}

fn main() {
    let cap = fixture("cap_flood_extreme_miyi.xml");
    let ebm = fixture("ebm_publish_miyi.xml");
    let json = fixture("json_alert_moderate.json");
    let bomb = fixture("invalid_entity_bomb.xml");
    time("validate CAP flood (1.7 KiB)", 20_000, cap.len(), || assert!(validate_document(&cap).valid));
    time("validate EBM publish (1.7 KiB)", 20_000, ebm.len(), || assert!(validate_document(&ebm).valid));
    time("validate JSON alert (1.1 KiB)", 20_000, json.len(), || assert!(validate_document(&json).valid));
    time("refuse entity bomb", 20_000, bomb.len(), || assert!(!validate_document(&bomb).valid));

    let mut big = String::from_utf8(cap.clone()).unwrap();
    let room = MAX_DOCUMENT_BYTES - big.len() - 16;
    big = big.replace("<description>", &format!("<description>{}", "洪".repeat(room / 3)));
    let big = big.into_bytes();
    time("validate CAP at the 1 MiB limit", 50, big.len(), || assert!(validate_document(&big).valid));
    let over = vec![b' '; 2 << 20];
    time("refuse 2 MiB input (unread)", 2_000, 0, || assert!(!validate_document(&over).valid));

    let alert = validate_document(&cap).alert.unwrap();
    let channels: Vec<ChannelCoverage> = ["510400", "510402", "510403", "510411", "510421", "510422"]
        .iter()
        .flat_map(|c| {
            [ChannelKind::Tv, ChannelKind::Radio].map(|kind| ChannelCoverage {
                id: ChannelId(format!("{c}-{kind:?}")),
                kind,
                area_codes: vec![AreaCode::parse(c).unwrap()],
                allows_drills: true,
                polygon: None,
            })
        })
        .collect();
    time("target one alert over 12 channels", 200_000, 0, || {
        assert_eq!(targets(&alert, &channels).channels.len(), 2);
    });

    let secret = sm2::SecretKey::random(&mut rand::rngs::OsRng);
    let signing = sm2::dsa::SigningKey::new(DEFAULT_DIST_ID, &secret).unwrap();
    let mut keys = TrustedKeys::new();
    keys.add_sec1_hex("k", &hex::encode(signing.verifying_key().to_sec1_bytes()), None).unwrap();
    let sig: sm2::dsa::Signature = signing.sign(&ebm);
    let file = format!(
        "<Signature><CertSN>k</CertSN><SignatureValue>{}</SignatureValue></Signature>",
        hex::encode(sig.to_bytes())
    );
    let signed = fixture("cap_signed_rsa.xml");
    let mut rsa_keys = schedules::emergency::xmldsig::RsaKeys::new();
    let pem = String::from_utf8(fixture("cap_signing_key.pub.pem")).unwrap();
    rsa_keys.add_pem("pzh-cap-01", &pem).unwrap();
    time("XML-DSig verify signed CAP (RSA-2048, exc-c14n)", 2_000, signed.len(), || {
        schedules::emergency::xmldsig::verify_cap_signature(&signed, &rsa_keys).unwrap();
    });
    time("SM2/SM3 verify detached EBD signature", 2_000, ebm.len(), || {
        verify_detached(&ebm, file.as_bytes(), &keys).unwrap();
    });
}
