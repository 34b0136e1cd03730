//! Protobuf wire primitives: wire types, keys, varints, fixed-width values,
//! length-delimited values and field skipping.
//!
//! Decoders take `&mut Bytes` and advance it; length-delimited values come
//! back as zero-copy `Bytes` slices. Encoders append to `BytesMut`.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::{DecodeError, DecodeErrorKind};
use crate::sink::{Cursor, Sink};
use crate::ByteStr;

pub use crate::varint::{
    decode_varint, decode_varint_slice, decode_zigzag32, decode_zigzag64, encode_zigzag32,
    encode_zigzag64, encoded_len_varint,
};

/// Default recursion budget for nested messages and groups (as protobuf-C++ / prost).
pub const RECURSION_LIMIT: u32 = 100;
/// Smallest valid field number.
pub const MIN_FIELD_NUMBER: u32 = 1;
/// Largest valid field number (2^29 - 1).
pub const MAX_FIELD_NUMBER: u32 = (1 << 29) - 1;

/// The six Protobuf wire types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum WireType {
    /// int32, int64, uint32, uint64, sint32, sint64, bool, enum
    Varint = 0,
    /// fixed64, sfixed64, double
    Fixed64 = 1,
    /// string, bytes, embedded messages, packed repeated fields
    LengthDelimited = 2,
    /// group start (deprecated)
    StartGroup = 3,
    /// group end (deprecated)
    EndGroup = 4,
    /// fixed32, sfixed32, float
    Fixed32 = 5,
}

impl WireType {
    /// Parses a 3-bit wire type.
    #[inline]
    pub fn from_u8(v: u8) -> Result<WireType, DecodeError> {
        Ok(match v {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::LengthDelimited,
            3 => WireType::StartGroup,
            4 => WireType::EndGroup,
            5 => WireType::Fixed32,
            _ => return Err(DecodeError::new(DecodeErrorKind::InvalidWireType(v))),
        })
    }
}

/// Where Protobuf encoders write: a [`BytesMut`], or a [`Cursor`] over one (what generated
/// `encode_raw`s use: it keeps the write position in a register instead of the buffer's length).
pub trait EncodeBuf: Sink {
    /// Runs `f` on the buffer itself, with everything written so far in it; writing goes on
    /// after whatever `f` appended. Embedded messages encode through their own
    /// [`encode_raw`](super::Message::encode_raw) this way.
    fn with_buf<R>(&mut self, f: impl FnOnce(&mut BytesMut) -> R) -> R;
}

impl EncodeBuf for BytesMut {
    #[inline(always)]
    fn with_buf<R>(&mut self, f: impl FnOnce(&mut BytesMut) -> R) -> R {
        f(self)
    }
}

impl EncodeBuf for Cursor<'_> {
    #[inline(always)]
    fn with_buf<R>(&mut self, f: impl FnOnce(&mut BytesMut) -> R) -> R {
        Cursor::with_buf(self, f)
    }
}

/// Appends `value` as a varint.
#[inline]
pub fn encode_varint<B: EncodeBuf + ?Sized>(value: u64, buf: &mut B) {
    buf.put_varint(value);
}

/// Appends a field key (`field_number << 3 | wire_type`).
#[inline]
pub fn encode_key<B: EncodeBuf + ?Sized>(field_number: u32, wire_type: WireType, buf: &mut B) {
    debug_assert!((MIN_FIELD_NUMBER..=MAX_FIELD_NUMBER).contains(&field_number));
    encode_varint(u64::from((field_number << 3) | wire_type as u32), buf);
}

/// Appends a field key and a varint after it (a varint field's value, or the length of a
/// length-delimited one).
#[inline]
pub fn encode_key_varint<B: EncodeBuf + ?Sized>(
    field_number: u32,
    wire_type: WireType,
    value: u64,
    buf: &mut B,
) {
    debug_assert!((MIN_FIELD_NUMBER..=MAX_FIELD_NUMBER).contains(&field_number));
    buf.put_varint2(u64::from((field_number << 3) | wire_type as u32), value);
}

/// Appends a length-delimited field: key, length and bytes (one room check on a cursor).
#[inline]
pub fn encode_key_len_slice<B: EncodeBuf + ?Sized>(field_number: u32, v: &[u8], buf: &mut B) {
    debug_assert!((MIN_FIELD_NUMBER..=MAX_FIELD_NUMBER).contains(&field_number));
    buf.put_varint2_slice(
        u64::from((field_number << 3) | WireType::LengthDelimited as u32),
        v.len() as u64,
        v,
    );
}

/// Encoded length of a key for `field_number`.
#[inline]
pub const fn key_len(field_number: u32) -> usize {
    encoded_len_varint((field_number as u64) << 3)
}

