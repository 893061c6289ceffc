//! What the schedule generator needs of every programme a centre's channels may air, in one
//! query with only those columns, and the programme's stream layout derived from what ingest
//! stored for it.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{with_pool, Store};
use crate::error::Result;
use crate::ids::{CentreCode, ProgrammeId};

/// Which streams a programme's house file has, as far as the catalog can tell. Ingest makes a
/// thumbnail strip (a `thumbnail` asset) only for a TV house file, never for a radio one, so a
/// strip is proof of video. Nothing stored proves the opposite: a radio house file and one
/// recorded without ingest (the demo's, imported ones) look alike (`house.mp4`, no strip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamLayout {
    /// A TV house file: video with its sound.
    Video,
    /// Nothing stored tells.
    Unknown,
}

impl StreamLayout {
    fn of(has_house: bool, has_strip: bool) -> Self {
        if has_house && has_strip {
            Self::Video
        } else {
            Self::Unknown
        }
    }
}

/// One programme as a scheduling candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleCandidate {
    pub id: ProgrammeId,
    pub title: String,
    pub duration_ms: i64,
    pub category: String,
    pub tags: Vec<String>,
    pub centre: CentreCode,
    pub shared: bool,
    pub language: String,
    pub series: Option<String>,
    pub rights_from: Option<DateTime<Utc>>,
    pub rights_until: Option<DateTime<Utc>>,
    pub ready: bool,
    pub layout: StreamLayout,
}

type Row = (
    String,
    String,
    i64,
    String,
    Json<Vec<String>>,
    String,
    String,
    String,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    String,
    bool,
    bool,
);

impl Store {
    /// Every programme with a known duration that `centre`'s channels may see (its own and
    /// the network's shared ones), oldest first.
    ///
    /// # Errors
    /// `Database` when the query fails; `Invalid` for a stored id or centre that does not parse.
    pub async fn schedule_candidates(&self, centre: &CentreCode) -> Result<Vec<ScheduleCandidate>> {
        let sql = "SELECT p.id, p.title, p.duration_ms, p.category, p.tags, p.centre_code, p.sharing, p.language, \
                   p.series, p.rights_from, p.rights_until, p.status, \
                   EXISTS (SELECT 1 FROM assets a WHERE a.programme_id = p.id AND a.kind = 'house'), \
                   EXISTS (SELECT 1 FROM assets a WHERE a.programme_id = p.id AND a.kind = 'thumbnail') \
                   FROM programmes p WHERE p.duration_ms IS NOT NULL AND (p.centre_code = $1 OR p.sharing = 'network') \
                   ORDER BY p.id";
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(sql).bind(centre.as_str()).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|r| {
                Ok(ScheduleCandidate {
                    id: ProgrammeId::parse(&r.0)?,
                    title: r.1,
                    duration_ms: r.2,
                    category: r.3,
                    tags: r.4 .0,
                    centre: CentreCode::parse(&r.5)?,
                    shared: r.6 == "network",
                    language: r.7,
                    series: r.8,
                    rights_from: r.9,
                    rights_until: r.10,
                    ready: r.11 == "ready",
                    layout: StreamLayout::of(r.12, r.13),
                })
            })
            .collect()
    }
}
