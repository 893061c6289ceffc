//! Resumable uploads in progress: how long the file will be, how many bytes have arrived, and
//! when an abandoned one may be swept away. The bytes themselves are in the media store.

use chrono::{DateTime, Utc};

use super::{with_pool, BeginWrite, Db, Store};
use crate::error::{CatalogError, Result};
use crate::ids::{CentreCode, ProgrammeId, UploadId};

/// An upload being received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: UploadId,
    pub programme_id: ProgrammeId,
    pub centre: CentreCode,
    /// The client's file name (already checked: no path, no control characters).
    pub filename: String,
    /// Total bytes announced by the client.
    pub length: i64,
    /// Bytes received and stored so far.
    pub received: i64,
    /// Who created it (an audit actor's text).
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// After this instant an incomplete upload is swept away.
    pub expires_at: DateTime<Utc>,
    /// Set once every byte arrived and the source was filed.
    pub completed_at: Option<DateTime<Utc>>,
    /// The running digest of the bytes received so far, as its uploader saved it (opaque here);
    /// `None` for an upload begun before digests were kept.
    pub digest: Option<String>,
}

/// What creating an upload needs.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub programme_id: ProgrammeId,
    pub centre: CentreCode,
    pub filename: String,
    pub length: i64,
    pub created_by: String,
    pub expires_at: DateTime<Utc>,
    /// The running digest of no bytes (opaque here).
    pub digest: Option<String>,
}

type Row = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
);

const COLUMNS: &str = "id, programme_id, centre_code, filename, length, received, created_by, created_at, \
                       updated_at, expires_at, completed_at, digest";

fn from_row(r: Row) -> Result<Upload> {
    Ok(Upload {
        id: UploadId::parse(&r.0)?,
        programme_id: ProgrammeId::parse(&r.1)?,
        centre: CentreCode::parse(&r.2)?,
        filename: r.3,
        length: r.4,
        received: r.5,
        created_by: r.6,
        created_at: r.7,
        updated_at: r.8,
        expires_at: r.9,
        completed_at: r.10,
        digest: r.11,
    })
}

/// The bytes a centre's programmes hold in the media store.
const STORED: &str = "SELECT CAST(COALESCE(SUM(a.size_bytes), 0) AS BIGINT) FROM assets a \
                      JOIN programmes p ON p.id = a.programme_id WHERE p.centre_code = $1";
/// The bytes a centre's unfinished uploads have announced.
const PENDING: &str = "SELECT CAST(COALESCE(SUM(length), 0) AS BIGINT) FROM uploads \
                       WHERE centre_code = $1 AND completed_at IS NULL";

impl Store {
    /// What `centre` holds in the media store (its programmes' assets, bytes) and what its
    /// unfinished uploads have announced: the two parts of its use against an upload quota.
    ///
    /// # Errors
    /// `Database` when a query fails.
    pub async fn centre_storage(&self, centre: &CentreCode) -> Result<(i64, i64)> {
        let stored: i64 =
            with_pool!(self, pool => sqlx::query_scalar(STORED).bind(centre.as_str()).fetch_one(pool).await)?;
        let pending: i64 =
            with_pool!(self, pool => sqlx::query_scalar(PENDING).bind(centre.as_str()).fetch_one(pool).await)?;
        Ok((stored, pending))
    }

    /// Records a new upload with nothing received yet.
    ///
    /// # Errors
    /// `Invalid` for an unknown programme or centre.
    pub async fn create_upload(&self, new: &NewUpload) -> Result<Upload> {
        match self.create_upload_within(new, None).await? {
            Ok(upload) => Ok(upload),
            Err(used) => Err(CatalogError::Conflict(format!("quota exceeded at {used} bytes"))),
        }
    }

