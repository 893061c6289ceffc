//! The EBD package: a tar of the data file, its signature file and the media files the
//! message names (`EBDT_<EBDID>.tar`, see [`super::vendor`]).
//!
//! Unpacking is done in memory and is deliberately narrow, since the package comes from the
//! network: only plain-file entries (no links, devices, directories, PAX or GNU long-name
//! records), names without any path (a leading `./` aside), no duplicate names, a size limit
//! per entry, per XML file and per package, and a cap on the number of entries. Nothing is
//! ever written to disk here, so no name can reach outside a directory. Packing writes plain
//! POSIX ustar.

use std::collections::BTreeMap;

use super::vendor::{self, limits};

const BLOCK: usize = 512;

/// Why a package was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PackageError(pub String);

fn err(m: impl Into<String>) -> PackageError {
    PackageError(m.into())
}

/// Limits applied while unpacking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest package, bytes.
    pub package: usize,
    /// Largest entry, bytes.
    pub entry: u64,
    /// Largest XML file (data or signature), bytes.
    pub xml: u64,
    /// Most entries.
    pub entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            package: limits::MAX_PACKAGE_BYTES,
            entry: limits::MAX_ENTRY_BYTES,
            xml: limits::MAX_XML_BYTES,
            entries: limits::MAX_ENTRIES,
        }
    }
}

/// An unpacked package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The EBDID taken from the data file's name.
    pub ebd_id: String,
    /// The data file (`EBDB_…xml`), byte for byte.
    pub data: Vec<u8>,
    /// The signature file (`EBDS_EBDB_…xml`), when present.
    pub signature: Option<Vec<u8>>,
    /// Every other file, by name. Only those the message names are ever used.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Package {
    /// Unpacks `bytes` within `limits`.
    ///
    /// # Errors
    /// [`PackageError`] saying what was refused: a bad tar, an entry that is not a plain file,
    /// a name with a path, a size over a limit, no data file or two of them.
    pub fn unpack(bytes: &[u8], limits: Limits) -> Result<Self, PackageError> {
        if bytes.len() > limits.package {
            return Err(err(format!("the package is {} bytes, over the limit of {}", bytes.len(), limits.package)));
        }
        let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut at = 0;
        loop {
            let Some(header) = bytes.get(at..at + BLOCK) else {
                // Some writers leave out the two zero blocks at the end.
                if at == bytes.len() && !entries.is_empty() {
                    break;
                }
                return Err(err("the tar ends inside a header"));
            };
            if header.iter().all(|&b| b == 0) {
                break;
            }
            let (name, size) = entry_header(header, &limits)?;
            if entries.len() == limits.entries {
                return Err(err(format!("the package holds more than {} files", limits.entries)));
            }
            if entries.contains_key(&name) {
                return Err(err(format!("{name:?} appears twice in the package")));
            }
            let start = at + BLOCK;
            let data = usize::try_from(size)
                .ok()
                .and_then(|n| bytes.get(start..start.checked_add(n)?))
                .ok_or_else(|| err(format!("the tar ends inside {name:?}")))?;
            entries.insert(name, data.to_vec());
            at = start + data.len().div_ceil(BLOCK) * BLOCK;
        }
        let data_names: Vec<String> =
            entries.keys().filter(|n| n.starts_with(vendor::DATA_PREFIX) && n.ends_with(".xml")).cloned().collect();
        let [data_name] = data_names.as_slice() else {
            return Err(err(format!(
                "the package must hold exactly one data file {}<EBDID>.xml; it holds {}",
                vendor::DATA_PREFIX,
                data_names.len()
            )));
        };
        let ebd_id = data_name[vendor::DATA_PREFIX.len()..data_name.len() - 4].to_string();
        let data = entries.remove(data_name).unwrap_or_default();
        let signature = entries.remove(&vendor::signature_name(&ebd_id));
        for (name, content) in &entries {
            if name.ends_with(".xml") && content.len() as u64 > limits.xml {
                return Err(err(format!("{name:?} is over the XML limit of {} bytes", limits.xml)));
            }
        }
        if data.len() as u64 > limits.xml || signature.as_ref().is_some_and(|s| s.len() as u64 > limits.xml) {
            return Err(err(format!("an XML file is over the limit of {} bytes", limits.xml)));
        }
        Ok(Self { ebd_id, data, signature, files: entries })
    }

    /// Packs a data file, its signature and further files as a ustar archive.
    pub fn pack(ebd_id: &str, data: &[u8], signature: &[u8], files: &[(&str, &[u8])], mtime: i64) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + signature.len() + 4 * BLOCK);
        let data_name = vendor::data_name(ebd_id);
        let sig_name = vendor::signature_name(ebd_id);
        let all = [(data_name.as_str(), data), (sig_name.as_str(), signature)];
        for (name, content) in all.iter().copied().chain(files.iter().copied()) {
            out.extend_from_slice(&header(name, content.len() as u64, mtime));
            out.extend_from_slice(content);
            out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
        }
        out.resize(out.len() + 2 * BLOCK, 0);
        out
    }
}

