//! The gRPC server: h2 connections, routing to a [`tower_service::Service`] of
//! [`ServerCall`]s, deadlines, compression, keep-alive and graceful shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tower_service::Service;
use tracing::Instrument;

use super::codec::{self, Encoding, RawStreaming, Side, DEFAULT_MAX_MESSAGE_SIZE};
use super::metadata::{parse_timeout, Metadata};
use super::status::Status;
use super::stream::{BoxStream, Request, Response, Streaming};
use crate::panic::{panic_message, CatchUnwind};
use crate::protobuf::Message;

/// A boxed, `Send` future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// One incoming call as handlers see it: still-encoded messages.
#[derive(Debug)]
pub struct ServerCall {
    /// The HTTP/2 path, `/package.Service/Method`.
    pub path: String,
    /// Request metadata.
    pub metadata: Metadata,
    /// From `grpc-timeout`; the server also enforces it.
    pub deadline: Option<Instant>,
    /// The peer's address.
    pub remote_addr: Option<SocketAddr>,
    /// Incoming messages.
    pub body: RawStreaming,
}

/// A handler's reply: initial metadata, the response messages, trailing metadata sent with
/// status OK when the messages end (an `Err` item ends the call with that status instead).
pub struct ServerReply {
    /// Initial metadata.
    pub metadata: Metadata,
    /// The response messages.
    pub body: ReplyBody,
    /// Trailing metadata for a successful end.
    pub trailers: Metadata,
}

/// The response messages of a call. The server frames each message straight into the buffer
/// it sends (several ready messages go out in one DATA frame): a typed message
/// ([`ReplyBody::message`], [`ReplyBody::messages`]) is encoded there directly, never into a
/// buffer of its own first; already-encoded messages ([`ReplyBody::encoded`]) are copied there.
pub struct ReplyBody(Box<dyn ReplySource>);

impl ReplyBody {
    /// One typed message (a unary or client-streaming reply).
    pub fn message<R: Message + Send + 'static>(message: R) -> ReplyBody {
        ReplyBody(Box::new(One(Some(message))))
    }
    /// A stream of typed messages.
    pub fn messages<R: Message + 'static>(messages: BoxStream<R>) -> ReplyBody {
        ReplyBody(Box::new(Messages(messages)))
    }
    /// A stream of encoded messages (each one message's Protobuf bytes, not yet framed).
    pub fn encoded(messages: BoxStream<Bytes>) -> ReplyBody {
        ReplyBody(Box::new(Messages(messages)))
    }
    /// A body of kit's own making (middleware that watches the messages go by).
    pub(crate) fn observed(source: impl ReplySource + 'static) -> ReplyBody {
        ReplyBody(Box::new(source))
    }
    /// No messages: the call ends with the trailers.
    pub fn empty() -> ReplyBody {
        ReplyBody::encoded(Box::pin(super::stream::iter([])))
    }
    /// Polls for the next message and frames it into `out`: `Ready(Some(Ok(())))` when one was
    /// appended, `Ready(None)` at the end.
    pub(crate) fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Frames,
    ) -> Poll<Option<Result<(), Status>>> {
        self.0.poll_frame(cx, out)
    }
}

impl From<BoxStream<Bytes>> for ReplyBody {
    fn from(messages: BoxStream<Bytes>) -> ReplyBody {
        ReplyBody::encoded(messages)
    }
}

impl std::fmt::Debug for ReplyBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplyBody").finish_non_exhaustive()
    }
}

/// What a [`ReplyBody`] is made of (also implemented by middleware inside the crate that
/// watches a reply, see `metrics`).
pub(crate) trait ReplySource: Send {
    /// See [`ReplyBody::poll_frame`].
    fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Frames,
    ) -> Poll<Option<Result<(), Status>>>;
}

impl ReplySource for ReplyBody {
    fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Frames,
    ) -> Poll<Option<Result<(), Status>>> {
        self.0.poll_frame(cx, out)
    }
}

struct One<R>(Option<R>);

