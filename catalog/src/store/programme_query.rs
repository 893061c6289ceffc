//! Programme listing with the web API's full set of filters: everything of
//! [`ProgrammeFilter`] plus sharing, a duration range, a creation-date range and newest-first
//! order. Keyset pages on the time-ordered id in either direction; a text query ranks instead
//! (title matches first, newest first within a tier), `after` continuing the ranked order.

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

/// The filters every listing applies, on `programmes p`: $1 centre, $2 status, $3 category,
/// $4 visible to, $7 sharing, $8/$9 duration range, $10/$11 creation range ($5 and $6 are the
/// cursor or search text and the limit).
pub(super) const FILTERS: &str = "($1 IS NULL OR p.centre_code = $1) AND ($2 IS NULL OR p.status = $2) \
     AND ($3 IS NULL OR p.category = $3) AND ($4 IS NULL OR p.centre_code = $4 OR p.sharing = 'network') \
     AND ($7 IS NULL OR p.sharing = $7) AND ($8 IS NULL OR p.duration_ms >= $8) \
     AND ($9 IS NULL OR p.duration_ms <= $9) AND ($10 IS NULL OR p.created_at >= $10) \
     AND ($11 IS NULL OR p.created_at < $11)";

/// Binds $1–$11 of [`FILTERS`] from `q` onto `query`, with `five` and `six` as $5 and $6 (the
/// cursor or search text, and the limit). A macro: each backend's query type differs.
macro_rules! bind_filters {
    ($query:expr, $q:expr, $five:expr, $six:expr) => {{
        let q: &ProgrammeQuery = $q;
        let f = &q.filter;
        $query
            .bind(f.centre.as_ref().map(|c| c.as_str().to_string()))
            .bind(f.status.map(|s| s.as_str().to_string()))
            .bind(f.category.map(|c| c.as_str().to_string()))
            .bind(f.visible_to.as_ref().map(|c| c.as_str().to_string()))
            .bind($five)
            .bind($six)
            .bind(q.sharing.map(|s| s.as_str().to_string()))
            .bind(q.min_duration_ms)
            .bind(q.max_duration_ms)
            .bind(q.created_from)
            .bind(q.created_until)
    }};
}
pub(super) use bind_filters;

/// The programme columns of `programmes p`, for `SELECT` lists of joins and subqueries.
pub(super) fn p_columns() -> String {
    PROGRAMME_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ")
}

impl Store {
    /// A page of programmes matching every given filter; with a text query, a page of the
    /// ranked search (see [`super::programme_search`]), `after` continuing it.
    ///
    /// # Errors
    /// `Invalid` for a search cursor that is not a programme; `Database` when the query fails.
    pub async fn query_programmes(&self, q: &ProgrammeQuery) -> Result<Vec<Programme>> {
        let f = &q.filter;
        if let Some(text) = f.query.as_deref() {
            let terms = search::query_terms(text);
            if terms.is_empty() {
                return Ok(Vec::new());
            }
            return self.search_programmes(q, &terms).await;
        }
        let cols = p_columns();
        let (cmp, order) = if q.newest_first { ("<", "DESC") } else { (">", "ASC") };
        let sql = format!(
            "SELECT {cols} FROM programmes p WHERE {FILTERS} AND ($5 IS NULL OR p.id {cmp} $5) \
             ORDER BY p.id {order} LIMIT $6"
        );
        let rows: Vec<ProgrammeRow> = with_pool!(self, pool => bind_filters!(
            sqlx::query_as(&sql), q, f.after.map(|a| a.to_string()), f.limit.clamp(1, 500))
            .fetch_all(pool).await)?;
        convert(rows)
    }
}
