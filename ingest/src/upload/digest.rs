//! A SHA-256 that can be stopped and carried on in another request: its state is saved as a
//! short text in the upload's row after every stored segment, so the digest of a file sent in
//! any number of requests is computed once, on the way in, and never by reading it back.
//!
//! The state is SHA-256's own (eight 32-bit words after the last whole 64-byte block, the bytes
//! hashed so far, and the 0–63 bytes of the block not yet full); the block function is `sha2`'s,
//! which uses the CPU's SHA extensions where it has them.

const BLOCK: usize = 64;
const INITIAL: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
/// The text's first field: a saved state of another version is refused, never misread.
const VERSION: &str = "sha256-v1";

/// A running SHA-256 whose state can be saved and restored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningSha256 {
    state: [u32; 8],
    /// Bytes hashed so far, the pending ones included.
    length: u64,
    pending: Vec<u8>,
}

impl Default for RunningSha256 {
    fn default() -> Self {
        Self { state: INITIAL, length: 0, pending: Vec::with_capacity(BLOCK) }
    }
}

impl RunningSha256 {
    /// The bytes hashed so far.
    pub fn length(&self) -> u64 {
        self.length
    }

    /// Hashes `data` after what came before.
    pub fn update(&mut self, mut data: &[u8]) {
        self.length += data.len() as u64;
        if !self.pending.is_empty() {
            let take = (BLOCK - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() < BLOCK {
                return;
            }
            compress(&mut self.state, &self.pending);
            self.pending.clear();
        }
        let whole = data.len() - data.len() % BLOCK;
        compress(&mut self.state, &data[..whole]);
        self.pending.extend_from_slice(&data[whole..]);
    }

    /// The digest of everything hashed, as lowercase hexadecimal.
    pub fn finish(mut self) -> String {
        let bits = self.length.wrapping_mul(8);
        let mut tail = std::mem::take(&mut self.pending);
        tail.push(0x80);
        while tail.len() % BLOCK != BLOCK - 8 {
            tail.push(0);
        }
        tail.extend_from_slice(&bits.to_be_bytes());
        compress(&mut self.state, &tail);
        let bytes: Vec<u8> = self.state.iter().flat_map(|w| w.to_be_bytes()).collect();
        hex::encode(bytes)
    }

    /// The state as a text for the catalog: `sha256-v1:{length}:{state}:{pending}` in hex.
    pub fn save(&self) -> String {
        let words: String = self.state.iter().map(|w| format!("{w:08x}")).collect();
        format!("{VERSION}:{}:{words}:{}", self.length, hex::encode(&self.pending))
    }

    /// A state saved by [`RunningSha256::save`].
    ///
    /// # Errors
    /// Says what is wrong with a text that is not such a state.
    pub fn restore(text: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("not a saved SHA-256 state ({why}): {text:?}");
        let mut fields = text.split(':');
        if fields.next() != Some(VERSION) {
            return Err(bad("unknown version"));
        }
        let length: u64 = fields.next().and_then(|l| l.parse().ok()).ok_or_else(|| bad("length"))?;
        let words = fields.next().and_then(|w| hex::decode(w).ok()).filter(|w| w.len() == 32);
        let words = words.ok_or_else(|| bad("state"))?;
        let pending =
            hex::decode(fields.next().ok_or_else(|| bad("pending bytes"))?).map_err(|_| bad("pending bytes"))?;
        if fields.next().is_some() {
            return Err(bad("extra fields"));
        }
        if pending.len() >= BLOCK || (length % BLOCK as u64) as usize != pending.len() {
            return Err(bad("pending bytes disagree with the length"));
        }
        let mut state = [0u32; 8];
        for (word, bytes) in state.iter_mut().zip(words.chunks_exact(4)) {
            *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        Ok(Self { state, length, pending })
    }
}

/// Runs SHA-256's block function over `blocks` (a whole number of 64-byte blocks).
// sha2 0.10's block function takes generic-array 0.14 blocks, which that crate now marks
// deprecated in favour of 1.x; sha2 0.10 has no other form.
#[allow(deprecated)]
fn compress(state: &mut [u32; 8], blocks: &[u8]) {
    use sha2::digest::generic_array::GenericArray;
    for block in blocks.chunks_exact(BLOCK) {
        sha2::compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
    }
}

#[cfg(test)]
mod tests {
    use sha2::Digest;

    use super::*;

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 131 % 253) as u8).collect()
    }

    #[test]
    fn equals_sha2_over_any_split_and_any_save_and_restore() {
        for n in [0, 1, 55, 56, 63, 64, 65, 119, 128, 1000, 4097] {
            let all = data(n);
            let want = hex::encode(sha2::Sha256::digest(&all));
            assert_eq!(
                {
                    let mut h = RunningSha256::default();
                    h.update(&all);
                    h.finish()
                },
                want,
                "{n} bytes in one piece"
            );
            for cut in [0, 1, 3, 63, 64, 65, 500] {
                let cut = cut.min(n);
                let mut h = RunningSha256::default();
                h.update(&all[..cut]);
                let saved = h.save();
                let mut h = RunningSha256::restore(&saved).unwrap();
                assert_eq!(h.length(), cut as u64);
                for piece in all[cut..].chunks(7) {
                    h.update(piece);
                }
                assert_eq!(h.finish(), want, "{n} bytes cut at {cut}, then in 7-byte pieces");
            }
        }
    }

    #[test]
    fn a_text_that_is_not_a_saved_state_is_refused() {
        let mut h = RunningSha256::default();
        h.update(&data(70));
        let good = h.save();
        assert_eq!(RunningSha256::restore(&good), Ok(h));
        let words = "0".repeat(64);
        for bad in [
            String::new(),
            "sha256-v2:0::".to_string(),
            format!("sha256-v1:x:{words}:"),
            format!("sha256-v1:0:{}:", "0".repeat(63)),
            format!("sha256-v1:0:{}:", "g".repeat(64)),
            format!("sha256-v1:3:{words}:00"),
            format!("sha256-v1:2:{words}:0011:extra"),
            format!("sha256-v1:64:{words}:{}", "00".repeat(64)),
        ] {
            assert!(RunningSha256::restore(&bad).is_err(), "{bad:?}");
        }
    }
}
