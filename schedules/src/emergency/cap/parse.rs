//! The CAP 1.2 rules the schema cannot state (CAP 1.2 §3.2: identifier and sender forms,
//! `Restricted` needs `restriction`, `Private` needs `addresses`, references, polygons,
//! circles, resources), read into a typed [`CapAlert`], every problem collected with its path.
//! Element order, cardinality and enumerations are `schema.rs`'s; a problem both find is
//! reported once. Broadcast policy (no info, no area, …) is `broadcast.rs`'s, not here.

use super::area::area;
use super::resource::resource;
use super::{CapAlert, CapArea, CapInfo, CapReference, NamedValue, CAP_NAMESPACE};
use crate::emergency::alert::Resource;
use crate::emergency::reason::{Reason, ReasonCode as C, Reasons};
use crate::emergency::time::AlertTime;
use crate::emergency::vocab::{Category, Certainty, MsgType, ResponseType, Scope, Severity, Status, Urgency};
use crate::emergency::xml::Element;

/// Whether a geocode `valueName` denotes a GB/T 2260 area code. CAP leaves value names to
/// the community; the spellings seen in Chinese feeds are accepted, compared without case,
/// spaces and punctuation: `GB/T 2260`, `GB2260`, `AreaCode`, `行政区划代码`.
pub(crate) fn is_gbt2260_name(name: &str) -> bool {
    let n: String = name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    matches!(n.as_str(), "gbt2260" | "gb2260" | "areacode" | "行政区划代码" | "administrativedivisioncode")
}

pub(super) fn alert(root: &Element) -> Result<CapAlert, Vec<Reason>> {
    let mut r = Reasons::default();
    if root.name != "alert" {
        r.push(C::UnknownDocument, format!("root element is <{}>, not <alert>", root.name), "/");
        return Err(r.0);
    }
    if root.namespace.as_deref() != Some(CAP_NAMESPACE) {
        r.push(
            C::Namespace,
            format!(
                "<alert> must be in the CAP 1.2 namespace {CAP_NAMESPACE}, found {}",
                root.namespace.as_deref().unwrap_or("none")
            ),
            "/alert",
        );
    }
    let identifier = token(root, "identifier", "/alert/identifier", &mut r);
    let sender = token(root, "sender", "/alert/sender", &mut r);
    let sent = time(root, "sent", "/alert", true, &mut r);
    let status = enumerated(root, "status", "/alert", Status::parse, &mut r);
    let msg_type = enumerated(root, "msgType", "/alert", MsgType::parse, &mut r);
    let scope = enumerated(root, "scope", "/alert", Scope::parse, &mut r);
    let restriction = root.child_text("restriction").map(str::to_string);
    let addresses = root.child_text("addresses").map(str::to_string);
    match scope {
        Some(Scope::Restricted) if restriction.is_none() => {
            r.push(C::Restriction, "scope Restricted requires a restriction", "/alert/restriction")
        }
        _ => {}
    }
    if scope == Some(Scope::Private) && addresses.is_none() {
        r.push(C::Addresses, "scope Private requires addresses", "/alert/addresses");
    }
    let references = references(root, sender.as_deref(), identifier.as_deref(), sent, msg_type, &mut r);
    let infos: Vec<CapInfo> = root
        .children_named("info")
        .enumerate()
        .filter_map(|(i, el)| info(el, &format!("/alert/info[{i}]"), &mut r))
        .collect();
    match (identifier, sender, sent, status, msg_type, scope) {
        (Some(identifier), Some(sender), Some(sent), Some(status), Some(msg_type), Some(scope)) if r.is_empty() => {
            Ok(CapAlert {
                identifier,
                sender,
                sent,
                status,
                msg_type,
                source: root.child_text("source").map(str::to_string),
                scope,
                restriction,
                addresses,
                codes: root.children_named("code").map(|c| c.text.clone()).collect(),
                note: root.child_text("note").map(str::to_string),
                references,
                incidents: root.child_text("incidents").map(str::to_string),
                infos,
            })
        }
        _ => Err(r.0),
    }
}

/// identifier/sender: required, no whitespace, commas or `<`/`&` (CAP 1.2 §3.2.1).
fn token(el: &Element, name: &str, path: &str, r: &mut Reasons) -> Option<String> {
    let Some(text) = el.child_text(name) else {
        r.missing(path, name);
        return None;
    };
    if text.chars().any(|c| c.is_whitespace() || matches!(c, ',' | '<' | '&')) {
        r.push(C::InvalidValue, format!("{name} must not contain spaces, commas, < or &: {text:?}"), path);
        return None;
    }
    Some(text.to_string())
}

pub(super) fn text(el: &Element, name: &str, parent: &str, r: &mut Reasons) -> Option<String> {
    let t = el.child_text(name).map(str::to_string);
    if t.is_none() {
        r.missing(&format!("{parent}/{name}"), name);
    }
    t
}

fn enumerated<T>(
    el: &Element,
    name: &str,
    parent: &str,
    parse: fn(&str) -> Result<T, String>,
    r: &mut Reasons,
) -> Option<T> {
    let t = text(el, name, parent, r)?;
    parse(&t).map_err(|m| r.push(C::InvalidEnum, m, &format!("{parent}/{name}"))).ok()
}

