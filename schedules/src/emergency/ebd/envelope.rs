//! The EBD envelope: `EBDVersion, EBDID, EBDType, SRC{EBRID, URL?}, DEST{EBRID}?, EBDTime,
//! RelatedEBD{EBDID}?` and one payload element named by `EBDType` — read from the safe XML
//! tree, and written by a small escaping writer.

use chrono::{DateTime, Utc};

use super::response::ResultCode;
use super::vendor;
use crate::emergency::time::AlertTime;
use crate::emergency::xml::{self, Element};

/// What an EBD carries (its `EBDType`, naming the payload element).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum EbdType {
    Ebm,
    EbmStateRequest,
    EbmStateResponse,
    OmdRequest,
    EbrpsInfo,
    EbrstInfo,
    EbrasInfo,
    EbrbsInfo,
    EbrdtInfo,
    EbmBrdLog,
    EbrpsState,
    EbrasState,
    EbrbsState,
    EbrdtState,
    ConnectionCheck,
    EbdResponse,
}

const NAMES: &[(EbdType, &str)] = &[
    (EbdType::Ebm, "EBM"),
    (EbdType::EbmStateRequest, "EBMStateRequest"),
    (EbdType::EbmStateResponse, "EBMStateResponse"),
    (EbdType::OmdRequest, "OMDRequest"),
    (EbdType::EbrpsInfo, "EBRPSInfo"),
    (EbdType::EbrstInfo, "EBRSTInfo"),
    (EbdType::EbrasInfo, "EBRASInfo"),
    (EbdType::EbrbsInfo, "EBRBSInfo"),
    (EbdType::EbrdtInfo, "EBRDTInfo"),
    (EbdType::EbmBrdLog, "EBMBrdLog"),
    (EbdType::EbrpsState, "EBRPSState"),
    (EbdType::EbrasState, "EBRASState"),
    (EbdType::EbrbsState, "EBRBSState"),
    (EbdType::EbrdtState, "EBRDTState"),
    (EbdType::ConnectionCheck, "ConnectionCheck"),
    (EbdType::EbdResponse, "EBDResponse"),
];

impl EbdType {
    /// The element name (and `EBDType` value).
    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(t, _)| *t == self).map_or("", |(_, n)| n)
    }

    /// From an `EBDType` value.
    pub fn parse(s: &str) -> Option<Self> {
        NAMES.iter().find(|(_, n)| *n == s).map(|(t, _)| *t)
    }
}

/// A parsed envelope, keeping the whole tree for the payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// `EBDID`.
    pub id: String,
    /// `EBDType`.
    pub kind: EbdType,
    /// `SRC/EBRID`.
    pub source: String,
    /// `SRC/URL`.
    pub source_url: Option<String>,
    /// `DEST/EBRID`.
    pub dest: Option<String>,
    /// `EBDTime`.
    pub time: AlertTime,
    /// `RelatedEBD/EBDID`.
    pub related: Option<String>,
    /// The `EBD` element.
    pub root: Element,
}

/// Why an envelope was refused: the reply's code and a reason.
pub type Refusal = (ResultCode, String);

impl Envelope {
    /// Parses an EBD data file.
    ///
    /// # Errors
    /// [`ResultCode::Unparseable`] for bad XML or an unknown `EBDType`,
    /// [`ResultCode::Missing`] for a missing envelope field or payload.
    pub fn parse(bytes: &[u8]) -> Result<Self, Refusal> {
        let root = xml::parse(bytes).map_err(|r| (ResultCode::Unparseable, r.message))?;
        if root.name != "EBD" {
            return Err((ResultCode::Unparseable, format!("the root element is <{}>, not <EBD>", root.name)));
        }
        let need = |name: &str| {
            root.child_text(name).map(str::to_string).ok_or((ResultCode::Missing, format!("EBD/{name} is missing")))
        };
        let id = need("EBDID")?;
        let kind_text = need("EBDType")?;
        let kind = EbdType::parse(&kind_text)
            .ok_or((ResultCode::Unparseable, format!("EBDType {kind_text:?} is not an EBD type")))?;
        let source = root
            .child("SRC")
            .and_then(|s| s.child_text("EBRID"))
            .map(str::to_string)
            .ok_or((ResultCode::Missing, "EBD/SRC/EBRID is missing".to_string()))?;
        if !is_ebrid(&source) {
            return Err((ResultCode::Unparseable, format!("SRC/EBRID {source:?} is not a resource code")));
        }
        let time_text = need("EBDTime")?;
        let time = AlertTime::parse_ebm(&time_text).map_err(|m| (ResultCode::Unparseable, m))?;
        if root.child(kind.name()).is_none() {
            return Err((ResultCode::Missing, format!("EBD/{} is missing (EBDType names it)", kind.name())));
        }
        Ok(Self {
            id,
            kind,
            source_url: root.child("SRC").and_then(|s| s.child_text("URL")).map(str::to_string),
            source,
            dest: root.child("DEST").and_then(|d| d.child_text("EBRID")).map(str::to_string),
            time,
            related: root.child("RelatedEBD").and_then(|r| r.child_text("EBDID")).map(str::to_string),
            root,
        })
    }