    /// Records a new upload unless the centre's stored and announced bytes plus this upload's
    /// length would pass `quota`; then `Ok(Err(used))`, with what the centre held. The check
    /// and the insert are one transaction holding the write lock (SQLite's `BEGIN IMMEDIATE`,
    /// PostgreSQL's lock on the centre's row), so two uploads created at the same instant
    /// cannot both pass a quota that has room for one.
    ///
    /// # Errors
    /// `Invalid` for a negative length, an unknown programme or centre; `Database`.
    pub async fn create_upload_within(
        &self,
        new: &NewUpload,
        quota: Option<i64>,
    ) -> Result<std::result::Result<Upload, i64>> {
        if new.length < 0 {
            return Err(CatalogError::invalid("upload length", "must not be negative"));
        }
        let id = UploadId::new();
        let now = Utc::now();
        let sql = "INSERT INTO uploads (id, programme_id, centre_code, filename, length, received, created_by, \
                   created_at, updated_at, expires_at, digest) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $7, $8, $9)";
        let lock = match self.db {
            Db::Postgres(_) => "SELECT code FROM centres WHERE code = $1 FOR UPDATE",
            Db::Sqlite(_) => "SELECT code FROM centres WHERE code = $1",
        };
        let used = format!("SELECT CAST(({STORED}) + ({PENDING}) AS BIGINT)");
        let refused = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut refused = None;
            if let Some(quota) = quota {
                sqlx::query(lock).bind(new.centre.as_str()).fetch_optional(&mut *tx).await?;
                let used: i64 = sqlx::query_scalar(&used).bind(new.centre.as_str()).fetch_one(&mut *tx).await?;
                if used.saturating_add(new.length) > quota {
                    refused = Some(used);
                }
            }
            if refused.is_none() {
                sqlx::query(sql)
                    .bind(id.to_string()).bind(new.programme_id.to_string()).bind(new.centre.as_str())
                    .bind(&new.filename).bind(new.length).bind(&new.created_by).bind(now).bind(new.expires_at)
                    .bind(&new.digest).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            refused
        });
        match refused {
            Some(used) => Ok(Err(used)),
            None => Ok(Ok(self.get_upload(id).await?)),
        }
    }

    /// One upload.
    ///
    /// # Errors
    /// `NotFound` when there is no such upload (never made, finished long ago, or swept).
    pub async fn get_upload(&self, id: UploadId) -> Result<Upload> {
        let sql = format!("SELECT {COLUMNS} FROM uploads WHERE id = $1");
        let row: Option<Row> =
            with_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await)?;
        row.map(from_row).transpose()?.ok_or_else(|| CatalogError::not_found("upload", id))
    }

    /// Claims the upload for one writing request (`writer`, until `until`) if `offset` is
    /// what has been received and no other request holds an unexpired claim. `false` otherwise.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn claim_upload(&self, id: UploadId, offset: i64, writer: &str, until: DateTime<Utc>) -> Result<bool> {
        let sql = "UPDATE uploads SET writer = $1, writer_until = $2 WHERE id = $3 AND received = $4 \
                   AND completed_at IS NULL AND (writer IS NULL OR writer_until < $5)";
        let done = with_pool!(self, pool => sqlx::query(sql)
            .bind(writer).bind(until).bind(id.to_string()).bind(offset).bind(Utc::now())
            .execute(pool).await.map(|d| d.rows_affected()))?;
        Ok(done == 1)
    }

    /// Moves the received count from `from` to `to` for the claim holder `writer`, with the
    /// running digest of the bytes up to `to`, renewing its claim to `until` and the upload's
    /// expiry to `expires_at`. `false` when the claim was lost.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn advance_upload(
        &self,
        id: UploadId,
        writer: &str,
        (from, to): (i64, i64),
        digest: Option<&str>,
        until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = "UPDATE uploads SET received = $1, updated_at = $2, expires_at = $3, writer_until = $4, \
                   digest = $8 WHERE id = $5 AND received = $6 AND writer = $7 AND completed_at IS NULL \
                   AND $1 <= length";
        let done = with_pool!(self, pool => sqlx::query(sql)
            .bind(to).bind(Utc::now()).bind(expires_at).bind(until).bind(id.to_string()).bind(from).bind(writer)
            .bind(digest).execute(pool).await.map(|d| d.rows_affected()))?;
        Ok(done == 1)
    }

    /// Gives up the claim of `writer` (harmless when it was lost already).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn release_upload(&self, id: UploadId, writer: &str) -> Result<()> {
        let sql = "UPDATE uploads SET writer = NULL, writer_until = NULL WHERE id = $1 AND writer = $2";
        with_pool!(self, pool => sqlx::query(sql).bind(id.to_string()).bind(writer).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Marks a fully received upload complete (its row is kept until it expires, so a client
    /// asking for the offset after the last byte still gets an answer). `false` when another
    /// request completed it first.
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn complete_upload(&self, id: UploadId) -> Result<bool> {
        let sql = "UPDATE uploads SET completed_at = $1 WHERE id = $2 AND completed_at IS NULL AND received = length";
        let done = with_pool!(self, pool => sqlx::query(sql).bind(Utc::now()).bind(id.to_string()).execute(pool).await.map(|d| d.rows_affected()))?;
        Ok(done == 1)
    }

    /// Uploads whose expiry is before `now`, oldest first (at most `limit`).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn expired_uploads(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Upload>> {
        let sql = format!("SELECT {COLUMNS} FROM uploads WHERE expires_at < $1 ORDER BY expires_at LIMIT $2");
        let rows: Vec<Row> =
            with_pool!(self, pool => sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(pool).await)?;
        rows.into_iter().map(from_row).collect()
    }

    /// Forgets an upload: `false` when it was already gone (another node swept it first).
    ///
    /// # Errors
    /// `Database` when the query fails.
    pub async fn delete_upload(&self, id: UploadId) -> Result<bool> {
        let done = with_pool!(self, pool => sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(id.to_string()).execute(pool).await.map(|d| d.rows_affected()))?;
        Ok(done == 1)
    }
}
