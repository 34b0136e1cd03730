//! Thrift compact protocol.
//!
//! * Field headers carry the id as a delta from the previous field of the same
//!   struct (1..=15 folded into the high nibble of the type byte; otherwise the
//!   type byte is followed by the zigzag-varint id). A stack saves the previous
//!   id across nested structs.
//! * `bool` fields fold the value into the field header's type nibble
//!   (1 = true, 2 = false); standalone bools (container elements) are one byte,
//!   1 = true, 2 = false.
//! * `i16`/`i32`/`i64` are zigzag varints, `double` is 8 bytes little-endian,
//!   binary/string are varint length + bytes, `uuid` is 16 raw bytes.
//! * List/set header: `size << 4 | elem_type` when size < 15, else
//!   `0xF0 | elem_type` followed by a varint size. Map header: varint size,
//!   then (if non-empty) `key_type << 4 | value_type`.
//! * Message header: `0x82`, `version(1) | type << 5`, varint seq id, name.

use bytes::{Buf, Bytes};

use super::{
    check_count, FieldIdent, ListIdent, MapIdent, MessageIdent, MessageType, Reader, TType, Writer,
    DEFAULT_MAX_DEPTH,
};
use crate::error::{DecodeError, DecodeErrorKind};
use crate::sink::Sink;
use crate::varint::{
    decode_varint, decode_zigzag32, decode_zigzag64, encode_zigzag32, encode_zigzag64,
};
use crate::ByteStr;

/// First byte of every compact message.
pub const PROTOCOL_ID: u8 = 0x82;
/// Compact protocol version.
pub const VERSION: u8 = 1;
const VERSION_MASK: u8 = 0x1f;
const TYPE_SHIFT: u8 = 5;

mod ct {
    pub const STOP: u8 = 0;
    pub const BOOL_TRUE: u8 = 1;
    pub const BOOL_FALSE: u8 = 2;
    pub const BYTE: u8 = 3;
    pub const I16: u8 = 4;
    pub const I32: u8 = 5;
    pub const I64: u8 = 6;
    pub const DOUBLE: u8 = 7;
    pub const BINARY: u8 = 8;
    pub const LIST: u8 = 9;
    pub const SET: u8 = 10;
    pub const MAP: u8 = 11;
    pub const STRUCT: u8 = 12;
    pub const UUID: u8 = 13;
}

/// Compact type code of `t` (bool maps to `BOOL_TRUE`, as Apache does).
#[inline]
fn compact_type(t: TType) -> u8 {
    match t {
        TType::Stop | TType::Void => ct::STOP,
        TType::Bool => ct::BOOL_TRUE,
        TType::I8 => ct::BYTE,
        TType::I16 => ct::I16,
        TType::I32 => ct::I32,
        TType::I64 => ct::I64,
        TType::Double => ct::DOUBLE,
        TType::String => ct::BINARY,
        TType::List => ct::LIST,
        TType::Set => ct::SET,
        TType::Map => ct::MAP,
        TType::Struct => ct::STRUCT,
        TType::Uuid => ct::UUID,
    }
}

/// [`ttype`] as a table, indexed by the compact type code (a nibble): `None` for the codes
/// no type has. One load instead of a jump table on every field header.
static TTYPES: [Option<TType>; 16] = {
    let mut t = [None; 16];
    t[ct::BOOL_TRUE as usize] = Some(TType::Bool);
    t[ct::BOOL_FALSE as usize] = Some(TType::Bool);
    t[ct::BYTE as usize] = Some(TType::I8);
    t[ct::I16 as usize] = Some(TType::I16);
    t[ct::I32 as usize] = Some(TType::I32);
    t[ct::I64 as usize] = Some(TType::I64);
    t[ct::DOUBLE as usize] = Some(TType::Double);
    t[ct::BINARY as usize] = Some(TType::String);
    t[ct::LIST as usize] = Some(TType::List);
    t[ct::SET as usize] = Some(TType::Set);
    t[ct::MAP as usize] = Some(TType::Map);
    t[ct::STRUCT as usize] = Some(TType::Struct);
    t[ct::UUID as usize] = Some(TType::Uuid);
    t
};

/// The value a field header of compact type code `c` folds in: `Some` for the two bool
/// codes, `None` for every other type.
static FOLDED_BOOL: [Option<bool>; 16] = {
    let mut t = [None; 16];
    t[ct::BOOL_TRUE as usize] = Some(true);
    t[ct::BOOL_FALSE as usize] = Some(false);
    t
};

/// The type of compact type code `c` (`STOP` is `TType::Stop`; only field headers carry it).
#[inline]
fn ttype(c: u8) -> Result<TType, DecodeError> {
    if c == ct::STOP {
        return Ok(TType::Stop);
    }
    match TTYPES.get(usize::from(c)) {
        Some(&Some(t)) => Ok(t),
        _ => Err(DecodeError::new(DecodeErrorKind::InvalidType(c))),
    }
}

/// Minimum encoded size of one value of type `t` in the compact protocol.
#[inline]
fn min_size(t: TType) -> Result<usize, DecodeError> {
    match t {
        TType::Double => Ok(8),
        TType::Uuid => Ok(16),
        TType::Stop | TType::Void => Err(DecodeError::new(DecodeErrorKind::InvalidType(
            compact_type(t),
        ))),
        _ => Ok(1),
    }
}

