//! GY/T 385 emergency broadcast messages (应急广播消息) in their EBD envelope.
//!
//! The element names follow the EBD/EBM structure of the 2018 interim specifications
//! (GD/J 082 message format, GD/J 083 platform interface; replaced by the GY/T 383–391
//! series in 2023) as public vendor implementations write them — the standard's text was
//! not available here; the details that rest on those implementations are listed in
//! [`super::ebd::vendor`], and `docs/emergency.md` says which source backs what. Namespaces
//! are ignored (local names only), so prefixed or namespaced envelopes parse the same.
//!
//! ```text
//! EBD: EBDVersion? EBDID EBDType(=EBM) SRC/EBRID DEST? EBDTime
//!   EBM: EBMVersion? EBMID
//!     MsgBasicInfo: MsgType(1 publish | 2 cancel) SenderName? SenderCode? SendTime?
//!                   EventType Severity(1..4 | 0 unknown | 10 routine | 15 test | 21..23 drill)
//!                   StartTime EndTime
//!     MsgContent:   LanguageCode MsgTitle MsgDesc AreaCode(list)
//!                   Auxiliary*: AuxiliaryType AuxiliaryDesc Size? Digest?
//! ```

use serde::Serialize;

use super::alert::{Alert, AlertArea, AlertRef, DocumentKind, Resource, ResourceDigest};
use super::area_code::AreaCode;
use super::gbt35965::WarningLevel;
use super::reason::{Reason, ReasonCode as C, Reasons};
use super::time::AlertTime;
use super::vocab::{Certainty, MsgType, Severity, Status, Urgency};
use super::xml::Element;
use super::EmergencyError;

/// EBM message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EbmMsgType {
    /// `1`: request to broadcast (请求播发).
    Publish,
    /// `2`: cancel broadcasting (取消播发).
    Cancel,
}

/// The `Severity` of an EBM: a warning level, or one of the codes that are not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EbmSeverity {
    /// `1`–`4`: 特别重大, 重大, 较大, 一般.
    Level(WarningLevel),
    /// `0`: unknown (未知级别).
    Unknown,
    /// `10`: routine broadcasting (日常广播).
    Routine,
    /// `15`: a test (测试): never airs publicly.
    Test,
    /// `21`–`23`: a drill (演练), airing only where drills are allowed.
    Drill(u8),
}

impl EbmSeverity {
    /// From the written code.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "0" => Some(Self::Unknown),
            "10" => Some(Self::Routine),
            "15" => Some(Self::Test),
            t @ ("21" | "22" | "23") => t.parse().ok().map(Self::Drill),
            t => WarningLevel::parse(t).map(Self::Level),
        }
    }

    /// The CAP-side status: Test for a test, Exercise for a drill, else Actual.
    pub fn status(self) -> Status {
        match self {
            Self::Test => Status::Test,
            Self::Drill(_) => Status::Exercise,
            _ => Status::Actual,
        }
    }
}

/// An attachment (audio to air, usually).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Auxiliary {
    /// `AuxiliaryType` as written.
    pub kind: String,
    /// `AuxiliaryDesc`: the file name.
    pub desc: String,
    /// `Size` in bytes.
    pub size: Option<u64>,
    /// `Digest` (hex).
    pub digest: Option<ResourceDigest>,
}

