//! A bridge for the root crate's `tests/common/mod.rs`, which includes this file by path as
//! its `media` module: the helpers now live in `testkit::media` (compiled here from its
//! source, as the root crate has no testkit dependency yet). Goes when the root tests use
//! testkit (issue 15); the ingest tests themselves are `tests/it/`.

#[path = "../../../tests/kit/src/media.rs"]
mod kit;

#[allow(unused_imports)] // a test binary uses some of them, or none
pub use kit::*;
