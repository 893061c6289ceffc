//! `/api/audit`: the audit log by object, or searched (actor, action, object type, centre,
//! time range, paged by id), for admins. A centre admin sees the history of its own centre's
//! objects and users; the network admin sees everything.

use axum::extract::State;
use axum::Json;
use catalog::audit::{Actor, AuditEntry, AuditSearch};
use catalog::ids::{CentreCode, ChannelId, JobId, ProgrammeId, TokenId, UserId};
use catalog::programme::Sharing;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::policy::{decide, role_may, Decision, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// By object (`object_type` and `object_id`, oldest first); else a search where every filter
/// given applies (newest first): actor (`user:NAME`, `token:NAME`, `system:…`), action,
/// object type, centre, time range; `before` pages on (the last id of the page before).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `programme`, `channel`, `job`, `user` or `token`.
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// e.g. `user:editor-miyi`.
    pub actor: Option<String>,
    /// An action (`programme.create`), or every action of a kind (`programme.`).
    pub action: Option<String>,
    /// Changes by the centre's users or to its objects (programmes, deleted ones too, their
    /// jobs, channels and their days, relays, users, tokens; the centre is stored with each
    /// row); a centre admin: its own centre only, the default.
    pub centre: Option<String>,
    /// At or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
    /// Entries older than this id (the last id of the previous page).
    pub before: Option<i64>,
    /// For searches: at most this many, newest first (1-1000, default 100).
    pub limit: Option<i64>,
}

/// The owner of an audited object, whether it is shared, and the permission that reads it.
/// `None` when there is no such object (or the type is unknown).
async fn owner(state: &AppState, otype: &str, oid: &str) -> Option<(Option<CentreCode>, bool, Permission)> {
    let s = &state.store;
    match otype {
        "programme" => {
            let p = s.get_programme(ProgrammeId::parse(oid).ok()?).await.ok()?;
            Some((Some(p.centre), p.sharing == Sharing::Network, Permission::ReadProgramme))
        }
        "channel" => {
            Some((Some(s.get_channel(ChannelId::parse(oid).ok()?).await.ok()?.centre), true, Permission::ReadChannel))
        }
        "job" => {
            let j = s.get_job(JobId::parse(oid).ok()?).await.ok()?;
            Some((crate::routes::jobs::job_centre(s, &j).await, false, Permission::ReadJob))
        }
        "user" => Some((Some(s.get_user(UserId::parse(oid).ok()?).await.ok()?.centre), false, Permission::ManageUsers)),
        "token" => {
            Some((Some(s.get_token(TokenId::parse(oid).ok()?).await.ok()?.centre), false, Permission::ManageUsers))
        }
        _ => None,
    }
}

/// Audit entries of one object (oldest first), or those that pass the filters given (newest
/// first).
#[utoipa::path(get, path = "/api/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntry>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    if !role_may(&p, Permission::ReadAudit) {
        return Err(ApiError::forbidden(format!("{} may not read the audit log", p.role)));
    }
    let admin = p.role == catalog::user::Role::NetworkAdmin;
    let check = |owner: Option<&CentreCode>, shared: bool, read: Permission| match decide(
        &p,
        Permission::ReadAudit,
        read,
        owner,
        shared,
    ) {
        Decision::Allow => Ok(()),
        Decision::Hidden => Err(ApiError::not_found("no such object")),
        Decision::Forbidden => Err(ApiError::forbidden("this history belongs to another centre")),
    };
    let searching = q.actor.is_some()
        || q.action.is_some()
        || q.centre.is_some()
        || q.from.is_some()
        || q.until.is_some()
        || q.before.is_some();
    match (&q.object_type, &q.object_id) {
        (Some(t), Some(id)) if !searching => {
            if !admin {
                let (centre, shared, read) =
                    owner(&state, t, id).await.ok_or_else(|| ApiError::not_found("no such object"))?;
                check(centre.as_ref(), shared, read)?;
            }
            Ok(Json(state.store.audit_for_object(t, id).await?))
        }
        (_, Some(_)) => {
            Err(ApiError::bad_request("object_id goes with object_type alone; search by the other filters"))
        }
        (otype, None) => {
            if let Some(a) = q.actor.as_deref().filter(|_| !admin) {
                let name = a.strip_prefix("user:").ok_or_else(|| {
                    ApiError::forbidden("only the network admin reads the history of tokens and the system")
                })?;
                let user = state.store.find_user(name).await?.ok_or_else(|| ApiError::not_found("no such user"))?;
                check(Some(&user.centre), false, Permission::ManageUsers)?;
            }
            let limit = q.limit.unwrap_or(100);
            if limit < 1 {
                return Err(ApiError::bad_request("limit must be at least 1"));
            }
            let centre = match q.centre.as_deref() {
                Some(c) => Some(CentreCode::parse(c).map_err(|e| ApiError::bad_request(format!("centre: {e}")))?),
                None => None,
            };
            // A centre admin reads its own centre's history only.
            let centre = match (admin, centre) {
                (true, c) => c,
                (false, Some(c)) if c.as_str() != p.centre.as_str() => {
                    return Err(ApiError::forbidden("this history belongs to another centre"))
                }
                (false, _) => Some(p.centre.clone()),
            };
            if let (Some(f), Some(u)) = (q.from, q.until) {
                if u <= f {
                    return Err(ApiError::bad_request("from must be before until"));
                }
            }
            let search = AuditSearch {
                actor: q.actor.as_deref().map(actor_from).transpose()?,
                action: q.action.clone(),
                object_type: otype.clone(),
                centre: centre.map(|c| c.as_str().to_owned()),
                from: q.from,
                until: q.until,
                before_id: q.before,
                limit: limit.min(1000),
            };
            Ok(Json(state.store.audit_search(&search).await?))
        }
    }
}

fn actor_from(a: &str) -> Result<Actor, ApiError> {
    match a.split_once(':') {
        Some(("user", n)) => Ok(Actor::user(n)),
        Some(("token", n)) => Ok(Actor::token(n)),
        Some(("system", n)) => Ok(Actor::system(n)),
        _ => Err(ApiError::bad_request("actor must be user:NAME, token:NAME or system:NAME")),
    }
}
