//! XML-DSig verification of signed CAP 1.2 alerts (CAP 1.2 §3.3.2.1: an enveloped
//! `<Signature>` as the last child of `<alert>`).
//!
//! Supported, and nothing else: one `Reference URI=""` (the whole alert) with the
//! enveloped-signature transform followed by Exclusive C14N or inclusive C14N 1.0 (without
//! comments); digest SHA-256; signature RSA PKCS#1 v1.5 with SHA-256; `SignedInfo`
//! canonicalised by Exclusive C14N or C14N 1.0. SHA-1 based methods are refused as weak.
//! The key is picked by `KeyInfo/KeyName` among configured public keys (all are tried when
//! no name is given); certificates in `KeyInfo` are ignored, nothing is fetched.

use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey as _;
use rsa::signature::Verifier as _;
use rsa::RsaPublicKey;
use sha2::{Digest as _, Sha256};

use super::c14n::{self, Doc, El, Mode, Scope};
use super::reason::{Reason, ReasonCode};
use super::EmergencyError;

const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// RSA public keys trusted to sign CAP alerts, by key name.
#[derive(Debug, Clone, Default)]
pub struct RsaKeys {
    keys: Vec<(String, RsaPublicKey)>,
}

impl RsaKeys {
    /// No keys: every signature is refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a public key in PEM (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo).
    ///
    /// # Errors
    /// [`EmergencyError::Key`] when the PEM is not an RSA public key.
    pub fn add_pem(&mut self, name: &str, pem: &str) -> Result<(), EmergencyError> {
        let key = RsaPublicKey::from_public_key_pem(pem)
            .map_err(|e| EmergencyError::Key(format!("key {name}: not an RSA public key: {e}")))?;
        self.keys.push((name.to_string(), key));
        Ok(())
    }
}

fn fail(message: impl Into<String>, path: &str) -> EmergencyError {
    EmergencyError::Invalid(vec![Reason::new(ReasonCode::Signature, message, path)])
}

