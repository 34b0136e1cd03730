//! The gRPC client: a [`Channel`] is one HTTP/2 connection shared by every call made through
//! it (and its clones), and a [`tower_service::Service`] of [`ClientCall`]s.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use tokio::time::Instant;
use tower_service::Service;
use tracing::Instrument;

use super::codec::{self, Encoding, RawStreaming, Side, DEFAULT_MAX_MESSAGE_SIZE};
use super::metadata::{encode_timeout, Metadata};
use super::server::BoxFuture;
use super::status::{Code, Status};
use super::stream::{next, poll_now, BoxStream, Request, Response, Streaming};
use crate::protobuf::Message;

/// One outgoing call: path, metadata, deadline, encoded request messages.
pub struct ClientCall {
    /// `/package.Service/Method`.
    pub path: String,
    /// Request metadata.
    pub metadata: Metadata,
    /// Sent as `grpc-timeout` and enforced locally.
    pub deadline: Option<Instant>,
    /// Encoded request messages.
    pub body: BoxStream<Bytes>,
}

impl std::fmt::Debug for ClientCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCall")
            .field("path", &self.path)
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

/// The response to a [`ClientCall`]: initial metadata and the incoming messages (whose end
/// carries the status).
#[derive(Debug)]
pub struct ClientReply {
    /// Initial metadata.
    pub metadata: Metadata,
    /// Incoming messages.
    pub body: RawStreaming,
}

