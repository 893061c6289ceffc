//! The emergency-broadcast platform's own exchange (EBD packages): what the upper platform
//! (应急广播平台) sends a broadcast system (播出系统) like Kapok, and what Kapok sends up.
//!
//! - [`package`]: the tar (`EBDT_<EBDID>.tar`) holding the data file, its signature file and
//!   the media files, unpacked safely in memory;
//! - [`envelope`]: the `EBD` envelope, read and written;
//! - [`cert`]: the platform's SM2 X.509 certificates, trusted by serial number;
//! - [`sign`]: SM2/SM3 signature files, with signing behind the [`sign::Signer`] trait;
//! - [`response`]: `EBDResponse` and its result codes;
//! - [`inbound`]: an unpacked, verified package turned into what to do (an [`Alert`] with its
//!   audio, a state request, a log request), each refusal with its result code;
//! - [`inspect`]: what a package holds and what Kapok would answer, for `kapok alert validate`;
//! - [`report`]: the payloads Kapok sends up (heartbeat, information, state, broadcast
//!   state and log);
//! - [`vendor`]: **every detail not confirmed by a standard's text**, in one place.
//!
//! Pure logic — no HTTP, no disk. See `docs/emergency.md` ("EBD exchange").
//!
//! [`Alert`]: crate::emergency::Alert

pub mod cert;
pub mod envelope;
pub mod inbound;
pub mod inspect;
pub mod package;
pub mod report;
pub mod response;
pub mod sign;
pub mod vendor;

pub use envelope::{EbdType, Envelope, Header};
pub use inbound::{Inbound, Request};
pub use package::{Limits, Package};
pub use response::ResultCode;
pub use sign::{Signer, SoftwareSigner};