/// Levels of [`IdStack`] kept inline.
const INLINE_IDS: usize = 16;

/// Saved "last field id" per open struct. The first 16 levels live inline,
/// so typical encodes/decodes never allocate for it.
#[derive(Debug, Clone, Default)]
struct IdStack {
    inline: [i16; INLINE_IDS],
    len: usize,
    spill: Vec<i16>,
}

impl IdStack {
    #[inline]
    fn len(&self) -> usize {
        self.len
    }
    #[inline]
    fn push(&mut self, v: i16) {
        if self.len < self.inline.len() {
            self.inline[self.len] = v;
        } else {
            self.spill.push(v);
        }
        self.len += 1;
    }
    /// Pushes `v` if fewer than `limit` levels are open, `limit` at most [`INLINE_IDS`]:
    /// one comparison (`len % INLINE_IDS` is `len`, which the compiler cannot know from
    /// `limit`, so there is no bounds check either). Returns whether it did.
    #[inline(always)]
    fn push_inline(&mut self, v: i16, limit: usize) -> bool {
        debug_assert!(limit <= INLINE_IDS);
        let len = self.len;
        if len < limit {
            self.inline[len % INLINE_IDS] = v;
            self.len = len + 1;
            true
        } else {
            false
        }
    }
    #[inline]
    fn pop(&mut self) -> Option<i16> {
        // One comparison for the usual case: an inline level (an empty stack wraps to
        // `usize::MAX` and goes the slow way, as do spilled levels).
        let n = self.len.wrapping_sub(1);
        if n < INLINE_IDS {
            self.len = n;
            Some(self.inline[n])
        } else {
            self.pop_slow()
        }
    }
    #[cold]
    #[inline(never)]
    fn pop_slow(&mut self) -> Option<i16> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        self.spill.pop()
    }
}

/// The id of the last field read or written (the compact protocol writes ids as deltas from
/// it), an `i16` held in an `i32`. Every header reads and writes it, the reader together with
/// the one-byte pending bool beside it: as an `i16`, its 2-byte store was followed by a 4-byte
/// load (the compiler widens the read over the byte beside it), which store-to-load
/// forwarding cannot serve, stalling every field header. Stored and loaded as 4 bytes, it is.
#[derive(Debug, Default, Clone, Copy)]
struct LastId(i32);

impl LastId {
    #[inline(always)]
    fn get(self) -> i16 {
        self.0 as i16
    }
    #[inline(always)]
    fn set(&mut self, id: i16) {
        self.0 = i32::from(id);
    }
}

/// Compact-protocol writer over any [`Sink`].
#[derive(Debug, Default)]
pub struct CompactWriter<S> {
    sink: S,
    last_field_id: LastId,
    stack: IdStack,
    pending_bool: Option<i16>,
}

