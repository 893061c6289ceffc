//! OpenAPI schemas of answers serialised from `schedules` types, which carry no schema of
//! their own (that crate stays free of the HTTP layer's derive), and of the playout playlists
//! `catalog::scheduling::published_playout_json` builds. Each mirrors its JSON field for field; `tests/openapi_schemas.rs` validates the real answers against them, so a
//! change on either side fails there.

use serde::Serialize;

/// `schedules::Severity`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeverityDoc {
    Warning,
    Error,
}

/// `schedules::Finding`: one validation finding of a playlist.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FindingDoc {
    pub severity: SeverityDoc,
    /// Stable code, e.g. `gap`, `overlap`, `rights_expired`, `quota_unmet`.
    pub code: String,
    pub message: String,
    /// Index of the item concerned.
    pub item: Option<usize>,
    /// The values `message` names, for a client that words `code` itself (left out when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<std::collections::BTreeMap<String, String>>,
}

/// `schedules::ItemKind`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ItemKindDoc {
    Programme,
    Live,
    Filler,
    Slate,
}

/// `schedules::GuideEntry`: a programme or live relay in the guide.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GuideEntryDoc {
    pub title: String,
    pub category: String,
    pub kind: ItemKindDoc,
    /// Wall-clock start, with the channel's offset.
    pub start: chrono::DateTime<chrono::FixedOffset>,
    pub stop: chrono::DateTime<chrono::FixedOffset>,
}

/// `schedules::NowNext`: what is on air now and next.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NowNextDoc {
    /// Channel id.
    pub channel: String,
    /// None during fillers or outside the published days.
    pub now: Option<GuideEntryDoc>,
    pub next: Option<GuideEntryDoc>,
    /// The item on air whatever its kind (fillers and slate included); absent outside the
    /// published days.
    pub on_air: Option<GuideEntryDoc>,
    /// What the channel's engine airs now and next, published day or not (a fresh server's
    /// cycle, fillers, slate, live, an alert); absent when the channel is not on air in this
    /// process or `at` was given.
    pub airing: Option<crate::routes::metrics::Airing>,
}

/// `schedules::emergency::lifecycle::AlertState`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStateDoc {
    Received,
    Verified,
    Scheduled,
    OnAir,
    Completed,
    Expired,
    Cancelled,
    Superseded,
}

/// `schedules::emergency::lifecycle::Transition`: one step of an alert.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TransitionDoc {
    pub at: chrono::DateTime<chrono::Utc>,
    /// The alert's key (`cap:sender,identifier,sent` or `ebm:ID`).
    pub key: String,
    /// None when first received.
    pub from: Option<AlertStateDoc>,
    pub to: AlertStateDoc,
}

/// `schedules::emergency::lifecycle::Tracked`: an alert this server knows, with its state.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TrackedAlertDoc {
    /// The alert as received (JSON of `schedules::emergency::Alert`).
    #[schema(value_type = Object)]
    pub alert: serde_json::Value,
    pub state: AlertStateDoc,
    /// Every step, oldest first.
    pub history: Vec<TransitionDoc>,
}

/// `schedules::emergency::Reason`: one problem of a refused alert.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReasonDoc {
    /// Stable `snake_case` code (`schedules::emergency::ReasonCode`), e.g. `missing`, `invalid_time`.
    pub code: String,
    pub message: String,
    /// Where: an XPath-like location or a JSON pointer.
    pub path: String,
}

/// A channel's output format in a playout playlist (docs/playlist.md); radio has no video fields.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PlayoutFormatDoc {
    /// `tv` or `radio`.
    pub kind: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Frame rate as a rational, e.g. `25/1`.
    pub fps: Option<String>,
    pub sample_rate: u32,
    pub channels: u32,
    /// The audio codec on air when not AAC: `mp2` (TV), `mp3` or `opus` (radio).
    pub audio_codec: Option<catalog::channel::AudioCodec>,
}

/// One item of a playout playlist.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PlayoutItemDoc {
    /// Wall-clock start (RFC 3339, the channel's offset).
    pub start: chrono::DateTime<chrono::FixedOffset>,
    /// Seconds on air.
    pub duration: f64,
    pub hard: bool,
    pub title: String,
    /// `{slug}/{date}/{index}`.
    pub id: String,
    /// `media://KEY?sha256=…`, a live URI, or `slate`.
    pub source: String,
    /// Seconds into the media (programmes only).
    #[serde(rename = "in")]
    pub in_point: Option<f64>,
    /// `live` for a relay.
    pub kind: Option<String>,
}

/// A published day as a playout playlist (docs/playlist.md).
#[derive(Serialize, utoipa::ToSchema)]
pub struct PlayoutPlaylistDoc {
    pub format: PlayoutFormatDoc,
    pub title: String,
    pub items: Vec<PlayoutItemDoc>,
}
