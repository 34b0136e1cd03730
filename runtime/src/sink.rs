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
    /// Appends two varints (a field key and a value or a length). A sink that checks its room
    /// once for both overrides it.
    #[inline]
    fn put_varint2(&mut self, a: u64, b: u64) {
        self.put_varint(a);
        self.put_varint(b);
    }
    /// Appends two slices (a header and a payload): a sink that checks its room once for both
    /// overrides it.
    #[inline]
    fn put_slice2(&mut self, a: &[u8], b: &[u8]) {
        self.put_slice(a);
        self.put_slice(b);
    }
    /// Appends a byte, a varint and a slice (a field header, a length and the bytes): a sink
    /// that checks its room once for all three overrides it.
    #[inline]
    fn put_u8_varint_slice(&mut self, h: u8, v: u64, s: &[u8]) {
        self.put_u8(h);
        self.put_varint(v);
        self.put_slice(s);
    }
    /// Appends a varint and a slice (a length and the bytes): a sink that checks its room
    /// once for both overrides it.
    #[inline]
    fn put_varint_slice(&mut self, v: u64, s: &[u8]) {
        self.put_varint(v);
        self.put_slice(s);
    }
    /// Appends two varints and a slice (a field key, a length and the bytes): a sink that
    /// checks its room once for all three overrides it.
    #[inline]
    fn put_varint2_slice(&mut self, a: u64, b: u64, s: &[u8]) {
        self.put_varint2(a, b);
        self.put_slice(s);
    }
    /// Hint that `n` more bytes are coming.
    #[inline]
    fn reserve(&mut self, _n: usize) {}
}

/// One put through a [`Cursor`] made for it: the byte-writing logic lives in one place, and a
/// single put costs what a hand-written `BytesMut` put did (load length and capacity, check,
/// write, store the length). Growth is exactly what the put needs, so an exactly sized buffer
/// never reallocates (tested below).
impl Sink for BytesMut {
    #[inline(always)]
    fn put_u8(&mut self, b: u8) {
        Cursor::new(self).put_u8(b)
    }
    #[inline(always)]
    fn put_slice(&mut self, s: &[u8]) {
        Cursor::new(self).put_slice(s)
    }
    #[inline(always)]
    fn put_varint(&mut self, v: u64) {
        Cursor::new(self).put_varint(v)
    }
    #[inline(always)]
    fn put_varint2(&mut self, a: u64, b: u64) {
        Cursor::new(self).put_varint2(a, b)
    }
    #[inline(always)]
    fn put_slice2(&mut self, a: &[u8], b: &[u8]) {
        Cursor::new(self).put_slice2(a, b)
    }
    #[inline(always)]
    fn put_varint2_slice(&mut self, a: u64, b: u64, s: &[u8]) {
        Cursor::new(self).put_varint2_slice(a, b, s)
    }
    #[inline(always)]
    fn put_u8_varint_slice(&mut self, h: u8, v: u64, s: &[u8]) {
        Cursor::new(self).put_u8_varint_slice(h, v, s)
    }
    #[inline(always)]
    fn put_varint_slice(&mut self, v: u64, s: &[u8]) {
        Cursor::new(self).put_varint_slice(v, s)
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
    fn put_varint2(&mut self, a: u64, b: u64) {
        (**self).put_varint2(a, b)
    }
    #[inline]
    fn put_slice2(&mut self, a: &[u8], b: &[u8]) {
        (**self).put_slice2(a, b)
    }
    #[inline]
    fn put_varint2_slice(&mut self, a: u64, b: u64, s: &[u8]) {
        (**self).put_varint2_slice(a, b, s)
    }
    #[inline]
    fn put_u8_varint_slice(&mut self, h: u8, v: u64, s: &[u8]) {
        (**self).put_u8_varint_slice(h, v, s)
    }
    #[inline]
    fn put_varint_slice(&mut self, v: u64, s: &[u8]) {
        (**self).put_varint_slice(v, s)
    }
    #[inline]
    fn reserve(&mut self, n: usize) {
        (**self).reserve(n)
    }
}

/// A [`Sink`] over the spare capacity of a [`BytesMut`], writing through a raw cursor.
///
/// `BytesMut`'s own `Sink` impl keeps the length in the buffer: every put reloads length and
/// capacity, checks, writes and stores the new length. A `Cursor` holds the write position and
/// the end of the capacity as two pointers the compiler keeps in registers, so a put is one
/// comparison, the store and a pointer increment; the length is stored once, when the cursor is
/// dropped (or before [`Cursor::with_buf`] hands the buffer on). It is as safe as the buffer's
/// own puts: every put checks the room it needs and grows the buffer (exactly as
/// `BytesMut::reserve` would) when it is short, so a size computed wrong costs a reallocation,
/// never an out-of-bounds write. Encoders that reserved the exact size first never grow.
pub struct Cursor<'a> {
    buf: &'a mut BytesMut,
    /// Next byte to write: `buf`'s data pointer + the length written so far.
    pos: *mut u8,
    /// One past the last byte of `buf`'s capacity.
    end: *mut u8,
}