impl<S: Sink> CompactWriter<S> {
    /// Writes into `sink`.
    #[inline]
    pub fn new(sink: S) -> Self {
        CompactWriter {
            sink,
            last_field_id: LastId::default(),
            stack: IdStack::default(),
            pending_bool: None,
        }
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

    /// The one-byte header of field `id` of compact type `c`, when the id delta fits in it
    /// (1..=15).
    #[inline(always)]
    fn short_header(&self, c: u8, id: i16) -> Option<u8> {
        let delta = i32::from(id) - i32::from(self.last_field_id.get());
        (1..=15)
            .contains(&delta)
            .then_some(((delta as u8) << 4) | c)
    }

    #[inline]
    fn field_header(&mut self, c: u8, id: i16) {
        match self.short_header(c, id) {
            Some(h) => self.sink.put_u8(h),
            None => {
                self.sink.put_u8(c);
                self.sink
                    .put_varint(u64::from(encode_zigzag32(i32::from(id))));
            }
        }
        self.last_field_id.set(id);
    }

    /// A field of compact type `c` whose value is the varint `v` and then `s` (a length and
    /// its bytes, or a scalar and nothing): with a one-byte header, one room check for all.
    #[inline(always)]
    fn varint_field(&mut self, c: u8, id: i16, v: u64, s: &[u8]) {
        match self.short_header(c, id) {
            Some(h) => {
                self.sink.put_u8_varint_slice(h, v, s);
                self.last_field_id.set(id);
            }
            None => {
                self.field_header(c, id);
                self.sink.put_varint_slice(v, s);
            }
        }
    }

    #[inline]
    fn put_len(&mut self, len: usize) {
        self.sink.put_varint(wire_len(len));
    }
}

/// A length as written on the wire: Thrift lengths are `i32`s (a longer value is a caller's
/// bug, not data: it panics rather than write a frame no peer can read).
#[inline(always)]
fn wire_len(len: usize) -> u64 {
    assert!(len <= i32::MAX as usize, "thrift: length exceeds i32::MAX");
    len as u64
}

impl<S: Sink> Writer for CompactWriter<S> {
    #[inline]
    fn write_message_begin(&mut self, name: &str, message_type: MessageType, seq_id: i32) {
        self.sink
            .put_slice(&[PROTOCOL_ID, VERSION | ((message_type as u8) << TYPE_SHIFT)]);
        self.sink.put_varint(u64::from(seq_id as u32));
        self.write_string(name);
    }
    #[inline]
    fn write_struct_begin(&mut self) {
        self.stack.push(self.last_field_id.get());
        self.last_field_id.set(0);
    }
    #[inline]
    fn write_struct_end(&mut self) {
        self.last_field_id.set(self.stack.pop().unwrap_or(0));
    }
    #[inline]
    fn write_field_begin(&mut self, ttype: TType, id: i16) {
        if ttype == TType::Bool {
            self.pending_bool = Some(id);
        } else {
            self.field_header(compact_type(ttype), id);
        }
    }
    #[inline]
    fn write_field_stop(&mut self) {
        self.sink.put_u8(ct::STOP);
    }
    #[inline]
    fn write_bool(&mut self, v: bool) {
        let c = if v { ct::BOOL_TRUE } else { ct::BOOL_FALSE };
        match self.pending_bool.take() {
            Some(id) => self.field_header(c, id),
            None => self.sink.put_u8(c),
        }
    }
    #[inline]
    fn write_i8(&mut self, v: i8) {
        self.sink.put_u8(v as u8);
    }
    #[inline]
    fn write_i16(&mut self, v: i16) {
        self.sink
            .put_varint(u64::from(encode_zigzag32(i32::from(v))));
    }
    #[inline]
    fn write_i32(&mut self, v: i32) {
        self.sink.put_varint(u64::from(encode_zigzag32(v)));
    }
    #[inline]
    fn write_i64(&mut self, v: i64) {
        self.sink.put_varint(encode_zigzag64(v));
    }
    #[inline]
    fn write_double(&mut self, v: f64) {
        self.sink.put_slice(&v.to_bits().to_le_bytes());
    }
    #[inline]
    fn write_uuid(&mut self, v: &[u8; 16]) {
        self.sink.put_slice(v);
    }
    #[inline(always)]
    fn write_binary(&mut self, v: &[u8]) {
        self.sink.put_varint_slice(wire_len(v.len()), v);
    }
    // Whole scalar fields: a one-byte header and the value with one room check (a header
    // written apart checks the room twice); a bool field is its header alone.
    #[inline(always)]
    fn bool_field(&mut self, id: i16, v: bool) {
        self.field_header(if v { ct::BOOL_TRUE } else { ct::BOOL_FALSE }, id);
    }
    #[inline(always)]
    fn i16_field(&mut self, id: i16, v: i16) {
        self.varint_field(ct::I16, id, u64::from(encode_zigzag32(i32::from(v))), &[]);
    }
    #[inline(always)]
    fn i32_field(&mut self, id: i16, v: i32) {
        self.varint_field(ct::I32, id, u64::from(encode_zigzag32(v)), &[]);
    }
    #[inline(always)]
    fn i64_field(&mut self, id: i16, v: i64) {
        self.varint_field(ct::I64, id, encode_zigzag64(v), &[]);
    }
    /// Header, length and bytes with one room check (when the header is one byte).
    #[inline(always)]
    fn string_field(&mut self, id: i16, v: &str) {
        self.binary_field(id, v.as_bytes())
    }
    #[inline(always)]
    fn binary_field(&mut self, id: i16, v: &[u8]) {
        self.varint_field(compact_type(TType::String), id, wire_len(v.len()), v);
    }
    #[inline]
    fn write_list_begin(&mut self, elem_type: TType, len: usize) {
        let c = compact_type(elem_type);
        if len < 15 {
            self.sink.put_u8(((len as u8) << 4) | c);
        } else {
            self.sink.put_u8(0xf0 | c);
            self.put_len(len);
        }
    }
    #[inline]
    fn write_set_begin(&mut self, elem_type: TType, len: usize) {
        self.write_list_begin(elem_type, len)
    }
    #[inline]
    fn write_map_begin(&mut self, key_type: TType, value_type: TType, len: usize) {
        if len == 0 {
            self.sink.put_u8(0);
        } else {
            self.put_len(len);
            self.sink
                .put_u8((compact_type(key_type) << 4) | compact_type(value_type));
        }
    }
}

/// Compact-protocol reader over [`Bytes`].
#[derive(Debug, Clone)]
pub struct CompactReader {
    buf: Bytes,
    last_field_id: LastId,
    stack: IdStack,
    pending_bool: Option<bool>,
    max_depth: u32,
    /// `min(max_depth, INLINE_IDS)`: below it, a struct opens without a further check.
    inline_depth: usize,
}

impl CompactReader {
    /// Reads from `buf`.
    #[inline]
    pub fn new(buf: Bytes) -> Self {
        CompactReader {
            buf,
            last_field_id: LastId::default(),
            stack: IdStack::default(),
            pending_bool: None,
            max_depth: DEFAULT_MAX_DEPTH,
            inline_depth: INLINE_IDS.min(DEFAULT_MAX_DEPTH as usize),
        }
    }
    /// Sets the struct nesting limit (default [`DEFAULT_MAX_DEPTH`]).
    pub fn with_max_depth(mut self, max_depth: u32) -> Self {
        self.max_depth = max_depth;
        self.inline_depth = INLINE_IDS.min(max_depth as usize);
        self
    }
    /// The unread input.
    #[inline]
    pub fn into_inner(self) -> Bytes {
        self.buf
    }

    #[inline]
    fn byte(&mut self) -> Result<u8, DecodeError> {
        match self.buf.first() {
            Some(&b) => {
                self.buf.advance(1);
                Ok(b)
            }
            None => Err(DecodeError::truncated()),
        }
    }

