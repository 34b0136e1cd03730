//! Thrift binary protocol.
//!
//! Big-endian fixed-width integers, `i32` length prefixes, one type byte plus
//! `i16` id per field header, a single `0` byte as the stop marker.
//!
//! * Writing is always *strict*: the message header starts with the version
//!   word `0x8001_0000 | message_type`.
//! * Reading accepts strict headers and, unless
//!   [`BinaryReader::with_strict_read`] is set, the old non-strict form
//!   (`i32` name length, name, type byte, seq id).

use bytes::{Buf, Bytes};

use super::{
    check_count, FieldIdent, ListIdent, MapIdent, MessageIdent, MessageType, Reader, TType, Writer,
    DEFAULT_MAX_DEPTH,
};
use crate::error::{DecodeError, DecodeErrorKind};
use crate::sink::Sink;
use crate::ByteStr;

/// Version word of the strict binary protocol (version 1).
pub const VERSION_1: u32 = 0x8001_0000;
const VERSION_MASK: u32 = 0xffff_0000;

/// Binary-protocol writer over any [`Sink`].
#[derive(Debug, Default)]
pub struct BinaryWriter<S> {
    sink: S,
}

impl<S: Sink> BinaryWriter<S> {
    /// Writes into `sink`.
    #[inline]
    pub fn new(sink: S) -> Self {
        BinaryWriter { sink }
    }
    /// Returns the sink.
    #[inline]
    pub fn into_inner(self) -> S {
        self.sink
    }
    /// Borrows the sink.
    #[inline]
    pub fn get_ref(&self) -> &S {
        &self.sink
    }
}

/// A field header: the type byte and the big-endian id.
#[inline(always)]
fn field_header(ttype: TType, id: i16) -> [u8; 3] {
    let id = id.to_be_bytes();
    [ttype as u8, id[0], id[1]]
}

/// A length as the binary protocol writes it (big-endian `i32`).
#[inline(always)]
fn len_be(len: usize) -> [u8; 4] {
    i32::try_from(len)
        .expect("thrift: length exceeds i32::MAX")
        .to_be_bytes()
}

impl<S: Sink> Writer for BinaryWriter<S> {
    #[inline]
    fn write_message_begin(&mut self, name: &str, message_type: MessageType, seq_id: i32) {
        self.sink
            .put_slice(&(VERSION_1 | message_type as u32).to_be_bytes());
        self.write_string(name);
        self.write_i32(seq_id);
    }
    #[inline]
    fn write_struct_begin(&mut self) {}
    #[inline]
    fn write_struct_end(&mut self) {}
    #[inline]
    fn write_field_begin(&mut self, ttype: TType, id: i16) {
        self.sink.put_slice(&field_header(ttype, id));
    }
    #[inline]
    fn write_field_stop(&mut self) {
        self.sink.put_u8(TType::Stop as u8);
    }
    #[inline]
    fn write_bool(&mut self, v: bool) {
        self.sink.put_u8(v as u8);
    }
    #[inline]
    fn write_i8(&mut self, v: i8) {
        self.sink.put_u8(v as u8);
    }
    #[inline]
    fn write_i16(&mut self, v: i16) {
        self.sink.put_slice(&v.to_be_bytes());
    }
    #[inline]
    fn write_i32(&mut self, v: i32) {
        self.sink.put_slice(&v.to_be_bytes());
    }
    #[inline]
    fn write_i64(&mut self, v: i64) {
        self.sink.put_slice(&v.to_be_bytes());
    }
    #[inline]
    fn write_double(&mut self, v: f64) {
        self.sink.put_slice(&v.to_bits().to_be_bytes());
    }
    #[inline]
    fn write_uuid(&mut self, v: &[u8; 16]) {
        self.sink.put_slice(v);
    }
    #[inline(always)]
    fn write_binary(&mut self, v: &[u8]) {
        self.sink.put_slice2(&len_be(v.len()), v);
    }
    // Whole scalar fields: header and value with one room check (a header written apart
    // checks the room twice and stores the position twice).
    #[inline(always)]
    fn bool_field(&mut self, id: i16, v: bool) {
        self.sink
            .put_slice2(&field_header(TType::Bool, id), &[v as u8]);
    }
    #[inline(always)]
    fn i8_field(&mut self, id: i16, v: i8) {
        self.sink
            .put_slice2(&field_header(TType::I8, id), &[v as u8]);
    }
    #[inline(always)]
    fn i16_field(&mut self, id: i16, v: i16) {
        self.sink
            .put_slice2(&field_header(TType::I16, id), &v.to_be_bytes());
    }
    #[inline(always)]
    fn i32_field(&mut self, id: i16, v: i32) {
        self.sink
            .put_slice2(&field_header(TType::I32, id), &v.to_be_bytes());
    }
    #[inline(always)]
    fn i64_field(&mut self, id: i16, v: i64) {
        self.sink
            .put_slice2(&field_header(TType::I64, id), &v.to_be_bytes());
    }
    #[inline(always)]
    fn double_field(&mut self, id: i16, v: f64) {
        self.sink
            .put_slice2(&field_header(TType::Double, id), &v.to_bits().to_be_bytes());
    }
    #[inline(always)]
    fn uuid_field(&mut self, id: i16, v: &[u8; 16]) {
        self.sink.put_slice2(&field_header(TType::Uuid, id), v);
    }
    /// Header, length and bytes with one room check.
    #[inline(always)]
    fn string_field(&mut self, id: i16, v: &str) {
        self.binary_field(id, v.as_bytes())
    }
    #[inline(always)]
    fn binary_field(&mut self, id: i16, v: &[u8]) {
        // The 7-byte head assembled in one register, not stored byte by byte into an array
        // the copy then reloads as words (a load spanning several smaller stores misses
        // store-to-load forwarding and stalls).
        let [t, i0, i1] = field_header(TType::String, id);
        let head = u64::from_le_bytes([t, i0, i1, 0, 0, 0, 0, 0])
            | u64::from(u32::from_le_bytes(len_be(v.len()))) << 24;
        self.sink.put_slice2(&head.to_le_bytes()[..7], v);
    }
    #[inline]
    fn write_list_begin(&mut self, elem_type: TType, len: usize) {
        self.sink.put_slice2(&[elem_type as u8], &len_be(len));
    }
    #[inline]
    fn write_set_begin(&mut self, elem_type: TType, len: usize) {
        self.write_list_begin(elem_type, len)
    }
    #[inline]
    fn write_map_begin(&mut self, key_type: TType, value_type: TType, len: usize) {
        self.sink
            .put_slice2(&[key_type as u8, value_type as u8], &len_be(len));
    }
}