/// Decodes a key from the start of `bytes`: `(field_number, wire_type, bytes_used)`.
#[inline(always)]
pub fn decode_key_slice(bytes: &[u8]) -> Result<(u32, WireType, usize), DecodeError> {
    let (key, n) = decode_varint_slice(bytes)?;
    if key > u64::from(u32::MAX) {
        return Err(DecodeError::new(DecodeErrorKind::InvalidVarint));
    }
    let wire_type = WireType::from_u8((key & 7) as u8)?;
    let field = (key >> 3) as u32;
    if field < MIN_FIELD_NUMBER {
        return Err(DecodeError::new(DecodeErrorKind::InvalidFieldNumber));
    }
    Ok((field, wire_type, n))
}

/// Decodes a key, advancing `buf`. Field number 0 and wire types 6/7 are errors.
#[inline(always)]
pub fn decode_key(buf: &mut Bytes) -> Result<(u32, WireType), DecodeError> {
    let (f, wt, n) = decode_key_slice(buf.chunk())?;
    buf.advance(n);
    Ok((f, wt))
}

/// Fails unless `actual == expected`.
#[inline]
pub fn check_wire_type(expected: WireType, actual: WireType) -> Result<(), DecodeError> {
    if expected == actual {
        Ok(())
    } else {
        Err(wire_type_mismatch(expected, actual))
    }
}

#[cold]
#[inline(never)]
fn wire_type_mismatch(expected: WireType, actual: WireType) -> DecodeError {
    DecodeError::invalid_data(format!(
        "invalid wire type: expected {expected:?}, got {actual:?}"
    ))
}

/// Decodes a length prefix and checks it against the bytes remaining.
#[inline]
pub fn decode_len(buf: &mut Bytes) -> Result<usize, DecodeError> {
    let len = decode_varint(buf)?;
    if len > buf.len() as u64 {
        return Err(DecodeError::length_limit(len, buf.len()));
    }
    Ok(len as usize)
}

/// Decodes a length-delimited value as a zero-copy slice.
#[inline]
pub fn decode_bytes(buf: &mut Bytes) -> Result<Bytes, DecodeError> {
    let len = decode_len(buf)?;
    Ok(buf.split_to(len))
}

/// Decodes a length-delimited UTF-8 string as a zero-copy [`ByteStr`].
#[inline]
pub fn decode_string(buf: &mut Bytes) -> Result<ByteStr, DecodeError> {
    let len = decode_len(buf)?;
    crate::str::take_utf8_short(buf, len)
}

/// Reads a little-endian `u32`.
#[inline]
pub fn decode_fixed32(buf: &mut Bytes) -> Result<u32, DecodeError> {
    match buf.get(..4) {
        Some(s) => {
            let v = u32::from_le_bytes(s.try_into().unwrap());
            buf.advance(4);
            Ok(v)
        }
        None => Err(DecodeError::truncated()),
    }
}

/// Reads a little-endian `u64`.
#[inline]
pub fn decode_fixed64(buf: &mut Bytes) -> Result<u64, DecodeError> {
    match buf.get(..8) {
        Some(s) => {
            let v = u64::from_le_bytes(s.try_into().unwrap());
            buf.advance(8);
            Ok(v)
        }
        None => Err(DecodeError::truncated()),
    }
}

/// Skips the value of a field whose key was already read, advancing `buf`.
///
/// Groups are matched (start/end field numbers must agree) and nest at most
/// `depth` levels; a stray `EndGroup` is an error.
#[inline]
pub fn skip_field(
    wire_type: WireType,
    field_number: u32,
    buf: &mut Bytes,
    depth: u32,
) -> Result<(), DecodeError> {
    let n = skip_field_len(wire_type, field_number, buf.chunk(), depth)?;
    buf.advance(n);
    Ok(())
}

