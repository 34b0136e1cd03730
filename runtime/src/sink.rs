//! [`Sink`]: where encoders put bytes — a real buffer or a byte [`Counter`].
//!
//! Thrift writers are generic over a `Sink`. Running the very same generated
//! `write` code against a [`Counter`] yields the exact encoded size (this is the
//! "size protocol"): encoders size first, reserve once, then write, and the size
//! computation can never disagree with the writer because it *is* the writer.

use bytes::{BufMut, BytesMut};

use crate::varint::{encode_varint_array, encoded_len_varint};

/// A byte destination for encoders.
pub trait Sink {
    /// Appends one byte.
    fn put_u8(&mut self, b: u8);
    /// Appends a slice.
    fn put_slice(&mut self, s: &[u8]);
    /// Appends a LEB128 varint.
    #[inline]
    fn put_varint(&mut self, v: u64) {
        if v < 0x80 {
            self.put_u8(v as u8);
        } else {
            let (arr, n) = encode_varint_array(v);
            self.put_slice(&arr[..n]);
        }
    }
    /// Hint that `n` more bytes are coming.
    #[inline]
    fn reserve(&mut self, _n: usize) {}
}

impl Sink for BytesMut {
    #[inline]
    fn put_u8(&mut self, b: u8) {
        BufMut::put_u8(self, b)
    }
    #[inline]
    fn put_slice(&mut self, s: &[u8]) {
        self.extend_from_slice(s)
    }
    #[inline]
    fn reserve(&mut self, n: usize) {
        BytesMut::reserve(self, n)
    }
}

impl Sink for Vec<u8> {
    #[inline]
    fn put_u8(&mut self, b: u8) {
        self.push(b)
    }
    #[inline]
    fn put_slice(&mut self, s: &[u8]) {
        self.extend_from_slice(s)
    }
    #[inline]
    fn reserve(&mut self, n: usize) {
        Vec::reserve(self, n)
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    #[inline]
    fn put_u8(&mut self, b: u8) {
        (**self).put_u8(b)
    }
    #[inline]
    fn put_slice(&mut self, s: &[u8]) {
        (**self).put_slice(s)
    }
    #[inline]
    fn put_varint(&mut self, v: u64) {
        (**self).put_varint(v)
    }
    #[inline]
    fn reserve(&mut self, n: usize) {
        (**self).reserve(n)
    }
}

/// A [`Sink`] that only counts bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counter(pub usize);

impl Sink for Counter {
    #[inline(always)]
    fn put_u8(&mut self, _b: u8) {
        self.0 += 1;
    }
    #[inline(always)]
    fn put_slice(&mut self, s: &[u8]) {
        self.0 += s.len();
    }
    #[inline(always)]
    fn put_varint(&mut self, v: u64) {
        self.0 += encoded_len_varint(v);
    }
}
