//! The catalog's one error type.

/// What can go wrong in the catalog. Backend errors are mapped here, at the boundary, so that
/// callers match on meaning (`NotFound`, `Conflict`) rather than on a driver's codes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// A value failed to parse into a domain type; the message says which and why.
    #[error("invalid {what}: {message}")]
    Invalid { what: &'static str, message: String },
    /// The object does not exist (or is not visible).
    #[error("{what} not found: {id}")]
    NotFound { what: &'static str, id: String },
    /// A uniqueness or version constraint refused the change.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database URL is malformed or names an unsupported backend.
    #[error("database URL {url:?}: {message}")]
    Config { url: String, message: String },
    /// The database failed or could not be reached.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored JSON column did not decode.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl CatalogError {
    pub(crate) fn invalid(what: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { what, message: message.into() }
    }

    pub(crate) fn not_found(what: &'static str, id: impl ToString) -> Self {
        Self::NotFound { what, id: id.to_string() }
    }
}

impl From<sqlx::Error> for CatalogError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                let name = db.constraint().unwrap_or("unique constraint").to_string();
                return Self::Conflict(format!("{name} already exists"));
            }
            if db.is_foreign_key_violation() {
                return Self::Invalid {
                    what: "reference",
                    message: format!("refers to something that does not exist ({})", db.message()),
                };
            }
        }
        if matches!(e, sqlx::Error::RowNotFound) {
            return Self::NotFound { what: "row", id: String::new() };
        }
        Self::Database(e)
    }
}

/// Result alias for the catalog.
pub type Result<T, E = CatalogError> = std::result::Result<T, E>;
