//! CAP `<resource>`: fields, digest, and the embedded `derefUri` content checked against
//! `digest`. `size` is the "approximate size" (CAP 1.2 §3.2.3): one that differs from the
//! content is a warning (`broadcast.rs`), not an invalid message.

use base64::Engine as _;

use crate::emergency::alert::{Resource, ResourceDigest};
use crate::emergency::reason::{ReasonCode as C, Reasons};
use crate::emergency::xml::Element;

pub(super) fn resource(el: &Element, path: &str, r: &mut Reasons) -> Option<Resource> {
    let before = r.0.len();
    let desc = el.child_text("resourceDesc");
    let mime = el.child_text("mimeType");
    if desc.is_none() {
        r.push(C::InvalidResource, "resource needs resourceDesc", &format!("{path}/resourceDesc"));
    }
    if mime.is_none() {
        r.push(C::InvalidResource, "resource needs mimeType", &format!("{path}/mimeType"));
    } else if mime.is_some_and(|m| !m.contains('/') || m.contains(char::is_whitespace)) {
        r.push(C::InvalidResource, "mimeType must be type/subtype", &format!("{path}/mimeType"));
    }
    let size = el.child_text("size").and_then(|s| match s.parse::<u64>() {
        Ok(n) => Some(n),
        Err(_) => {
            r.push(C::InvalidResource, format!("size {s:?} is not a whole number of bytes"), &format!("{path}/size"));
            None
        }
    });
    let uri = el.child_text("uri").map(str::to_string);
    if let Some(u) = &uri {
        if u.contains(char::is_whitespace) {
            r.push(C::InvalidResource, "uri must not contain whitespace", &format!("{path}/uri"));
        }
    }
    let digest = el.child_text("digest").and_then(|d| {
        ResourceDigest::parse(d).map_err(|m| r.push(C::InvalidResource, m, &format!("{path}/digest"))).ok()
    });
    let mut carried = None;
    if let Some(encoded) = el.child_text("derefUri") {
        let compact: String = encoded.split_whitespace().collect();
        match base64::engine::general_purpose::STANDARD.decode(compact) {
            Err(e) => r.push(C::InvalidResource, format!("derefUri is not base64: {e}"), &format!("{path}/derefUri")),
            Ok(content) => {
                if digest.as_ref().is_some_and(|d| !d.matches(&content)) {
                    r.push(C::InvalidResource, "digest does not match the derefUri content", &format!("{path}/digest"));
                }
                carried = Some(std::sync::Arc::from(content));
            }
        }
    }
    if r.0.len() > before {
        return None;
    }
    Some(Resource { desc: desc?.to_string(), mime_type: mime?.to_string(), size, uri, digest, content: carried })
}