impl<R: Message + Send> ReplySource for One<R> {
    fn poll_frame(
        &mut self,
        _: &mut Context<'_>,
        out: &mut Frames,
    ) -> Poll<Option<Result<(), Status>>> {
        Poll::Ready(self.0.take().map(|m| out.push_message(&m)))
    }
}

/// A response message as [`Frames`] takes it: typed (encoded into the batch) or already encoded.
trait Framed {
    fn frame_into(&self, out: &mut Frames) -> Result<(), Status>;
}

impl<M: Message> Framed for M {
    fn frame_into(&self, out: &mut Frames) -> Result<(), Status> {
        out.push_message(self)
    }
}

impl Framed for Bytes {
    fn frame_into(&self, out: &mut Frames) -> Result<(), Status> {
        out.push_encoded(self)
    }
}

/// A stream of typed or encoded messages.
struct Messages<T>(BoxStream<T>);

impl<T: Framed> ReplySource for Messages<T> {
    fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Frames,
    ) -> Poll<Option<Result<(), Status>>> {
        self.0
            .as_mut()
            .poll_next(cx)
            .map(|o| o.map(|r| r.and_then(|m| m.frame_into(out))))
    }
}

/// The buffer a call's response messages are framed into, one batch (one DATA write) at a time.
pub(crate) struct Frames {
    buf: BytesMut,
    encoding: Encoding,
    max_send: usize,
    /// Room for a whole batch was reserved (on the batch's second message).
    grown: bool,
}

impl Frames {
    fn new(encoding: Encoding, max_send: usize) -> Frames {
        Frames {
            buf: BytesMut::new(),
            encoding,
            max_send,
            grown: false,
        }
    }

    /// The messages framed so far, leaving the buffer empty for the next batch.
    fn take(&mut self) -> Bytes {
        self.grown = false;
        std::mem::take(&mut self.buf).freeze()
    }

    fn check(&self, len: usize) -> Result<(), Status> {
        if len > self.max_send {
            return Err(Status::resource_exhausted(format!(
                "response message of {} bytes is larger than the limit of {} bytes",
                len, self.max_send
            )));
        }
        Ok(())
    }

    /// Room for one more framed message of `len` bytes. A second message in a batch means a
    /// stream: room for a whole batch at once, rather than reallocating (and copying) as the
    /// batch grows.
    fn reserve(&mut self, len: usize) {
        if !self.buf.is_empty() && !self.grown {
            self.buf.reserve(BATCH + 5 + len);
            self.grown = true;
        } else {
            self.buf.reserve(5 + len);
        }
    }

    /// Frames an already-encoded message.
    pub(crate) fn push_encoded(&mut self, msg: &[u8]) -> Result<(), Status> {
        self.check(msg.len())?;
        if self.encoding == Encoding::Identity {
            self.reserve(msg.len());
        }
        codec::append_frame(&mut self.buf, msg, self.encoding);
        Ok(())
    }

    /// Encodes and frames a message: straight into the buffer unless compressed.
    pub(crate) fn push_message<M: Message>(&mut self, msg: &M) -> Result<(), Status> {
        let len = msg.encoded_len();
        self.check(len)?;
        if self.encoding != Encoding::Identity {
            return self.push_encoded(&msg.encode_to_bytes());
        }
        self.reserve(len);
        self.buf.put_u8(0);
        self.buf.put_u32(len as u32);
        let at = self.buf.len();
        msg.encode_raw(&mut self.buf);
        debug_assert_eq!(
            self.buf.len() - at,
            len,
            "encoded_len disagrees with encode_raw"
        );
        Ok(())
    }
}

impl std::fmt::Debug for ServerReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerReply")
            .field("metadata", &self.metadata)
            .field("trailers", &self.trailers)
            .finish_non_exhaustive()
    }
}

/// What [`Server`] serves: a cloneable `tower` service from calls to replies.
pub trait GrpcHandler:
    Service<
        ServerCall,
        Response = ServerReply,
        Error = Status,
        Future = BoxFuture<Result<ServerReply, Status>>,
    > + Clone
    + Send
    + 'static
{
}