impl<'a> Cursor<'a> {
    /// A cursor appending to `buf`.
    #[inline(always)]
    pub fn new(buf: &'a mut BytesMut) -> Cursor<'a> {
        let (pos, end) = spare(buf);
        Cursor { buf, pos, end }
    }

    /// Bytes that fit before the buffer must grow.
    #[inline(always)]
    fn room(&self) -> usize {
        self.end as usize - self.pos as usize
    }

    /// Stores the written length in the buffer.
    #[inline(always)]
    fn commit(&mut self) {
        store_len(self.buf, self.pos);
    }

    /// Makes sure `need()` more bytes fit, asking for `need()` only when fewer than `at_most`
    /// (an upper bound of it) are left: one comparison on the usual path, and an exactly
    /// sized buffer, whose last bytes are below any bound, grows only if it is really short.
    #[inline(always)]
    fn ensure(&mut self, at_most: usize, need: impl FnOnce() -> usize) {
        if self.room() < at_most {
            let need = need();
            if self.room() < need {
                self.grow(need);
            }
        }
    }

    /// Makes room for `n` more bytes (the slow path of every put).
    #[inline(always)]
    fn grow(&mut self, n: usize) {
        // The cold part takes the buffer and the position, not `self`: a cursor whose address
        // never escapes stays in registers (a pointer to it passed to a call would force it
        // into memory, reloaded after every byte written).
        (self.pos, self.end) = grow_buf(self.buf, self.pos, n);
    }

    /// Points the cursor at `buf`'s spare capacity again (after the buffer changed).
    #[inline(always)]
    fn refresh(&mut self) {
        (self.pos, self.end) = spare(self.buf);
    }

    /// Writes `v` as a varint at the cursor.
    ///
    /// # Safety
    /// At least `encoded_len_varint(v)` bytes of room.
    #[inline(always)]
    unsafe fn write_varint(&mut self, mut v: u64) {
        // SAFETY: the caller guarantees room for exactly the bytes this loop writes.
        unsafe {
            while v >= 0x80 {
                self.pos.write((v as u8) | 0x80);
                self.pos = self.pos.add(1);
                v >>= 7;
            }
            self.pos.write(v as u8);
            self.pos = self.pos.add(1);
        }
    }

    /// Runs `f` on the buffer itself, with everything written so far in it, and goes on after
    /// whatever `f` appended (e.g. an embedded message's own encoder).
    #[inline]
    pub fn with_buf<R>(&mut self, f: impl FnOnce(&mut BytesMut) -> R) -> R {
        self.commit();
        let r = f(self.buf);
        self.refresh();
        r
    }
}

/// `copy_nonoverlapping(src, dst, n)`, with copies of at most 32 bytes (names, keys, ids: most
/// strings on the wire) done inline by two overlapping loads and stores instead of a call into
/// `memcpy`, whose call and size dispatch cost more than such a copy.
///
/// # Safety
/// As `copy_nonoverlapping`: `src` readable and `dst` writable for `n` bytes, not overlapping.
#[inline(always)]
unsafe fn copy_bytes(src: *const u8, dst: *mut u8, n: usize) {
    // SAFETY: every load and store below stays within the first `n` bytes of `src` / `dst`.
    unsafe {
        // Up to 16 bytes tested first: the shortest path goes to the commonest strings.
        if n <= 16 {
            if n >= 8 {
                copy_ends::<u64>(src, dst, n);
            } else if n >= 4 {
                copy_ends::<u32>(src, dst, n);
            } else if n > 0 {
                // 1 to 3 bytes: the first, the middle and the last (some the same byte).
                let (a, b, c) = (src.read(), src.add(n / 2).read(), src.add(n - 1).read());
                dst.write(a);
                dst.add(n / 2).write(b);
                dst.add(n - 1).write(c);
            }
        } else if n <= 32 {
            copy_ends::<u128>(src, dst, n);
        } else {
            std::ptr::copy_nonoverlapping(src, dst, n);
        }
    }
}

/// Copies `n` bytes (`size_of::<T>() <= n <= 2 * size_of::<T>()`) as two `T`s, the first `T`
/// and the last (overlapping when `n` is less than two).
///
/// # Safety
/// As [`copy_bytes`], and `n` within those bounds.
#[inline(always)]
unsafe fn copy_ends<T: Copy>(src: *const u8, dst: *mut u8, n: usize) {
    let tail = n - std::mem::size_of::<T>();
    // SAFETY: both `T`s lie within the first `n` bytes of `src` / `dst` (caller's bounds).
    unsafe {
        let (a, b) = (
            src.cast::<T>().read_unaligned(),
            src.add(tail).cast::<T>().read_unaligned(),
        );
        dst.cast::<T>().write_unaligned(a);
        dst.add(tail).cast::<T>().write_unaligned(b);
    }
}

/// `buf`'s spare capacity as (first byte, one past the last).
#[inline(always)]
fn spare(buf: &mut BytesMut) -> (*mut u8, *mut u8) {
    let spare = buf.spare_capacity_mut();
    let pos = spare.as_mut_ptr().cast::<u8>();
    // SAFETY: one past the end of the spare-capacity slice.
    (pos, unsafe { pos.add(spare.len()) })
}

/// Sets `buf`'s length to end at `pos` (a cursor's write position in it).
#[inline(always)]
fn store_len(buf: &mut BytesMut, pos: *mut u8) {
    let written = pos as usize - buf.as_ptr() as usize;
    // SAFETY: every byte before `pos` was written by a put (or was already in `buf`).
    unsafe { buf.set_len(written) };
}

/// Stores the length written up to `pos`, reserves `n` more bytes, returns the new spare range.
#[cold]
#[inline(never)]
fn grow_buf(buf: &mut BytesMut, pos: *mut u8, n: usize) -> (*mut u8, *mut u8) {
    store_len(buf, pos);
    buf.reserve(n);
    spare(buf)
}

impl Drop for Cursor<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.commit();
    }
}