/// Client settings.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Largest message accepted (after decompression). Default 4 MiB.
    pub max_recv_message_size: usize,
    /// Largest message sent. Default unlimited.
    pub max_send_message_size: usize,
    /// Gzip request messages. Default off.
    pub gzip: bool,
    /// HTTP/2 PING interval and timeout; a late PONG closes the connection. Default off.
    pub keepalive: Option<(Duration, Duration)>,
    /// `user-agent`.
    pub user_agent: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            max_recv_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_send_message_size: usize::MAX,
            gzip: false,
            keepalive: None,
            user_agent: concat!("kit-grpc/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// A client channel to one endpoint: cheap to clone; clones multiplex calls on one HTTP/2
/// connection. When that connection dies (peer gone, GOAWAY, keep-alive timeout), the next
/// call (or `poll_ready`) opens a new one: a dead connection never fails the channel for good.
/// `poll_ready` connects if there is no live connection, so a [`crate::balance::Balance`] in
/// front of several channels skips endpoints that refuse connections.
pub struct Channel {
    shared: Arc<Shared>,
    warming: Option<Warming>,
}

type Warming = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<h2::client::SendRequest<Bytes>, Status>>
            + Send
            + Sync,
    >,
>;

struct Shared {
    addr: String,
    authority: Arc<str>,
    /// `authority` and the `user-agent` value, parsed once for every call's request head.
    parsed_authority: Result<http::uri::Authority, String>,
    user_agent: Result<http::HeaderValue, String>,
    cfg: Arc<ClientConfig>,
    live: std::sync::Mutex<Option<Live>>,
    /// One connection attempt at a time.
    connecting: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Live {
    send: h2::client::SendRequest<Bytes>,
    dead: Arc<std::sync::atomic::AtomicBool>,
}

impl Clone for Channel {
    fn clone(&self) -> Self {
        Channel {
            shared: self.shared.clone(),
            warming: None,
        }
    }
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("authority", &self.shared.authority)
            .finish_non_exhaustive()
    }
}

async fn open(addr: &str, cfg: &ClientConfig) -> io::Result<Live> {
    let sock = tokio::net::TcpStream::connect(addr).await?;
    let _ = sock.set_nodelay(true);
    let (send, mut conn) = h2::client::Builder::new()
        .initial_window_size(1024 * 1024)
        .initial_connection_window_size(4 * 1024 * 1024)
        .max_frame_size(super::MAX_FRAME)
        .max_send_buffer_size(1024 * 1024)
        .handshake::<_, Bytes>(super::io::Coalesce::new(sock))
        .await
        .map_err(io::Error::other)?;
    let ping_dead = Arc::new(tokio::sync::Notify::new());
    if let (Some((interval, timeout)), Some(pp)) = (cfg.keepalive, conn.ping_pong()) {
        tokio::spawn(super::server::keepalive(
            pp,
            interval,
            timeout,
            ping_dead.clone(),
        ));
    }
    let dead = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let d = dead.clone();
    tokio::spawn(async move {
        tokio::select! {
            r = conn => if let Err(e) = r { tracing::debug!("h2 client connection: {e}") },
            _ = ping_dead.notified() => tracing::debug!("keep-alive ping timed out"),
        }
        d.store(true, std::sync::atomic::Ordering::Release);
    });
    Ok(Live { send, dead })
}

impl Channel {
    /// Connects with default settings.
    pub async fn connect(addr: SocketAddr) -> io::Result<Channel> {
        Channel::connect_with(addr, ClientConfig::default()).await
    }

    /// Connects with `cfg` now (failing if the endpoint cannot be reached). The connection is
    /// driven by a spawned task and replaced when it dies.
    pub async fn connect_with(addr: SocketAddr, cfg: ClientConfig) -> io::Result<Channel> {
        let ch = Channel::lazy(addr.to_string(), cfg);
        let live = open(&ch.shared.addr, &ch.shared.cfg).await?;
        *ch.shared.live.lock().unwrap_or_else(|e| e.into_inner()) = Some(live);
        Ok(ch)
    }

    /// A channel to `addr` (`host:port`) that connects on its first call or `poll_ready`.
    pub fn lazy(addr: impl Into<String>, cfg: ClientConfig) -> Channel {
        let addr = addr.into();
        Channel {
            shared: Arc::new(Shared {
                parsed_authority: http::uri::Authority::try_from(addr.as_str())
                    .map_err(|e| e.to_string()),
                user_agent: http::HeaderValue::try_from(cfg.user_agent.as_str())
                    .map_err(|e| e.to_string()),
                authority: addr.as_str().into(),
                addr,
                cfg: Arc::new(cfg),
                live: std::sync::Mutex::new(None),
                connecting: tokio::sync::Mutex::new(()),
            }),
            warming: None,
        }
    }

    fn current(&self) -> Option<h2::client::SendRequest<Bytes>> {
        let live = self.shared.live.lock().unwrap_or_else(|e| e.into_inner());
        live.as_ref()
            .filter(|l| !l.dead.load(std::sync::atomic::Ordering::Acquire))
            .map(|l| l.send.clone())
    }

    /// Forgets the current connection (it failed); the next call opens a new one.
    fn discard(&self) {
        let mut live = self.shared.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = live.as_ref() {
            l.dead.store(true, std::sync::atomic::Ordering::Release);
        }
        *live = None;
    }

    /// A sender on a live connection, connecting if there is none.
    async fn sender(shared: Arc<Shared>) -> Result<h2::client::SendRequest<Bytes>, Status> {
        let ch = Channel {
            shared,
            warming: None,
        };
        if let Some(s) = ch.current() {
            return Ok(s);
        }
        let _one = ch.shared.connecting.lock().await;
        if let Some(s) = ch.current() {
            return Ok(s);
        }
        let live = open(&ch.shared.addr, &ch.shared.cfg)
            .await
            .map_err(|e| Status::unavailable(format!("connecting to {}: {e}", ch.shared.addr)))?;
        let send = live.send.clone();
        *ch.shared.live.lock().unwrap_or_else(|e| e.into_inner()) = Some(live);
        Ok(send)
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.shared.cfg
    }

    /// `http://{authority}{path}`.
    fn uri(&self, path: String) -> Result<http::Uri, Status> {
        let bad = |e: String| Status::internal(format!("request: {e}"));
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(http::uri::Scheme::HTTP);
        parts.authority = Some(self.shared.parsed_authority.clone().map_err(bad)?);
        parts.path_and_query = Some(
            http::uri::PathAndQuery::from_maybe_shared(Bytes::from(path))
                .map_err(|e| bad(e.to_string()))?,
        );
        http::Uri::from_parts(parts).map_err(|e| bad(e.to_string()))
    }

    async fn call_inner(self, call: ClientCall) -> Result<ClientReply, Status> {
        let deadline = call.deadline;
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(sleep);
        // The request head from parsed parts and constant values: `Request::builder()` would
        // parse the URI and copy every header value into a fresh allocation on each call.
        let mut req = http::Request::new(());
        *req.method_mut() = http::Method::POST;
        *req.uri_mut() = self.uri(call.path)?;
        let h = req.headers_mut();
        h.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/grpc"),
        );
        h.insert(http::header::TE, http::HeaderValue::from_static("trailers"));
        h.insert(
            super::hdr::GRPC_ACCEPT_ENCODING,
            http::HeaderValue::from_static("gzip, identity"),
        );
        match &self.shared.user_agent {
            Ok(ua) => h.insert(http::header::USER_AGENT, ua.clone()),
            Err(e) => return Err(Status::internal(format!("request: user-agent: {e}"))),
        };
        if self.shared.cfg.gzip {
            h.insert(
                super::hdr::GRPC_ENCODING,
                http::HeaderValue::from_static("gzip"),
            );
        }
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Status::deadline_exceeded(
                    "deadline exceeded before the call",
                ));
            }
            match http::HeaderValue::try_from(encode_timeout(left)) {
                Ok(v) => h.insert(super::hdr::GRPC_TIMEOUT, v),
                Err(e) => return Err(Status::internal(format!("request: {e}"))),
            };
        }
        call.metadata.merge_into(req.headers_mut());
        // A connection that turns out dead before the request is sent is replaced once:
        // nothing was sent on it, so trying a fresh one is safe.
        let mut attempt = 0;
        let mut send_req = loop {
            attempt += 1;
            let got = tokio::select! {
                s = Channel::sender(self.shared.clone()) => s,
                _ = &mut sleep => return Err(Status::deadline_exceeded("deadline exceeded")),
            };
            let mut send_req = got?;
            let ready = tokio::select! {
                r = std::future::poll_fn(|cx| send_req.poll_ready(cx)) => r,
                _ = &mut sleep => return Err(Status::deadline_exceeded("deadline exceeded")),
            };
            match ready {
                Ok(()) => break send_req,
                Err(e) => {
                    self.discard();
                    if attempt >= 2 {
                        return Err(Status::unavailable(format!("connection: {e}")));
                    }
                }
            }
        };
        let (resp, mut stream) = match send_req.send_request(req, false) {
            Ok(x) => x,
            Err(e) => {
                self.discard();
                return Err(Status::unavailable(format!("connection: {e}")));
            }
        };
        let enc = if self.shared.cfg.gzip {
            Encoding::Gzip
        } else {
            Encoding::Identity
        };
        let max_send = self.shared.cfg.max_send_message_size;
        let mut body = call.body;
        // A request whose only message is ready now (every unary and server-streaming call)
        // and whose frame fits HTTP/2's default initial window goes out inline: no task, no
        // channels. h2 queues it until the window takes it. (Asking h2 for capacity first does
        // not work here: it assigns capacity later, on the connection task, so `capacity()`
        // right after `reserve_capacity` was 0 and every call fell through to the task.)
        // Anything else — more messages, a message not ready yet, an error, a larger message
        // (which needs the task's back-pressure) — goes to the sending task below, items
        // already taken first.
        let mut head: Vec<Result<Bytes, Status>> = Vec::new();
        let mut ended = false;
        let mut sent = false;
        if let Poll::Ready(first) = poll_now(&mut body).await {
            match first {
                Some(Ok(m)) if m.len() <= max_send => match poll_now(&mut body).await {
                    // The frame is the message and a 5-byte header (gzip only shrinks it).
                    Poll::Ready(None) if m.len() + 5 <= codec::INLINE_FRAME => {
                        // A failed send means a dead stream: the response future carries the
                        // connection's error, as in the sending task.
                        if stream
                            .send_data(codec::encode_frame(&m, enc), true)
                            .is_err()
                        {
                            stream.send_reset(h2::Reason::CANCEL);
                        }
                        sent = true;
                    }
                    Poll::Ready(None) => {
                        head.push(Ok(m));
                        ended = true;
                    }
                    Poll::Ready(Some(second)) => {
                        head.push(Ok(m));
                        head.push(second);
                    }
                    Poll::Pending => head.push(Ok(m)),
                },
                Some(other) => head.push(other),
                None => {
                    let _ = stream.send_data(Bytes::new(), true);
                    sent = true;
                }
            }
        }
        let mut err_rx = None;
        let mut guard = None;
        if !sent {
            let mut body: BoxStream<Bytes> = if head.is_empty() {
                body
            } else {
                Box::pin(Prepend {
                    head: head.into_iter(),
                    rest: (!ended).then_some(body),
                })
            };
            let (err_tx, rx) = tokio::sync::oneshot::channel::<Status>();
            err_rx = Some(rx);
            // Dropped with the response stream: an abandoned call resets its stream even while
            // the caller still holds the request stream open.
            let (g, mut abandoned) = tokio::sync::oneshot::channel::<()>();
            guard = Some(g);
            // Sends the request messages; ends the stream, or resets it on error or deadline.
            tokio::spawn(async move {
                let sleep = async {
                    match deadline {
                        Some(d) => tokio::time::sleep_until(d).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::pin!(sleep);
                loop {
                    let item = tokio::select! {
                        i = next(&mut body) => i,
                        _ = &mut sleep => { stream.send_reset(h2::Reason::CANCEL); return; }
                        _ = std::future::poll_fn(|cx| stream.poll_reset(cx)) => return,
                        _ = &mut abandoned => { stream.send_reset(h2::Reason::CANCEL); return; }
                    };
                    let mut local = true;
                    let r = match item {
                        Some(Ok(m)) if m.len() > max_send => {
                            Err(Status::resource_exhausted(format!(
                        "request message of {} bytes is larger than the limit of {max_send} bytes",
                        m.len()
                    )))
                        }
                        Some(Ok(m)) => {
                            let frame = codec::encode_frame(&m, enc);
                            tokio::select! {
                                r = codec::send_data(&mut stream, frame, false) => {
                                    local = false;
                                    r
                                }
                                _ = &mut sleep => Err(Status::deadline_exceeded("deadline exceeded")),
                            }
                        }
                        Some(Err(s)) => Err(s),
                        None => {
                            let _ = stream.send_data(Bytes::new(), true);
                            return;
                        }
                    };
                    if let Err(s) = r {
                        // The caller's own errors (its request stream failed, a message over the
                        // limit, the deadline) explain the reset; a failed send on a dead stream
                        // does not: the response future then carries the connection's error.
                        if local {
                            let _ = err_tx.send(s);
                        }
                        stream.send_reset(h2::Reason::CANCEL);
                        return;
                    }
                }
            });
        }
        let resp = tokio::select! {
            r = resp => r.map_err(|e| match deadline {
                // A server that gives up at the deadline may reset the stream first.
                Some(d) if Instant::now() >= d => Status::deadline_exceeded("deadline exceeded"),
                _ => Status::from_h2(&e),
            }),
            _ = &mut sleep => Err(Status::deadline_exceeded("deadline exceeded")),
        };
        let resp = match resp {
            Ok(r) => r,
            Err(s) => return Err(err_rx.and_then(|mut rx| rx.try_recv().ok()).unwrap_or(s)),
        };
        let (parts, body) = resp.into_parts();
        if parts.status != http::StatusCode::OK {
            let code = match parts.status.as_u16() {
                400 => Code::Internal,
                401 => Code::Unauthenticated,
                403 => Code::PermissionDenied,
                404 => Code::Unimplemented,
                429 | 502..=504 => Code::Unavailable,
                _ => Code::Unknown,
            };
            return Err(Status::new(code, format!("HTTP status {}", parts.status)));
        }
        let metadata = Metadata::from_headers(&parts.headers);
        if let Some(status) = Status::from_trailers(&parts.headers) {
            // Trailers-only response.
            if status.code() != Code::Ok {
                return Err(status);
            }
            return Ok(ClientReply {
                metadata,
                body: RawStreaming::finished(status),
            });
        }
        let ct_ok = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/grpc"));
        if !ct_ok {
            return Err(Status::unknown(
                "response content-type is not application/grpc",
            ));
        }
        let encoding = parts
            .headers
            .get(super::hdr::GRPC_ENCODING)
            .and_then(|v| Encoding::from_header(v.as_bytes()));
        Ok(ClientReply {
            metadata,
            body: RawStreaming::new(
                body,
                self.shared.cfg.max_recv_message_size,
                encoding,
                Side::Client,
                deadline,
            )
            .with_guard(guard),
        })
    }
}

