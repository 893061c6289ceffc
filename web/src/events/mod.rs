//! Server-sent events at `/api/events`: one broadcast bus, each subscriber filtered by the
//! policy so it sees only what it may read.
//!
//! The kind's prefix decides the permission: `programme.*` (programme ready, updated) needs
//! `ReadProgramme`; `job.*` needs `ReadJob`; `playlist.*`, `schedule.*`, `onair.*` and
//! `asrun.*` need `ReadSchedule`; `alert.*` needs `ReadAlert`; any other kind reaches network
//! admins only.

pub mod outbox;

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use catalog::ids::CentreCode;
use futures::stream::Stream;
use serde::Serialize;
use tokio::sync::broadcast;

use crate::auth::policy::{allows, Permission, Principal};
use crate::state::AppState;

/// Something that happened, published for those who may read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// e.g. `programme.created`, `job.progress`, `playlist.published`, `onair.changed`.
    pub kind: String,
    /// The centre that owns the object (None: the network as a whole).
    pub centre: Option<CentreCode>,
    /// Whether the object is shared with the network.
    pub shared: bool,
    pub payload: serde_json::Value,
}

/// The permission needed to see an event of `kind`.
pub fn permission_for(kind: &str) -> Option<Permission> {
    let prefix = kind.split('.').next().unwrap_or("");
    match prefix {
        "programme" => Some(Permission::ReadProgramme),
        "job" => Some(Permission::ReadJob),
        "playlist" | "schedule" | "onair" | "asrun" => Some(Permission::ReadSchedule),
        "alert" => Some(Permission::ReadAlert),
        _ => None,
    }
}

/// Whether `p` may see `e`.
pub fn visible_to(p: &Principal, e: &Event) -> bool {
    match permission_for(&e.kind) {
        Some(perm) => allows(p, perm, e.centre.as_ref(), e.shared),
        None => p.role == catalog::user::Role::NetworkAdmin,
    }
}

/// A job event (`job.queued`, `job.progress`, `job.done`, `job.dead`) for the centre the job
/// belongs to (see [`crate::routes::jobs::job_centre`]).
pub fn job_event(kind: &str, job: &catalog::job::Job, centre: Option<CentreCode>) -> Event {
    Event {
        kind: kind.into(),
        centre,
        shared: false,
        payload: serde_json::json!({ "id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
            "attempts": job.attempts, "last_error": job.last_error }),
    }
}

/// The event bus: cheap to clone; publishing with no subscriber is fine.
#[derive(Clone, Debug)]
pub struct Bus {
    tx: broadcast::Sender<Arc<Event>>,
    closed: tokio::sync::watch::Sender<bool>,
    /// Digests of sessions signed out and tokens revoked on this node: their streams end.
    ended: broadcast::Sender<Arc<str>>,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus {
    /// A bus keeping the last 1024 events for slow subscribers.
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(1024).0,
            closed: tokio::sync::watch::channel(false).0,
            ended: broadcast::channel(64).0,
        }
    }

    /// Ends every event stream (at shutdown: an open stream would otherwise hold a graceful
    /// shutdown open forever). New subscribers get an empty stream.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Ends the streams opened with the credential of SHA-256 digest `digest` (a session
    /// signed out, a token revoked) at once on this node; other nodes notice within
    /// [`RECHECK`].
    pub fn end_credential(&self, digest: &str) {
        let _ = self.ended.send(Arc::from(digest));
    }

    /// Publishes an event to every current subscriber.
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(Arc::new(event));
    }

    /// A new subscription, from now on, with the signal that ends it.
    pub fn subscribe(&self) -> Subscription {
        Subscription { rx: self.tx.subscribe(), closed: self.closed.subscribe() }
    }
}

/// One subscriber's view of the bus.
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Event>>,
    closed: tokio::sync::watch::Receiver<bool>,
}

impl Subscription {
    /// The next event, `Err(n)` when `n` events were missed by a slow reader, `None` once the
    /// bus is closed.
    pub async fn next(&mut self) -> Option<Result<Arc<Event>, u64>> {
        if *self.closed.borrow() {
            return None;
        }
        tokio::select! {
            r = self.rx.recv() => match r {
                Ok(e) => Some(Ok(e)),
                Err(broadcast::error::RecvError::Lagged(n)) => Some(Err(n)),
                Err(broadcast::error::RecvError::Closed) => None,
            },
            _ = self.closed.wait_for(|c| *c) => None,
        }
    }
}

