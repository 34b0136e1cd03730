//! [`ByteStr`]: an immutable, UTF-8-validated string backed by [`Bytes`].

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::str::Utf8Error;

use bytes::Bytes;

use crate::error::{DecodeError, DecodeErrorKind};

/// A cheaply clonable, immutable UTF-8 string that shares memory with the
/// buffer it was decoded from.
///
/// Decoders return strings as `ByteStr` slices of the input [`Bytes`]: decoding
/// a string field validates UTF-8 once and bumps a reference count; it never
/// copies the text. Cloning is a reference-count increment (or free for
/// `&'static str` literals, which are wrapped with [`Bytes::from_static`]).
///
/// # Why not `faststr`?
///
/// `faststr::FastStr` (used by Volo/Pilota) is a general-purpose string with
/// inline small-string storage and many constructors, and pulls its own
/// dependency set. Generated decoders need exactly three things: wrap a
/// validated `Bytes` slice, wrap a literal without copying, and deref to `str`.
/// `ByteStr` is a `#[repr(transparent)]` newtype over `Bytes` doing just that,
/// with no dependency beyond `bytes`, and converts to/from `Bytes` for free, so
/// transports can hand payload slices around without conversion.
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
#[derive(Clone, Default)]
#[repr(transparent)]
pub struct ByteStr(Bytes);

impl ByteStr {
    /// The empty string (no allocation).
    #[inline]
    pub const fn new() -> Self {
        ByteStr(Bytes::new())
    }

    /// Wraps a string literal without copying.
    #[inline]
    pub const fn from_static(s: &'static str) -> Self {
        ByteStr(Bytes::from_static(s.as_bytes()))
    }

    /// Validates `bytes` as UTF-8 and wraps it without copying.
    #[inline]
    pub fn from_utf8(bytes: Bytes) -> Result<Self, Utf8Error> {
        if !bytes.is_ascii() {
            std::str::from_utf8(&bytes)?;
        }
        Ok(ByteStr(bytes))
    }

    /// Wraps `bytes` without validating.
    ///
    /// # Safety
    /// `bytes` must be valid UTF-8.
    #[inline]
    pub const unsafe fn from_utf8_unchecked(bytes: Bytes) -> Self {
        ByteStr(bytes)
    }

    /// Copies `s` into a new buffer.
    #[inline]
    pub fn copy_from_str(s: &str) -> Self {
        ByteStr(Bytes::copy_from_slice(s.as_bytes()))
    }

    /// The string slice.
    #[inline]
    pub fn as_str(&self) -> &str {
        // SAFETY: the invariant of this type is that `self.0` is valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The underlying buffer.
    #[inline]
    pub fn as_bytes_ref(&self) -> &Bytes {
        &self.0
    }

    /// Unwraps into the underlying buffer.
    #[inline]
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

/// Takes the first `len` bytes of `buf` (`len <= buf.len()`, checked by the caller) as a
/// string, for the Thrift and Protobuf decoders: validated in place first (an inlined ASCII
/// scan, the full validation only when a byte is >= 0x80), so the one slice taken (one
/// reference-count increment) is the string itself.
#[inline]
pub(crate) fn take_utf8(buf: &mut Bytes, len: usize) -> Result<ByteStr, DecodeError> {
    let b = &buf[..len];
    if !(b.is_ascii() || std::str::from_utf8(b).is_ok()) {
        return Err(DecodeError::new(DecodeErrorKind::InvalidUtf8));
    }
    let s = buf.split_to(len);
    // SAFETY: validated as UTF-8 just above.
    Ok(unsafe { ByteStr::from_utf8_unchecked(s) })
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
        &self.0
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

impl From<String> for ByteStr {
    #[inline]
    fn from(s: String) -> Self {
        ByteStr(Bytes::from(s))
    }
}

impl From<Box<str>> for ByteStr {
    #[inline]
    fn from(s: Box<str>) -> Self {
        ByteStr(Bytes::from(s.into_boxed_bytes()))
    }
}

impl From<ByteStr> for Bytes {
    #[inline]
    fn from(s: ByteStr) -> Bytes {
        s.0
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
        self.0 == other.0
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
        assert_eq!(s.as_bytes_ref().as_ptr(), sub.as_ptr());
        assert_eq!(s.clone().into_bytes(), sub);
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