    /// A varint: the one-byte case inline, longer ones in one out-of-line call.
    #[inline(always)]
    fn varint(&mut self) -> Result<u64, DecodeError> {
        match self.buf.first() {
            Some(&b) if b < 0x80 => {
                self.buf.advance(1);
                Ok(u64::from(b))
            }
            _ => decode_varint(&mut self.buf),
        }
    }

    #[inline]
    fn varint32(&mut self) -> Result<u32, DecodeError> {
        let v = self.varint()?;
        u32::try_from(v).map_err(|_| DecodeError::new(DecodeErrorKind::InvalidVarint))
    }

    #[inline]
    fn read_len(&mut self) -> Result<usize, DecodeError> {
        let len = self.varint()?;
        if len > self.buf.len() as u64 {
            return Err(DecodeError::length_limit(len, self.buf.len()));
        }
        Ok(len as usize)
    }

    #[inline]
    fn count(&self, n: u64, min_elem: usize) -> Result<usize, DecodeError> {
        check_count(
            i64::try_from(n).unwrap_or(i64::MAX),
            min_elem,
            self.buf.len(),
        )
    }
}

impl CompactReader {
    /// `read_struct_begin` past the inline levels: the depth limit, then a spilled level.
    #[cold]
    #[inline(never)]
    fn struct_begin_deep(&mut self) -> Result<(), DecodeError> {
        if self.stack.len() >= self.max_depth as usize {
            return Err(DecodeError::new(DecodeErrorKind::DepthLimit));
        }
        self.stack.push(self.last_field_id.get());
        Ok(())
    }

    /// `read_field_begin` past the header byte: the long form (delta 0, the id follows as a
    /// zigzag varint), the id overflow error and invalid type codes.
    #[inline(never)]
    fn read_field_begin_slow(&mut self, c: u8, delta: u8) -> Result<FieldIdent, DecodeError> {
        let t = ttype(c)?;
        let id = if delta == 0 {
            self.read_i16()?
        } else {
            self.last_field_id
                .get()
                .checked_add(i16::from(delta))
                .ok_or_else(|| DecodeError::invalid_data("compact field id overflow"))?
        };
        self.pending_bool = FOLDED_BOOL[usize::from(c & 0x0f)];
        self.last_field_id.set(id);
        Ok(FieldIdent { ttype: t, id })
    }
}

impl Reader for CompactReader {
    fn read_message_begin(&mut self) -> Result<MessageIdent, DecodeError> {
        let id = self.byte()?;
        if id != PROTOCOL_ID {
            return Err(DecodeError::new(DecodeErrorKind::BadVersion));
        }
        let vt = self.byte()?;
        if vt & VERSION_MASK != VERSION {
            return Err(DecodeError::new(DecodeErrorKind::BadVersion));
        }
        let message_type = MessageType::from_u8(vt >> TYPE_SHIFT)?;
        let seq_id = self.varint32()? as i32;
        let name = self.read_string()?;
        Ok(MessageIdent {
            name,
            message_type,
            seq_id,
        })
    }

    #[inline]
    fn read_struct_begin(&mut self) -> Result<(), DecodeError> {
        if !self
            .stack
            .push_inline(self.last_field_id.get(), self.inline_depth)
        {
            self.struct_begin_deep()?;
        }
        self.last_field_id.set(0);
        Ok(())
    }

    #[inline]
    fn read_struct_end(&mut self) -> Result<(), DecodeError> {
        self.last_field_id.set(self.stack.pop().unwrap_or(0));
        Ok(())
    }

    #[inline(always)]
    fn read_field_begin(&mut self) -> Result<FieldIdent, DecodeError> {
        let b = self.byte()?;
        if b == ct::STOP {
            return Ok(FieldIdent {
                ttype: TType::Stop,
                id: 0,
            });
        }
        let c = b & 0x0f;
        let delta = b >> 4;
        // Fast path: the short form (id delta 1..=15 in the high nibble) and a valid type.
        // With a wrapping add, the id is greater than the last one exactly when the delta is
        // not 0 and the sum did not overflow: one comparison for both.
        let last = self.last_field_id.get();
        let id = last.wrapping_add(i16::from(delta));
        match TTYPES[usize::from(c)] {
            Some(ttype) if id > last => {
                // Every header sets it: a bool header its value, any other header `None`.
                self.pending_bool = FOLDED_BOOL[usize::from(c)];
                self.last_field_id.set(id);
                Ok(FieldIdent { ttype, id })
            }
            _ => self.read_field_begin_slow(c, delta),
        }
    }

