//! The channels this server plays out in-process (`kapok serve`): one [`ChannelRunner`] per
//! channel, its HLS preview written under `<data>/hls/<slug>/` (served at `/hls/<slug>/`), media
//! fetched from the media store into a local cache, as-run written beside it.
//!
//! A channel plays the days published for it in the catalog; where nothing is published for
//! the window, its demo cycle (its programmes back to back from the start of the broadcast
//! day, repeated), so a fresh install is on air before anyone has scheduled anything.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use catalog::channel::ChannelKind;
use catalog::media::{Key, MediaStore};
use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, Utc};
use playout::asrun::AsRunRecord;
use playout::cache::{FetchError, Fetcher, MediaCache};
use playout::channel::{AsRunSink, ChannelConfig, ChannelRunner, PlaylistSource, SourceError};
use playout::playlist::{Item, Source};
use playout::timeline::{ChannelFormat, MediaTime};
use playout::{OnAirPlaylist, OutputTarget};

use schedules::emergency::targeting::{ChannelCoverage, ChannelId, ChannelKind as CoverageKind};
use schedules::emergency::AreaCode;

use crate::demo::DemoChannel;
use playout::cache::SourceMedia;

/// Reads objects from the media store for the playout cache (called on cache threads, which
/// the async runtime does not own, so blocking on it is allowed).
struct StoreFetcher {
    media: MediaStore,
    runtime: tokio::runtime::Handle,
}

impl Fetcher for StoreFetcher {
    fn fetch(&self, key: &str, dest: &mut dyn Write) -> Result<(), FetchError> {
        use futures::StreamExt;
        let key = Key::parse(key).map_err(|e| FetchError::Other(e.to_string()))?;
        self.runtime.block_on(async {
            let mut stream = self.media.get(&key).await.map_err(|e| FetchError::Other(e.to_string()))?.into_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| FetchError::Other(e.to_string()))?;
                dest.write_all(&chunk)?;
            }
            Ok(())
        })
    }
}

/// As-run into the catalog (called on the runner's as-run thread, never the engine's).
struct CatalogAsRun {
    store: catalog::Store,
    runtime: tokio::runtime::Handle,
    /// Wall clock of the channel's timeline zero, known once the runner has started.
    epoch: Arc<std::sync::OnceLock<DateTime<Utc>>>,
}

impl AsRunSink for CatalogAsRun {
    fn record(&self, channel: &str, r: &AsRunRecord) {
        let at = |secs: f64| {
            self.epoch.get().map(|e| *e + ChronoDuration::milliseconds((secs * 1000.0) as i64)).unwrap_or_else(Utc::now)
        };
        let wall = |s: &Option<String>| {
            s.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc))
        };
        let entry = catalog::asrun::AsRunEntry {
            id: 0,
            channel: channel.to_string(),
            item_id: r.id.clone(),
            title: r.title.clone(),
            source: r.source.clone(),
            scheduled_start: wall(&r.scheduled_wall).or(Some(at(r.scheduled_start_s))),
            actual_start: wall(&r.actual_wall).unwrap_or_else(|| at(r.actual_start_s)),
            duration_ms: (r.actual_duration_s * 1000.0).round() as i64,
            outcome: serde_json::to_value(r.outcome)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            reason: r.reason.clone(),
            detail: serde_json::to_value(r).unwrap_or_default(),
        };
        if let Err(e) = self.runtime.block_on(self.store.record_as_run(&entry)) {
            tracing::warn!(%channel, error = %e, "as-run not recorded");
        }
    }

    fn started(&self, channel: &str, record: &AsRunRecord) {
        self.record(channel, record);
    }
}

/// A channel's demo cycle as a playlist source.
struct CycleSource {
    format: ChannelFormat,
    /// The channel's programmes, each aired whole.
    items: Vec<Item>,
    /// The start of the broadcast day the cycle first began in.
    epoch: DateTime<FixedOffset>,
}

impl CycleSource {
    fn cycle_seconds(&self) -> f64 {
        self.items.iter().map(|i| i.duration.as_secs_f64()).sum()
    }
}

