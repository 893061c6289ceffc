//! OASIS CAP 1.2 alerts: the typed message ([`CapAlert`]) and its mapping to [`Alert`].
//!
//! [`CapAlert::parse`] reads the XML through the safe reader in `emergency::xml`, checks it
//! against the CAP 1.2 schema (`schema.rs`: order, cardinality, unknown elements,
//! enumerations, simple types) and every rule of CAP 1.2 §3 that can be checked without
//! outside knowledge (`parse.rs`), collecting all problems. A `CapAlert` that exists is
//! valid CAP. Whether it can be aired as it stands is a separate question:
//! [`CapAlert::policy_findings`] (`broadcast.rs`).

mod area;
mod broadcast;
mod parse;
mod resource;
mod schema;

pub use schema::DSIG_NAMESPACE;

use serde::Serialize;

use super::alert::{Alert, AlertArea, AlertRef, DocumentKind, Resource};
use super::geo::{Circle, Polygon};
use super::reason::Reason;
use super::time::AlertTime;
use super::vocab::{Category, Certainty, MsgType, ResponseType, Scope, Severity, Status, Urgency};
use super::EmergencyError;

/// The CAP 1.2 namespace.
pub const CAP_NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// A CAP `<alert>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapAlert {
    /// `identifier`.
    pub identifier: String,
    /// `sender`.
    pub sender: String,
    /// `sent`.
    pub sent: AlertTime,
    /// `status`.
    pub status: Status,
    /// `msgType`.
    pub msg_type: MsgType,
    /// `source`.
    pub source: Option<String>,
    /// `scope`.
    pub scope: Scope,
    /// `restriction` (exactly when scope is Restricted).
    pub restriction: Option<String>,
    /// `addresses` (required when scope is Private).
    pub addresses: Option<String>,
    /// `code`s.
    pub codes: Vec<String>,
    /// `note`.
    pub note: Option<String>,
    /// `references`, parsed.
    pub references: Vec<CapReference>,
    /// `incidents`.
    pub incidents: Option<String>,
    /// `info` blocks.
    pub infos: Vec<CapInfo>,
}

/// One `sender,identifier,sent` triple of `references`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CapReference {
    /// Sender of the earlier message.
    pub sender: String,
    /// Its identifier.
    pub identifier: String,
    /// Its sent time.
    pub sent: AlertTime,
}

/// A `valueName`/`value` pair (`eventCode`, `parameter`, `geocode`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedValue {
    /// `valueName`.
    pub value_name: String,
    /// `value`.
    pub value: String,
}

/// A CAP `<info>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapInfo {
    /// `language`, default `en-US`.
    pub language: String,
    /// `category` (one or more).
    pub categories: Vec<Category>,
    /// `event`.
    pub event: String,
    /// `responseType`s.
    pub response_types: Vec<ResponseType>,
    /// `urgency`.
    pub urgency: Urgency,
    /// `severity`.
    pub severity: Severity,
    /// `certainty`.
    pub certainty: Certainty,
    /// `audience`.
    pub audience: Option<String>,
    /// `eventCode`s.
    pub event_codes: Vec<NamedValue>,
    /// `effective`.
    pub effective: Option<AlertTime>,
    /// `onset`.
    pub onset: Option<AlertTime>,
    /// `expires`.
    pub expires: Option<AlertTime>,
    /// `senderName`.
    pub sender_name: Option<String>,
    /// `headline`.
    pub headline: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `instruction`.
    pub instruction: Option<String>,
    /// `web`.
    pub web: Option<String>,
    /// `contact`.
    pub contact: Option<String>,
    /// `parameter`s.
    pub parameters: Vec<NamedValue>,
    /// `resource`s.
    pub resources: Vec<Resource>,
    /// `area`s.
    pub areas: Vec<CapArea>,
}

/// A CAP `<area>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapArea {
    /// `areaDesc`.
    pub desc: String,
    /// `polygon`s.
    pub polygons: Vec<Polygon>,
    /// `circle`s.
    pub circles: Vec<Circle>,
    /// `geocode`s (all of them; GB/T 2260 ones are checked and used for targeting).
    pub geocodes: Vec<NamedValue>,
    /// `altitude` in feet.
    pub altitude: Option<f64>,
    /// `ceiling` in feet.
    pub ceiling: Option<f64>,
}

