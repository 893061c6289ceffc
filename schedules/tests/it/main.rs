//! The schedules crate's integration tests, one binary: day plans and XMLTV, the week
//! scenario, and emergency alerts (CAP and GB/T 35965 EBM) parsed, validated, authenticated
//! and targeted from the fixtures in `tests/fixtures/alerts` (signed by an independent tool),
//! and the CAP 1.2 corpus in `tests/fixtures/cap_corpus`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod csv_day;
mod emergency_authenticate;
mod emergency_cap_corpus;
mod emergency_lifecycle;
mod emergency_signature;
mod emergency_targeting;
mod emergency_validate;
mod emergency_xmldsig;
mod fixtures;
mod never_silent;
mod week_scenario;
mod xmltv_validates;