/// Like [`skip_field`] over a slice: returns how many bytes the value spans
/// (for groups, including the end-group key).
pub fn skip_field_len(
    wire_type: WireType,
    field_number: u32,
    data: &[u8],
    depth: u32,
) -> Result<usize, DecodeError> {
    let need = |n: usize| {
        if data.len() >= n {
            Ok(n)
        } else {
            Err(DecodeError::truncated())
        }
    };
    match wire_type {
        WireType::Varint => decode_varint_slice(data).map(|(_, n)| n),
        WireType::Fixed64 => need(8),
        WireType::Fixed32 => need(4),
        WireType::LengthDelimited => {
            let (len, n) = decode_varint_slice(data)?;
            let rest = data.len() - n;
            if len > rest as u64 {
                return Err(DecodeError::length_limit(len, rest));
            }
            Ok(n + len as usize)
        }
        WireType::StartGroup => {
            if depth == 0 {
                return Err(DecodeError::new(DecodeErrorKind::DepthLimit));
            }
            let mut pos = 0;
            loop {
                let (f, wt, n) = decode_key_slice(&data[pos..])?;
                pos += n;
                if wt == WireType::EndGroup {
                    if f != field_number {
                        return Err(DecodeError::new(DecodeErrorKind::UnexpectedEndGroup));
                    }
                    return Ok(pos);
                }
                pos += skip_field_len(wt, f, &data[pos..], depth - 1)?;
            }
        }
        WireType::EndGroup => Err(DecodeError::new(DecodeErrorKind::UnexpectedEndGroup)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_vectors() {
        let mut b = BytesMut::new();
        encode_key(1, WireType::LengthDelimited, &mut b);
        assert_eq!(&b[..], &[0x0A]);
        b.clear();
        encode_key(16, WireType::Varint, &mut b);
        assert_eq!(&b[..], &[0x80, 0x01]);
        assert_eq!(key_len(15), 1);
        assert_eq!(key_len(16), 2);
        assert_eq!(key_len(MAX_FIELD_NUMBER), 5);
        let mut r = Bytes::from_static(&[0x0A]);
        assert_eq!(decode_key(&mut r).unwrap(), (1, WireType::LengthDelimited));
    }

    #[test]
    fn invalid_keys() {
        let e = decode_key(&mut Bytes::from_static(&[0x02])).unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::InvalidFieldNumber);
        let e = decode_key(&mut Bytes::from_static(&[0x0E])).unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::InvalidWireType(6));
        let e = decode_key(&mut Bytes::from_static(&[0x0F])).unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::InvalidWireType(7));
        // key above u32::MAX
        let e = decode_key(&mut Bytes::from_static(&[0x88, 0x80, 0x80, 0x80, 0x10])).unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::InvalidVarint);
    }

    #[test]
    fn varint_300() {
        let mut b = BytesMut::new();
        encode_varint(300, &mut b);
        assert_eq!(&b[..], &[0xAC, 0x02]);
        let mut r = b.freeze();
        assert_eq!(decode_varint(&mut r).unwrap(), 300);
        assert!(r.is_empty());
    }

    #[test]
    fn length_delimited_checks_remaining() {
        // length 2^31 with 2 bytes of payload
        let mut r = Bytes::from_static(&[0x80, 0x80, 0x80, 0x80, 0x08, 1, 2]);
        let e = decode_bytes(&mut r).unwrap_err();
        assert!(matches!(e.kind(), DecodeErrorKind::LengthLimit { .. }));
        let mut r = Bytes::from_static(&[0x02, 0xff, 0xfe]);
        assert_eq!(
            decode_string(&mut r).unwrap_err().kind(),
            &DecodeErrorKind::InvalidUtf8
        );
        // Short strings are copied into the `ByteStr`, longer ones share the input.
        let input = Bytes::from(vec![0x03, b'a', b'b', b'c', 9]);
        let mut r = input.clone();
        let s = decode_string(&mut r).unwrap();
        assert_eq!(s, "abc");
        assert!(!s.is_shared());
        assert_eq!(&r[..], &[9]);
        let text = "a string longer than twenty-three bytes";
        let input = Bytes::from([&[text.len() as u8][..], text.as_bytes(), &[9]].concat());
        let mut r = input.clone();
        let s = decode_string(&mut r).unwrap();
        assert_eq!(s, text);
        assert_eq!(s.as_ptr(), input[1..].as_ptr());
        assert_eq!(&r[..], &[9]);
    }

    #[test]
    fn skip_groups() {
        // group 1 { field 2 varint 5; group 3 { } } then trailing byte
        let data = [0x10, 0x05, 0x1B, 0x1C, 0x0C, 0xAA];
        assert_eq!(
            skip_field_len(WireType::StartGroup, 1, &data, 100).unwrap(),
            5
        );
        // mismatched end group
        let data = [0x14];
        assert_eq!(
            skip_field_len(WireType::StartGroup, 1, &data, 100)
                .unwrap_err()
                .kind(),
            &DecodeErrorKind::UnexpectedEndGroup
        );
        // stray end group
        assert!(skip_field_len(WireType::EndGroup, 1, &[], 100).is_err());
        // unterminated group
        assert_eq!(
            skip_field_len(WireType::StartGroup, 1, &[0x10, 0x05], 100)
                .unwrap_err()
                .kind(),
            &DecodeErrorKind::Truncated
        );
    }

    #[test]
    fn deep_groups_hit_depth_limit() {
        let mut data = vec![0x0B; 200]; // 200 nested StartGroup(1)
        data.extend(std::iter::repeat_n(0x0C, 201));
        let e = skip_field_len(WireType::StartGroup, 1, &data, RECURSION_LIMIT).unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::DepthLimit);
        // 50 levels are fine
        let mut data = vec![0x0B; 50];
        data.extend(std::iter::repeat_n(0x0C, 51));
        assert_eq!(
            skip_field_len(WireType::StartGroup, 1, &data, RECURSION_LIMIT).unwrap(),
            data.len()
        );
    }

    #[test]
    fn fixed_truncation() {
        assert!(decode_fixed32(&mut Bytes::from_static(&[1, 2, 3])).is_err());
        assert_eq!(
            decode_fixed64(&mut Bytes::from_static(&[1, 0, 0, 0, 0, 0, 0, 0])).unwrap(),
            1
        );
        assert!(skip_field_len(WireType::Fixed64, 1, &[0; 7], 1).is_err());
    }
}