    #[inline]
    fn read_bool(&mut self) -> Result<bool, DecodeError> {
        match self.pending_bool.take() {
            Some(v) => Ok(v),
            None => Ok(self.byte()? == ct::BOOL_TRUE),
        }
    }
    #[inline]
    fn read_i8(&mut self) -> Result<i8, DecodeError> {
        Ok(self.byte()? as i8)
    }
    #[inline]
    fn read_i16(&mut self) -> Result<i16, DecodeError> {
        let v = decode_zigzag32(self.varint32()?);
        i16::try_from(v).map_err(|_| DecodeError::new(DecodeErrorKind::InvalidVarint))
    }
    #[inline]
    fn read_i32(&mut self) -> Result<i32, DecodeError> {
        Ok(decode_zigzag32(self.varint32()?))
    }
    #[inline]
    fn read_i64(&mut self) -> Result<i64, DecodeError> {
        Ok(decode_zigzag64(self.varint()?))
    }
    #[inline]
    fn read_double(&mut self) -> Result<f64, DecodeError> {
        match self.buf.get(..8) {
            Some(s) => {
                let v = f64::from_bits(u64::from_le_bytes(s.try_into().unwrap()));
                self.buf.advance(8);
                Ok(v)
            }
            None => Err(DecodeError::truncated()),
        }
    }
    #[inline]
    fn read_uuid(&mut self) -> Result<[u8; 16], DecodeError> {
        match self.buf.get(..16) {
            Some(s) => {
                let v: [u8; 16] = s.try_into().unwrap();
                self.buf.advance(16);
                Ok(v)
            }
            None => Err(DecodeError::truncated()),
        }
    }
    #[inline]
    fn read_binary(&mut self) -> Result<Bytes, DecodeError> {
        let len = self.read_len()?;
        Ok(self.buf.split_to(len))
    }
    #[inline(always)]
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
        let b = self.byte()?;
        let elem_type = ttype(b & 0x0f)?;
        let mut n = u64::from(b >> 4);
        if n == 15 {
            n = self.varint()?;
        }
        let len = if n == 0 {
            0
        } else {
            self.count(n, min_size(elem_type)?)?
        };
        Ok(ListIdent { elem_type, len })
    }
    #[inline]
    fn read_set_begin(&mut self) -> Result<ListIdent, DecodeError> {
        self.read_list_begin()
    }
    #[inline]
    fn read_map_begin(&mut self) -> Result<MapIdent, DecodeError> {
        let n = self.varint()?;
        if n == 0 {
            return Ok(MapIdent {
                key_type: TType::Stop,
                value_type: TType::Stop,
                len: 0,
            });
        }
        let kv = self.byte()?;
        let key_type = ttype(kv >> 4)?;
        let value_type = ttype(kv & 0x0f)?;
        let len = self.count(n, min_size(key_type)? + min_size(value_type)?)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    fn written(f: impl FnOnce(&mut CompactWriter<BytesMut>)) -> Vec<u8> {
        let mut w = CompactWriter::new(BytesMut::new());
        f(&mut w);
        w.into_inner().to_vec()
    }

    /// `string_field`/`binary_field` (one room check when the header is one byte) and list
    /// elements' `write_binary` against the separate puts a `Vec<u8>` sink makes, for every
    /// length 0..=40 and field ids giving short headers (deltas 1 and 15) and long ones
    /// (delta 0, 16, negative), into a buffer sized by `Counter` (exact: no reallocation)
    /// and into one with no capacity.
    #[test]
    fn string_fields_match_the_separate_puts() {
        use crate::sink::Counter;
        let data: Vec<u8> = (0..48u8).map(|i| b'a' + i % 26).collect();
        /// `whole`: through `string_field`/`binary_field`; else header and value apart.
        fn fields<S: Sink>(w: &mut CompactWriter<S>, s: &[u8], whole: bool) {
            let text = std::str::from_utf8(s).unwrap();
            w.write_struct_begin();
            for id in [1i16, 2, 17, 17, 3, 300, 301] {
                if whole {
                    w.string_field(id, text);
                    w.binary_field(id + 1, s);
                } else {
                    w.write_field_begin(TType::String, id);
                    w.write_string(text);
                    w.write_field_begin(TType::String, id + 1);
                    w.write_binary(s);
                }
            }
            w.write_field_begin(TType::List, 400);
            w.write_list_begin(TType::String, 2);
            w.write_string(text);
            w.write_binary(s);
            w.write_field_stop();
            w.write_struct_end();
        }
        for n in 0..=40 {
            let s = &data[..n];
            let mut plain = CompactWriter::new(Vec::new());
            fields(&mut plain, s, false);
            let plain = plain.into_inner();
            let mut count = CompactWriter::new(Counter(0));
            fields(&mut count, s, true);
            assert_eq!(count.into_inner().0, plain.len(), "n={n}");
            let mut buf = BytesMut::with_capacity(plain.len());
            let (ptr, cap) = (buf.as_ptr(), buf.capacity());
            fields(&mut CompactWriter::new(&mut buf), s, true);
            assert_eq!(&buf[..], &plain[..], "n={n}");
            assert_eq!((buf.as_ptr(), buf.capacity()), (ptr, cap), "n={n} grew");
            assert_eq!(written(|w| fields(w, s, true)), plain, "n={n}");
        }
        // By hand: ids 1 and 2 (delta 1, BINARY 8), lengths 3 and 0.
        let b = written(|w| {
            w.write_struct_begin();
            w.string_field(1, "abc");
            w.binary_field(2, b"");
        });
        assert_eq!(b, [0x18, 0x03, b'a', b'b', b'c', 0x18, 0x00]);
    }

    /// The whole scalar fields (`bool_field`, `i16/i32/i64_field`: header and value with one
    /// room check) against header and value written apart into a `Vec<u8>`, for short
    /// headers (deltas 1 and 15) and long ones (delta 0, 16, negative), values of one to ten
    /// varint bytes, into an exact buffer (no reallocation), a buffer with no capacity, and
    /// counted.
    #[test]
    fn scalar_fields_match_the_separate_puts() {
        use crate::sink::Counter;
        fn fields<S: Sink>(w: &mut CompactWriter<S>, v: i64, whole: bool) {
            w.write_struct_begin();
            for id in [1i16, 2, 17, 17, 3, 300, 301, -5] {
                if whole {
                    w.bool_field(id, v % 2 == 0);
                    w.i16_field(id + 1, v as i16);
                    w.i32_field(id + 2, v as i32);
                    w.i64_field(id + 3, v);
                } else {
                    w.write_field_begin(TType::Bool, id);
                    w.write_bool(v % 2 == 0);
                    w.write_field_begin(TType::I16, id + 1);
                    w.write_i16(v as i16);
                    w.write_field_begin(TType::I32, id + 2);
                    w.write_i32(v as i32);
                    w.write_field_begin(TType::I64, id + 3);
                    w.write_i64(v);
                }
            }
            w.write_field_stop();
            w.write_struct_end();
        }
        for v in [
            0i64,
            1,
            -1,
            63,
            -64,
            64,
            1 << 20,
            -(1 << 40),
            i64::MAX,
            i64::MIN,
        ] {
            let mut plain = CompactWriter::new(Vec::new());
            fields(&mut plain, v, false);
            let plain = plain.into_inner();
            let mut count = CompactWriter::new(Counter(0));
            fields(&mut count, v, true);
            assert_eq!(count.into_inner().0, plain.len(), "v={v}");
            let mut buf = BytesMut::with_capacity(plain.len());
            let (ptr, cap) = (buf.as_ptr(), buf.capacity());
            fields(&mut CompactWriter::new(&mut buf), v, true);
            assert_eq!(&buf[..], &plain[..], "v={v}");
            assert_eq!((buf.as_ptr(), buf.capacity()), (ptr, cap), "v={v} grew");
            assert_eq!(written(|w| fields(w, v, true)), plain, "v={v}");
        }
        // By hand: id 1 (delta 1) i32 -1 (zigzag 1), id 2 bool true (delta 1, type 1).
        let b = written(|w| {
            w.write_struct_begin();
            w.i32_field(1, -1);
            w.bool_field(2, true);
        });
        assert_eq!(b, [0x15, 0x01, 0x11]);
    }

    #[test]
    fn field_header_deltas_and_long_form() {
        let b = written(|w| {
            w.write_struct_begin();
            w.write_field_begin(TType::I32, 1); // delta 1
            w.write_i32(-1); // zigzag 1
            w.write_field_begin(TType::I64, 16); // delta 15: short form
            w.write_i64(1); // zigzag 2
            w.write_field_begin(TType::I8, 32); // delta 16: long form
            w.write_i8(-1);
            w.write_field_begin(TType::I8, 5); // negative delta: long form
            w.write_i8(0);
            w.write_field_stop();
            w.write_struct_end();
        });
        assert_eq!(
            b,
            [0x15, 0x01, 0xf6, 0x02, 0x03, 0x40, 0xff, 0x03, 0x0a, 0x00, 0x00]
        );
        let mut r = CompactReader::new(b.into());
        r.read_struct_begin().unwrap();
        let ids: Vec<_> = (0..4)
            .map(|_| {
                let f = r.read_field_begin().unwrap();
                r.skip(f.ttype).unwrap();
                (f.ttype, f.id)
            })
            .collect();
        assert_eq!(
            ids,
            [
                (TType::I32, 1),
                (TType::I64, 16),
                (TType::I8, 32),
                (TType::I8, 5)
            ]
        );
        assert_eq!(r.read_field_begin().unwrap().ttype, TType::Stop);
    }

    #[test]
    fn bool_folded_into_field_header() {
        let b = written(|w| {
            w.write_struct_begin();
            w.write_field_begin(TType::Bool, 1);
            w.write_bool(true);
            w.write_field_begin(TType::Bool, 2);
            w.write_bool(false);
            w.write_field_begin(TType::List, 3);
            w.write_list_begin(TType::Bool, 2);
            w.write_bool(true);
            w.write_bool(false);
            w.write_field_stop();
            w.write_struct_end();
        });
        assert_eq!(b, [0x11, 0x12, 0x19, 0x21, 0x01, 0x02, 0x00]);
        let mut r = CompactReader::new(b.into());
        r.read_struct_begin().unwrap();
        assert_eq!(r.read_field_begin().unwrap().ttype, TType::Bool);
        assert!(r.read_bool().unwrap());
        assert_eq!(r.read_field_begin().unwrap().id, 2);
        assert!(!r.read_bool().unwrap());
        r.read_field_begin().unwrap();
        let l = r.read_list_begin().unwrap();
        assert_eq!((l.elem_type, l.len), (TType::Bool, 2));
        assert!(r.read_bool().unwrap());
        assert!(!r.read_bool().unwrap());
    }

    #[test]
    fn nested_struct_restores_last_field_id() {
        let b = written(|w| {
            w.write_struct_begin();
            w.write_field_begin(TType::Struct, 10);
            w.write_struct_begin();
            w.write_field_begin(TType::I8, 1);
            w.write_i8(1);
            w.write_field_stop();
            w.write_struct_end();
            w.write_field_begin(TType::I8, 11); // delta 1 from outer 10
            w.write_i8(2);
            w.write_field_stop();
            w.write_struct_end();
        });
        assert_eq!(b, [0xac, 0x13, 0x01, 0x00, 0x13, 0x02, 0x00]);
    }

    #[test]
    fn message_header_bytes() {
        let b = written(|w| w.write_message_begin("ab", MessageType::Reply, 300));
        assert_eq!(b, [0x82, 0x41, 0xac, 0x02, 0x02, b'a', b'b']);
        let m = CompactReader::new(b.into()).read_message_begin().unwrap();
        assert_eq!(m.name, "ab");
        assert_eq!(m.message_type, MessageType::Reply);
        assert_eq!(m.seq_id, 300);
        let e = CompactReader::new(Bytes::from_static(&[0x82, 0x22, 0, 0]))
            .read_message_begin()
            .unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::BadVersion);
    }

