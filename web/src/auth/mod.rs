//! Who is calling and what they may do: credentials (password hashes, secrets), the
//! [`principal::Principal`] extractor, the access [`policy`], the login rate limiter, and the
//! operator commands that create accounts and tokens.

pub mod accounts;
pub mod credentials;
pub mod policy;
pub mod principal;
pub mod ratelimit;
