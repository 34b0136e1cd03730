//! Thrift protocols: the [`Reader`] / [`Writer`] traits, their binary and
//! compact implementations, and the [`ThriftStruct`] trait generated code
//! implements.
//!
//! # How generated code uses this module
//!
//! A generated struct implements [`ThriftStruct`] with two methods, both
//! generic over the protocol so one body serves binary and compact:
//!
//! ```
//! use kit_runtime::thrift::{Reader, TType, ThriftStruct, Writer};
//! use kit_runtime::{ByteStr, DecodeError, ResultExt};
//!
//! #[derive(Debug, Default, PartialEq)]
//! struct User { id: i64, name: ByteStr }
//!
//! impl ThriftStruct for User {
//!     fn write<W: Writer>(&self, w: &mut W) {
//!         w.write_struct_begin();
//!         w.write_field_begin(TType::I64, 1);
//!         w.write_i64(self.id);
//!         w.write_field_end();
//!         w.write_field_begin(TType::String, 2);
//!         w.write_string(&self.name);
//!         w.write_field_end();
//!         w.write_field_stop();
//!         w.write_struct_end();
//!     }
//!     fn read<R: Reader>(r: &mut R) -> Result<Self, DecodeError> {
//!         let mut out = User::default();
//!         r.read_struct_begin()?;
//!         loop {
//!             let f = r.read_field_begin()?;
//!             match (f.id, f.ttype) {
//!                 (_, TType::Stop) => break,
//!                 (1, TType::I64) => out.id = r.read_i64().in_field("User", "id")?,
//!                 (2, TType::String) => out.name = r.read_string().in_field("User", "name")?,
//!                 (_, t) => r.skip(t)?,
//!             }
//!             r.read_field_end()?;
//!         }
//!         r.read_struct_end()?;
//!         Ok(out)
//!     }
//! }
//!
//! let u = User { id: 7, name: "ann".into() };
//! assert_eq!(User::decode_compact(u.encode_compact()).unwrap(), u);
//! assert_eq!(User::decode_binary(u.encode_binary()).unwrap(), u);
//! assert_eq!(u.encoded_len::<kit_runtime::thrift::Binary>(), u.encode_binary().len());
//! ```
//!
//! The complete model codegen follows (containers, maps, optional and required
//! fields, nested structs) lives in `runtime/tests/thrift_example.rs`.
//!
//! # Safety against hostile input
//!
//! * Every string/binary length is checked against the bytes remaining before
//!   slicing; negative lengths are rejected.
//! * Every container element count is checked against the bytes remaining
//!   times the minimum wire size of one element (≥ 1 byte), so a returned
//!   `len` never exceeds the remaining input: `Vec::with_capacity(len)` in
//!   generated code is bounded by input size.
//! * Struct nesting (both in generated `read` and in [`Reader::skip`]) is
//!   limited to [`DEFAULT_MAX_DEPTH`] (64, as Apache Thrift).

use bytes::{Bytes, BytesMut};

use crate::error::{DecodeError, DecodeErrorKind};
use crate::sink::{Counter, Cursor, Sink};
use crate::ByteStr;

pub mod app_exception;
pub mod binary;
pub mod compact;
pub mod helpers;
pub mod rpc;

pub use app_exception::{ApplicationException, ApplicationExceptionKind};
pub use binary::{BinaryReader, BinaryWriter};
pub use compact::{CompactReader, CompactWriter};

/// Default nesting limit for structs and containers, as in Apache Thrift.
pub const DEFAULT_MAX_DEPTH: u32 = 64;

/// Thrift type codes (the binary protocol's numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TType {
    /// End of a struct's fields.
    Stop = 0,
    /// Void (only in method results; never on the wire as a field).
    Void = 1,
    /// `bool`
    Bool = 2,
    /// `i8` / `byte`
    I8 = 3,
    /// `double`
    Double = 4,
    /// `i16`
    I16 = 6,
    /// `i32` (also enums)
    I32 = 8,
    /// `i64`
    I64 = 10,
    /// `string` and `binary`
    String = 11,
    /// struct, union, exception
    Struct = 12,
    /// `map<K, V>`
    Map = 13,
    /// `set<T>`
    Set = 14,
    /// `list<T>`
    List = 15,
    /// `uuid` (16 bytes)
    Uuid = 16,
}

