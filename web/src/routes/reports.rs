//! Reports: a channel's as-run log (`GET /api/channels/{id}/as-run`) and scheduled airtime
//! per category per centre from the published days (`GET /api/reports/airtime`), with the
//! agricultural (涉农) and local programme hours the network reports on. Both are scoped by
//! `web::policy` like schedules: readable network-wide, a playout node its own centre only.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::Json;
use catalog::asrun::AsRunEntry;
use catalog::ids::{CentreCode, ChannelId, ProgrammeId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::policy::{allows, Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiPath, ApiQuery};
use crate::state::AppState;
use catalog::scheduling::published_playlists;

/// The longest window a report covers.
const MAX_DAYS: i64 = 93;

/// A report window (RFC 3339; default: the last 24 hours; at most 93 days).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only this centre's channels (airtime only).
    pub centre: Option<String>,
}

fn window(q: &WindowQuery) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let until = q.until.unwrap_or_else(Utc::now);
    let from = q.from.unwrap_or(until - Duration::days(1));
    if until <= from || until - from > Duration::days(MAX_DAYS) {
        return Err(ApiError::unprocessable(format!("the window must be from < until, at most {MAX_DAYS} days")));
    }
    Ok((from, until))
}

/// A channel's as-run log over a window.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AsRunReport {
    pub channel: ChannelId,
    pub slug: String,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Entries whose outcome is `fallback`: the engine filled (slate, filler, a missing file, a
    /// dead relay). An item cut by a hard start, skipped, or interrupted by an override or an
    /// alert was meant to go that way and raises no alarm; its outcome says so in the entry.
    pub fallbacks: usize,
    /// Oldest first.
    pub entries: Vec<AsRunEntry>,
}

/// Scheduled airtime per centre over a window.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AirtimeReport {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// By centre code.
    pub centres: Vec<CentreAirtime>,
}

/// What a channel aired between `from` and `until` (by actual start, at most 5000 entries),
/// oldest first, and how many entries were fallbacks (slate, a missing file, a dead relay).
#[utoipa::path(get, path = "/api/channels/{id}/as-run", tag = "schedules",
    params(("id" = String, Path), WindowQuery),
    responses((status = 200, body = AsRunReport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn as_run(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> Result<Json<AsRunReport>, ApiError> {
    if q.centre.is_some() {
        return Err(ApiError::unprocessable("centre applies to /api/reports/airtime, not to a channel's as-run"));
    }
    let cid = parse_id("channel", &id, ChannelId::parse)?;
    let c = state.store.get_channel(cid).await?;
    if !allows(&p, Permission::ReadSchedule, Some(&c.centre), true) {
        return Err(ApiError::not_found(format!("channel not found: {cid}")));
    }
    let (from, until) = window(&q)?;
    let entries = state.store.list_as_run(&c.slug, from, until, 5000).await?;
    let fallbacks = entries.iter().filter(|e| e.outcome == "fallback").count();
    Ok(Json(AsRunReport { channel: c.id, slug: c.slug, from, until, fallbacks, entries }))
}

/// One aired stretch for the airtime tally.
#[derive(Debug, Clone, PartialEq)]
pub struct Aired {
    /// The channel's centre.
    pub centre: String,
    pub category: String,
    pub seconds: f64,
    /// The programme belongs to the channel's own centre.
    pub local: bool,
}

/// Airtime of one centre.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CentreAirtime {
    pub centre: String,
    /// Hours per category ("" → `其他`).
    pub categories: BTreeMap<String, f64>,
    pub total_hours: f64,
    /// 涉农 hours.
    pub agricultural_hours: f64,
    /// Hours of the centre's own programmes.
    pub local_hours: f64,
}

/// Adds the stretches up per centre (sorted by centre code), in hours.
pub fn tally(aired: &[Aired]) -> Vec<CentreAirtime> {
    let mut by: BTreeMap<&str, CentreAirtime> = BTreeMap::new();
    for a in aired {
        let e = by
            .entry(a.centre.as_str())
            .or_insert_with(|| CentreAirtime { centre: a.centre.clone(), ..CentreAirtime::default() });
        let h = a.seconds / 3600.0;
        let cat = if a.category.is_empty() { "其他".to_string() } else { a.category.clone() };
        *e.categories.entry(cat).or_insert(0.0) += h;
        e.total_hours += h;
        if a.category == "涉农" {
            e.agricultural_hours += h;
        }
        if a.local {
            e.local_hours += h;
        }
    }
    by.into_values().collect()
}

/// Scheduled airtime per category per centre from the latest published day of every channel
/// the caller may read, clipped to the window: hours per category, total, agricultural
/// (涉农) and local (the centre's own programmes).
#[utoipa::path(get, path = "/api/reports/airtime", tag = "schedules", params(WindowQuery),
    responses((status = 200, body = AirtimeReport), (status = 422, body = ErrorBody)))]