/// Binary-protocol reader over [`Bytes`].
#[derive(Debug, Clone)]
pub struct BinaryReader {
    buf: Bytes,
    depth: u32,
    max_depth: u32,
    strict_read: bool,
}

/// Minimum encoded size of one value of type `t` in the binary protocol.
#[inline]
fn min_size(t: TType) -> Result<usize, DecodeError> {
    Ok(match t {
        TType::Bool | TType::I8 | TType::Struct => 1,
        TType::I16 => 2,
        TType::I32 | TType::String => 4,
        TType::I64 | TType::Double => 8,
        TType::List | TType::Set => 5,
        TType::Map => 6,
        TType::Uuid => 16,
        TType::Stop | TType::Void => {
            return Err(DecodeError::new(DecodeErrorKind::InvalidType(t as u8)))
        }
    })
}

impl BinaryReader {
    /// Reads from `buf`, accepting strict and non-strict message headers.
    #[inline]
    pub fn new(buf: Bytes) -> Self {
        BinaryReader {
            buf,
            depth: 0,
            max_depth: DEFAULT_MAX_DEPTH,
            strict_read: false,
        }
    }
    /// Rejects non-strict (unversioned) message headers when `strict` is true.
    pub fn with_strict_read(mut self, strict: bool) -> Self {
        self.strict_read = strict;
        self
    }
    /// Sets the struct nesting limit (default [`DEFAULT_MAX_DEPTH`]).
    pub fn with_max_depth(mut self, max_depth: u32) -> Self {
        self.max_depth = max_depth;
        self
    }
    /// The unread input.
    #[inline]
    pub fn into_inner(self) -> Bytes {
        self.buf
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        match self.buf.get(..N) {
            Some(s) => {
                let a: [u8; N] = s.try_into().unwrap();
                self.buf.advance(N);
                Ok(a)
            }
            None => Err(DecodeError::truncated()),
        }
    }

    #[inline]
    fn read_len(&mut self) -> Result<usize, DecodeError> {
        let len = i32::from_be_bytes(self.array()?);
        if len < 0 {
            return Err(DecodeError::new(DecodeErrorKind::NegativeLength(
                len.into(),
            )));
        }
        let len = len as usize;
        if len > self.buf.len() {
            return Err(DecodeError::length_limit(len as u64, self.buf.len()));
        }
        Ok(len)
    }