impl CapAlert {
    /// Parses and validates a CAP 1.2 document.
    ///
    /// # Errors
    /// [`EmergencyError::Invalid`] with every problem found.
    pub fn parse(bytes: &[u8]) -> Result<Self, EmergencyError> {
        let root = super::xml::parse(bytes).map_err(|r| EmergencyError::Invalid(vec![r]))?;
        Self::from_element(&root)
    }

    /// Validates an already parsed (safe) XML tree: the schema, then CAP's own rules.
    ///
    /// # Errors
    /// [`EmergencyError::Invalid`] with every problem found, each once.
    pub fn from_element(root: &super::xml::Element) -> Result<Self, EmergencyError> {
        let mut found = super::reason::Reasons::default();
        // A root in another namespace (CAP 1.1, none) is one Namespace reason from the rule
        // walk; checking its children against 1.2 would only repeat it for each.
        if root.name == "alert" && root.namespace.as_deref() == Some(CAP_NAMESPACE) {
            schema::check(root, &mut found);
        }
        let mut reasons = found.0;
        match parse::alert(root) {
            Ok(cap) if reasons.is_empty() => return Ok(cap),
            Ok(_) => {}
            Err(more) => {
                // One problem, one reason: a rule finding at, above or below a place the
                // schema already reported on says the same thing again.
                let related = |a: &str, b: &str| {
                    a == b
                        || a.strip_prefix(b).is_some_and(|t| t.starts_with('/'))
                        || b.strip_prefix(a).is_some_and(|t| t.starts_with('/'))
                };
                let fresh: Vec<Reason> =
                    more.into_iter().filter(|m| !reasons.iter().any(|s| related(&m.path, &s.path))).collect();
                reasons.extend(fresh);
            }
        }
        Err(EmergencyError::Invalid(reasons))
    }

    /// Broadcast-policy findings: valid CAP that cannot be aired as it stands (an Alert or
    /// Update without `info` or `area`, a `restriction` on a non-Restricted alert, `expires`
    /// not after `sent` or `effective`). Empty when the message can go on air.
    pub fn policy_findings(&self) -> Vec<Reason> {
        broadcast::policy(self)
    }

    /// Warnings that decide nothing (a resource `size` that differs from its content).
    pub fn warnings(&self) -> Vec<Reason> {
        broadcast::warnings(self)
    }

    /// The `info` Kapok airs: the first in Chinese (`zh…`), else the first.
    pub fn primary_info(&self) -> Option<&CapInfo> {
        self.infos.iter().find(|i| i.language.to_ascii_lowercase().starts_with("zh")).or_else(|| self.infos.first())
    }

    /// Maps to the internal model. The primary info gives the event, texts and areas; an
    /// Alert without info maps to an alert with no event and no area, which
    /// [`Self::policy_findings`] reports.
    pub fn to_alert(&self) -> Alert {
        let info = self.primary_info();
        let areas = info
            .map(|i| {
                i.areas
                    .iter()
                    .map(|a| AlertArea {
                        desc: a.desc.clone(),
                        codes: a
                            .geocodes
                            .iter()
                            .filter(|g| parse::is_gbt2260_name(&g.value_name))
                            .filter_map(|g| super::AreaCode::parse(&g.value).ok())
                            .collect(),
                        polygons: a.polygons.clone(),
                        circles: a.circles.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Alert {
            origin: DocumentKind::Cap,
            id: self.identifier.clone(),
            sender: self.sender.clone(),
            sent: self.sent,
            status: self.status,
            msg_type: self.msg_type,
            references: self
                .references
                .iter()
                .map(|r| AlertRef::Cap { sender: r.sender.clone(), identifier: r.identifier.clone(), sent: r.sent })
                .collect(),
            severity: info.map_or(Severity::Unknown, |i| i.severity),
            urgency: info.map_or(Urgency::Unknown, |i| i.urgency),
            certainty: info.map_or(Certainty::Unknown, |i| i.certainty),
            event: info.map(|i| i.event.clone()).unwrap_or_default(),
            headline: info.and_then(|i| i.headline.clone()),
            description: info.and_then(|i| i.description.clone()),
            instruction: info.and_then(|i| i.instruction.clone()),
            areas,
            effective: info.and_then(|i| i.effective),
            expires: info.and_then(|i| i.expires),
            resources: info.map(|i| i.resources.clone()).unwrap_or_default(),
            language: info.map_or_else(|| "en-US".to_string(), |i| i.language.clone()),
        }
    }
}
