//! [`UnknownFields`]: fields a message did not recognise, kept as zero-copy
//! slices of the input and re-emitted verbatim on encode.

use bytes::{Bytes, BytesMut};

use super::wire::{encode_key, key_len, skip_field_len, EncodeBuf, WireType};
use crate::error::DecodeError;

/// One unrecognised field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownField {
    /// Field number.
    pub number: u32,
    /// Wire type.
    pub wire_type: WireType,
    /// The raw bytes after the key: the varint, the fixed bytes, the length
    /// prefix plus payload, or the group body including its end-group key.
    pub data: Bytes,
}

/// Unrecognised fields of a message, in the order they were read.
///
/// Generated messages hold one of these (when unknown-field preservation is
/// enabled) and route unmatched tags to [`merge_field`](Self::merge_field):
///
/// ```
/// use kit_runtime::bytes::{Bytes, BytesMut};
/// use kit_runtime::protobuf::{wire::{decode_key, RECURSION_LIMIT}, UnknownFields};
/// let input = Bytes::from_static(&[0x08, 0x96, 0x01, 0x12, 0x01, b'x']);
/// let mut buf = input.clone();
/// let mut unknown = UnknownFields::default();
/// while !buf.is_empty() {
///     let (tag, wt) = decode_key(&mut buf).unwrap();
///     unknown.merge_field(tag, wt, &mut buf, RECURSION_LIMIT).unwrap();
/// }
/// let mut out = BytesMut::new();
/// unknown.encode(&mut out);
/// assert_eq!(out, input);
/// assert_eq!(unknown.encoded_len(), input.len());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct UnknownFields {
    fields: Vec<UnknownField>,
}

impl UnknownFields {
    /// No fields.
    #[inline]
    pub const fn new() -> Self {
        UnknownFields { fields: Vec::new() }
    }
    /// True if nothing was captured.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
    /// Number of captured fields.
    #[inline]
    pub fn len(&self) -> usize {
        self.fields.len()
    }
    /// Captured fields in input order.
    pub fn iter(&self) -> std::slice::Iter<'_, UnknownField> {
        self.fields.iter()
    }
    /// Removes all captured fields.
    pub fn clear(&mut self) {
        self.fields.clear()
    }

    /// Skips the field whose key (`number`, `wire_type`) was just read and keeps
    /// its bytes as a slice of `buf`.
    #[inline]
    pub fn merge_field(
        &mut self,
        number: u32,
        wire_type: WireType,
        buf: &mut Bytes,
        depth: u32,
    ) -> Result<(), DecodeError> {
        let n = skip_field_len(wire_type, number, buf, depth)?;
        let data = buf.split_to(n);
        self.fields.push(UnknownField {
            number,
            wire_type,
            data,
        });
        Ok(())
    }

    /// Bytes [`encode`](Self::encode) will write.
    #[inline]
    pub fn encoded_len(&self) -> usize {
        self.fields
            .iter()
            .map(|f| key_len(f.number) + f.data.len())
            .sum()
    }

    /// Re-emits every captured field.
    #[inline(always)]
    pub fn encode<B: EncodeBuf + ?Sized>(&self, buf: &mut B) {
        // Only the emptiness test is inlined into every message's encoder, and the fields are
        // written into the buffer itself (`with_buf`), not through the encoder's cursor: a
        // call taking the cursor's address would keep it in memory, its position stored after
        // every field, even if the call is never made.
        if !self.fields.is_empty() {
            buf.with_buf(|b| self.encode_fields(b));
        }
    }

    #[inline(never)]
    fn encode_fields(&self, buf: &mut BytesMut) {
        for f in &self.fields {
            encode_key(f.number, f.wire_type, buf);
            crate::sink::Sink::put_slice(buf, &f.data);
        }
    }
}

impl<'a> IntoIterator for &'a UnknownFields {
    type Item = &'a UnknownField;
    type IntoIter = std::slice::Iter<'a, UnknownField>;
    fn into_iter(self) -> Self::IntoIter {
        self.fields.iter()
    }
}