    #[inline]
    fn read_type(&mut self) -> Result<TType, DecodeError> {
        let [b] = self.array()?;
        TType::from_u8(b)
    }
}

impl Reader for BinaryReader {
    fn read_message_begin(&mut self) -> Result<MessageIdent, DecodeError> {
        let word = i32::from_be_bytes(self.array()?);
        if word < 0 {
            if (word as u32) & VERSION_MASK != VERSION_1 {
                return Err(DecodeError::new(DecodeErrorKind::BadVersion));
            }
            let message_type = MessageType::from_u8(word as u8)?;
            let name = self.read_string()?;
            let seq_id = self.read_i32()?;
            Ok(MessageIdent {
                name,
                message_type,
                seq_id,
            })
        } else {
            if self.strict_read {
                return Err(DecodeError::new(DecodeErrorKind::BadVersion));
            }
            let len = word as usize;
            if len > self.buf.len() {
                return Err(DecodeError::length_limit(len as u64, self.buf.len()));
            }
            let name = crate::str::take_utf8(&mut self.buf, len)?;
            let [t] = self.array()?;
            let message_type = MessageType::from_u8(t)?;
            let seq_id = self.read_i32()?;
            Ok(MessageIdent {
                name,
                message_type,
                seq_id,
            })
        }
    }

    #[inline]
    fn read_struct_begin(&mut self) -> Result<(), DecodeError> {
        if self.depth >= self.max_depth {
            return Err(DecodeError::new(DecodeErrorKind::DepthLimit));
        }
        self.depth += 1;
        Ok(())
    }

    #[inline]
    fn read_struct_end(&mut self) -> Result<(), DecodeError> {
        self.depth = self.depth.saturating_sub(1);
        Ok(())
    }

    #[inline(always)]
    fn read_field_begin(&mut self) -> Result<FieldIdent, DecodeError> {
        // Fast path: a whole header (type byte + id) is there and it is not the stop byte.
        if let Some(&[t, hi, lo]) = self.buf.first_chunk::<3>() {
            if t != TType::Stop as u8 {
                let ttype = TType::from_u8(t)?;
                self.buf.advance(3);
                return Ok(FieldIdent {
                    ttype,
                    id: i16::from_be_bytes([hi, lo]),
                });
            }
        }
        let ttype = self.read_type()?;
        if ttype == TType::Stop {
            return Ok(FieldIdent { ttype, id: 0 });
        }
        let id = i16::from_be_bytes(self.array()?);
        Ok(FieldIdent { ttype, id })
    }

    #[inline]
    fn read_bool(&mut self) -> Result<bool, DecodeError> {
        let [b] = self.array()?;
        Ok(b != 0)
    }
    #[inline]
    fn read_i8(&mut self) -> Result<i8, DecodeError> {
        let [b] = self.array()?;
        Ok(b as i8)
    }
    #[inline]
    fn read_i16(&mut self) -> Result<i16, DecodeError> {
        Ok(i16::from_be_bytes(self.array()?))
    }
    #[inline]
    fn read_i32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.array()?))
    }
    #[inline]
    fn read_i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    #[inline]
    fn read_double(&mut self) -> Result<f64, DecodeError> {
        Ok(f64::from_bits(u64::from_be_bytes(self.array()?)))
    }
    #[inline]
    fn read_uuid(&mut self) -> Result<[u8; 16], DecodeError> {
        self.array()
    }
    #[inline]
    fn read_binary(&mut self) -> Result<Bytes, DecodeError> {
        let len = self.read_len()?;
        Ok(self.buf.split_to(len))
    }
    #[inline]
    fn read_string(&mut self) -> Result<ByteStr, DecodeError> {
        let len = self.read_len()?;
        crate::str::take_utf8_short(&mut self.buf, len)
    }
    #[inline]
    fn skip_binary(&mut self) -> Result<(), DecodeError> {
        let len = self.read_len()?;
        self.buf.advance(len);
        Ok(())
    }
    #[inline]
    fn read_list_begin(&mut self) -> Result<ListIdent, DecodeError> {
        let elem_type = self.read_type()?;
        let n = i32::from_be_bytes(self.array()?);
        let len = if n == 0 {
            0
        } else {
            check_count(n.into(), min_size(elem_type)?, self.buf.len())?
        };
        Ok(ListIdent { elem_type, len })
    }
    #[inline]
    fn read_set_begin(&mut self) -> Result<ListIdent, DecodeError> {
        self.read_list_begin()
    }
    #[inline]
    fn read_map_begin(&mut self) -> Result<MapIdent, DecodeError> {
        let key_type = self.read_type()?;
        let value_type = self.read_type()?;
        let n = i32::from_be_bytes(self.array()?);
        let len = if n == 0 {
            0
        } else {
            self.read_count_checked(n, min_size(key_type)? + min_size(value_type)?)?
        };
        Ok(MapIdent {
            key_type,
            value_type,
            len,
        })
    }
    #[inline]
    fn remaining(&self) -> usize {
        self.buf.len()
    }
}

