//! Rows as the database returns them, and their conversion to domain types. Enum columns are
//! parsed here: a value the code does not know is reported as corrupt data, not a panic.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::asset::{Asset, AssetKind};
use crate::audit::{Actor, AuditEntry};
use crate::centre::Centre;
use crate::channel::{Channel, ChannelFormat, ChannelKind, ChannelLogo};
use crate::error::{CatalogError, Result};
use crate::ids::{AssetId, CentreCode, ChannelId, JobId, ProgrammeId, TokenId, UserId};
use crate::job::{Job, JobStatus};
use crate::programme::{Category, Programme, ProgrammeStatus, Sharing};
use crate::user::{ApiToken, Role, User};

fn corrupt(e: CatalogError) -> CatalogError {
    CatalogError::Corrupt(e.to_string())
}

fn uuid(s: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(s).map_err(|e| CatalogError::Corrupt(format!("stored id {s:?}: {e}")))
}

fn code(s: String) -> Result<CentreCode> {
    CentreCode::parse(&s).map_err(corrupt)
}

#[derive(sqlx::FromRow)]
pub(super) struct CentreRow {
    code: String,
    name: String,
    area_name: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<CentreRow> for Centre {
    type Error = CatalogError;
    fn try_from(r: CentreRow) -> Result<Self> {
        Ok(Centre { code: code(r.code)?, name: r.name, area_name: r.area_name, created_at: r.created_at })
    }
}

pub(super) const PROGRAMME_COLUMNS: &str = "id, centre_code, title, series, episode, description, category, \
    language, tags, sharing, status, reason, duration_ms, rights_from, rights_until, qc, loudness, \
    created_at, updated_at, version";

#[derive(sqlx::FromRow)]
pub(super) struct ProgrammeRow {
    id: String,
    centre_code: String,
    title: String,
    series: Option<String>,
    episode: Option<i32>,
    description: String,
    category: String,
    language: String,
    tags: Json<Vec<String>>,
    sharing: String,
    status: String,
    reason: Option<String>,
    duration_ms: Option<i64>,
    rights_from: Option<DateTime<Utc>>,
    rights_until: Option<DateTime<Utc>>,
    qc: Option<Json<serde_json::Value>>,
    loudness: Option<Json<serde_json::Value>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl TryFrom<ProgrammeRow> for Programme {
    type Error = CatalogError;
    fn try_from(r: ProgrammeRow) -> Result<Self> {
        Ok(Programme {
            id: ProgrammeId(uuid(&r.id)?),
            centre: code(r.centre_code)?,
            title: r.title,
            series: r.series,
            episode: r.episode,
            description: r.description,
            category: Category::parse(&r.category).map_err(corrupt)?,
            language: r.language,
            tags: r.tags.0,
            sharing: Sharing::parse(&r.sharing).map_err(corrupt)?,
            status: ProgrammeStatus::parse(&r.status).map_err(corrupt)?,
            reason: r.reason,
            duration_ms: r.duration_ms,
            rights_from: r.rights_from,
            rights_until: r.rights_until,
            qc: r.qc.map(|j| j.0),
            loudness: r.loudness.map(|j| j.0),
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AssetRow {
    id: String,
    programme_id: String,
    kind: String,
    key: String,
    sha256: String,
    size_bytes: i64,
    created_at: DateTime<Utc>,
}

impl TryFrom<AssetRow> for Asset {
    type Error = CatalogError;
    fn try_from(r: AssetRow) -> Result<Self> {
        Ok(Asset {
            id: AssetId(uuid(&r.id)?),
            programme_id: ProgrammeId(uuid(&r.programme_id)?),
            kind: AssetKind::parse(&r.kind).map_err(corrupt)?,
            key: r.key,
            sha256: r.sha256,
            size_bytes: r.size_bytes,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ChannelRow {
    id: String,
    centre_code: String,
    slug: String,
    name: String,
    kind: String,
    format: Json<ChannelFormat>,
    day_start: String,
    time_zone: String,
    retired_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    fillers: Json<Vec<ProgrammeId>>,
    crawl: Option<String>,
    logo: Option<Json<ChannelLogo>>,
    service: Option<Json<crate::channel::ServiceIds>>,
}

impl TryFrom<ChannelRow> for Channel {
    type Error = CatalogError;
    fn try_from(r: ChannelRow) -> Result<Self> {
        Ok(Channel {
            id: ChannelId(uuid(&r.id)?),
            centre: code(r.centre_code)?,
            slug: r.slug,
            name: r.name,
            kind: ChannelKind::parse(&r.kind).map_err(corrupt)?,
            format: r.format.0,
            day_start: r.day_start,
            time_zone: r.time_zone,
            retired_at: r.retired_at,
            created_at: r.created_at,
            fillers: r.fillers.0,
            crawl: r.crawl,
            logo: r.logo.map(|l| l.0),
            service: r.service.map(|s| s.0).unwrap_or_default(),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: String,
    username: String,
    display_name: String,
    password_hash: String,
    role: String,
    centre_code: String,
    disabled: bool,
    created_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = CatalogError;
    fn try_from(r: UserRow) -> Result<Self> {
        Ok(User {
            id: UserId(uuid(&r.id)?),
            username: r.username,
            display_name: r.display_name,
            password_hash: r.password_hash,
            role: Role::parse(&r.role).map_err(corrupt)?,
            centre: code(r.centre_code)?,
            disabled: r.disabled,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct TokenRow {
    id: String,
    user_id: String,
    name: String,
    token_hash: String,
    role: String,
    centre_code: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = CatalogError;
    fn try_from(r: TokenRow) -> Result<Self> {
        Ok(ApiToken {
            id: TokenId(uuid(&r.id)?),
            user_id: UserId(uuid(&r.user_id)?),
            name: r.name,
            token_hash: r.token_hash,
            role: Role::parse(&r.role).map_err(corrupt)?,
            centre: code(r.centre_code)?,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        })
    }
}

pub(super) const JOB_COLUMNS: &str = "id, kind, payload, status, attempts, max_attempts, run_at, \
    lease_owner, lease_expires_at, last_error, progress, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct JobRow {
    id: String,
    kind: String,
    payload: Json<serde_json::Value>,
    status: String,
    attempts: i32,
    max_attempts: i32,
    run_at: DateTime<Utc>,
    lease_owner: Option<String>,
    lease_expires_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    progress: Option<Json<serde_json::Value>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<JobRow> for Job {
    type Error = CatalogError;
    fn try_from(r: JobRow) -> Result<Self> {
        Ok(Job {
            id: JobId(uuid(&r.id)?),
            kind: r.kind,
            payload: r.payload.0,
            status: JobStatus::parse(&r.status).map_err(corrupt)?,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            run_at: r.run_at,
            lease_owner: r.lease_owner,
            lease_expires_at: r.lease_expires_at,
            last_error: r.last_error,
            progress: r.progress.map(|j| j.0),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    object_type: String,
    object_id: String,
    before: Option<Json<serde_json::Value>>,
    after: Option<Json<serde_json::Value>>,
    centre_code: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            at: r.at,
            actor: Actor::from_stored(r.actor),
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            before: r.before.map(|j| j.0),
            after: r.after.map(|j| j.0),
            centre: r.centre_code,
        }
    }
}

/// Converts a list of rows, failing on the first corrupt one.
pub(super) fn convert<R, T: TryFrom<R, Error = CatalogError>>(rows: Vec<R>) -> Result<Vec<T>> {
    rows.into_iter().map(T::try_from).collect()
}
