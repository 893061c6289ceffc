//! **Unconfirmed details, in one place.** Every constant and layout of the EBD exchange that
//! rests on public vendor implementations built to the 2018 interim specifications (GD/J 080
//! resource coding, 081 security, 082 message format, 083 platform interface), not on the
//! text of a standard: file names in the package, the multipart part name, element spellings,
//! code values, identifier lengths, the time format, and Kapok's own choices where the
//! sources are silent. When the text of GY/T 383–391 is at hand, check these first; nothing
//! outside this module spells any of them.

/// The multipart/form-data part holding the package.
pub const MULTIPART_PART: &str = "file";

/// `EBDT_<EBDID>.tar`: the package.
pub fn package_name(ebd_id: &str) -> String {
    format!("EBDT_{ebd_id}.tar")
}

/// `EBDB_<EBDID>.xml`: the data file.
pub fn data_name(ebd_id: &str) -> String {
    format!("EBDB_{ebd_id}.xml")
}

/// `EBDS_EBDB_<EBDID>.xml`: the signature file of the data file.
pub fn signature_name(ebd_id: &str) -> String {
    format!("EBDS_EBDB_{ebd_id}.xml")
}

/// The prefix of the data file's name (the EBDID follows, then `.xml`).
pub const DATA_PREFIX: &str = "EBDB_";
/// The prefix of the signature file's name.
pub const SIGNATURE_PREFIX: &str = "EBDS_EBDB_";

/// `EBDVersion` and the signature file's `Version` Kapok writes.
pub const VERSION: &str = "1.0";

/// Digits of a resource code (EBRID): level (1) + area (12) + type and sequence (10).
pub const EBRID_DIGITS: usize = 23;
/// Shortest EBRID accepted from a platform: some deployed platforms use shorter codes
/// (an 18-digit EBRID appears in one vendor's sample heartbeat), so incoming codes are
/// accepted at any length from here up to [`EBRID_DIGITS`]; Kapok's own must be full length.
pub const EBRID_MIN_DIGITS: usize = 12;
/// Digits after the EBRID in an EBDID.
pub const EBDID_SEQUENCE_DIGITS: usize = 16;
/// EBDID prefix of an ordinary package.
pub const EBDID_PREFIX: &str = "10";
/// EBDID prefix of a heartbeat (`ConnectionCheck`).
pub const EBDID_HEARTBEAT_PREFIX: &str = "01";

/// Every time in an EBD: Beijing wall-clock time (UTC+8).
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// `SignatureCert/CertType` Kapok writes (the vendor samples carry `1`).
pub const CERT_TYPE: &str = "1";
/// `DigestAlgorithm` Kapok writes.
pub const DIGEST_ALGORITHM: &str = "SM3";
/// `SignatureAlgorithm` Kapok writes.
pub const SIGNATURE_ALGORITHM: &str = "SM2";
/// `SignatureAlgorithm` values accepted: `SM2` with `DigestAlgorithm` `SM3` (one layout),
/// `SM2-SM3` (the other, with `CertSN` directly under `Signature`), and the OID-style name.
pub const ACCEPTED_SIGNATURE_ALGORITHMS: &[&str] = &["SM2", "SM2-SM3", "SM3withSM2", "SM2withSM3"];

/// The `CertSN` forms under which a certificate's key is trusted: its serial number in
/// hexadecimal, upper and lower case (the vendor samples write 8–16 upper-case hex digits;
/// whether a decimal form is ever used is not known).
pub fn cert_sn_forms(serial_hex: &str) -> Vec<String> {
    let mut forms = vec![serial_hex.to_ascii_uppercase(), serial_hex.to_ascii_lowercase()];
    forms.dedup();
    forms
}

/// `MsgType` of an EBM: broadcast.
pub const MSG_TYPE_BROADCAST: &str = "1";
/// `MsgType` of an EBM: cancel.
pub const MSG_TYPE_CANCEL: &str = "2";

/// `AuxiliaryType` of an MP3 file.
pub const AUXILIARY_MP3: &str = "2";
/// `AuxiliaryType` of a WAV file.
pub const AUXILIARY_WAV: &str = "3";

/// `EBRBSState` state codes.
pub mod rbs_state {
    /// Working (开机/正常).
    pub const ON: u8 = 1;
    /// Off (关机/停止).
    pub const OFF: u8 = 2;
    /// Fault (故障).
    pub const FAULT: u8 = 3;
    /// Recovered from a fault (故障恢复).
    pub const RECOVERED: u8 = 4;
}

/// `OMDRequest/OMDType` asking for the broadcast log.
pub const OMD_BROADCAST_LOG: &str = "EBMBrdLog";

/// `Coverage/ResBrdStat`: four counts `platforms,adapters,transmitters,terminals` actually
/// used (one vendor's comment names them so); Kapok reports its channels as transmitters.
pub fn res_brd_stat(channels: usize) -> String {
    format!("0,0,{channels},0")
}

/// Safety limits of an incoming package (Kapok's choice; no source gives any).
pub mod limits {
    /// Largest package accepted, bytes (an MP3 of several minutes fits).
    pub const MAX_PACKAGE_BYTES: usize = 64 << 20;
    /// Largest single file in a package, bytes.
    pub const MAX_ENTRY_BYTES: u64 = 48 << 20;
    /// Largest XML file (data or signature) in a package, bytes.
    pub const MAX_XML_BYTES: u64 = 1 << 20;
    /// Most entries in one package.
    pub const MAX_ENTRIES: usize = 32;
}
