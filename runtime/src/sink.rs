//! [`Sink`]: where encoders put bytes — a real buffer or a byte [`Counter`].
//!
//! Thrift writers are generic over a `Sink`. Running the very same generated
//! `write` code against a [`Counter`] yields the exact encoded size (this is the
//! "size protocol"): encoders size first, reserve once, then write, and the size
//! computation can never disagree with the writer because it *is* the writer.

use bytes::BytesMut;

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
    #[inline(always)]
    fn put_u8(&mut self, b: u8) {
        self.reserve(1);
        let len = self.len();
        // SAFETY: `reserve(1)` guarantees at least one byte of spare capacity;
        // it is initialised before `set_len` exposes it.
        unsafe {
            self.spare_capacity_mut().as_mut_ptr().cast::<u8>().write(b);
            self.set_len(len + 1);
        }
    }
    #[inline(always)]
    fn put_slice(&mut self, s: &[u8]) {
        // Hand-inlined `extend_from_slice`: with constant-size `s` (fixed-width
        // integers) this compiles to a single store instead of a memmove call.
        self.reserve(s.len());
        let len = self.len();
        // SAFETY: `reserve` guarantees `s.len()` bytes of spare capacity; they
        // are fully initialised by the copy before `set_len` exposes them.
        unsafe {
            std::ptr::copy_nonoverlapping(
                s.as_ptr(),
                self.spare_capacity_mut().as_mut_ptr().cast::<u8>(),
                s.len(),
            );
            self.set_len(len + s.len());
        }
    }
    #[inline(always)]
    fn put_varint(&mut self, mut v: u64) {
        // Reserve exactly what this varint needs: encoders size buffers exactly, and asking for
        // the 10-byte maximum near the end of one would reallocate it.
        let need = crate::varint::encoded_len_varint(v);
        self.reserve(need);
        let len = self.len();
        let mut n = 0;
        // SAFETY: `reserve(need)` guarantees `need` bytes of spare capacity, exactly the bytes
        // this varint occupies (0..=n, with n + 1 == need); they are written before `set_len`.
        unsafe {
            let p = self.spare_capacity_mut().as_mut_ptr().cast::<u8>();
            while v >= 0x80 {
                p.add(n).write((v as u8) | 0x80);
                v >>= 7;
                n += 1;
            }
            p.add(n).write(v as u8);
            self.set_len(len + n + 1);
        }
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

#[cfg(test)]
mod tests {
    #[test]
    fn varint_into_an_exact_buffer_does_not_reallocate() {
        use bytes::BytesMut;
        for (v, len) in [(0u64, 1usize), (300, 2), (u64::MAX, 10)] {
            let mut b = BytesMut::with_capacity(len);
            // Growth can be an in-place realloc, so compare capacity, not the pointer.
            let cap = b.capacity();
            Sink::put_varint(&mut b, v);
            assert_eq!(b.len(), len);
            assert_eq!(
                b.capacity(),
                cap,
                "{v} grew a buffer of exactly {len} bytes"
            );
        }
    }

    use super::*;
    use crate::varint::encode_varint_array;

    #[test]
    fn bytesmut_fast_paths_match_reference() {
        let mut b = BytesMut::new(); // starts with zero capacity: exercises growth
        let mut reference = Vec::new();
        for v in [0u64, 1, 127, 128, 300, 1 << 40, u64::MAX] {
            Sink::put_varint(&mut b, v);
            let (a, n) = encode_varint_array(v);
            reference.extend_from_slice(&a[..n]);
            Sink::put_u8(&mut b, 0xAB);
            reference.push(0xAB);
            Sink::put_slice(&mut b, &v.to_be_bytes());
            reference.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(&b[..], &reference[..]);
        let mut c = Counter::default();
        Sink::put_varint(&mut c, u64::MAX);
        Sink::put_slice(&mut c, &[1, 2, 3]);
        Sink::put_u8(&mut c, 1);
        assert_eq!(c.0, 14);
    }
}