impl<S> GrpcHandler for S where
    S: Service<
            ServerCall,
            Response = ServerReply,
            Error = Status,
            Future = BoxFuture<Result<ServerReply, Status>>,
        > + Clone
        + Send
        + 'static
{
}

/// Implemented by generated servers: the full service name, for routing.
pub trait NamedService {
    /// `package.Service`.
    const NAME: &'static str;
}

// ---- typed adapters used by generated code ----

async fn one_message<M: Message>(body: &mut RawStreaming) -> Result<M, Status> {
    let Some(first) = body.message().await? else {
        return Err(Status::internal("missing request message"));
    };
    if body.message().await?.is_some() {
        return Err(Status::internal(
            "more than one request message in a unary call",
        ));
    }
    M::decode(first).map_err(|e| Status::internal(format!("decoding request: {e}")))
}

fn reply_one<R: Message + Send + 'static>(resp: Response<R>) -> ServerReply {
    let (metadata, message, trailers) = resp.into_parts();
    ServerReply {
        metadata,
        body: ReplyBody::message(message),
        trailers,
    }
}

fn reply_stream<R: Message + 'static>(resp: Response<BoxStream<R>>) -> ServerReply {
    let (metadata, message, trailers) = resp.into_parts();
    ServerReply {
        metadata,
        body: ReplyBody::messages(message),
        trailers,
    }
}

/// Runs a unary handler `f` on `call`.
pub async fn unary<M, R, F, Fut>(call: ServerCall, f: F) -> Result<ServerReply, Status>
where
    M: Message,
    R: Message + Send + 'static,
    F: FnOnce(Request<M>) -> Fut,
    Fut: Future<Output = Result<Response<R>, Status>>,
{
    let ServerCall {
        metadata,
        deadline,
        mut body,
        ..
    } = call;
    let msg = one_message::<M>(&mut body).await?;
    f(Request::from_parts(metadata, msg, deadline))
        .await
        .map(reply_one)
}

/// Runs a server-streaming handler.
pub async fn server_streaming<M, R, F, Fut>(call: ServerCall, f: F) -> Result<ServerReply, Status>
where
    M: Message,
    R: Message + 'static,
    F: FnOnce(Request<M>) -> Fut,
    Fut: Future<Output = Result<Response<BoxStream<R>>, Status>>,
{
    let ServerCall {
        metadata,
        deadline,
        mut body,
        ..
    } = call;
    let msg = one_message::<M>(&mut body).await?;
    f(Request::from_parts(metadata, msg, deadline))
        .await
        .map(reply_stream)
}

/// Runs a client-streaming handler.
pub async fn client_streaming<M, R, F, Fut>(call: ServerCall, f: F) -> Result<ServerReply, Status>
where
    M: Message,
    R: Message + Send + 'static,
    F: FnOnce(Request<Streaming<M>>) -> Fut,
    Fut: Future<Output = Result<Response<R>, Status>>,
{
    let req = Request::from_parts(call.metadata, Streaming::new(call.body), call.deadline);
    f(req).await.map(reply_one)
}

/// Runs a bidirectional-streaming handler.
pub async fn streaming<M, R, F, Fut>(call: ServerCall, f: F) -> Result<ServerReply, Status>
where
    M: Message,
    R: Message + 'static,
    F: FnOnce(Request<Streaming<M>>) -> Fut,
    Fut: Future<Output = Result<Response<BoxStream<R>>, Status>>,
{
    let req = Request::from_parts(call.metadata, Streaming::new(call.body), call.deadline);
    f(req).await.map(reply_stream)
}

/// The reply for an unknown method.
pub fn unimplemented(call: &ServerCall) -> BoxFuture<Result<ServerReply, Status>> {
    let msg = format!("method {} not implemented", call.path);
    Box::pin(async move { Err(Status::unimplemented(msg)) })
}

// ---- routing several services ----

type BoxHandler =
    Box<dyn Fn(ServerCall) -> BoxFuture<Result<ServerReply, Status>> + Send + Sync + 'static>;

