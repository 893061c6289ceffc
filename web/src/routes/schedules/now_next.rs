//! `GET /api/channels/{id}/now-next`: the published guide's now and next, and what the
//! channel's engine airs now and next (`airing`) — a programme, a filler by title, the slate,
//! a live relay or an alert — whether or not a day is published (a fresh server airs each
//! channel's own cycle). The engine's items are named as the published day names them (so
//! another centre's private programme stays unnamed); items of the cycle by the catalog.

use axum::extract::State;
use axum::Json;
use chrono::{Duration, Utc};
use schedules::{now_next, CandidateIndex, GuideEntry, ItemKind, NowNext, Playlist, ProgrammeId};
use serde::Serialize;

use super::{channel_for, filler_categories, private, readable_playlists, AtQuery};
use crate::auth::policy::{Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::metrics::{Airing, AiringItem, AiringKind};
use crate::state::AppState;

/// The guide's now/next and, for a channel on air in this process, its engine's.
#[derive(Debug, Serialize)]
pub struct NowNextAnswer {
    /// From the published days.
    #[serde(flatten)]
    pub guide: NowNext,
    /// What the engine airs now and next; absent when the channel is not on air in this
    /// process or `at` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub airing: Option<Airing>,
}

/// What is on air now and next: the published guide's programmes, and what the engine airs.
#[utoipa::path(get, path = "/api/channels/{id}/now-next", tag = "schedules", params(("id" = String, Path), AtQuery),
    responses((status = 200, body = crate::schema_docs::NowNextDoc), (status = 404, body = ErrorBody)))]
pub async fn now_next_route(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<AtQuery>,
) -> Result<Json<NowNextAnswer>, ApiError> {
    let (c, ch) = channel_for(&state, &p, &id, Permission::ReadSchedule).await?;
    let at = q.at.unwrap_or_else(Utc::now);
    let playlists = readable_playlists(&state, &p, &c, at, at + Duration::days(1)).await?;
    let guide = now_next(&ch, &playlists, at);
    let airing = match q.at {
        Some(_) => None,
        None => match state.on_air.airing(&c.slug) {
            Some(engine) => {
                let index = state.candidates.get(&state.store, &c.centre).await?;
                let fillers = filler_categories(&state.store, &c).await?;
                let redaction = private::Redaction::for_reader(&p, &index);
                let names = Names { redaction, index: &index, fillers: &fillers, ch: &ch, playlists: &playlists };
                Some(Airing { now: names.item(engine.now), next: engine.next.map(|n| names.item(n)) })
            }
            None => None,
        },
    };
    Ok(Json(NowNextAnswer { guide, airing }))
}

/// How the engine's items are named for a reader.
struct Names<'a> {
    redaction: private::Redaction,
    index: &'a CandidateIndex,
    fillers: &'a [String],
    ch: &'a schedules::Channel,
    playlists: &'a [Playlist],
}

impl Names<'_> {
    /// `it` as the published day has it where one covers it (kind, reader's title), else by
    /// the catalog: a cycle's programme of a filler category is a filler.
    fn item(&self, mut it: AiringItem) -> AiringItem {
        if it.kind != AiringKind::Programme {
            return it;
        }
        let published =
            it.start.and_then(|s| now_next(self.ch, self.playlists, s + Duration::milliseconds(500)).on_air);
        if let Some(e) =
            published.filter(|e| it.start.is_some_and(|s| (e.start.to_utc() - s).abs() < Duration::seconds(1)))
        {
            return AiringItem { kind: kind_of(&e), title: Some(e.title), ..it };
        }
        let candidate = it
            .programme
            .as_deref()
            .and_then(|id| ProgrammeId::parse(id).ok())
            .and_then(|id| self.index.items().iter().find(|c| c.id == id));
        match candidate {
            Some(c) => {
                if self.fillers.contains(&c.category) {
                    it.kind = AiringKind::Filler;
                }
                if let Some(centre) = self.redaction.hidden_centre(&c.id) {
                    it.title = Some(private::label(centre));
                }
            }
            // Not the channel's to air as far as the catalog knows: not named.
            None if it.programme.is_some() => it.title = None,
            None => {}
        }
        it
    }
}

fn kind_of(e: &GuideEntry) -> AiringKind {
    match e.kind {
        ItemKind::Programme => AiringKind::Programme,
        ItemKind::Live => AiringKind::Live,
        ItemKind::Filler => AiringKind::Filler,
        ItemKind::Slate => AiringKind::Slate,
    }
}