/// A parsed, valid EBD carrying an EBM.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ebm {
    /// `EBDID`.
    pub ebd_id: String,
    /// `SRC/EBRID`: the sending platform's resource ID.
    pub source: String,
    /// `EBDTime`.
    pub ebd_time: AlertTime,
    /// `EBMID`: the dedupe key.
    pub ebm_id: String,
    /// Publish or cancel.
    pub msg_type: EbmMsgType,
    /// `SenderName`.
    pub sender_name: Option<String>,
    /// `SenderCode`.
    pub sender_code: Option<String>,
    /// `SendTime` (else `EBDTime`).
    pub send_time: AlertTime,
    /// `EventType` code (GB/T 35561 style, e.g. `11B03`).
    pub event_type: Option<String>,
    /// `Severity` as a warning level (1–4 only).
    pub level: Option<WarningLevel>,
    /// `Severity` as written: a level, or unknown, routine, test or drill.
    pub severity: Option<EbmSeverity>,
    /// `StartTime`.
    pub start: Option<AlertTime>,
    /// `EndTime`.
    pub end: Option<AlertTime>,
    /// `LanguageCode`.
    pub language: Option<String>,
    /// `MsgTitle`.
    pub title: Option<String>,
    /// `MsgDesc`.
    pub description: Option<String>,
    /// `AreaCode` list.
    pub areas: Vec<AreaCode>,
    /// Attachments.
    pub auxiliaries: Vec<Auxiliary>,
}

impl Ebm {
    /// Parses and validates an EBD document.
    ///
    /// # Errors
    /// [`EmergencyError::Invalid`] with every problem found.
    pub fn parse(bytes: &[u8]) -> Result<Self, EmergencyError> {
        let root = super::xml::parse(bytes).map_err(|r| EmergencyError::Invalid(vec![r]))?;
        Self::from_element(&root)
    }

    /// Validates an already parsed (safe) XML tree.
    ///
    /// # Errors
    /// [`EmergencyError::Invalid`] with every problem found.
    pub fn from_element(root: &Element) -> Result<Self, EmergencyError> {
        from_element(root).map_err(EmergencyError::Invalid)
    }

    /// Maps to the internal model. A cancel references its own EBM ID (the one it stops).
    ///
    /// # Errors
    /// [`EmergencyError::Invalid`] when the rules shared by all forms fail (e.g. `EndTime`
    /// not after `SendTime`).
    pub fn to_alert(&self) -> Result<Alert, EmergencyError> {
        let alert = self.alert();
        let reasons: Vec<Reason> = super::alert::common_problems(&alert)
            .into_iter()
            .map(|(code, message, field)| {
                let path = match field {
                    "expires" => "/EBD/EBM/MsgBasicInfo/EndTime",
                    "event" => "/EBD/EBM/MsgBasicInfo/EventType",
                    "areas" => "/EBD/EBM/MsgContent/AreaCode",
                    _ => "/EBD/EBM",
                };
                Reason::new(code, message, path)
            })
            .collect();
        if reasons.is_empty() {
            Ok(alert)
        } else {
            Err(EmergencyError::Invalid(reasons))
        }
    }

    fn alert(&self) -> Alert {
        let (msg_type, references) = match self.msg_type {
            EbmMsgType::Publish => (MsgType::Alert, Vec::new()),
            EbmMsgType::Cancel => (MsgType::Cancel, vec![AlertRef::Ebm { ebm_id: self.ebm_id.clone() }]),
        };
        let areas = if self.areas.is_empty() {
            Vec::new()
        } else {
            vec![AlertArea {
                desc: self.areas.iter().map(AreaCode::as_str).collect::<Vec<_>>().join(","),
                codes: self.areas.clone(),
                polygons: Vec::new(),
                circles: Vec::new(),
            }]
        };
        Alert {
            origin: DocumentKind::Ebm,
            id: self.ebm_id.clone(),
            sender: self.sender_code.clone().unwrap_or_else(|| self.source.clone()),
            sent: self.send_time,
            status: self.severity.map_or(Status::Actual, EbmSeverity::status),
            msg_type,
            references,
            severity: self.level.map_or(Severity::Unknown, WarningLevel::severity),
            urgency: Urgency::Unknown,
            certainty: Certainty::Unknown,
            event: self.event_type.clone().unwrap_or_default(),
            headline: self.title.clone(),
            description: self.description.clone(),
            instruction: None,
            areas,
            effective: self.start,
            expires: self.end,
            resources: self
                .auxiliaries
                .iter()
                .map(|a| Resource {
                    desc: a.desc.clone(),
                    mime_type: match a.kind.as_str() {
                        super::ebd::vendor::AUXILIARY_MP3 => "audio/mpeg",
                        super::ebd::vendor::AUXILIARY_WAV => "audio/wav",
                        _ => mime_of(&a.desc),
                    }
                    .to_string(),
                    size: a.size,
                    uri: Some(a.desc.clone()),
                    digest: a.digest.clone(),
                    content: None,
                })
                .collect(),
            language: self.language.clone().unwrap_or_else(|| "zh-CN".to_string()),
        }
    }
}

