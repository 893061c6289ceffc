//! CAP XML-DSig verification against alerts signed by an independent implementation
//! (xmlsec1 1.2.37, RSA-2048, rsa-sha256; see docs/emergency.md for how they were made).

use schedules::emergency::xmldsig::{verify_cap_signature, RsaKeys};
use schedules::emergency::{validate_document, ReasonCode};

fn fixture(name: &str) -> String {
    String::from_utf8(crate::fixtures::alert_bytes(name)).unwrap()
}

fn keys() -> RsaKeys {
    let mut k = RsaKeys::new();
    k.add_pem("pzh-cap-01", &fixture("cap_signing_key.pub.pem")).unwrap();
    k
}

fn refused_because(doc: &str, keys: &RsaKeys, words: &str) {
    let err = verify_cap_signature(doc.as_bytes(), keys).unwrap_err();
    assert_eq!(err.reasons()[0].code, ReasonCode::Signature, "{err}");
    assert!(err.to_string().contains(words), "{err}");
}

#[test]
fn xmlsec1_signed_alert_verifies_and_still_validates() {
    let doc = fixture("cap_signed_rsa.xml");
    assert_eq!(verify_cap_signature(doc.as_bytes(), &keys()).unwrap(), "pzh-cap-01");
    assert!(validate_document(doc.as_bytes()).valid);
}

#[test]
fn prefixed_crlf_alert_with_comment_cdata_and_inclusive_signedinfo_verifies() {
    let doc = fixture("cap_signed_rsa_prefixed.xml");
    assert!(doc.contains("\r\n") && doc.contains("<![CDATA[") && doc.contains("<!--"));
    assert_eq!(verify_cap_signature(doc.as_bytes(), &keys()).unwrap(), "pzh-cap-01");
    assert!(validate_document(doc.as_bytes()).valid);
}

#[test]
fn changing_the_alert_breaks_the_digest() {
    let doc = fixture("cap_signed_rsa.xml").replace("<severity>Extreme</severity>", "<severity>Minor</severity>");
    refused_because(&doc, &keys(), "digest does not match");
    let doc = fixture("cap_signed_rsa_prefixed.xml").replace("510400", "510421");
    refused_because(&doc, &keys(), "digest does not match");
}

#[test]
fn changing_signed_info_breaks_the_signature() {
    let doc = fixture("cap_signed_rsa.xml").replace("<Reference URI=\"\">", "<Reference URI=\"\" Id=\"x\">");
    refused_because(&doc, &keys(), "RSA signature does not match");
}

#[test]
fn comments_and_whitespace_between_attributes_do_not_matter() {
    let doc = fixture("cap_signed_rsa.xml")
        .replace("<status>Actual</status>", "<status   >Actual</status><!-- relayed -->")
        .replace("<scope>Public</scope>", "<scope>Public</scope   >");
    assert!(verify_cap_signature(doc.as_bytes(), &keys()).is_ok());
}

#[test]
fn other_keys_missing_signatures_and_weak_methods_are_refused() {
    let other = &fixture("other_key.pub.pem");
    let mut wrong = RsaKeys::new();
    wrong.add_pem("pzh-cap-01", other).unwrap();
    refused_because(&fixture("cap_signed_rsa.xml"), &wrong, "RSA signature does not match");
    let mut unnamed = RsaKeys::new();
    unnamed.add_pem("someone-else", other).unwrap();
    refused_because(&fixture("cap_signed_rsa.xml"), &unnamed, "not trusted");
    refused_because(&fixture("cap_flood_extreme_miyi.xml"), &keys(), "found 0");
    let sha1 = fixture("cap_signed_rsa.xml").replace("xmldsig-more#rsa-sha256", "xmldsig#rsa-sha1");
    refused_because(&sha1, &keys(), "not supported");
    assert!(RsaKeys::new().add_pem("x", "not a key").is_err());
}

#[test]
fn doctype_is_refused_before_any_signature_work() {
    let doc = fixture("cap_signed_rsa.xml").replace("<alert ", "<!DOCTYPE alert><alert ");
    let err = verify_cap_signature(doc.as_bytes(), &keys()).unwrap_err();
    assert_eq!(err.reasons()[0].code, ReasonCode::DoctypeForbidden);
}

#[test]
fn mutated_signed_alerts_never_panic_and_almost_never_verify() {
    let keys = keys();
    let doc = fixture("cap_signed_rsa_prefixed.xml").into_bytes();
    let mut seed: u64 = 510_400;
    let mut next = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    let mut verified = 0;
    for _ in 0..500 {
        let mut m = doc.clone();
        let i = next() % m.len();
        m[i] = b"<>&;/\"' =:xA\r\n\xff\xe4"[next() % 16];
        if verify_cap_signature(&m, &keys).is_ok() {
            verified += 1;
        }
    }
    // Only changes c14n erases (whitespace inside tags, the comment, line ends) may pass.
    assert!(verified < 50, "{verified} of 500 mutations still verified");
}
