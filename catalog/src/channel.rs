//! Radio and TV channels owned by centres.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CentreCode, ChannelId, ProgrammeId};
use crate::text_enum::text_enum;

text_enum!(
    /// Television or radio.
    ChannelKind, "channel kind" {
        Tv = "tv",
        Radio = "radio",
    }
);

/// A channel's output format and its audio codec: one definition for the catalog, the
/// scheduler and playout (`schedules::format`); stored and served as
/// `{width?, height?, fps?, sample_rate, channels, audio_codec?}` (radio: no picture fields).
pub use schedules::format::{AudioCodec, ChannelFormat};
pub use schedules::service::ServiceIds;

/// A channel as the catalog holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Channel {
    pub id: ChannelId,
    pub centre: CentreCode,
    /// Short stable name used in URLs and paths, e.g. `pzh-tv1`.
    pub slug: String,
    pub name: String,
    pub kind: ChannelKind,
    pub format: ChannelFormat,
    /// Local time at which the broadcast day starts, `HH:MM`.
    pub day_start: String,
    pub time_zone: String,
    pub retired_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Programmes (of the channel's centre, or shared with the network) aired in rotation
    /// instead of the slate when the schedule cannot air (media missing, a live source gone,
    /// nothing scheduled).
    pub fillers: Vec<ProgrammeId>,
    /// A text crawl across the bottom of the picture (TV), e.g. a weather ticker.
    pub crawl: Option<String>,
    /// The station logo burnt into every frame (TV).
    pub logo: Option<ChannelLogo>,
    /// How the channel's service is numbered in its MPEG-TS (service id, transport stream
    /// id, original network id, PIDs); the defaults unless set.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub service: ServiceIds,
}

text_enum!(
    /// Which corner of the picture a logo sits in.
    LogoCorner, "logo corner" {
        TopLeft = "top-left",
        TopRight = "top-right",
        BottomLeft = "bottom-left",
        BottomRight = "bottom-right",
    }
);

/// A channel's logo: a PNG file on the playout machine (the `kapok serve` host, or a remote
/// playout node, which must hold the same path), placed at a corner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelLogo {
    /// Absolute path of the PNG (with alpha if wanted).
    pub path: String,
    #[serde(default = "default_corner")]
    pub corner: LogoCorner,
    /// Pixels from both edges of the corner, 0–500.
    #[serde(default = "default_margin")]
    pub margin: u32,
    /// 0 (invisible) to 100 (opaque).
    #[serde(default = "default_opacity")]
    pub opacity_percent: u8,
}

fn default_corner() -> LogoCorner {
    LogoCorner::TopRight
}

fn default_margin() -> u32 {
    24
}

fn default_opacity() -> u8 {
    100
}

/// The most filler programmes a channel may list.
pub const MAX_FILLERS: usize = 50;
/// The longest text crawl, in characters.
pub const MAX_CRAWL_CHARS: usize = 500;