impl Service<ClientCall> for Channel {
    type Response = ClientReply;
    type Error = Status;
    type Future = BoxFuture<Result<ClientReply, Status>>;
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        if self.warming.is_none() {
            if self.current().is_some() {
                return Poll::Ready(Ok(()));
            }
            self.warming = Some(Box::pin(Channel::sender(self.shared.clone())));
        }
        let Some(w) = self.warming.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let r = std::task::ready!(w.as_mut().poll(cx));
        self.warming = None;
        Poll::Ready(r.map(drop))
    }
    fn call(&mut self, call: ClientCall) -> Self::Future {
        let traceparent = call
            .metadata
            .get_name(&super::hdr::TRACEPARENT)
            .unwrap_or("");
        let span = tracing::info_span!("grpc.client", method = %call.path, %traceparent);
        Box::pin(self.clone().call_inner(call).instrument(span))
    }
}

/// What generated clients call through: [`Channel`] or any `tower` middleware around it.
pub trait GrpcClient:
    Service<ClientCall, Response = ClientReply, Error = Status> + Clone + Send + Sync + 'static
where
    Self::Future: Send,
{
}

impl<S> GrpcClient for S
where
    S: Service<ClientCall, Response = ClientReply, Error = Status> + Clone + Send + Sync + 'static,
    S::Future: Send,
{
}