/// Routes calls to several services by the service part of the path. Unknown services get
/// `UNIMPLEMENTED`.
#[derive(Clone, Default)]
pub struct Router {
    routes: Arc<Vec<(String, BoxHandler)>>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.routes.iter().map(|r| r.0.as_str()).collect();
        f.debug_struct("Router").field("services", &names).finish()
    }
}

impl Router {
    /// An empty router.
    pub fn new() -> Router {
        Router::default()
    }

    /// Adds a service (a generated server, or [`super::health::HealthServer`]).
    pub fn add_service<S: GrpcHandler + NamedService + Sync>(mut self, svc: S) -> Router {
        let routes = Arc::get_mut(&mut self.routes).expect("add services before serving");
        let h: BoxHandler = Box::new(move |call| svc.clone().call(call));
        routes.push((format!("/{}/", S::NAME), h));
        self
    }
}

impl Service<ServerCall> for Router {
    type Response = ServerReply;
    type Error = Status;
    type Future = BoxFuture<Result<ServerReply, Status>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, call: ServerCall) -> Self::Future {
        for (prefix, h) in self.routes.iter() {
            if call.path.starts_with(prefix.as_str()) {
                return h(call);
            }
        }
        unimplemented(&call)
    }
}

// ---- the server ----

/// Server settings and entry points.
#[derive(Clone, Debug)]
pub struct Server {
    max_recv: usize,
    max_send: usize,
    gzip: bool,
    keepalive: Option<(Duration, Duration)>,
    max_concurrent_streams: u32,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            max_recv: DEFAULT_MAX_MESSAGE_SIZE,
            max_send: usize::MAX,
            gzip: false,
            keepalive: None,
            max_concurrent_streams: 1000,
        }
    }
}

