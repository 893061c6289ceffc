//! Radio and TV channels owned by centres.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CentreCode, ChannelId};
use crate::text_enum::text_enum;

text_enum!(
    /// Television or radio.
    ChannelKind, "channel kind" {
        Tv = "tv",
        Radio = "radio",
    }
);

/// A channel's output format. Radio channels carry no video fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChannelFormat {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Frame rate as a rational, e.g. `25/1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<String>,
    pub sample_rate: u32,
    pub channels: u32,
}

impl ChannelFormat {
    /// 1920x1080@25, 48 kHz stereo.
    pub fn tv_hd() -> Self {
        Self { width: Some(1920), height: Some(1080), fps: Some("25/1".into()), sample_rate: 48_000, channels: 2 }
    }
    /// 48 kHz stereo, no video.
    pub fn radio() -> Self {
        Self { width: None, height: None, fps: None, sample_rate: 48_000, channels: 2 }
    }
}

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