async fn invoke<C>(client: &C, call: ClientCall) -> Result<ClientReply, Status>
where
    C: GrpcClient,
    C::Future: Send,
{
    let mut c = client.clone();
    std::future::poll_fn(|cx| c.poll_ready(cx)).await?;
    c.call(call).await
}

fn one<M: Message>(m: M) -> BoxStream<Bytes> {
    Box::pin(super::stream::iter([Ok(m.encode_to_bytes())]))
}

/// Request items already taken from a body, then the rest of it (`None`: it had ended).
struct Prepend {
    head: std::vec::IntoIter<Result<Bytes, Status>>,
    rest: Option<BoxStream<Bytes>>,
}

impl Stream for Prepend {
    type Item = Result<Bytes, Status>;
    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(item) = this.head.next() {
            return Poll::Ready(Some(item));
        }
        match &mut this.rest {
            Some(r) => r.as_mut().poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}

struct EncodeReq<S>(S);

impl<S, M> Stream for EncodeReq<S>
where
    S: Stream<Item = M> + Unpin,
    M: Message,
{
    type Item = Result<Bytes, Status>;
    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.get_mut().0)
            .poll_next(cx)
            .map(|o| o.map(|m| Ok(m.encode_to_bytes())))
    }
}

async fn single<R: Message>(reply: ClientReply) -> Result<Response<R>, Status> {
    let ClientReply { metadata, mut body } = reply;
    let Some(msg) = body.message().await? else {
        return Err(Status::unimplemented("response had no message"));
    };
    if body.message().await?.is_some() {
        return Err(Status::internal(
            "more than one response message in a unary call",
        ));
    }
    let msg = R::decode(msg).map_err(|e| Status::internal(format!("decoding response: {e}")))?;
    let trailers = body
        .trailers()
        .map(|s| s.metadata().clone())
        .unwrap_or_default();
    Ok(Response::from_parts(metadata, msg, trailers))
}

