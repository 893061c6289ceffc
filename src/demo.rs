//! The first-run demo: on an empty catalog, `kapok serve` creates a TV and a radio channel for
//! the city centre with a few programmes it generates locally (FFmpeg test patterns and tones,
//! already in the house format, so no ingest wait), so a newcomer sees both on air at once,
//! and gives each a template, so a scheduler can generate a day from it at once.
//! No internet and no downloaded media.

use std::path::{Path, PathBuf};

use catalog::asset::AssetKind;
use catalog::audit::Actor;
use catalog::channel::{Channel, ChannelFormat, ChannelKind, NewChannel};
use catalog::ids::CentreCode;
use catalog::media::{layout, MediaStore};
use catalog::programme::{Category, NewProgramme, Programme, ProgrammeProgress, ProgrammeStatus, Sharing};
use catalog::{CatalogError, Store};

/// A demo channel and the programmes it cycles through.
#[derive(Debug, Clone)]
pub struct DemoChannel {
    pub channel: Channel,
    pub programmes: Vec<DemoProgramme>,
}

/// A demo programme with what playout needs of its house file.
#[derive(Debug, Clone)]
pub struct DemoProgramme {
    pub programme: Programme,
    pub key: String,
    pub sha256: String,
    pub seconds: f64,
}

/// What could stop the demo from being made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Media(#[from] catalog::media::MediaError),
    #[error("generating demo media: {0}")]
    Generate(String),
}

const CLIP_SECONDS: u32 = 30;

struct Spec {
    title: &'static str,
    /// The producing centre, when not the city's: the county programmes the city channel
    /// airs count for their county in the reports (the 1+5 question).
    centre: Option<&'static str>,
    category: Category,
    pattern: &'static str,
    tone_hz: u32,
}

const TV: &[Spec] = &[
    Spec {
        title: "攀枝花芒果种植技术（演示）",
        centre: None,
        category: Category::Agriculture,
        pattern: "testsrc2",
        tone_hz: 440,
    },
    Spec {
        title: "米易县新闻（演示）",
        centre: Some("510421"),
        category: Category::News,
        pattern: "smptehdbars",
        tone_hz: 1000,
    },
    Spec {
        title: "盐边县防汛应急科普（演示）",
        centre: Some("510422"),
        category: Category::EmergencyScience,
        pattern: "rgbtestsrc",
        tone_hz: 660,
    },
    Spec {
        title: "仁和区文化之旅（演示）",
        centre: Some("510411"),
        category: Category::Culture,
        pattern: "testsrc",
        tone_hz: 523,
    },
    Spec {
        title: "攀枝花电视台台标宣传（演示）",
        centre: None,
        category: Category::Ident,
        pattern: "smptebars",
        tone_hz: 880,
    },
];

const RADIO: &[Spec] = &[
    Spec {
        title: "农业科技广播（演示）", centre: None, category: Category::Agriculture, pattern: "", tone_hz: 392
    },
    Spec {
        title: "攀枝花新闻联播（演示）", centre: None, category: Category::News, pattern: "", tone_hz: 587
    },
    Spec { title: "音乐时间（演示）", centre: None, category: Category::Music, pattern: "", tone_hz: 784 },
    Spec {
        title: "公益广告·防火（演示）", centre: None, category: Category::PublicService, pattern: "", tone_hz: 330
    },
];

