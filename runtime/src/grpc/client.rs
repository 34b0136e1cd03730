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
use super::stream::{next, BoxStream, Request, Response, Streaming};
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

/// A client connection: cheap to clone; clones multiplex calls on one HTTP/2 connection.
#[derive(Clone)]
pub struct Channel {
    send: h2::client::SendRequest<Bytes>,
    authority: Arc<str>,
    cfg: Arc<ClientConfig>,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

impl Channel {
    /// Connects with default settings.
    pub async fn connect(addr: SocketAddr) -> io::Result<Channel> {
        Channel::connect_with(addr, ClientConfig::default()).await
    }

    /// Connects with `cfg`. The connection is driven by a spawned task.
    pub async fn connect_with(addr: SocketAddr, cfg: ClientConfig) -> io::Result<Channel> {
        let sock = tokio::net::TcpStream::connect(addr).await?;
        let _ = sock.set_nodelay(true);
        let (send, mut conn) = h2::client::Builder::new()
            .initial_window_size(1024 * 1024)
            .initial_connection_window_size(4 * 1024 * 1024)
            .max_send_buffer_size(1024 * 1024)
            .handshake::<_, Bytes>(sock)
            .await
            .map_err(io::Error::other)?;
        let dead = Arc::new(tokio::sync::Notify::new());
        if let (Some((interval, timeout)), Some(pp)) = (cfg.keepalive, conn.ping_pong()) {
            tokio::spawn(super::server::keepalive(
                pp,
                interval,
                timeout,
                dead.clone(),
            ));
        }
        tokio::spawn(async move {
            tokio::select! {
                r = conn => if let Err(e) = r { tracing::debug!("h2 client connection: {e}") },
                _ = dead.notified() => tracing::debug!("keep-alive ping timed out"),
            }
        });
        Ok(Channel {
            send,
            authority: addr.to_string().into(),
            cfg: Arc::new(cfg),
        })
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
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
        let mut req = http::Request::builder()
            .method(http::Method::POST)
            .uri(format!("http://{}{}", self.authority, call.path))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("grpc-accept-encoding", "gzip, identity")
            .header("user-agent", self.cfg.user_agent.as_str());
        if self.cfg.gzip {
            req = req.header("grpc-encoding", "gzip");
        }
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Status::deadline_exceeded(
                    "deadline exceeded before the call",
                ));
            }
            req = req.header("grpc-timeout", encode_timeout(left));
        }
        let mut req = req
            .body(())
            .map_err(|e| Status::internal(format!("request: {e}")))?;
        call.metadata.merge_into(req.headers_mut());
        let mut send_req = self.send.clone();
        let ready = tokio::select! {
            r = std::future::poll_fn(|cx| send_req.poll_ready(cx)) => r,
            _ = &mut sleep => return Err(Status::deadline_exceeded("deadline exceeded")),
        };
        ready.map_err(|e| Status::unavailable(format!("connection: {e}")))?;
        let (resp, mut stream) = send_req
            .send_request(req, false)
            .map_err(|e| Status::unavailable(format!("connection: {e}")))?;
        let enc = if self.cfg.gzip {
            Encoding::Gzip
        } else {
            Encoding::Identity
        };
        let max_send = self.cfg.max_send_message_size;
        let mut body = call.body;
        let (err_tx, mut err_rx) = tokio::sync::oneshot::channel::<Status>();
        // Dropped with the response stream: an abandoned call resets its stream even while the
        // caller still holds the request stream open.
        let (guard, mut abandoned) = tokio::sync::oneshot::channel::<()>();
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
                let r = match item {
                    Some(Ok(m)) if m.len() > max_send => Err(Status::resource_exhausted(format!(
                        "request message of {} bytes is larger than the limit of {max_send} bytes",
                        m.len()
                    ))),
                    Some(Ok(m)) => {
                        let frame = codec::encode_frame(&m, enc);
                        tokio::select! {
                            r = codec::send_data(&mut stream, frame, false) => r,
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
                    let _ = err_tx.send(s);
                    stream.send_reset(h2::Reason::CANCEL);
                    return;
                }
            }
        });
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
            Err(s) => return Err(err_rx.try_recv().unwrap_or(s)),
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
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/grpc"));
        if !ct_ok {
            return Err(Status::unknown(
                "response content-type is not application/grpc",
            ));
        }
        let encoding = parts
            .headers
            .get("grpc-encoding")
            .and_then(|v| Encoding::from_header(v.as_bytes()));
        Ok(ClientReply {
            metadata,
            body: RawStreaming::new(
                body,
                self.cfg.max_recv_message_size,
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
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, call: ClientCall) -> Self::Future {
        let traceparent = call.metadata.get("traceparent").unwrap_or("").to_string();
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
