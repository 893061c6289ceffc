//! Ranked text search in bounded time, and the index rows behind it.
//!
//! The rank is in two tiers: programmes whose title holds every query term, then those that
//! match only with their series, description or tags. Within a tier the newest come first. Each
//! tier is read newest first straight from the index and stops at the page size. SQLite reads
//! the FTS5 table in rowid order. PostgreSQL walks the newest programmes by primary key, and
//! asks its GIN index only for what that window did not fill (the planner's own choice, made
//! from word frequencies, walked all 100,000 rows for a common word the viewer could not see,
//! and sorted thousands of matches for two words that always come together). So a word that
//! matches 12,000 programmes costs what a rare one costs, instead of scoring every match before
//! the LIMIT. Pages go on from a cursor, which is
//! the last programme of the previous page. Its tier is found again from its stored title terms.

use sqlx::types::Json;

use super::programme_query::{bind_filters, p_columns, ProgrammeQuery, FILTERS};
use super::rows::{convert, ProgrammeRow};
use super::{with_pool, Db, Store};
use crate::error::{CatalogError, Result};
use crate::ids::ProgrammeId;
use crate::programme::Programme;
use crate::search;
use crate::store::BeginWrite;

/// SQLite: the scope of a programme as a term suffix, made from its stored row and nowhere
/// else: `_network` when it is shared, else `_c` and its centre (`_c510421`). Every title and
/// body term is indexed twice, as itself and with this suffix (migration 0012), so a viewer's
/// search asks only for `米易_network OR 米易_c510421` (see [`sqlite_term`]) and FTS5 reads just
/// the postings it may see: a word whose every match is hidden costs what a rare word costs.
/// Both writes below take the suffix from the stored row, so they follow every change of
/// `sharing`.
macro_rules! sqlite_scope {
    () => {
        "'_' || CASE sharing WHEN 'network' THEN 'network' ELSE 'c' || centre_code END"
    };
}

/// SQLite: the indexed text of one column: the terms `$n` (space-separated) and each of them
/// again with the scope suffix `s` (empty stays empty).
macro_rules! sqlite_scoped {
    ($n:literal) => {
        concat!("CASE WHEN ", $n, " = '' THEN '' ELSE ", $n, " || ' ' || replace(", $n, ", ' ', s || ' ') || s END")
    };
}

/// SQLite: gives a new programme the next row number of the search table (kept in the
/// programme, so a cursor finds its place in O(log n)). Numbers go down: the newest row has the
/// smallest, so FTS5 reads newest first forwards (migration 0010).
pub(super) const SQLITE_NUMBER: &str = "UPDATE programmes SET search_rowid = \
    (SELECT COALESCE(MIN(search_rowid), 0) - 1 FROM programmes) WHERE id = $1";
/// SQLite: the search row of a programme numbered by [`SQLITE_NUMBER`] ($1 id, $2 title, $3 body).
pub(super) const SQLITE_INSERT: &str = concat!(
    "INSERT INTO programme_search (rowid, programme_id, title, body) SELECT search_rowid, id, ",
    sqlite_scoped!("$2"),
    ", ",
    sqlite_scoped!("$3"),
    " FROM (SELECT search_rowid, id, ",
    sqlite_scope!(),
    " AS s FROM programmes WHERE id = $1)"
);
/// SQLite: re-indexes an edited programme ($1 id, $2 title, $3 body), scope included.
pub(super) const SQLITE_UPDATE: &str = concat!(
    "UPDATE programme_search SET (title, body) = (SELECT ",
    sqlite_scoped!("$2"),
    ", ",
    sqlite_scoped!("$3"),
    " FROM (SELECT ",
    sqlite_scope!(),
    " AS s FROM programmes WHERE id = $1)) WHERE rowid = (SELECT search_rowid FROM programmes WHERE id = $1)"
);

/// SQLite: the FTS5 query for one term as seen by `visible_to`: the term itself when there is
/// no visibility limit, else the term in each scope the viewer may read (the network's shared
/// programmes and its own centre's).
fn sqlite_term(term: &str, visible_to: Option<&crate::ids::CentreCode>) -> String {
    match visible_to {
        None => format!("\"{term}\""),
        Some(c) => format!("(\"{term}_network\" OR \"{term}_c{c}\")", c = c.as_str()),
    }
}

/// PostgreSQL: the scope a viewer may read, as index terms: everything shared with the network,
/// and its own centre's programmes. `None` (no visibility limit, e.g. the network admin): no
/// scope term. The terms are spelt with a space (`'scope network'`), which no parsed word can
/// hold.
fn pg_scope_match(visible_to: Option<&crate::ids::CentreCode>) -> Option<String> {
    let c = visible_to?.as_str();
    Some(format!("'scope network' | 'scope c{c}'"))
}