impl PlaylistSource for CycleSource {
    fn published(
        &self,
        _channel: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<OnAirPlaylist>, SourceError> {
        let cycle = self.cycle_seconds();
        if self.items.is_empty() || cycle <= 0.0 {
            return Ok(Vec::new());
        }
        // Start at the beginning of the cycle that contains `from`, end after `until`.
        let since = (from - self.epoch.with_timezone(&Utc)).num_milliseconds() as f64 / 1000.0;
        let first_cycle = (since / cycle).floor().max(0.0);
        let start = self.epoch + ChronoDuration::milliseconds((first_cycle * cycle * 1000.0) as i64);
        let span = (until - start.with_timezone(&Utc)).num_seconds().max(0) as f64;
        let cycles = (span / cycle).ceil().max(1.0) as usize;
        let items = (0..cycles).flat_map(|_| self.items.iter().cloned()).collect();
        Ok(vec![OnAirPlaylist::new(None, self.format, Some(start), items)?])
    }
}

/// What a catalog channel airs besides its schedule (its fillers, crawl and logo, migration
/// 0008), in playout's terms.
#[derive(Clone, Default)]
pub struct ChannelExtras {
    /// The filler programmes' house files as `media://` items, in the channel's order
    /// (a programme without a house file is left out, logged).
    pub fillers: Vec<playout::playlist::Item>,
    pub crawl: Option<String>,
    /// The logo, when the channel is TV and its PNG exists on this machine (else logged).
    pub logo: Option<playout::Logo>,
}

impl ChannelExtras {
    /// The fillers' media, for the cache.
    pub fn media(&self) -> Vec<playout::cache::MediaRef> {
        self.fillers.iter().filter_map(|i| i.source.media()).collect()
    }

