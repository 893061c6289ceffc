//! `GET /api/channels/{id}/alerts/stream`: the alerts that target a channel, pushed to its
//! remote playout node as server-sent events the moment they change, instead of being polled.
//!
//! Each `alerts` event carries the whole set, exactly as `GET …/alerts/active` answers it (a
//! JSON array, oldest first): the current set at connect, then the new set whenever an alert is
//! taken in, changes state or ends (the desk's [`crate::desk::AlertDesk::subscribe`] wakes the
//! stream; a set equal to the last one sent is not sent again). A reader that missed events
//! loses nothing: the next event is the whole truth. A `:keep-alive` comment every
//! [`KEEP_ALIVE`] lets the node (and any proxy) tell a quiet stream from a dead one. The
//! stream ends when the server shuts down. Access as `…/alerts/active` (`ReadSchedule` on the
//! channel's centre: its `playout_node` token).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::{HeaderName, HeaderValue};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use catalog::channel::Channel;
use futures::stream::Stream;

use crate::auth::policy::{Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::events::Subscription;
use crate::extract::ApiPath;
use crate::routes::playout::{active_for, channel_for};
use crate::state::AppState;

/// How often a quiet stream sends a comment; a node that hears nothing for three of these
/// takes the stream for dead.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Server-sent `alerts` events, each the channel's whole set of active alerts (see the module
/// docs).
#[utoipa::path(get, path = "/api/channels/{id}/alerts/stream", tag = "alerts", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/event-stream",
               description = "`alerts` events, each data a JSON array as `GET …/alerts/active` answers"),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn alert_stream(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let channel = channel_for(&state, &p, &id, Permission::ReadSchedule).await?;
    let watch = Watch { changes: state.desk.subscribe(), closed: state.events.subscribe(), state, channel, last: None };
    let sse = Sse::new(stream(watch)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"));
    // nginx and similar proxies buffer responses unless told not to.
    let no_buffering = [(HeaderName::from_static("x-accel-buffering"), HeaderValue::from_static("no"))];
    Ok((no_buffering, sse).into_response())
}

struct Watch {
    state: AppState,
    channel: Channel,
    changes: tokio::sync::watch::Receiver<u64>,
    /// Ends the stream at shutdown (the event bus closes then).
    closed: Subscription,
    /// The data of the last event sent.
    last: Option<String>,
}

fn stream(watch: Watch) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    futures::stream::unfold(watch, |mut w| async move {
        loop {
            // Marked seen before reading, so a change during the read wakes the next wait.
            let version = *w.changes.borrow_and_update();
            let current = active_for(&w.state, &w.channel)
                .and_then(|set| serde_json::to_string(&set).map_err(ApiError::internal));
            match current {
                Ok(data) if w.last.as_deref() != Some(data.as_str()) => {
                    let event = SseEvent::default().event("alerts").id(version.to_string()).data(&data);
                    w.last = Some(data);
                    return Some((Ok(event), w));
                }
                Ok(_) => {}
                Err(e) => tracing::error!(channel = %w.channel.slug, error = ?e, "active alerts not streamed"),
            }
            tokio::select! {
                changed = w.changes.changed() => if changed.is_err() { return None },
                () = closed(&mut w.closed) => return None,
            }
        }
    })
}

/// Resolves once the event bus is closed (the server is shutting down).
async fn closed(sub: &mut Subscription) {
    while sub.next().await.is_some() {}
}