/// PostgreSQL: how many of the newest programmes a tier walks before asking the GIN index, and
/// how many title postings of each scope the title tier reads before giving up on them.
const PG_WINDOW: i64 = 1_000;

/// PostgreSQL: the title postings (migration 0013) that a viewer's title tier reads: the query's
/// longest word (the rarest, as a rule) in each scope the viewer may read. `None` when the tier
/// cannot be read from postings: no visibility limit (every scope; rare, the network admin), or
/// only one-character words (not posted).
fn pg_posting_keys(terms: &[String], visible_to: Option<&crate::ids::CentreCode>) -> Option<[String; 2]> {
    let c = visible_to?.as_str();
    let word = terms.iter().max_by_key(|t| t.chars().count())?;
    (word.chars().count() > 1).then(|| [format!("network {word}"), format!("c{c} {word}")])
}

/// Where a page of a ranked search starts.
#[derive(Debug, Clone, PartialEq)]
enum Start {
    /// At the top.
    Top,
    /// After a programme of the title tier (SQLite: its search row; PostgreSQL: its id).
    InTitles(Key),
    /// After a programme of the second tier.
    InRest(Key),
}

#[derive(Debug, Clone, PartialEq)]
enum Key {
    Row(i64),
    Id(String),
}

impl Store {
    /// A page of a ranked search for `terms` (non-empty) with every filter of `q`.
    ///
    /// # Errors
    /// `Invalid` when the cursor is not a programme; `Database` when a query fails.
    pub(super) async fn search_programmes(&self, q: &ProgrammeQuery, terms: &[String]) -> Result<Vec<Programme>> {
        let limit = q.filter.limit.clamp(1, 500);
        // The gate is never closed, so acquiring fails only if it were: then run ungated.
        let _turn = self.search_gate.acquire().await.ok();
        let start = match q.filter.after {
            None => Start::Top,
            Some(after) => self.search_start(after, terms).await?,
        };
        let mut page = match &start {
            Start::Top => self.search_tier(q, terms, true, None, limit).await?,
            Start::InTitles(k) => self.search_tier(q, terms, true, Some(k), limit).await?,
            Start::InRest(_) => Vec::new(),
        };
        let missing = limit - page.len() as i64;
        if missing > 0 {
            let key = match &start {
                Start::InRest(k) => Some(k),
                _ => None,
            };
            page.extend(self.search_tier(q, terms, false, key, missing).await?);
        }
        Ok(page)
    }

