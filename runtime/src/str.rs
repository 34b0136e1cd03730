//! [`ByteStr`]: an immutable, UTF-8-validated string backed by [`Bytes`].

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::str::Utf8Error;

use bytes::{Buf, Bytes};

use crate::error::{DecodeError, DecodeErrorKind};

/// Strings up to this many bytes are stored inside the [`ByteStr`] itself.
pub const INLINE_CAPACITY: usize = 23;

/// A cheaply clonable, immutable UTF-8 string that shares memory with the
/// buffer it was decoded from, or holds a short string inline.
///
/// Decoders return strings as `ByteStr`s: decoding a string field validates
/// UTF-8 once and then either keeps a zero-copy slice of the input [`Bytes`]
/// (one reference-count increment) or, for strings of at most
/// [`INLINE_CAPACITY`] (23) bytes, copies them into the value itself. Neither
/// allocates. Cloning is a reference-count increment for a shared string, a
/// 32-byte copy for an inline one, and free for `&'static str` literals
/// (wrapped with [`Bytes::from_static`]).
///
/// # Why inline short strings?
///
/// A shared slice costs an atomic increment when it is taken and an atomic
/// decrement when it is dropped. For short strings (names, tags, keys, enum-like
/// values: most strings in real messages) that pair costs more than copying the
/// bytes: on the codec benchmark it was 46 % of decoding a message with ten
/// 12-byte tags. An inline string needs no atomic operation to create, clone or
/// drop, and the type stays 32 bytes (the size of `Bytes`; the inline variant
/// lives beside the pointer niche of `Bytes`). Long strings keep sharing the
/// input, so a decoder never copies more than 23 bytes per string.
///
/// # Why not `faststr`?
///
/// `faststr::FastStr` (used by Volo/Pilota) is a general-purpose string with
/// many representations and constructors, and pulls its own dependency set.
/// Generated decoders need exactly three things: take a validated string out of
/// an input `Bytes`, wrap a literal without copying, and deref to `str`.
/// `ByteStr` does just that, with no dependency beyond `bytes`, and converts
/// to `Bytes` without copying when it shares a buffer.
///
/// ```
/// use kit_runtime::{bytes::Bytes, ByteStr};
/// let s = ByteStr::from_utf8(Bytes::from_static(b"hello")).unwrap();
/// assert_eq!(&*s, "hello");
/// assert_eq!(s, "hello");
/// let lit: ByteStr = "static".into(); // no copy
/// assert_eq!(lit.len(), 6);
/// assert!(ByteStr::from_utf8(Bytes::from_static(b"\xff")).is_err());
/// ```
#[derive(Clone)]
pub struct ByteStr(Repr);

#[derive(Clone)]
enum Repr {
    /// A (UTF-8) slice of a shared or static buffer.
    Shared(Bytes),
    /// A short string stored in place.
    Inline(Inline),
}

/// A string of at most `INLINE_CAPACITY` bytes: `0[..len]` is the (UTF-8) string and
/// `len = 0[INLINE_CAPACITY]`; bytes between are unspecified (never read). 24 plain bytes,
/// so [`Inline::from_prefix`] builds it in two registers.
#[derive(Clone, Copy)]
struct Inline([u8; INLINE_CAPACITY + 1]);

impl Inline {
    const EMPTY: Inline = Inline([0; INLINE_CAPACITY + 1]);

    /// `s` (at most `INLINE_CAPACITY` bytes).
    #[inline]
    fn new(s: &[u8]) -> Inline {
        debug_assert!(s.len() <= INLINE_CAPACITY);
        let mut raw = [0; INLINE_CAPACITY + 1];
        raw[..s.len()].copy_from_slice(s);
        raw[INLINE_CAPACITY] = s.len() as u8;
        Inline(raw)
    }

