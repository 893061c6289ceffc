//! The six media centres of the 1+5 network.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ids::CentreCode;

/// A media centre: the city centre or one of the five county/district centres.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Centre {
    pub code: CentreCode,
    /// The centre's name, e.g. 米易县融媒体中心.
    pub name: String,
    /// The administrative area it serves, e.g. 米易县.
    pub area_name: String,
    pub created_at: DateTime<Utc>,
}