impl BinaryReader {
    #[inline]
    fn read_count_checked(&self, n: i32, min_elem: usize) -> Result<usize, DecodeError> {
        check_count(n.into(), min_elem, self.buf.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    fn written(f: impl FnOnce(&mut BinaryWriter<BytesMut>)) -> Vec<u8> {
        let mut w = BinaryWriter::new(BytesMut::new());
        f(&mut w);
        w.into_inner().to_vec()
    }

    #[test]
    fn strict_message_header_bytes() {
        let b = written(|w| w.write_message_begin("ping", MessageType::Call, 7));
        assert_eq!(
            b,
            [0x80, 0x01, 0x00, 0x01, 0, 0, 0, 4, b'p', b'i', b'n', b'g', 0, 0, 0, 7]
        );
        let m = BinaryReader::new(b.into()).read_message_begin().unwrap();
        assert_eq!(m.name, "ping");
        assert_eq!(m.message_type, MessageType::Call);
        assert_eq!(m.seq_id, 7);
    }

    #[test]
    fn non_strict_message_header() {
        let b = vec![0, 0, 0, 2, b'h', b'i', 2, 0, 0, 0, 9];
        let m = BinaryReader::new(b.clone().into())
            .read_message_begin()
            .unwrap();
        assert_eq!(m.name, "hi");
        assert_eq!(m.message_type, MessageType::Reply);
        assert_eq!(m.seq_id, 9);
        let e = BinaryReader::new(b.into())
            .with_strict_read(true)
            .read_message_begin()
            .unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::BadVersion);
    }

    #[test]
    fn bad_version_rejected() {
        let b = vec![0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0];
        let e = BinaryReader::new(b.into())
            .read_message_begin()
            .unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::BadVersion);
    }