    async fn search_start(&self, after: ProgrammeId, terms: &[String]) -> Result<Start> {
        let row: Option<(Option<String>, Option<i64>)> = match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query_as("SELECT title_terms, search_rowid FROM programmes WHERE id = $1")
                    .bind(after.to_string())
                    .fetch_optional(pool)
                    .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_as("SELECT title_terms, NULL::BIGINT FROM programmes WHERE id = $1")
                    .bind(after.to_string())
                    .fetch_optional(pool)
                    .await?
            }
        };
        let (title_terms, rowid) =
            row.ok_or_else(|| CatalogError::invalid("after", format!("no programme {after} to continue after")))?;
        let key = match (self.backend(), rowid) {
            (crate::Backend::Sqlite, Some(r)) => Key::Row(r),
            (crate::Backend::Sqlite, None) => {
                return Err(CatalogError::invalid("after", format!("programme {after} is not indexed for search")))
            }
            (crate::Backend::Postgres, _) => Key::Id(after.to_string()),
        };
        Ok(if search::title_matches(title_terms.as_deref().unwrap_or(""), terms) {
            Start::InTitles(key)
        } else {
            Start::InRest(key)
        })
    }

    /// One tier, newest first, after `key`, at most `limit` rows. SQLite asks its FTS5 table,
    /// read in rowid order; PostgreSQL goes to [`Store::search_tier_postgres`].
    async fn search_tier(
        &self,
        q: &ProgrammeQuery,
        terms: &[String],
        titles: bool,
        key: Option<&Key>,
        limit: i64,
    ) -> Result<Vec<Programme>> {
        let pool = match &self.db {
            Db::Sqlite(pool) => pool,
            Db::Postgres(pool) => return self.search_tier_postgres(pool, q, terms, titles, key, limit).await,
        };
        let cols = p_columns();
        // The index reads only what the viewer may see (scoped terms); FILTERS still checks it on
        // the row.
        let visible_to = q.filter.visible_to.as_ref();
        let all = terms.iter().map(|w| sqlite_term(w, visible_to)).collect::<Vec<_>>().join(" AND ");
        let text = if titles {
            format!("title : ({all})")
        } else {
            format!("({{title body}} : ({all})) NOT (title : ({all}))")
        };
        let after = match key {
            Some(Key::Row(r)) => Some(*r),
            _ => None,
        };
        let cursor = if after.is_some() { " AND f.rowid > $12" } else { "" };
        // CROSS JOIN keeps the FTS table outermost, read in rowid order (newest first: row
        // numbers go down) up to the LIMIT.
        let sql = format!(
            "SELECT {cols} FROM programme_search f CROSS JOIN programmes p ON p.id = f.programme_id \
             WHERE programme_search MATCH $5 AND {FILTERS}{cursor} ORDER BY f.rowid LIMIT $6"
        );
        // Kept prepared: the words are a bound MATCH argument, which SQLite's plan does not
        // depend on, and only a handful of texts exist (tier, cursor or not).
        let query = bind_filters!(sqlx::query_as(&sql), q, &text, limit);
        let query = match after {
            None => query,
            Some(r) => query.bind(r),
        };
        let rows: Vec<ProgrammeRow> = query.fetch_all(pool).await?;
        convert(rows)
    }

    /// PostgreSQL: one tier in two bounded steps, so neither a common word hidden from the viewer
    /// nor several words that always come together costs a scan of every match or every row.
    /// First the newest [`PG_WINDOW`] programmes (after `key`) are walked by primary key and
    /// checked: a word that matches densely fills the page there. Only when it does not, the
    /// rest are asked through the GIN index (comparing and sorting `id || ''`, which no index
    /// holds, keeps the planner off the primary key): few visible matches are left then, since
    /// fewer than one in `PG_WINDOW / limit` of the newest matched.
    async fn search_tier_postgres(
        &self,
        pool: &sqlx::PgPool,
        q: &ProgrammeQuery,
        terms: &[String],
        titles: bool,
        key: Option<&Key>,
        limit: i64,
    ) -> Result<Vec<Programme>> {
        let after = match key {
            Some(Key::Id(id)) => Some(id.as_str()),
            _ => None,
        };
        let text = terms.join(" ");
        if let Some(keys) = pg_posting_keys(terms, q.filter.visible_to.as_ref()).filter(|_| titles) {
            if let Some(rows) = Self::pg_titles_from_postings(pool, q, &text, &keys, after, limit).await? {
                return convert(rows);
            }
        }
        let cols = p_columns();
        let (matches, tsv) = if titles {
            ("p.title_tsv @@ plainto_tsquery('simple', $5)", "p.title_tsv")
        } else {
            (
                "p.search_tsv @@ plainto_tsquery('simple', $5) AND NOT p.title_tsv @@ plainto_tsquery('simple', $5)",
                "p.search_tsv",
            )
        };
        // A second condition on the same tsvector, not `&&`: an empty word query (nothing the
        // parser keeps) must still match nothing, not every visible row.
        let visible = match pg_scope_match(q.filter.visible_to.as_ref()) {
            Some(s) => format!(" AND {tsv} @@ '{}'::tsquery", s.replace('\'', "''")),
            None => String::new(),
        };
        let window =
            "SELECT w.id FROM programmes w WHERE ($12::text IS NULL OR w.id < $12) ORDER BY w.id DESC LIMIT $13";
        let recent = format!(
            "SELECT {cols} FROM (SELECT * FROM programmes w WHERE ($12::text IS NULL OR w.id < $12) \
             ORDER BY w.id DESC LIMIT $13) p WHERE {matches}{visible} AND {FILTERS} ORDER BY p.id DESC LIMIT $6"
        );
        let older = format!(
            "SELECT {cols} FROM programmes p WHERE {matches}{visible} AND {FILTERS} \
             AND (p.id || '') < (SELECT min(id) FROM ({window}) b) ORDER BY p.id || '' DESC LIMIT $6"
        );
        let mut page: Vec<ProgrammeRow> = Vec::new();
        // The walk of the newest rows has one plan whatever the words (the subquery fixes it), so
        // it stays prepared: parsing and planning it again cost as much as running it (0.4 of
        // 0.9 ms per search). The GIN step is planned with this query's words, never as a
        // generic plan cached for any word.
        for (sql, prepared) in [(&recent, true), (&older, false)] {
            let missing = limit - page.len() as i64;
            if missing <= 0 {
                break;
            }
            let rows: Vec<ProgrammeRow> = bind_filters!(sqlx::query_as(sql).persistent(prepared), q, &text, missing)
                .bind(after)
                .bind(PG_WINDOW)
                .fetch_all(pool)
                .await?;
            page.extend(rows);
        }
        convert(page)
    }

    /// PostgreSQL: the title tier from the title postings of the viewer's two scopes. Each scope's
    /// postings are read newest first from the btree, joined to their programmes and checked
    /// (every word in the title, every filter), up to the page; the two pages are merged. So a
    /// common word costs its first page, and a word the viewer may not see costs two empty
    /// index ranges. `None` when the page is short but a scope had more than [`PG_WINDOW`]
    /// postings (filters or other words rejected most of them): then the tsvector path answers.
    async fn pg_titles_from_postings(
        pool: &sqlx::PgPool,
        q: &ProgrammeQuery,
        text: &str,
        keys: &[String; 2],
        after: Option<&str>,
        limit: i64,
    ) -> Result<Option<Vec<ProgrammeRow>>> {
        let cols = p_columns();
        // Two texts (first page or after a cursor), each with one plan whatever the words:
        // kept prepared.
        let cut = |n: u8| match after {
            Some(_) => format!(" AND x.programme_id < ${n}"),
            None => format!(" AND ${n}::text IS NULL"),
        };
        let branch = |key: &str| {
            format!(
                "(SELECT {cols} FROM (SELECT x.programme_id FROM programme_postings x WHERE x.key = {key}{} \
                 ORDER BY x.programme_id DESC LIMIT $13) c JOIN programmes p ON p.id = c.programme_id \
                 WHERE p.title_tsv @@ plainto_tsquery('simple', $5) AND {FILTERS} ORDER BY c.programme_id DESC LIMIT $6)",
                cut(12)
            )
        };
        let sql =
            format!("SELECT * FROM ({} UNION ALL {}) u ORDER BY u.id DESC LIMIT $6", branch("$14"), branch("$15"));
        let rows: Vec<ProgrammeRow> = bind_filters!(sqlx::query_as(&sql).persistent(true), q, text, limit)
            .bind(after)
            .bind(PG_WINDOW)
            .bind(&keys[0])
            .bind(&keys[1])
            .fetch_all(pool)
            .await?;
        if rows.len() as i64 >= limit {
            return Ok(Some(rows));
        }
        // A short page is the whole tier unless a scope's window ended before its postings did.
        let more = |key: u8| {
            format!(
                "EXISTS (SELECT 1 FROM programme_postings x WHERE x.key = ${key}{} \
                 ORDER BY x.programme_id DESC OFFSET $3 - 1 LIMIT 1)",
                cut(4)
            )
        };
        let (cut_short,): (bool,) = sqlx::query_as(&format!("SELECT {} OR {}", more(1), more(2)))
            .persistent(true)
            .bind(&keys[0])
            .bind(&keys[1])
            .bind(PG_WINDOW)
            .bind(after)
            .fetch_one(pool)
            .await?;
        Ok((!cut_short).then_some(rows))
    }

    /// Indexes programmes stored before the ranked index existed (`title_terms` NULL), in
    /// batches. Run by [`Store::connect`] after migrating; a no-op once everything is indexed.
    ///
    /// # Errors
    /// `Database` when a query fails.
    pub(super) async fn index_unindexed(&self) -> Result<u64> {
        type Unindexed = (String, String, Option<String>, String, Json<Vec<String>>);
        let sqlite = self.backend() == crate::Backend::Sqlite;
        let mut done = 0;
        loop {
            let rows: Vec<Unindexed> = with_pool!(self, pool => sqlx::query_as(
                "SELECT id, title, series, description, tags FROM programmes WHERE title_terms IS NULL LIMIT 1000")
                .fetch_all(pool).await)?;
            if rows.is_empty() {
                return Ok(done);
            }
            with_pool!(self, pool => {
                let mut tx = pool.begin_write().await?;
                for (id, title, series, description, tags) in &rows {
                    let tags = tags.0.join(" ");
                    let ix = search::index(title, &[series.as_deref().unwrap_or(""), description, &tags]);
                    sqlx::query("UPDATE programmes SET title_terms = $2, search_terms = $3 WHERE id = $1")
                        .bind(id).bind(&ix.title).bind(&ix.document).execute(&mut *tx).await?;
                    if sqlite {
                        sqlx::query(SQLITE_NUMBER).bind(id).execute(&mut *tx).await?;
                        sqlx::query(SQLITE_INSERT).bind(id).bind(&ix.title).bind(&ix.body).execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
            });
            done += rows.len() as u64;
        }
    }
}
