//! The verified step: signatures and replay window over validated documents.

use chrono::{DateTime, Utc};
use schedules::emergency::authenticate::{Authenticated, Authority};
use schedules::emergency::signature::DEFAULT_DIST_ID;
use schedules::emergency::{validate_document, AlertTime, ReasonCode};
use sm2::dsa::signature::Signer as _;

use crate::fixtures::alert_bytes as fixture;

fn at(s: &str) -> DateTime<Utc> {
    AlertTime::parse_cap(s).unwrap().utc()
}

fn authority(require: bool) -> Authority {
    let mut a = Authority { require_signature: require, ..Authority::default() };
    let pem = String::from_utf8(fixture("cap_signing_key.pub.pem")).unwrap();
    a.cap_keys.add_pem("pzh-cap-01", &pem).unwrap();
    a
}

fn check(a: &Authority, name: &str, detached: Option<&[u8]>, now: &str) -> Result<Authenticated, Vec<ReasonCode>> {
    let doc = fixture(name);
    let report = validate_document(&doc);
    a.authenticate(&report, &doc, detached, at(now)).map_err(|rs| rs.into_iter().map(|r| r.code).collect())
}

#[test]
fn signed_cap_in_the_window_is_verified_by_its_key() {
    let got = check(&authority(true), "cap_signed_rsa.xml", None, "2026-07-01T08:31:00+08:00").unwrap();
    assert_eq!(got, Authenticated::Signature { key: "pzh-cap-01".into() });
}

#[test]
fn old_or_unsigned_documents_are_refused_when_signatures_are_required() {
    let a = authority(true);
    assert_eq!(check(&a, "cap_signed_rsa.xml", None, "2026-07-01T12:00:00+08:00"), Err(vec![ReasonCode::Replay]));
    assert_eq!(
        check(&a, "cap_flood_extreme_miyi.xml", None, "2026-07-01T08:31:00+08:00"),
        Err(vec![ReasonCode::Signature])
    );
    assert_eq!(check(&a, "ebm_publish_miyi.xml", None, "2026-07-01T08:31:00+08:00"), Err(vec![ReasonCode::Signature]));
    assert_eq!(
        check(&authority(false), "cap_flood_extreme_miyi.xml", None, "2026-07-01T08:31:00+08:00"),
        Ok(Authenticated::Unsigned)
    );
}

#[test]
fn invalid_documents_keep_their_validation_reasons() {
    let got = check(&authority(false), "invalid_missing_identifier.xml", None, "2026-07-01T08:31:00+08:00");
    assert_eq!(got, Err(vec![ReasonCode::Missing]));
}

#[test]
fn ebd_with_detached_sm2_signature_is_verified() {
    let secret = sm2::SecretKey::random(&mut rand::rngs::OsRng);
    let signing = sm2::dsa::SigningKey::new(DEFAULT_DIST_ID, &secret).unwrap();
    let mut a = authority(true);
    a.ebd_keys.add_sec1_hex("pzh-ebs-01", &hex::encode(signing.verifying_key().to_sec1_bytes()), None).unwrap();
    let ebd = fixture("ebm_publish_miyi.xml");
    let sig: sm2::dsa::Signature = signing.sign(&ebd);
    let file = format!(
        "<Signature><CertSN>pzh-ebs-01</CertSN><SignatureValue>{}</SignatureValue></Signature>",
        hex::encode(sig.to_bytes())
    );
    let got = check(&a, "ebm_publish_miyi.xml", Some(file.as_bytes()), "2026-07-01T08:31:00+08:00");
    assert_eq!(got, Ok(Authenticated::Signature { key: "pzh-ebs-01".into() }));
    let good = hex::encode(sig.to_bytes());
    let flipped = if good.starts_with('0') { "1" } else { "0" };
    let forged = file.replace(&good, &format!("{flipped}{}", &good[1..]));
    let got = check(&a, "ebm_publish_miyi.xml", Some(forged.as_bytes()), "2026-07-01T08:31:00+08:00");
    assert_eq!(got, Err(vec![ReasonCode::Signature]));
}