/// A crawl text as stored: trimmed; an empty text means no crawl.
///
/// # Errors
/// `Invalid` for a text longer than [`MAX_CRAWL_CHARS`] or holding control characters
/// (line breaks included: the crawl is one line).
pub fn check_crawl(text: &str) -> crate::Result<Option<String>> {
    let text = text.trim();
    if text.chars().count() > MAX_CRAWL_CHARS {
        return Err(crate::CatalogError::invalid("crawl", format!("at most {MAX_CRAWL_CHARS} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(crate::CatalogError::invalid("crawl", "one line without control characters"));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

impl ChannelLogo {
    /// # Errors
    /// `Invalid` for a path that is not an absolute `.png` path of at most 1000 characters
    /// without control characters, a margin over 500 or an opacity over 100. Whether the file
    /// exists is checked where the channel goes on air (its machine may be another).
    pub fn check(&self) -> crate::Result<()> {
        let p = &self.path;
        let ok = p.starts_with('/')
            && p.to_ascii_lowercase().ends_with(".png")
            && p.chars().count() <= 1000
            && !p.chars().any(char::is_control)
            && !p.split('/').any(|part| part == "..");
        if !ok {
            return Err(crate::CatalogError::invalid("logo.path", "an absolute path of a .png file, without .."));
        }
        if self.margin > 500 {
            return Err(crate::CatalogError::invalid("logo.margin", "0 to 500 pixels"));
        }
        if self.opacity_percent > 100 {
            return Err(crate::CatalogError::invalid("logo.opacity_percent", "0 to 100"));
        }
        Ok(())
    }
}

/// What is needed to create a channel.
#[derive(Debug, Clone, Deserialize)]
pub struct NewChannel {
    pub centre: CentreCode,
    pub slug: String,
    pub name: String,
    pub kind: ChannelKind,
    pub format: ChannelFormat,
    #[serde(default = "default_day_start")]
    pub day_start: String,
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
}

fn default_day_start() -> String {
    "06:00".into()
}

fn default_time_zone() -> String {
    "Asia/Shanghai".into()
}

impl NewChannel {
    /// # Errors
    /// `Invalid` for a slug that is not lower-case ASCII letters, digits and `-`, or a bad day start.
    pub fn check(&self) -> crate::Result<()> {
        let ok_slug = !self.slug.is_empty()
            && self.slug.len() <= 40
            && self.slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok_slug {
            return Err(crate::CatalogError::invalid("slug", "use 1-40 characters of a-z, 0-9 and -"));
        }
        if chrono::NaiveTime::parse_from_str(&self.day_start, "%H:%M").is_err() {
            return Err(crate::CatalogError::invalid("day_start", "must be HH:MM"));
        }
        if self.name.trim().is_empty() {
            return Err(crate::CatalogError::invalid("name", "must not be empty"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audio_codec_is_optional_and_named() {
        let json: ChannelFormat = serde_json::from_str(r#"{"sample_rate":48000,"channels":2}"#).unwrap();
        assert_eq!(json.audio_codec, AudioCodec::Aac);
        let mp2: ChannelFormat = serde_json::from_str(
            r#"{"width":1920,"height":1080,"fps":"25/1","sample_rate":48000,"channels":2,"audio_codec":"mp2"}"#,
        )
        .unwrap();
        assert_eq!(mp2.audio_codec, AudioCodec::Mp2);
        let bad = r#"{"sample_rate":48000,"channels":2,"audio_codec":"ac3"}"#;
        assert!(serde_json::from_str::<ChannelFormat>(bad).is_err());
    }

    #[test]
    fn crawls_are_one_bounded_line_and_empty_clears() {
        assert_eq!(check_crawl("  明日晴 22–31°C ").unwrap().as_deref(), Some("明日晴 22–31°C"));
        assert_eq!(check_crawl("   ").unwrap(), None);
        assert!(check_crawl(&"雨".repeat(MAX_CRAWL_CHARS)).is_ok());
        assert!(check_crawl(&"雨".repeat(MAX_CRAWL_CHARS + 1)).is_err());
        assert!(check_crawl("line one\nline two").is_err());
        assert!(check_crawl("bell\u{7}").is_err());
    }

    #[test]
    fn logos_need_an_absolute_png_path_and_sane_placement() {
        let logo = ChannelLogo {
            path: "/srv/kapok/logo.png".into(),
            corner: LogoCorner::TopRight,
            margin: 24,
            opacity_percent: 80,
        };
        assert!(logo.check().is_ok());
        for bad in [
            ChannelLogo { path: "logo.png".into(), ..logo.clone() },
            ChannelLogo { path: "/srv/logo.jpg".into(), ..logo.clone() },
            ChannelLogo { path: "/srv/../etc/x.png".into(), ..logo.clone() },
            ChannelLogo { path: "/srv/a\nb.png".into(), ..logo.clone() },
            ChannelLogo { margin: 501, ..logo.clone() },
            ChannelLogo { opacity_percent: 101, ..logo.clone() },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        let parsed: ChannelLogo = serde_json::from_str(r#"{"path":"/l.png"}"#).unwrap();
        assert_eq!((parsed.corner, parsed.margin, parsed.opacity_percent), (LogoCorner::TopRight, 24, 100));
        assert!(serde_json::from_str::<ChannelLogo>(r#"{"path":"/l.png","corner":"middle"}"#).is_err());
    }
}
