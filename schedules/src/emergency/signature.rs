//! Detached SM2/SM3 signatures of EBD files (GY/T 385 security, GM/T 0003 SM2 with SM3).
//!
//! The EBD file is signed as received, byte for byte; the signature travels in a separate
//! small XML file (`EBDS_EBDB_<EBDID>.xml` in a package; layout in [`super::ebd::sign`], as
//! public vendor implementations write it — see [`super::ebd::vendor`]): the signer's
//! certificate serial in `CertSN`, found at any depth so that both vendor layouts read
//! (also accepted: `SignatureCertSN`, `KeyID`), the value in `SignatureValue` (base64 or hex;
//! raw 64-byte `r‖s` or DER `SEQUENCE { r INTEGER, s INTEGER }`), `SignatureAlgorithm` and
//! `DigestAlgorithm` when present must name SM2 and SM3, and optionally `EBDID` (in
//! `RelatedEBD`) naming the signed EBD.
//! Public keys are configured, never fetched: SEC1 points with the signer's distinguishing
//! identifier (default `1234567812345678`, GM/T 0009).

use base64::Engine as _;
use sm2::dsa::signature::Verifier as _;
use sm2::dsa::{Signature, VerifyingKey};

use super::reason::{Reason, ReasonCode};
use super::xml::{self, Element};
use super::EmergencyError;

/// The default SM2 distinguishing identifier (GM/T 0009-2012).
pub const DEFAULT_DIST_ID: &str = "1234567812345678";

/// Public keys trusted to sign emergency broadcast data, by key id / certificate serial.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: Vec<(String, VerifyingKey)>,
}

impl TrustedKeys {
    /// No keys: every signature is refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key given as hex SEC1 (uncompressed `04…` or compressed), with its
    /// distinguishing identifier (`None` = [`DEFAULT_DIST_ID`]).
    ///
    /// # Errors
    /// [`EmergencyError::Key`] when the hex or the point is invalid.
    pub fn add_sec1_hex(
        &mut self,
        id: &str,
        public_key_hex: &str,
        dist_id: Option<&str>,
    ) -> Result<(), EmergencyError> {
        let bytes =
            hex::decode(public_key_hex.trim()).map_err(|e| EmergencyError::Key(format!("key {id}: not hex: {e}")))?;
        let key = VerifyingKey::from_sec1_bytes(dist_id.unwrap_or(DEFAULT_DIST_ID), &bytes)
            .map_err(|e| EmergencyError::Key(format!("key {id}: not an SM2 public key: {e}")))?;
        self.add(id, key);
        Ok(())
    }

    /// Adds a key.
    pub fn add(&mut self, id: &str, key: VerifyingKey) {
        self.keys.push((id.to_string(), key));
    }

    fn get(&self, id: &str) -> Option<&VerifyingKey> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, v)| v)
    }
}

/// A parsed detached signature file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachedSignature {
    /// The EBD it claims to sign, when named.
    pub ebd_id: Option<String>,
    /// Which key signed.
    pub key_id: String,
    signature: Signature,
}

impl DetachedSignature {
    /// Parses a signature file.
    ///
    /// # Errors
    /// [`EmergencyError::Invalid`] with a `signature` (or XML) reason.
    pub fn parse(bytes: &[u8]) -> Result<Self, EmergencyError> {
        let root = xml::parse(bytes).map_err(|r| EmergencyError::Invalid(vec![r]))?;
        let fail = |m: String| EmergencyError::Invalid(vec![Reason::new(ReasonCode::Signature, m, "/")]);
        let key_id = ["CertSN", "SignatureCertSN", "KeyID"]
            .iter()
            .find_map(|n| find(&root, n))
            .ok_or_else(|| fail("signature names no key (CertSN)".into()))?;
        if let Some(alg) = find(&root, "SignatureAlgorithm") {
            if !super::ebd::vendor::ACCEPTED_SIGNATURE_ALGORITHMS.iter().any(|a| a.eq_ignore_ascii_case(alg)) {
                return Err(fail(format!("SignatureAlgorithm {alg:?} is not SM2 (with SM3)")));
            }
        }
        if let Some(alg) = find(&root, "DigestAlgorithm").filter(|a| !a.eq_ignore_ascii_case("SM3")) {
            return Err(fail(format!("DigestAlgorithm {alg:?} is not SM3")));
        }
        let value = find(&root, "SignatureValue").ok_or_else(|| fail("signature has no SignatureValue".into()))?;
        let raw = decode(value).ok_or_else(|| fail("SignatureValue is neither base64 nor hex".into()))?;
        let rs = if raw.len() == 64 {
            raw
        } else {
            der_to_rs(&raw)
                .ok_or_else(|| fail(format!("SignatureValue of {} bytes is neither r‖s nor DER", raw.len())))?
        };
        let signature = Signature::from_slice(&rs).map_err(|e| fail(format!("SignatureValue: {e}")))?;
        Ok(Self { ebd_id: find(&root, "EBDID").map(str::to_string), key_id: key_id.to_string(), signature })
    }

