//! The catalog seen by the pure `schedules` crate: catalog channels become scheduler channels,
//! catalog programmes become `ProgrammeCandidate`s (docs/schedules.md, "Mapping from the
//! catalog"), and published days become on-air playlists (docs/playlist.md) with each
//! programme's house file. Used by the HTTP layer and by the channels on air alike.

use crate::asset::AssetKind;
use crate::channel::{Channel as CatalogChannel, ChannelKind as CatalogKind};
use crate::error::CatalogError;
use crate::programme::Category;
use crate::store::StreamLayout;
use crate::Store;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use schedules::{
    CandidateIndex, CentreCode, Channel, ChannelKind, FrameRate, MediaTime, Playlist, ProgrammeCandidate, ProgrammeId,
    PublishedDay, Source, TimeOfDay,
};
use serde_json::Value;

/// The categories a template may name: the catalog's category list (a category that is not
/// in it, e.g. one since removed, is reported by `check_template` as `unknown_category`).
pub fn known_categories() -> Vec<&'static str> {
    Category::ALL.iter().map(|c| c.as_str()).collect()
}

fn offset_of(time_zone: &str) -> Option<i32> {
    match time_zone {
        "Asia/Shanghai" | "Asia/Chongqing" | "Asia/Chungking" | "PRC" | "+08:00" => Some(8 * 3600),
        "UTC" | "Etc/UTC" | "+00:00" => Some(0),
        _ => None,
    }
}

/// The scheduler's view of a catalog channel: id = slug, the channel's frame rate (radio:
/// 25 fps, the cutting grid), day start and UTC offset (China: +08:00, no DST).
///
/// # Errors
/// `Invalid` when the channel's frame rate, day start or time zone cannot be used.
pub fn schedule_channel(c: &CatalogChannel) -> Result<Channel, CatalogError> {
    let bad = |e: schedules::ScheduleError| CatalogError::invalid("channel", format!("{}: {e}", c.slug));
    let kind = if c.kind == CatalogKind::Radio { ChannelKind::Radio } else { ChannelKind::Tv };
    let centre = CentreCode::parse(c.centre.as_str()).map_err(bad)?;
    let mut ch = Channel::new(&c.slug, &c.name, kind, centre).map_err(bad)?;
    ch.rate = c.format.video.map_or(FrameRate::PAL, |v| v.fps);
    let (h, m) = c.day_start.split_once(':').unwrap_or(("x", "x"));
    ch.day_start = match (h.parse(), m.parse()) {
        (Ok(h), Ok(m)) => TimeOfDay::hms(h, m, 0).map_err(bad)?,
        _ => {
            return Err(CatalogError::invalid(
                "channel",
                format!("channel {}: day start {:?} is not HH:MM", c.slug, c.day_start),
            ))
        }
    };
    ch.utc_offset_secs = offset_of(&c.time_zone).ok_or_else(|| {
        CatalogError::invalid(
            "channel",
            format!("channel {}: time zone {:?} is not supported (use Asia/Shanghai)", c.slug, c.time_zone),
        )
    })?;
    Ok(ch)
}

/// Every programme visible to `centre` (its own and the network's) as a scheduling
/// candidate, read in one query of only the columns the generator needs. Programmes without a
/// known duration are left out (nothing could be cut to them); `ready` is the catalog status.
/// The stream layout comes from what ingest stored ([`crate::store::StreamLayout`]): a
/// programme ingested as TV has video and is TV-only (its sound is not made to stand alone on
/// radio), one ingested as radio is sound only; one nothing tells about counts as both.
///
/// # Errors
/// [`CatalogError`] when the catalog cannot be read.
pub async fn candidates(store: &Store, centre: &crate::ids::CentreCode) -> Result<CandidateIndex, CatalogError> {
    let rows = store.schedule_candidates(centre).await?;
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        let (Ok(id), Ok(c)) = (ProgrammeId::parse(&p.id.to_string()), CentreCode::parse(p.centre.as_str())) else {
            continue;
        };
        let (video, radio) = match p.layout {
            StreamLayout::Video => (true, false),
            StreamLayout::Audio => (false, true),
            StreamLayout::Unknown => (true, true),
        };
        out.push(ProgrammeCandidate {
            id,
            title: p.title,
            duration: MediaTime::from_millis(p.duration_ms),
            category: p.category,
            tags: p.tags,
            centre: c,
            shared: p.shared,
            language: p.language,
            series: p.series,
            rights_from: p.rights_from,
            rights_until: p.rights_until,
            ready: p.ready,
            video,
            radio,
        });
    }
    Ok(CandidateIndex::new(out))
}

