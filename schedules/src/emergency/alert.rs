//! Kapok's one internal alert model, whatever form the alert arrived in (CAP, EBM, JSON).
//!
//! Its serde form is also the JSON alert form of the API and UI (see `json`).

use serde::{Deserialize, Serialize};
use sha1::Digest as _;

use super::area_code::AreaCode;
use super::geo::{Circle, Polygon};
use super::time::AlertTime;
use super::vocab::{Certainty, MsgType, Severity, Status, Urgency};

/// Which form a document or alert came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    /// OASIS CAP 1.2 XML (including the GB/T 35965.1 profile).
    Cap,
    /// GY/T 385 emergency broadcast message in an EBD envelope.
    Ebm,
    /// Kapok's JSON alert form.
    #[default]
    Json,
    /// Not recognised.
    Unknown,
}

/// The identity used to de-duplicate alerts: CAP `sender,identifier,sent` (sent normalised
/// to UTC), or the EBM ID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct DedupeKey(String);

impl DedupeKey {
    /// Key of a CAP-style alert.
    pub fn cap(sender: &str, identifier: &str, sent: &AlertTime) -> Self {
        Self(format!("cap:{sender},{identifier},{}", sent.utc().format("%Y-%m-%dT%H:%M:%SZ")))
    }

    /// Key of an EBM.
    pub fn ebm(ebm_id: &str) -> Self {
        Self(format!("ebm:{ebm_id}"))
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DedupeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reference to an earlier message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AlertRef {
    /// CAP `sender,identifier,sent`.
    Cap {
        /// Sender of the referenced message.
        sender: String,
        /// Its identifier.
        identifier: String,
        /// Its `sent` time.
        sent: AlertTime,
    },
    /// An EBM by its ID (an EBM cancel names the message it cancels).
    Ebm {
        /// The EBM ID.
        ebm_id: String,
    },
}

impl AlertRef {
    /// The dedupe key of the referenced message.
    pub fn key(&self) -> DedupeKey {
        match self {
            AlertRef::Cap { sender, identifier, sent } => DedupeKey::cap(sender, identifier, sent),
            AlertRef::Ebm { ebm_id } => DedupeKey::ebm(ebm_id),
        }
    }
}

/// Digest algorithms accepted for resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DigestAlgorithm {
    /// SHA-1, as CAP 1.2 specifies.
    #[serde(rename = "sha-1")]
    Sha1,
    /// SHA-256, accepted as a stronger alternative.
    #[serde(rename = "sha-256")]
    Sha256,
}

/// A resource digest: algorithm chosen by length (40 hex = SHA-1, 64 hex = SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourceDigest {
    algorithm: DigestAlgorithm,
    hex: String,
}

impl ResourceDigest {
    /// Parses a hex digest (case-insensitive).
    ///
    /// # Errors
    /// A message when it is not 40 or 64 hex digits.
    pub fn parse(s: &str) -> Result<Self, String> {
        let hex = s.trim().to_ascii_lowercase();
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("digest {s:?} is not hexadecimal"));
        }
        let algorithm = match hex.len() {
            40 => DigestAlgorithm::Sha1,
            64 => DigestAlgorithm::Sha256,
            n => return Err(format!("digest has {n} hex digits; expected 40 (SHA-1) or 64 (SHA-256)")),
        };
        Ok(Self { algorithm, hex })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// Lower-case hex.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// Whether `content` has this digest. A 64-digit digest is accepted as SHA-256 or as
    /// SM3: EBM attachments from platforms following the Chinese cryptography rules carry
    /// SM3, and the EBM does not say which (both are 256-bit collision-resistant hashes).
    pub fn matches(&self, content: &[u8]) -> bool {
        match self.algorithm {
            DigestAlgorithm::Sha1 => hex::encode(sha1::Sha1::digest(content)) == self.hex,
            DigestAlgorithm::Sha256 => {
                hex::encode(sha2::Sha256::digest(content)) == self.hex
                    || hex::encode(sm3::Sm3::digest(content)) == self.hex
            }
        }
    }
}

impl TryFrom<String> for ResourceDigest {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<ResourceDigest> for String {
    fn from(d: ResourceDigest) -> Self {
        d.hex
    }
}

/// A resource attached to an alert (audio to air, an image, a document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// What it is (`resourceDesc`).
    pub desc: String,
    /// MIME type.
    pub mime_type: String,
    /// Size in bytes, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Where to fetch it, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Digest of the content, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<ResourceDigest>,
    /// The content itself, when the message carried it (CAP `derefUri`, a file of an EBD
    /// package), already checked against `size` and `digest`. Never read from JSON.
    #[serde(skip)]
    pub content: Option<std::sync::Arc<[u8]>>,
}

impl Resource {
    /// Whether this is audio that playout can air instead of synthesising speech.
    pub fn is_audio(&self) -> bool {
        self.mime_type.starts_with("audio/")
    }
}

/// One affected area: administrative codes and/or shapes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertArea {
    /// Human description (`areaDesc`).
    pub desc: String,
    /// GB/T 2260 codes.
    #[serde(default)]
    pub codes: Vec<AreaCode>,
    /// Polygons.
    #[serde(default)]
    pub polygons: Vec<Polygon>,
    /// Circles.
    #[serde(default)]
    pub circles: Vec<Circle>,
}

