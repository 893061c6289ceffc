//! DVB text (ETSI EN 300 468 Annex A) for Chinese names and titles.
//!
//! Kapok sends GB2312 (first byte 0x13, "Chinese Character Table GB 2312-1980") wherever the
//! text fits it: it is what set-top boxes sold for Chinese cable and DTMB networks decode
//! (their firmware carries a GB2312 font and code table; UTF-8, 0x15, came to EN 300 468 in
//! v1.9 and many deployed boxes show it as garbage). Text GB2312 cannot hold (a rare character
//! of a place or person name, an emoji) is sent as UTF-8 (0x15) instead, whole, so nothing is
//! lost. Plain ASCII needs no prefix (the default table's printable ASCII range is the same).
//!
//! GB2312 characters are taken from GBK's table (encoding_rs), whose mapping of a few
//! punctuation marks differs from the GB2312 tables of iconv and Python: the 间隔号 of a name
//! like 电台·频率 (U+00B7) is 0xA1A4, which GBK and WHATWG read back as U+00B7 and iconv (so
//! ffprobe) and Python's `gb2312` codec as U+30FB (・). The byte pair is GB2312's 间隔号 either
//! way, and a box shows the same dot.

/// How a text was encoded (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The default table (plain ASCII here).
    Default,
    /// 0x13 + GB2312 (EUC-CN bytes).
    Gb2312,
    /// 0x15 + UTF-8.
    Utf8,
}

/// `text` as DVB text bytes, at most `max` bytes (cut at a character boundary), and the
/// encoding chosen.
pub fn encode(text: &str, max: usize) -> (Vec<u8>, Encoding) {
    if text.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        return (text.as_bytes()[..text.len().min(max)].to_vec(), Encoding::Default);
    }
    match gb2312(text) {
        Some(chars) => (with_prefix(0x13, &chars, max), Encoding::Gb2312),
        None => {
            let chars: Vec<Vec<u8>> = text.chars().map(|c| c.to_string().into_bytes()).collect();
            (with_prefix(0x15, &chars, max), Encoding::Utf8)
        }
    }
}

/// Each character's GB2312 bytes, or `None` when one is outside GB2312. encoding_rs encodes
/// GBK, a superset: a GB2312 character is one byte below 0x80 or two bytes in 0xA1–0xFE.
fn gb2312(text: &str) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for c in text.chars() {
        if c.is_control() {
            return None;
        }
        let s = c.to_string();
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(&s);
        let ok = !unmappable
            && match bytes.as_ref() {
                [b] => *b < 0x80,
                [a, b] => (0xA1..=0xF7).contains(a) && (0xA1..=0xFE).contains(b),
                _ => false,
            };
        if !ok {
            return None;
        }
        out.push(bytes.into_owned());
    }
    Some(out)
}

fn with_prefix(prefix: u8, chars: &[Vec<u8>], max: usize) -> Vec<u8> {
    let mut out = vec![prefix];
    for c in chars {
        if out.len() + c.len() > max {
            break;
        }
        out.extend_from_slice(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_goes_as_gb2312_ascii_plain_and_what_gb2312_lacks_as_utf8() {
        let (b, e) = encode("米易县融媒体中心", 255);
        assert_eq!(e, Encoding::Gb2312);
        // 米 is C3D7 in GB2312.
        assert_eq!(&b[..3], &[0x13, 0xC3, 0xD7]);
        assert_eq!(b.len(), 1 + 2 * 8);
        assert_eq!(encode("CCTV", 255), (b"CCTV".to_vec(), Encoding::Default));
        // 堃 is in GBK but not GB2312; an emoji in neither.
        assert_eq!(encode("李堃", 255).1, Encoding::Utf8);
        assert_eq!(encode("新闻😀", 255).0[0], 0x15);
    }

    #[test]
    fn long_text_is_cut_at_a_character_boundary() {
        let (b, _) = encode("攀枝花市融媒体中心", 6);
        assert_eq!(b.len(), 5, "prefix and two characters");
        let (u, _) = encode("李堃李堃", 7);
        assert_eq!(u.len(), 7, "prefix and two 3-byte characters");
    }
}
