//! The API's handlers, one module a resource. Every route is registered in [`crate::app`].

pub mod alerts;
pub mod assets;
pub mod audit;
pub mod centres;
pub mod channels;
pub mod ebd;
pub mod health;
pub mod jobs;
pub mod metrics;
pub mod playout;
pub mod programmes;
pub mod relays;
pub mod reports;
pub mod schedules;
pub mod sessions;
pub mod uploads;
pub mod users;
