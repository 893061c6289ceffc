//! What a broadcaster should know about a valid CAP message before airing it, kept apart
//! from CAP validity: CAP 1.2 allows an Alert without `info` or `area`, a `restriction` on a
//! Public alert, and `expires` at or before `sent`, but none of them can be put on air as
//! they stand. These are *policy findings*; the emergency desk refuses on them.
//!
//! *Warnings* decide nothing: a resource whose `size` differs from its `derefUri` content
//! (CAP calls `size` approximate; the digest, when given, is what is checked).

use super::CapAlert;
use crate::emergency::reason::{Reason, ReasonCode as C};
use crate::emergency::vocab::Scope;

/// The broadcast-policy findings on `cap`, in document order.
pub(super) fn policy(cap: &CapAlert) -> Vec<Reason> {
    let mut out = Vec::new();
    if cap.restriction.is_some() && cap.scope != Scope::Restricted {
        out.push(Reason::new(
            C::Restriction,
            format!("restriction is only used with scope Restricted, not {}", cap.scope),
            "/alert/restriction",
        ));
    }
    if cap.msg_type.airs() {
        match cap.primary_info() {
            None => out.push(Reason::new(
                C::Missing,
                format!("a CAP {} for broadcast needs an info block", cap.msg_type),
                "/alert/info",
            )),
            Some(info) if info.areas.is_empty() => {
                out.push(Reason::new(C::Missing, "an Alert or Update needs at least one area", "/alert/info/area"))
            }
            Some(_) => {}
        }
    }
    for (i, info) in cap.infos.iter().enumerate() {
        let Some(expires) = info.expires else { continue };
        let path = format!("/alert/info[{i}]/expires");
        if expires <= cap.sent {
            out.push(Reason::new(
                C::TimeOrder,
                format!("expires {expires} is not after sent {}: the alert is over before it is sent", cap.sent),
                &path,
            ));
        } else if let Some(effective) = info.effective.filter(|e| expires <= *e) {
            out.push(Reason::new(
                C::TimeOrder,
                format!("expires {expires} is not after effective {effective}: the alert never takes effect"),
                &path,
            ));
        }
    }
    out
}

/// Warnings on `cap`: things worth telling the sender that neither CAP nor policy refuses.
pub(super) fn warnings(cap: &CapAlert) -> Vec<Reason> {
    let mut out = Vec::new();
    for (i, info) in cap.infos.iter().enumerate() {
        for (k, res) in info.resources.iter().enumerate() {
            if let (Some(size), Some(content)) = (res.size, res.content.as_deref()) {
                if size != content.len() as u64 {
                    out.push(Reason::new(
                        C::InvalidResource,
                        format!("size says {size} bytes, derefUri holds {} (CAP's size is approximate)", content.len()),
                        format!("/alert/info[{i}]/resource[{k}]/size"),
                    ));
                }
            }
        }
    }
    out
}
