//! catalog
pub mod media;