pub async fn airtime(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> Result<Json<AirtimeReport>, ApiError> {
    let (from, until) = window(&q)?;
    let centre = match q.centre.as_deref() {
        Some(c) => Some(CentreCode::parse(c).map_err(|e| ApiError::unprocessable(format!("centre: {e}")))?),
        None => None,
    };
    let mut owners: HashMap<String, Option<String>> = HashMap::new();
    let mut aired = Vec::new();
    for c in state.store.list_channels(false).await? {
        if !allows(&p, Permission::ReadSchedule, Some(&c.centre), true)
            || centre.as_ref().is_some_and(|x| *x != c.centre)
        {
            continue;
        }
        for playlist in published_playlists(&state.store, &c, from, until).await? {
            for (it, po) in playlist.items.iter().zip(playlist.playout()) {
                let start = po.start.with_timezone(&Utc);
                let end = start + Duration::nanoseconds(po.duration_ns.0);
                let (s, e) = (start.max(from), end.min(until));
                if e <= s {
                    continue;
                }
                let owner = match it.programme() {
                    Some(id) => match owners.get(id.as_str()) {
                        Some(o) => o.clone(),
                        None => {
                            let o = match ProgrammeId::parse(id.as_str()) {
                                Ok(pid) => state.store.get_programme(pid).await.ok().map(|x| x.centre.to_string()),
                                Err(_) => None,
                            };
                            owners.insert(id.as_str().to_string(), o.clone());
                            o
                        }
                    },
                    None => None,
                };
                aired.push(Aired {
                    centre: c.centre.to_string(),
                    category: it.category.clone(),
                    seconds: (e - s).num_milliseconds() as f64 / 1000.0,
                    local: owner.as_deref() == Some(c.centre.as_str()),
                });
            }
        }
    }
    Ok(Json(AirtimeReport { from, until, centres: tally(&aired) }))
}

/// Aired airtime per producing centre over a window.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProducerReport {
    pub from: DateTime<Utc>,
    /// The end of the window, never later than now: only what aired counts.
    pub until: DateTime<Utc>,
    /// By producing centre code.
    pub centres: Vec<ProducerAirtime>,
}

/// What one centre's programmes aired, on whichever channels aired them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProducerAirtime {
    /// The producing centre (the programmes' owner).
    pub centre: String,
    /// Hours per category.
    pub categories: BTreeMap<String, f64>,
    pub total_hours: f64,
    /// 涉农 hours.
    pub agricultural_hours: f64,
    /// Hours of the centre's fillers (idents, public-service spots: items aired as fillers
    /// of a published day, or of a filler category in a channel's own cycle), apart: they
    /// are not programme airtime and are in no other figure.
    pub filler_hours: f64,
    /// Hours per channel slug that aired them.
    pub channels: BTreeMap<String, f64>,
    /// Per programme and channel, most hours first.
    pub programmes: Vec<ProducerProgramme>,
}

/// One programme's airtime on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProducerProgramme {
    pub programme: String,
    pub title: String,
    pub category: String,
    pub channel: String,
    pub hours: f64,
}

/// One aired stretch of a catalog programme, for [`tally_producers`].
#[derive(Debug, Clone, PartialEq)]
pub struct AiredProgramme {
    /// The programme's owner.
    pub producer: String,
    pub programme: String,
    pub title: String,
    pub category: String,
    pub channel: String,
    pub seconds: f64,
    /// Aired as a filler: counted in `filler_hours` only.
    pub filler: bool,
}

