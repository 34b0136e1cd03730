//! Typed message streams: [`Request`], [`Response`], [`Streaming`], [`BoxStream`] and
//! [`channel`].

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::time::Instant;

use super::codec::RawStreaming;
use super::metadata::Metadata;
use super::status::Status;
use crate::protobuf::Message;

/// A boxed stream of messages or a terminating error status: the type of streaming results
/// handlers return.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// A call's request: metadata, message (or stream of messages), and deadline.
#[derive(Debug)]
pub struct Request<T> {
    metadata: Metadata,
    message: T,
    deadline: Option<Instant>,
}

impl<T> Request<T> {
    /// A request with no metadata and no deadline.
    pub fn new(message: T) -> Request<T> {
        Request {
            metadata: Metadata::new(),
            message,
            deadline: None,
        }
    }
    pub(crate) fn from_parts(metadata: Metadata, message: T, deadline: Option<Instant>) -> Self {
        Request {
            metadata,
            message,
            deadline,
        }
    }
    /// Request metadata (headers).
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }
    /// Mutable request metadata.
    pub fn metadata_mut(&mut self) -> &mut Metadata {
        &mut self.metadata
    }
    /// The message.
    pub fn get_ref(&self) -> &T {
        &self.message
    }
    /// The message, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.message
    }
    /// Takes the message.
    pub fn into_inner(self) -> T {
        self.message
    }
    /// Splits into metadata, message and deadline.
    pub fn into_parts(self) -> (Metadata, T, Option<Instant>) {
        (self.metadata, self.message, self.deadline)
    }
    /// The deadline: on the server, from the client's `grpc-timeout`; on the client, the one
    /// to send.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
    /// Sets the deadline `timeout` from now (client side).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.deadline = Some(Instant::now() + timeout);
    }
    /// Builder form of [`set_timeout`](Self::set_timeout).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.set_timeout(timeout);
        self
    }
}

/// A call's response: initial metadata, message (or stream), trailing metadata.
#[derive(Debug)]
pub struct Response<T> {
    metadata: Metadata,
    message: T,
    trailers: Metadata,
}

impl<T> Response<T> {
    /// A response with no metadata.
    pub fn new(message: T) -> Response<T> {
        Response {
            metadata: Metadata::new(),
            message,
            trailers: Metadata::new(),
        }
    }
    pub(crate) fn from_parts(metadata: Metadata, message: T, trailers: Metadata) -> Self {
        Response {
            metadata,
            message,
            trailers,
        }
    }
    /// Replaces the initial metadata.
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }
    /// Initial metadata (response headers).
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }
    /// Mutable initial metadata.
    pub fn metadata_mut(&mut self) -> &mut Metadata {
        &mut self.metadata
    }
    /// Trailing metadata. On the server, sent with the final status; on the client of a unary
    /// or client-streaming call, what was received (for streams see [`Streaming::trailers`]).
    pub fn trailers(&self) -> &Metadata {
        &self.trailers
    }
    /// Mutable trailing metadata.
    pub fn trailers_mut(&mut self) -> &mut Metadata {
        &mut self.trailers
    }
    /// The message.
    pub fn get_ref(&self) -> &T {
        &self.message
    }
    /// The message, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.message
    }
    /// Takes the message.
    pub fn into_inner(self) -> T {
        self.message
    }
    /// Splits into initial metadata, message, trailing metadata.
    pub fn into_parts(self) -> (Metadata, T, Metadata) {
        (self.metadata, self.message, self.trailers)
    }
}

/// Incoming typed messages of a streaming call (the server's view of a client stream, the
/// client's view of a server stream).
#[derive(Debug)]
pub struct Streaming<T> {
    raw: RawStreaming,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Message> Streaming<T> {
    /// Decodes the messages of `raw`.
    pub fn new(raw: RawStreaming) -> Streaming<T> {
        Streaming {
            raw,
            _t: std::marker::PhantomData,
        }
    }

    /// The next message; `Ok(None)` at a successful end.
    pub async fn message(&mut self) -> Result<Option<T>, Status> {
        std::future::poll_fn(|cx| self.poll_message(cx)).await
    }

    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<T>, Status>> {
        self.raw.poll_message(cx).map(|r| match r? {
            Some(b) => T::decode(b)
                .map(Some)
                .map_err(|e| Status::internal(format!("decoding message: {e}"))),
            None => Ok(None),
        })
    }

    /// Client side, after the end: the trailing metadata received with the status.
    pub fn trailers(&self) -> Option<&Metadata> {
        self.raw.trailers().map(Status::metadata)
    }
}

impl<T: Message> Stream for Streaming<T> {
    type Item = Result<T, Status>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_message(cx).map(Result::transpose)
    }
}

/// The sending half of [`channel`].
#[derive(Debug)]
pub struct Sender<T> {
    tx: tokio::sync::mpsc::Sender<Result<T, Status>>,
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            tx: self.tx.clone(),
        }
    }
}

impl<T> Sender<T> {
    /// Sends a message, waiting while the buffer is full (back-pressure from the peer's flow
    /// control). `Err` when the receiving side has gone (call ended or cancelled).
    pub async fn send(&self, msg: T) -> Result<(), Status> {
        self.tx
            .send(Ok(msg))
            .await
            .map_err(|_| Status::cancelled("stream receiver dropped"))
    }
    /// Ends the stream with an error status.
    pub async fn send_error(&self, status: Status) -> Result<(), Status> {
        self.tx
            .send(Err(status))
            .await
            .map_err(|_| Status::cancelled("stream receiver dropped"))
    }
    /// Completes when the receiving side has gone.
    pub async fn closed(&self) {
        self.tx.closed().await
    }
    /// Whether the receiving side has gone.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// The receiving half of [`channel`]: a [`Stream`] of `Result<T, Status>`.
#[derive(Debug)]
pub struct Receiver<T> {
    rx: tokio::sync::mpsc::Receiver<Result<T, Status>>,
}

impl<T> Stream for Receiver<T> {
    type Item = Result<T, Status>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

/// A bounded channel whose receiver is a message stream: the easy way to produce a streaming
/// request or response from another task. The stream ends when every [`Sender`] is dropped.
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = tokio::sync::mpsc::channel(buffer.max(1));
    (Sender { tx }, Receiver { rx })
}

/// A stream over the items of an iterator.
pub fn iter<I>(items: I) -> Iter<I::IntoIter>
where
    I: IntoIterator,
{
    Iter(items.into_iter())
}

/// See [`iter`].
#[derive(Debug)]
pub struct Iter<I>(I);

impl<I: Iterator + Unpin> Stream for Iter<I> {
    type Item = I::Item;
    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.get_mut().0.next())
    }
}

/// Polls the next item of a stream.
pub async fn next<S: Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
}

/// Polls `s` once: its next item if one is ready now, `Pending` if not.
pub(crate) async fn poll_now<S: Stream + Unpin>(s: &mut S) -> Poll<Option<S::Item>> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *s).poll_next(cx))).await
}
