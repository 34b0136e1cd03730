//! Decode errors shared by every wire format.
//!
//! A [`DecodeError`] is a single boxed pointer, so `Result<T, DecodeError>` stays
//! as small as possible on the hot (successful) path. Construction is `#[cold]`.
//!
//! While unwinding through generated code, each struct level records where the
//! error happened with [`DecodeError::push_field`] (or the [`ResultExt::in_field`]
//! shorthand), so the final message reads like
//! `invalid UTF-8 in string (at Outer.inner -> Inner.name)`.

use std::borrow::Cow;
use std::fmt;

/// What went wrong while decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended before the value was complete.
    Truncated,
    /// A string was not valid UTF-8.
    InvalidUtf8,
    /// An unknown Thrift type code (raw byte as found on the wire).
    InvalidType(u8),
    /// An unknown Protobuf wire type (raw 3-bit value).
    InvalidWireType(u8),
    /// A Protobuf key with field number 0 (or otherwise out of range).
    InvalidFieldNumber,
    /// Nesting exceeded the recursion limit.
    DepthLimit,
    /// A length or element count larger than the bytes remaining in the input.
    LengthLimit {
        /// Declared length (bytes or elements).
        len: u64,
        /// Bytes remaining in the input at that point.
        remaining: usize,
    },
    /// A negative length or element count.
    NegativeLength(i64),
    /// A varint longer than 10 bytes or overflowing its target integer.
    InvalidVarint,
    /// A required field was absent.
    MissingRequiredField {
        /// Field name as written in the IDL.
        name: &'static str,
    },
    /// Thrift message header with a bad version / protocol id.
    BadVersion,
    /// Protobuf end-group tag that does not match its start group.
    UnexpectedEndGroup,
    /// Anything else, with a human-readable description.
    InvalidData(Cow<'static, str>),
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("unexpected end of input"),
            Self::InvalidUtf8 => f.write_str("invalid UTF-8 in string"),
            Self::InvalidType(t) => write!(f, "invalid thrift type code {t}"),
            Self::InvalidWireType(t) => write!(f, "invalid protobuf wire type {t}"),
            Self::InvalidFieldNumber => f.write_str("invalid protobuf field number"),
            Self::DepthLimit => f.write_str("recursion depth limit exceeded"),
            Self::LengthLimit { len, remaining } => {
                write!(
                    f,
                    "length {len} exceeds remaining input ({remaining} bytes)"
                )
            }
            Self::NegativeLength(n) => write!(f, "negative length {n}"),
            Self::InvalidVarint => f.write_str("invalid varint"),
            Self::MissingRequiredField { name } => write!(f, "missing required field `{name}`"),
            Self::BadVersion => f.write_str("bad protocol version in message header"),
            Self::UnexpectedEndGroup => f.write_str("unexpected end group"),
            Self::InvalidData(m) => f.write_str(m),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: DecodeErrorKind,
    /// Innermost first: `(struct, field)` pairs pushed while unwinding.
    path: Vec<(&'static str, &'static str)>,
}

/// Error returned by every decoder in this crate.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError(Box<Inner>);

impl DecodeError {
    /// Builds an error of the given kind.
    #[cold]
    #[inline(never)]
    pub fn new(kind: DecodeErrorKind) -> Self {
        DecodeError(Box::new(Inner {
            kind,
            path: Vec::new(),
        }))
    }

    /// Shorthand for [`DecodeErrorKind::Truncated`].
    #[cold]
    #[inline(never)]
    pub fn truncated() -> Self {
        Self::new(DecodeErrorKind::Truncated)
    }

    /// Shorthand for [`DecodeErrorKind::InvalidData`].
    #[cold]
    #[inline(never)]
    pub fn invalid_data(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(DecodeErrorKind::InvalidData(msg.into()))
    }

    /// Shorthand for [`DecodeErrorKind::MissingRequiredField`].
    #[cold]
    #[inline(never)]
    pub fn missing_field(name: &'static str) -> Self {
        Self::new(DecodeErrorKind::MissingRequiredField { name })
    }

    /// Checked length: errors if `len` exceeds `remaining`.
    #[cold]
    #[inline(never)]
    pub(crate) fn length_limit(len: u64, remaining: usize) -> Self {
        Self::new(DecodeErrorKind::LengthLimit { len, remaining })
    }