/// Checks one header; returns the entry's plain name and size.
fn entry_header(h: &[u8], limits: &Limits) -> Result<(String, u64), PackageError> {
    let stored = octal(&h[148..156]).ok_or_else(|| err("a tar header has no checksum"))?;
    let sum: u64 = h.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u64::from(b) }).sum();
    if sum != stored {
        return Err(err("a tar header's checksum does not match (not a tar, or damaged)"));
    }
    let raw_name = until_nul(&h[0..100]);
    let name = std::str::from_utf8(raw_name).map_err(|_| err("a file name in the package is not UTF-8"))?;
    let kind = h[156];
    if kind != b'0' && kind != 0 {
        let what = match kind {
            b'1' | b'2' => "a link",
            b'5' => "a directory",
            b'x' | b'g' => "a PAX extended header",
            b'L' | b'K' => "a GNU long name",
            _ => "not a plain file",
        };
        return Err(err(format!("{name:?} is {what}; a package holds plain files only")));
    }
    let posix = &h[257..263] == b"ustar\0";
    if posix && h[345..500].iter().any(|&b| b != 0) {
        return Err(err(format!("{name:?} has a path prefix; file names in a package carry no path")));
    }
    let plain = name.strip_prefix("./").unwrap_or(name);
    if plain.is_empty() || plain == "." || plain == ".." || plain.contains(['/', '\\', '\0']) || plain.contains(':') {
        return Err(err(format!("{name:?} is not a plain file name; file names in a package carry no path")));
    }
    let size = if h[124] & 0x80 != 0 {
        u64::MAX // base-256: far over any limit
    } else {
        octal(&h[124..136]).ok_or_else(|| err(format!("{plain:?} has no size")))?
    };
    if size > limits.entry {
        return Err(err(format!("{plain:?} is {size} bytes, over the limit of {} per file", limits.entry)));
    }
    Ok((plain.to_string(), size))
}

fn until_nul(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |n| &b[..n])
}

fn octal(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(until_nul(field)).ok()?.trim();
    if text.is_empty() {
        return None;
    }
    u64::from_str_radix(text, 8).ok()
}

fn header(name: &str, size: u64, mtime: i64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name.as_bytes()[..n]);
    put_octal(&mut h[100..108], 0o644);
    put_octal(&mut h[108..116], 0);
    put_octal(&mut h[116..124], 0);
    put_octal(&mut h[124..136], size);
    put_octal(&mut h[136..148], u64::try_from(mtime).unwrap_or(0));
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    put_octal(&mut h[148..155], sum);
    h
}

/// Writes `value` as zero-padded octal filling all but the last byte of `field` (a NUL).
fn put_octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    field[..width].copy_from_slice(&text.as_bytes()[text.len() - width..]);
    field[width] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str, kind: u8, size_field: u64, body: &[u8]) -> Vec<u8> {
        let mut h = header(name, size_field, 0);
        h[156] = kind;
        h[148..156].fill(b' ');
        let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
        put_octal(&mut h[148..155], sum);
        let mut out = h.to_vec();
        out.extend_from_slice(body);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
        out
    }

    #[test]
    fn packs_and_unpacks_the_three_parts() {
        let id = "1012345678901234567890123".to_string() + "0000000000000001";
        let tar = Package::pack(&id, b"<EBD/>", b"<Signature/>", &[("a.mp3", b"ID3..")], 1_700_000_000);
        let p = Package::unpack(&tar, Limits::default()).unwrap();
        assert_eq!(p.ebd_id, id);
        assert_eq!(p.data, b"<EBD/>");
        assert_eq!(p.signature.as_deref(), Some(&b"<Signature/>"[..]));
        assert_eq!(p.files.get("a.mp3").map(Vec::as_slice), Some(&b"ID3.."[..]));
    }

    #[test]
    fn refuses_paths_links_and_oversized_entries() {
        let mut t = raw("../evil.xml", b'0', 1, b"x");
        t.extend(raw("EBDB_1.xml", b'0', 6, b"<EBD/>"));
        let e = Package::unpack(&t, Limits::default()).unwrap_err();
        assert!(e.0.contains("no path"), "{e}");
        let t = raw("link", b'2', 0, b"");
        assert!(Package::unpack(&t, Limits::default()).unwrap_err().0.contains("link"));
        // A header claiming 1 GiB is refused from the header alone.
        let t = raw("EBDB_1.xml", b'0', 1 << 30, b"<EBD/>");
        assert!(Package::unpack(&t, Limits::default()).unwrap_err().0.contains("over the limit"));
        let mut t = raw("EBDB_1.xml", b'0', 6, b"<EBD/>");
        t[0] ^= 1;
        assert!(Package::unpack(&t, Limits::default()).unwrap_err().0.contains("checksum"));
    }

    #[test]
    fn refuses_a_package_without_exactly_one_data_file() {
        let t = raw("other.xml", b'0', 1, b"x");
        assert!(Package::unpack(&t, Limits::default()).unwrap_err().0.contains("exactly one data file"));
        let mut t = raw("EBDB_1.xml", b'0', 1, b"x");
        t.extend(raw("EBDB_1.xml", b'0', 1, b"x"));
        assert!(Package::unpack(&t, Limits::default()).unwrap_err().0.contains("twice"));
    }
}
