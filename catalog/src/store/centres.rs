//! Centres: seeded by the first migration, read by everyone.

use super::rows::{convert, CentreRow};
use super::{with_pool, Store};
use crate::centre::Centre;
use crate::error::{CatalogError, Result};
use crate::ids::CentreCode;

impl Store {
    /// The centres of the network, city first.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn list_centres(&self) -> Result<Vec<Centre>> {
        let sql = "SELECT code, name, area_name, created_at FROM centres ORDER BY code";
        let rows: Vec<CentreRow> = with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await)?;
        convert(rows)
    }

    /// One centre by its code.
    ///
    /// # Errors
    /// `NotFound` when the code is not a centre of the network.
    pub async fn get_centre(&self, code: &CentreCode) -> Result<Centre> {
        let sql = "SELECT code, name, area_name, created_at FROM centres WHERE code = $1";
        let row: Option<CentreRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(code.as_str()).fetch_optional(pool).await)?;
        row.ok_or_else(|| CatalogError::not_found("centre", code))?.try_into()
    }
}
