//! A package from the platform, checked step by step — unpacked, its envelope read, its
//! signature verified, its payload understood — into an [`Inbound`], or refused with the
//! `EBDResponse` code that says why ([`Refused`]).
//!
//! An EBM becomes an [`Alert`] whose areas are those inside the network (the rest are
//! reported as not covered; an EBM with no area in the network is refused, code 5) and whose
//! audio resources carry the package's file when its `Size` and `Digest` match. A file that
//! does not match is not aired (speech takes its place) and the reply says so.

use super::envelope::{EbdType, Envelope};
use super::package::{Limits, Package};
use super::response::ResultCode;
use super::sign;
use crate::emergency::area_code::AreaCode;
use crate::emergency::ebm::{Ebm, EbmMsgType, EbmSeverity};
use crate::emergency::reason::ReasonCode;
use crate::emergency::signature::TrustedKeys;
use crate::emergency::targeting::Network;
use crate::emergency::time::AlertTime;
use crate::emergency::Alert;

/// What the platform asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Broadcast (or cancel) a message.
    Ebm {
        /// The message as parsed.
        ebm: Box<Ebm>,
        /// The alert to hand to the desk: in-network areas only, audio attached.
        alert: Box<Alert>,
        /// Area codes outside the network: not covered.
        outside: Vec<AreaCode>,
        /// Notes for the reply (audio not matching its digest, areas not covered).
        notes: Vec<String>,
    },
    /// Report the broadcast state of an EBM (`EBMStateRequest/EBM/EBMID`).
    EbmState {
        /// The EBMID asked about.
        ebm_id: String,
    },
    /// Operations data (`OMDRequest`): `OMDType` over `RptStartTime`–`RptEndTime`.
    Omd {
        /// `OMDType` (`EBMBrdLog` for the broadcast log).
        kind: String,
        /// `Params/RptStartTime`.
        start: Option<AlertTime>,
        /// `Params/RptEndTime`.
        end: Option<AlertTime>,
    },
    /// Any other type: acknowledged, nothing to do.
    Other(EbdType),
}

/// A verified package.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    /// The envelope.
    pub envelope: Envelope,
    /// The `CertSN` whose key signed it.
    pub signer: String,
    /// What it asks.
    pub request: Request,
}

/// A refused package: the code, the reason, and the EBDID when it was readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The reply's `ResultCode`.
    pub code: ResultCode,
    /// The reply's `ResultDesc`.
    pub reason: String,
    /// The refused package's EBDID, when known (the reply's `RelatedEBD`).
    pub ebd_id: Option<String>,
}

/// Checks a package (see the module documentation).
///
/// # Errors
/// [`Refused`] with the code and reason.
pub fn receive(bytes: &[u8], limits: Limits, keys: &TrustedKeys, network: &Network) -> Result<Inbound, Refused> {
    check(bytes, limits, Some(keys), network)
}

/// [`receive`], with the signature verified only when `keys` are given (`None`: the signature
/// file must be there, but is not checked, and [`Inbound::signer`] is empty) — for
/// `kapok alert validate` on a machine without the platform's keys.
///
/// # Errors
/// [`Refused`] with the code and reason.
pub fn check(bytes: &[u8], limits: Limits, keys: Option<&TrustedKeys>, network: &Network) -> Result<Inbound, Refused> {
    let refuse = |code, reason: String, id: Option<&str>| Refused { code, reason, ebd_id: id.map(str::to_string) };
    let package = Package::unpack(bytes, limits)
        .map_err(|e| refuse(ResultCode::Unparseable, format!("package refused: {e}"), None))?;
    let id = Some(package.ebd_id.as_str());
    let envelope = Envelope::parse(&package.data).map_err(|(code, m)| refuse(code, m, id))?;
    if envelope.id != package.ebd_id {
        let m = format!("the data file is named for EBD {} but holds EBD {}", package.ebd_id, envelope.id);
        return Err(refuse(ResultCode::Unparseable, m, id));
    }
    let Some(signature) = &package.signature else {
        let m = format!("the package has no signature file {}", super::vendor::signature_name(&envelope.id));
        return Err(refuse(ResultCode::Signature, m, id));
    };
    let signer = match keys {
        Some(keys) => sign::verify(&package.data, signature, &envelope.id, keys)
            .map_err(|m| refuse(ResultCode::Signature, m, id))?,
        None => String::new(),
    };
    if let Some(r) = envelope.related.as_deref().filter(|r| !r.bytes().all(|b| b.is_ascii_digit())) {
        return Err(refuse(ResultCode::Unparseable, format!("RelatedEBD/EBDID {r:?} is not an EBDID"), id));
    }
    let request = request(&envelope, &package, network).map_err(|(code, m)| refuse(code, m, id))?;
    Ok(Inbound { envelope, signer, request })
}

