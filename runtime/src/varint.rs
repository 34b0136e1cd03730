//! LEB128 varints and zigzag, shared by Protobuf and Thrift compact.
//!
//! Decoding accepts up to 10 bytes; an 11th continuation byte, or a 10th byte
//! carrying bits beyond 64, is rejected with [`DecodeErrorKind::InvalidVarint`].
//! Non-minimal encodings within 10 bytes (e.g. `[0x80, 0x00]` for 0) are
//! accepted, as the Protobuf specification requires.

use bytes::{Buf, Bytes};

use crate::error::{DecodeError, DecodeErrorKind};

/// Number of bytes `value` occupies as a varint (1..=10).
#[inline]
pub const fn encoded_len_varint(value: u64) -> usize {
    // Each 7 bits of significant data take one byte; 0 takes one byte.
    ((((value | 1).leading_zeros() ^ 63) * 9 + 73) / 64) as usize
}

/// Encodes `value` into a stack buffer, returning the buffer and the length used.
#[inline]
pub fn encode_varint_array(mut value: u64) -> ([u8; 10], usize) {
    let mut out = [0u8; 10];
    let mut i = 0;
    while value >= 0x80 {
        out[i] = (value as u8) | 0x80;
        value >>= 7;
        i += 1;
    }
    out[i] = value as u8;
    (out, i + 1)
}

/// Zigzag-encodes a signed 32-bit integer (`-1 -> 1`, `1 -> 2`, ...).
#[inline]
pub const fn encode_zigzag32(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

/// Inverse of [`encode_zigzag32`].
#[inline]
pub const fn decode_zigzag32(v: u32) -> i32 {
    ((v >> 1) as i32) ^ (-((v & 1) as i32))
}

/// Zigzag-encodes a signed 64-bit integer.
#[inline]
pub const fn encode_zigzag64(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Inverse of [`encode_zigzag64`].
#[inline]
pub const fn decode_zigzag64(v: u64) -> i64 {
    ((v >> 1) as i64) ^ (-((v & 1) as i64))
}

/// Decodes a varint from the start of `bytes`, returning `(value, bytes_used)`.
///
/// Takes a branch-light unrolled path when at least 10 bytes are available.
#[inline(always)]
pub fn decode_varint_slice(bytes: &[u8]) -> Result<(u64, usize), DecodeError> {
    match bytes.first() {
        Some(&b) if b < 0x80 => Ok((u64::from(b), 1)),
        _ => decode_varint_multi(bytes),
    }
}

// Out of line: the one-byte case above is inlined everywhere, the rest is one call.
#[inline(never)]
fn decode_varint_multi(bytes: &[u8]) -> Result<(u64, usize), DecodeError> {
    if bytes.len() >= 10 {
        let arr: &[u8; 10] = bytes[..10].try_into().unwrap();
        decode_varint_10(arr)
    } else if bytes.is_empty() {
        Err(DecodeError::truncated())
    } else {
        decode_varint_short(bytes)
    }
}

/// Decodes a varint from 10 available bytes without a loop: one 8-byte load, the first byte
/// whose continuation bit is clear found by `trailing_zeros`, and the 7-bit groups packed
/// together in three mask-and-shift steps (the same instructions for any length up to 8
/// bytes; a byte-at-a-time loop costs ~9 instructions per byte).
#[inline(always)]
fn decode_varint_10(b: &[u8; 10]) -> Result<(u64, usize), DecodeError> {
    // Two bytes (lengths up to 16 KiB, most multi-byte values) before the general path.
    if b[1] < 0x80 {
        return Ok((u64::from(b[0] & 0x7f) | (u64::from(b[1]) << 7), 2));
    }
    let lo = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    // The high bit of every byte that ends the varint.
    let stops = !lo & 0x8080_8080_8080_8080;
    if stops == 0 {
        return decode_varint_9_10(b, lo);
    }
    // Bits up to and including the first stop bit: the varint's bytes.
    let len = (stops.trailing_zeros() as usize + 1) / 8;
    let x = lo & (stops ^ (stops - 1)) & 0x7f7f_7f7f_7f7f_7f7f;
    Ok((pack_groups(x), len))
}

/// Packs eight 7-bit groups (one per byte, high bits clear) into 56 contiguous bits.
#[inline(always)]
fn pack_groups(x: u64) -> u64 {
    let x = (x & 0x007f_007f_007f_007f) | ((x & 0x7f00_7f00_7f00_7f00) >> 1);
    let x = (x & 0x0000_3fff_0000_3fff) | ((x & 0x3fff_0000_3fff_0000) >> 2);
    (x & 0x0000_0000_0fff_ffff) | ((x & 0x0fff_ffff_0000_0000) >> 4)
}

/// The 9- and 10-byte varints (values of 2^56 and more: negative `int32`/`int64` among them).
#[inline(never)]
fn decode_varint_9_10(b: &[u8; 10], lo: u64) -> Result<(u64, usize), DecodeError> {
    let value = pack_groups(lo & 0x7f7f_7f7f_7f7f_7f7f) | (u64::from(b[8] & 0x7f) << 56);
    if b[8] < 0x80 {
        return Ok((value, 9));
    }
    // The tenth byte holds the 64th bit only.
    if b[9] > 1 {
        return Err(DecodeError::new(DecodeErrorKind::InvalidVarint));
    }
    Ok((value | (u64::from(b[9]) << 63), 10))
}

#[cold]
fn decode_varint_short(bytes: &[u8]) -> Result<(u64, usize), DecodeError> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Ok((value, i + 1));
        }
    }
    // Fewer than 10 bytes and every one had the continuation bit.
    Err(DecodeError::truncated())
}

