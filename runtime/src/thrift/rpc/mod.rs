//! Thrift RPC over TCP: transports, a server, a pooled client, and the glue generated service
//! stubs call.
//!
//! * **Transports** ([`TransportKind`]): *framed* (4-byte big-endian length), *buffered*
//!   (unframed: a message's end is found by parsing it as it arrives) and *TTHeader* (the
//!   Kitex/Volo header transport: magic `0x1000` as Kitex writes it, flags, seq id, header size,
//!   protocol id, `u16`-length string key/value info headers such as `traceparent`), and
//!   Apache's *THeader* (magic `0x0FFF`, the same layout with varint-encoded fields). A server detects the transport and protocol of each connection from its
//!   first bytes, so one listener serves every combination.
//! * **Protocols** ([`ProtocolKind`]): binary and compact, chosen per message.
//! * **Server** ([`Server`]): accept loop, pipelined requests per connection (each answered by
//!   its seq id), frame-size limit, idle/read timeouts, connection limit, graceful shutdown that
//!   finishes in-flight calls, handler panics answered with an `ApplicationException`.
//! * **Client** ([`Channel`]): per endpoint, a bounded connection pool (framed, buffered) or
//!   multiplexed connections (TTHeader, THeader: many calls in flight per connection, replies
//!   matched by seq id, in-flight bounded); broken connections are dropped and never handed
//!   out again. Several endpoints: [`crate::balance::Balance`] over a static list or DNS.
//! * **Sockets**: TCP, or Unix-domain sockets (`unix:/path` addresses, a
//!   `tokio::net::UnixListener` for [`Server::serve`]).
//!
//! Both sides are [`tower::Service`]s of [`Request`] → `Option<`[`Response`]`>` (`None` for
//! oneway calls), so `tower` middleware (timeout, concurrency limit, retry…) applies unchanged.
//! A `tracing` span is entered per call on both sides; a W3C `traceparent` carried in TTHeader
//! is recorded in the server span (`trace_id`, `span_id`, `parent_span_id`) and handlers see
//! it as [`crate::trace::current`]; [`crate::trace::TraceLayer`] propagates it on calls.

use std::fmt;
use std::io;

use bytes::Bytes;

use super::{
    ApplicationException, ApplicationExceptionKind, Binary, Compact, MessageIdent, MessageType,
    Protocol, Reader, ThriftStruct, Writer,
};
use crate::error::DecodeError;
use crate::ByteStr;

mod client;
mod frame;
mod mux;
mod net;
mod retry;
mod server;

/// W3C `traceparent` parsing (shared with gRPC; see [`crate::trace`]).
pub use crate::trace::TraceParent;
pub use client::{CallService, Channel, ChannelBuilder, ClientCore};
pub use frame::{encode_frame, Frame, FrameReader};
pub use net::{Listener, PeerAddr, UNIX_PREFIX};
pub use retry::{RetryPolicy, RetryableError};
pub use server::{request_headers, Server, ServerHandle};

/// Re-exported for generated code and users: `tower::Service`, layers, `ServiceExt`.
pub use tower;

/// A boxed error, as `tower` middleware produces.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed `Send` future, the `Future` type of generated servers.
pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'static>>;

/// Default maximum frame (or unframed message) size: 16 MiB.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;

/// The Thrift protocol of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProtocolKind {
    /// Binary protocol (strict).
    #[default]
    Binary,
    /// Compact protocol.
    Compact,
}

impl ProtocolKind {
    /// Detects the protocol from a message's first byte (`0x80` binary, `0x82` compact).
    pub fn detect(first: u8) -> Option<ProtocolKind> {
        match first {
            0x80 => Some(ProtocolKind::Binary),
            0x82 => Some(ProtocolKind::Compact),
            _ => None,
        }
    }
}

impl std::str::FromStr for ProtocolKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "binary" => Ok(ProtocolKind::Binary),
            "compact" => Ok(ProtocolKind::Compact),
            _ => Err(format!("unknown protocol `{s}` (binary|compact)")),
        }
    }
}

/// How messages are delimited on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TransportKind {
    /// 4-byte big-endian length prefix.
    #[default]
    Framed,
    /// No framing: messages back to back.
    Buffered,
    /// TTHeader, Kitex/Volo's header transport (length, magic `0x1000`, flags, seq id,
    /// header with `u8` ids and `u16` lengths, payload).
    Header,
    /// THeader, Apache's header transport: the same layout with magic `0x0FFF` and
    /// varint-encoded header fields.
    THeader,
}

