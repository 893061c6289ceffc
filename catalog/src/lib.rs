//! Kapok's catalog: the domain types every other crate shares (centres, users, programmes,
//! assets, channels, jobs, the audit log), the SQL store over SQLite and PostgreSQL, the
//! job queue and the media store (local directory or S3). No HTTP and no media processing here.

mod text_enum;

pub mod alert;
pub mod asrun;
pub mod asset;
pub mod audit;
pub mod centre;
pub mod channel;
pub mod error;
pub mod ids;
pub mod job;
pub mod media;
pub mod programme;
pub mod schedule;
pub mod scheduling;
pub mod search;
pub mod store;
pub mod user;

#[cfg(feature = "test-support")]
pub mod testing;

pub use error::{CatalogError, Result};
pub use store::{Backend, ProgrammeChanges, Store};
