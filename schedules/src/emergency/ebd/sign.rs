//! Signing Kapok's packages and checking the platform's: SM2 (GM/T 0003) with SM3 over the
//! exact bytes of the data file, carried in the signature file `Signature{Version,
//! RelatedEBD{EBDID}, SignatureCert{CertType, IssuerID, CertSN}, SignatureTime,
//! DigestAlgorithm, SignatureAlgorithm, SignatureValue}`.
//!
//! In production the signing key lives in a crypto device (密码设备) issued through the
//! provincial security system, and the device signs; Kapok asks for a signature through
//! [`Signer`]. A device plugs in as another implementation of that trait (its vendor's SDK
//! behind `sign`, its certificate's serial behind `cert_sn`). [`SoftwareSigner`] holds the
//! key in memory, for test networks and for platforms that accept software keys.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use sm2::dsa::signature::Signer as _;

use super::envelope::{format_time, XmlWriter};
use super::vendor;
use crate::emergency::signature::{DetachedSignature, TrustedKeys, DEFAULT_DIST_ID};

/// Why signing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signing failed: {0}")]
pub struct SignError(pub String);

/// Something that signs with an SM2 key (software or a crypto device).
pub trait Signer: Send + Sync {
    /// The serial number of the certificate the platform knows this key by (`CertSN`).
    fn cert_sn(&self) -> &str;

    /// The issuer's identifier (`IssuerID`), when known.
    fn issuer_id(&self) -> &str {
        ""
    }

    /// The SM2 signature (with SM3 and the default distinguishing identifier) of `data`, as
    /// 64 bytes `r‖s`.
    ///
    /// # Errors
    /// [`SignError`] when the key or device cannot sign.
    fn sign(&self, data: &[u8]) -> Result<[u8; 64], SignError>;
}

/// An SM2 key held in memory.
pub struct SoftwareSigner {
    key: sm2::dsa::SigningKey,
    cert_sn: String,
}

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareSigner").field("cert_sn", &self.cert_sn).finish_non_exhaustive()
    }
}

impl SoftwareSigner {
    /// A signer from the private key as hex (32 bytes; surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`SignError`] when the text is not a 32-byte hex SM2 private key.
    pub fn from_hex(cert_sn: &str, private_key_hex: &str) -> Result<Self, SignError> {
        let bytes =
            hex::decode(private_key_hex.trim()).map_err(|e| SignError(format!("the private key is not hex: {e}")))?;
        let secret = sm2::SecretKey::from_slice(&bytes)
            .map_err(|_| SignError(format!("{} bytes are not an SM2 private key (32 bytes)", bytes.len())))?;
        Self::new(cert_sn, &secret)
    }

    /// A signer over `secret`.
    ///
    /// # Errors
    /// [`SignError`] when the key is unusable.
    pub fn new(cert_sn: &str, secret: &sm2::SecretKey) -> Result<Self, SignError> {
        let key = sm2::dsa::SigningKey::new(DEFAULT_DIST_ID, secret).map_err(|e| SignError(e.to_string()))?;
        Ok(Self { key, cert_sn: cert_sn.to_string() })
    }

    /// A fresh random key (tests and first set-up).
    ///
    /// # Errors
    /// [`SignError`] when the key is unusable.
    pub fn random(cert_sn: &str) -> Result<Self, SignError> {
        Self::new(cert_sn, &sm2::SecretKey::random(&mut rand::rngs::OsRng))
    }

    /// The public key, uncompressed SEC1 hex (`04…`), for the platform's configuration.
    pub fn public_key_hex(&self) -> String {
        use sm2::elliptic_curve::sec1::ToEncodedPoint as _;
        hex::encode(self.key.verifying_key().as_affine().to_encoded_point(false).as_bytes())
    }

    /// The private key as hex (for writing a key file).
    pub fn private_key_hex(&self) -> String {
        hex::encode(self.key.as_nonzero_scalar().to_bytes())
    }
}

impl Signer for SoftwareSigner {
    fn cert_sn(&self) -> &str {
        &self.cert_sn
    }

    fn sign(&self, data: &[u8]) -> Result<[u8; 64], SignError> {
        let sig: sm2::dsa::Signature = self.key.try_sign(data).map_err(|e| SignError(e.to_string()))?;
        Ok(sig.to_bytes())
    }
}