    /// Checks this signature over `ebd` with the trusted key it names.
    ///
    /// # Errors
    /// [`EmergencyError::Invalid`] with a `signature` reason: unknown key, EBD ID mismatch,
    /// or a signature that does not verify.
    pub fn verify(&self, ebd: &[u8], keys: &TrustedKeys) -> Result<(), EmergencyError> {
        let fail = |m: String| EmergencyError::Invalid(vec![Reason::new(ReasonCode::Signature, m, "/")]);
        let key =
            keys.get(&self.key_id).ok_or_else(|| fail(format!("signing key {:?} is not trusted", self.key_id)))?;
        if let Some(claimed) = &self.ebd_id {
            let root = xml::parse(ebd).map_err(|r| EmergencyError::Invalid(vec![r]))?;
            if root.child_text("EBDID") != Some(claimed.as_str()) {
                return Err(fail(format!("signature is for EBD {claimed}, not this one")));
            }
        }
        key.verify(ebd, &self.signature).map_err(|_| fail("SM2 signature does not match the EBD".into()))
    }
}

/// Verifies a detached signature file over an EBD file; returns the signing key id.
///
/// # Errors
/// [`EmergencyError::Invalid`] with a reason saying why it was refused.
pub fn verify_detached(ebd: &[u8], signature: &[u8], keys: &TrustedKeys) -> Result<String, EmergencyError> {
    let sig = DetachedSignature::parse(signature)?;
    sig.verify(ebd, keys)?;
    Ok(sig.key_id)
}

fn find<'a>(el: &'a Element, name: &str) -> Option<&'a str> {
    if el.name == name && !el.text.is_empty() {
        return Some(&el.text);
    }
    el.children.iter().find_map(|c| find(c, name))
}

fn decode(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.split_whitespace().collect();
    if compact.bytes().all(|b| b.is_ascii_hexdigit()) {
        if let Ok(bytes) = hex::decode(&compact) {
            return Some(bytes);
        }
    }
    base64::engine::general_purpose::STANDARD.decode(compact).ok()
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` to 64 bytes `r‖s`.
fn der_to_rs(der: &[u8]) -> Option<Vec<u8>> {
    let (&tag, rest) = der.split_first()?;
    let (&len, body) = rest.split_first()?;
    if tag != 0x30 || usize::from(len) != body.len() || len >= 0x80 {
        return None;
    }
    let (r, rest) = der_integer(body)?;
    let (s, rest) = der_integer(rest)?;
    if !rest.is_empty() {
        return None;
    }
    let mut out = vec![0u8; 64];
    out[32 - r.len()..32].copy_from_slice(r);
    out[64 - s.len()..].copy_from_slice(s);
    Some(out)
}

fn der_integer(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&len, rest) = rest.split_first()?;
    let len = usize::from(len);
    if tag != 0x02 || len == 0 || len >= 0x80 || rest.len() < len {
        return None;
    }
    let (mut v, rest) = rest.split_at(len);
    while v.len() > 1 && v[0] == 0 {
        v = &v[1..];
    }
    (v.len() <= 32).then_some((v, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_and_raw_forms_agree() {
        let mut rs = [0u8; 64];
        rs[31] = 7;
        rs[32] = 0x80;
        rs[63] = 1;
        let mut der = vec![0x30, 0];
        der.extend([0x02, 1, 7]);
        der.extend([0x02, 33, 0]);
        der.extend(&rs[32..]);
        der[1] = (der.len() - 2) as u8;
        assert_eq!(der_to_rs(&der).unwrap(), rs.to_vec());
        assert!(der_to_rs(&der[..der.len() - 1]).is_none());
        assert!(der_to_rs(&[0x31, 0]).is_none());
    }
}