impl TType {
    /// Parses a binary-protocol type code.
    #[inline]
    pub fn from_u8(b: u8) -> Result<TType, DecodeError> {
        Ok(match b {
            0 => TType::Stop,
            1 => TType::Void,
            2 => TType::Bool,
            3 => TType::I8,
            4 => TType::Double,
            6 => TType::I16,
            8 => TType::I32,
            10 => TType::I64,
            11 => TType::String,
            12 => TType::Struct,
            13 => TType::Map,
            14 => TType::Set,
            15 => TType::List,
            16 => TType::Uuid,
            _ => return Err(DecodeError::new(DecodeErrorKind::InvalidType(b))),
        })
    }
}

/// Thrift message types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageType {
    /// A request.
    Call = 1,
    /// A successful (or declared-exception) response.
    Reply = 2,
    /// An [`ApplicationException`] response.
    Exception = 3,
    /// A request with no response.
    Oneway = 4,
}

impl MessageType {
    /// Parses a message type code.
    #[inline]
    pub fn from_u8(b: u8) -> Result<MessageType, DecodeError> {
        Ok(match b {
            1 => MessageType::Call,
            2 => MessageType::Reply,
            3 => MessageType::Exception,
            4 => MessageType::Oneway,
            _ => {
                return Err(DecodeError::invalid_data(format!(
                    "invalid message type {b}"
                )))
            }
        })
    }
}

/// A decoded message header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageIdent {
    /// Method name.
    pub name: ByteStr,
    /// Call / Reply / Exception / Oneway.
    pub message_type: MessageType,
    /// Sequence id.
    pub seq_id: i32,
}

/// A decoded field header. `ttype == TType::Stop` marks the end of a struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldIdent {
    /// Wire type of the field.
    pub ttype: TType,
    /// Field id (0 for Stop).
    pub id: i16,
}

/// A decoded list or set header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListIdent {
    /// Element type.
    pub elem_type: TType,
    /// Element count, already checked to be ≤ the bytes remaining.
    pub len: usize,
}

/// A decoded map header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapIdent {
    /// Key type (`Stop` for an empty compact map, which carries no types).
    pub key_type: TType,
    /// Value type (`Stop` for an empty compact map).
    pub value_type: TType,
    /// Entry count, already checked to be ≤ the bytes remaining.
    pub len: usize,
}