    #[test]
    fn scalars_and_containers() {
        let b = written(|w| {
            w.write_i16(-3);
            w.write_i64(i64::MIN);
            w.write_double(1.0);
            w.write_list_begin(TType::I32, 15);
            w.write_map_begin(TType::String, TType::I64, 0);
            w.write_map_begin(TType::String, TType::I64, 2);
        });
        let mut expect = vec![0x05];
        expect.extend_from_slice(&[0xff; 9]);
        expect.push(0x01);
        expect.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
        expect.extend_from_slice(&[0xf5, 0x0f, 0x00, 0x02, 0x86]);
        assert_eq!(b, expect);
    }

    #[test]
    fn hostile_lengths() {
        // string length 2^31 with 3 bytes left
        let b = Bytes::from_static(&[0x80, 0x80, 0x80, 0x80, 0x08, 1, 2, 3]);
        let e = CompactReader::new(b).read_binary().unwrap_err();
        assert!(matches!(e.kind(), DecodeErrorKind::LengthLimit { .. }));
        // list of 1000 doubles with 10 bytes left
        let mut v = vec![0xf7, 0xe8, 0x07];
        v.extend_from_slice(&[0; 10]);
        let e = CompactReader::new(v.into()).read_list_begin().unwrap_err();
        assert!(matches!(e.kind(), DecodeErrorKind::LengthLimit { .. }));
        // map with u64::MAX entries
        let mut v = vec![0xff; 9];
        v.push(0x01);
        v.push(0x88);
        let e = CompactReader::new(v.into()).read_map_begin().unwrap_err();
        assert!(matches!(e.kind(), DecodeErrorKind::LengthLimit { .. }));
        // i32 varint overflowing 32 bits
        let b = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0x7f]);
        let e = CompactReader::new(b).read_i32().unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::InvalidVarint);
    }
}

