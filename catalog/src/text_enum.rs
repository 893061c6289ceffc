//! Enums stored and served as fixed strings, parsed once at the edge.

/// Defines an enum whose variants have a stable text form (for SQL columns, JSON and URLs),
/// with `as_str`, `parse` (a clear error listing the allowed values), `ALL`, serde, Display and an
/// OpenAPI schema (a string enum of the same texts).
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable text form.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// # Errors
            /// `Invalid`, naming the allowed values, for any other text.
            pub fn parse(s: &str) -> Result<Self, $crate::error::CatalogError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::error::CatalogError::invalid(
                        $what,
                        format!("{s:?} is not one of: {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::error::CatalogError;
            fn try_from(s: String) -> Result<Self, Self::Error> { Self::parse(&s) }
        }

        impl From<$name> for &'static str {
            fn from(v: $name) -> Self { v.as_str() }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }

        // The OpenAPI schema is the text form, so it lists exactly what `as_str` serves.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

pub(crate) use text_enum;