impl Server {
    /// Defaults: 4 MiB receive limit, no send limit, uncompressed responses (gzip is opt-in with
    /// [`Server::gzip`], as in grpc-go and tonic; gzip *requests* are always accepted),
    /// no keep-alive pings, 1000 concurrent streams per connection.
    pub fn new() -> Server {
        Server::default()
    }
    /// Largest message accepted (after decompression); larger → `RESOURCE_EXHAUSTED`.
    pub fn max_recv_message_size(mut self, n: usize) -> Self {
        self.max_recv = n;
        self
    }
    /// Largest message sent; larger → the call fails with `RESOURCE_EXHAUSTED`.
    pub fn max_send_message_size(mut self, n: usize) -> Self {
        self.max_send = n;
        self
    }
    /// Whether to gzip responses to clients whose `grpc-accept-encoding` names gzip (default
    /// off: compressing small messages costs far more CPU than it saves on loopback or a LAN).
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }
    /// Sends an HTTP/2 PING every `interval`, closing the connection if no PONG comes within
    /// `timeout`.
    pub fn keepalive(mut self, interval: Duration, timeout: Duration) -> Self {
        self.keepalive = Some((interval, timeout));
        self
    }
    /// HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`.
    pub fn max_concurrent_streams(mut self, n: u32) -> Self {
        self.max_concurrent_streams = n;
        self
    }

    /// Serves `svc` on `listener` until `signal` completes, then shuts down gracefully: stops
    /// accepting, sends GOAWAY, and returns once in-flight calls have finished.
    pub async fn serve_with_shutdown<S, F>(
        self,
        listener: TcpListener,
        svc: S,
        signal: F,
    ) -> io::Result<()>
    where
        S: GrpcHandler,
        F: Future<Output = ()>,
    {
        let cfg = Arc::new(self);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut conns = tokio::task::JoinSet::new();
        tokio::pin!(signal);
        loop {
            tokio::select! {
                _ = &mut signal => break,
                accepted = listener.accept() => {
                    let (sock, addr) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            tracing::warn!("accept: {e}");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let _ = sock.set_nodelay(true);
                    conns.spawn(connection(sock, addr, svc.clone(), cfg.clone(), stop_rx.clone()));
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        drop(listener);
        let _ = stop_tx.send(true);
        while conns.join_next().await.is_some() {}
        Ok(())
    }

    /// Serves `svc` on `listener` forever.
    pub async fn serve<S: GrpcHandler>(self, listener: TcpListener, svc: S) -> io::Result<()> {
        self.serve_with_shutdown(listener, svc, std::future::pending())
            .await
    }
}

async fn connection<S: GrpcHandler>(
    sock: TcpStream,
    addr: SocketAddr,
    svc: S,
    cfg: Arc<Server>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let hold = super::io::Hold::default();
    let handshake = h2::server::Builder::new()
        .max_concurrent_streams(cfg.max_concurrent_streams)
        .max_send_buffer_size(128 * 1024)
        .initial_window_size(1024 * 1024)
        .initial_connection_window_size(4 * 1024 * 1024)
        .max_frame_size(super::MAX_FRAME)
        .handshake::<_, Bytes>(super::io::Coalesce::with_hold(sock, hold.clone()));
    let mut conn = match tokio::time::timeout(Duration::from_secs(10), handshake).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            tracing::debug!(%addr, "h2 handshake: {e}");
            return;
        }
        Err(_) => return,
    };
    let dead = Arc::new(tokio::sync::Notify::new());
    if let (Some((interval, timeout)), Some(pp)) = (cfg.keepalive, conn.ping_pong()) {
        tokio::spawn(keepalive(pp, interval, timeout, dead.clone()));
    }
    let mut shutting = *stop.borrow();
    if shutting {
        conn.graceful_shutdown();
    }
    loop {
        tokio::select! {
            r = std::future::poll_fn(|cx| accept_batched(&mut conn, &hold, cx)) => match r {
                Some(Ok((req, respond))) => {
                    // Boxed: the call's future is large (request parts, the handler's
                    // future, timers, the batch), and it is polled here and may then move
                    // into a task. Its first poll runs here, on the connection's task: a unary
                    // call whose request has arrived and whose handler does not wait ends in
                    // this poll, its reply queued in h2 and written with every other frame of
                    // this pass of the connection (one write for many calls), with no task
                    // spawned and no wake-up. A call that waits goes on as a task of its own,
                    // which polls it again with its own waker (the waker of the latest poll is
                    // the one that counts). A panic ends that call only (`CatchUnwind`).
                    let mut call =
                        CatchUnwind(Box::pin(handle(req, respond, addr, svc.clone(), cfg.clone())));
                    match std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut call).poll(cx))).await {
                        Poll::Ready(r) => report_panic(r, addr),
                        Poll::Pending => {
                            tokio::spawn(async move { report_panic(call.await, addr) });
                        }
                    }
                }
                Some(Err(e)) => {
                    tracing::debug!(%addr, "h2 connection: {e}");
                    break;
                }
                None => break,
            },
            r = stop.changed(), if !shutting => {
                shutting = true;
                if r.is_ok() {
                    conn.graceful_shutdown();
                }
            }
            _ = dead.notified() => {
                tracing::debug!(%addr, "keep-alive ping timed out");
                break;
            }
        }
    }
}

/// Logs a panic that ended a call outside its handler (in a reply stream, say); the handler's
/// own panics are answered with INTERNAL in [`handle`].
fn report_panic(r: Result<(), Box<dyn std::any::Any + Send>>, addr: SocketAddr) {
    if let Err(p) = r {
        tracing::error!(%addr, panic = %panic_message(&*p), "grpc server: call panicked");
    }
}

/// A call h2 has taken: its request (with the body to come) and where its reply goes.
type Incoming = (
    http::Request<h2::RecvStream>,
    h2::server::SendResponse<Bytes>,
);

/// Takes the next call that has arrived, holding h2's flush while there is one (the loop takes
/// it, answers it if it can, and comes back); the poll that finds none left ends the hold, so
/// it writes every reply queued since in one go. See [`super::io::Hold`].
fn accept_batched<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    conn: &mut h2::server::Connection<T, Bytes>,
    hold: &super::io::Hold,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Incoming, h2::Error>>> {
    hold.set(true);
    let r = conn.poll_accept(cx);
    hold.set(false);
    if r.is_ready() {
        return r;
    }
    conn.poll_accept(cx)
}

