//! The OASIS CAP 1.2 XML schema (`CAP-v1.2.xsd`) as one fixed table, and the walk that
//! checks a document against it.
//!
//! CAP 1.2 §4.2: a conforming message is valid against the schema. The schema is small and
//! fixed — sequences of elements with `minOccurs`/`maxOccurs`, a few simple types and the
//! enumerations of §3.2 — so it is written out below rather than read by an XSD engine.
//! What the walk checks, as the schema does:
//!
//! - every element is in the CAP namespace (`elementFormDefault="qualified"`), except the
//!   XML-DSig elements the schema's closing `<any namespace="…xmldsig#">` lets follow the
//!   last `info` (not looked into: `processContents="lax"` with no schema for them);
//! - the order of each sequence, required elements, and elements repeated beyond `maxOccurs`;
//! - no element inside a text-only element, no text inside an element-only one, no
//!   attributes but namespace declarations and the `xsi:` ones every schema allows;
//! - the simple types: the enumerations (whitespace preserved, as `xs:string` bases do),
//!   the date-time pattern `\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[-,+]\d\d:\d\d` over
//!   `xs:dateTime`, `xs:language`, `xs:integer` and `xs:decimal`. `xs:anyURI` takes any
//!   string, as XSD 1.0 validators do in practice.
//!
//! Rules the schema cannot state (references, polygons, `Private` needs `addresses`, …) are
//! in `parse.rs`.

use crate::emergency::reason::{ReasonCode as C, Reasons};
use crate::emergency::time::AlertTime;
use crate::emergency::vocab::{Category, Certainty, MsgType, ResponseType, Scope, Severity, Status, Urgency};
use crate::emergency::xml::Element;

use super::CAP_NAMESPACE;

/// The XML-DSig namespace, whose elements may close an `<alert>`.
pub const DSIG_NAMESPACE: &str = "http://www.w3.org/2000/09/xmldsig#";
const XSI_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema-instance";
const XSI_ATTRIBUTES: &[&str] = &["type", "nil", "schemaLocation", "noNamespaceSchemaLocation"];

/// What an element holds.
#[derive(Clone, Copy)]
enum Content {
    /// `xs:string`: any text.
    Text,
    /// An enumeration over `xs:string`.
    Enum(&'static [&'static str]),
    /// CAP's restricted `xs:dateTime`.
    DateTime,
    /// `xs:language`.
    Language,
    /// `xs:integer`.
    Integer,
    /// `xs:decimal`.
    Decimal,
    /// `xs:anyURI`.
    AnyUri,
    /// A sequence of elements.
    Elements(&'static [Particle]),
}

/// One `<element>` of a sequence.
struct Particle {
    name: &'static str,
    min: u8,
    /// `maxOccurs="unbounded"` (otherwise 1).
    many: bool,
    content: Content,
}

const fn one(name: &'static str, content: Content) -> Particle {
    Particle { name, min: 1, many: false, content }
}
const fn optional(name: &'static str, content: Content) -> Particle {
    Particle { name, min: 0, many: false, content }
}
const fn any_number(name: &'static str, content: Content) -> Particle {
    Particle { name, min: 0, many: true, content }
}
const fn at_least_one(name: &'static str, content: Content) -> Particle {
    Particle { name, min: 1, many: true, content }
}

use Content::{AnyUri, DateTime, Decimal, Elements, Enum, Integer, Language, Text};

/// `eventCode`, `parameter` and `geocode`: references to the global `valueName` and `value`.
const NAMED_VALUE: &[Particle] = &[one("valueName", Text), one("value", Text)];

const RESOURCE: &[Particle] = &[
    one("resourceDesc", Text),
    one("mimeType", Text),
    optional("size", Integer),
    optional("uri", AnyUri),
    optional("derefUri", Text),
    optional("digest", Text),
];

const AREA: &[Particle] = &[
    one("areaDesc", Text),
    any_number("polygon", Text),
    any_number("circle", Text),
    any_number("geocode", Elements(NAMED_VALUE)),
    optional("altitude", Decimal),
    optional("ceiling", Decimal),
];