    /// Puts them into a channel's playout configuration.
    pub fn apply(&self, config: &mut ChannelConfig) {
        config.fillers.clone_from(&self.fillers);
        config.crawl.clone_from(&self.crawl);
        config.logo.clone_from(&self.logo);
    }
}

/// The fillers, crawl and logo of `channel` as its playout engine needs them.
///
/// # Errors
/// When the catalog cannot be read.
pub async fn extras_of(
    store: &catalog::Store,
    channel: &catalog::channel::Channel,
) -> Result<ChannelExtras, catalog::CatalogError> {
    let mut sources = Vec::new();
    for id in &channel.fillers {
        let house = store.list_assets(*id).await?.into_iter().find(|a| a.kind == catalog::asset::AssetKind::House);
        match house {
            Some(a) => sources.push(format!("media://{}?sha256={}", a.key, a.sha256)),
            None => tracing::warn!(channel = %channel.slug, programme = %id, "filler has no house file: left out"),
        }
    }
    let fillers = filler_items(channel, &sources).unwrap_or_else(|e| {
        tracing::warn!(channel = %channel.slug, error = %e, "fillers not usable");
        Vec::new()
    });
    Ok(ChannelExtras { fillers, crawl: channel.crawl.clone(), logo: logo_of(channel) })
}

/// Filler sources (paths, URIs, `media://…`) as playlist items of `channel`'s format, each
/// aired to its end.
///
/// # Errors
/// A message naming the source the playlist format refuses.
pub(crate) fn filler_items(
    channel: &catalog::channel::Channel,
    sources: &[String],
) -> Result<Vec<playout::playlist::Item>, String> {
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let items = sources.iter().map(|f| Item::new(Source::from_text(f.trim()), MediaTime::from_secs(86_400))).collect();
    OnAirPlaylist::new(None, channel.format, None, items).map(|p| p.items).map_err(|e| e.to_string())
}

/// The channel's logo for playout: TV only, and only when its PNG exists here.
pub(crate) fn logo_of(channel: &catalog::channel::Channel) -> Option<playout::Logo> {
    use catalog::channel::LogoCorner as C;
    let l = channel.logo.as_ref().filter(|_| channel.kind == ChannelKind::Tv)?;
    let corner = match l.corner {
        C::TopLeft => playout::LogoCorner::TopLeft,
        C::TopRight => playout::LogoCorner::TopRight,
        C::BottomLeft => playout::LogoCorner::BottomLeft,
        C::BottomRight => playout::LogoCorner::BottomRight,
    };
    match playout::Logo::new(&l.path, corner, l.margin, f64::from(l.opacity_percent) / 100.0) {
        Ok(logo) => Some(logo),
        Err(e) => {
            tracing::warn!(channel = %channel.slug, error = %e, "logo not drawn");
            None
        }
    }
}

/// The service information of `channel` in its TS: its name, its centre's name (`provider`,
/// e.g. 米易县融媒体中心), TV or radio, and its ids and PIDs (docs/service-information.md).
pub fn service_of(channel: &catalog::channel::Channel, provider: &str) -> playout::si::ServiceInfo {
    playout::si::ServiceInfo {
        ids: channel.service,
        name: channel.name.clone(),
        provider: provider.to_owned(),
        radio: channel.kind == ChannelKind::Radio,
    }
}

/// [`service_of`] `channel` with its centre's name from the catalog (its area code when the
/// centre cannot be read, logged).
pub async fn service_info(store: &catalog::Store, channel: &catalog::channel::Channel) -> playout::si::ServiceInfo {
    let provider = match store.get_centre(&channel.centre).await {
        Ok(c) => c.name,
        Err(e) => {
            tracing::warn!(channel = %channel.slug, error = %e, "centre not read: the SDT names its area code");
            channel.centre.to_string()
        }
    };
    service_of(channel, &provider)
}

/// What a channel plays: the days published for it in the catalog (issue 6's publishing), or
/// its demo cycle where nothing is published for the window asked. Each poll also re-reads
/// the channel, so fillers and crawl edited while it is on air apply after the item on air.
struct CatalogSource {
    store: catalog::Store,
    channel: catalog::channel::Channel,
    runtime: tokio::runtime::Handle,
    fallback: CycleSource,
    /// The runner, once started.
    handle: Arc<std::sync::OnceLock<playout::channel::ChannelHandle>>,
    /// The fillers and crawl the runner has.
    applied: std::sync::Mutex<(Vec<catalog::ids::ProgrammeId>, Option<String>)>,
}

impl CatalogSource {
    /// Hands changed fillers or crawl to the runner.
    fn reload_extras(&self) {
        let Some(handle) = self.handle.get() else { return };
        let Ok(now) = self.runtime.block_on(self.store.get_channel(self.channel.id)) else { return };
        let Ok(mut applied) = self.applied.lock() else { return };
        if applied.0 == now.fillers && applied.1 == now.crawl {
            return;
        }
        match self.runtime.block_on(extras_of(&self.store, &now)) {
            Ok(extras) => {
                tracing::info!(channel = %now.slug, fillers = extras.fillers.len(), crawl = extras.crawl.is_some(),
                    "fillers and crawl changed: applied after the item on air");
                handle.set_fillers_and_crawl(extras.fillers, extras.crawl);
                *applied = (now.fillers, now.crawl);
            }
            Err(e) => tracing::warn!(channel = %now.slug, error = %e, "channel extras not reloaded"),
        }
    }
}

impl PlaylistSource for CatalogSource {
    fn published(
        &self,
        name: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<OnAirPlaylist>, SourceError> {
        self.reload_extras();
        let days = self
            .runtime
            .block_on(catalog::scheduling::published_on_air(&self.store, &self.channel, from, until))
            .map_err(|e| SourceError::Unavailable(e.to_string()))?;
        if days.is_empty() {
            return self.fallback.published(name, from, until);
        }
        Ok(days)
    }

    /// The published days' programmes and live relays with their categories (fillers and
    /// the slate are not listed, as in the XMLTV guide); the demo cycle's titles where
    /// nothing is published.
    fn guide(
        &self,
        name: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<playout::si::GuideEvent>, SourceError> {
        use schedules::ItemKind;
        let days = self
            .runtime
            .block_on(catalog::scheduling::published_playlists(&self.store, &self.channel, from, until))
            .map_err(|e| SourceError::Unavailable(e.to_string()))?;
        let mut guide = Vec::new();
        for day in &days {
            let clock = day.clock();
            for it in day.items.iter().filter(|i| matches!(i.kind, ItemKind::Programme | ItemKind::Live)) {
                let (start, end) =
                    (clock.instant(it.start).with_timezone(&Utc), clock.instant(it.end()).with_timezone(&Utc));
                if end > from && start < until {
                    let category = Some(it.category.clone()).filter(|c| !c.is_empty());
                    guide.push(playout::si::GuideEvent { start, end, title: it.title.clone(), category });
                }
            }
        }
        if days.is_empty() {
            return self.fallback.guide(name, from, until);
        }
        Ok(guide)
    }
}

/// The channels on air in this process.
pub struct OnAir {
    runners: Vec<(String, ChannelRunner)>,
}

impl OnAir {
    /// Puts the demo channels on air with HLS previews under `data/hls/<slug>`, and each on the
    /// `outputs` given for its slug (`channel_outputs`). Blocks while
    /// media is prefetched: call it on a blocking thread (`spawn_blocking`) of the runtime.
    ///
    /// # Errors
    /// A message when a channel's output cannot be built or its cache opened.
    pub fn start_demo(
        data: &Path,
        store: &catalog::Store,
        media: &MediaStore,
        channels: &[DemoChannel],
        desk: &crate::desk::EmergencyDesk,
        outputs: &[(String, OutputTarget)],
    ) -> Result<Self, String> {
        let runtime = tokio::runtime::Handle::current();
        let fetcher: Arc<dyn Fetcher> = Arc::new(StoreFetcher { media: media.clone(), runtime: runtime.clone() });
        let cache =
            MediaCache::open(data.join("cache"), 20 * 1024 * 1024 * 1024, fetcher).map_err(|e| e.to_string())?;
        let cache = Arc::new(cache);
        // Fetch what the channels will air (and their fillers) before they start, so the
        // first item is not slate.
        let mut extras = Vec::new();
        for demo in channels {
            // The channel as stored now: edits since the demo was made count.
            let channel = runtime.block_on(store.get_channel(demo.channel.id)).unwrap_or_else(|_| demo.channel.clone());
            let e = runtime.block_on(extras_of(store, &channel)).map_err(|e| e.to_string())?;
            extras.push((channel, e));
        }
        let refs: Vec<playout::cache::MediaRef> = channels
            .iter()
            .flat_map(|c| c.programmes.iter())
            .filter_map(|d| playout::cache::MediaRef::new(&d.key, &d.sha256).ok())
            .chain(extras.iter().flat_map(|(_, e)| e.media()))
            .collect();
        let report = cache.prefetch(&refs);
        tracing::info!(
            fetched = report.fetched,
            present = report.present,
            failed = report.failed.len(),
            "media prefetched"
        );
        for (slug, target) in outputs {
            if !channels.iter().any(|c| c.channel.slug == *slug) {
                tracing::warn!(channel = %slug, ?target, "channel_outputs: no such channel on air here");
            }
        }
        let mut runners = Vec::new();
        for (demo, (stored, extras)) in channels.iter().zip(extras) {
            let slug = demo.channel.slug.clone();
            let hls = hls_dir(data, &slug);
            let _ = std::fs::remove_dir_all(&hls);
            std::fs::create_dir_all(&hls).map_err(|e| format!("{}: {e}", hls.display()))?;
            let format = demo.channel.format;
            let items = demo
                .programmes
                .iter()
                .map(|d| {
                    let uri = format!("media://{}?sha256={}", d.key, d.sha256);
                    let duration = MediaTime::from_secs_f64(d.seconds).unwrap_or(MediaTime::ZERO);
                    let item = Item::new(Source::Uri(uri), duration);
                    Item { title: Some(d.programme.title.clone()), id: Some(d.programme.id.to_string()), ..item }
                })
                .collect();
            // The cycle starts at the channel's own day start, in its own time zone.
            let day = catalog::scheduling::schedule_channel(&demo.channel)
                .map_err(|e| format!("{slug}: {e}"))?
                .day_at(Utc::now());
            let handle = Arc::new(std::sync::OnceLock::new());
            let source = Arc::new(CatalogSource {
                store: store.clone(),
                channel: demo.channel.clone(),
                runtime: runtime.clone(),
                fallback: CycleSource { format, items, epoch: day.start },
                handle: handle.clone(),
                applied: std::sync::Mutex::new((stored.fillers.clone(), stored.crawl.clone())),
            });
            let epoch = Arc::new(std::sync::OnceLock::new());
            let sink = Arc::new(CatalogAsRun { store: store.clone(), runtime: runtime.clone(), epoch: epoch.clone() });
            let mut targets = vec![OutputTarget::Hls(hls)];
            targets.extend(outputs.iter().filter(|(s, _)| *s == slug).map(|(_, t)| t.clone()));
            let mut config = ChannelConfig::new(slug.clone(), format, targets);
            config.service = Some(runtime.block_on(service_info(store, &stored)));
            config.cache = Some(cache.clone());
            config.window = std::time::Duration::from_secs(3 * 3600);
            extras.apply(&mut config);
            let playout_format = config.format;
            let runner = ChannelRunner::start(config, source, sink).map_err(|e| format!("{slug}: {e}"))?;
            let _ = epoch.set(runner.handle().epoch());
            let _ = handle.set(runner.handle());
            desk.add_channel(crate::desk::DeskChannel {
                coverage: ChannelCoverage {
                    id: ChannelId(slug.clone()),
                    kind: match demo.channel.kind {
                        ChannelKind::Tv => CoverageKind::Tv,
                        ChannelKind::Radio => CoverageKind::Radio,
                    },
                    area_codes: AreaCode::parse(demo.channel.centre.as_str()).into_iter().collect(),
                    allows_drills: true,
                    polygon: None,
                },
                format: playout_format,
                engine: runner.handle().engine().clone(),
                resume: playout::ResumePolicy::ResumeItem,
            });
            tracing::info!(channel = %slug, preview = %format!("/hls/{slug}/index.m3u8"), "on air");
            runners.push((slug, runner));
        }
        Ok(Self { runners })
    }

    /// Each channel's slug and controls.
    pub fn handles(&self) -> Vec<(String, playout::channel::ChannelHandle)> {
        self.runners.iter().map(|(slug, r)| (slug.clone(), r.handle())).collect()
    }

    /// Stops every channel (their outputs finish cleanly).
    pub fn stop(self) {
        for (slug, runner) in self.runners {
            if let Err(e) = runner.stop() {
                tracing::warn!(channel = %slug, error = %e, "channel did not stop cleanly");
            }
        }
    }
}

/// Where a channel's HLS preview is written.
pub fn hls_dir(data: &Path, slug: &str) -> PathBuf {
    data.join("hls").join(slug)
}