/// How many bytes of ready response messages the server gathers into one DATA write.
const BATCH: usize = 32 * 1024;

/// Sends pings every `interval`; notifies `dead` when a pong is late.
pub(crate) async fn keepalive(
    mut pp: h2::PingPong,
    interval: Duration,
    timeout: Duration,
    dead: Arc<tokio::sync::Notify>,
) {
    loop {
        tokio::time::sleep(interval).await;
        match tokio::time::timeout(timeout, pp.ping(h2::Ping::opaque())).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return,
            Err(_) => {
                dead.notify_one();
                return;
            }
        }
    }
}

/// Response headers of a gRPC reply: `status`, with constant header values (no allocation per
/// call, unlike `http::response::Builder::header` on `&str`s).
fn grpc_response(status: http::StatusCode) -> http::Response<()> {
    let mut resp = http::Response::new(());
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/grpc"),
    );
    h.insert(
        super::hdr::GRPC_ACCEPT_ENCODING,
        http::HeaderValue::from_static("gzip, identity"),
    );
    resp
}

fn trailers_only(respond: &mut h2::server::SendResponse<Bytes>, status: &Status) {
    let mut resp = grpc_response(http::StatusCode::OK);
    status.write_trailers(resp.headers_mut());
    let _ = respond.send_response(resp, true);
}

/// A trailers-only error response with a non-200 HTTP status (grpc-go's early abort).
fn early_abort(respond: &mut h2::server::SendResponse<Bytes>, code: u16, status: &Status) {
    let Ok(code) = http::StatusCode::from_u16(code) else {
        return;
    };
    let mut resp = grpc_response(code);
    status.write_trailers(resp.headers_mut());
    let _ = respond.send_response(resp, true);
}

fn plain_http(respond: &mut h2::server::SendResponse<Bytes>, code: u16) {
    if let Ok(resp) = http::Response::builder().status(code).body(()) {
        let _ = respond.send_response(resp, true);
    }
}