/// Decodes a varint from `buf`, advancing past it.
#[inline(always)]
pub fn decode_varint(buf: &mut Bytes) -> Result<u64, DecodeError> {
    let (v, n) = decode_varint_slice(buf.chunk())?;
    buf.advance(n);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time definition, for comparison.
    fn reference(bytes: &[u8]) -> Result<(u64, usize), ()> {
        let mut value = 0u64;
        for (i, &byte) in bytes.iter().enumerate().take(10) {
            if i == 9 && byte > 1 {
                return Err(());
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                return Ok((value, i + 1));
            }
        }
        Err(())
    }

    #[test]
    fn unrolled_decode_agrees_with_the_definition() {
        // Every length and boundary, then pseudo-random bytes (xorshift), always with 10 or
        // more bytes available (the unrolled path) and with fewer.
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for bits in 0..64 {
            for v in [
                1u64 << bits,
                (1u64 << bits) - 1,
                (1u64 << bits) | 1,
                u64::MAX >> bits,
            ] {
                let (a, n) = encode_varint_array(v);
                inputs.push(a[..n].to_vec());
            }
        }
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            let mut bytes = Vec::new();
            for _ in 0..12 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly continuation bytes, so that long varints are common.
                let b = state as u8;
                bytes.push(if state & 0x300 != 0 { b | 0x80 } else { b });
            }
            inputs.push(bytes);
        }
        for input in inputs {
            for extra in [0usize, 1, 10] {
                let mut bytes = input.clone();
                bytes.extend(std::iter::repeat_n(0xFFu8, extra));
                let got = decode_varint_slice(&bytes).map_err(|_| ());
                assert_eq!(got, reference(&bytes), "{bytes:02x?}");
            }
        }
    }

    #[test]
    fn known_vectors() {
        assert_eq!(
            encode_varint_array(300).0[..encode_varint_array(300).1],
            [0xAC, 0x02]
        );
        assert_eq!(decode_varint_slice(&[0xAC, 0x02]).unwrap(), (300, 2));
        assert_eq!(decode_varint_slice(&[0x00]).unwrap(), (0, 1));
        let (max, n) = encode_varint_array(u64::MAX);
        assert_eq!(n, 10);
        assert_eq!(
            &max[..],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
        assert_eq!(decode_varint_slice(&max).unwrap(), (u64::MAX, 10));
    }

    #[test]
    fn encoded_len_boundaries() {
        for (v, n) in [
            (0u64, 1),
            (127, 1),
            (128, 2),
            (16383, 2),
            (16384, 3),
            ((1 << 63) - 1, 9),
            (1 << 63, 10),
            (u64::MAX, 10),
        ] {
            assert_eq!(encoded_len_varint(v), n, "value {v}");
            assert_eq!(encode_varint_array(v).1, n, "value {v}");
        }
    }

    #[test]
    fn zigzag_vectors() {
        assert_eq!(encode_zigzag32(0), 0);
        assert_eq!(encode_zigzag32(-1), 1);
        assert_eq!(encode_zigzag32(1), 2);
        assert_eq!(encode_zigzag32(-2), 3);
        assert_eq!(encode_zigzag32(i32::MIN), u32::MAX);
        assert_eq!(encode_zigzag64(i64::MIN), u64::MAX);
        assert_eq!(decode_zigzag64(u64::MAX), i64::MIN);
        assert_eq!(decode_zigzag32(3), -2);
    }

    #[test]
    fn rejects_overlong_and_overflow() {
        // 11 bytes: ten continuation bytes then a terminator.
        let mut v = vec![0x80u8; 10];
        v.push(0x00);
        assert_eq!(
            decode_varint_slice(&v).unwrap_err().kind(),
            &DecodeErrorKind::InvalidVarint
        );
        // 10th byte carries bits beyond 64.
        let v = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(
            decode_varint_slice(&v).unwrap_err().kind(),
            &DecodeErrorKind::InvalidVarint
        );
        // Truncated.
        assert_eq!(
            decode_varint_slice(&[0x80, 0x80]).unwrap_err().kind(),
            &DecodeErrorKind::Truncated
        );
        assert_eq!(
            decode_varint_slice(&[]).unwrap_err().kind(),
            &DecodeErrorKind::Truncated
        );
        // Non-minimal within 10 bytes is accepted.
        assert_eq!(decode_varint_slice(&[0x80, 0x00]).unwrap(), (0, 2));
    }

    #[test]
    fn fast_and_slow_paths_agree() {
        for v in [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX - 1] {
            let (arr, n) = encode_varint_array(v);
            // short path: exact slice
            assert_eq!(decode_varint_slice(&arr[..n]).unwrap(), (v, n));
            // fast path: padded to >= 10 bytes
            let mut padded = arr[..n].to_vec();
            padded.extend_from_slice(&[0xEE; 10]);
            assert_eq!(decode_varint_slice(&padded).unwrap(), (v, n));
        }
    }
}