/// A validated alert, ready for de-duplication, targeting and scheduling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// The form it arrived in (decides the dedupe key scheme).
    #[serde(default)]
    pub origin: DocumentKind,
    /// CAP `identifier` / EBM ID / JSON `id`.
    pub id: String,
    /// CAP `sender` / EBM sender code.
    pub sender: String,
    /// When it was sent.
    pub sent: AlertTime,
    /// Actual, Exercise, …
    pub status: Status,
    /// Alert, Update, Cancel, …
    pub msg_type: MsgType,
    /// Earlier messages this one updates, cancels or answers.
    #[serde(default)]
    pub references: Vec<AlertRef>,
    /// How bad.
    pub severity: Severity,
    /// When to act.
    pub urgency: Urgency,
    /// How likely.
    pub certainty: Certainty,
    /// The event (`暴雨`, `Flood`, an EBM event type code); empty only for Cancel/Ack/Error.
    #[serde(default)]
    pub event: String,
    /// Short headline for crawls and slates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// Full text, read out when there is no audio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What people should do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    /// Affected areas.
    #[serde(default)]
    pub areas: Vec<AlertArea>,
    /// When it takes effect (defaults to `sent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<AlertTime>,
    /// When it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<AlertTime>,
    /// Attached resources.
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// RFC 5646 language tag (`zh-CN`).
    pub language: String,
}

impl Alert {
    /// The de-duplication key: CAP sender+identifier+sent, or the EBM ID.
    pub fn key(&self) -> DedupeKey {
        match self.origin {
            DocumentKind::Ebm => DedupeKey::ebm(&self.id),
            _ => DedupeKey::cap(&self.sender, &self.id, &self.sent),
        }
    }

    /// Every area code of every area.
    pub fn area_codes(&self) -> impl Iterator<Item = &AreaCode> {
        self.areas.iter().flat_map(|a| a.codes.iter())
    }

    /// When it takes effect: `effective`, else `sent`.
    pub fn effective_from(&self) -> AlertTime {
        self.effective.unwrap_or(self.sent)
    }
}

/// Rules every form shares: references present where needed, no self or post-dated
/// reference, `expires` after `sent` and `effective`. Returns (code, message, field) triples;
/// the caller adds its form's path.
pub(crate) fn common_problems(alert: &Alert) -> Vec<(super::ReasonCode, String, &'static str)> {
    use super::ReasonCode as C;
    let mut out = Vec::new();
    if alert.msg_type.needs_references() && alert.references.is_empty() {
        out.push((
            C::InvalidReferences,
            format!("a {} message must reference the message(s) it concerns", alert.msg_type),
            "references",
        ));
    }
    let own = alert.key();
    for r in &alert.references {
        match r {
            AlertRef::Cap { sent, .. } => {
                if r.key() == own {
                    out.push((C::SelfReference, "the message references itself".into(), "references"));
                } else if *sent > alert.sent {
                    out.push((
                        C::PostDatedReference,
                        format!("referenced message sent {sent}, after this message ({})", alert.sent),
                        "references",
                    ));
                }
            }
            AlertRef::Ebm { .. } => {}
        }
    }
    if let Some(expires) = alert.expires {
        if expires <= alert.sent {
            out.push((C::TimeOrder, format!("expires {expires} is not after sent {}", alert.sent), "expires"));
        }
        if let Some(effective) = alert.effective {
            if expires <= effective {
                out.push((C::TimeOrder, format!("expires {expires} is not after effective {effective}"), "expires"));
            }
        }
    }
    if alert.msg_type.airs() && alert.event.trim().is_empty() {
        out.push((C::Missing, "an Alert or Update needs an event".into(), "event"));
    }
    if alert.msg_type.airs() && alert.areas.is_empty() {
        out.push((C::Missing, "an Alert or Update needs at least one area".into(), "areas"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_chosen_by_length_and_checked() {
        let d = ResourceDigest::parse("A9993E364706816ABA3E25717850C26C9CD0D89D").unwrap();
        assert_eq!(d.algorithm(), DigestAlgorithm::Sha1);
        assert!(d.matches(b"abc"));
        assert!(!d.matches(b"abd"));
        let d = ResourceDigest::parse("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad").unwrap();
        assert!(d.matches(b"abc"));
        // GB/T 32905-2016 example 1: SM3("abc").
        let sm3 = ResourceDigest::parse("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0").unwrap();
        assert!(sm3.matches(b"abc"));
        assert!(!sm3.matches(b"abd"));
        assert!(ResourceDigest::parse("abc").is_err());
        assert!(ResourceDigest::parse(&"z".repeat(40)).is_err());
    }

    #[test]
    fn dedupe_key_normalises_the_offset() {
        let a = AlertTime::parse_cap("2026-07-01T08:30:00+08:00").unwrap();
        let b = AlertTime::parse_cap("2026-07-01T00:30:00-00:00").unwrap();
        assert_eq!(DedupeKey::cap("s", "i", &a), DedupeKey::cap("s", "i", &b));
        assert_ne!(DedupeKey::cap("s", "i", &a), DedupeKey::ebm("i"));
    }
}