const INFO: &[Particle] = &[
    optional("language", Language),
    at_least_one("category", Enum(Category::NAMES)),
    one("event", Text),
    any_number("responseType", Enum(ResponseType::NAMES)),
    one("urgency", Enum(Urgency::NAMES)),
    one("severity", Enum(Severity::NAMES)),
    one("certainty", Enum(Certainty::NAMES)),
    optional("audience", Text),
    any_number("eventCode", Elements(NAMED_VALUE)),
    optional("effective", DateTime),
    optional("onset", DateTime),
    optional("expires", DateTime),
    optional("senderName", Text),
    optional("headline", Text),
    optional("description", Text),
    optional("instruction", Text),
    optional("web", AnyUri),
    optional("contact", Text),
    any_number("parameter", Elements(NAMED_VALUE)),
    any_number("resource", Elements(RESOURCE)),
    any_number("area", Elements(AREA)),
];

/// The content of `<alert>`, followed in the schema by any number of XML-DSig elements.
const ALERT: &[Particle] = &[
    one("identifier", Text),
    one("sender", Text),
    one("sent", DateTime),
    one("status", Enum(Status::NAMES)),
    one("msgType", Enum(MsgType::NAMES)),
    optional("source", Text),
    one("scope", Enum(Scope::NAMES)),
    optional("restriction", Text),
    optional("addresses", Text),
    any_number("code", Text),
    optional("note", Text),
    optional("references", Text),
    optional("incidents", Text),
    any_number("info", Elements(INFO)),
];

/// Checks an `<alert>` in the CAP 1.2 namespace against the schema, adding every problem.
pub(super) fn check(root: &Element, r: &mut Reasons) {
    attributes(root, "/alert", r);
    sequence(root, ALERT, "/alert", true, r);
}

fn sequence(el: &Element, particles: &[Particle], path: &str, is_alert: bool, r: &mut Reasons) {
    if !el.text.is_empty() {
        r.push(C::UnexpectedContent, format!("<{}> holds elements only, not text {:?}", el.name, clip(&el.text)), path);
    }
    let mut at = 0usize;
    let mut counts = vec![0usize; particles.len()];
    let mut misplaced = vec![false; particles.len()];
    let mut in_signature = false;
    for child in &el.children {
        let cap = child.namespace.as_deref() == Some(CAP_NAMESPACE);
        if !cap {
            if is_alert && child.namespace.as_deref() == Some(DSIG_NAMESPACE) {
                in_signature = true;
                continue;
            }
            let known = particles.iter().any(|p| p.name == child.name);
            let message = match (&child.namespace, known) {
                (None, true) => format!(
                    "<{}> is in no namespace: CAP elements must be in {CAP_NAMESPACE} (declare it as the default \
                     namespace or use the alert's prefix)",
                    child.name
                ),
                (Some(ns), true) => format!("<{}> is in namespace {ns}, not {CAP_NAMESPACE}", child.name),
                (ns, false) => format!(
                    "<{}> (namespace {}) is not allowed in <{}>: CAP 1.2 has no extension elements",
                    child.name,
                    ns.as_deref().unwrap_or("none"),
                    el.name
                ),
            };
            r.push(C::UnexpectedElement, message, &format!("{path}/{}", child.name));
            continue;
        }
        let Some(k) = particles.iter().position(|p| p.name == child.name) else {
            let allowed: Vec<&str> = particles.iter().map(|p| p.name).collect();
            r.push(
                C::UnexpectedElement,
                format!(
                    "<{}> is not a CAP 1.2 element of <{}>, which holds {}",
                    child.name,
                    el.name,
                    allowed.join(", ")
                ),
                &format!("{path}/{}", child.name),
            );
            continue;
        };
        let p = &particles[k];
        let child_path =
            if p.many { format!("{path}/{}[{}]", p.name, counts[k]) } else { format!("{path}/{}", p.name) };
        counts[k] += 1;
        if in_signature {
            r.push(
                C::ElementOrder,
                format!("<{}> comes after the signature, which must close the alert", p.name),
                &child_path,
            );
            misplaced[k] = true;
        } else if k < at {
            r.push(
                C::ElementOrder,
                format!("<{}> is out of order: it must come before <{}>", p.name, particles[at].name),
                &child_path,
            );
            misplaced[k] = true;
        } else {
            at = k;
            if !p.many && counts[k] > 1 {
                r.push(C::TooMany, format!("<{}> may appear only once in <{}>", p.name, el.name), &child_path);
            }
        }
        content(child, p.content, &child_path, r);
    }
    for (k, p) in particles.iter().enumerate() {
        if counts[k] < usize::from(p.min) && !misplaced[k] {
            r.missing(&format!("{path}/{}", p.name), p.name);
        }
    }
}

