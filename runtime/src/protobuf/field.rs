//! Per-type field helpers called by generated [`Message`](super::Message)
//! implementations, one module per Protobuf scalar type (as in prost).
//!
//! Every scalar module (`int32`, `int64`, `uint32`, `uint64`, `sint32`,
//! `sint64`, `bool`, `fixed32`, `fixed64`, `sfixed32`, `sfixed64`, `float`,
//! `double`) has the same functions:
//!
//! | function | use |
//! |---|---|
//! | `encode(tag, v, buf)` / `encoded_len(tag, v)` | singular field |
//! | `encode_implicit(tag, v, buf)` / `encoded_len_implicit(tag, v)` | proto3 implicit presence: nothing for the default |
//! | `merge(wire_type, &mut v, buf)` | decode singular field |
//! | `encode_repeated` / `encoded_len_repeated` | unpacked repeated |
//! | `encode_packed` / `encoded_len_packed` | packed repeated (writes nothing for empty) |
//! | `merge_repeated(wire_type, &mut vec, buf)` | decode repeated, accepting **both** packed and unpacked |
//!
//! Enums use `int32` with the newtype's `.0`. `string`, `bytes` and `message`
//! have their own modules. Proto3 implicit presence ("skip default values") is the
//! `*_implicit` pair: `int32::encode_implicit(2, self.id, buf)` writes nothing for 0,
//! as `if self.id != 0 { int32::encode(2, self.id, buf) }` would (a float is written
//! unless all its bits are zero, so `-0.0` is written, as protoc's runtimes do). One call
//! instead of a condition keeps the generated code short.

use ::bytes::{Buf, Bytes};

use crate::sink::Sink;

use super::wire::{
    check_wire_type, decode_len, decode_varint, decode_varint_slice, encode_key,
    encode_key_len_slice, encode_key_varint, encode_varint, encoded_len_varint, key_len, EncodeBuf,
    WireType,
};
use crate::error::DecodeError;

/// A field module's explicit-presence pair, `encode_opt` / `encoded_len_opt`, built on its
/// `encode` / `encoded_len`: `[generics]`, the type of the `Option` argument, and how a present
/// value is passed on.
macro_rules! opt_pair {
    ([$($g:tt)*] $opt:ty, |$v:ident| $arg:expr) => {
        /// Encodes a singular field with explicit presence: nothing for `None`.
        #[inline]
        pub fn encode_opt<$($g)* B: EncodeBuf + ?Sized>(tag: u32, v: $opt, buf: &mut B) {
            if let Some($v) = v {
                encode(tag, $arg, buf);
            }
        }
        /// Encoded length of a singular field with explicit presence (0 for `None`).
        #[inline]
        pub fn encoded_len_opt<$($g)*>(tag: u32, v: $opt) -> usize {
            match v {
                Some($v) => encoded_len(tag, $arg),
                None => 0,
            }
        }
    };
}

/// A field module's map-entry `Codec` (see [`map::EntryCodec`]), built on its `encode` /
/// `encoded_len` / `merge`: `[generics]`, the value type, how a `&T` is passed to `encode`,
/// and the merge call (with the entry's remaining `depth`).
macro_rules! entry_codec {
    ([$($g:tt)*] $ty:ty, |$v:ident| $arg:expr, |$wt:ident, $m:ident, $buf:ident, $depth:ident| $merge:expr) => {
        /// This kind as a map entry's key or value (see [`map::EntryCodec`]).
        #[derive(Debug, Clone, Copy)]
        pub struct Codec;
        impl<$($g)*> super::map::EntryCodec<$ty> for Codec {
            #[inline]
            fn encoded_len(tag: u32, $v: &$ty) -> usize {
                encoded_len(tag, $arg)
            }
            #[inline]
            fn encode<B: EncodeBuf + ?Sized>(tag: u32, $v: &$ty, buf: &mut B) {
                encode(tag, $arg, buf)
            }
            #[inline]
            fn merge(
                $wt: WireType,
                $m: &mut $ty,
                $buf: &mut Bytes,
                $depth: u32,
            ) -> Result<(), DecodeError> {
                $merge
            }
        }
    };
}

