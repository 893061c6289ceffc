//! schedules

pub mod emergency;