    #[test]
    fn field_and_scalar_bytes() {
        let b = written(|w| {
            w.write_field_begin(TType::I32, 3);
            w.write_i32(-2);
            w.write_field_begin(TType::Double, 0x102);
            w.write_double(1.0);
            w.write_field_stop();
        });
        assert_eq!(
            b,
            [8, 0, 3, 0xff, 0xff, 0xff, 0xfe, 4, 1, 2, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    /// Every whole-field method writes what the header and the value written apart do, into
    /// a growing buffer, through a cursor (exact room, no room, one byte short) and counted.
    #[test]
    fn whole_fields_match_header_then_value() {
        let long = "x".repeat(300);
        for id in [1i16, 15, 16, 0x102, -1, i16::MIN, i16::MAX] {
            let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
                (
                    written(|w| w.bool_field(id, true)),
                    written(|w| {
                        w.write_field_begin(TType::Bool, id);
                        w.write_bool(true)
                    }),
                ),
                (
                    written(|w| w.i8_field(id, -128)),
                    written(|w| {
                        w.write_field_begin(TType::I8, id);
                        w.write_i8(-128)
                    }),
                ),
                (
                    written(|w| w.i16_field(id, -2)),
                    written(|w| {
                        w.write_field_begin(TType::I16, id);
                        w.write_i16(-2)
                    }),
                ),
                (
                    written(|w| w.i32_field(id, i32::MIN + 7)),
                    written(|w| {
                        w.write_field_begin(TType::I32, id);
                        w.write_i32(i32::MIN + 7)
                    }),
                ),
                (
                    written(|w| w.i64_field(id, 0x0102_0304_0506_0708)),
                    written(|w| {
                        w.write_field_begin(TType::I64, id);
                        w.write_i64(0x0102_0304_0506_0708)
                    }),
                ),
                (
                    written(|w| w.double_field(id, -1.5)),
                    written(|w| {
                        w.write_field_begin(TType::Double, id);
                        w.write_double(-1.5)
                    }),
                ),
                (
                    written(|w| w.uuid_field(id, &[7; 16])),
                    written(|w| {
                        w.write_field_begin(TType::Uuid, id);
                        w.write_uuid(&[7; 16])
                    }),
                ),
                (
                    written(|w| w.string_field(id, "")),
                    written(|w| {
                        w.write_field_begin(TType::String, id);
                        w.write_string("")
                    }),
                ),
                (
                    written(|w| w.string_field(id, "seven!!")),
                    written(|w| {
                        w.write_field_begin(TType::String, id);
                        w.write_string("seven!!")
                    }),
                ),
                (
                    written(|w| w.binary_field(id, long.as_bytes())),
                    written(|w| {
                        w.write_field_begin(TType::String, id);
                        w.write_binary(long.as_bytes())
                    }),
                ),
            ];
            for (whole, apart) in cases {
                assert_eq!(whole, apart, "field {id}");
                assert_eq!(whole[1..3], id.to_be_bytes());
            }
        }
        // The same bytes through a cursor, whatever room it starts with, and counted.
        fn write_all<S: Sink>(w: &mut BinaryWriter<S>, long: &str) {
            w.bool_field(1, false);
            w.i8_field(2, 3);
            w.i16_field(3, 4);
            w.i32_field(4, 5);
            w.i64_field(5, 6);
            w.double_field(6, 7.0);
            w.uuid_field(7, &[8; 16]);
            w.string_field(8, "nine");
            w.binary_field(9, long.as_bytes());
        }
        let grown = written(|w| write_all(w, &long));
        let mut counted = BinaryWriter::new(crate::sink::Counter(0));
        write_all(&mut counted, &long);
        assert_eq!(counted.into_inner().0, grown.len());
        for room in [0, grown.len() - 1, grown.len()] {
            let mut b = BytesMut::with_capacity(room);
            write_all(
                &mut BinaryWriter::new(crate::sink::Cursor::new(&mut b)),
                &long,
            );
            assert_eq!(b, grown, "room {room}");
        }
    }

    #[test]
    fn container_header_bytes() {
        let b = written(|w| {
            w.write_list_begin(TType::String, 2);
            w.write_map_begin(TType::String, TType::I64, 1);
        });
        assert_eq!(b, [11, 0, 0, 0, 2, 11, 10, 0, 0, 0, 1]);
    }

    #[test]
    fn huge_and_negative_lengths() {
        // 2 GiB - 1 string length with 6 bytes of payload.
        let b = Bytes::from_static(&[0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6]);
        let e = BinaryReader::new(b).read_binary().unwrap_err();
        assert!(matches!(e.kind(), DecodeErrorKind::LengthLimit { .. }));
        let b = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 1]);
        let e = BinaryReader::new(b).read_binary().unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::NegativeLength(-1));
        // list<i64> claiming 2 elements with only 15 bytes left.
        let mut v = vec![10, 0, 0, 0, 2];
        v.extend_from_slice(&[0; 15]);
        let e = BinaryReader::new(v.into()).read_list_begin().unwrap_err();
        assert!(matches!(e.kind(), DecodeErrorKind::LengthLimit { .. }));
        // map count negative
        let b = Bytes::from_static(&[11, 11, 0x80, 0, 0, 0]);
        let e = BinaryReader::new(b).read_map_begin().unwrap_err();
        assert!(matches!(e.kind(), DecodeErrorKind::NegativeLength(_)));
    }

    #[test]
    fn binary_is_zero_copy() {
        // Strings longer than ByteStr's inline capacity share the input; shorter ones are
        // copied into the value (see `ByteStr`).
        let text = "a string longer than twenty-three bytes";
        let mut v = (text.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(text.as_bytes());
        let input = Bytes::from(v);
        let s = BinaryReader::new(input.clone()).read_string().unwrap();
        assert_eq!(s, text);
        assert_eq!(s.as_ptr(), input[4..].as_ptr());
        let b = BinaryReader::new(input.clone()).read_binary().unwrap();
        assert_eq!(b.as_ptr(), input[4..].as_ptr());
        let short = Bytes::from(vec![0, 0, 0, 3, b'a', b'b', b'c']);
        let s = BinaryReader::new(short).read_string().unwrap();
        assert_eq!(s, "abc");
        assert!(!s.is_shared());
    }
}