    /// The first `len` bytes of `src` (`len <= INLINE_CAPACITY`), copied as a fixed 16 + 8
    /// bytes whatever `len` is (the bytes past `len` are never read): no call to `memcpy`.
    #[inline]
    fn from_prefix(src: &[u8; INLINE_CAPACITY], len: usize) -> Inline {
        debug_assert!(len <= INLINE_CAPACITY);
        let lo = u128::from_le_bytes(src[..16].try_into().unwrap());
        // Bytes 15..23 shifted down one byte: bytes 16..23, then `len` as the top byte.
        let hi = (u64::from_le_bytes(src[15..].try_into().unwrap()) >> 8) | ((len as u64) << 56);
        let mut raw = [0; INLINE_CAPACITY + 1];
        raw[..16].copy_from_slice(&lo.to_le_bytes());
        raw[16..].copy_from_slice(&hi.to_le_bytes());
        Inline(raw)
    }

    /// `s` (at most `INLINE_CAPACITY` bytes, and nothing readable past its end), assembled in
    /// registers from a few overlapping loads of `s` and stored as two wide words. Copying
    /// byte by byte (a `memcpy` call of `s.len()`) and then moving the 24-byte value on as
    /// wide words stalls on store forwarding: this was 45 % of `take_utf8` when a short
    /// string ended the input (the last field of a message).
    #[inline]
    fn from_short(s: &[u8]) -> Inline {
        debug_assert!(s.len() <= INLINE_CAPACITY);
        let n = s.len();
        let load8 = |at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap());
        let load4 = |at: usize| u64::from(u32::from_le_bytes(s[at..at + 4].try_into().unwrap()));
        // `lo` holds bytes 0..16, `hi` bytes 16..23 and the length as its top byte. In each
        // case the second load ends at `n` and overlaps the first; shifting it right by the
        // overlap leaves the bytes the first did not cover.
        let (lo, hi): (u128, u64) = if n >= 16 {
            let a = u128::from_le_bytes(s[..16].try_into().unwrap());
            (a, (u128::from(load8(n - 8)) >> (8 * (24 - n))) as u64)
        } else if n >= 8 {
            let b = u128::from(load8(n - 8)) >> (8 * (16 - n));
            (u128::from(load8(0)) | (b << 64), 0)
        } else if n >= 4 {
            let b = load4(n - 4) >> (8 * (8 - n));
            (u128::from(load4(0) | (b << 32)), 0)
        } else if n > 0 {
            let v = u64::from(s[0])
                | (u64::from(s[n / 2]) << (8 * (n / 2)))
                | (u64::from(s[n - 1]) << (8 * (n - 1)));
            (u128::from(v), 0)
        } else {
            (0, 0)
        };
        let hi = hi | ((n as u64) << 56);
        let mut raw = [0; INLINE_CAPACITY + 1];
        raw[..16].copy_from_slice(&lo.to_le_bytes());
        raw[16..].copy_from_slice(&hi.to_le_bytes());
        Inline(raw)
    }

    /// The first `len` bytes of `src` (`len <= INLINE_CAPACITY`) if they are all ASCII, as
    /// [`from_prefix`](Self::from_prefix) builds them; `None` if one of them is not (the
    /// bytes past `len` may be anything). Checked on the same two wide loads that build the
    /// value: the first byte with its high bit set must lie at `len` or later.
    #[inline(always)]
    fn ascii_prefix(src: &[u8; INLINE_CAPACITY], len: usize) -> Option<Inline> {
        debug_assert!(len <= INLINE_CAPACITY);
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let lo = u128::from_le_bytes(src[..16].try_into().unwrap());
        // Bytes 16..23 (the top byte zero).
        let tail = u64::from_le_bytes(src[15..].try_into().unwrap()) >> 8;
        let high_lo = lo & (u128::from(HIGH) << 64 | u128::from(HIGH));
        // Bit index of the first high bit among the 23 bytes (184 and more: none).
        let first = if high_lo != 0 {
            high_lo.trailing_zeros()
        } else {
            128 + (tail & HIGH).trailing_zeros()
        };
        // Byte k's high bit is bit 8k + 7, at or past 8 * len exactly when k >= len.
        if first < 8 * len as u32 {
            return None;
        }
        let hi = tail | ((len as u64) << 56);
        let mut raw = [0; INLINE_CAPACITY + 1];
        raw[..16].copy_from_slice(&lo.to_le_bytes());
        raw[16..].copy_from_slice(&hi.to_le_bytes());
        Some(Inline(raw))
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        let len = self.0[INLINE_CAPACITY] as usize;
        // SAFETY: every constructor stores a length <= INLINE_CAPACITY.
        unsafe { self.0.get_unchecked(..len) }
    }
}

