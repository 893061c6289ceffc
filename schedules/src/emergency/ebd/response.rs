//! `EBDResponse{ResultCode, ResultDesc}`: the answer to every package received.

use super::envelope::{EbdType, Header};

/// The result of receiving a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// `0`: received, not processed yet.
    Received = 0,
    /// `1`: received and processed.
    Ok = 1,
    /// `2`: cannot be parsed (not a package, not XML, unknown type).
    Unparseable = 2,
    /// `3`: required content is missing.
    Missing = 3,
    /// `4`: the signature does not verify.
    Signature = 4,
    /// `5`: any other failure (the description says which).
    Other = 5,
}

impl ResultCode {
    /// The code as written.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// From the written code.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "0" => Self::Received,
            "1" => Self::Ok,
            "2" => Self::Unparseable,
            "3" => Self::Missing,
            "4" => Self::Signature,
            "5" => Self::Other,
            _ => return None,
        })
    }
}

/// The data file of an `EBDResponse` (`header.related` names the request).
pub fn response(header: &Header, code: ResultCode, desc: &str) -> Vec<u8> {
    header.build(EbdType::EbdResponse, |w| {
        w.leaf("ResultCode", &code.code().to_string()).leaf("ResultDesc", desc);
    })
}