fn request(envelope: &Envelope, package: &Package, network: &Network) -> Result<Request, (ResultCode, String)> {
    let payload = envelope.payload();
    match envelope.kind {
        EbdType::Ebm => ebm_request(envelope, package, network),
        EbdType::EbmStateRequest => payload
            .child("EBM")
            .and_then(|e| e.child_text("EBMID"))
            .map(|id| Request::EbmState { ebm_id: id.to_string() })
            .ok_or((ResultCode::Missing, "EBMStateRequest/EBM/EBMID is missing".into())),
        EbdType::OmdRequest => {
            let kind = payload
                .child_text("OMDType")
                .ok_or((ResultCode::Missing, "OMDRequest/OMDType is missing".to_string()))?;
            let params = payload.child("Params");
            let time = |name: &str| -> Result<Option<AlertTime>, (ResultCode, String)> {
                params
                    .and_then(|p| p.child_text(name))
                    .map(|t| AlertTime::parse_ebm(t).map_err(|m| (ResultCode::Unparseable, m)))
                    .transpose()
            };
            Ok(Request::Omd { kind: kind.to_string(), start: time("RptStartTime")?, end: time("RptEndTime")? })
        }
        other => Ok(Request::Other(other)),
    }
}

fn ebm_request(envelope: &Envelope, package: &Package, network: &Network) -> Result<Request, (ResultCode, String)> {
    let ebm = Ebm::from_element(&envelope.root).map_err(|e| {
        let reasons = e.reasons();
        let code = if reasons.iter().any(|r| r.code == ReasonCode::Missing) {
            ResultCode::Missing
        } else {
            ResultCode::Unparseable
        };
        let text: Vec<String> = reasons.iter().map(|r| format!("{} ({})", r.message, r.path)).collect();
        (code, text.join("; "))
    })?;
    let (inside, outside): (Vec<AreaCode>, Vec<AreaCode>) = ebm.areas.iter().cloned().partition(|c| network.knows(c));
    let mut notes = Vec::new();
    if ebm.msg_type == EbmMsgType::Publish && inside.is_empty() {
        let codes: Vec<&str> = outside.iter().map(AreaCode::as_str).collect();
        return Err((ResultCode::Other, format!("no area of the message lies in this network: {}", codes.join(","))));
    }
    if !outside.is_empty() {
        let codes: Vec<&str> = outside.iter().map(AreaCode::as_str).collect();
        notes.push(format!("not covered (outside this network): {}", codes.join(",")));
    }
    let mut scoped = ebm.clone();
    scoped.areas = inside;
    let mut alert = scoped.to_alert().map_err(|e| {
        let text: Vec<String> = e.reasons().iter().map(|r| format!("{} ({})", r.message, r.path)).collect();
        (ResultCode::Unparseable, text.join("; "))
    })?;
    for aux in &ebm.auxiliaries {
        let Some(file) = package.files.get(&aux.desc) else {
            return Err((ResultCode::Missing, format!("the package lacks {:?}, which Auxiliary names", aux.desc)));
        };
        let size_ok = aux.size.is_none_or(|s| s == file.len() as u64);
        let digest_ok = aux.digest.as_ref().is_none_or(|d| d.matches(file));
        if !(size_ok && digest_ok) {
            notes.push(format!("{:?} does not match its Size/Digest: not aired, speech instead", aux.desc));
            continue;
        }
        let content: std::sync::Arc<[u8]> = file.as_slice().into();
        for r in alert.resources.iter_mut().filter(|r| r.desc == aux.desc) {
            r.content = Some(content.clone());
        }
    }
    if ebm.severity == Some(EbmSeverity::Test) {
        notes.push("a test (Severity 15): recorded, not aired".into());
    }
    Ok(Request::Ebm { ebm: Box::new(ebm), alert: Box::new(alert), outside, notes })
}
