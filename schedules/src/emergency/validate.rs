//! One entry point for any alert document: what `kapok alert validate` prints.
//!
//! The report keeps two questions apart. `valid`/`reasons`: is this a valid CAP 1.2
//! (GY/T 385 EBM, Kapok JSON) document? `policy`: can a valid message be aired as it
//! stands? A broadcaster refuses on either; [`ValidationReport::into_broadcast_alert`] and
//! [`ValidationReport::broadcast_refusals`] apply both.

use serde::Serialize;

use super::alert::{Alert, DocumentKind};
use super::cap::CapAlert;
use super::ebm::Ebm;
use super::reason::{Reason, ReasonCode};
use super::{gbt35965, json, xml, EmergencyError};

/// The outcome of validating one document. Serialises to the JSON printed by
/// `kapok alert validate` (exit 0 when `valid`, 1 otherwise; `policy` and `warnings` do not
/// change the exit code).
#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    /// The document is valid in its form (no `reasons`). Policy findings do not count.
    pub valid: bool,
    /// `cap`, `ebm`, `json`, or `unknown` when the form could not be told.
    pub kind: DocumentKind,
    /// `"GB/T 35965.1"` when a CAP identifier claims that profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<&'static str>,
    /// Every problem that makes the document invalid.
    pub reasons: Vec<Reason>,
    /// Broadcast-policy findings on a valid document: why it cannot be aired as it stands
    /// (a CAP Alert without `info` or `area`, a `restriction` on a Public alert, `expires`
    /// not after `sent`). Only CAP documents have them so far.
    pub policy: Vec<Reason>,
    /// Things worth telling the sender that decide nothing (a CAP resource `size` that
    /// differs from its `derefUri` content).
    pub warnings: Vec<Reason>,
    /// The alert, when valid (also when there are policy findings).
    pub alert: Option<Alert>,
}

impl ValidationReport {
    fn done(kind: DocumentKind, profile: Option<&'static str>, result: Result<Alert, Vec<Reason>>) -> Self {
        match result {
            Ok(alert) => Self {
                valid: true,
                kind,
                profile,
                reasons: Vec::new(),
                policy: Vec::new(),
                warnings: Vec::new(),
                alert: Some(alert),
            },
            Err(reasons) => {
                Self { valid: false, kind, profile, reasons, policy: Vec::new(), warnings: Vec::new(), alert: None }
            }
        }
    }

    /// Why the document may not go on air: its invalidity reasons, then its policy findings.
    /// Empty exactly when it may ([`Self::into_broadcast_alert`] is `Ok`).
    pub fn broadcast_refusals(&self) -> Vec<Reason> {
        self.reasons.iter().chain(&self.policy).cloned().collect()
    }

    /// The alert to air: valid and without policy findings.
    ///
    /// # Errors
    /// [`Self::broadcast_refusals`] when there are any.
    pub fn into_broadcast_alert(self) -> Result<Alert, Vec<Reason>> {
        let refusals = self.broadcast_refusals();
        match self.alert {
            Some(alert) if refusals.is_empty() => Ok(alert),
            _ => Err(refusals),
        }
    }
}

/// Validates a CAP 1.2 (optionally GB/T 35965.1), EBD/EBM or JSON alert document.
/// Never panics, never resolves anything outside the bytes given.
pub fn validate_document(bytes: &[u8]) -> ValidationReport {
    let kind = sniff(bytes);
    if let Err(r) = xml::precheck_size(bytes) {
        return ValidationReport::done(kind, None, Err(vec![r]));
    }
    match kind {
        DocumentKind::Json => ValidationReport::done(kind, None, json::parse(bytes).map_err(reasons)),
        DocumentKind::Unknown => ValidationReport::done(
            kind,
            None,
            Err(vec![Reason::new(ReasonCode::UnknownDocument, "not an XML or JSON alert document", "/")]),
        ),
        DocumentKind::Cap | DocumentKind::Ebm => {
            let root = match xml::parse(bytes) {
                Ok(root) => root,
                Err(r) => return ValidationReport::done(kind, None, Err(vec![r])),
            };
            match root.name.as_str() {
                "alert" => validate_cap(&root),
                "EBD" => ValidationReport::done(
                    DocumentKind::Ebm,
                    None,
                    Ebm::from_element(&root).and_then(|e| e.to_alert()).map_err(reasons),
                ),
                other => ValidationReport::done(
                    DocumentKind::Unknown,
                    None,
                    Err(vec![Reason::new(
                        ReasonCode::UnknownDocument,
                        format!("root element <{other}> is neither a CAP <alert> nor an <EBD>"),
                        "/",
                    )]),
                ),
            }
        }
    }
}

fn validate_cap(root: &xml::Element) -> ValidationReport {
    let identifier = root.child_text("identifier").unwrap_or_default();
    let profile = gbt35965::ProfileIdentifier::is_claimed_by(identifier).then_some("GB/T 35965.1");
    let mut found = gbt35965::check(identifier, root.child_text("sender").unwrap_or_default());
    match CapAlert::from_element(root) {
        Ok(cap) if found.is_empty() => {
            let mut report = ValidationReport::done(DocumentKind::Cap, profile, Ok(cap.to_alert()));
            report.policy = cap.policy_findings();
            report.warnings = cap.warnings();
            report
        }
        Ok(_) => ValidationReport::done(DocumentKind::Cap, profile, Err(found)),
        Err(e) => {
            let mut r = reasons(e);
            r.append(&mut found);
            ValidationReport::done(DocumentKind::Cap, profile, Err(r))
        }
    }
}

fn reasons(e: EmergencyError) -> Vec<Reason> {
    match e {
        EmergencyError::Invalid(r) => r,
        other => vec![Reason::new(ReasonCode::Malformed, other.to_string(), "/")],
    }
}

/// Guesses the form from the first bytes, so that even a refused document is labelled.
fn sniff(bytes: &[u8]) -> DocumentKind {
    let head = &bytes[..bytes.len().min(4096)];
    // UTF-16 (with a byte-order mark, or `<` as its first character) is read as text first.
    let utf16 = match encoding_rs::Encoding::for_bom(head) {
        Some((e, bom)) if e != encoding_rs::UTF_8 => Some((e, &head[bom..])),
        _ if head.starts_with(b"<\0") => Some((encoding_rs::UTF_16LE, head)),
        _ if head.starts_with(b"\0<") => Some((encoding_rs::UTF_16BE, head)),
        _ => None,
    };
    let text = match utf16 {
        Some((encoding, body)) => encoding.decode_without_bom_handling(body).0,
        None => String::from_utf8_lossy(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head)),
    };
    match text.chars().find(|c| !c.is_ascii_whitespace()) {
        Some('{') | Some('[') => DocumentKind::Json,
        Some('<') => {
            let ebd = text.find("EBD>").or_else(|| text.find("<EBD")).or_else(|| text.find(":EBD"));
            let cap = text.find("<alert").or_else(|| text.find(":alert "));
            match (cap, ebd) {
                (Some(c), Some(e)) if e < c => DocumentKind::Ebm,
                (None, Some(_)) => DocumentKind::Ebm,
                _ => DocumentKind::Cap,
            }
        }
        _ => DocumentKind::Unknown,
    }
}
