//! What the schedule generator needs of every programme a centre's channels may air, in one
//! query with only those columns, and the programme's stream layout derived from what ingest
//! stored for it.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{with_pool, Store};
use crate::error::Result;
use crate::ids::{CentreCode, ProgrammeId};

/// Which streams a programme's house file has, as far as the catalog can tell: the house kind
/// ingest records (`programmes.house_kind`), else a thumbnail strip (made only for a TV house
/// file, so proof of video). A programme recorded without ingest and one ingested before the
/// kind was recorded (no strip) tell nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamLayout {
    /// A TV house file: video with its sound.
    Video,
    /// A radio house file: sound only.
    Audio,
    /// Nothing stored tells.
    Unknown,
}

impl StreamLayout {
    fn of(house_kind: Option<&str>, has_house: bool, has_strip: bool) -> Self {
        match house_kind {
            Some("tv") => Self::Video,
            Some("radio") => Self::Audio,
            _ if has_house && has_strip => Self::Video,
            _ => Self::Unknown,
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
    Option<String>,
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
                   EXISTS (SELECT 1 FROM assets a WHERE a.programme_id = p.id AND a.kind = 'thumbnail'), \
                   p.house_kind \
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
                    layout: StreamLayout::of(r.14.as_deref(), r.12, r.13),
                })
            })
            .collect()
    }

    /// Records what programme `id`'s house file carries: `tv` (picture and sound) or `radio`
    /// (sound only), as ingest made it.
    ///
    /// # Errors
    /// `Invalid` for another kind; `Database` when the write fails.
    pub async fn set_house_kind(&self, id: ProgrammeId, kind: &str) -> Result<()> {
        if !matches!(kind, "tv" | "radio") {
            return Err(crate::error::CatalogError::invalid("house kind", format!("{kind:?} is not tv or radio")));
        }
        with_pool!(self, pool => sqlx::query("UPDATE programmes SET house_kind = $1 WHERE id = $2")
            .bind(kind).bind(id.to_string()).execute(pool).await.map(|_| ()))?;
        Ok(())
    }
}
