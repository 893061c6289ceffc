//! The CRC-32 of MPEG-2 sections (ISO/IEC 13818-1 Annex B): polynomial 0x04C11DB7, initial
//! value 0xFFFFFFFF, no reflection, no final XOR. A section with its CRC appended checks to 0.

const fn table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000_0000 != 0 { (c << 1) ^ 0x04C1_1DB7 } else { c << 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static TABLE: [u32; 256] = table();

/// The CRC-32/MPEG-2 of `data`.
pub fn crc32_mpeg2(data: &[u8]) -> u32 {
    data.iter().fold(0xFFFF_FFFF, |crc, b| (crc << 8) ^ TABLE[(((crc >> 24) as u8) ^ b) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_check_value_and_checks_to_zero_with_itself_appended() {
        // The catalogued check value of CRC-32/MPEG-2 over "123456789".
        assert_eq!(crc32_mpeg2(b"123456789"), 0x0376_E6E7);
        let mut data = b"kapok".to_vec();
        data.extend_from_slice(&crc32_mpeg2(b"kapok").to_be_bytes());
        assert_eq!(crc32_mpeg2(&data), 0);
    }
}