/// The latest published playlist of every broadcast day that can overlap `[from, until)`.
///
/// # Errors
/// [`CatalogError`] when the catalog cannot be read, or `Corrupt` when a stored day does not decode.
pub async fn published_playlists(
    store: &Store,
    channel: &CatalogChannel,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Playlist>, CatalogError> {
    let first: NaiveDate = (from - Duration::days(1)).date_naive();
    let last: NaiveDate = (until + Duration::days(1)).date_naive();
    let days = store.latest_published_days(channel.id, first, last).await?;
    days.into_iter()
        .map(|d| {
            serde_json::from_value::<PublishedDay>(d.record)
                .map(|p| p.playlist)
                .map_err(|e| CatalogError::Corrupt(format!("published day {} of {}: {e}", d.day, channel.slug)))
        })
        .collect()
}

/// What playout runs for `channel` between `from` and `until`: one on-air playlist per
/// published broadcast day overlapping the window (latest published version), holding the
/// day's items that overlap it — each with its wall-clock start, exact duration and in-point,
/// the house file (`media://KEY?sha256=…`) of its programme (the slate for a programme
/// without one), the relay URI of a live item, the slate for the slate.
///
/// # Errors
/// [`CatalogError`] when the catalog cannot be read, or `Corrupt` when a stored day does not decode or air.
pub async fn published_on_air(
    store: &Store,
    channel: &CatalogChannel,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<schedules::on_air::OnAirPlaylist>, CatalogError> {
    let mut out = Vec::new();
    // Programmes recur through a day: look each one's house file up once per call.
    let mut sources: std::collections::HashMap<String, Option<String>> = std::collections::HashMap::new();
    let relays: Vec<schedules::relay::Relay> =
        store.list_relays(&channel.centre).await?.iter().map(crate::store::LiveRelay::relay).collect();
    for playlist in published_playlists(store, channel, from, until).await? {
        let mut items = Vec::new();
        for (i, mut it) in playlist.playout().into_iter().enumerate() {
            let start = it.start.with_timezone(&Utc);
            if start + it.duration_ns.to_chrono() <= from || start >= until {
                continue;
            }
            let media = match &it.source {
                Source::Programme { id } => match sources.get(id.as_str()) {
                    Some(s) => s.clone(),
                    None => {
                        let s = house_source(store, channel, id).await?;
                        sources.insert(id.as_str().to_string(), s.clone());
                        s
                    }
                },
                Source::Live { uri } => {
                    // Only a relay on the centre's list goes to playout: one removed since the day
                    // was published, or a day published before relays were listed, airs slate.
                    it.source = match schedules::relay::resolve(uri, &relays) {
                        Some(listed) => Source::Live { uri: listed.to_owned() },
                        None => {
                            tracing::warn!(channel = %channel.slug, relay = %uri, "live relay not on the centre's list: slate");
                            Source::Slate
                        }
                    };
                    None
                }
                Source::Slate => None,
            };
            let item = schedules::on_air::Item::scheduled(&it, media.as_deref());
            items.push(schedules::on_air::Item { id: Some(format!("{}/{}/{i}", channel.slug, playlist.date)), ..item });
        }
        if !items.is_empty() {
            let title = format!("{} {}", channel.name, playlist.date);
            let day = schedules::on_air::OnAirPlaylist::new(Some(title), channel.format, None, items).map_err(|e| {
                CatalogError::Corrupt(format!("published day {} of {}: {e}", playlist.date, channel.slug))
            })?;
            out.push(day);
        }
    }
    Ok(out)
}

/// [`published_on_air`] in the playlist JSON of docs/playlist.md, as remote playout nodes
/// read it (`GET /api/channels/{id}/playlists`).
///
/// # Errors
/// As [`published_on_air`].
pub async fn published_playout_json(
    store: &Store,
    channel: &CatalogChannel,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Value>, CatalogError> {
    Ok(published_on_air(store, channel, from, until)
        .await?
        .iter()
        .map(schedules::on_air::OnAirPlaylist::to_json)
        .collect())
}

/// The house file of programme `id` as a `media://` source, when `channel`'s centre may air it
/// (its own programme or one shared with the network); else `None`, and the slate airs.
async fn house_source(
    store: &Store,
    channel: &CatalogChannel,
    id: &ProgrammeId,
) -> Result<Option<String>, CatalogError> {
    let Ok(pid) = crate::ids::ProgrammeId::parse(id.as_str()) else { return Ok(None) };
    let p = match store.get_programme(pid).await {
        Ok(p) => p,
        Err(CatalogError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    if p.centre != channel.centre && p.sharing != crate::programme::Sharing::Network {
        tracing::warn!(channel = %channel.slug, programme = %pid, "programme of another centre not shared: slate");
        return Ok(None);
    }
    let assets = store.list_assets(pid).await?;
    Ok(assets
        .into_iter()
        .find(|a| a.kind == AssetKind::House)
        .map(|a| format!("media://{}?sha256={}", a.key, a.sha256)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_map_or_refuse() {
        assert_eq!(offset_of("Asia/Shanghai"), Some(28_800));
        assert_eq!(offset_of("Europe/Berlin"), None);
    }

    #[test]
    fn the_catalog_categories_are_the_known_ones() {
        let known = known_categories();
        assert!(known.contains(&"涉农") && known.contains(&"台标宣传"));
        assert!(!known.contains(&"已删除"));
    }
}