/// The signature file over `data` (the data file of EBD `ebd_id`), signed now.
///
/// # Errors
/// [`SignError`] from the signer.
pub fn signature_file(
    ebd_id: &str,
    data: &[u8],
    signer: &dyn Signer,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, SignError> {
    let value = base64::engine::general_purpose::STANDARD.encode(signer.sign(data)?);
    let mut w = XmlWriter::new();
    w.element("Signature", |w| {
        w.leaf("Version", vendor::VERSION);
        w.element("RelatedEBD", |w| {
            w.leaf("EBDID", ebd_id);
        });
        w.element("SignatureCert", |w| {
            w.leaf("CertType", vendor::CERT_TYPE).leaf("IssuerID", signer.issuer_id()).leaf("CertSN", signer.cert_sn());
        });
        w.leaf("SignatureTime", &format_time(now))
            .leaf("DigestAlgorithm", vendor::DIGEST_ALGORITHM)
            .leaf("SignatureAlgorithm", vendor::SIGNATURE_ALGORITHM)
            .leaf("SignatureValue", &value);
    });
    Ok(w.finish())
}

/// Checks the signature file `signature` over the data file `data` of EBD `ebd_id` against
/// the trusted keys; returns the signer's `CertSN`. Both vendor layouts are accepted
/// (`CertSN` under `SignatureCert` or directly under `Signature`; `SM2` with `SM3`, or
/// `SM2-SM3`).
///
/// # Errors
/// A reason a person can act on: unknown key, wrong EBD, algorithm, or no match.
pub fn verify(data: &[u8], signature: &[u8], ebd_id: &str, keys: &TrustedKeys) -> Result<String, String> {
    let sig = DetachedSignature::parse(signature).map_err(|e| reason(&e))?;
    if sig.ebd_id.as_deref().is_some_and(|id| id != ebd_id) {
        return Err(format!("the signature file is for EBD {}, not {ebd_id}", sig.ebd_id.unwrap_or_default()));
    }
    sig.verify(data, keys).map_err(|e| reason(&e))?;
    Ok(sig.key_id)
}

fn reason(e: &crate::emergency::EmergencyError) -> String {
    e.reasons().first().map_or_else(|| e.to_string(), |r| r.message.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_file_verifies_and_a_changed_byte_does_not() {
        let signer = SoftwareSigner::random("00000001").unwrap();
        let mut keys = TrustedKeys::new();
        keys.add_sec1_hex("00000001", &signer.public_key_hex(), None).unwrap();
        let data = b"<EBD><EBDID>1</EBDID></EBD>";
        let file = signature_file("1", data, &signer, Utc::now()).unwrap();
        assert_eq!(verify(data, &file, "1", &keys).unwrap(), "00000001");
        let mut tampered = data.to_vec();
        tampered[10] = b'X';
        assert!(verify(&tampered, &file, "1", &keys).is_err());
        assert!(verify(data, &file, "2", &keys).unwrap_err().contains("not 2"));
        let again = SoftwareSigner::from_hex("00000001", &signer.private_key_hex()).unwrap();
        assert_eq!(again.public_key_hex(), signer.public_key_hex());
    }

    #[test]
    fn the_other_vendor_layout_verifies() {
        let signer = SoftwareSigner::random("77").unwrap();
        let mut keys = TrustedKeys::new();
        keys.add_sec1_hex("77", &signer.public_key_hex(), None).unwrap();
        let data = b"<EBD><EBDID>9</EBDID></EBD>";
        let value = hex::encode(signer.sign(data).unwrap());
        let file = format!(
            "<Signature><Version>1</Version><RelatedEBD><EBDID>9</EBDID></RelatedEBD><CertSN>77</CertSN>\
             <SignatureAlgorithm>SM2-SM3</SignatureAlgorithm><SignatureValue>{value}</SignatureValue></Signature>"
        );
        assert_eq!(verify(data, file.as_bytes(), "9", &keys).unwrap(), "77");
        let bad = file.replace("SM2-SM3", "RSA");
        assert!(verify(data, bad.as_bytes(), "9", &keys).unwrap_err().contains("RSA"));
    }
}
