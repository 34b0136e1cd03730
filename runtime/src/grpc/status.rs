//! gRPC status codes, [`Status`], and `grpc-message` percent-encoding.

use std::fmt;

use bytes::Bytes;

use super::metadata::Metadata;

/// The gRPC status codes (`grpc-status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Code {
    Ok = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

impl Code {
    /// The `grpc-status` header value, without formatting or allocating.
    pub(crate) fn header_value(self) -> http::HeaderValue {
        const VALUES: [&str; 17] = [
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15",
            "16",
        ];
        match VALUES.get(self as usize) {
            Some(v) => http::HeaderValue::from_static(v),
            None => http::HeaderValue::from(self as i32),
        }
    }

    /// The code for a `grpc-status` value; values outside 0..=16 are `Unknown`.
    pub fn from_i32(v: i32) -> Code {
        use Code::*;
        const ALL: [Code; 17] = [
            Ok,
            Cancelled,
            Unknown,
            InvalidArgument,
            DeadlineExceeded,
            NotFound,
            AlreadyExists,
            PermissionDenied,
            ResourceExhausted,
            FailedPrecondition,
            Aborted,
            OutOfRange,
            Unimplemented,
            Internal,
            Unavailable,
            DataLoss,
            Unauthenticated,
        ];
        usize::try_from(v)
            .ok()
            .and_then(|i| ALL.get(i).copied())
            .unwrap_or(Unknown)
    }

    /// Parses the ASCII decimal `grpc-status` header value.
    pub fn from_header(v: &[u8]) -> Code {
        std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse::<i32>().ok())
            .map_or(Code::Unknown, Code::from_i32)
    }
}

/// A gRPC call outcome: code, message, and trailing metadata.
#[derive(Clone, Debug)]
pub struct Status {
    code: Code,
    message: String,
    details: Option<Bytes>,
    metadata: Option<Box<Metadata>>,
}

macro_rules! ctors {
    ($($name:ident => $code:ident),* $(,)?) => {
        $(
            #[doc = concat!("A status with code `", stringify!($code), "`.")]
            pub fn $name(message: impl Into<String>) -> Status {
                Status::new(Code::$code, message)
            }
        )*
    };
}

impl Status {
    /// A status with `code` and `message`.
    pub fn new(code: Code, message: impl Into<String>) -> Status {
        Status {
            code,
            message: message.into(),
            details: None,
            metadata: None,
        }
    }

    ctors! {
        ok => Ok, cancelled => Cancelled, unknown => Unknown,
        invalid_argument => InvalidArgument, deadline_exceeded => DeadlineExceeded,
        not_found => NotFound, already_exists => AlreadyExists,
        permission_denied => PermissionDenied, resource_exhausted => ResourceExhausted,
        failed_precondition => FailedPrecondition, aborted => Aborted,
        out_of_range => OutOfRange, unimplemented => Unimplemented, internal => Internal,
        unavailable => Unavailable, data_loss => DataLoss, unauthenticated => Unauthenticated,
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.code
    }
    /// The (decoded) message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// `grpc-status-details-bin`, if any.
    pub fn details(&self) -> Option<&Bytes> {
        self.details.as_ref()
    }
    /// Sets `grpc-status-details-bin`.
    pub fn with_details(mut self, details: Bytes) -> Status {
        self.details = Some(details);
        self
    }
    /// Trailing metadata sent (or received) with this status.
    pub fn metadata(&self) -> &Metadata {
        static EMPTY: std::sync::OnceLock<Metadata> = std::sync::OnceLock::new();
        match &self.metadata {
            Some(m) => m,
            None => EMPTY.get_or_init(Metadata::new),
        }
    }
    /// Mutable trailing metadata.
    pub fn metadata_mut(&mut self) -> &mut Metadata {
        self.metadata.get_or_insert_with(Default::default)
    }
    /// Replaces the trailing metadata.
    pub fn with_metadata(mut self, metadata: Metadata) -> Status {
        self.metadata = (!metadata.is_empty()).then(|| Box::new(metadata));
        self
    }

