//! Sections into 188-byte TS packets: each section starts a packet (pointer_field 0), runs on
//! in as many packets as it needs, and the last is filled with 0xFF stuffing (ISO/IEC
//! 13818-1 2.4.4.2). Continuity counters are kept per PID by the caller.

/// A TS packet.
pub type Packet = [u8; 188];

/// `section` on `pid` as packets, `cc` the PID's continuity counter (advanced per packet).
pub fn packetize(pid: u16, section: &[u8], cc: &mut u8) -> Vec<Packet> {
    let mut out = Vec::new();
    let mut rest = section;
    let mut first = true;
    while first || !rest.is_empty() {
        let mut p = [0xFFu8; 188];
        p[0] = 0x47;
        p[1] = if first { 0x40 } else { 0 } | ((pid >> 8) as u8 & 0x1F);
        p[2] = pid as u8;
        p[3] = 0x10 | (*cc & 0x0F); // payload only
        *cc = (*cc + 1) & 0x0F;
        let mut at = 4;
        if first {
            p[4] = 0; // pointer_field
            at = 5;
        }
        let n = rest.len().min(188 - at);
        p[at..at + n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
        first = false;
        out.push(p);
    }
    out
}

/// The PID of a TS packet.
pub fn pid(packet: &[u8]) -> u16 {
    (u16::from(packet[1] & 0x1F) << 8) | u16::from(packet[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_section_spans_packets_with_counters_running_on() {
        let section = vec![0xAB; 400];
        let mut cc = 15;
        let p = packetize(0x12, &section, &mut cc);
        assert_eq!(p.len(), 3, "183 + 184 + 33 bytes");
        assert_eq!((p[0][1] & 0x40, p[1][1] & 0x40), (0x40, 0));
        assert_eq!([p[0][3] & 15, p[1][3] & 15, p[2][3] & 15], [15, 0, 1]);
        assert_eq!(pid(&p[2]), 0x12);
        assert_eq!(cc, 2);
        assert_eq!(p[2][4 + 33], 0xFF);
    }
}