/// Verifies the enveloped XML-DSig signature of a CAP alert; returns the key name that
/// verified it.
///
/// # Errors
/// [`EmergencyError::Invalid`] with a `signature` reason (no signature, unsupported
/// algorithm, digest mismatch, unknown key, bad signature), or the XML reason.
pub fn verify_cap_signature(bytes: &[u8], keys: &RsaKeys) -> Result<String, EmergencyError> {
    super::xml::precheck(bytes).map_err(|r| EmergencyError::Invalid(vec![r]))?;
    let text = std::str::from_utf8(bytes).map_err(|_| fail("document is not UTF-8", "/"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc: Doc = c14n::parse(text).map_err(|m| {
        EmergencyError::Invalid(vec![Reason::new(ReasonCode::Malformed, format!("not well-formed XML: {m}"), "/")])
    })?;
    let root_scope = doc.root.scope(&Scope::new());
    let sigs: Vec<&El> = doc
        .root
        .elements()
        .filter(|e| e.local() == "Signature" && c14n::lookup(&e.scope(&root_scope), e.prefix()) == Some(DSIG))
        .collect();
    let [sig] = sigs.as_slice() else {
        return Err(fail(format!("expected one enveloped ds:Signature, found {}", sigs.len()), "/alert/Signature"));
    };
    let sig_scope = sig.scope(&root_scope);
    let signed_info = sig.child("SignedInfo").ok_or_else(|| fail("no SignedInfo", "/alert/Signature"))?;
    let si_path = "/alert/Signature/SignedInfo";
    let si_c14n = c14n_mode(signed_info.child("CanonicalizationMethod"), &format!("{si_path}/CanonicalizationMethod"))?;
    let method = signed_info.child("SignatureMethod").and_then(|m| m.attr("Algorithm")).unwrap_or("");
    if method != RSA_SHA256 {
        return Err(fail(
            format!("signature method {method:?} is not supported (rsa-sha256 only)"),
            &format!("{si_path}/SignatureMethod"),
        ));
    }
    let refs: Vec<&El> = signed_info.elements().filter(|e| e.local() == "Reference").collect();
    let [reference] = refs.as_slice() else {
        return Err(fail(format!("expected one Reference, found {}", refs.len()), si_path));
    };
    let ref_path = format!("{si_path}/Reference");
    if reference.attr("URI") != Some("") {
        return Err(fail("only Reference URI=\"\" (the whole alert) is accepted", &ref_path));
    }
    let transforms: Vec<&El> = reference
        .child("Transforms")
        .map(|t| t.elements().filter(|e| e.local() == "Transform").collect())
        .unwrap_or_default();
    let (first, rest) =
        transforms.split_first().ok_or_else(|| fail("the enveloped-signature transform is required", &ref_path))?;
    if first.attr("Algorithm") != Some(ENVELOPED) {
        return Err(fail("the first transform must be enveloped-signature", &ref_path));
    }
    let doc_c14n = match rest {
        [] => Mode::Inclusive,
        [t] => c14n_mode(Some(t), &format!("{ref_path}/Transforms"))?,
        _ => return Err(fail("unsupported transform chain", &ref_path)),
    };
    let digest_method = reference.child("DigestMethod").and_then(|m| m.attr("Algorithm")).unwrap_or("");
    if digest_method != SHA256 {
        return Err(fail(format!("digest method {digest_method:?} is not supported (sha256 only)"), &ref_path));
    }
    let expected = decode_b64(&reference.child("DigestValue").map(El::text).unwrap_or_default())
        .ok_or_else(|| fail("DigestValue is not base64", &ref_path))?;
    let canonical = c14n::document(&doc, &doc_c14n, Some(sig));
    if Sha256::digest(canonical.as_bytes())[..] != expected[..] {
        return Err(fail("digest does not match: the alert was changed after signing", &ref_path));
    }
    let value = decode_b64(&sig.child("SignatureValue").map(El::text).unwrap_or_default())
        .ok_or_else(|| fail("SignatureValue is not base64", "/alert/Signature/SignatureValue"))?;
    let signature = Signature::try_from(value.as_slice())
        .map_err(|_| fail("SignatureValue is not an RSA signature", "/alert/Signature/SignatureValue"))?;
    let signed = c14n::subtree(signed_info, &sig_scope, &si_c14n);
    let name = sig.child("KeyInfo").and_then(|k| k.child("KeyName")).map(|k| k.text().trim().to_string());
    let candidates: Vec<&(String, RsaPublicKey)> = keys
        .keys
        .iter()
        .filter(|(n, _)| match &name {
            None => true,
            Some(wanted) => wanted == n,
        })
        .collect();
    if candidates.is_empty() {
        return Err(fail(
            format!("signing key {:?} is not trusted", name.unwrap_or_default()),
            "/alert/Signature/KeyInfo",
        ));
    }
    candidates
        .into_iter()
        .find(|(_, key)| VerifyingKey::<Sha256>::new(key.clone()).verify(signed.as_bytes(), &signature).is_ok())
        .map(|(n, _)| n.clone())
        .ok_or_else(|| fail("RSA signature does not match", "/alert/Signature/SignatureValue"))
}

fn c14n_mode(el: Option<&El>, path: &str) -> Result<Mode, EmergencyError> {
    let el = el.ok_or_else(|| fail("canonicalisation method missing", path))?;
    match el.attr("Algorithm") {
        Some(C14N) => Ok(Mode::Inclusive),
        Some(EXC_C14N) => {
            let list = el
                .child("InclusiveNamespaces")
                .and_then(|i| i.attr("PrefixList"))
                .map(|l| {
                    l.split_whitespace().map(|p| if p == "#default" { String::new() } else { p.to_string() }).collect()
                })
                .unwrap_or_default();
            Ok(Mode::Exclusive(list))
        }
        other => Err(fail(
            format!("canonicalisation {other:?} is not supported (C14N 1.0 or Exclusive C14N, without comments)"),
            path,
        )),
    }
}

fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(compact).ok()
}