/// Encoder half of a Thrift protocol.
///
/// Writing is infallible: sinks grow as needed. Lengths above `i32::MAX`
/// cannot be represented by Thrift and panic.
pub trait Writer {
    /// Message header.
    fn write_message_begin(&mut self, name: &str, message_type: MessageType, seq_id: i32);
    /// Message trailer (no bytes in binary or compact).
    fn write_message_end(&mut self) {}
    /// Struct start.
    fn write_struct_begin(&mut self);
    /// Struct end (does not write the stop byte; call [`write_field_stop`](Self::write_field_stop)).
    fn write_struct_end(&mut self);
    /// Field header. In compact, a `Bool` header is deferred to the following `write_bool`.
    fn write_field_begin(&mut self, ttype: TType, id: i16);
    /// Field trailer (no bytes).
    fn write_field_end(&mut self) {}
    /// A whole `bool` field (header, value, trailer). The `*_field` methods keep generated
    /// code to one call per scalar field: less to generate, print and compile.
    #[inline(always)]
    fn bool_field(&mut self, id: i16, v: bool) {
        self.write_field_begin(TType::Bool, id);
        self.write_bool(v);
        self.write_field_end();
    }
    /// A whole `i8` field.
    #[inline(always)]
    fn i8_field(&mut self, id: i16, v: i8) {
        self.write_field_begin(TType::I8, id);
        self.write_i8(v);
        self.write_field_end();
    }
    /// A whole `i16` field.
    #[inline(always)]
    fn i16_field(&mut self, id: i16, v: i16) {
        self.write_field_begin(TType::I16, id);
        self.write_i16(v);
        self.write_field_end();
    }
    /// A whole `i32` field (also an enum's value).
    #[inline(always)]
    fn i32_field(&mut self, id: i16, v: i32) {
        self.write_field_begin(TType::I32, id);
        self.write_i32(v);
        self.write_field_end();
    }
    /// A whole `i64` field.
    #[inline(always)]
    fn i64_field(&mut self, id: i16, v: i64) {
        self.write_field_begin(TType::I64, id);
        self.write_i64(v);
        self.write_field_end();
    }
    /// A whole `double` field.
    #[inline(always)]
    fn double_field(&mut self, id: i16, v: f64) {
        self.write_field_begin(TType::Double, id);
        self.write_double(v);
        self.write_field_end();
    }
    /// A whole `string` field.
    #[inline(always)]
    fn string_field(&mut self, id: i16, v: &str) {
        self.write_field_begin(TType::String, id);
        self.write_string(v);
        self.write_field_end();
    }
    /// A whole `binary` field.
    #[inline(always)]
    fn binary_field(&mut self, id: i16, v: &[u8]) {
        self.write_field_begin(TType::String, id);
        self.write_binary(v);
        self.write_field_end();
    }
    /// A whole `uuid` field.
    #[inline(always)]
    fn uuid_field(&mut self, id: i16, v: &[u8; 16]) {
        self.write_field_begin(TType::Uuid, id);
        self.write_uuid(v);
        self.write_field_end();
    }
    /// The stop marker ending a struct's fields.
    fn write_field_stop(&mut self);
    /// `bool`
    fn write_bool(&mut self, v: bool);
    /// `i8`
    fn write_i8(&mut self, v: i8);
    /// `i16`
    fn write_i16(&mut self, v: i16);
    /// `i32`
    fn write_i32(&mut self, v: i32);
    /// `i64`
    fn write_i64(&mut self, v: i64);
    /// `double`
    fn write_double(&mut self, v: f64);
    /// `uuid` (16 raw bytes, RFC 4122 byte order)
    fn write_uuid(&mut self, v: &[u8; 16]);
    /// `binary`
    fn write_binary(&mut self, v: &[u8]);
    /// `string`
    #[inline(always)]
    fn write_string(&mut self, v: &str) {
        self.write_binary(v.as_bytes())
    }
    /// List header.
    fn write_list_begin(&mut self, elem_type: TType, len: usize);
    /// List trailer (no bytes).
    fn write_list_end(&mut self) {}
    /// Set header.
    fn write_set_begin(&mut self, elem_type: TType, len: usize);
    /// Set trailer (no bytes).
    fn write_set_end(&mut self) {}
    /// Map header.
    fn write_map_begin(&mut self, key_type: TType, value_type: TType, len: usize);
    /// Map trailer (no bytes).
    fn write_map_end(&mut self) {}
}

/// Decoder half of a Thrift protocol, reading from a [`Bytes`] buffer.
///
/// `read_binary` / `read_string` return zero-copy slices of the input.
pub trait Reader {
    /// Message header.
    fn read_message_begin(&mut self) -> Result<MessageIdent, DecodeError>;
    /// Message trailer.
    #[inline]
    fn read_message_end(&mut self) -> Result<(), DecodeError> {
        Ok(())
    }
    /// Struct start; enforces the nesting limit.
    fn read_struct_begin(&mut self) -> Result<(), DecodeError>;
    /// Struct end.
    fn read_struct_end(&mut self) -> Result<(), DecodeError>;
    /// Next field header, or `ttype == Stop`.
    fn read_field_begin(&mut self) -> Result<FieldIdent, DecodeError>;
    /// Field trailer.
    #[inline]
    fn read_field_end(&mut self) -> Result<(), DecodeError> {
        Ok(())
    }
    /// `bool`
    fn read_bool(&mut self) -> Result<bool, DecodeError>;
    /// `i8`
    fn read_i8(&mut self) -> Result<i8, DecodeError>;
    /// `i16`
    fn read_i16(&mut self) -> Result<i16, DecodeError>;
    /// `i32`
    fn read_i32(&mut self) -> Result<i32, DecodeError>;
    /// `i64`
    fn read_i64(&mut self) -> Result<i64, DecodeError>;
    /// `double`
    fn read_double(&mut self) -> Result<f64, DecodeError>;
    /// `uuid`
    fn read_uuid(&mut self) -> Result<[u8; 16], DecodeError>;
    /// `binary`: a zero-copy slice of the input.
    fn read_binary(&mut self) -> Result<Bytes, DecodeError>;
    /// `string`: a zero-copy, UTF-8-validated slice of the input.
    #[inline]
    fn read_string(&mut self) -> Result<ByteStr, DecodeError> {
        let b = self.read_binary()?;
        ByteStr::from_utf8(b).map_err(|_| DecodeError::new(DecodeErrorKind::InvalidUtf8))
    }
    /// Skips a `binary`/`string` without materialising it.
    #[inline]
    fn skip_binary(&mut self) -> Result<(), DecodeError> {
        self.read_binary().map(drop)
    }
    /// List header (count validated against remaining input).
    fn read_list_begin(&mut self) -> Result<ListIdent, DecodeError>;
    /// List trailer.
    #[inline]
    fn read_list_end(&mut self) -> Result<(), DecodeError> {
        Ok(())
    }
    /// Set header (count validated against remaining input).
    fn read_set_begin(&mut self) -> Result<ListIdent, DecodeError>;
    /// Set trailer.
    #[inline]
    fn read_set_end(&mut self) -> Result<(), DecodeError> {
        Ok(())
    }
    /// Map header (count validated against remaining input).
    fn read_map_begin(&mut self) -> Result<MapIdent, DecodeError>;
    /// Map trailer.
    #[inline]
    fn read_map_end(&mut self) -> Result<(), DecodeError> {
        Ok(())
    }
    /// Bytes not yet consumed.
    fn remaining(&self) -> usize;