/// Adds aired stretches up per producing centre (sorted by centre code), in hours.
pub fn tally_producers(aired: &[AiredProgramme]) -> Vec<ProducerAirtime> {
    type PerProgramme<'a> = BTreeMap<(&'a str, &'a str), (&'a AiredProgramme, f64)>;
    let mut by: BTreeMap<&str, (ProducerAirtime, PerProgramme)> = BTreeMap::new();
    for a in aired {
        let (e, progs) = by.entry(a.producer.as_str()).or_insert_with(|| {
            (ProducerAirtime { centre: a.producer.clone(), ..ProducerAirtime::default() }, BTreeMap::new())
        });
        let h = a.seconds / 3600.0;
        if a.filler {
            e.filler_hours += h;
            continue;
        }
        let cat = if a.category.is_empty() { "其他".to_string() } else { a.category.clone() };
        *e.categories.entry(cat).or_insert(0.0) += h;
        *e.channels.entry(a.channel.clone()).or_insert(0.0) += h;
        e.total_hours += h;
        if a.category == "涉农" {
            e.agricultural_hours += h;
        }
        progs.entry((a.programme.as_str(), a.channel.as_str())).or_insert((a, 0.0)).1 += h;
    }
    by.into_values()
        .map(|(mut e, progs)| {
            e.programmes = progs
                .into_iter()
                .map(|(_, (a, hours))| ProducerProgramme {
                    programme: a.programme.clone(),
                    title: a.title.clone(),
                    category: a.category.clone(),
                    channel: a.channel.clone(),
                    hours,
                })
                .collect();
            e.programmes.sort_by(|a, b| b.hours.total_cmp(&a.hours));
            e
        })
        .collect()
}

/// Outcomes in which the programme itself went to air (a `fallback` aired slate instead, a
/// `skipped` item never aired).
const AIRED: [&str; 3] = ["played", "cut", "interrupted"];

/// What each producing centre's programmes actually aired, from the as-run logs of every
/// channel the caller may read (a county's programme aired on the city channel counts for
/// the county), clipped to now; `centre` keeps one producing centre. Fillers (by the published
/// day, else by the channel's filler categories) are counted apart, in `filler_hours`.
#[utoipa::path(get, path = "/api/reports/producers", tag = "schedules", params(WindowQuery),
    responses((status = 200, body = ProducerReport), (status = 422, body = ErrorBody)))]
