//! One entry point for any alert document: what `kapok alert validate` prints.

use serde::Serialize;

use super::alert::{Alert, DocumentKind};
use super::cap::CapAlert;
use super::ebm::Ebm;
use super::reason::{Reason, ReasonCode};
use super::{gbt35965, json, xml, EmergencyError};

/// The outcome of validating one document. Serialises to the JSON printed by
/// `kapok alert validate` (exit 0 when `valid`, 1 otherwise).
#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    /// No reasons were found.
    pub valid: bool,
    /// `cap`, `ebm`, `json`, or `unknown` when the form could not be told.
    pub kind: DocumentKind,
    /// `"GB/T 35965.1"` when a CAP identifier claims that profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<&'static str>,
    /// Every problem found.
    pub reasons: Vec<Reason>,
    /// The alert, when valid.
    pub alert: Option<Alert>,
}

impl ValidationReport {
    fn done(kind: DocumentKind, profile: Option<&'static str>, result: Result<Alert, Vec<Reason>>) -> Self {
        match result {
            Ok(alert) => Self { valid: true, kind, profile, reasons: Vec::new(), alert: Some(alert) },
            Err(reasons) => Self { valid: false, kind, profile, reasons, alert: None },
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
    let alert = match CapAlert::from_element(root) {
        Ok(cap) => cap.to_alert().map_err(reasons),
        Err(e) => Err(reasons(e)),
    };
    let result = match alert {
        Ok(a) if found.is_empty() => Ok(a),
        Ok(_) => Err(found),
        Err(mut r) => {
            r.append(&mut found);
            Err(r)
        }
    };
    ValidationReport::done(DocumentKind::Cap, profile, result)
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
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => DocumentKind::Json,
        Some(b'<') => {
            let text = String::from_utf8_lossy(head);
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