async fn handle<S: GrpcHandler>(
    req: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    addr: SocketAddr,
    mut svc: S,
    cfg: Arc<Server>,
) {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let header = |k: &http::HeaderName| parts.headers.get(k).and_then(|v| v.to_str().ok());
    let ctx = crate::trace::TraceContext::incoming(
        header(&super::hdr::TRACEPARENT),
        header(&super::hdr::TRACESTATE),
    );
    let span = tracing::info_span!(
        "grpc.server",
        method = %path,
        peer = %addr,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
        parent_span_id = tracing::field::Empty,
    );
    ctx.record(&span);
    crate::trace::scope(ctx, async move {
        if parts.method != http::Method::POST {
            return plain_http(&mut respond, 405);
        }
        let grpc_ct = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/grpc"));
        if !grpc_ct {
            return plain_http(&mut respond, 415);
        }
        let encoding = match parts.headers.get(super::hdr::GRPC_ENCODING) {
            None => None,
            Some(v) => match Encoding::from_header(v.as_bytes()) {
                Some(e) => Some(e),
                None => {
                    let s = Status::unimplemented(format!(
                        "grpc-encoding {:?} is not supported",
                        String::from_utf8_lossy(v.as_bytes())
                    ));
                    return trailers_only(&mut respond, &s);
                }
            },
        };
        // As grpc-go does: a malformed `grpc-timeout` fails the call with INTERNAL (HTTP 400)
        // rather than running it without a deadline.
        let deadline = match parts.headers.get(super::hdr::GRPC_TIMEOUT) {
            None => None,
            Some(v) => match parse_timeout(v.as_bytes()) {
                // Beyond what the clock can represent: no deadline.
                Some(d) => Instant::now().checked_add(d),
                None => {
                    let s = Status::internal(format!(
                        "malformed grpc-timeout: {:?}",
                        String::from_utf8_lossy(v.as_bytes())
                    ));
                    return early_abort(&mut respond, 400, &s);
                }
            },
        };
        let send_gzip =
            cfg.gzip && codec::accepts_gzip(parts.headers.get(super::hdr::GRPC_ACCEPT_ENCODING));
        let call = ServerCall {
            path,
            metadata: Metadata::from_headers(&parts.headers),
            deadline,
            remote_addr: Some(addr),
            body: RawStreaming::new(body, cfg.max_recv, encoding, Side::Server, deadline),
        };
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(sleep);
        let reply = tokio::select! {
            r = async {
                std::future::poll_fn(|cx| svc.poll_ready(cx)).await?;
                // As the Thrift server does: a handler that panics fails its call with
                // INTERNAL, and the server goes on.
                let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| svc.call(call)));
                match called.map(CatchUnwind) {
                    Ok(fut) => fut.await,
                    Err(p) => Err(p),
                }
                .unwrap_or_else(|p| {
                    let msg = panic_message(&*p);
                    tracing::error!(panic = %msg, "grpc server: handler panicked");
                    Err(Status::internal(format!("handler panicked: {msg}")))
                })
            } => r,
            _ = &mut sleep => Err(Status::deadline_exceeded("deadline exceeded")),
            _ = std::future::poll_fn(|cx| respond.poll_reset(cx)) => {
                tracing::debug!("call cancelled by the client");
                return;
            }
        };
        let reply = match reply {
            Ok(r) => r,
            Err(s) => {
                tracing::debug!(status = %s, "call failed");
                return trailers_only(&mut respond, &s);
            }
        };
        let mut resp = grpc_response(http::StatusCode::OK);
        if send_gzip {
            resp.headers_mut().insert(
                super::hdr::GRPC_ENCODING,
                http::HeaderValue::from_static("gzip"),
            );
        }
        reply.metadata.merge_into(resp.headers_mut());
        let mut send = match respond.send_response(resp, false) {
            Ok(s) => s,
            Err(_) => return,
        };
        let enc = if send_gzip {
            Encoding::Gzip
        } else {
            Encoding::Identity
        };
        let mut body = reply.body;
        let mut frames = Frames::new(enc, cfg.max_send);
        let mut ok_trailers = Some(reply.trailers);
        let status: Status = 'call: loop {
            let mut item = tokio::select! {
                i = std::future::poll_fn(|cx| body.poll_frame(cx, &mut frames)) => i,
                _ = &mut sleep => Some(Err(Status::deadline_exceeded("deadline exceeded"))),
                _ = std::future::poll_fn(|cx| send.poll_reset(cx)) => {
                    tracing::debug!("call cancelled by the client");
                    return;
                }
            };
            // Every message the handler has ready goes into one buffer (up to `BATCH` bytes),
            // sent as one DATA write: one h2 frame and one wake of the connection task per
            // batch instead of per message.
            let end = loop {
                match item {
                    Some(Ok(())) => {
                        if frames.buf.len() >= BATCH {
                            break None;
                        }
                    }
                    Some(Err(s)) => break Some(s),
                    None => {
                        break Some(
                            Status::ok("").with_metadata(ok_trailers.take().unwrap_or_default()),
                        )
                    }
                }
                item =
                    match std::future::poll_fn(|cx| Poll::Ready(body.poll_frame(cx, &mut frames)))
                        .await
                    {
                        Poll::Ready(i) => i,
                        Poll::Pending => break None,
                    };
            };
            if !frames.buf.is_empty() {
                let data = frames.take();
                // The call's last batch (a unary reply, a stream's tail) when it fits HTTP/2's
                // default window: handed to h2 at once, without waiting for the connection task
                // to assign capacity first (one wake of this task less per call). h2 queues it
                // until the window takes it; the buffering is bounded by this one batch, and
                // the trailers follow. Every other batch waits for capacity (back-pressure).
                if end.is_some() && data.len() <= codec::INLINE_FRAME {
                    if send.send_data(data, false).is_err() {
                        return;
                    }
                } else {
                    let sent = tokio::select! {
                        r = codec::send_data(&mut send, data, false) => r,
                        _ = &mut sleep => Err(Status::deadline_exceeded("deadline exceeded")),
                    };
                    if let Err(s) = sent {
                        tracing::debug!(status = %s, "sending response");
                        if s.code() == super::Code::DeadlineExceeded {
                            break 'call s;
                        }
                        send.send_reset(h2::Reason::CANCEL);
                        return;
                    }
                }
            }
            if let Some(s) = end {
                break s;
            }
        };
        let mut trailers = http::HeaderMap::new();
        status.write_trailers(&mut trailers);
        let _ = send.send_trailers(trailers);
    })
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::health::HealthCheckRequest;

    fn poll(body: &mut ReplyBody, frames: &mut Frames) -> Poll<Option<Result<(), Status>>> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        body.poll_frame(&mut cx, frames)
    }

    fn msg(service: &str) -> HealthCheckRequest {
        HealthCheckRequest {
            service: service.to_string().into(),
        }
    }

    /// A typed message framed straight into the batch is the frame of its encoding; a
    /// stream's messages go into one batch, in order, with room reserved once.
    #[test]
    fn typed_messages_frame_as_their_encoding() {
        let long = "x".repeat(3000);
        let items = [msg("a"), msg(""), msg(&long)];
        let want: Vec<u8> = items
            .iter()
            .flat_map(|m| codec::encode_frame(&m.encode_to_bytes(), Encoding::Identity))
            .collect();
        let mut body =
            ReplyBody::messages(Box::pin(super::super::stream::iter(items.clone().map(Ok))));
        let mut frames = Frames::new(Encoding::Identity, 1 << 20);
        for _ in 0..3 {
            assert!(matches!(
                poll(&mut body, &mut frames),
                Poll::Ready(Some(Ok(())))
            ));
        }
        assert!(
            frames.buf.capacity() >= BATCH,
            "a stream reserves a whole batch"
        );
        assert!(matches!(poll(&mut body, &mut frames), Poll::Ready(None)));
        assert_eq!(&frames.take()[..], &want[..]);
        assert!(frames.buf.is_empty() && !frames.grown);

        // One message: exactly its frame, no batch-sized reservation.
        let mut one = ReplyBody::message(msg("svc"));
        assert!(matches!(
            poll(&mut one, &mut frames),
            Poll::Ready(Some(Ok(())))
        ));
        assert!(matches!(poll(&mut one, &mut frames), Poll::Ready(None)));
        assert!(frames.buf.capacity() < BATCH);
        let f = frames.take();
        assert_eq!(
            f,
            codec::encode_frame(&msg("svc").encode_to_bytes(), Encoding::Identity)
        );
    }

    /// Compressed, over the limit, already encoded.
    #[test]
    fn gzip_limits_and_encoded_messages() {
        let m = msg(&"y".repeat(500));
        let mut frames = Frames::new(Encoding::Gzip, 1 << 20);
        frames.push_message(&m).unwrap();
        let framed = frames.take();
        assert_eq!(framed[0], 1, "compressed flag");
        let mut dec = codec::MessageDecoder::new(1 << 20, Some(Encoding::Gzip));
        dec.push(framed);
        assert_eq!(dec.next_message().unwrap().unwrap(), m.encode_to_bytes());

        let mut small = Frames::new(Encoding::Identity, 10);
        let e = small.push_message(&m).unwrap_err();
        assert_eq!(e.code(), super::super::Code::ResourceExhausted);
        assert!(
            small.buf.is_empty(),
            "nothing of a refused message is framed"
        );
        assert_eq!(
            small.push_encoded(&[0u8; 11]).unwrap_err().code(),
            super::super::Code::ResourceExhausted
        );
        small.push_encoded(b"0123456789").unwrap();
        assert_eq!(&small.take()[..], b"\0\0\0\0\x0a0123456789");
    }
}
