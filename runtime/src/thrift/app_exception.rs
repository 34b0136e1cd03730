//! `TApplicationException`: the struct a server sends with message type
//! [`Exception`](super::MessageType::Exception) when a call fails outside the
//! IDL-declared exceptions. Wire layout, as Apache defines it:
//! field 1 `message: string`, field 2 `type: i32`.

use std::fmt;

use super::{Reader, TType, ThriftStruct, Writer};
use crate::error::{DecodeError, ResultExt};
use crate::ByteStr;

/// Open enum of application exception type codes (unknown codes are kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ApplicationExceptionKind(pub i32);

impl ApplicationExceptionKind {
    /// Unspecified.
    pub const UNKNOWN: Self = Self(0);
    /// No such method.
    pub const UNKNOWN_METHOD: Self = Self(1);
    /// Message type not valid for the call.
    pub const INVALID_MESSAGE_TYPE: Self = Self(2);
    /// Reply for a different method.
    pub const WRONG_METHOD_NAME: Self = Self(3);
    /// Reply sequence id does not match.
    pub const BAD_SEQUENCE_ID: Self = Self(4);
    /// Reply carried no result.
    pub const MISSING_RESULT: Self = Self(5);
    /// Server-side failure.
    pub const INTERNAL_ERROR: Self = Self(6);
    /// Malformed request.
    pub const PROTOCOL_ERROR: Self = Self(7);
    /// Unsupported transform.
    pub const INVALID_TRANSFORM: Self = Self(8);
    /// Unsupported protocol.
    pub const INVALID_PROTOCOL: Self = Self(9);
    /// Unsupported client type.
    pub const UNSUPPORTED_CLIENT_TYPE: Self = Self(10);
}

impl crate::Enum for ApplicationExceptionKind {
    #[inline]
    fn value(&self) -> i32 {
        self.0
    }
    #[inline]
    fn from_value(v: i32) -> Self {
        Self(v)
    }
}

/// A Thrift `TApplicationException`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplicationException {
    /// Human-readable message (field 1).
    pub message: ByteStr,
    /// Type code (field 2).
    pub kind: ApplicationExceptionKind,
}

impl ApplicationException {
    /// Builds an exception.
    pub fn new(kind: ApplicationExceptionKind, message: impl Into<ByteStr>) -> Self {
        ApplicationException {
            message: message.into(),
            kind,
        }
    }
}

impl fmt::Display for ApplicationException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "thrift application exception (type {}): {}",
            self.kind.0, self.message
        )
    }
}

impl std::error::Error for ApplicationException {}

impl ThriftStruct for ApplicationException {
    fn write<W: Writer>(&self, w: &mut W) {
        w.write_struct_begin();
        w.write_field_begin(TType::String, 1);
        w.write_string(&self.message);
        w.write_field_end();
        w.write_field_begin(TType::I32, 2);
        w.write_i32(self.kind.0);
        w.write_field_end();
        w.write_field_stop();
        w.write_struct_end();
    }

    fn read<R: Reader>(r: &mut R) -> Result<Self, DecodeError> {
        let mut out = ApplicationException::default();
        r.read_struct_begin()?;
        loop {
            let f = r.read_field_begin()?;
            match (f.id, f.ttype) {
                (_, TType::Stop) => break,
                (1, TType::String) => {
                    out.message = r
                        .read_string()
                        .in_field("TApplicationException", "message")?
                }
                (2, TType::I32) => {
                    out.kind = ApplicationExceptionKind(
                        r.read_i32().in_field("TApplicationException", "type")?,
                    )
                }
                (_, t) => r.skip(t)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_bytes_match_apache_layout() {
        let e = ApplicationException::new(ApplicationExceptionKind::UNKNOWN_METHOD, "nope");
        let b = e.encode_binary();
        assert_eq!(
            &b[..],
            &[11, 0, 1, 0, 0, 0, 4, b'n', b'o', b'p', b'e', 8, 0, 2, 0, 0, 0, 1, 0]
        );
        assert_eq!(ApplicationException::decode_binary(b).unwrap(), e);
    }

    #[test]
    fn compact_round_trip_and_unknown_fields_skipped() {
        let e = ApplicationException::new(ApplicationExceptionKind::INTERNAL_ERROR, "boom");
        let b = e.encode_compact();
        assert_eq!(&b[..], &[0x18, 4, b'b', b'o', b'o', b'm', 0x15, 12, 0]);
        assert_eq!(ApplicationException::decode_compact(b).unwrap(), e);
        // field 3 (i64, unknown) is skipped
        let b = bytes::Bytes::from_static(&[0x25, 0x02, 0x16, 0x02, 0x00]);
        let d = ApplicationException::decode_compact(b).unwrap();
        assert_eq!(d.kind, ApplicationExceptionKind::UNKNOWN_METHOD);
        assert_eq!(d.to_string(), "thrift application exception (type 1): ");
    }
}