fn content(el: &Element, content: Content, path: &str, r: &mut Reasons) {
    attributes(el, path, r);
    if let Elements(particles) = content {
        sequence(el, particles, path, false, r);
        return;
    }
    if let Some(child) = el.children.first() {
        r.push(
            C::UnexpectedElement,
            format!("<{}> holds text only, not elements such as <{}>", el.name, child.name),
            &format!("{path}/{}", child.name),
        );
        return;
    }
    let t = el.text.as_str();
    let problem = match content {
        Enum(values) if el.text_padded || !values.contains(&t) => Some((
            C::InvalidEnum,
            format!("{:?} is not a CAP {}; expected exactly one of {}", clip(t), el.name, values.join(", ")),
        )),
        DateTime if !is_cap_date_time(t) => Some((
            C::InvalidTime,
            format!("{:?} is not a CAP date-time (YYYY-MM-DDThh:mm:ss±hh:mm, no fractional seconds, no Z)", clip(t)),
        )),
        Language if !is_language(t) => {
            Some((C::InvalidValue, format!("{:?} is not a language tag (xs:language)", clip(t))))
        }
        Integer if !is_integer(t) => {
            Some((C::InvalidValue, format!("{:?} is not a whole number (xs:integer)", clip(t))))
        }
        Decimal if !is_decimal(t) => {
            Some((C::InvalidValue, format!("{:?} is not a decimal number (xs:decimal)", clip(t))))
        }
        _ => None,
    };
    if let Some((code, message)) = problem {
        r.push(code, message, path);
    }
}

fn attributes(el: &Element, path: &str, r: &mut Reasons) {
    for ((key, _), ns) in el.attributes.iter().zip(&el.attribute_namespaces) {
        let local = key.rsplit(':').next().unwrap_or(key);
        let declaration = key == "xmlns" || key.starts_with("xmlns:");
        let xsi = ns.as_deref() == Some(XSI_NAMESPACE) && XSI_ATTRIBUTES.contains(&local);
        if !declaration && !xsi {
            r.push(
                C::UnexpectedContent,
                format!("<{}> has no attribute {key} in CAP 1.2", el.name),
                &format!("{path}/@{key}"),
            );
        }
    }
}

/// The schema's pattern over `xs:dateTime`: the form [`AlertTime::parse_cap`] reads, with
/// the `xs:dateTime` limits chrono does not apply (no leap second, offset within ±14:00).
fn is_cap_date_time(t: &str) -> bool {
    let b = t.as_bytes();
    AlertTime::parse_cap(t).is_ok()
        && b.get(17..19) != Some(b"60")
        && b.get(20..25).is_some_and(|z| z <= b"14:00".as_slice())
}

/// `xs:language`: `[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*`.
fn is_language(t: &str) -> bool {
    t.split('-').enumerate().all(|(i, part)| {
        (1..=8).contains(&part.len())
            && part.chars().all(|c| if i == 0 { c.is_ascii_alphabetic() } else { c.is_ascii_alphanumeric() })
    })
}

/// `xs:integer`: `[+-]?[0-9]+`.
fn is_integer(t: &str) -> bool {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `xs:decimal`: `[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)` (no exponent, no NaN or INF).
fn is_decimal(t: &str) -> bool {
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    (!whole.is_empty() || !fraction.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A value shortened for a message.
fn clip(t: &str) -> String {
    match t.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &t[..at]),
        None => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_types_follow_xml_schema() {
        for ok in ["en-US", "zh-Hans-CN", "x-klingon", "i"] {
            assert!(is_language(ok), "{ok}");
        }
        for bad in ["", "en_US", "-en", "toolonglang", "en-", "1en"] {
            assert!(!is_language(bad), "{bad}");
        }
        assert!(is_integer("+0012") && is_integer("-3") && !is_integer("1.0") && !is_integer("") && !is_integer("+"));
        for ok in ["1", "-1.", ".5", "+10.25", "0"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in ["", ".", "1e3", "NaN", "INF", "1,5", "--1"] {
            assert!(!is_decimal(bad), "{bad}");
        }
        assert!(is_cap_date_time("2003-06-17T14:57:00-07:00"));
        assert!(is_cap_date_time("2003-06-17T14:57:00-00:00"));
        for bad in [
            "2003-06-17T14:57:00Z",
            "2003-06-17T14:57:00.5-07:00",
            "2003-06-17T14:57:60+00:00",
            "2003-06-17T14:57:00+15:00",
            "2003-02-30T14:57:00+00:00",
        ] {
            assert!(!is_cap_date_time(bad), "{bad}");
        }
    }
}
