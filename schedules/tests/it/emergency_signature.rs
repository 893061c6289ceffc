//! SM2/SM3 detached signatures over EBD files, with keys generated per test run.

use base64::Engine as _;
use sm2::dsa::signature::Signer as _;
use sm2::dsa::{Signature, SigningKey};
use sm2::SecretKey;

use schedules::emergency::signature::{verify_detached, TrustedKeys, DEFAULT_DIST_ID};
use schedules::emergency::ReasonCode;

fn ebd() -> Vec<u8> {
    crate::fixtures::alert_bytes("ebm_publish_miyi.xml")
}

fn keypair() -> (SigningKey, String) {
    let secret = SecretKey::random(&mut rand::rngs::OsRng);
    let signing = SigningKey::new(DEFAULT_DIST_ID, &secret).unwrap();
    let public = hex::encode(signing.verifying_key().to_sec1_bytes());
    (signing, public)
}

fn signature_file(key_id: &str, ebd_id: &str, value: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\"?><Signature><RelatedEBD><EBDID>{ebd_id}</EBDID></RelatedEBD>\
         <SecurityData><CertSN>{key_id}</CertSN><SignatureValue>{value}</SignatureValue></SecurityData></Signature>"
    )
    .into_bytes()
}

const EBD_ID: &str = "10251042100000000001202607010830000001";

fn sign(key: &SigningKey, data: &[u8]) -> Signature {
    key.sign(data)
}

#[test]
fn signature_by_a_trusted_key_verifies() {
    let (signing, public) = keypair();
    let mut keys = TrustedKeys::new();
    keys.add_sec1_hex("pzh-ebs-01", &public, None).unwrap();
    let doc = ebd();
    let sig = sign(&signing, &doc);
    let b64 = base64::engine::general_purpose::STANDARD.encode(sig.to_bytes());
    assert_eq!(verify_detached(&doc, &signature_file("pzh-ebs-01", EBD_ID, &b64), &keys).unwrap(), "pzh-ebs-01");
    let hexed = hex::encode(sig.to_bytes());
    assert!(verify_detached(&doc, &signature_file("pzh-ebs-01", EBD_ID, &hexed), &keys).is_ok());
}

#[test]
fn a_changed_byte_fails() {
    let (signing, public) = keypair();
    let mut keys = TrustedKeys::new();
    keys.add_sec1_hex("k", &public, None).unwrap();
    let doc = ebd();
    let sig = hex::encode(sign(&signing, &doc).to_bytes());
    let tampered = String::from_utf8(doc).unwrap().replace("<Severity>1</Severity>", "<Severity>4</Severity>");
    let err = verify_detached(tampered.as_bytes(), &signature_file("k", EBD_ID, &sig), &keys).unwrap_err();
    assert_eq!(err.reasons()[0].code, ReasonCode::Signature);
}

#[test]
fn unknown_key_wrong_ebd_and_other_signer_fail() {
    let (signing, public) = keypair();
    let (other, _) = keypair();
    let mut keys = TrustedKeys::new();
    keys.add_sec1_hex("k", &public, None).unwrap();
    let doc = ebd();
    let good = hex::encode(sign(&signing, &doc).to_bytes());
    let forged = hex::encode(sign(&other, &doc).to_bytes());
    for (file, what) in [
        (signature_file("unknown", EBD_ID, &good), "not trusted"),
        (signature_file("k", "999", &good), "not this one"),
        (signature_file("k", EBD_ID, &forged), "does not match"),
        (signature_file("k", EBD_ID, "not base64 !"), "neither base64"),
    ] {
        let err = verify_detached(&doc, &file, &keys).unwrap_err();
        assert_eq!(err.reasons()[0].code, ReasonCode::Signature);
        assert!(err.to_string().contains(what), "{err}");
    }
}

#[test]
fn distinguishing_identifier_matters() {
    let secret = SecretKey::random(&mut rand::rngs::OsRng);
    let signing = SigningKey::new("alice@pzh", &secret).unwrap();
    let public = hex::encode(signing.verifying_key().to_sec1_bytes());
    let doc = ebd();
    let sig = hex::encode(sign(&signing, &doc).to_bytes());
    let mut right = TrustedKeys::new();
    right.add_sec1_hex("k", &public, Some("alice@pzh")).unwrap();
    let mut wrong = TrustedKeys::new();
    wrong.add_sec1_hex("k", &public, None).unwrap();
    assert!(verify_detached(&doc, &signature_file("k", EBD_ID, &sig), &right).is_ok());
    assert!(verify_detached(&doc, &signature_file("k", EBD_ID, &sig), &wrong).is_err());
}

#[test]
fn bad_public_keys_are_refused() {
    let mut keys = TrustedKeys::new();
    assert!(keys.add_sec1_hex("k", "zz", None).is_err());
    assert!(keys.add_sec1_hex("k", "04deadbeef", None).is_err());
}