impl std::str::FromStr for TransportKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "framed" => Ok(TransportKind::Framed),
            "buffered" => Ok(TransportKind::Buffered),
            "header" | "ttheader" => Ok(TransportKind::Header),
            "theader" => Ok(TransportKind::THeader),
            _ => Err(format!(
                "unknown transport `{s}` (framed|buffered|header|theader)"
            )),
        }
    }
}

/// String key/value headers (TTHeader `INFO_KEYVALUE`), in insertion order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    /// Empty.
    pub fn new() -> Self {
        Headers(Vec::new())
    }
    /// The first value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    /// Sets `key` (replacing an existing value).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(e) => e.1 = value,
            None => self.0.push((key, value)),
        }
    }
    /// No headers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One call: a whole Thrift message (header and argument struct) plus transport headers.
#[derive(Debug, Clone)]
pub struct Request {
    /// Protocol of `body`.
    pub protocol: ProtocolKind,
    /// Method name from the message header.
    pub method: ByteStr,
    /// Sequence id from the message header.
    pub seq_id: i32,
    /// `Call` or `Oneway`.
    pub message_type: MessageType,
    /// The encoded message.
    pub body: Bytes,
    /// TTHeader key/value headers (empty on other transports).
    pub headers: Headers,
}

impl Request {
    /// Parses the message header of `body`.
    pub fn from_message(
        protocol: ProtocolKind,
        body: Bytes,
        headers: Headers,
    ) -> Result<Request, DecodeError> {
        let ident = read_ident(protocol, body.clone())?;
        Ok(Request {
            protocol,
            method: ident.name,
            seq_id: ident.seq_id,
            message_type: ident.message_type,
            body,
            headers,
        })
    }

    /// A reply to this request carrying `result` (a generated `*Result` struct).
    pub fn reply<T: ThriftStruct>(&self, result: &T) -> Response {
        Response::new(encode_message(
            self.protocol,
            &self.method,
            MessageType::Reply,
            self.seq_id,
            result,
        ))
    }

    /// An `Exception` reply to this request.
    pub fn exception(&self, e: &ApplicationException) -> Response {
        Response::new(encode_message(
            self.protocol,
            &self.method,
            MessageType::Exception,
            self.seq_id,
            e,
        ))
    }

    /// Decodes the argument struct (after the message header).
    pub fn decode_args<T: ThriftStruct>(&self) -> Result<T, DecodeError> {
        decode_message::<T>(self.protocol, self.body.clone()).map(|(_, t)| t)
    }

    /// `true` for oneway calls (no reply is sent).
    pub fn is_oneway(&self) -> bool {
        self.message_type == MessageType::Oneway
    }
}

/// A reply message plus transport headers.
#[derive(Debug, Clone)]
pub struct Response {
    /// The encoded message.
    pub body: Bytes,
    /// TTHeader key/value headers.
    pub headers: Headers,
}

impl Response {
    /// A response without headers.
    pub fn new(body: Bytes) -> Self {
        Response {
            body,
            headers: Headers::new(),
        }
    }
}