impl Sink for Cursor<'_> {
    #[inline(always)]
    fn put_u8(&mut self, b: u8) {
        self.ensure(1, || 1);
        // SAFETY: at least one byte of room (checked above); `pos` stays within the capacity.
        unsafe {
            self.pos.write(b);
            self.pos = self.pos.add(1);
        }
    }
    #[inline(always)]
    fn put_slice(&mut self, s: &[u8]) {
        self.ensure(s.len(), || s.len());
        // SAFETY: `s.len()` bytes of room (checked above); `s` cannot overlap the spare
        // capacity we hold exclusively through `buf`.
        unsafe {
            copy_bytes(s.as_ptr(), self.pos, s.len());
            self.pos = self.pos.add(s.len());
        }
    }
    #[inline(always)]
    fn put_varint(&mut self, v: u64) {
        self.ensure(10, || encoded_len_varint(v));
        // SAFETY: room for this varint's `encoded_len_varint(v)` bytes (checked above).
        unsafe { self.write_varint(v) }
    }
    #[inline(always)]
    fn put_varint2(&mut self, a: u64, b: u64) {
        // `a` is a field key, a constant wherever generated code inlines this, and so is
        // the bound: an exactly sized buffer (which ends below any bound) takes the precise
        // check only for its last 11 bytes or so, not its last 20.
        self.ensure(encoded_len_varint(a) + 10, || {
            encoded_len_varint(a) + encoded_len_varint(b)
        });
        // SAFETY: room for both varints (checked above).
        unsafe {
            self.write_varint(a);
            self.write_varint(b);
        }
    }
    #[inline(always)]
    fn put_slice2(&mut self, a: &[u8], b: &[u8]) {
        let n = a.len() + b.len();
        self.ensure(n, || n);
        // SAFETY: room for both (checked above); neither can overlap the spare capacity.
        unsafe {
            copy_bytes(a.as_ptr(), self.pos, a.len());
            self.pos = self.pos.add(a.len());
            copy_bytes(b.as_ptr(), self.pos, b.len());
            self.pos = self.pos.add(b.len());
        }
    }
    #[inline(always)]
    fn put_varint2_slice(&mut self, a: u64, b: u64, s: &[u8]) {
        let n = s.len();
        self.ensure(encoded_len_varint(a) + 10 + n, || {
            encoded_len_varint(a) + encoded_len_varint(b) + n
        });
        // SAFETY: room for both varints and `s` (checked above); `s` cannot overlap the
        // spare capacity.
        unsafe {
            self.write_varint(a);
            self.write_varint(b);
            copy_bytes(s.as_ptr(), self.pos, n);
            self.pos = self.pos.add(n);
        }
    }
    #[inline(always)]
    fn put_u8_varint_slice(&mut self, h: u8, v: u64, s: &[u8]) {
        let n = s.len();
        self.ensure(11 + n, || 1 + encoded_len_varint(v) + n);
        // SAFETY: room for the byte, the varint and `s` (checked above); `s` cannot overlap
        // the spare capacity.
        unsafe {
            self.pos.write(h);
            self.pos = self.pos.add(1);
            self.write_varint(v);
            copy_bytes(s.as_ptr(), self.pos, n);
            self.pos = self.pos.add(n);
        }
    }
    #[inline(always)]
    fn put_varint_slice(&mut self, v: u64, s: &[u8]) {
        let n = s.len();
        self.ensure(10 + n, || encoded_len_varint(v) + n);
        // SAFETY: room for the varint and `s` (checked above); `s` cannot overlap the spare
        // capacity.
        unsafe {
            self.write_varint(v);
            copy_bytes(s.as_ptr(), self.pos, n);
            self.pos = self.pos.add(n);
        }
    }
    #[inline]
    fn reserve(&mut self, n: usize) {
        self.ensure(n, || n);
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

    /// Every copy length around the inline paths' bounds, into an exact buffer and one with
    /// spare room (the bytes after the copy must stay untouched by the overlapping stores).
    #[test]
    fn put_slice_copies_every_length_exactly() {
        let data: Vec<u8> = (0..80u8)
            .map(|i| i.wrapping_mul(31).wrapping_add(7))
            .collect();
        for n in 0..=data.len() {
            for offset in [0, 1, 5] {
                let src = &data[offset..];
                let n = n.min(src.len());
                let mut buf = BytesMut::with_capacity(n + 3);
                buf.extend_from_slice(&[0xEE]);
                {
                    let mut c = Cursor::new(&mut buf);
                    c.put_slice(&src[..n]);
                    c.put_u8(0xDD);
                }
                assert_eq!(buf.len(), n + 2, "n={n}");
                assert_eq!(buf[0], 0xEE);
                assert_eq!(&buf[1..=n], &src[..n], "n={n} offset={offset}");
                assert_eq!(buf[n + 1], 0xDD);
            }
        }
    }

    /// `put_slice` and `put_slice2` for every length around the inline copy bounds (0..=40,
    /// heads 0..=8), into a buffer with room for exactly those bytes (no reallocation, same
    /// bytes as `extend_from_slice`) and into one with spare room whose bytes past the copy
    /// must stay as they were.
    #[test]
    fn short_copies_with_room_exactly_at_the_limit() {
        let data: Vec<u8> = (0..48u8).map(|i| i.wrapping_mul(37) ^ 0x5A).collect();
        let head = [0xA1u8, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8];
        for n in 0..=40 {
            for h in [0, 1, 3, 4, 7, 8] {
                let (a, b) = (&head[..h], &data[1..=n]);
                let mut plain = BytesMut::new();
                plain.extend_from_slice(a);
                plain.extend_from_slice(b);
                // Room exactly for the head and the bytes.
                let mut exact = BytesMut::with_capacity(h + n);
                let (ptr, cap) = (exact.as_ptr(), exact.capacity());
                Cursor::new(&mut exact).put_slice2(a, b);
                assert_eq!(&exact[..], &plain[..], "put_slice2 h={h} n={n}");
                assert_eq!(
                    (exact.as_ptr(), exact.capacity()),
                    (ptr, cap),
                    "h={h} n={n}"
                );
                let mut exact = BytesMut::with_capacity(n);
                let (ptr, cap) = (exact.as_ptr(), exact.capacity());
                Cursor::new(&mut exact).put_slice(b);
                assert_eq!(&exact[..], b, "put_slice n={n}");
                assert_eq!((exact.as_ptr(), exact.capacity()), (ptr, cap), "n={n}");
                // One byte short: grows, same bytes.
                let mut short = BytesMut::with_capacity((h + n).saturating_sub(1));
                Cursor::new(&mut short).put_slice2(a, b);
                assert_eq!(&short[..], &plain[..], "short h={h} n={n}");
                // Spare room filled with a marker: the copies leave it alone.
                let mut roomy = BytesMut::with_capacity(h + n + 40);
                roomy.resize(h + n + 40, 0xEE);
                roomy.clear();
                Cursor::new(&mut roomy).put_slice2(a, b);
                assert_eq!(&roomy[..], &plain[..], "roomy h={h} n={n}");
                // SAFETY: the 40 bytes after the length were written (0xEE) by `resize`.
                let after = unsafe { std::slice::from_raw_parts(roomy.as_ptr().add(h + n), 40) };
                assert!(after.iter().all(|&x| x == 0xEE), "clobbered h={h} n={n}");
            }
        }
    }

    /// `put_varint2_slice` (key, length, bytes), `put_varint_slice` and `put_u8_varint_slice`
    /// for every length 0..=40 and one- to ten-byte varints, into a buffer with room for exactly those bytes (no reallocation),
    /// one byte short (grows) and the `Counter`: same bytes as the separate puts.
    #[test]
    fn varint2_slice_with_room_exactly_at_the_limit() {
        let data: Vec<u8> = (0..48u8).map(|i| i.wrapping_mul(29) ^ 0x3C).collect();
        for n in 0..=40 {
            for (k, l) in [(10u64, 0u64), (0x7f, 300), (1 << 20, u64::MAX)] {
                let s = &data[2..2 + n];
                let mut plain = BytesMut::new();
                for v in [k, l] {
                    let (a, m) = encode_varint_array(v);
                    plain.extend_from_slice(&a[..m]);
                }
                plain.extend_from_slice(s);
                let mut exact = BytesMut::with_capacity(plain.len());
                let (ptr, cap) = (exact.as_ptr(), exact.capacity());
                Cursor::new(&mut exact).put_varint2_slice(k, l, s);
                assert_eq!(&exact[..], &plain[..], "n={n} k={k} l={l}");
                assert_eq!(
                    (exact.as_ptr(), exact.capacity()),
                    (ptr, cap),
                    "n={n} k={k} l={l}"
                );
                let mut short = BytesMut::with_capacity(plain.len() - 1);
                Sink::put_varint2_slice(&mut short, k, l, s);
                assert_eq!(&short[..], &plain[..], "short n={n} k={k} l={l}");
                let mut c = Counter::default();
                c.put_varint2_slice(k, l, s);
                assert_eq!(c.0, plain.len());
                // The one-varint forms: `plain` without its first varint, and with a byte
                // before the second.
                let tail = &plain[plain.len() - s.len() - encoded_len_varint(l)..];
                let mut exact = BytesMut::with_capacity(tail.len());
                let (ptr, cap) = (exact.as_ptr(), exact.capacity());
                Cursor::new(&mut exact).put_varint_slice(l, s);
                assert_eq!(&exact[..], tail, "n={n} l={l}");
                assert_eq!(
                    (exact.as_ptr(), exact.capacity()),
                    (ptr, cap),
                    "n={n} l={l}"
                );
                let mut exact = BytesMut::with_capacity(1 + tail.len());
                let (ptr, cap) = (exact.as_ptr(), exact.capacity());
                Cursor::new(&mut exact).put_u8_varint_slice(0xC5, l, s);
                assert_eq!(exact[0], 0xC5);
                assert_eq!(&exact[1..], tail, "n={n} l={l}");
                assert_eq!(
                    (exact.as_ptr(), exact.capacity()),
                    (ptr, cap),
                    "n={n} l={l}"
                );
                let mut short = BytesMut::with_capacity(tail.len());
                Sink::put_u8_varint_slice(&mut short, 0xC5, l, s);
                assert_eq!(&short[1..], tail, "short n={n} l={l}");
                let mut short = BytesMut::with_capacity(tail.len() - 1);
                Sink::put_varint_slice(&mut short, l, s);
                assert_eq!(&short[..], tail, "short n={n} l={l}");
            }
        }
    }

    /// `put_varint2` (key and value) for keys of one to five bytes and values of one to ten,
    /// into a buffer with room for exactly those bytes (no reallocation) and one byte short
    /// (grows): the room bound depends on the key's length, so every key length is checked.
    #[test]
    fn varint2_with_room_exactly_at_the_limit() {
        for k in [8u64, 0x7f, 0x80, 1 << 20, u64::from(u32::MAX) << 3] {
            for v in [0u64, 127, 128, 1 << 40, u64::MAX] {
                let mut plain = Vec::new();
                for x in [k, v] {
                    let (a, m) = encode_varint_array(x);
                    plain.extend_from_slice(&a[..m]);
                }
                let mut exact = BytesMut::with_capacity(plain.len());
                let (ptr, cap) = (exact.as_ptr(), exact.capacity());
                Cursor::new(&mut exact).put_varint2(k, v);
                assert_eq!(&exact[..], &plain[..], "k={k} v={v}");
                assert_eq!(
                    (exact.as_ptr(), exact.capacity()),
                    (ptr, cap),
                    "k={k} v={v}"
                );
                let mut short = BytesMut::with_capacity(plain.len() - 1);
                Cursor::new(&mut short).put_varint2(k, v);
                assert_eq!(&short[..], &plain[..], "short k={k} v={v}");
            }
        }
    }

    /// Every put of the cursor, on a buffer that starts `cap` bytes short or exact.
    fn cursor_ops(c: &mut Cursor<'_>, reference: &mut Vec<u8>) {
        for v in [0u64, 1, 127, 128, 300, 1 << 40, u64::MAX] {
            Sink::put_varint(c, v);
            let (a, n) = encode_varint_array(v);
            reference.extend_from_slice(&a[..n]);
            Sink::put_u8(c, 0xAB);
            reference.push(0xAB);
            Sink::put_slice(c, &v.to_be_bytes());
            reference.extend_from_slice(&v.to_be_bytes());
            Sink::put_varint2(c, 8, v);
            reference.push(8);
            reference.extend_from_slice(&a[..n]);
            c.with_buf(|b| Sink::put_slice(b, b"nested"));
            reference.extend_from_slice(b"nested");
            let long = [v as u8; 40];
            Sink::put_slice2(
                c,
                &v.to_le_bytes()[..(v % 9) as usize],
                &long[..(v % 41) as usize],
            );
            reference.extend_from_slice(&v.to_le_bytes()[..(v % 9) as usize]);
            reference.extend_from_slice(&long[..(v % 41) as usize]);
            Sink::put_u8_varint_slice(c, v as u8, v >> 5, &long[..(v % 35) as usize]);
            reference.push(v as u8);
            let (b, m) = encode_varint_array(v >> 5);
            reference.extend_from_slice(&b[..m]);
            reference.extend_from_slice(&long[..(v % 35) as usize]);
            Sink::put_varint_slice(c, v >> 2, &long[..(v % 33) as usize]);
            let (b, m) = encode_varint_array(v >> 2);
            reference.extend_from_slice(&b[..m]);
            reference.extend_from_slice(&long[..(v % 33) as usize]);
            Sink::put_varint2_slice(c, v, v >> 3, &long[..(v % 37) as usize]);
            reference.extend_from_slice(&a[..n]);
            let (b, m) = encode_varint_array(v >> 3);
            reference.extend_from_slice(&b[..m]);
            reference.extend_from_slice(&long[..(v % 37) as usize]);
        }
    }

    #[test]
    fn cursor_writes_what_the_buffer_would_and_grows_when_short() {
        let mut reference = Vec::new();
        let mut b = BytesMut::new(); // zero capacity: every put takes the growth path
        b.extend_from_slice(b"head");
        reference.extend_from_slice(b"head");
        cursor_ops(&mut Cursor::new(&mut b), &mut reference);
        assert_eq!(&b[..], &reference[..]);
        // A second cursor appends after the first one's bytes.
        cursor_ops(&mut Cursor::new(&mut b), &mut reference);
        assert_eq!(&b[..], &reference[..]);
    }

    #[test]
    fn cursor_into_an_exact_buffer_does_not_reallocate() {
        let mut reference = Vec::new();
        cursor_ops(&mut Cursor::new(&mut BytesMut::new()), &mut reference);
        let mut b = BytesMut::with_capacity(reference.len());
        let (ptr, cap) = (b.as_ptr(), b.capacity());
        let mut again = Vec::new();
        cursor_ops(&mut Cursor::new(&mut b), &mut again);
        assert_eq!(&b[..], &reference[..]);
        assert_eq!(
            (b.as_ptr(), b.capacity()),
            (ptr, cap),
            "an exact buffer grew"
        );
    }

    #[test]
    fn cursor_dropped_early_keeps_what_it_wrote() {
        let mut b = BytesMut::with_capacity(4);
        {
            let mut c = Cursor::new(&mut b);
            Sink::put_slice(&mut c, b"abc");
        }
        assert_eq!(&b[..], b"abc");
    }
}