    /// Skips one value of type `ttype` with the default depth budget
    /// ([`DEFAULT_MAX_DEPTH`]). Generated code calls this for unknown fields.
    #[inline]
    fn skip(&mut self, ttype: TType) -> Result<(), DecodeError> {
        self.skip_depth(ttype, DEFAULT_MAX_DEPTH)
    }

    /// Skips one value of type `ttype`; nested structs and containers each
    /// consume one unit of `depth`, and reaching 0 fails with
    /// [`DecodeErrorKind::DepthLimit`].
    fn skip_depth(&mut self, ttype: TType, depth: u32) -> Result<(), DecodeError> {
        match ttype {
            TType::Bool => self.read_bool().map(drop),
            TType::I8 => self.read_i8().map(drop),
            TType::I16 => self.read_i16().map(drop),
            TType::I32 => self.read_i32().map(drop),
            TType::I64 => self.read_i64().map(drop),
            TType::Double => self.read_double().map(drop),
            TType::Uuid => self.read_uuid().map(drop),
            TType::String => self.skip_binary(),
            TType::Struct => {
                if depth == 0 {
                    return Err(DecodeError::new(DecodeErrorKind::DepthLimit));
                }
                self.read_struct_begin()?;
                loop {
                    let f = self.read_field_begin()?;
                    if f.ttype == TType::Stop {
                        break;
                    }
                    self.skip_depth(f.ttype, depth - 1)?;
                    self.read_field_end()?;
                }
                self.read_struct_end()
            }
            TType::List | TType::Set => {
                if depth == 0 {
                    return Err(DecodeError::new(DecodeErrorKind::DepthLimit));
                }
                let l = if ttype == TType::List {
                    self.read_list_begin()?
                } else {
                    self.read_set_begin()?
                };
                for _ in 0..l.len {
                    self.skip_depth(l.elem_type, depth - 1)?;
                }
                if ttype == TType::List {
                    self.read_list_end()
                } else {
                    self.read_set_end()
                }
            }
            TType::Map => {
                if depth == 0 {
                    return Err(DecodeError::new(DecodeErrorKind::DepthLimit));
                }
                let m = self.read_map_begin()?;
                for _ in 0..m.len {
                    self.skip_depth(m.key_type, depth - 1)?;
                    self.skip_depth(m.value_type, depth - 1)?;
                }
                self.read_map_end()
            }
            TType::Stop | TType::Void => {
                Err(DecodeError::new(DecodeErrorKind::InvalidType(ttype as u8)))
            }
        }
    }
}

/// Checks a container count: non-negative, and `count * min_elem_size` fits in
/// the bytes remaining.
#[inline]
pub(crate) fn check_count(
    count: i64,
    min_elem_size: usize,
    remaining: usize,
) -> Result<usize, DecodeError> {
    if count < 0 {
        return Err(DecodeError::new(DecodeErrorKind::NegativeLength(count)));
    }
    let n = count as u64;
    match n.checked_mul(min_elem_size as u64) {
        Some(total) if total <= remaining as u64 => Ok(n as usize),
        _ => Err(DecodeError::length_limit(n, remaining)),
    }
}

