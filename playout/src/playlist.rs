//! The on-air playlist the engine runs: the contract of `docs/playlist.md`, defined in
//! [`schedules::on_air`] (beside the published day it is made from, so that the HTTP layer
//! serves it without linking the engine) and used here under this name.

pub use schedules::on_air::*;
