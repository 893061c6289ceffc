//! The platform's SM2 X.509 certificates (GD/J 081's certificates, issued through the
//! provincial security system): each trusted by its serial number, which a signature file
//! names in `CertSN`. Only what verification needs is read — the serial and the SM2 public
//! key; the certificate's own signature, validity and chain are not checked here (the file is
//! configured by the operator, like a raw key).

use x509_cert::der::{self, Decode, DecodePem};
use x509_cert::Certificate;

use crate::emergency::signature::TrustedKeys;

/// `id-ecPublicKey` (RFC 5480).
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// The SM2 curve, `sm2p256v1` (GB/T 32918; GM/T 0006): as the key's curve parameter, or as
/// the key algorithm itself in some certificates.
const SM2_CURVE: &str = "1.2.156.10197.1.301";

/// A certificate's serial and SM2 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sm2Certificate {
    /// The serial number in hexadecimal, upper case, without a leading sign byte.
    pub serial: String,
    /// The subject, as text (for logs).
    pub subject: String,
    /// The public key, SEC1 uncompressed, hex.
    pub public_key_hex: String,
}

/// Reads a certificate in PEM or DER.
///
/// # Errors
/// A message when it is not a certificate, or its key is not an SM2 key.
pub fn parse(bytes: &[u8]) -> Result<Sm2Certificate, String> {
    let cert = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        Certificate::from_pem(bytes).map_err(|e| format!("not a PEM certificate: {e}"))?
    } else {
        Certificate::from_der(bytes).map_err(|e| format!("not a DER certificate: {e}"))?
    };
    let tbs = &cert.tbs_certificate;
    let spki = &tbs.subject_public_key_info;
    let alg = spki.algorithm.oid.to_string();
    let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok());
    let sm2 = alg == SM2_CURVE || (alg == EC_PUBLIC_KEY && curve.is_some_and(|c| c.to_string() == SM2_CURVE));
    if !sm2 {
        let c = curve.map(|c| c.to_string()).unwrap_or_default();
        return Err(format!("the certificate's key is not an SM2 key (algorithm {alg}, curve {c})"));
    }
    let key = spki.subject_public_key.as_bytes().ok_or("the certificate's public key is not whole bytes")?;
    let sn = tbs.serial_number.as_bytes();
    let sn = match sn {
        [0, rest @ ..] if !rest.is_empty() => rest,
        all => all,
    };
    Ok(Sm2Certificate {
        serial: hex::encode_upper(sn),
        subject: tbs.subject.to_string(),
        public_key_hex: hex::encode(key),
    })
}

/// Trusts the key of a certificate under its serial, as the signature files name it
/// ([`super::vendor::cert_sn_forms`]). Returns the certificate read.
///
/// # Errors
/// A message when the certificate cannot be read or its key is not a valid SM2 point.
pub fn trust(keys: &mut TrustedKeys, bytes: &[u8]) -> Result<Sm2Certificate, String> {
    let cert = parse(bytes)?;
    for sn in super::vendor::cert_sn_forms(&cert.serial) {
        keys.add_sec1_hex(&sn, &cert.public_key_hex, None).map_err(|e| e.to_string())?;
    }
    Ok(cert)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emergency::ebd::sign::{signature_file, verify, SoftwareSigner};

    /// Made with OpenSSL 3: `openssl genpkey -algorithm SM2`, then `openssl req -x509 -new
    /// -sm3 -sigopt distid:1234567812345678 -set_serial 0x5A5A0001`.
    const PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBoTCCAUegAwIBAgIEWloAATAKBggqgRzPVQGDdTAuMR4wHAYDVQQDDBVQYW56
aGlodWEgRUIgcGxhdGZvcm0xDDAKBgNVBAoMA3B6aDAeFw0yNjEyMDYyMDE4NTNa
Fw0zNjEyMDMyMDE4NTNaMC4xHjAcBgNVBAMMFVBhbnpoaWh1YSBFQiBwbGF0Zm9y
bTEMMAoGA1UECgwDcHpoMFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAEOKRBC5rM
e9j2JGe6d8a6mVZxoBjWtopJQdX+fDcPkrhJMVb1FkSk5mkKiIOveq8v3UtToeRZ
jLMzzAvS1O6r+aNTMFEwHQYDVR0OBBYEFCHjMPxhrI9oHQX4pPrv/9fTMo+HMB8G
A1UdIwQYMBaAFCHjMPxhrI9oHQX4pPrv/9fTMo+HMA8GA1UdEwEB/wQFMAMBAf8w
CgYIKoEcz1UBg3UDSAAwRQIgIF8eQ5UCrCysfuPpB0sxY689b2KLcjNLjak/tkdj
KpICIQCLQRqMY5UR5GhzSmz6Ujg9tiHIe5CybbKyr190tZ79Dg==
-----END CERTIFICATE-----
";
    /// The certificate's private key.
    const PRIVATE: &str = "4455d6fd942c7e8a22cc270468c346c8d866ddef599ae6311ddee48adb9a4955";

    #[test]
    fn an_sm2_certificate_is_trusted_by_its_serial_and_verifies_its_keys_signatures() {
        let cert = parse(PEM.as_bytes()).unwrap();
        assert_eq!(cert.serial, "5A5A0001");
        assert!(cert.subject.contains("Panzhihua EB platform"), "{}", cert.subject);
        let mut keys = TrustedKeys::new();
        trust(&mut keys, PEM.as_bytes()).unwrap();
        let data = b"<EBD><EBDID>1</EBDID></EBD>";
        for sn in ["5A5A0001", "5a5a0001"] {
            let signer = SoftwareSigner::from_hex(sn, PRIVATE).unwrap();
            let file = signature_file("1", data, &signer, chrono::Utc::now()).unwrap();
            assert_eq!(verify(data, &file, "1", &keys).unwrap(), sn);
        }
        let other = SoftwareSigner::random("5A5A0001").unwrap();
        let forged = signature_file("1", data, &other, chrono::Utc::now()).unwrap();
        assert!(verify(data, &forged, "1", &keys).is_err());
    }

    #[test]
    fn der_reads_the_same_and_junk_or_a_non_sm2_key_is_refused() {
        let body: String = PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        use base64::Engine as _;
        let der = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
        assert_eq!(parse(&der).unwrap(), parse(PEM.as_bytes()).unwrap());
        assert!(parse(b"not a certificate").unwrap_err().contains("DER"));
        let mut bent = der.clone();
        // The curve OID's last arc (301 -> 300): no longer SM2.
        let at = bent.windows(3).position(|w| w == [0x81, 0x1C, 0xCF]).unwrap();
        let curve = bent[at..].windows(2).position(|w| w == [0x82, 0x2D]).unwrap() + at;
        bent[curve + 1] = 0x2C;
        assert!(parse(&bent).unwrap_err().contains("not an SM2 key"));
    }
}