    /// The kind of error.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.0.kind
    }

    /// Records that the error happened inside `strukt.field`. Call it while
    /// unwinding, innermost struct first.
    #[cold]
    pub fn push_field(&mut self, strukt: &'static str, field: &'static str) {
        self.0.path.push((strukt, field));
    }

    /// By-value form of [`push_field`](Self::push_field), for `map_err`.
    #[cold]
    #[inline(never)]
    pub fn with_field(mut self, strukt: &'static str, field: &'static str) -> Self {
        self.push_field(strukt, field);
        self
    }

    /// [`with_field`](Self::with_field) naming the field by its number: `names[tag - first]`
    /// (generated code lists a message's field names in number order, a gap as `""`), or
    /// `""` for a number outside the list.
    #[cold]
    #[inline(never)]
    pub fn with_field_numbered(
        self,
        strukt: &'static str,
        tag: u32,
        first: u32,
        names: &'static [&'static str],
    ) -> Self {
        let field = tag
            .checked_sub(first)
            .and_then(|i| names.get(i as usize))
            .copied()
            .unwrap_or("");
        self.with_field(strukt, field)
    }

    /// The recorded location, outermost first, e.g. `["Outer.inner", "Inner.name"]`.
    pub fn path(&self) -> impl Iterator<Item = String> + '_ {
        self.0.path.iter().rev().map(|(s, f)| format!("{s}.{f}"))
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.kind)?;
        if !self.0.path.is_empty() {
            f.write_str(" (at ")?;
            for (i, (s, fld)) in self.0.path.iter().rev().enumerate() {
                if i > 0 {
                    f.write_str(" -> ")?;
                }
                write!(f, "{s}.{fld}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecodeError({self})")
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeErrorKind> for DecodeError {
    #[cold]
    fn from(kind: DecodeErrorKind) -> Self {
        DecodeError::new(kind)
    }
}

/// Extension used by generated code to annotate errors with a field location.
///
/// ```
/// use kit_runtime::{DecodeError, ResultExt};
/// let r: Result<i32, DecodeError> = Err(DecodeError::truncated());
/// let e = r.in_field("User", "id").unwrap_err();
/// assert_eq!(e.to_string(), "unexpected end of input (at User.id)");
/// ```
pub trait ResultExt {
    /// Pushes `strukt.field` onto the error path if this is an error.
    fn in_field(self, strukt: &'static str, field: &'static str) -> Self;
}

impl<T> ResultExt for Result<T, DecodeError> {
    #[inline(always)]
    fn in_field(self, strukt: &'static str, field: &'static str) -> Self {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(e.with_field(strukt, field)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_pointer() {
        assert_eq!(
            std::mem::size_of::<DecodeError>(),
            std::mem::size_of::<usize>()
        );
        assert_eq!(
            std::mem::size_of::<Result<(), DecodeError>>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn numbered_field_names_with_gaps_and_out_of_range() {
        const NAMES: &[&str] = &["a", "", "c"];
        let named = |tag| {
            DecodeError::truncated()
                .with_field_numbered("M", tag, 5, NAMES)
                .path()
                .collect::<Vec<_>>()
        };
        assert_eq!(named(5), ["M.a"]);
        assert_eq!(named(7), ["M.c"]);
        for gap_or_outside in [6, 4, 8, 0, u32::MAX] {
            assert_eq!(named(gap_or_outside), ["M."], "tag {gap_or_outside}");
        }
    }

    #[test]
    fn path_is_rendered_outermost_first() {
        let mut e = DecodeError::new(DecodeErrorKind::InvalidUtf8);
        e.push_field("Inner", "name");
        e.push_field("Outer", "inner");
        assert_eq!(
            e.to_string(),
            "invalid UTF-8 in string (at Outer.inner -> Inner.name)"
        );
        assert_eq!(
            e.path().collect::<Vec<_>>(),
            vec!["Outer.inner".to_string(), "Inner.name".to_string()]
        );
        assert_eq!(e.kind(), &DecodeErrorKind::InvalidUtf8);
    }

    #[test]
    fn missing_required_field_message() {
        let e = DecodeError::missing_field("id").with_field("User", "id");
        assert_eq!(e.to_string(), "missing required field `id` (at User.id)");
    }
}