fn mime_of(file: &str) -> &'static str {
    let ext = file.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "aac" | "m4a" => "audio/aac",
        "ogg" | "opus" => "audio/ogg",
        "txt" => "text/plain",
        "mp4" | "ts" => "video/mp4",
        _ => "application/octet-stream",
    }
}

fn required<'a>(el: Option<&'a Element>, name: &str, parent: &str, r: &mut Reasons) -> Option<&'a str> {
    let t = el.and_then(|e| e.child_text(name));
    if t.is_none() {
        r.missing(&format!("{parent}/{name}"), name);
    }
    t
}

fn time(el: Option<&Element>, name: &str, parent: &str, need: bool, r: &mut Reasons) -> Option<AlertTime> {
    let t = if need { required(el, name, parent, r)? } else { el.and_then(|e| e.child_text(name))? };
    AlertTime::parse_ebm(t).map_err(|m| r.push(C::InvalidTime, m, &format!("{parent}/{name}"))).ok()
}

fn from_element(root: &Element) -> Result<Ebm, Vec<Reason>> {
    let mut r = Reasons::default();
    if root.name != "EBD" {
        r.push(C::UnknownDocument, format!("root element is <{}>, not <EBD>", root.name), "/");
        return Err(r.0);
    }
    let ebd = Some(root);
    let ebd_id = required(ebd, "EBDID", "/EBD", &mut r);
    let ebd_type = required(ebd, "EBDType", "/EBD", &mut r);
    if let Some(t) = ebd_type.filter(|t| *t != "EBM") {
        r.push(C::UnknownDocument, format!("EBDType {t:?} carries no emergency broadcast message"), "/EBD/EBDType");
    }
    let source = required(root.child("SRC"), "EBRID", "/EBD/SRC", &mut r);
    let ebd_time = time(ebd, "EBDTime", "/EBD", true, &mut r);
    let ebm = root.child("EBM");
    if ebm.is_none() {
        r.missing("/EBD/EBM", "EBM");
    }
    let ebm_id = required(ebm, "EBMID", "/EBD/EBM", &mut r);
    const BASIC: &str = "/EBD/EBM/MsgBasicInfo";
    const CONTENT: &str = "/EBD/EBM/MsgContent";
    let basic = ebm.and_then(|e| e.child("MsgBasicInfo"));
    let content = ebm.and_then(|e| e.child("MsgContent"));
    let msg_type = required(basic, "MsgType", BASIC, &mut r).and_then(|t| match t.to_ascii_lowercase().as_str() {
        "1" | "publish" => Some(EbmMsgType::Publish),
        "2" | "cancel" => Some(EbmMsgType::Cancel),
        _ => {
            r.push(
                C::InvalidEnum,
                format!("MsgType {t:?} is not 1 (publish) or 2 (cancel)"),
                &format!("{BASIC}/MsgType"),
            );
            None
        }
    });
    let publish = msg_type != Some(EbmMsgType::Cancel);
    let send_time = time(basic, "SendTime", BASIC, false, &mut r);
    let event_type = if publish {
        required(basic, "EventType", BASIC, &mut r)
    } else {
        basic.and_then(|b| b.child_text("EventType"))
    };
    let level_text =
        if publish { required(basic, "Severity", BASIC, &mut r) } else { basic.and_then(|b| b.child_text("Severity")) };
    let severity = level_text.and_then(|t| {
        let l = EbmSeverity::parse(t);
        if l.is_none() {
            r.push(
                C::InvalidEnum,
                format!("Severity {t:?} is not 1-4, 0 (unknown), 10 (routine), 15 (test) or 21-23 (drill)"),
                &format!("{BASIC}/Severity"),
            );
        }
        l
    });
    let level = match severity {
        Some(EbmSeverity::Level(l)) => Some(l),
        _ => None,
    };
    let start = time(basic, "StartTime", BASIC, publish, &mut r);
    let end = time(basic, "EndTime", BASIC, publish, &mut r);
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            r.push(C::TimeOrder, format!("EndTime {e} is not after StartTime {s}"), &format!("{BASIC}/EndTime"));
        }
    }
    if publish && content.is_none() {
        r.missing(CONTENT, "MsgContent");
    }
    let (language, title, description) = if publish && content.is_some() {
        (
            required(content, "LanguageCode", CONTENT, &mut r),
            required(content, "MsgTitle", CONTENT, &mut r),
            required(content, "MsgDesc", CONTENT, &mut r),
        )
    } else {
        let get = |n| content.and_then(|c| c.child_text(n));
        (get("LanguageCode"), get("MsgTitle"), get("MsgDesc"))
    };
    let area_text = if publish && content.is_some() {
        required(content, "AreaCode", CONTENT, &mut r)
    } else {
        content.and_then(|c| c.child_text("AreaCode"))
    };
    let mut areas = Vec::new();
    for (i, code) in area_text
        .unwrap_or("")
        .split(|c: char| c == ',' || c == '，' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .enumerate()
    {
        match AreaCode::parse(code) {
            Ok(c) => areas.push(c),
            Err(m) => r.push(C::InvalidValue, format!("area {i}: {m}"), &format!("{CONTENT}/AreaCode")),
        }
    }
    let auxiliaries: Vec<Auxiliary> = content
        .map(|c| {
            c.children_named("Auxiliary")
                .enumerate()
                .filter_map(|(i, a)| auxiliary(a, &format!("{CONTENT}/Auxiliary[{i}]"), &mut r))
                .collect()
        })
        .unwrap_or_default();
    match (ebd_id, source, ebd_time, ebm_id, msg_type) {
        (Some(ebd_id), Some(source), Some(ebd_time), Some(ebm_id), Some(msg_type)) if r.is_empty() => Ok(Ebm {
            ebd_id: ebd_id.to_string(),
            source: source.to_string(),
            ebd_time,
            ebm_id: ebm_id.to_string(),
            msg_type,
            sender_name: basic.and_then(|b| b.child_text("SenderName")).map(str::to_string),
            sender_code: basic.and_then(|b| b.child_text("SenderCode")).map(str::to_string),
            send_time: send_time.unwrap_or(ebd_time),
            event_type: event_type.map(str::to_string),
            level,
            severity,
            start,
            end,
            language: language.map(str::to_string),
            title: title.map(str::to_string),
            description: description.map(str::to_string),
            areas,
            auxiliaries,
        }),
        _ => Err(r.0),
    }
}

fn auxiliary(el: &Element, path: &str, r: &mut Reasons) -> Option<Auxiliary> {
    let kind = el.child_text("AuxiliaryType");
    let desc = el.child_text("AuxiliaryDesc");
    if kind.is_none() || desc.is_none() {
        r.push(C::InvalidResource, "Auxiliary needs AuxiliaryType and AuxiliaryDesc", path);
    }
    let size = el.child_text("Size").and_then(|s| match s.parse::<u64>() {
        Ok(n) => Some(n),
        Err(_) => {
            r.push(C::InvalidResource, format!("Size {s:?} is not a whole number of bytes"), &format!("{path}/Size"));
            None
        }
    });
    let digest = el.child_text("Digest").and_then(|d| {
        ResourceDigest::parse(d).map_err(|m| r.push(C::InvalidResource, m, &format!("{path}/Digest"))).ok()
    });
    Some(Auxiliary { kind: kind?.to_string(), desc: desc?.to_string(), size, digest })
}
