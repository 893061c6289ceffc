//! Kapok's JSON alert form, used by the UI and the API.
//!
//! It is the serde form of [`Alert`] (snake_case field names, CAP vocabularies spelt as in
//! CAP, times in RFC 3339, polygons as `[[lat, lon], …]`, circles as
//! `{"centre": [lat, lon], "radius_km": r}`, area codes as strings). Fields are checked one
//! by one so that every problem is reported with its JSON pointer.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::alert::{common_problems, Alert, AlertArea, AlertRef, DocumentKind, Resource};
use super::reason::{Reason, ReasonCode as C, Reasons};
use super::EmergencyError;

const FIELDS: &[&str] = &[
    "origin",
    "id",
    "sender",
    "sent",
    "status",
    "msg_type",
    "references",
    "severity",
    "urgency",
    "certainty",
    "event",
    "headline",
    "description",
    "instruction",
    "areas",
    "effective",
    "expires",
    "resources",
    "language",
];

/// Parses and validates a JSON alert.
///
/// # Errors
/// [`EmergencyError::Invalid`] with every problem found.
pub fn parse(bytes: &[u8]) -> Result<Alert, EmergencyError> {
    if let Err(reason) = super::xml::precheck_size(bytes) {
        return Err(EmergencyError::Invalid(vec![reason]));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        EmergencyError::Invalid(vec![Reason::new(C::Malformed, format!("not well-formed JSON: {e}"), "")])
    })?;
    let Value::Object(obj) = value else {
        return Err(EmergencyError::Invalid(vec![Reason::new(C::UnknownDocument, "a JSON alert is an object", "")]));
    };
    let mut r = Reasons::default();
    for key in obj.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        r.push(C::InvalidValue, format!("unknown field {key:?}"), &format!("/{key}"));
    }
    let origin = field::<DocumentKind>(&obj, "origin", false, &mut r);
    let id = text(&obj, "id", &mut r);
    let sender = text(&obj, "sender", &mut r);
    let sent = field(&obj, "sent", true, &mut r);
    let status = field(&obj, "status", true, &mut r);
    let msg_type = field(&obj, "msg_type", true, &mut r);
    let references: Vec<AlertRef> = items(&obj, "references", &mut r);
    let severity = field(&obj, "severity", true, &mut r);
    let urgency = field(&obj, "urgency", true, &mut r);
    let certainty = field(&obj, "certainty", true, &mut r);
    let event: Option<String> = field(&obj, "event", false, &mut r);
    let headline = field(&obj, "headline", false, &mut r);
    let description = field(&obj, "description", false, &mut r);
    let instruction = field(&obj, "instruction", false, &mut r);
    let areas: Vec<AlertArea> = items(&obj, "areas", &mut r);
    let effective = field(&obj, "effective", false, &mut r);
    let expires = field(&obj, "expires", false, &mut r);
    let resources: Vec<Resource> = items(&obj, "resources", &mut r);
    let language = text(&obj, "language", &mut r);
    let alert = match (id, sender, sent, status, msg_type, severity, urgency, certainty, event, language) {
        (
            Some(id),
            Some(sender),
            Some(sent),
            Some(status),
            Some(msg_type),
            Some(severity),
            Some(urgency),
            Some(certainty),
            event,
            Some(language),
        ) if r.is_empty() => Alert {
            origin: origin.unwrap_or(DocumentKind::Json),
            id,
            sender,
            sent,
            status,
            msg_type,
            references,
            severity,
            urgency,
            certainty,
            event: event.unwrap_or_default(),
            headline,
            description,
            instruction,
            areas,
            effective,
            expires,
            resources,
            language,
        },
        _ => return Err(EmergencyError::Invalid(r.0)),
    };
    for (code, message, field) in common_problems(&alert) {
        r.push(code, message, &format!("/{field}"));
    }
    if r.is_empty() {
        Ok(alert)
    } else {
        Err(EmergencyError::Invalid(r.0))
    }
}

fn field<T: DeserializeOwned>(obj: &Map<String, Value>, name: &str, required: bool, r: &mut Reasons) -> Option<T> {
    let path = format!("/{name}");
    match obj.get(name) {
        None | Some(Value::Null) => {
            if required {
                r.missing(&path, name);
            }
            None
        }
        Some(v) => T::deserialize(v)
            .map_err(|e| {
                let code = if matches!(name, "sent" | "effective" | "expires") {
                    C::InvalidTime
                } else if matches!(name, "status" | "msg_type" | "severity" | "urgency" | "certainty" | "origin") {
                    C::InvalidEnum
                } else {
                    C::InvalidValue
                };
                r.push(code, format!("{name}: {e}"), &path);
            })
            .ok(),
    }
}

fn text(obj: &Map<String, Value>, name: &str, r: &mut Reasons) -> Option<String> {
    let s: Option<String> = field(obj, name, true, r);
    match s {
        Some(s) if s.trim().is_empty() => {
            r.missing(&format!("/{name}"), name);
            None
        }
        other => other,
    }
}

fn items<T: DeserializeOwned>(obj: &Map<String, Value>, name: &str, r: &mut Reasons) -> Vec<T> {
    match obj.get(name) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                T::deserialize(v)
                    .map_err(|e| {
                        let code = match name {
                            "references" => C::InvalidReferences,
                            "resources" => C::InvalidResource,
                            _ => C::InvalidValue,
                        };
                        r.push(code, format!("{name}[{i}]: {e}"), &format!("/{name}/{i}"));
                    })
                    .ok()
            })
            .collect(),
        Some(_) => {
            r.push(C::InvalidValue, format!("{name} must be an array"), &format!("/{name}"));
            Vec::new()
        }
    }
}
