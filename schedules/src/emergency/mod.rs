//! Emergency alerts (应急广播): parsing, validation, targeting and insertion policy.
//!
//! Pure logic — no HTTP, no GStreamer, no SQL. Documents arrive as bytes in one of three
//! forms, all mapped to one [`Alert`]:
//!
//! - OASIS CAP 1.2 XML ([`cap`]), with the GB/T 35965.1-2018 profile checks ([`gbt35965`]);
//! - a GY/T 385 emergency broadcast message in its EBD envelope ([`ebm`]);
//! - Kapok's JSON alert form ([`json`]).
//!
//! [`validate_document`] is the entry point of `kapok alert validate` and the API.
//! See `docs/emergency.md` for the standards followed and how sure each mapping is.

pub mod alert;
pub mod area_code;
pub mod authenticate;
mod c14n;
pub mod cap;
pub mod ebd;
pub mod ebm;
mod error;
pub mod feed;
pub mod gbt35965;
pub mod geo;
pub mod json;
pub mod lifecycle;
pub mod policy;
mod reason;
pub mod replay;
pub mod scope;
pub mod signature;
pub mod targeting;
pub mod time;
mod validate;
pub mod vocab;
pub mod xml;
pub mod xmldsig;

pub use alert::{Alert, AlertArea, AlertRef, DedupeKey, DocumentKind, Resource, ResourceDigest};
pub use area_code::AreaCode;
pub use cap::CapAlert;
pub use error::EmergencyError;
pub use reason::{Reason, ReasonCode};
pub use time::AlertTime;
pub use validate::{validate_document, ValidationReport};
pub use xml::MAX_DOCUMENT_BYTES;
