//! Protobuf: wire primitives ([`wire`]), per-type field helpers ([`field`]),
//! the [`Message`] trait and [`UnknownFields`].
//!
//! The design follows prost (generated code implements three methods; the
//! trait provides everything else) but decodes from [`Bytes`] so `string` and
//! `bytes` fields are zero-copy slices of the input.
//!
//! # What generated code looks like
//!
//! ```
//! use kit_runtime::bytes::{Bytes, BytesMut};
//! use kit_runtime::protobuf::{field, wire::WireType, Message, UnknownFields};
//! use kit_runtime::{ByteStr, DecodeError, ResultExt};
//!
//! #[derive(Debug, Default, Clone, PartialEq)]
//! struct Ping { id: i32, note: ByteStr, unknown: UnknownFields }
//!
//! impl Message for Ping {
//!     fn encoded_len(&self) -> usize {
//!         (if self.id != 0 { field::int32::encoded_len(1, self.id) } else { 0 })
//!             + (if !self.note.is_empty() { field::string::encoded_len(2, &self.note) } else { 0 })
//!             + self.unknown.encoded_len()
//!     }
//!     fn encode_raw(&self, buf: &mut BytesMut) {
//!         if self.id != 0 { field::int32::encode(1, self.id, buf) }
//!         if !self.note.is_empty() { field::string::encode(2, &self.note, buf) }
//!         self.unknown.encode(buf);
//!     }
//!     fn merge_field(&mut self, tag: u32, wt: WireType, buf: &mut Bytes, depth: u32)
//!         -> Result<(), DecodeError> {
//!         match tag {
//!             1 => field::int32::merge(wt, &mut self.id, buf).in_field("Ping", "id"),
//!             2 => field::string::merge(wt, &mut self.note, buf).in_field("Ping", "note"),
//!             _ => self.unknown.merge_field(tag, wt, buf, depth),
//!         }
//!     }
//! }
//!
//! let p = Ping { id: 150, note: "hi".into(), ..Default::default() };
//! let bytes = p.encode_to_bytes();
//! assert_eq!(&bytes[..], &[0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i']);
//! assert_eq!(Ping::decode(bytes).unwrap(), p);
//! ```
//!
//! A fuller model (repeated, packed, nested, optional, unknown fields) is in
//! `runtime/tests/protobuf_example.rs`.

use bytes::{Bytes, BytesMut};

use crate::error::DecodeError;

pub mod field;
mod unknown;
pub mod wire;

pub use unknown::{UnknownField, UnknownFields};
pub use wire::{WireType, RECURSION_LIMIT};

use wire::{decode_key, decode_len, encode_varint, encoded_len_varint};

/// Implemented by every generated Protobuf message.
///
/// Generated code provides [`encoded_len`](Self::encoded_len),
/// [`encode_raw`](Self::encode_raw) and [`merge_field`](Self::merge_field);
/// the rest is provided.
pub trait Message: Default {
    /// Exact length of [`encode_raw`](Self::encode_raw)'s output.
    fn encoded_len(&self) -> usize;
    /// Appends the fields (no length prefix). Callers reserve first.
    fn encode_raw(&self, buf: &mut BytesMut);
    /// Decodes one field whose key was just read. Unknown tags must be
    /// skipped (`wire::skip_field`) or captured (`UnknownFields::merge_field`).
    /// `depth` is the remaining recursion budget for nested messages/groups.
    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut Bytes,
        depth: u32,
    ) -> Result<(), DecodeError>;

    /// Decodes fields until `buf` has only `end` bytes left (0 for a whole buffer; an
    /// embedded message stops at its own end). Every decode goes through this loop, one
    /// instance per message type: generated `merge_field`s are `#[inline(always)]`, so the
    /// field dispatch sits in the loop instead of behind a call per field.
    fn merge_until(&mut self, buf: &mut Bytes, end: usize, depth: u32) -> Result<(), DecodeError> {
        while buf.len() > end {
            let (tag, wire_type) = decode_key(buf)?;
            self.merge_field(tag, wire_type, buf, depth)?;
        }
        Ok(())
    }

    /// Resets to the default value.
    fn clear(&mut self) {
        *self = Self::default();
    }

    /// Appends the encoding to `buf`, reserving the exact size once.
    #[inline]
    fn encode(&self, buf: &mut BytesMut) {
        buf.reserve(self.encoded_len());
        self.encode_raw(buf);
    }

    /// Encodes into a new buffer of exactly the right size.
    #[inline]
    fn encode_to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.encode_raw(&mut buf);
        buf.freeze()
    }

    /// Appends a varint length prefix and the encoding.
    #[inline]
    fn encode_length_delimited(&self, buf: &mut BytesMut) {
        let len = self.encoded_len();
        buf.reserve(len + encoded_len_varint(len as u64));
        encode_varint(len as u64, buf);
        self.encode_raw(buf);
    }

    /// Length-prefixed encoding in a new buffer.
    #[inline]
    fn encode_length_delimited_to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::new();
        self.encode_length_delimited(&mut buf);
        buf.freeze()
    }

    /// Decodes a whole buffer as one message.
    #[inline]
    fn decode(buf: Bytes) -> Result<Self, DecodeError> {
        let mut m = Self::default();
        m.merge(buf)?;
        Ok(m)
    }

    /// Decodes one length-prefixed message from the front of `buf`, advancing it.
    #[inline]
    fn decode_length_delimited(buf: &mut Bytes) -> Result<Self, DecodeError> {
        let mut m = Self::default();
        m.merge_length_delimited(buf)?;
        Ok(m)
    }

    /// Merges a whole buffer into `self` (fields present overwrite / append).
    #[inline]
    fn merge(&mut self, mut buf: Bytes) -> Result<(), DecodeError> {
        merge_loop(self, &mut buf, RECURSION_LIMIT)
    }

    /// Merges one length-prefixed message from the front of `buf`.
    #[inline]
    fn merge_length_delimited(&mut self, buf: &mut Bytes) -> Result<(), DecodeError> {
        let len = decode_len(buf)?;
        let mut sub = buf.split_to(len);
        merge_loop(self, &mut sub, RECURSION_LIMIT)
    }
}

/// Reads keys until `buf` is empty, dispatching each to `merge_field`.
#[inline]
pub fn merge_loop<M: Message>(msg: &mut M, buf: &mut Bytes, depth: u32) -> Result<(), DecodeError> {
    msg.merge_until(buf, 0, depth)
}
