//! What an EBD package holds and what Kapok would answer it, for a person
//! (`kapok alert validate EBDT_….tar`): the files, the envelope, the signature check (when
//! the platform's keys are configured), the EBM's own validation, and the `EBDResponse` code
//! and reason `POST /api/ebd` would reply with.

use serde::Serialize;

use super::envelope::Envelope;
use super::inbound::{self, Request};
use super::package::{Limits, Package};
use super::response::ResultCode;
use crate::emergency::ebm::{EbmMsgType, EbmSeverity};
use crate::emergency::signature::TrustedKeys;
use crate::emergency::targeting::Network;
use crate::emergency::validate::{validate_document, ValidationReport};

/// Whether `bytes` look like a tar archive (ustar magic, or an old-style header whose
/// checksum field is octal), so callers can tell a package from an XML or JSON document.
pub fn looks_like_tar(bytes: &[u8]) -> bool {
    let magic = bytes.get(257..262) == Some(b"ustar");
    let checksum = bytes.get(148..156).is_some_and(|c| {
        let t: Vec<u8> = c.iter().copied().filter(|b| *b != 0 && *b != b' ').collect();
        !t.is_empty() && t.iter().all(|b| (b'0'..=b'7').contains(b))
    });
    bytes.len() >= 512 && (magic || (checksum && bytes.first().is_some_and(|b| *b != b'<' && *b != b'{')))
}

/// One file of the package.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    /// Its name in the tar.
    pub name: String,
    /// Bytes.
    pub size: usize,
}

/// The package's envelope, as read.
#[derive(Debug, Clone, Serialize)]
pub struct EnvelopeSummary {
    /// `EBDID`.
    pub id: String,
    /// `EBDType`.
    pub kind: &'static str,
    /// `SRC/EBRID`.
    pub source: String,
    /// `DEST/EBRID`.
    pub dest: Option<String>,
    /// `EBDTime` as written.
    pub time: String,
    /// `RelatedEBD/EBDID`.
    pub related: Option<String>,
}

/// The signature check.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureCheck {
    /// Whether the signature file is in the package.
    pub present: bool,
    /// Whether it was checked (platform keys configured).
    pub checked: bool,
    /// The `CertSN` whose key verified it, when it did.
    pub signer: Option<String>,
    /// Why it failed, or why it was not checked.
    pub note: Option<String>,
}

/// The answer Kapok would give.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// `EBDResponse/ResultCode`.
    pub code: u8,
    /// `EBDResponse/ResultDesc` (or what Kapok would go on to do).
    pub reason: String,
}

/// Everything found in a package.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// Whether Kapok would take the package (answer 1), signature unchecked aside.
    pub valid: bool,
    /// `"EBD package"`.
    pub form: &'static str,
    /// The files, data and signature first.
    pub files: Vec<FileEntry>,
    /// The envelope, when it could be read.
    pub envelope: Option<EnvelopeSummary>,
    /// The signature check.
    pub signature: SignatureCheck,
    /// The EBM's own validation (as for a bare EBM document), when the package carries one.
    pub ebm: Option<ValidationReport>,
    /// What `POST /api/ebd` would answer (before the emergency desk: the desk may still
    /// refuse, e.g. a duplicate, and decides which channels air it).
    pub answer: Answer,
}

/// Inspects a package; `keys`: the platform's keys, when configured.
pub fn inspect(bytes: &[u8], keys: Option<&TrustedKeys>, network: &Network) -> Inspection {
    let limits = Limits::default();
    let package = Package::unpack(bytes, limits).ok();
    let mut files = Vec::new();
    if let Some(p) = &package {
        files.push(FileEntry { name: super::vendor::data_name(&p.ebd_id), size: p.data.len() });
        if let Some(s) = &p.signature {
            files.push(FileEntry { name: super::vendor::signature_name(&p.ebd_id), size: s.len() });
        }
        files.extend(p.files.iter().map(|(n, c)| FileEntry { name: n.clone(), size: c.len() }));
    }
    let envelope = package.as_ref().and_then(|p| Envelope::parse(&p.data).ok());
    let ebm = package
        .as_ref()
        .zip(envelope.as_ref())
        .filter(|(_, e)| e.kind == super::EbdType::Ebm)
        .map(|(p, _)| validate_document(&p.data));
    let present = package.as_ref().is_some_and(|p| p.signature.is_some());
    let unchecked = inbound::check(bytes, limits, None, network);
    let checked = keys.map(|k| inbound::check(bytes, limits, Some(k), network));
    let signature = match (&checked, present) {
        (_, false) => SignatureCheck { present, checked: false, signer: None, note: Some("no signature file".into()) },
        (None, true) => SignatureCheck {
            present,
            checked: false,
            signer: None,
            note: Some("not checked: no platform keys configured (alert_sm2_keys)".into()),
        },
        (Some(Ok(i)), true) => SignatureCheck { present, checked: true, signer: Some(i.signer.clone()), note: None },
        (Some(Err(r)), true) if r.code == ResultCode::Signature => {
            SignatureCheck { present, checked: true, signer: None, note: Some(r.reason.clone()) }
        }
        // Refused before or after the signature: whether it verified is not known here.
        (Some(Err(_)), true) => SignatureCheck { present, checked: false, signer: None, note: None },
    };
    let outcome = checked.unwrap_or(unchecked);
    let answer = match &outcome {
        Ok(i) => Answer { code: ResultCode::Ok.code(), reason: what_next(&i.request) },
        Err(r) => Answer { code: r.code.code(), reason: r.reason.clone() },
    };
    Inspection {
        valid: outcome.is_ok(),
        form: "EBD package",
        files,
        envelope: envelope.map(|e| EnvelopeSummary {
            id: e.id.clone(),
            kind: e.kind.name(),
            source: e.source.clone(),
            dest: e.dest.clone(),
            time: e.root.child_text("EBDTime").unwrap_or_default().to_string(),
            related: e.related.clone(),
        }),
        signature,
        ebm,
        answer,
    }
}