impl Default for ByteStr {
    #[inline]
    fn default() -> Self {
        ByteStr::new()
    }
}

impl ByteStr {
    /// The empty string (no allocation).
    #[inline]
    pub const fn new() -> Self {
        ByteStr(Repr::Inline(Inline::EMPTY))
    }

    /// Wraps a string literal without copying.
    #[inline]
    pub const fn from_static(s: &'static str) -> Self {
        ByteStr(Repr::Shared(Bytes::from_static(s.as_bytes())))
    }

    /// Validates `bytes` as UTF-8 and wraps it without copying.
    #[inline]
    pub fn from_utf8(bytes: Bytes) -> Result<Self, Utf8Error> {
        if !is_ascii(&bytes) {
            std::str::from_utf8(&bytes)?;
        }
        Ok(ByteStr(Repr::Shared(bytes)))
    }

    /// Wraps `bytes` without validating.
    ///
    /// # Safety
    /// `bytes` must be valid UTF-8.
    #[inline]
    pub const unsafe fn from_utf8_unchecked(bytes: Bytes) -> Self {
        ByteStr(Repr::Shared(bytes))
    }

    /// Copies `s`: inline when it fits, else into a new buffer.
    #[inline]
    pub fn copy_from_str(s: &str) -> Self {
        match Self::inline(s) {
            Some(v) => v,
            None => ByteStr(Repr::Shared(Bytes::copy_from_slice(s.as_bytes()))),
        }
    }

    /// `s` stored inline, if it fits.
    #[inline]
    fn inline(s: &str) -> Option<Self> {
        if s.len() > INLINE_CAPACITY {
            return None;
        }
        Some(ByteStr(Repr::Inline(Inline::new(s.as_bytes()))))
    }

    /// The string slice.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // SAFETY: the invariant of this type is that the bytes are valid UTF-8.
            Repr::Shared(b) => unsafe { std::str::from_utf8_unchecked(b) },
            // SAFETY: as above.
            Repr::Inline(i) => unsafe { std::str::from_utf8_unchecked(i.as_bytes()) },
        }
    }

    /// Whether the string lives in a shared buffer (`false`: stored inline).
    #[inline]
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared(_))
    }

    /// Converts into a buffer: free for a shared string, a copy for an inline one.
    #[inline]
    pub fn into_bytes(self) -> Bytes {
        match self.0 {
            Repr::Shared(b) => b,
            Repr::Inline(_) => Bytes::copy_from_slice(self.as_bytes()),
        }
    }
}

/// `b.is_ascii()`, faster on the strings decoders meet: 32 bytes per step (four words ORed
/// together, which the compiler turns into vector code) where `[u8]::is_ascii` checks one word
/// per step, and short strings checked with two overlapping loads instead of a byte loop.
#[inline]
pub(crate) fn is_ascii(b: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    #[inline(always)]
    fn word(b: &[u8]) -> u64 {
        u64::from_ne_bytes(*b.first_chunk::<8>().unwrap_or(&[0; 8]))
    }
    let n = b.len();
    if n >= 8 {
        let mut acc = 0u64;
        let mut blocks = b.chunks_exact(32);
        for c in &mut blocks {
            acc |= word(c) | word(&c[8..]) | word(&c[16..]) | word(&c[24..]);
        }
        let rest = blocks.remainder();
        let mut words = rest.chunks_exact(8);
        for c in &mut words {
            acc |= word(c);
        }
        // The last (possibly overlapping) word covers the tail.
        (acc | word(&b[n - 8..])) & HIGH == 0
    } else if n >= 4 {
        let half = |s: &[u8]| u32::from_ne_bytes(*s.first_chunk::<4>().unwrap_or(&[0; 4]));
        (half(b) | half(&b[n - 4..])) & (HIGH as u32) == 0
    } else {
        b.iter().all(|&c| c < 0x80)
    }
}

