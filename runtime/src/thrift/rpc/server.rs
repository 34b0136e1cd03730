//! The server: accept loop, per-connection pipelining, limits, graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;
use tower::{Service, ServiceExt};
use tracing::Instrument;

use super::net::{Listener, PeerAddr, ReadHalf, WriteHalf};
use super::{
    encode_frame, BoxError, Error, FrameReader, Headers, Request, Response, DEFAULT_MAX_FRAME_SIZE,
};
use crate::panic::{panic_message, CatchUnwind};
use crate::thrift::{ApplicationException, ApplicationExceptionKind, MessageType};
use crate::trace::{TraceContext, TRACEPARENT, TRACESTATE};

/// Server configuration; [`Server::serve`] starts it.
#[derive(Debug, Clone)]
pub struct Server {
    max_frame_size: usize,
    idle_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    max_connections: usize,
    max_in_flight_per_connection: usize,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            idle_timeout: Some(Duration::from_secs(300)),
            read_timeout: Some(Duration::from_secs(30)),
            write_timeout: Some(Duration::from_secs(30)),
            max_connections: 10_000,
            max_in_flight_per_connection: 128,
        }
    }
}

impl Server {
    /// Defaults: 16 MiB frames, 300 s idle, 30 s read/write, 10 000 connections, 128
    /// in-flight calls per connection.
    pub fn new() -> Self {
        Self::default()
    }
    /// Largest accepted message.
    pub fn max_frame_size(mut self, n: usize) -> Self {
        self.max_frame_size = n;
        self
    }
    /// How long a connection may sit without starting a message.
    pub fn idle_timeout(mut self, t: Option<Duration>) -> Self {
        self.idle_timeout = t;
        self
    }
    /// How long one message may take to arrive once started.
    pub fn read_timeout(mut self, t: Option<Duration>) -> Self {
        self.read_timeout = t;
        self
    }
    /// How long writing one reply may take.
    pub fn write_timeout(mut self, t: Option<Duration>) -> Self {
        self.write_timeout = t;
        self
    }
    /// Connections beyond this are closed on accept.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }
    /// Pipelined calls handled at once on one connection (reading pauses beyond it).
    pub fn max_in_flight_per_connection(mut self, n: usize) -> Self {
        self.max_in_flight_per_connection = n.max(1);
        self
    }

    /// Serves `service` on `listener` (a `tokio::net::TcpListener`, a
    /// `tokio::net::UnixListener`, or a [`Listener`]) until [`ServerHandle::shutdown`].
    pub fn serve<S>(self, listener: impl Into<Listener>, service: S) -> ServerHandle
    where
        S: Service<Request, Response = Option<Response>> + Clone + Send + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        let listener = listener.into();
        let local_addr = listener.local_addr();
        let (tx, rx) = watch::channel(false);
        let cfg = Arc::new(self);
        let join = tokio::spawn(accept_loop(cfg, listener, service, rx));
        ServerHandle {
            local_addr,
            shutdown: tx,
            join,
        }
    }
}

/// A running server.
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: Option<PeerAddr>,
    shutdown: watch::Sender<bool>,
    join: tokio::task::JoinHandle<()>,
}

impl ServerHandle {
    /// The TCP address it listens on.
    ///
    /// # Panics
    /// When serving a Unix-domain socket (use [`ServerHandle::listen_addr`]).
    pub fn local_addr(&self) -> std::net::SocketAddr {
        match &self.local_addr {
            Some(PeerAddr::Tcp(a)) => *a,
            _ => panic!("not a TCP listener; use ServerHandle::listen_addr"),
        }
    }
    /// The address it listens on, TCP or Unix-domain (`None` if the OS would not say).
    pub fn listen_addr(&self) -> Option<&PeerAddr> {
        self.local_addr.as_ref()
    }
    /// Stops accepting and reading new calls, finishes in-flight calls (sending their
    /// replies), closes every connection, and returns when all is done.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.join.await;
    }
    /// Waits until the server stops (it only stops on shutdown).
    pub async fn wait(self) {
        let _ = self.join.await;
    }
}