#[cfg(test)]
mod field_header_tests {
    use super::*;

    /// Every header byte after a field with id `last`: the type nibble's 16 codes and the
    /// delta nibble's 16 values, against the definition (short form for deltas 1..=15 that
    /// do not overflow, long form with a zigzag id for delta 0, errors otherwise).
    #[test]
    fn every_header_byte_after_every_kind_of_last_id() {
        for last in [
            0i16,
            1,
            100,
            i16::MAX - 15,
            i16::MAX - 1,
            i16::MAX,
            -5,
            i16::MIN,
        ] {
            for b in 0..=255u8 {
                // The long form's id: zigzag varint 7 (id -4).
                let input = Bytes::from(vec![b, 0x07, 0x00]);
                let mut r = CompactReader::new(input);
                r.last_field_id.set(last);
                r.pending_bool = Some(true);
                let got = r.read_field_begin();
                let (c, delta) = (b & 0x0f, b >> 4);
                if b == 0 {
                    assert_eq!(got.unwrap().ttype, TType::Stop);
                    continue;
                }
                let want_t = match ttype(c) {
                    Ok(t) => t,
                    Err(_) => {
                        assert_eq!(got.unwrap_err().kind(), &DecodeErrorKind::InvalidType(c));
                        continue;
                    }
                };
                let want_id = if delta == 0 {
                    Some(-4)
                } else {
                    last.checked_add(i16::from(delta))
                };
                match (got, want_id) {
                    (Ok(f), Some(id)) => {
                        assert_eq!((f.ttype, f.id), (want_t, id), "byte {b:#04x} last {last}");
                        assert_eq!(r.last_field_id.get(), id);
                        let folded = match c {
                            ct::BOOL_TRUE => Some(true),
                            ct::BOOL_FALSE => Some(false),
                            _ => None,
                        };
                        // A non-bool header clears a bool left pending.
                        assert_eq!(r.pending_bool, folded, "byte {b:#04x}");
                    }
                    (Err(e), None) => {
                        assert!(matches!(e.kind(), DecodeErrorKind::InvalidData(_)), "{e}")
                    }
                    (got, want) => panic!("byte {b:#04x} last {last}: {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn truncated_header_and_long_form_id() {
        assert_eq!(
            CompactReader::new(Bytes::new())
                .read_field_begin()
                .unwrap_err()
                .kind(),
            &DecodeErrorKind::Truncated
        );
        // Long form whose id varint is cut off, and one whose id overflows i16.
        for input in [&[0x05u8][..], &[0x05, 0x80], &[0x05, 0x80, 0x80, 0x04]] {
            let e = CompactReader::new(Bytes::copy_from_slice(input))
                .read_field_begin()
                .unwrap_err();
            assert!(
                matches!(
                    e.kind(),
                    DecodeErrorKind::Truncated | DecodeErrorKind::InvalidVarint
                ),
                "{input:02x?}: {e}"
            );
        }
    }

    /// A struct of every field kind, read from each truncation of its encoding: an error
    /// every time, never a panic, and the whole encoding reads back.
    #[test]
    fn every_truncation_is_an_error() {
        let mut w = CompactWriter::new(bytes::BytesMut::new());
        w.write_struct_begin();
        w.bool_field(1, true);
        w.i64_field(2, -1_234_567_890_123);
        w.string_field(3, "a short name");
        w.string_field(20, "a string longer than twenty-three bytes, shared");
        w.bool_field(21, false);
        w.write_field_begin(TType::List, 22);
        w.write_list_begin(TType::Bool, 2);
        w.write_bool(false);
        w.write_bool(true);
        w.write_field_begin(TType::Map, 23);
        w.write_map_begin(TType::String, TType::I32, 1);
        w.write_string("k");
        w.write_i32(300);
        w.i32_field(-3, 7);
        w.write_field_stop();
        w.write_struct_end();
        let full = w.into_inner().freeze();
        let read = |b: Bytes| -> Result<(), DecodeError> {
            let mut r = CompactReader::new(b);
            r.skip(TType::Struct)
        };
        read(full.clone()).unwrap();
        for n in 0..full.len() {
            assert!(read(full.slice(..n)).is_err(), "prefix of {n} bytes read");
        }
        // And the values come back, bools folded and standalone.
        let mut r = CompactReader::new(full);
        r.read_struct_begin().unwrap();
        let f = r.read_field_begin().unwrap();
        assert_eq!((f.ttype, f.id), (TType::Bool, 1));
        assert!(r.read_bool().unwrap());
        r.read_field_begin().unwrap();
        assert_eq!(r.read_i64().unwrap(), -1_234_567_890_123);
        r.read_field_begin().unwrap();
        assert_eq!(r.read_string().unwrap(), "a short name");
        let f = r.read_field_begin().unwrap();
        assert_eq!(f.id, 20);
        assert_eq!(
            r.read_string().unwrap(),
            "a string longer than twenty-three bytes, shared"
        );
        r.read_field_begin().unwrap();
        assert!(!r.read_bool().unwrap());
        r.read_field_begin().unwrap();
        assert_eq!(r.read_list_begin().unwrap().len, 2);
        assert!(!r.read_bool().unwrap());
        assert!(r.read_bool().unwrap());
        r.read_field_begin().unwrap();
        assert_eq!(r.read_map_begin().unwrap().len, 1);
        assert_eq!(r.read_string().unwrap(), "k");
        assert_eq!(r.read_i32().unwrap(), 300);
        let f = r.read_field_begin().unwrap();
        assert_eq!((f.ttype, f.id), (TType::I32, -3));
        assert_eq!(r.read_i32().unwrap(), 7);
        assert_eq!(r.read_field_begin().unwrap().ttype, TType::Stop);
    }
}

#[cfg(test)]
mod stack_tests {
    use super::IdStack;

    /// Structs nested `depth` deep, each with a field before and after its child, read
    /// under every limit around the inline levels: up to the limit they read back (the last
    /// field id restored at every level, inline or spilled), one more is a depth error.
    #[test]
    fn nesting_at_and_past_every_limit() {
        use super::*;
        fn nested(depth: usize) -> Bytes {
            let mut w = CompactWriter::new(bytes::BytesMut::new());
            for _ in 0..depth {
                w.write_struct_begin();
                w.i8_field(3, 1);
                w.write_field_begin(TType::Struct, 7);
            }
            w.write_struct_begin();
            w.write_field_stop();
            w.write_struct_end();
            for _ in 0..depth {
                w.i8_field(8, 2); // delta 1 from the child field: needs the restored id 7
                w.write_field_stop();
                w.write_struct_end();
            }
            w.into_inner().freeze()
        }
        fn read(r: &mut CompactReader, levels: usize) -> Result<(), DecodeError> {
            r.read_struct_begin()?;
            if levels > 0 {
                let f = r.read_field_begin()?;
                assert_eq!((f.id, r.read_i8()?), (3, 1));
                assert_eq!(r.read_field_begin()?.id, 7);
                read(r, levels - 1)?;
                let f = r.read_field_begin()?;
                assert_eq!((f.ttype, f.id, r.read_i8()?), (TType::I8, 8, 2));
            }
            assert_eq!(r.read_field_begin()?.ttype, TType::Stop);
            r.read_struct_end()
        }
        for limit in [1u32, 2, 15, 16, 17, 18, 40, 64] {
            for levels in [limit as usize - 1, limit as usize] {
                let mut r = CompactReader::new(nested(levels)).with_max_depth(limit);
                let got = read(&mut r, levels);
                if levels < limit as usize {
                    got.unwrap();
                    assert_eq!(r.remaining(), 0);
                } else {
                    assert_eq!(got.unwrap_err().kind(), &DecodeErrorKind::DepthLimit);
                }
            }
        }
    }

    #[test]
    fn id_stack_spills_past_inline_capacity() {
        let mut s = IdStack::default();
        for i in 0..40 {
            s.push(i);
        }
        assert_eq!(s.len(), 40);
        for i in (0..40).rev() {
            assert_eq!(s.pop(), Some(i));
        }
        assert_eq!(s.pop(), None);
    }
}
