//! Kapok's shared test fixtures, written once for every crate's integration tests:
//! generated clips ([`media`]), frame-colour probes ([`frames`]), a tone detector ([`tone`]),
//! free loopback ports ([`net`]), a throwaway PostgreSQL cluster ([`postgres`]) and one a test
//! can stop and start ([`pg_cluster`]), an S3-compatible server ([`s3`]) and a TCP forwarder a
//! fault test can cut ([`proxy`]).
//!
//! A dev-dependency only. It runs the `ffmpeg`/`ffprobe` tools instead of linking their
//! libraries and knows no Kapok types, so it builds fast and any crate can use it (the
//! catalog's `test-support` harnesses compile [`postgres`] and [`s3`] from these files).
//! Helpers panic with the tool's output on failure: a panic is the test's failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod frames;
pub mod media;
pub mod net;
pub mod pg_cluster;
pub mod postgres;
pub mod proxy;
pub mod s3;
pub mod tone;