fn what_next(request: &Request) -> String {
    match request {
        Request::Ebm { ebm, alert, notes, .. } => {
            let areas: Vec<&str> = alert.area_codes().map(|c| c.as_str()).collect();
            let audio = alert.resources.iter().filter(|r| r.content.is_some()).count();
            let severity = match ebm.severity {
                Some(EbmSeverity::Level(l)) => format!("{l:?}"),
                Some(EbmSeverity::Unknown) => "0 unknown".into(),
                Some(EbmSeverity::Routine) => "10 routine".into(),
                Some(EbmSeverity::Test) => "15 test".into(),
                Some(EbmSeverity::Drill(n)) => format!("{n} drill"),
                None => "none".into(),
            };
            let kind = match ebm.msg_type {
                EbmMsgType::Publish => "broadcast",
                EbmMsgType::Cancel => "cancel",
            };
            let mut s = format!(
                "EBM {} ({kind}, severity {severity}) to the desk for {}; {audio} audio file(s) to air",
                ebm.ebm_id,
                areas.join(",")
            );
            for n in notes {
                s.push_str("; ");
                s.push_str(n);
            }
            s
        }
        Request::EbmState { ebm_id } => format!("EBMStateResponse for {ebm_id} would be sent up"),
        Request::Omd { kind, .. } => format!("OMDRequest {kind}: answered by a report sent up"),
        Request::Other(kind) => format!("{} received", kind.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emergency::ebd::sign::{signature_file, SoftwareSigner};
    use crate::emergency::ebd::{Header, Signer};

    fn package(signer: &SoftwareSigner) -> Vec<u8> {
        let now = chrono::Utc::now();
        let id = "1024510400000000000000001000000000000001".to_string();
        let h = Header {
            id: id.clone(),
            source: "24510400000000000000001".into(),
            source_url: None,
            dest: None,
            time: now,
            related: None,
        };
        let data = h.build(super::super::EbdType::ConnectionCheck, |w| {
            w.leaf("RptTime", &super::super::envelope::format_time(now));
        });
        let sig = signature_file(&id, &data, signer, now).unwrap();
        Package::pack(&id, &data, &sig, &[], now.timestamp())
    }

    #[test]
    fn a_package_is_told_from_xml_and_its_signature_checked_only_with_keys() {
        let signer = SoftwareSigner::random("SN1").unwrap();
        let tar = package(&signer);
        assert!(looks_like_tar(&tar));
        assert!(!looks_like_tar(b"<?xml version=\"1.0\"?><EBD/>"));
        let network = Network::panzhihua();
        let unchecked = inspect(&tar, None, &network);
        assert!(unchecked.valid && !unchecked.signature.checked, "{unchecked:?}");
        assert_eq!(unchecked.envelope.as_ref().unwrap().kind, "ConnectionCheck");
        let mut keys = TrustedKeys::new();
        keys.add_sec1_hex(signer.cert_sn(), &signer.public_key_hex(), None).unwrap();
        let ok = inspect(&tar, Some(&keys), &network);
        assert_eq!(ok.signature.signer.as_deref(), Some("SN1"));
        let other = SoftwareSigner::random("SN1").unwrap();
        let mut wrong = TrustedKeys::new();
        wrong.add_sec1_hex("SN1", &other.public_key_hex(), None).unwrap();
        let bad = inspect(&tar, Some(&wrong), &network);
        assert!(!bad.valid && bad.answer.code == 4 && bad.signature.note.is_some(), "{bad:?}");
        let junk = inspect(&[0u8; 1024], None, &network);
        assert_eq!(junk.answer.code, 2);
    }
}