/// A unary call.
pub async fn unary<C, M, R>(client: &C, path: &str, req: Request<M>) -> Result<Response<R>, Status>
where
    C: GrpcClient,
    C::Future: Send,
    M: Message,
    R: Message,
{
    let (metadata, msg, deadline) = req.into_parts();
    let call = ClientCall {
        path: path.to_string(),
        metadata,
        deadline,
        body: one(msg),
    };
    single(invoke(client, call).await?).await
}

/// A server-streaming call.
pub async fn server_streaming<C, M, R>(
    client: &C,
    path: &str,
    req: Request<M>,
) -> Result<Response<Streaming<R>>, Status>
where
    C: GrpcClient,
    C::Future: Send,
    M: Message,
    R: Message,
{
    let (metadata, msg, deadline) = req.into_parts();
    let call = ClientCall {
        path: path.to_string(),
        metadata,
        deadline,
        body: one(msg),
    };
    let reply = invoke(client, call).await?;
    Ok(Response::new(Streaming::new(reply.body)).with_metadata(reply.metadata))
}

/// A client-streaming call.
pub async fn client_streaming<C, M, R, S>(
    client: &C,
    path: &str,
    req: Request<S>,
) -> Result<Response<R>, Status>
where
    C: GrpcClient,
    C::Future: Send,
    M: Message + 'static,
    R: Message,
    S: Stream<Item = M> + Send + 'static,
{
    let (metadata, msgs, deadline) = req.into_parts();
    let call = ClientCall {
        path: path.to_string(),
        metadata,
        deadline,
        body: Box::pin(EncodeReq(Box::pin(msgs))),
    };
    single(invoke(client, call).await?).await
}

/// A bidirectional-streaming call.
pub async fn streaming<C, M, R, S>(
    client: &C,
    path: &str,
    req: Request<S>,
) -> Result<Response<Streaming<R>>, Status>
where
    C: GrpcClient,
    C::Future: Send,
    M: Message + 'static,
    R: Message,
    S: Stream<Item = M> + Send + 'static,
{
    let (metadata, msgs, deadline) = req.into_parts();
    let call = ClientCall {
        path: path.to_string(),
        metadata,
        deadline,
        body: Box::pin(EncodeReq(Box::pin(msgs))),
    };
    let reply = invoke(client, call).await?;
    Ok(Response::new(Streaming::new(reply.body)).with_metadata(reply.metadata))
}