    /// The payload element (present: checked by [`Self::parse`]).
    pub fn payload(&self) -> &Element {
        self.root.child(self.kind.name()).unwrap_or(&self.root)
    }
}

/// Whether `s` is a resource code as accepted from a platform (see [`vendor::EBRID_MIN_DIGITS`]).
pub fn is_ebrid(s: &str) -> bool {
    (vendor::EBRID_MIN_DIGITS..=vendor::EBRID_DIGITS).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` is a full-length resource code, as Kapok's own must be.
pub fn is_full_ebrid(s: &str) -> bool {
    s.len() == vendor::EBRID_DIGITS && s.bytes().all(|b| b.is_ascii_digit())
}

/// A new EBDID: prefix, the sender's EBRID, then 16 digits from `seq` (callers pass a value
/// unique to the sender, e.g. milliseconds since the epoch × 1000 + a counter).
pub fn new_ebd_id(heartbeat: bool, ebrid: &str, seq: u64) -> String {
    let prefix = if heartbeat { vendor::EBDID_HEARTBEAT_PREFIX } else { vendor::EBDID_PREFIX };
    let width = vendor::EBDID_SEQUENCE_DIGITS;
    let digits = format!("{seq:0width$}");
    format!("{prefix}{ebrid}{}", &digits[digits.len() - width..])
}

/// An instant in the EBD time form (Beijing wall-clock time).
pub fn format_time(t: DateTime<Utc>) -> String {
    (t + chrono::Duration::hours(8)).naive_utc().format(vendor::TIME_FORMAT).to_string()
}

/// A minimal XML writer: elements and escaped text, nothing else.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// A document with its XML declaration.
    pub fn new() -> Self {
        Self { out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") }
    }

    /// `<name>` … (children written by `body`) … `</name>`.
    pub fn element(&mut self, name: &str, body: impl FnOnce(&mut Self)) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        body(self);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `<name>text</name>`, text escaped.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.element(name, |w| escape_into(&mut w.out, text))
    }

    /// [`Self::leaf`] when `text` is given.
    pub fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.leaf(name, t);
        }
        self
    }

    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.out.into_bytes()
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// The envelope fields of a package Kapok writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `EBDID`.
    pub id: String,
    /// Kapok's EBRID.
    pub source: String,
    /// Kapok's URL, when it has one the platform may call.
    pub source_url: Option<String>,
    /// The platform's EBRID.
    pub dest: Option<String>,
    /// `EBDTime`.
    pub time: DateTime<Utc>,
    /// The EBD this answers or reports on.
    pub related: Option<String>,
}

impl Header {
    /// The whole data file, with the payload written by `payload` inside `<{kind}>`.
    pub fn build(&self, kind: EbdType, payload: impl FnOnce(&mut XmlWriter)) -> Vec<u8> {
        let mut w = XmlWriter::new();
        w.element("EBD", |w| {
            w.leaf("EBDVersion", vendor::VERSION).leaf("EBDID", &self.id).leaf("EBDType", kind.name());
            w.element("SRC", |w| {
                w.leaf("EBRID", &self.source).leaf_opt("URL", self.source_url.as_deref());
            });
            if let Some(d) = &self.dest {
                w.element("DEST", |w| {
                    w.leaf("EBRID", d);
                });
            }
            w.leaf("EBDTime", &format_time(self.time));
            if let Some(r) = &self.related {
                w.element("RelatedEBD", |w| {
                    w.leaf("EBDID", r);
                });
            }
            w.element(kind.name(), payload);
        });
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_envelope_parses_back() {
        let h = Header {
            id: new_ebd_id(false, "34510400000000000000001", 42),
            source: "34510400000000000000001".into(),
            source_url: None,
            dest: Some("24510400000000000000001".into()),
            time: Utc::now(),
            related: Some("1".into()),
        };
        let bytes = h.build(EbdType::ConnectionCheck, |w| {
            w.leaf("RptTime", "2024-01-01 00:00:00 <&>");
        });
        let e = Envelope::parse(&bytes).unwrap();
        assert_eq!(e.kind, EbdType::ConnectionCheck);
        assert_eq!(e.id.len(), 2 + 23 + 16);
        assert_eq!(e.related.as_deref(), Some("1"));
        assert_eq!(e.payload().child_text("RptTime"), Some("2024-01-01 00:00:00 <&>"));
    }

    #[test]
    fn refusals_carry_the_right_code() {
        assert_eq!(Envelope::parse(b"<EBD>").unwrap_err().0, ResultCode::Unparseable);
        let no_payload = b"<EBD><EBDID>1</EBDID><EBDType>EBM</EBDType><SRC><EBRID>123456789012</EBRID></SRC>\
            <EBDTime>2024-01-01 00:00:00</EBDTime></EBD>";
        assert_eq!(Envelope::parse(no_payload).unwrap_err().0, ResultCode::Missing);
    }
}