fn time(el: &Element, name: &str, parent: &str, required: bool, r: &mut Reasons) -> Option<AlertTime> {
    let path = format!("{parent}/{name}");
    let Some(t) = el.child_text(name) else {
        if required {
            r.missing(&path, name);
        }
        return None;
    };
    AlertTime::parse_cap(t).map_err(|m| r.push(C::InvalidTime, m, &path)).ok()
}

fn references(
    root: &Element,
    sender: Option<&str>,
    identifier: Option<&str>,
    sent: Option<AlertTime>,
    msg_type: Option<MsgType>,
    r: &mut Reasons,
) -> Vec<CapReference> {
    const PATH: &str = "/alert/references";
    let mut out = Vec::new();
    let Some(text) = root.child_text("references") else {
        if let Some(m) = msg_type.filter(|m| m.needs_references()) {
            r.push(C::InvalidReferences, format!("a {m} message must reference the message(s) it concerns"), PATH);
        }
        return out;
    };
    for (i, triple) in text.split_whitespace().enumerate() {
        let parts: Vec<&str> = triple.split(',').collect();
        let [s, id, t] = parts.as_slice() else {
            r.push(C::InvalidReferences, format!("reference {i} ({triple:?}) is not sender,identifier,sent"), PATH);
            continue;
        };
        if s.is_empty() || id.is_empty() {
            r.push(C::InvalidReferences, format!("reference {i} has an empty sender or identifier"), PATH);
            continue;
        }
        let ref_sent = match AlertTime::parse_cap(t) {
            Ok(t) => t,
            Err(m) => {
                r.push(C::InvalidReferences, format!("reference {i}: {m}"), PATH);
                continue;
            }
        };
        if Some(*s) == sender && Some(*id) == identifier {
            r.push(C::SelfReference, format!("reference {i} is this message itself"), PATH);
            continue;
        }
        if let Some(own) = sent.filter(|own| ref_sent > *own) {
            r.push(
                C::PostDatedReference,
                format!("reference {i} was sent {ref_sent}, after this message ({own})"),
                PATH,
            );
            continue;
        }
        out.push(CapReference { sender: (*s).to_string(), identifier: (*id).to_string(), sent: ref_sent });
    }
    out
}

fn info(el: &Element, path: &str, r: &mut Reasons) -> Option<CapInfo> {
    let before = r.0.len();
    let categories: Vec<Category> = el
        .children_named("category")
        .enumerate()
        .filter_map(|(i, c)| {
            Category::parse(&c.text).map_err(|m| r.push(C::InvalidEnum, m, &format!("{path}/category[{i}]"))).ok()
        })
        .collect();
    if el.child("category").is_none() {
        r.missing(&format!("{path}/category"), "category");
    }
    let response_types: Vec<ResponseType> = el
        .children_named("responseType")
        .enumerate()
        .filter_map(|(i, c)| {
            ResponseType::parse(&c.text)
                .map_err(|m| r.push(C::InvalidEnum, m, &format!("{path}/responseType[{i}]")))
                .ok()
        })
        .collect();
    let event = text(el, "event", path, r);
    let urgency = enumerated(el, "urgency", path, Urgency::parse, r);
    let severity = enumerated(el, "severity", path, Severity::parse, r);
    let certainty = enumerated(el, "certainty", path, Certainty::parse, r);
    let effective = time(el, "effective", path, false, r);
    let onset = time(el, "onset", path, false, r);
    let expires = time(el, "expires", path, false, r);
    let event_codes = named_values(el, "eventCode", path, r);
    let parameters = named_values(el, "parameter", path, r);
    let resources: Vec<Resource> = el
        .children_named("resource")
        .enumerate()
        .filter_map(|(i, res)| resource(res, &format!("{path}/resource[{i}]"), r))
        .collect();
    let areas: Vec<CapArea> =
        el.children_named("area").enumerate().filter_map(|(i, a)| area(a, &format!("{path}/area[{i}]"), r)).collect();
    if r.0.len() > before {
        return None;
    }
    Some(CapInfo {
        language: el.child_text("language").unwrap_or("en-US").to_string(),
        categories,
        event: event?,
        response_types,
        urgency: urgency?,
        severity: severity?,
        certainty: certainty?,
        audience: el.child_text("audience").map(str::to_string),
        event_codes,
        effective,
        onset,
        expires,
        sender_name: el.child_text("senderName").map(str::to_string),
        headline: el.child_text("headline").map(str::to_string),
        description: el.child_text("description").map(str::to_string),
        instruction: el.child_text("instruction").map(str::to_string),
        web: el.child_text("web").map(str::to_string),
        contact: el.child_text("contact").map(str::to_string),
        parameters,
        resources,
        areas,
    })
}

/// `eventCode`, `parameter` or `geocode` pairs. The `valueName` must name something; the
/// `value` may be empty (an `xs:string`, and Google's CAP library's own valid alerts have
/// `<value/>`).
pub(super) fn named_values(el: &Element, name: &str, parent: &str, r: &mut Reasons) -> Vec<NamedValue> {
    el.children_named(name)
        .enumerate()
        .filter_map(|(i, nv)| {
            let path = format!("{parent}/{name}[{i}]");
            match (nv.child_text("valueName"), nv.child("value")) {
                (Some(n), Some(v)) => Some(NamedValue { value_name: n.to_string(), value: v.text.clone() }),
                _ => {
                    let code = if name == "geocode" { C::InvalidGeocode } else { C::Missing };
                    r.push(code, format!("{name} needs a valueName and a value"), &path);
                    None
                }
            }
        })
        .collect()
}
