//! Identity newtypes. A value that exists is valid: parse at the edge, trust inside.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::CatalogError;

/// A GB/T 2260 administrative area code of a centre of the network (six digits, e.g. `510421`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CentreCode(String);

impl CentreCode {
    /// The city centre (攀枝花市), whose area covers the whole network.
    pub const CITY: &'static str = "510400";

    /// # Errors
    /// `Invalid` unless the text is exactly six ASCII digits.
    pub fn parse(s: &str) -> Result<Self, CatalogError> {
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_string()))
        } else {
            Err(CatalogError::invalid("centre code", format!("{s:?} is not a six-digit GB/T 2260 code")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for the city-level centre, whose users act for the whole network.
    pub fn is_city(&self) -> bool {
        self.0 == Self::CITY
    }
}

impl TryFrom<String> for CentreCode {
    type Error = CatalogError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CentreCode> for String {
    fn from(c: CentreCode) -> Self {
        c.0
    }
}

/// OpenAPI: six digits, as [`CentreCode::parse`] accepts.
impl utoipa::PartialSchema for CentreCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9]{6}$"))
            .examples([Self::CITY])
            .into()
    }
}

impl utoipa::ToSchema for CentreCode {}

impl fmt::Display for CentreCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! uuid_id {
    ($(#[$m:meta])* $name:ident, $what:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new, time-ordered (UUIDv7) identifier.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            /// # Errors
            /// `Invalid` unless the text is a UUID.
            pub fn parse(s: &str) -> Result<Self, CatalogError> {
                uuid::Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| CatalogError::invalid($what, format!("{s:?} is not a valid id")))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(/// A programme in the catalog.
    ProgrammeId, "programme id");
uuid_id!(/// A stored media object belonging to a programme.
    AssetId, "asset id");
uuid_id!(/// A user account.
    UserId, "user id");
uuid_id!(/// An API token.
    TokenId, "token id");
uuid_id!(/// A resumable upload in progress.
    UploadId, "upload id");
uuid_id!(/// A radio or TV channel.
    ChannelId, "channel id");
uuid_id!(/// A queued unit of work.
    JobId, "job id");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_code_accepts_six_digits_only() {
        assert!(CentreCode::parse("510421").is_ok());
        for bad in ["", "51042", "5104211", "51042a", "５１０４２１", "510421\n"] {
            assert!(CentreCode::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn ids_round_trip_through_text() {
        let id = ProgrammeId::new();
        assert_eq!(ProgrammeId::parse(&id.to_string()).ok(), Some(id));
        assert!(ProgrammeId::parse("../etc/passwd").is_err());
    }
}