/// Takes the first `len` bytes of `buf` (`len <= buf.len()`, checked by the caller) as a
/// string, for the Thrift and Protobuf decoders: validated in place first (an inlined ASCII
/// scan, the full validation only when a byte is >= 0x80), then copied inline when it is
/// short (no atomic operation), else taken as one zero-copy slice (one reference-count
/// increment).
#[inline]
pub(crate) fn take_utf8(buf: &mut Bytes, len: usize) -> Result<ByteStr, DecodeError> {
    let b = &buf[..len];
    if !(is_ascii(b) || std::str::from_utf8(b).is_ok()) {
        return Err(DecodeError::new(DecodeErrorKind::InvalidUtf8));
    }
    if len <= INLINE_CAPACITY {
        let inline = match buf.first_chunk::<INLINE_CAPACITY>() {
            Some(src) => Inline::from_prefix(src, len),
            None => Inline::from_short(&buf[..len]),
        };
        buf.advance(len);
        return Ok(ByteStr(Repr::Inline(inline)));
    }
    let s = buf.split_to(len);
    // SAFETY: validated as UTF-8 just above.
    Ok(unsafe { ByteStr::from_utf8_unchecked(s) })
}

/// [`take_utf8`] with its most common case inlined at the call site: a short ASCII string
/// (names, keys, tags) with at least [`INLINE_CAPACITY`] bytes of input left, checked and
/// copied in registers (no call, no byte loop). Everything else goes to `take_utf8`.
#[inline(always)]
pub(crate) fn take_utf8_short(buf: &mut Bytes, len: usize) -> Result<ByteStr, DecodeError> {
    if len <= INLINE_CAPACITY {
        if let Some(src) = buf.first_chunk::<INLINE_CAPACITY>() {
            if let Some(inline) = Inline::ascii_prefix(src, len) {
                buf.advance(len);
                return Ok(ByteStr(Repr::Inline(inline)));
            }
        }
    }
    take_utf8(buf, len)
}