/// A Thrift protocol, as a type-level marker: [`Binary`] or [`Compact`].
pub trait Protocol {
    /// Writer over any sink.
    type Writer<S: Sink>: Writer;
    /// Reader over `Bytes`.
    type Reader: Reader;
    /// Creates a writer.
    fn writer<S: Sink>(sink: S) -> Self::Writer<S>;
    /// Recovers the sink from a writer.
    fn into_sink<S: Sink>(w: Self::Writer<S>) -> S;
    /// Creates a reader.
    fn reader(buf: Bytes) -> Self::Reader;
}

/// The binary protocol (strict write, lenient read).
#[derive(Debug, Clone, Copy, Default)]
pub struct Binary;
/// The compact protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct Compact;

impl Protocol for Binary {
    type Writer<S: Sink> = BinaryWriter<S>;
    type Reader = BinaryReader;
    #[inline]
    fn writer<S: Sink>(sink: S) -> BinaryWriter<S> {
        BinaryWriter::new(sink)
    }
    #[inline]
    fn into_sink<S: Sink>(w: BinaryWriter<S>) -> S {
        w.into_inner()
    }
    #[inline]
    fn reader(buf: Bytes) -> BinaryReader {
        BinaryReader::new(buf)
    }
}

impl Protocol for Compact {
    type Writer<S: Sink> = CompactWriter<S>;
    type Reader = CompactReader;
    #[inline]
    fn writer<S: Sink>(sink: S) -> CompactWriter<S> {
        CompactWriter::new(sink)
    }
    #[inline]
    fn into_sink<S: Sink>(w: CompactWriter<S>) -> S {
        w.into_inner()
    }
    #[inline]
    fn reader(buf: Bytes) -> CompactReader {
        CompactReader::new(buf)
    }
}

/// Implemented by every generated Thrift struct, union and exception.
///
/// Only [`write`](Self::write) and [`read`](Self::read) are generated; sizing
/// runs `write` against a [`Counter`] sink, so it is exact by construction.
pub trait ThriftStruct: Sized {
    /// Writes the struct (from `write_struct_begin` to `write_struct_end`).
    fn write<W: Writer>(&self, w: &mut W);
    /// Reads the struct (from `read_struct_begin` to `read_struct_end`).
    fn read<R: Reader>(r: &mut R) -> Result<Self, DecodeError>;

    /// Exact encoded size under protocol `P`.
    #[inline]
    fn encoded_len<P: Protocol>(&self) -> usize {
        let mut w = P::writer(Counter(0));
        self.write(&mut w);
        P::into_sink(w).0
    }

    /// Appends the encoding under `P` to `buf`, reserving the exact size once.
    #[inline]
    fn encode_to<P: Protocol>(&self, buf: &mut BytesMut) {
        buf.reserve(self.encoded_len::<P>());
        let mut w = P::writer(Cursor::new(buf));
        self.write(&mut w);
    }

    /// Encodes under `P` into a new buffer of exactly the right size.
    #[inline]
    fn encode<P: Protocol>(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len::<P>());
        self.write(&mut P::writer(Cursor::new(&mut buf)));
        buf.freeze()
    }

    /// Decodes from `buf` under `P`. Trailing bytes are ignored (as Apache does).
    #[inline]
    fn decode<P: Protocol>(buf: Bytes) -> Result<Self, DecodeError> {
        let mut r = P::reader(buf);
        Self::read(&mut r)
    }

    /// Binary-protocol encoding.
    #[inline]
    fn encode_binary(&self) -> Bytes {
        self.encode::<Binary>()
    }
    /// Binary-protocol decoding.
    #[inline]
    fn decode_binary(buf: Bytes) -> Result<Self, DecodeError> {
        Self::decode::<Binary>(buf)
    }
    /// Compact-protocol encoding.
    #[inline]
    fn encode_compact(&self) -> Bytes {
        self.encode::<Compact>()
    }
    /// Compact-protocol decoding.
    #[inline]
    fn decode_compact(buf: Bytes) -> Result<Self, DecodeError> {
        Self::decode::<Compact>(buf)
    }
}
