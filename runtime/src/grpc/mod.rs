//! gRPC over HTTP/2 (the `h2` crate) on tokio.
//!
//! * Server: [`Server`] serves a [`server::GrpcHandler`] — a `tower` service from
//!   [`ServerCall`] (path, metadata, deadline, raw message stream) to [`ServerReply`]. Generated
//!   `{Service}Server<H>` types are such handlers; combine several with [`Router`] (e.g. with
//!   [`health::HealthServer`]).
//! * Client: a [`Channel`] is one HTTP/2 connection to one endpoint, cloned freely and
//!   replaced by a new connection when it dies; it is a `tower` service from [`ClientCall`] to
//!   [`ClientReply`], and generated `{Service}Client<C = Channel>` types call through any such
//!   service, so middleware applies on both sides ([`crate::balance::Balance`] over several
//!   endpoints, [`crate::trace::TraceLayer`], [`crate::metrics::MetricsLayer`]).
//! * Typed layer: [`Request`], [`Response`], [`Streaming`] (incoming messages), [`BoxStream`]
//!   (outgoing streams, e.g. from [`channel`]), [`Status`]/[`Code`], [`Metadata`].
//!
//! Protocol: length-prefixed messages, `grpc-status`/percent-encoded `grpc-message` trailers
//! (trailers-only responses for early errors), `grpc-timeout` sent and enforced on both sides,
//! gzip (`grpc-encoding`/`grpc-accept-encoding`), receive size limits (4 MiB by default;
//! larger → `RESOURCE_EXHAUSTED` before buffering), h2 flow control as back-pressure (a stream
//! is read only as fast as the handler consumes it; sends wait for window), HTTP/2 keep-alive
//! pings, graceful shutdown with GOAWAY, and a `tracing` span per call recording the W3C trace
//! context (see [`crate::trace`]). A malformed `grpc-timeout` fails the call with `INTERNAL`,
//! as in grpc-go.

pub mod client;
mod codec;
pub mod health;
mod io;
mod metadata;
pub mod server;
mod status;
mod stream;

/// The largest HTTP/2 frame payload kit accepts (`SETTINGS_MAX_FRAME_SIZE`), on both sides.
pub(crate) const MAX_FRAME: u32 = 256 * 1024;

/// gRPC header names, built at compile time: a lookup or insert by `&str` parses and
/// validates the name on every call (~350 instructions per lookup in the server's profile).
pub(crate) mod hdr {
    use http::header::HeaderName;
    pub(crate) const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
    pub(crate) const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");
    pub(crate) const GRPC_STATUS_DETAILS: HeaderName =
        HeaderName::from_static("grpc-status-details-bin");
    pub(crate) const GRPC_ENCODING: HeaderName = HeaderName::from_static("grpc-encoding");
    pub(crate) const GRPC_ACCEPT_ENCODING: HeaderName =
        HeaderName::from_static("grpc-accept-encoding");
    pub(crate) const GRPC_TIMEOUT: HeaderName = HeaderName::from_static("grpc-timeout");
    pub(crate) const TRACEPARENT: HeaderName = HeaderName::from_static(crate::trace::TRACEPARENT);
    pub(crate) const TRACESTATE: HeaderName = HeaderName::from_static(crate::trace::TRACESTATE);
}

pub use client::{Channel, ClientCall, ClientConfig, ClientReply};
pub use codec::{encode_frame, Encoding, MessageDecoder, RawStreaming, DEFAULT_MAX_MESSAGE_SIZE};
pub use futures_core::Stream;
pub use metadata::{encode_timeout, parse_timeout, InvalidMetadata, Metadata};
pub use server::{BoxFuture, NamedService, ReplyBody, Router, Server, ServerCall, ServerReply};
pub use status::{percent_decode, percent_encode, Code, Status};
pub use stream::{
    channel, iter, next, BoxStream, Iter, Receiver, Request, Response, Sender, Streaming,
};
pub use tower_service::Service;