impl Deref for ByteStr {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ByteStr {
    #[inline]
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for ByteStr {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<str> for ByteStr {
    #[inline]
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for ByteStr {
    #[inline]
    fn from(s: &'static str) -> Self {
        ByteStr::from_static(s)
    }
}

/// Short strings are copied inline (the `String`'s buffer is freed); longer ones keep it.
impl From<String> for ByteStr {
    #[inline]
    fn from(s: String) -> Self {
        match ByteStr::inline(&s) {
            Some(v) => v,
            None => ByteStr(Repr::Shared(Bytes::from(s))),
        }
    }
}

/// Short strings are copied inline (the box is freed); longer ones keep it.
impl From<Box<str>> for ByteStr {
    #[inline]
    fn from(s: Box<str>) -> Self {
        match ByteStr::inline(&s) {
            Some(v) => v,
            None => ByteStr(Repr::Shared(Bytes::from(s.into_boxed_bytes()))),
        }
    }
}

/// Free for a shared string, a copy for an inline one.
impl From<ByteStr> for Bytes {
    #[inline]
    fn from(s: ByteStr) -> Bytes {
        s.into_bytes()
    }
}

impl TryFrom<Bytes> for ByteStr {
    type Error = Utf8Error;
    #[inline]
    fn try_from(b: Bytes) -> Result<Self, Utf8Error> {
        ByteStr::from_utf8(b)
    }
}

/// Serialized as a string; deserialized from a string (copied once into a new buffer).
#[cfg(feature = "serde")]
impl serde::Serialize for ByteStr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ByteStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(ByteStr::from)
    }
}

impl fmt::Display for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for ByteStr {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for ByteStr {}

impl PartialEq<str> for ByteStr {
    #[inline]
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl PartialEq<&str> for ByteStr {
    #[inline]
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
impl PartialEq<String> for ByteStr {
    #[inline]
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}
impl PartialEq<ByteStr> for str {
    #[inline]
    fn eq(&self, other: &ByteStr) -> bool {
        self == other.as_str()
    }
}
impl PartialEq<ByteStr> for &str {
    #[inline]
    fn eq(&self, other: &ByteStr) -> bool {
        *self == other.as_str()
    }
}

/// Hashes exactly like `str`, as required by `Borrow<str>` (so
/// `HashMap<ByteStr, _>::get("key")` works).
impl Hash for ByteStr {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialOrd for ByteStr {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ByteStr {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

#[cfg(test)]
mod tests {
    /// The fast ASCII check agrees with the standard one for every length and every position
    /// of a non-ASCII byte, at every alignment.
    #[test]
    fn is_ascii_agrees_with_std() {
        let base: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
        for start in 0..8 {
            for n in 0..base.len() - start {
                let b = &base[start..start + n];
                assert!(super::is_ascii(b), "start={start} n={n}");
                for at in 0..n {
                    for high in [0x80u8, 0xC3, 0xFF] {
                        let mut v = b.to_vec();
                        v[at] = high;
                        assert_eq!(super::is_ascii(&v), v.is_ascii(), "n={n} at={at}");
                        assert!(!super::is_ascii(&v));
                    }
                }
            }
        }
    }

    /// `from_short` and `from_prefix` build the same value as the plain copy, for every
    /// length, from slices that end exactly where the string does.
    #[test]
    fn inline_constructors_agree() {
        use super::{Inline, INLINE_CAPACITY};
        let data: Vec<u8> = (0..64u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(11))
            .collect();
        for start in 0..8 {
            for n in 0..=INLINE_CAPACITY {
                let s = &data[start..start + n];
                let want = Inline::new(s);
                let short = Inline::from_short(s);
                assert_eq!(short.as_bytes(), s, "from_short n={n} start={start}");
                assert_eq!(short.0[INLINE_CAPACITY], want.0[INLINE_CAPACITY]);
                let wide: &[u8; INLINE_CAPACITY] =
                    data[start..start + INLINE_CAPACITY].try_into().unwrap();
                assert_eq!(
                    Inline::from_prefix(wide, n).as_bytes(),
                    s,
                    "from_prefix n={n}"
                );
            }
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_as_a_string() {
        let s = super::ByteStr::from("héllo \"x\"");
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(j, r#""héllo \"x\"""#);
        let back: super::ByteStr = serde_json::from_str(&j).unwrap();
        assert_eq!(back, s);
        assert!(serde_json::from_str::<super::ByteStr>("12").is_err());
    }

    use super::*;
    use std::collections::{BTreeMap, HashMap};
    use std::hash::BuildHasher;

    #[test]
    fn static_is_not_copied() {
        static S: &str = "literal";
        let b = ByteStr::from(S);
        assert_eq!(b.as_ptr(), S.as_ptr());
    }

    #[test]
    fn from_utf8_shares_buffer() {
        let buf = Bytes::from(vec![b'a', b'b', b'c', b'd']);
        let sub = buf.slice(1..3);
        let s = ByteStr::from_utf8(sub.clone()).unwrap();
        assert_eq!(s, "bc");
        assert_eq!(s.as_ptr(), sub.as_ptr());
        assert!(s.is_shared());
        assert_eq!(s.clone().into_bytes(), sub);
    }

    #[test]
    fn same_size_as_bytes() {
        assert_eq!(std::mem::size_of::<ByteStr>(), std::mem::size_of::<Bytes>());
    }

    #[test]
    fn take_utf8_inlines_short_and_shares_long() {
        let long = "x".repeat(INLINE_CAPACITY + 1);
        for (text, shared) in [
            ("", false),
            ("é", false),
            ("tag-number-1", false),
            (&long[1..], false), // exactly INLINE_CAPACITY
            (long.as_str(), true),
        ] {
            // With and without INLINE_CAPACITY bytes after the string (the two copy paths).
            for tail in [&b""[..], &[b'!'; 40][..]] {
                let mut input = Bytes::from([text.as_bytes(), tail].concat());
                let start = input.as_ptr();
                let s = take_utf8(&mut input, text.len()).unwrap();
                assert_eq!(s, text);
                assert_eq!(s.len(), text.len());
                assert_eq!(s.is_shared(), shared, "{text:?}");
                assert_eq!(s.as_ptr() == start, shared && !text.is_empty());
                assert_eq!(input.len(), tail.len());
                let c = s.clone();
                drop(s);
                assert_eq!(c, text);
                assert_eq!(c.into_bytes(), text.as_bytes());
            }
        }
        let mut bad = Bytes::from_static(b"ok\xc3 and more");
        assert!(take_utf8(&mut bad, 3).is_err());
    }

    /// `take_utf8_short` against `take_utf8` for every short length, with a non-ASCII byte
    /// (a valid two-byte character, a stray continuation byte) at every position inside and
    /// just past the string, and with every amount of input after it (the inline check reads
    /// 23 bytes whatever the length, so the bytes past the string must not matter).
    #[test]
    fn take_utf8_short_agrees_with_take_utf8() {
        let text = b"abcdefghijklmnopqrstuvwxyz0123456789";
        for len in 0..=INLINE_CAPACITY + 2 {
            for bad_at in (0..=len + 1).map(Some).chain([None]) {
                for insert in [&b"\xc3\xa9"[..], &b"\x80"[..], &b"\xff"[..]] {
                    let mut s = text[..len].to_vec();
                    let mut n = len;
                    if let Some(at) = bad_at {
                        if at <= len {
                            s.splice(at.min(s.len())..at.min(s.len()), insert.iter().copied());
                            n = if at < len { len + insert.len() } else { len };
                        }
                    }
                    for tail_len in [0usize, 1, 7, 22, 23, 40] {
                        let mut input = s.clone();
                        input.extend(std::iter::repeat_n(0x80 | (tail_len as u8), tail_len));
                        let (mut a, mut b) = (Bytes::from(input.clone()), Bytes::from(input));
                        let (x, y) = (take_utf8_short(&mut a, n), take_utf8(&mut b, n));
                        match (&x, &y) {
                            (Ok(x), Ok(y)) => {
                                assert_eq!(x, y);
                                assert_eq!(x.is_shared(), y.is_shared());
                            }
                            (Err(x), Err(y)) => assert_eq!(x.kind(), y.kind()),
                            _ => panic!("len {n}, {s:02x?}: {x:?} vs {y:?}"),
                        }
                        assert_eq!(a, b, "both consumed the same");
                    }
                }
            }
        }
    }

    #[test]
    fn conversions_inline_short_strings() {
        let long = "y".repeat(40);
        for s in ["", "short", long.as_str()] {
            let owned = ByteStr::from(s.to_string());
            let boxed = ByteStr::from(Box::<str>::from(s));
            let copied = ByteStr::copy_from_str(s);
            for v in [&owned, &boxed, &copied] {
                assert_eq!(v, s);
                assert_eq!(v.is_shared(), s.len() > INLINE_CAPACITY);
            }
            assert_eq!(Bytes::from(owned), s.as_bytes());
        }
        // Equality, hashing and ordering do not depend on the representation.
        let shared = ByteStr::from_static("abc");
        let inline = ByteStr::copy_from_str("abc");
        assert!(shared.is_shared() && !inline.is_shared());
        assert_eq!(shared, inline);
        assert_eq!(shared.cmp(&inline), Ordering::Equal);
        let rs = std::collections::hash_map::RandomState::new();
        assert_eq!(rs.hash_one(&shared), rs.hash_one(&inline));
    }

    #[test]
    fn rejects_invalid_utf8() {
        assert!(ByteStr::from_utf8(Bytes::from_static(b"ok\xc3")).is_err());
        assert!(ByteStr::from_utf8(Bytes::from_static("é".as_bytes())).is_ok());
    }

    #[test]
    fn borrow_hash_and_ord_agree_with_str() {
        let mut m = HashMap::new();
        m.insert(ByteStr::from(String::from("key")), 1);
        assert_eq!(m.get("key"), Some(&1));
        let mut t = BTreeMap::new();
        t.insert(ByteStr::from("b"), 2);
        t.insert(ByteStr::from("a"), 1);
        assert_eq!(t.get("a"), Some(&1));
        assert_eq!(t.keys().next().unwrap(), "a");
        let (a, b) = (ByteStr::from("a"), ByteStr::from("b"));
        assert!(a < b);
    }

    #[test]
    fn display_debug_default() {
        let s = ByteStr::from("x\"y");
        assert_eq!(format!("{s}"), "x\"y");
        assert_eq!(format!("{s:?}"), "\"x\\\"y\"");
        assert!(ByteStr::default().is_empty());
    }
}