/// Everything that can go wrong in a call, on either side.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Socket error.
    Io(io::Error),
    /// Malformed message.
    Decode(DecodeError),
    /// A frame (or unframed message) larger than the configured maximum.
    FrameTooLarge {
        /// Declared (or buffered) length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// Transport-level protocol violation (bad magic, unknown protocol id…).
    Protocol(String),
    /// The peer closed the connection before the reply.
    Closed,
    /// A timeout expired.
    Timeout,
    /// The server answered with a `TApplicationException`.
    Application(ApplicationException),
    /// An error from middleware.
    Other(BoxError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "thrift transport: {e}"),
            Error::Decode(e) => write!(f, "thrift decode: {e}"),
            Error::FrameTooLarge { len, max } => {
                write!(f, "thrift frame of {len} bytes exceeds the limit of {max}")
            }
            Error::Protocol(m) => write!(f, "thrift transport protocol: {m}"),
            Error::Closed => f.write_str("thrift: connection closed"),
            Error::Timeout => f.write_str("thrift: timed out"),
            Error::Application(e) => e.fmt(f),
            Error::Other(e) => write!(f, "thrift: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Decode(e) => Some(e),
            Error::Application(e) => Some(e),
            Error::Other(e) => Some(&**e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<crate::balance::NoEndpoints> for Error {
    fn from(e: crate::balance::NoEndpoints) -> Self {
        Error::Other(Box::new(e))
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}

impl Error {
    /// Recovers an [`Error`] from a middleware error: unboxes ours, maps `tower`'s timeout.
    pub fn from_boxed(e: BoxError) -> Error {
        match e.downcast::<Error>() {
            Ok(e) => *e,
            Err(e) if e.is::<tower::timeout::error::Elapsed>() => Error::Timeout,
            Err(e) => Error::Other(e),
        }
    }
}

/// Reads only the message header.
pub fn read_ident(protocol: ProtocolKind, body: Bytes) -> Result<MessageIdent, DecodeError> {
    match protocol {
        ProtocolKind::Binary => Binary::reader(body).read_message_begin(),
        ProtocolKind::Compact => Compact::reader(body).read_message_begin(),
    }
}

fn encode_with<P: Protocol, T: ThriftStruct>(
    name: &str,
    message_type: MessageType,
    seq_id: i32,
    value: &T,
) -> Bytes {
    let len = name.len() + 16 + value.encoded_len::<P>();
    let mut w = P::writer(bytes::BytesMut::with_capacity(len));
    w.write_message_begin(name, message_type, seq_id);
    value.write(&mut w);
    w.write_message_end();
    P::into_sink(w).freeze()
}

/// Encodes a whole message: header, then `value` as its struct.
pub fn encode_message<T: ThriftStruct>(
    protocol: ProtocolKind,
    name: &str,
    message_type: MessageType,
    seq_id: i32,
    value: &T,
) -> Bytes {
    match protocol {
        ProtocolKind::Binary => encode_with::<Binary, T>(name, message_type, seq_id, value),
        ProtocolKind::Compact => encode_with::<Compact, T>(name, message_type, seq_id, value),
    }
}

fn decode_with<P: Protocol, T: ThriftStruct>(
    body: Bytes,
) -> Result<(MessageIdent, T), DecodeError> {
    let mut r = P::reader(body);
    let ident = r.read_message_begin()?;
    let t = T::read(&mut r)?;
    r.read_message_end()?;
    Ok((ident, t))
}

/// Decodes a whole message whose struct is a `T`.
pub fn decode_message<T: ThriftStruct>(
    protocol: ProtocolKind,
    body: Bytes,
) -> Result<(MessageIdent, T), DecodeError> {
    match protocol {
        ProtocolKind::Binary => decode_with::<Binary, T>(body),
        ProtocolKind::Compact => decode_with::<Compact, T>(body),
    }
}

/// Decodes a reply: a `Reply` message carrying `T`, or an `Exception` message carrying an
/// [`ApplicationException`] (returned as [`Error::Application`]).
pub fn decode_reply<T: ThriftStruct>(
    protocol: ProtocolKind,
    method: &str,
    body: Bytes,
) -> Result<T, Error> {
    let ident = read_ident(protocol, body.clone())?;
    match ident.message_type {
        MessageType::Reply => {
            if &*ident.name != method {
                return Err(Error::Application(ApplicationException::new(
                    ApplicationExceptionKind::WRONG_METHOD_NAME,
                    format!("reply for `{}`, expected `{method}`", ident.name),
                )));
            }
            Ok(decode_message::<T>(protocol, body)?.1)
        }
        MessageType::Exception => Err(Error::Application(
            decode_message::<ApplicationException>(protocol, body)?.1,
        )),
        t => Err(Error::Application(ApplicationException::new(
            ApplicationExceptionKind::INVALID_MESSAGE_TYPE,
            format!("unexpected message type {t:?} in reply"),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_round_trip() {
        let e = ApplicationException::new(ApplicationExceptionKind::UNKNOWN_METHOD, "x");
        for p in [ProtocolKind::Binary, ProtocolKind::Compact] {
            let b = encode_message(p, "m", MessageType::Exception, 7, &e);
            match decode_reply::<ApplicationException>(p, "m", b) {
                Err(Error::Application(got)) => assert_eq!(got, e),
                other => panic!("{other:?}"),
            }
        }
    }
}
