//! Authentication of a validated document: signature (XML-DSig for CAP, detached SM2 for
//! EBD) against configured keys, and the replay window — the `received → verified` step.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::alert::DocumentKind;
use super::reason::{Reason, ReasonCode};
use super::replay::ReplayWindow;
use super::signature::{verify_detached, TrustedKeys};
use super::validate::ValidationReport;
use super::xmldsig::{verify_cap_signature, RsaKeys};
use super::EmergencyError;

/// Who may sign alerts, and what is demanded of them.
#[derive(Debug, Clone, Default)]
pub struct Authority {
    /// RSA keys for CAP XML-DSig, by `KeyName`.
    pub cap_keys: RsaKeys,
    /// SM2 keys for EBD detached signatures, by `CertSN`.
    pub ebd_keys: TrustedKeys,
    /// Refuse unsigned CAP and EBM documents. (JSON alerts come through the authenticated
    /// API: the web layer vouches for them.)
    pub require_signature: bool,
    /// Accepted age of `sent`.
    pub replay: ReplayWindow,
}

/// How a document was authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum Authenticated {
    /// A valid signature by this configured key.
    Signature {
        /// The key name / certificate serial.
        key: String,
    },
    /// No signature, and none required (or a JSON alert from the API).
    Unsigned,
}

impl Authority {
    /// Authenticates a document that [`super::validate_document`] found valid.
    /// `detached` is the EBD signature file, when one came with the EBD.
    ///
    /// # Errors
    /// The validation reasons when the report is invalid, otherwise [`ReasonCode::Replay`]
    /// or [`ReasonCode::Signature`] reasons.
    pub fn authenticate(
        &self,
        report: &ValidationReport,
        bytes: &[u8],
        detached: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<Authenticated, Vec<Reason>> {
        let Some(alert) = report.alert.as_ref().filter(|_| report.valid) else {
            return Err(report.reasons.clone());
        };
        self.replay.check(alert, now).map_err(|r| vec![r])?;
        let signed = match report.kind {
            DocumentKind::Cap if has_enveloped_signature(bytes) => Some(verify_cap_signature(bytes, &self.cap_keys)),
            DocumentKind::Ebm => detached.map(|sig| verify_detached(bytes, sig, &self.ebd_keys)),
            _ => None,
        };
        match signed {
            Some(Ok(key)) => Ok(Authenticated::Signature { key }),
            Some(Err(e)) => Err(reasons(e)),
            None if self.require_signature && report.kind != DocumentKind::Json => Err(vec![Reason::new(
                ReasonCode::Signature,
                "this installation requires signed CAP and EBM documents",
                "/",
            )]),
            None => Ok(Authenticated::Unsigned),
        }
    }
}

fn has_enveloped_signature(bytes: &[u8]) -> bool {
    super::xml::parse(bytes).is_ok_and(|root| root.child("Signature").is_some())
}

fn reasons(e: EmergencyError) -> Vec<Reason> {
    match e {
        EmergencyError::Invalid(r) => r,
        other => vec![Reason::new(ReasonCode::Signature, other.to_string(), "/")],
    }
}
