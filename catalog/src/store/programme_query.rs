//! Programme listing with the web API's full set of filters: everything of
//! [`ProgrammeFilter`] plus sharing, a duration range, a creation-date range and newest-first
//! order. Keyset pages on the time-ordered id in either direction; a text query ranks instead
//! (one page, `after` ignored), exactly as [`Store::list_programmes`] does.

use chrono::{DateTime, Utc};

use super::rows::{convert, ProgrammeRow, PROGRAMME_COLUMNS};
use super::{with_pool, Store};
use crate::error::Result;
use crate::programme::{Programme, Sharing};
use crate::search;

use super::ProgrammeFilter;

/// A listing with every filter the API offers.
#[derive(Debug, Clone, Default)]
pub struct ProgrammeQuery {
    pub filter: ProgrammeFilter,
    pub sharing: Option<Sharing>,
    pub min_duration_ms: Option<i64>,
    pub max_duration_ms: Option<i64>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_until: Option<DateTime<Utc>>,
    /// Newest first (ids descending); `after` then pages backwards in time.
    pub newest_first: bool,
}

impl Store {
    /// A page of programmes matching every given filter.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn query_programmes(&self, q: &ProgrammeQuery) -> Result<Vec<Programme>> {
        let f = &q.filter;
        let terms = f.query.as_deref().map(search::query_terms);
        if terms.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Vec::new());
        }
        let filters = "($1 IS NULL OR p.centre_code = $1) AND ($2 IS NULL OR p.status = $2) \
             AND ($3 IS NULL OR p.category = $3) AND ($4 IS NULL OR p.centre_code = $4 OR p.sharing = 'network') \
             AND ($7 IS NULL OR p.sharing = $7) AND ($8 IS NULL OR p.duration_ms >= $8) \
             AND ($9 IS NULL OR p.duration_ms <= $9) AND ($10 IS NULL OR p.created_at >= $10) \
             AND ($11 IS NULL OR p.created_at < $11)";
        let cols = PROGRAMME_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ");
        let (cmp, order) = if q.newest_first { ("<", "DESC") } else { (">", "ASC") };
        let (sql, text) = match (&terms, self.backend()) {
            (None, _) => (
                format!(
                    "SELECT {cols} FROM programmes p WHERE {filters} AND ($5 IS NULL OR p.id {cmp} $5) \
                     ORDER BY p.id {order} LIMIT $6"
                ),
                None,
            ),
            (Some(t), crate::Backend::Sqlite) => (
                format!(
                    "SELECT {cols} FROM programme_fts f JOIN programmes p ON p.id = f.programme_id \
                     WHERE programme_fts MATCH $5 AND {filters} ORDER BY bm25(programme_fts), p.id LIMIT $6"
                ),
                Some(t.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" AND ")),
            ),
            (Some(t), crate::Backend::Postgres) => (
                format!(
                    "SELECT {cols} FROM programmes p, plainto_tsquery('simple', $5) q \
                     WHERE to_tsvector('simple', p.search_terms) @@ q AND {filters} \
                     ORDER BY ts_rank(to_tsvector('simple', p.search_terms), q) DESC, p.id LIMIT $6"
                ),
                Some(t.join(" ")),
            ),
        };
        let fifth = text.or_else(|| f.after.map(|a| a.to_string()));
        let rows: Vec<ProgrammeRow> = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(f.centre.as_ref().map(|c| c.as_str().to_string()))
            .bind(f.status.map(|s| s.as_str().to_string()))
            .bind(f.category.map(|c| c.as_str().to_string()))
            .bind(f.visible_to.as_ref().map(|c| c.as_str().to_string()))
            .bind(fifth)
            .bind(f.limit.clamp(1, 500))
            .bind(q.sharing.map(|s| s.as_str().to_string()))
            .bind(q.min_duration_ms)
            .bind(q.max_duration_ms)
            .bind(q.created_from)
            .bind(q.created_until)
            .fetch_all(pool).await)?;
        convert(rows)
    }
}