/// A block of a demo template: start, length, label, categories (empty: all of the channel's).
type DemoBlock = (&'static str, &'static str, &'static str, &'static [&'static str]);

/// The first-run template of a demo channel: its day in blocks of the categories its demo
/// programmes have (only its own, by their tag: the other channel's clips are of the other
/// medium), rotated with no separation (a handful of 30 s clips fill the day), and its
/// filler category (an ident on TV, a public-service spot on radio), so 从模板生成
/// works at once on a fresh server.
fn template_for(slug: &str, kind: ChannelKind) -> serde_json::Value {
    let (all, filler, blocks): (&[&str], &str, &[DemoBlock]) = if kind == ChannelKind::Tv {
        (
            &["涉农", "新闻", "应急科普", "文化"],
            "台标宣传",
            &[
                ("06:00", "03:00", "早间涉农", &["涉农", "新闻"]),
                ("09:00", "03:00", "新闻与应急科普", &["新闻", "应急科普", "涉农"]),
                ("12:00", "06:00", "午后文化", &["文化", "涉农", "应急科普"]),
                ("18:00", "01:00", "本地涉农", &["涉农", "文化"]),
                ("19:00", "03:00", "晚间新闻", &["新闻", "文化", "应急科普"]),
                ("22:00", "08:00", "夜间", &[]),
            ],
        )
    } else {
        (
            &["涉农", "新闻", "音乐"],
            "公益",
            &[
                ("06:00", "03:00", "早间涉农", &["涉农", "新闻"]),
                ("09:00", "09:00", "日间新闻与音乐", &["新闻", "音乐", "涉农"]),
                ("18:00", "04:00", "晚间涉农与音乐", &["涉农", "音乐"]),
                ("22:00", "08:00", "夜间", &[]),
            ],
        )
    };
    let blocks: Vec<serde_json::Value> = blocks
        .iter()
        .map(|(start, length, label, cats)| {
            let cats = if cats.is_empty() { all } else { cats };
            serde_json::json!({
                "start": start, "length": length, "type": "category", "label": label,
                "filter": { "categories": cats, "tags_any": [slug] },
                "programme_separation_hours": 0, "series_separation_hours": 0
            })
        })
        .collect();
    serde_json::json!({
        "name": "演示频道日模板",
        "week": { "default": { "blocks": blocks } },
        "fillers": { "categories": [filler], "max_per_block": "00:05:00" }
    })
}

/// Creates the demo channels and programmes when the catalog has no channels yet; returns
/// `None` on any later start (the demo is made once).
///
/// # Errors
/// When FFmpeg, the catalog or the media store fails.
pub async fn seed_if_empty(
    store: &Store,
    media: &MediaStore,
    work: &Path,
) -> Result<Option<Vec<DemoChannel>>, DemoError> {
    if !store.list_channels(true).await?.is_empty() {
        return Ok(None);
    }
    tokio::fs::create_dir_all(work).await.map_err(|e| DemoError::Generate(e.to_string()))?;
    let actor = Actor::system("demo");
    let city = CentreCode::parse(CentreCode::CITY)?;
    let tv_format = ChannelFormat {
        video: Some(schedules::VideoFormat { width: 1280, height: 720, fps: schedules::FrameRate::PAL }),
        ..ChannelFormat::radio()
    };
    let mut out = Vec::new();
    for (slug, name, kind, format, specs) in [
        ("pzh-demo-tv", "攀枝花电视台·演示频道", ChannelKind::Tv, tv_format, TV),
        ("pzh-demo-radio", "攀枝花人民广播电台·演示频率", ChannelKind::Radio, ChannelFormat::radio(), RADIO),
    ] {
        let mut programmes = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let file = work.join(format!("{slug}-{i}.{}", if kind == ChannelKind::Tv { "mp4" } else { "m4a" }));
            generate(&file, kind, spec).await?;
            let producer = match spec.centre {
                Some(c) => CentreCode::parse(c)?,
                None => city.clone(),
            };
            let mut new = NewProgramme::new(producer, spec.title, spec.category);
            new.sharing = Sharing::Network;
            new.tags = vec!["演示".into(), slug.to_string()];
            new.description = "木棉首次运行时在本机生成的演示节目".into();
            let p = store.create_programme(&actor, &new, ProgrammeStatus::Processing).await?;
            let key = layout::programme_house(p.id)?;
            let reader = tokio::fs::File::open(&file).await.map_err(|e| DemoError::Generate(e.to_string()))?;
            let put = media.put_stream(&key, reader).await?;
            store.add_asset(p.id, AssetKind::House, key.as_str(), &put.sha256, put.size as i64).await?;
            // What the clip carries, as ingest would record it: a radio clip is sound only.
            store.set_house_kind(p.id, if kind == ChannelKind::Tv { "tv" } else { "radio" }).await?;
            let duration = f64::from(CLIP_SECONDS);
            let progress =
                ProgrammeProgress { duration_ms: Some(i64::from(CLIP_SECONDS) * 1000), ..Default::default() };
            let p = store.set_programme_status(&actor, p.id, ProgrammeStatus::Ready, &progress).await?;
            let _ = tokio::fs::remove_file(&file).await;
            programmes.push(DemoProgramme {
                programme: p,
                key: key.as_str().to_string(),
                sha256: put.sha256,
                seconds: duration,
            });
        }
        // The channel is recorded last: an interrupted first run leaves no half-made channel.
        let channel = store
            .create_channel(
                &actor,
                &NewChannel {
                    centre: city.clone(),
                    slug: slug.into(),
                    name: name.into(),
                    kind,
                    format,
                    day_start: "06:00".into(),
                    time_zone: "Asia/Shanghai".into(),
                },
            )
            .await?;
        store.put_schedule_template(&actor, channel.id, &template_for(slug, kind)).await?;
        out.push(DemoChannel { channel, programmes });
    }
    Ok(Some(out))
}

/// The demo channels made on an earlier first run, with their programmes (found by the tag
/// that names their channel), so a restarted server puts them back on air.
///
/// # Errors
/// When the catalog fails.
pub async fn load(store: &Store) -> Result<Vec<DemoChannel>, DemoError> {
    let mut out = Vec::new();
    for channel in store.list_channels(false).await?.into_iter().filter(|c| c.slug.starts_with("pzh-demo-")) {
        let filter =
            catalog::store::ProgrammeFilter { status: Some(ProgrammeStatus::Ready), limit: 500, ..Default::default() };
        let mut programmes = Vec::new();
        for p in store.list_programmes(&filter).await?.into_iter().filter(|p| p.tags.contains(&channel.slug)) {
            let house = store.list_assets(p.id).await?.into_iter().find(|a| a.kind == AssetKind::House);
            if let Some(a) = house {
                let seconds = p.duration_ms.unwrap_or(0) as f64 / 1000.0;
                programmes.push(DemoProgramme { programme: p, key: a.key, sha256: a.sha256, seconds });
            }
        }
        out.push(DemoChannel { channel, programmes });
    }
    Ok(out)
}

/// One clip in the house format of its kind: a test pattern and a tone, or a tone alone.
async fn generate(file: &PathBuf, kind: ChannelKind, spec: &Spec) -> Result<(), DemoError> {
    let mut cmd = tokio::process::Command::new("ffmpeg");
    cmd.kill_on_drop(true).args(["-v", "error", "-y", "-nostdin"]);
    if kind == ChannelKind::Tv {
        cmd.args(["-f", "lavfi", "-i"]).arg(format!("{}=size=1280x720:rate=25:duration={CLIP_SECONDS}", spec.pattern));
    }
    cmd.args(["-f", "lavfi", "-i"])
        .arg(format!("sine=frequency={}:sample_rate=48000:duration={CLIP_SECONDS},volume=-18dB", spec.tone_hz));
    if kind == ChannelKind::Tv {
        cmd.args(["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50"]);
    }
    cmd.args(["-c:a", "aac", "-b:a", "128k", "-ac", "2", "-shortest", "-movflags", "+faststart"]).arg(file);
    let status = cmd.status().await.map_err(|e| DemoError::Generate(format!("ffmpeg: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(DemoError::Generate(format!("ffmpeg failed ({status}) for {}", file.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each demo template is clean against the categories of its own demo clips, covers the
    /// whole day and names its filler category, which a demo clip has.
    #[test]
    fn demo_templates_use_only_what_the_demo_catalog_has() {
        for (slug, kind, specs) in [("pzh-demo-tv", ChannelKind::Tv, TV), ("pzh-demo-radio", ChannelKind::Radio, RADIO)]
        {
            let t: schedules::Template = serde_json::from_value(template_for(slug, kind)).unwrap();
            let known: Vec<&str> = specs.iter().map(|s| s.category.as_str()).collect();
            let sk = if kind == ChannelKind::Tv { schedules::ChannelKind::Tv } else { schedules::ChannelKind::Radio };
            let ch = schedules::Channel::new(slug, slug, sk, schedules::CentreCode::parse("510400").unwrap()).unwrap();
            assert_eq!(schedules::check_template(&t, &ch, &known), vec![], "{slug}");
            let covered: u32 = t.week.default.blocks.iter().map(|b| b.length.millis()).sum();
            assert_eq!(covered, 86_400_000, "{slug} covers 24 h");
            assert!(t.fillers.categories.iter().all(|c| known.contains(&c.as_str())), "{slug}");
        }
    }
}