async fn accept_loop<S>(
    cfg: Arc<Server>,
    listener: Listener,
    service: S,
    mut shutdown: watch::Receiver<bool>,
) where
    S: Service<Request, Response = Option<Response>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    let slots = Arc::new(Semaphore::new(cfg.max_connections));
    let conn_shutdown = shutdown.clone();
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            r = listener.accept() => match r {
                Ok((rd, wr, peer)) => {
                    let Ok(permit) = slots.clone().try_acquire_owned() else {
                        tracing::warn!(%peer, "thrift server: connection limit reached, closing");
                        drop((rd, wr));
                        continue;
                    };
                    let svc = service.clone();
                    let cfg = cfg.clone();
                    let rx = conn_shutdown.clone();
                    conns.spawn(async move {
                        let _permit = permit;
                        connection(cfg, rd, wr, peer, svc, rx).await;
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "thrift server: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
}

async fn connection<S>(
    cfg: Arc<Server>,
    rd: ReadHalf,
    mut wr: WriteHalf,
    peer: PeerAddr,
    service: S,
    mut shutdown: watch::Receiver<bool>,
) where
    S: Service<Request, Response = Option<Response>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    let peer = Arc::new(peer);
    let mut reader = FrameReader::new(rd, None, cfg.max_frame_size);
    let (tx, mut rx) = mpsc::channel::<Bytes>(cfg.max_in_flight_per_connection);
    let write_timeout = cfg.write_timeout;
    let writer = tokio::spawn(async move {
        while let Some(b) = rx.recv().await {
            let w = wr.write_all(&b);
            let ok = match write_timeout {
                Some(t) => matches!(tokio::time::timeout(t, w).await, Ok(Ok(()))),
                None => w.await.is_ok(),
            };
            if !ok {
                break;
            }
        }
        let _ = wr.shutdown().await;
    });
    let in_flight = Arc::new(Semaphore::new(cfg.max_in_flight_per_connection));
    let mut handlers = JoinSet::new();
    loop {
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            break;
        };
        let frame = tokio::select! {
            biased;
            _ = stopped(&mut shutdown) => break,
            f = reader.next_frame(cfg.idle_timeout, cfg.read_timeout) => f,
        };
        let frame = match frame {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "thrift server: closing connection");
                break;
            }
        };
        let transport = frame.transport;
        // Header transports echo the request's header seq id (the message has its own).
        let header_seq = frame.header_seq_id as i32;
        let req = match Request::from_message(frame.protocol, frame.body, frame.headers) {
            Ok(r) if matches!(r.message_type, MessageType::Call | MessageType::Oneway) => r,
            Ok(r) => {
                tracing::debug!(%peer, kind = ?r.message_type, "thrift server: not a call");
                break;
            }
            Err(e) => {
                tracing::debug!(%peer, error = %e, "thrift server: bad message header");
                break;
            }
        };
        let svc = service.clone();
        let tx = tx.clone();
        let peer = peer.clone();
        let mut call = Box::pin(async move {
            let _permit = permit;
            let ctx =
                TraceContext::incoming(req.headers.get(TRACEPARENT), req.headers.get(TRACESTATE));
            let span = server_span(&req, &peer, &ctx);
            let (protocol, oneway) = (req.protocol, req.is_oneway());
            let call = crate::trace::scope(ctx, handle(svc, req));
            let Some(resp) = call.instrument(span).await else {
                return;
            };
            if oneway {
                return;
            }
            match encode_frame(transport, protocol, header_seq, &resp.headers, &resp.body) {
                Ok(b) => {
                    let _ = tx.send(b).await;
                }
                Err(e) => tracing::warn!(error = %e, "thrift server: reply not encodable"),
            }
        });
        // On a framed or buffered connection with nothing else in flight (a pooled client's
        // connection: one call at a time), a call whose handler completes without waiting
        // (most do: decode, compute, encode, queue the reply) is finished right here on its
        // first poll; a call still pending becomes a task. Spawning every call cost ~2k
        // instructions (an aligned task allocation, moving the future into it, join
        // bookkeeping, a wake). Header transports multiplex many calls on one connection, so
        // their calls always get a task of their own: a handler's synchronous work must not
        // hold up reading the next call.
        let inline = handlers.is_empty()
            && matches!(
                transport,
                super::TransportKind::Framed | super::TransportKind::Buffered
            );
        if !inline
            || std::future::poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx)))
                .await
                .is_pending()
        {
            handlers.spawn(call);
        }
        while handlers.try_join_next().is_some() {}
    }
    // Finish what was accepted, then let the writer flush and close.
    while handlers.join_next().await.is_some() {}
    drop(tx);
    let _ = writer.await;
}

async fn stopped(rx: &mut watch::Receiver<bool>) {
    if rx.wait_for(|s| *s).await.is_err() {
        // The handle is gone without a shutdown: serve on.
        std::future::pending::<()>().await;
    }
}

fn server_span(req: &Request, peer: &PeerAddr, ctx: &TraceContext) -> tracing::Span {
    let span = tracing::info_span!(
        "thrift.server",
        rpc.method = %req.method,
        rpc.seq_id = req.seq_id,
        net.peer = %peer,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
        parent_span_id = tracing::field::Empty,
    );
    ctx.record(&span);
    span
}

/// Runs one call; panics and middleware errors become an `ApplicationException` reply.
async fn handle<S>(svc: S, req: Request) -> Option<Response>
where
    S: Service<Request, Response = Option<Response>> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    let head = Request {
        body: Bytes::new(),
        ..req.clone()
    };
    let headers = Arc::new(req.headers.clone());
    let call = REQUEST_HEADERS.scope(headers, svc.oneshot(req));
    let e = match CatchUnwind(Box::pin(call)).await {
        Ok(Ok(r)) => return r,
        Ok(Err(e)) => {
            let e = Error::from_boxed(e.into());
            tracing::warn!(error = %e, "thrift server: call failed");
            match e {
                Error::Application(a) => a,
                Error::Timeout => {
                    ApplicationException::new(ApplicationExceptionKind::INTERNAL_ERROR, "timed out")
                }
                e => ApplicationException::new(
                    ApplicationExceptionKind::INTERNAL_ERROR,
                    e.to_string(),
                ),
            }
        }
        Err(p) => {
            let msg = panic_message(&*p);
            tracing::error!(panic = %msg, "thrift server: handler panicked");
            ApplicationException::new(
                ApplicationExceptionKind::INTERNAL_ERROR,
                format!("handler panicked: {msg}"),
            )
        }
    };
    Some(head.exception(&e))
}

tokio::task_local! {
    static REQUEST_HEADERS: Arc<Headers>;
}

/// The transport headers (TTHeader/THeader key/values) of the call being handled, for code
/// running inside a server's service (generated handlers included); `None` elsewhere, and
/// in tasks the handler spawns itself.
pub fn request_headers() -> Option<Arc<Headers>> {
    REQUEST_HEADERS.try_with(Arc::clone).ok()
}
