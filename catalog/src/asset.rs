//! Stored media objects of a programme: source, house file, proxy, pictures.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ids::{AssetId, ProgrammeId};
use crate::text_enum::text_enum;

text_enum!(
    /// What an asset is for.
    AssetKind, "asset kind" {
        Source = "source",
        House = "house",
        Proxy = "proxy",
        Poster = "poster",
        Thumbnail = "thumbnail",
    }
);

/// One object in the media store, recorded with its checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Asset {
    pub id: AssetId,
    pub programme_id: ProgrammeId,
    pub kind: AssetKind,
    /// The media-store key (see docs/storage.md for the layout).
    pub key: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub created_at: DateTime<Utc>,
}