macro_rules! varint_field {
    ($(#[$doc:meta])* $name:ident, $ty:ty, |$e:ident| $enc:expr, |$d:ident| $dec:expr) => {
        $(#[$doc])*
        pub mod $name {
            use super::*;

            #[inline(always)]
            fn to_u64($e: $ty) -> u64 {
                $enc
            }
            #[inline(always)]
            fn from_u64($d: u64) -> $ty {
                $dec
            }

            /// Encodes a singular field.
            #[inline]
            pub fn encode<B: EncodeBuf + ?Sized>(tag: u32, v: $ty, buf: &mut B) {
                encode_key_varint(tag, WireType::Varint, to_u64(v), buf);
            }
            /// Encoded length of a singular field.
            #[inline]
            pub fn encoded_len(tag: u32, v: $ty) -> usize {
                key_len(tag) + encoded_len_varint(to_u64(v))
            }
            entry_codec!([] $ty, |v| *v, |wt, v, buf, _depth| merge(wt, v, buf));
            opt_pair!([] Option<$ty>, |v| v);
            /// Encodes a singular field with implicit presence: nothing for the default
            /// (every varint type's default encodes as 0).
            #[inline]
            pub fn encode_implicit<B: EncodeBuf + ?Sized>(tag: u32, v: $ty, buf: &mut B) {
                let u = to_u64(v);
                if u != 0 {
                    encode_key_varint(tag, WireType::Varint, u, buf);
                }
            }
            /// Encoded length of a singular field with implicit presence (0 for the default).
            #[inline]
            pub fn encoded_len_implicit(tag: u32, v: $ty) -> usize {
                let u = to_u64(v);
                if u != 0 {
                    key_len(tag) + encoded_len_varint(u)
                } else {
                    0
                }
            }
            /// Decodes a singular field value (key already read).
            #[inline]
            pub fn merge(wire_type: WireType, v: &mut $ty, buf: &mut Bytes) -> Result<(), DecodeError> {
                check_wire_type(WireType::Varint, wire_type)?;
                *v = from_u64(decode_varint(buf)?);
                Ok(())
            }
            /// Encodes an unpacked repeated field.
            #[inline]
            pub fn encode_repeated<B: EncodeBuf + ?Sized>(tag: u32, vs: &[$ty], buf: &mut B) {
                for &v in vs {
                    encode(tag, v, buf);
                }
            }
            /// Encoded length of an unpacked repeated field.
            #[inline]
            pub fn encoded_len_repeated(tag: u32, vs: &[$ty]) -> usize {
                key_len(tag) * vs.len()
                    + vs.iter().map(|&v| encoded_len_varint(to_u64(v))).sum::<usize>()
            }
            /// Encodes a packed repeated field (nothing if empty).
            #[inline]
            pub fn encode_packed<B: EncodeBuf + ?Sized>(tag: u32, vs: &[$ty], buf: &mut B) {
                if vs.is_empty() {
                    return;
                }
                let len: usize = vs.iter().map(|&v| encoded_len_varint(to_u64(v))).sum();
                encode_key_varint(tag, WireType::LengthDelimited, len as u64, buf);
                for &v in vs {
                    encode_varint(to_u64(v), buf);
                }
            }
            /// Encoded length of a packed repeated field (0 if empty).
            #[inline]
            pub fn encoded_len_packed(tag: u32, vs: &[$ty]) -> usize {
                if vs.is_empty() {
                    return 0;
                }
                let len: usize = vs.iter().map(|&v| encoded_len_varint(to_u64(v))).sum();
                key_len(tag) + encoded_len_varint(len as u64) + len
            }
            /// Decodes one repeated element (unpacked) or a packed run.
            #[inline]
            pub fn merge_repeated(
                wire_type: WireType,
                vs: &mut Vec<$ty>,
                buf: &mut Bytes,
            ) -> Result<(), DecodeError> {
                if wire_type == WireType::LengthDelimited {
                    let len = decode_len(buf)?;
                    let mut data = &buf[..len];
                    // Exact element count = number of varint terminator bytes
                    // (bounded by the input length, so safe to reserve).
                    vs.reserve(data.iter().filter(|&&b| b < 0x80).count());
                    while !data.is_empty() {
                        let (v, n) = decode_varint_slice(data)?;
                        vs.push(from_u64(v));
                        data = &data[n..];
                    }
                    buf.advance(len);
                    Ok(())
                } else {
                    check_wire_type(WireType::Varint, wire_type)?;
                    vs.push(from_u64(decode_varint(buf)?));
                    Ok(())
                }
            }
        }
    };
}

varint_field!(
    /// `int32`: negative values are sign-extended to 10 bytes, as the spec requires.
    int32, i32, |v| v as i64 as u64, |v| v as i32);
varint_field!(
    /// `int64`
    int64, i64, |v| v as u64, |v| v as i64);
varint_field!(
    /// `uint32` (upper bits of oversized varints are truncated, as the spec requires)
    uint32, u32, |v| u64::from(v), |v| v as u32);
varint_field!(
    /// `uint64`
    uint64, u64, |v| v, |v| v);
varint_field!(
    /// `sint32` (zigzag)
    sint32, i32, |v| u64::from(crate::varint::encode_zigzag32(v)),
    |v| crate::varint::decode_zigzag32(v as u32));
varint_field!(
    /// `sint64` (zigzag)
    sint64, i64, |v| crate::varint::encode_zigzag64(v), |v| crate::varint::decode_zigzag64(v));
varint_field!(
    /// `bool` (any non-zero varint decodes as true)
    bool, bool, |v| u64::from(v), |v| v != 0);

macro_rules! fixed_field {
    ($(#[$doc:meta])* $name:ident, $ty:ty, $wt:expr, $size:expr) => {
        $(#[$doc])*
        pub mod $name {
            use super::*;
            const SIZE: usize = $size;

            #[inline(always)]
            fn get(data: &[u8]) -> $ty {
                <$ty>::from_le_bytes(data[..SIZE].try_into().unwrap())
            }

            /// Encodes a singular field.
            #[inline]
            pub fn encode<B: EncodeBuf + ?Sized>(tag: u32, v: $ty, buf: &mut B) {
                encode_key(tag, $wt, buf);
                Sink::put_slice(buf, &v.to_le_bytes());
            }
            /// Encoded length of a singular field.
            #[inline]
            pub fn encoded_len(tag: u32, _v: $ty) -> usize {
                key_len(tag) + SIZE
            }
            entry_codec!([] $ty, |v| *v, |wt, v, buf, _depth| merge(wt, v, buf));
            opt_pair!([] Option<$ty>, |v| v);
            /// Encodes a singular field with implicit presence: nothing when every bit is
            /// zero (so a float's `-0.0` is written, as protoc's runtimes do).
            #[inline]
            pub fn encode_implicit<B: EncodeBuf + ?Sized>(tag: u32, v: $ty, buf: &mut B) {
                if v.to_le_bytes() != [0; SIZE] {
                    encode(tag, v, buf);
                }
            }
            /// Encoded length of a singular field with implicit presence (0 for the default).
            #[inline]
            pub fn encoded_len_implicit(tag: u32, v: $ty) -> usize {
                if v.to_le_bytes() != [0; SIZE] {
                    key_len(tag) + SIZE
                } else {
                    0
                }
            }
            /// Decodes a singular field value (key already read).
            #[inline]
            pub fn merge(wire_type: WireType, v: &mut $ty, buf: &mut Bytes) -> Result<(), DecodeError> {
                check_wire_type($wt, wire_type)?;
                if buf.len() < SIZE {
                    return Err(DecodeError::truncated());
                }
                *v = get(buf);
                buf.advance(SIZE);
                Ok(())
            }
            /// Encodes an unpacked repeated field.
            #[inline]
            pub fn encode_repeated<B: EncodeBuf + ?Sized>(tag: u32, vs: &[$ty], buf: &mut B) {
                for &v in vs {
                    encode(tag, v, buf);
                }
            }
            /// Encoded length of an unpacked repeated field.
            #[inline]
            pub fn encoded_len_repeated(tag: u32, vs: &[$ty]) -> usize {
                (key_len(tag) + SIZE) * vs.len()
            }
            /// Encodes a packed repeated field (nothing if empty).
            #[inline]
            pub fn encode_packed<B: EncodeBuf + ?Sized>(tag: u32, vs: &[$ty], buf: &mut B) {
                if vs.is_empty() {
                    return;
                }
                encode_key_varint(tag, WireType::LengthDelimited, (vs.len() * SIZE) as u64, buf);
                buf.reserve(vs.len() * SIZE);
                for &v in vs {
                    Sink::put_slice(buf, &v.to_le_bytes());
                }
            }
            /// Encoded length of a packed repeated field (0 if empty).
            #[inline]
            pub fn encoded_len_packed(tag: u32, vs: &[$ty]) -> usize {
                if vs.is_empty() {
                    return 0;
                }
                let len = vs.len() * SIZE;
                key_len(tag) + encoded_len_varint(len as u64) + len
            }
            /// Decodes one repeated element (unpacked) or a packed run.
            #[inline]
            pub fn merge_repeated(
                wire_type: WireType,
                vs: &mut Vec<$ty>,
                buf: &mut Bytes,
            ) -> Result<(), DecodeError> {
                if wire_type == WireType::LengthDelimited {
                    let len = decode_len(buf)?;
                    if len % SIZE != 0 {
                        return Err(DecodeError::invalid_data("packed fixed-width length not a multiple of element size"));
                    }
                    // Bounded by input size: len <= remaining bytes.
                    vs.reserve(len / SIZE);
                    vs.extend(buf[..len].chunks_exact(SIZE).map(get));
                    buf.advance(len);
                    Ok(())
                } else {
                    let mut v = Default::default();
                    merge(wire_type, &mut v, buf)?;
                    vs.push(v);
                    Ok(())
                }
            }
        }
    };
}

fixed_field!(
    /// `fixed32`
    fixed32, u32, WireType::Fixed32, 4);
fixed_field!(
    /// `fixed64`
    fixed64, u64, WireType::Fixed64, 8);
fixed_field!(
    /// `sfixed32`
    sfixed32, i32, WireType::Fixed32, 4);
fixed_field!(
    /// `sfixed64`
    sfixed64, i64, WireType::Fixed64, 8);
fixed_field!(
    /// `float`
    float, f32, WireType::Fixed32, 4);
fixed_field!(
    /// `double`
    double, f64, WireType::Fixed64, 8);

/// `bytes` fields, decoded as zero-copy [`Bytes`] slices.
pub mod bytes {
    use super::*;

    /// Encodes a singular field.
    #[inline]
    pub fn encode<B: EncodeBuf + ?Sized>(tag: u32, v: &[u8], buf: &mut B) {
        encode_key_len_slice(tag, v, buf);
    }
    /// Encoded length of a singular field.
    #[inline]
    pub fn encoded_len(tag: u32, v: &[u8]) -> usize {
        key_len(tag) + encoded_len_varint(v.len() as u64) + v.len()
    }
    entry_codec!([] Bytes, |v| v, |wt, v, buf, _depth| merge(wt, v, buf));
    opt_pair!([T: AsRef<[u8]>,] &Option<T>, |v| v.as_ref());
    /// Encodes a singular field with implicit presence: nothing when empty.
    #[inline]
    pub fn encode_implicit<B: EncodeBuf + ?Sized>(tag: u32, v: &[u8], buf: &mut B) {
        if !v.is_empty() {
            encode(tag, v, buf);
        }
    }
    /// Encoded length of a singular field with implicit presence (0 when empty).
    #[inline]
    pub fn encoded_len_implicit(tag: u32, v: &[u8]) -> usize {
        if !v.is_empty() {
            encoded_len(tag, v)
        } else {
            0
        }
    }
    /// Decodes a singular field value (key already read).
    #[inline]
    pub fn merge(wire_type: WireType, v: &mut Bytes, buf: &mut Bytes) -> Result<(), DecodeError> {
        check_wire_type(WireType::LengthDelimited, wire_type)?;
        *v = super::super::wire::decode_bytes(buf)?;
        Ok(())
    }
    /// Encodes a repeated field.
    #[inline]
    pub fn encode_repeated<T: AsRef<[u8]>, B: EncodeBuf + ?Sized>(tag: u32, vs: &[T], buf: &mut B) {
        for v in vs {
            encode(tag, v.as_ref(), buf);
        }
    }
    /// Encoded length of a repeated field.
    #[inline]
    pub fn encoded_len_repeated<T: AsRef<[u8]>>(tag: u32, vs: &[T]) -> usize {
        vs.iter().map(|v| encoded_len(tag, v.as_ref())).sum()
    }
    /// Decodes one repeated element.
    #[inline]
    pub fn merge_repeated(
        wire_type: WireType,
        vs: &mut Vec<Bytes>,
        buf: &mut Bytes,
    ) -> Result<(), DecodeError> {
        check_wire_type(WireType::LengthDelimited, wire_type)?;
        vs.push(super::super::wire::decode_bytes(buf)?);
        Ok(())
    }
}

/// `string` fields, decoded as zero-copy [`ByteStr`](crate::ByteStr) slices.
pub mod string {
    use super::*;
    use crate::ByteStr;

    /// Encodes a singular field.
    #[inline]
    pub fn encode<B: EncodeBuf + ?Sized>(tag: u32, v: &str, buf: &mut B) {
        super::bytes::encode(tag, v.as_bytes(), buf)
    }
    /// Encoded length of a singular field.
    #[inline]
    pub fn encoded_len(tag: u32, v: &str) -> usize {
        super::bytes::encoded_len(tag, v.as_bytes())
    }
    entry_codec!([] ByteStr, |v| v, |wt, v, buf, _depth| merge(wt, v, buf));
    opt_pair!([T: AsRef<str>,] &Option<T>, |v| v.as_ref());
    /// Encodes a singular field with implicit presence: nothing when empty.
    #[inline]
    pub fn encode_implicit<B: EncodeBuf + ?Sized>(tag: u32, v: &str, buf: &mut B) {
        super::bytes::encode_implicit(tag, v.as_bytes(), buf)
    }
    /// Encoded length of a singular field with implicit presence (0 when empty).
    #[inline]
    pub fn encoded_len_implicit(tag: u32, v: &str) -> usize {
        super::bytes::encoded_len_implicit(tag, v.as_bytes())
    }
    /// Decodes a singular field value (key already read), validating UTF-8.
    #[inline]
    pub fn merge(wire_type: WireType, v: &mut ByteStr, buf: &mut Bytes) -> Result<(), DecodeError> {
        check_wire_type(WireType::LengthDelimited, wire_type)?;
        *v = super::super::wire::decode_string(buf)?;
        Ok(())
    }
    /// Encodes a repeated field.
    #[inline]
    pub fn encode_repeated<T: AsRef<str>, B: EncodeBuf + ?Sized>(tag: u32, vs: &[T], buf: &mut B) {
        for v in vs {
            encode(tag, v.as_ref(), buf);
        }
    }
    /// Encoded length of a repeated field.
    #[inline]
    pub fn encoded_len_repeated<T: AsRef<str>>(tag: u32, vs: &[T]) -> usize {
        vs.iter().map(|v| encoded_len(tag, v.as_ref())).sum()
    }
    /// Decodes one repeated element.
    #[inline]
    pub fn merge_repeated(
        wire_type: WireType,
        vs: &mut Vec<ByteStr>,
        buf: &mut Bytes,
    ) -> Result<(), DecodeError> {
        check_wire_type(WireType::LengthDelimited, wire_type)?;
        vs.push(super::super::wire::decode_string(buf)?);
        Ok(())
    }
}

/// Embedded message fields.
pub mod message {
    use super::*;
    use crate::error::DecodeErrorKind;
    use crate::protobuf::Message;

    /// Encodes a singular field (length-prefixed).
    #[inline]
    pub fn encode<M: Message, B: EncodeBuf + ?Sized>(tag: u32, msg: &M, buf: &mut B) {
        encode_key_varint(
            tag,
            WireType::LengthDelimited,
            msg.encoded_len() as u64,
            buf,
        );
        buf.with_buf(|b| msg.encode_raw(b));
    }
    /// Encoded length of a singular field.
    #[inline]
    pub fn encoded_len<M: Message>(tag: u32, msg: &M) -> usize {
        let len = msg.encoded_len();
        key_len(tag) + encoded_len_varint(len as u64) + len
    }
    entry_codec!([M: Message] M, |v| v, |wt, v, buf, depth| merge(wt, v, buf, depth));
    opt_pair!([M: Message,] &Option<M>, |v| v);
    /// Merges a length-delimited embedded message into `msg`, consuming one
    /// unit of the `depth` budget.
    #[inline]
    pub fn merge<M: Message>(
        wire_type: WireType,
        msg: &mut M,
        buf: &mut Bytes,
        depth: u32,
    ) -> Result<(), DecodeError> {
        check_wire_type(WireType::LengthDelimited, wire_type)?;
        if depth == 0 {
            return Err(DecodeError::new(DecodeErrorKind::DepthLimit));
        }
        let len = decode_len(buf)?;
        // Decode in place instead of `split_to` (saves a refcount inc/dec per
        // embedded message). Every decoder is bounds-checked against `buf`, so
        // a field crossing the embedded message's end cannot read out of
        // bounds; it is detected right after and rejected.
        let end = buf.len() - len;
        msg.merge_until(buf, end, depth - 1)?;
        if buf.len() != end {
            return Err(overran());
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    pub(super) fn overran() -> DecodeError {
        DecodeError::invalid_data("field crosses the end of its embedded message")
    }
    /// Encodes a repeated field.
    #[inline]
    pub fn encode_repeated<M: Message, B: EncodeBuf + ?Sized>(tag: u32, msgs: &[M], buf: &mut B) {
        for m in msgs {
            encode(tag, m, buf);
        }
    }
    /// Encoded length of a repeated field.
    #[inline]
    pub fn encoded_len_repeated<M: Message>(tag: u32, msgs: &[M]) -> usize {
        msgs.iter().map(|m| encoded_len(tag, m)).sum()
    }
    /// Decodes one repeated element.
    #[inline]
    pub fn merge_repeated<M: Message>(
        wire_type: WireType,
        msgs: &mut Vec<M>,
        buf: &mut Bytes,
        depth: u32,
    ) -> Result<(), DecodeError> {
        let mut m = M::default();
        merge(wire_type, &mut m, buf, depth)?;
        msgs.push(m);
        Ok(())
    }
}

/// `map<K, V>` fields: each entry is an embedded message `{ 1: key, 2: value }`.
///
/// Each side is named by its kind's `Codec` (a unit struct in every field module implementing
/// [`map::EntryCodec`]), so one generic implementation serves every key/value combination:
///
/// ```
/// use kit_runtime::bytes::BytesMut;
/// use kit_runtime::protobuf::{field, wire};
/// use kit_runtime::ByteStr;
/// use std::collections::HashMap;
///
/// let m: HashMap<ByteStr, i64> = [("a".into(), 1)].into_iter().collect();
/// let mut buf = BytesMut::new();
/// field::map::encode(7, &m, field::string::Codec, field::int64::Codec, &mut buf);
/// assert_eq!(
///     buf.len(),
///     field::map::encoded_len(7, &m, field::string::Codec, field::int64::Codec)
/// );
/// let mut r = buf.freeze();
/// let (tag, wt) = wire::decode_key(&mut r).unwrap();
/// let mut out: HashMap<ByteStr, i64> = HashMap::new();
/// field::map::merge_into(
///     wt,
///     &mut r,
///     wire::RECURSION_LIMIT,
///     &mut out,
///     field::string::Codec,
///     field::int64::Codec,
/// )
/// .unwrap();
/// assert_eq!((tag, out), (7, m));
/// ```
pub mod map {
    use super::*;
    use crate::error::DecodeErrorKind;
    use crate::protobuf::wire::{decode_key, skip_field};
    use std::collections::{BTreeMap, HashMap};
    use std::hash::{BuildHasher, Hash};

    /// One side (key or value) of a map entry: how it is sized, written and merged. The unit
    /// struct `Codec` of each field module implements it for that kind's Rust type, so a map
    /// field names its two kinds (`__pb::string::Codec, __pb::int64::Codec`) instead of
    /// spelling out a closure per operation.
    pub trait EntryCodec<T> {
        /// Encoded length of `v` as field `tag`.
        fn encoded_len(tag: u32, v: &T) -> usize;
        /// Writes `v` as field `tag`.
        fn encode<B: EncodeBuf + ?Sized>(tag: u32, v: &T, buf: &mut B);
        /// Merges one value (its key already read) with `depth` left for nesting.
        fn merge(
            wire_type: WireType,
            v: &mut T,
            buf: &mut Bytes,
            depth: u32,
        ) -> Result<(), DecodeError>;
    }

    /// The maps generated code holds (`HashMap` with any hasher, `BTreeMap`): what
    /// [`merge_into`] inserts a decoded entry with.
    pub trait MapInsert<K, V> {
        /// Inserts the entry, replacing an earlier value of the same key (last one wins).
        fn insert_entry(&mut self, k: K, v: V);
    }

    impl<K: Eq + Hash, V, S: BuildHasher> MapInsert<K, V> for HashMap<K, V, S> {
        #[inline]
        fn insert_entry(&mut self, k: K, v: V) {
            self.insert(k, v);
        }
    }

    impl<K: Ord, V> MapInsert<K, V> for BTreeMap<K, V> {
        #[inline]
        fn insert_entry(&mut self, k: K, v: V) {
            self.insert(k, v);
        }
    }

    /// Encodes every entry of `entries` (any iterable of `(&key, &value)`) as a
    /// length-delimited entry message.
    #[inline]
    pub fn encode<'a, K, V, KC, VC, B>(
        tag: u32,
        entries: impl IntoIterator<Item = (&'a K, &'a V)>,
        _key: KC,
        _value: VC,
        buf: &mut B,
    ) where
        K: 'a,
        V: 'a,
        KC: EntryCodec<K>,
        VC: EntryCodec<V>,
        B: EncodeBuf + ?Sized,
    {
        for (k, v) in entries {
            let len = KC::encoded_len(1, k) + VC::encoded_len(2, v);
            encode_key_varint(tag, WireType::LengthDelimited, len as u64, buf);
            KC::encode(1, k, buf);
            VC::encode(2, v, buf);
        }
    }

    /// Encoded length of [`encode`]'s output.
    #[inline]
    pub fn encoded_len<'a, K, V, KC, VC>(
        tag: u32,
        entries: impl IntoIterator<Item = (&'a K, &'a V)>,
        _key: KC,
        _value: VC,
    ) -> usize
    where
        K: 'a,
        V: 'a,
        KC: EntryCodec<K>,
        VC: EntryCodec<V>,
    {
        entries
            .into_iter()
            .map(|(k, v)| {
                let len = KC::encoded_len(1, k) + VC::encoded_len(2, v);
                super::key_len(tag) + encoded_len_varint(len as u64) + len
            })
            .sum()
    }

    /// Decodes one entry (key already read). Missing key or value decode as their
    /// defaults; unknown entry fields are skipped. One unit of `depth` is spent on the
    /// entry.
    #[inline]
    pub fn merge<K, V, KC, VC>(
        wire_type: WireType,
        buf: &mut Bytes,
        depth: u32,
        _key: KC,
        _value: VC,
    ) -> Result<(K, V), DecodeError>
    where
        K: Default,
        V: Default,
        KC: EntryCodec<K>,
        VC: EntryCodec<V>,
    {
        check_wire_type(WireType::LengthDelimited, wire_type)?;
        if depth == 0 {
            return Err(DecodeError::new(DecodeErrorKind::DepthLimit));
        }
        let len = decode_len(buf)?;
        let end = buf.len() - len;
        let (mut k, mut v) = (K::default(), V::default());
        while buf.len() > end {
            let (tag, wt) = decode_key(buf)?;
            match tag {
                1 => KC::merge(wt, &mut k, buf, depth - 1)?,
                2 => VC::merge(wt, &mut v, buf, depth - 1)?,
                _ => skip_field(wt, tag, buf, depth - 1)?,
            }
        }
        if buf.len() != end {
            return Err(super::message::overran());
        }
        Ok((k, v))
    }

    /// [`merge`] one entry into `map` (a later entry with the same key replaces it).
    #[inline]
    pub fn merge_into<K, V, KC, VC>(
        wire_type: WireType,
        buf: &mut Bytes,
        depth: u32,
        map: &mut impl MapInsert<K, V>,
        key: KC,
        value: VC,
    ) -> Result<(), DecodeError>
    where
        K: Default,
        V: Default,
        KC: EntryCodec<K>,
        VC: EntryCodec<V>,
    {
        let (k, v) = merge(wire_type, buf, depth, key, value)?;
        map.insert_entry(k, v);
        Ok(())
    }
}

/// The value of the oneof member that `get` selects, for decoding into: when `slot` holds
/// another member or none, it is first set to `make(T::default())` (a member read replaces
/// any other; the same member read again merges into it, as protoc's runtimes do). `get` is
/// the member's pattern (`|c| match c { Choice::Text(v) => Some(v), _ => None }`) and `make`
/// its constructor (`Choice::Text`): generated code names the member once per use.
#[inline]
pub fn oneof_member<O, T: Default>(
    slot: &mut Option<O>,
    get: impl Fn(&mut O) -> Option<&mut T>,
    make: impl FnOnce(T) -> O,
) -> &mut T {
    if slot.as_mut().and_then(&get).is_none() {
        *slot = Some(make(T::default()));
    }
    match slot.as_mut().and_then(get) {
        Some(v) => v,
        // `make`'s value is what `get` selects (generated in pairs).
        None => unreachable!("a oneof member's constructor and pattern disagree"),
    }
}

/// Open enum fields (`struct E(i32)` implementing [`Enum`](crate::Enum)), encoded as `int32`.
pub mod enumeration {
    use super::*;
    use crate::Enum;

    #[inline]
    fn to_u64<E: Enum>(v: E) -> u64 {
        v.value() as i64 as u64
    }

    /// Encodes a singular field.
    #[inline]
    pub fn encode<E: Enum, B: EncodeBuf + ?Sized>(tag: u32, v: E, buf: &mut B) {
        int32::encode(tag, v.value(), buf)
    }
    /// Encoded length of a singular field.
    #[inline]
    pub fn encoded_len<E: Enum>(tag: u32, v: E) -> usize {
        int32::encoded_len(tag, v.value())
    }
    entry_codec!([E: Enum + Copy] E, |v| *v, |wt, v, buf, _depth| merge(wt, v, buf));
    opt_pair!([E: Enum,] Option<E>, |v| v);
    /// Encodes a singular field with implicit presence: nothing for the value 0.
    #[inline]
    pub fn encode_implicit<E: Enum, B: EncodeBuf + ?Sized>(tag: u32, v: E, buf: &mut B) {
        int32::encode_implicit(tag, v.value(), buf)
    }
    /// Encoded length of a singular field with implicit presence (0 for the value 0).
    #[inline]
    pub fn encoded_len_implicit<E: Enum>(tag: u32, v: E) -> usize {
        int32::encoded_len_implicit(tag, v.value())
    }
    /// Decodes a singular field; unknown values are kept.
    #[inline]
    pub fn merge<E: Enum>(
        wire_type: WireType,
        v: &mut E,
        buf: &mut Bytes,
    ) -> Result<(), DecodeError> {
        let mut x = v.value();
        int32::merge(wire_type, &mut x, buf)?;
        *v = E::from_value(x);
        Ok(())
    }
    /// Encodes a repeated field, one key per element.
    #[inline]
    pub fn encode_repeated<E: Enum, B: EncodeBuf + ?Sized>(tag: u32, vs: &[E], buf: &mut B) {
        for &v in vs {
            encode(tag, v, buf);
        }
    }
    /// Encoded length of an unpacked repeated field.
    #[inline]
    pub fn encoded_len_repeated<E: Enum>(tag: u32, vs: &[E]) -> usize {
        vs.iter().map(|&v| encoded_len(tag, v)).sum()
    }
    /// Encodes a packed repeated field (nothing if empty).
    #[inline]
    pub fn encode_packed<E: Enum, B: EncodeBuf + ?Sized>(tag: u32, vs: &[E], buf: &mut B) {
        if vs.is_empty() {
            return;
        }
        let len: usize = vs.iter().map(|&v| encoded_len_varint(to_u64(v))).sum();
        encode_key_varint(tag, WireType::LengthDelimited, len as u64, buf);
        for &v in vs {
            encode_varint(to_u64(v), buf);
        }
    }
    /// Encoded length of a packed repeated field (0 if empty).
    #[inline]
    pub fn encoded_len_packed<E: Enum>(tag: u32, vs: &[E]) -> usize {
        if vs.is_empty() {
            return 0;
        }
        let len: usize = vs.iter().map(|&v| encoded_len_varint(to_u64(v))).sum();
        key_len(tag) + encoded_len_varint(len as u64) + len
    }
    /// Decodes one element (unpacked) or a packed run.
    #[inline]
    pub fn merge_repeated<E: Enum>(
        wire_type: WireType,
        vs: &mut Vec<E>,
        buf: &mut Bytes,
    ) -> Result<(), DecodeError> {
        if wire_type == WireType::LengthDelimited {
            let len = decode_len(buf)?;
            let mut data = &buf[..len];
            while !data.is_empty() {
                let (v, n) = decode_varint_slice(data)?;
                vs.push(E::from_value(v as i32));
                data = &data[n..];
            }
            buf.advance(len);
            Ok(())
        } else {
            check_wire_type(WireType::Varint, wire_type)?;
            vs.push(E::from_value(decode_varint(buf)? as i32));
            Ok(())
        }
    }
}

/// Proto2 groups: a message between a start-group and an end-group key of the same number.
pub mod group {
    use super::*;
    use crate::error::DecodeErrorKind;
    use crate::protobuf::wire::decode_key;
    use crate::protobuf::Message;

    /// Encodes a singular group.
    #[inline]
    pub fn encode<M: Message, B: EncodeBuf + ?Sized>(tag: u32, msg: &M, buf: &mut B) {
        encode_key(tag, WireType::StartGroup, buf);
        buf.with_buf(|b| msg.encode_raw(b));
        encode_key(tag, WireType::EndGroup, buf);
    }
    /// Encoded length of a singular group.
    #[inline]
    pub fn encoded_len<M: Message>(tag: u32, msg: &M) -> usize {
        2 * key_len(tag) + msg.encoded_len()
    }
    opt_pair!([M: Message,] &Option<M>, |v| v);
    /// Merges a group whose start key (`tag`, `wire_type`) was just read, up to and including
    /// its matching end key. Consumes one unit of the `depth` budget.
    pub fn merge<M: Message>(
        wire_type: WireType,
        tag: u32,
        msg: &mut M,
        buf: &mut Bytes,
        depth: u32,
    ) -> Result<(), DecodeError> {
        check_wire_type(WireType::StartGroup, wire_type)?;
        if depth == 0 {
            return Err(DecodeError::new(DecodeErrorKind::DepthLimit));
        }
        loop {
            if buf.is_empty() {
                return Err(DecodeError::truncated());
            }
            let (t, wt) = decode_key(buf)?;
            if wt == WireType::EndGroup {
                if t != tag {
                    return Err(DecodeError::new(DecodeErrorKind::UnexpectedEndGroup));
                }
                return Ok(());
            }
            msg.merge_field(t, wt, buf, depth - 1)?;
        }
    }
    /// Encodes a repeated group.
    #[inline]
    pub fn encode_repeated<M: Message, B: EncodeBuf + ?Sized>(tag: u32, msgs: &[M], buf: &mut B) {
        for m in msgs {
            encode(tag, m, buf);
        }
    }
    /// Encoded length of a repeated group.
    #[inline]
    pub fn encoded_len_repeated<M: Message>(tag: u32, msgs: &[M]) -> usize {
        msgs.iter().map(|m| encoded_len(tag, m)).sum()
    }
    /// Decodes one element of a repeated group.
    #[inline]
    pub fn merge_repeated<M: Message>(
        wire_type: WireType,
        tag: u32,
        msgs: &mut Vec<M>,
        buf: &mut Bytes,
        depth: u32,
    ) -> Result<(), DecodeError> {
        let mut m = M::default();
        merge(wire_type, tag, &mut m, buf, depth)?;
        msgs.push(m);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::bytes::BytesMut;

    /// What `encode` writes, or nothing when `set` is false; `encoded_len_implicit` agrees.
    fn check<T: Copy>(
        v: T,
        set: bool,
        enc: fn(u32, T, &mut BytesMut),
        enc_implicit: fn(u32, T, &mut BytesMut),
        len_implicit: fn(u32, T) -> usize,
    ) {
        let mut want = BytesMut::new();
        if set {
            enc(7, v, &mut want);
        }
        let mut got = BytesMut::new();
        enc_implicit(7, v, &mut got);
        assert_eq!(got, want);
        assert_eq!(len_implicit(7, v), want.len());
    }

    #[test]
    fn implicit_presence_writes_everything_but_the_default() {
        for v in [0, 1, -1, i32::MIN, i32::MAX] {
            check(
                v,
                v != 0,
                int32::encode,
                int32::encode_implicit,
                int32::encoded_len_implicit,
            );
            check(
                v,
                v != 0,
                sint32::encode,
                sint32::encode_implicit,
                sint32::encoded_len_implicit,
            );
            check(
                v,
                v != 0,
                sfixed32::encode,
                sfixed32::encode_implicit,
                sfixed32::encoded_len_implicit,
            );
        }
        for v in [0, 1, -1, i64::MIN, i64::MAX] {
            check(
                v,
                v != 0,
                int64::encode,
                int64::encode_implicit,
                int64::encoded_len_implicit,
            );
            check(
                v,
                v != 0,
                sint64::encode,
                sint64::encode_implicit,
                sint64::encoded_len_implicit,
            );
            check(
                v,
                v != 0,
                sfixed64::encode,
                sfixed64::encode_implicit,
                sfixed64::encoded_len_implicit,
            );
        }
        for v in [0, 1, u32::MAX] {
            check(
                v,
                v != 0,
                uint32::encode,
                uint32::encode_implicit,
                uint32::encoded_len_implicit,
            );
            check(
                v,
                v != 0,
                fixed32::encode,
                fixed32::encode_implicit,
                fixed32::encoded_len_implicit,
            );
        }
        for v in [0, 1, u64::MAX] {
            check(
                v,
                v != 0,
                uint64::encode,
                uint64::encode_implicit,
                uint64::encoded_len_implicit,
            );
            check(
                v,
                v != 0,
                fixed64::encode,
                fixed64::encode_implicit,
                fixed64::encoded_len_implicit,
            );
        }
        for v in [false, true] {
            check(
                v,
                v,
                bool::encode,
                bool::encode_implicit,
                bool::encoded_len_implicit,
            );
        }
        // Floats: written unless every bit is zero, so -0.0 and NaN are written.
        for v in [0.0, -0.0, 1.5, f64::NAN, f64::INFINITY, f64::MIN_POSITIVE] {
            let set = v.to_bits() != 0;
            check(
                v,
                set,
                double::encode,
                double::encode_implicit,
                double::encoded_len_implicit,
            );
            let f = v as f32;
            let set = f.to_bits() != 0;
            check(
                f,
                set,
                float::encode,
                float::encode_implicit,
                float::encoded_len_implicit,
            );
        }
        assert_eq!(double::encoded_len_implicit(1, -0.0), 9);
        for v in ["", "a", "héllo"] {
            check(
                v,
                !v.is_empty(),
                string::encode,
                string::encode_implicit,
                string::encoded_len_implicit,
            );
            let b = v.as_bytes();
            check(
                b,
                !b.is_empty(),
                bytes::encode,
                bytes::encode_implicit,
                bytes::encoded_len_implicit,
            );
        }
    }

    #[test]
    fn a_oneof_member_is_set_once_and_merged_into_after() {
        #[derive(Debug, PartialEq)]
        enum C {
            A(i32),
            B(String),
        }
        fn a(c: &mut C) -> Option<&mut i32> {
            match c {
                C::A(v) => Some(v),
                _ => None,
            }
        }
        fn b(c: &mut C) -> Option<&mut String> {
            match c {
                C::B(v) => Some(v),
                _ => None,
            }
        }
        let mut slot = None;
        *oneof_member(&mut slot, a, C::A) += 5;
        assert_eq!(slot, Some(C::A(5)));
        // The same member again: merged into, not reset.
        *oneof_member(&mut slot, a, C::A) += 1;
        assert_eq!(slot, Some(C::A(6)));
        // Another member replaces it, from its default.
        oneof_member(&mut slot, b, C::B).push('x');
        assert_eq!(slot, Some(C::B("x".into())));
        oneof_member(&mut slot, b, C::B).push('y');
        assert_eq!(slot, Some(C::B("xy".into())));
        assert_eq!(*oneof_member(&mut slot, a, C::A), 0);
        assert_eq!(slot, Some(C::A(0)));
    }

    /// Every `*_opt` pair: `None` writes and counts nothing, `Some(v)` what `encode` /
    /// `encoded_len` do (defaults included: explicit presence writes a present zero).
    #[test]
    fn explicit_presence_writes_some_only() {
        fn check<T: Clone>(
            vs: &[T],
            enc: impl Fn(u32, &T, &mut BytesMut),
            len: impl Fn(u32, &T) -> usize,
            enc_opt: impl Fn(u32, &Option<T>, &mut BytesMut),
            len_opt: impl Fn(u32, &Option<T>) -> usize,
        ) {
            let mut none = BytesMut::new();
            enc_opt(300, &None, &mut none);
            assert!(none.is_empty());
            assert_eq!(len_opt(300, &None), 0);
            for v in vs {
                let (mut want, mut got) = (BytesMut::new(), BytesMut::new());
                enc(300, v, &mut want);
                enc_opt(300, &Some(v.clone()), &mut got);
                assert!(!got.is_empty());
                assert_eq!(got, want);
                assert_eq!(len_opt(300, &Some(v.clone())), want.len());
                assert_eq!(len(300, v), want.len());
            }
        }
        macro_rules! by_value {
            ($($m:ident: $vs:expr),* $(,)?) => {$(
                check(
                    &$vs,
                    |t, v, b| $m::encode(t, *v, b),
                    |t, v| $m::encoded_len(t, *v),
                    |t, v, b| $m::encode_opt(t, *v, b),
                    |t, v| $m::encoded_len_opt(t, *v),
                );
            )*};
        }
        by_value!(
            int32: [0, -1, i32::MAX], int64: [0, i64::MIN], uint32: [0, u32::MAX],
            uint64: [0, u64::MAX], sint32: [0, -1], sint64: [0, i64::MAX], bool: [false, true],
            fixed32: [0, 7], fixed64: [0, 7], sfixed32: [0, -7], sfixed64: [0, -7],
            float: [0.0, -0.0, f32::NAN], double: [0.0, f64::INFINITY],
        );
        #[derive(Clone, Copy)]
        struct E(i32);
        impl crate::Enum for E {
            fn value(&self) -> i32 {
                self.0
            }
            fn from_value(v: i32) -> Self {
                E(v)
            }
        }
        check(
            &[E(0), E(-1), E(5)],
            |t, v, b| enumeration::encode(t, *v, b),
            |t, v| enumeration::encoded_len(t, *v),
            |t, v, b| enumeration::encode_opt(t, *v, b),
            |t, v| enumeration::encoded_len_opt(t, *v),
        );
        check(
            &[Bytes::new(), Bytes::from_static(b"abc")],
            |t, v, b| bytes::encode(t, v, b),
            |t, v| bytes::encoded_len(t, v),
            bytes::encode_opt,
            bytes::encoded_len_opt,
        );
        check(
            &[crate::ByteStr::default(), crate::ByteStr::from("h\u{e9}")],
            |t, v, b| string::encode(t, v, b),
            |t, v| string::encoded_len(t, v),
            string::encode_opt,
            string::encoded_len_opt,
        );
        use crate::grpc::health::HealthCheckRequest;
        let msgs = [
            HealthCheckRequest::default(),
            HealthCheckRequest {
                service: "svc".into(),
            },
        ];
        check(
            &msgs,
            message::encode,
            message::encoded_len,
            message::encode_opt,
            message::encoded_len_opt,
        );
        check(
            &msgs,
            group::encode,
            group::encoded_len,
            group::encode_opt,
            group::encoded_len_opt,
        );
    }

    #[test]
    fn implicit_presence_of_enums_skips_zero_only() {
        #[derive(Clone, Copy)]
        struct E(i32);
        impl crate::Enum for E {
            fn value(&self) -> i32 {
                self.0
            }
            fn from_value(v: i32) -> Self {
                E(v)
            }
        }
        for v in [0, 1, -1] {
            let mut want = BytesMut::new();
            if v != 0 {
                enumeration::encode(3, E(v), &mut want);
            }
            let mut got = BytesMut::new();
            enumeration::encode_implicit(3, E(v), &mut got);
            assert_eq!(got, want);
            assert_eq!(enumeration::encoded_len_implicit(3, E(v)), want.len());
        }
    }
}