/// The events stream, filtered for the caller; it ends when the bus is closed.
pub fn stream_for(p: Principal, sub: Subscription) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    futures::stream::unfold((p, sub), |(p, mut sub)| async move {
        loop {
            match sub.next().await? {
                Ok(e) if visible_to(&p, &e) => {
                    let data = serde_json::json!({ "centre": e.centre, "payload": e.payload });
                    let sse = SseEvent::default().event(e.kind.clone()).data(data.to_string());
                    return Some((Ok(sse), (p, sub)));
                }
                Ok(_) => continue,
                Err(n) => {
                    let sse = SseEvent::default().event("lagged").data(format!("{{\"missed\":{n}}}"));
                    return Some((Ok(sse), (p, sub)));
                }
            }
        }
    })
}

/// How often an open stream checks that its session or token is still valid (a sign-out or
/// revocation on another API node).
pub const RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Completes when the credential of digest `digest` (a session when `session`, else an API
/// token) is no longer valid: signed out or revoked here (at once) or anywhere (within
/// [`RECHECK`]), expired, or its account disabled.
async fn credential_ended(state: AppState, digest: String, session: bool) {
    let mut ended = state.events.ended.subscribe();
    let mut every = tokio::time::interval(RECHECK);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            gone = ended.recv() => match gone {
                Ok(d) if *d == *digest => return,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
            },
            _ = every.tick() => {
                let now = chrono::Utc::now();
                let valid = if session {
                    state.store.find_session(&digest, now).await.map(|s| s.is_some())
                } else {
                    state.store.find_token_with_user(&digest).await.map(|t| {
                        t.is_some_and(|(token, _, disabled)| token.is_usable(now) && !disabled)
                    })
                };
                // A database outage is no sign-out: keep the stream until it answers.
                if matches!(valid, Ok(false)) {
                    return;
                }
            }
        }
    }
}

/// Server-sent events: programme, job, schedule, on-air and alert events the caller may read.
/// The stream ends when its session is signed out or its token revoked.
#[utoipa::path(get, path = "/api/events", tag = "events",
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"),
              (status = 401, body = crate::error::ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    p: Principal,
    headers: axum::http::HeaderMap,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    use futures::StreamExt;
    let (digest, session) = crate::auth::principal::credential_digest(&headers);
    let ended: futures::future::BoxFuture<'static, ()> = match digest {
        Some(d) => Box::pin(credential_ended(state.clone(), d, session)),
        None => Box::pin(std::future::pending()),
    };
    Sse::new(stream_for(p, state.events.subscribe()).take_until(ended)).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalog::user::Role;

    fn who(role: Role, centre: &str) -> Principal {
        Principal {
            user_id: catalog::ids::UserId::new(),
            username: "u".into(),
            role,
            centre: CentreCode::parse(centre).unwrap(),
            token: None,
        }
    }

    fn ev(kind: &str, centre: &str, shared: bool) -> Event {
        Event { kind: kind.into(), centre: CentreCode::parse(centre).ok(), shared, payload: serde_json::json!({}) }
    }

    #[test]
    fn each_subscriber_sees_only_what_it_may_read() {
        let viewer = who(Role::Viewer, "510421");
        assert!(visible_to(&viewer, &ev("programme.created", "510421", false)));
        assert!(!visible_to(&viewer, &ev("programme.created", "510422", false)));
        assert!(visible_to(&viewer, &ev("programme.updated", "510422", true)));
        assert!(!visible_to(&viewer, &ev("job.progress", "510422", false)));
        assert!(visible_to(&viewer, &ev("alert.issued", "510422", false)));
        assert!(!visible_to(&viewer, &ev("mystery.thing", "510421", false)));
        assert!(visible_to(&who(Role::NetworkAdmin, "510400"), &ev("mystery.thing", "510421", false)));
    }

    #[tokio::test]
    async fn the_stream_skips_events_the_caller_may_not_read() {
        use futures::StreamExt;
        let bus = Bus::new();
        let s = stream_for(who(Role::Viewer, "510421"), bus.subscribe());
        bus.publish(ev("programme.created", "510422", false));
        bus.publish(ev("programme.created", "510421", false));
        let mut s = Box::pin(s);
        let first = s.next().await;
        assert!(first.is_some());
        bus.close();
        assert!(s.next().await.is_none(), "only one visible event, then the bus closed");
    }
}
