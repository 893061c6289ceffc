//! Why a document was refused: a machine code, a message a person can act on,
//! and where in the document the problem sits.

use serde::Serialize;

/// The kind of problem found in an alert document.
///
/// Serialised in `snake_case`; the codes are part of the `kapok alert validate` contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReasonCode {
    /// The input is larger than [`crate::emergency::MAX_DOCUMENT_BYTES`].
    TooLarge,
    /// A DOCTYPE, DTD or entity declaration: refused before parsing (XXE, entity bombs).
    DoctypeForbidden,
    /// Not well-formed XML or JSON, or not UTF-8.
    Malformed,
    /// Neither a CAP alert, an EBD envelope nor a JSON alert.
    UnknownDocument,
    /// The root element is in the wrong namespace.
    Namespace,
    /// An element the schema does not allow where it stands: an unknown name, a name in
    /// the wrong namespace, or any element inside a text-only element.
    UnexpectedElement,
    /// A known element out of the order the schema fixes.
    ElementOrder,
    /// An element repeated more often than the schema allows.
    TooMany,
    /// Text inside an element that holds only elements, or an attribute the schema does
    /// not define.
    UnexpectedContent,
    /// A required element or field is absent or empty.
    Missing,
    /// A value outside its enumeration.
    InvalidEnum,
    /// A date-time not in the required form.
    InvalidTime,
    /// A value of the wrong shape (identifier, number, code, …).
    InvalidValue,
    /// `references` absent or malformed where the message type needs it.
    InvalidReferences,
    /// The alert references itself.
    SelfReference,
    /// A referenced message was sent after this one.
    PostDatedReference,
    /// A polygon that is too short, open, or outside WGS 84 ranges.
    InvalidPolygon,
    /// A circle that is not `lat,lon radius`.
    InvalidCircle,
    /// `restriction` present/absent against `scope`.
    Restriction,
    /// `addresses` missing for a Private alert.
    Addresses,
    /// A geocode without name or value, or a GB/T 2260 value of the wrong shape.
    InvalidGeocode,
    /// A resource with a missing field, bad size, bad URI or bad digest.
    InvalidResource,
    /// `expires` not after `sent` / `effective`.
    TimeOrder,
    /// Breaks the GB/T 35965.1 identifier form.
    Profile,
    /// An area code outside the network this installation serves.
    UnknownArea,
    /// An airable alert reaches no channel.
    NoChannel,
    /// Signature missing, malformed, from an unknown key, or not matching.
    Signature,
    /// `sent` outside the accepted replay window.
    Replay,
    /// A text field longer than the desk airs (see `emergency::scope::limits`).
    TooLong,
    /// A shape no broadcast desk can mean: a circle wider than the province, a polygon whose
    /// edges cross.
    InvalidShape,
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// What kind of problem.
    pub code: ReasonCode,
    /// What is wrong, for a person.
    pub message: String,
    /// Where: an XPath-like location (`/alert/info[0]/area[1]/polygon[0]`) or a JSON pointer.
    pub path: String,
}

impl Reason {
    /// A reason with the given code, message and path.
    pub fn new(code: ReasonCode, message: impl Into<String>, path: impl Into<String>) -> Self {
        Self { code, message: message.into(), path: path.into() }
    }
}

/// Collects reasons while a document is walked, so that every problem is reported at once.
#[derive(Debug, Default)]
pub(crate) struct Reasons(pub(crate) Vec<Reason>);

impl Reasons {
    pub(crate) fn push(&mut self, code: ReasonCode, message: impl Into<String>, path: &str) {
        self.0.push(Reason::new(code, message, path));
    }

    pub(crate) fn missing(&mut self, path: &str, what: &str) {
        self.push(ReasonCode::Missing, format!("required {what} is missing or empty"), path);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