    /// Writes `grpc-status`, `grpc-message`, details and metadata into `headers`.
    pub(crate) fn write_trailers(&self, headers: &mut http::HeaderMap) {
        self.metadata().merge_into(headers);
        headers.insert(super::hdr::GRPC_STATUS, self.code.header_value());
        if !self.message.is_empty() {
            if let Ok(v) = http::HeaderValue::from_str(&percent_encode(&self.message)) {
                headers.insert(super::hdr::GRPC_MESSAGE, v);
            }
        }
        if let Some(d) = &self.details {
            if let Ok(v) = http::HeaderValue::from_str(&super::metadata::b64_encode(d)) {
                headers.insert(super::hdr::GRPC_STATUS_DETAILS, v);
            }
        }
    }

    /// Reads a status from trailers (or a trailers-only response's headers). `None` when there
    /// is no `grpc-status`.
    pub(crate) fn from_trailers(headers: &http::HeaderMap) -> Option<Status> {
        let code = Code::from_header(headers.get(super::hdr::GRPC_STATUS)?.as_bytes());
        let message = headers
            .get(super::hdr::GRPC_MESSAGE)
            .map(|v| percent_decode(v.as_bytes()))
            .unwrap_or_default();
        let details = headers
            .get(super::hdr::GRPC_STATUS_DETAILS)
            .and_then(|v| super::metadata::b64_decode(v.as_bytes()))
            .map(Bytes::from);
        Some(
            Status {
                code,
                message,
                details,
                metadata: None,
            }
            .with_metadata(Metadata::from_headers(headers)),
        )
    }

    pub(crate) fn from_h2(e: &h2::Error) -> Status {
        if let Some(reason) = e.reason() {
            let code = match reason {
                h2::Reason::NO_ERROR | h2::Reason::PROTOCOL_ERROR | h2::Reason::INTERNAL_ERROR => {
                    Code::Internal
                }
                h2::Reason::FLOW_CONTROL_ERROR => Code::Internal,
                h2::Reason::REFUSED_STREAM => Code::Unavailable,
                h2::Reason::CANCEL => Code::Cancelled,
                h2::Reason::ENHANCE_YOUR_CALM => Code::ResourceExhausted,
                h2::Reason::INADEQUATE_SECURITY => Code::PermissionDenied,
                _ => Code::Internal,
            };
            return Status::new(code, format!("h2: {e}"));
        }
        Status::unavailable(format!("connection: {e}"))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for Status {}

impl From<crate::balance::NoEndpoints> for Status {
    fn from(e: crate::balance::NoEndpoints) -> Self {
        Status::new(Code::Unavailable, e.to_string())
    }
}

/// Percent-encodes a `grpc-message`: bytes outside printable ASCII (0x20..=0x7E) and `%`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if (0x20..=0x7e).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes a percent-encoded `grpc-message`; malformed escapes are kept literally, invalid UTF-8
/// is replaced.
pub fn percent_decode(v: &[u8]) -> String {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%' && i + 2 < v.len() {
            let hex = std::str::from_utf8(&v[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(v[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_header_values_are_the_numbers() {
        for v in 0..=16 {
            let c = Code::from_i32(v);
            assert_eq!(c.header_value(), http::HeaderValue::from(v), "{c:?}");
        }
    }

    #[test]
    fn percent_round_trip() {
        let s = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n 100%";
        let e = percent_encode(s);
        assert!(e.is_ascii());
        assert_eq!(percent_decode(e.as_bytes()), s);
        assert_eq!(percent_decode(b"bad %zz %4"), "bad %zz %4");
    }

    #[test]
    fn codes() {
        assert_eq!(Code::from_i32(16), Code::Unauthenticated);
        assert_eq!(Code::from_i32(17), Code::Unknown);
        assert_eq!(Code::from_header(b"x"), Code::Unknown);
    }
}