pub async fn producers(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> Result<Json<ProducerReport>, ApiError> {
    let (from, until) = window(&q)?;
    let until = until.min(Utc::now());
    let centre = match q.centre.as_deref() {
        Some(c) => Some(CentreCode::parse(c).map_err(|e| ApiError::unprocessable(format!("centre: {e}")))?),
        None => None,
    };
    let mut programmes: HashMap<String, Option<(String, String, String)>> = HashMap::new();
    let mut aired = Vec::new();
    if until > from {
        for c in state.store.list_channels(true).await? {
            if !allows(&p, Permission::ReadSchedule, Some(&c.centre), true) {
                continue;
            }
            let fillers = Fillers::of(&state.store, &c, from, until).await?;
            for e in state.store.list_as_run(&c.slug, from, until, 5000).await? {
                if !AIRED.contains(&e.outcome.as_str()) {
                    continue;
                }
                let Some(id) = e.item_id.as_deref() else { continue };
                if !programmes.contains_key(id) {
                    let found = match ProgrammeId::parse(id) {
                        Ok(pid) => state
                            .store
                            .get_programme(pid)
                            .await
                            .ok()
                            .map(|x| (x.centre.to_string(), x.title, x.category.to_string())),
                        Err(_) => None,
                    };
                    programmes.insert(id.to_string(), found);
                }
                let Some(Some((producer, title, category))) = programmes.get(id) else { continue };
                if centre.as_ref().is_some_and(|x| x.as_str() != producer) {
                    continue;
                }
                aired.push(AiredProgramme {
                    producer: producer.clone(),
                    programme: id.to_string(),
                    title: title.clone(),
                    category: category.clone(),
                    channel: c.slug.clone(),
                    seconds: e.duration_ms.max(0) as f64 / 1000.0,
                    filler: fillers.is_filler(&e, category),
                });
            }
        }
    }
    Ok(Json(ProducerReport { from, until, centres: tally_producers(&aired) }))
}

/// How a channel's as-run tells a filler from a programme: the published day's item kind at
/// the entry's scheduled start; where no day is published (the channel's own cycle), the
/// category (the channel's template's filler categories, else the default ones).
struct Fillers {
    /// Scheduled starts (ms since the epoch) of the published items, with whether each is a
    /// filler.
    published: BTreeMap<i64, bool>,
    categories: Vec<String>,
}

impl Fillers {
    async fn of(
        store: &catalog::Store,
        c: &catalog::channel::Channel,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Self, ApiError> {
        let mut published = BTreeMap::new();
        for day in published_playlists(store, c, from - Duration::days(1), until).await? {
            let clock = day.clock();
            for it in &day.items {
                let start = clock.instant(it.start).timestamp_millis();
                published.insert(start, !matches!(it.kind, schedules::ItemKind::Programme | schedules::ItemKind::Live));
            }
        }
        let categories = crate::routes::schedules::filler_categories(store, c).await?;
        Ok(Fillers { published, categories })
    }

    fn is_filler(&self, e: &AsRunEntry, category: &str) -> bool {
        let at = e.scheduled_start.map(|s| s.timestamp_millis());
        // A published start within a second of the entry's (the engine places to the frame).
        let published = at.and_then(|t| self.published.range(t - 1000..=t + 1000).next().map(|(_, f)| *f));
        published.unwrap_or_else(|| self.categories.iter().any(|c| c == category))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn producers_are_tallied_per_owner_across_channels() {
        let a = |producer: &str, programme: &str, channel: &str, seconds: f64| AiredProgramme {
            producer: producer.into(),
            programme: programme.into(),
            title: format!("t{programme}"),
            category: "涉农".into(),
            channel: channel.into(),
            seconds,
            filler: false,
        };
        let ident = AiredProgramme { filler: true, ..a("510421", "ident", "city-tv", 720.0) };
        let t = tally_producers(&[
            a("510421", "p1", "city-tv", 1800.0),
            a("510421", "p1", "city-tv", 1800.0),
            a("510421", "p2", "miyi-tv", 900.0),
            ident,
            a("510400", "p3", "city-tv", 3600.0),
        ]);
        assert_eq!(t.len(), 2);
        let miyi = &t[1];
        assert_eq!(miyi.centre, "510421");
        assert_eq!(miyi.total_hours, 1.25);
        assert_eq!(miyi.agricultural_hours, 1.25);
        assert_eq!(miyi.channels.get("city-tv"), Some(&1.0));
        assert_eq!(miyi.programmes[0].programme, "p1");
        assert_eq!(miyi.programmes[0].hours, 1.0);
        assert_eq!(miyi.filler_hours, 0.2, "the ident apart, in no other figure");
        assert_eq!(miyi.programmes.len(), 2);
    }

    fn a(centre: &str, category: &str, seconds: f64, local: bool) -> Aired {
        Aired { centre: centre.into(), category: category.into(), seconds, local }
    }

    #[test]
    fn tally_adds_hours_per_centre_and_category_with_agricultural_and_local_hours() {
        let t = tally(&[
            a("510421", "涉农", 1800.0, true),
            a("510421", "涉农", 1800.0, false),
            a("510421", "新闻", 3600.0, true),
            a("510400", "", 7200.0, false),
        ]);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].centre, "510400");
        assert_eq!(t[0].categories.get("其他"), Some(&2.0));
        assert_eq!(t[0].local_hours, 0.0);
        let c = &t[1];
        assert_eq!(c.categories.get("涉农"), Some(&1.0));
        assert_eq!(c.agricultural_hours, 1.0);
        assert_eq!(c.local_hours, 1.5);
        assert_eq!(c.total_hours, 2.0);
    }

    #[test]
    fn tally_of_nothing_is_empty() {
        assert!(tally(&[]).is_empty());
    }
}
