//! Name-based UUIDs (RFC 4122 version 5) for the OSCAL document.
//!
//! OSCAL accepts only version 4 (random) and version 5 (SHA-1 name-based) UUIDs, and the
//! bundle must be deterministic, so every identifier is a version 5 UUID of a stable
//! name. Version 5 is defined over SHA-1; SHA-1 is written here (FIPS 180-4) rather
//! than taken as a dependency for this one use. It only names things: nothing relies on
//! its collision resistance, and every file is pinned by SHA-256.

/// A UUID as its 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Uuid([u8; 16]);

impl Uuid {
    /// RFC 4122's namespace for URLs (`6ba7b811-9dad-11d1-80b4-00c04fd430c8`).
    pub(crate) const URL_NAMESPACE: Uuid = Uuid([
        0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
        0xc8,
    ]);

    /// The version 5 UUID of `name` in `namespace` (RFC 4122 §4.3).
    pub(crate) fn v5(namespace: Uuid, name: &str) -> Uuid {
        let mut input = namespace.0.to_vec();
        input.extend_from_slice(name.as_bytes());
        let digest = sha1(&input);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        bytes[6] = (bytes[6] & 0x0f) | 0x50;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Uuid(bytes)
    }
}

impl std::fmt::Display for Uuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// SHA-1 (FIPS 180-4 §6.1) of `data`.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut state: [u32; 5] = [
        0x6745_2301,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];
    let bit_length = (data.len() as u64).wrapping_mul(8);
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_length.to_be_bytes());

    for block in message.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = state;
        for (i, word) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5a82_7999),
                20..=39 => (b ^ c ^ d, 0x6ed9_eba1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc),
                _ => (b ^ c ^ d, 0xca62_c1d6),
            };
            let next = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = next;
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d, e]) {
            *s = s.wrapping_add(v);
        }
    }

    let mut digest = [0u8; 20];
    for (chunk, word) in digest.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

#[cfg(test)]
mod tests {
    use super::{Uuid, sha1};
    use crate::util::hex;

    #[test]
    fn sha1_matches_the_fips_180_test_vectors() {
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        // Many blocks.
        assert_eq!(
            hex(&sha1(&[b'a'; 1_000_000])),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn sha1_handles_every_padding_boundary() {
        // 55 bytes fit one block with the padding, 56 need a second, 64 fill one.
        for (n, expected) in [
            (55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"),
            (56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"),
            (64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"),
        ] {
            assert_eq!(hex(&sha1(&vec![b'a'; n])), expected, "length {n}");
        }
    }

    #[test]
    fn v5_matches_the_reference_implementations() {
        // Python: uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/changeproof/changeproof")
        // and uuid.uuid5(uuid.NAMESPACE_DNS, "python.org").
        let dns = Uuid([
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4,
            0x30, 0xc8,
        ]);
        assert_eq!(
            Uuid::v5(dns, "python.org").to_string(),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d"
        );
        assert_eq!(
            Uuid::URL_NAMESPACE.to_string(),
            "6ba7b811-9dad-11d1-80b4-00c04fd430c8"
        );
        let url = Uuid::v5(
            Uuid::URL_NAMESPACE,
            "https://github.com/changeproof/changeproof",
        );
        assert_eq!(url.to_string(), "1bf5aed2-b6d8-56dc-a9f9-f661ab7a07dc");
    }
}
