//! The client: [`Channel`] (a pooled connection to one endpoint, a `tower::Service`) and
//! [`ClientCore`] (what generated clients wrap: protocol, seq ids, headers).

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tower::{Service, ServiceExt};
use tracing::Instrument;

use super::{
    decode_reply, encode_frame, encode_message, read_ident, BoxError, BoxFuture, Error,
    FrameReader, Headers, ProtocolKind, Request, Response, TransportKind, DEFAULT_MAX_FRAME_SIZE,
};
use crate::thrift::{ApplicationException, ApplicationExceptionKind, MessageType, ThriftStruct};

/// Builds a [`Channel`].
#[derive(Debug, Clone)]
pub struct ChannelBuilder {
    addr: String,
    transport: TransportKind,
    max_frame_size: usize,
    pool_size: usize,
    connect_timeout: Option<Duration>,
}

impl ChannelBuilder {
    /// Message delimiting (default framed).
    pub fn transport(mut self, t: TransportKind) -> Self {
        self.transport = t;
        self
    }
    /// Largest accepted reply (default 16 MiB).
    pub fn max_frame_size(mut self, n: usize) -> Self {
        self.max_frame_size = n;
        self
    }
    /// Idle connections kept for reuse (default 8; 0 = a connection per call).
    pub fn pool_size(mut self, n: usize) -> Self {
        self.pool_size = n;
        self
    }
    /// Bound on connecting (default 5 s).
    pub fn connect_timeout(mut self, t: Option<Duration>) -> Self {
        self.connect_timeout = t;
        self
    }
    /// The channel (connects lazily, on the first call).
    pub fn build(self) -> Channel {
        Channel {
            inner: Arc::new(Inner {
                cfg: self,
                pool: Mutex::new(Vec::new()),
            }),
        }
    }
}

/// Calls to one endpoint over a bounded pool of connections, each used by one call at a time.
/// A connection that fails, or whose call is dropped (e.g. by a timeout layer), is discarded.
///
/// Per-call timeouts, concurrency limits and retries are `tower` layers around it:
/// `ServiceBuilder::new().timeout(d).service(channel)`.
#[derive(Debug, Clone)]
pub struct Channel {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cfg: ChannelBuilder,
    pool: Mutex<Vec<Conn>>,
}

#[derive(Debug)]
struct Conn {
    reader: FrameReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Channel {
    /// A builder for `addr` (`host:port`).
    pub fn builder(addr: impl Into<String>) -> ChannelBuilder {
        ChannelBuilder {
            addr: addr.into(),
            transport: TransportKind::Framed,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            pool_size: 8,
            connect_timeout: Some(Duration::from_secs(5)),
        }
    }

    /// A channel with default settings.
    pub fn new(addr: impl Into<String>, transport: TransportKind) -> Channel {
        Self::builder(addr).transport(transport).build()
    }
}

impl Inner {
    fn take(&self) -> Option<Conn> {
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }

    fn put(&self, conn: Conn) {
        if conn.reader.buffered() != 0 {
            return;
        }
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < self.cfg.pool_size {
            pool.push(conn);
        }
    }

    async fn connect(&self) -> Result<Conn, Error> {
        let c = TcpStream::connect(&self.cfg.addr);
        let stream = match self.cfg.connect_timeout {
            Some(t) => tokio::time::timeout(t, c)
                .await
                .map_err(|_| Error::Timeout)??,
            None => c.await?,
        };
        let _ = stream.set_nodelay(true);
        let (rd, wr) = stream.into_split();
        Ok(Conn {
            reader: FrameReader::new(rd, Some(self.cfg.transport), self.cfg.max_frame_size),
            writer: wr,
        })
    }

    async fn call(&self, req: Request) -> Result<Option<Response>, Error> {
        let frame = encode_frame(
            self.cfg.transport,
            req.protocol,
            req.seq_id,
            &req.headers,
            &req.body,
        )?;
        let mut pooled = self.take();
        loop {
            let reused = pooled.is_some();
            let mut conn = match pooled.take() {
                Some(c) => c,
                None => self.connect().await?,
            };
            if let Err(e) = conn.writer.write_all(&frame).await {
                // A pooled connection the server already closed: nothing was delivered.
                if reused {
                    continue;
                }
                return Err(e.into());
            }
            if req.is_oneway() {
                self.put(conn);
                return Ok(None);
            }
            let f = match conn.reader.next_frame(None, None).await {
                Ok(Some(f)) => f,
                // A pooled connection the server had closed while idle: it never saw the
                // call, so one retry on a fresh connection is safe.
                Ok(None) if reused => continue,
                Ok(None) => return Err(Error::Closed),
                Err(e) => return Err(e),
            };
            let ident = read_ident(f.protocol, f.body.clone())?;
            if ident.seq_id != req.seq_id {
                return Err(Error::Application(ApplicationException::new(
                    ApplicationExceptionKind::BAD_SEQUENCE_ID,
                    format!("reply seq id {} for call {}", ident.seq_id, req.seq_id),
                )));
            }
            self.put(conn);
            return Ok(Some(Response {
                body: f.body,
                headers: f.headers,
            }));
        }
    }
}

impl Service<Request> for Channel {
    type Response = Option<Response>;
    type Error = Error;
    type Future = BoxFuture<Result<Option<Response>, Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let inner = self.inner.clone();
        let span = tracing::info_span!(
            "thrift.client",
            rpc.method = %req.method,
            rpc.seq_id = req.seq_id,
            net.peer = %inner.cfg.addr,
        );
        Box::pin(async move { inner.call(req).await }.instrument(span))
    }
}

/// A `tower::Service` a generated client can call: any `Service<Request>` answering
/// `Option<Response>` whose error converts into a [`BoxError`] (so any middleware stack).
pub trait CallService: Clone + Send + Sync + 'static {
    /// Calls through a clone of the service once it is ready.
    fn call_boxed(&self, req: Request) -> BoxFuture<Result<Option<Response>, Error>>;
}

impl<S> CallService for S
where
    S: Service<Request, Response = Option<Response>> + Clone + Send + Sync + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    fn call_boxed(&self, req: Request) -> BoxFuture<Result<Option<Response>, Error>> {
        let svc = self.clone();
        Box::pin(async move {
            svc.oneshot(req)
                .await
                .map_err(|e| Error::from_boxed(e.into()))
        })
    }
}

/// The shared part of generated clients: service stack, protocol, seq ids, headers.
#[derive(Debug, Clone)]
pub struct ClientCore<S> {
    svc: S,
    protocol: ProtocolKind,
    seq: Arc<AtomicI32>,
    headers: Headers,
}

impl<S: CallService> ClientCore<S> {
    /// Calls go through `svc`, encoded with `protocol`.
    pub fn new(svc: S, protocol: ProtocolKind) -> Self {
        ClientCore {
            svc,
            protocol,
            seq: Arc::new(AtomicI32::new(0)),
            headers: Headers::new(),
        }
    }

    /// Sends `key: value` with every call (TTHeader only), e.g. `traceparent`.
    pub fn with_header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(key, value);
        self
    }

    /// The underlying service.
    pub fn service(&self) -> &S {
        &self.svc
    }

    fn request<A: ThriftStruct>(&self, method: &'static str, mt: MessageType, args: &A) -> Request {
        let seq_id = self
            .seq
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1)
            .max(1);
        Request {
            protocol: self.protocol,
            method: crate::ByteStr::from(method),
            seq_id,
            message_type: mt,
            body: encode_message(self.protocol, method, mt, seq_id, args),
            headers: self.headers.clone(),
        }
    }

    /// A call expecting a reply struct `R` (a generated `*Result`).
    pub fn call<A: ThriftStruct, R: ThriftStruct>(
        &self,
        method: &'static str,
        args: &A,
    ) -> impl std::future::Future<Output = Result<R, Error>> + Send + 'static {
        let req = self.request(method, MessageType::Call, args);
        let protocol = self.protocol;
        let fut = self.svc.call_boxed(req);
        async move {
            match fut.await? {
                Some(resp) => decode_reply::<R>(protocol, method, resp.body),
                None => Err(Error::Closed),
            }
        }
    }

    /// A oneway call: returns once sent.
    pub fn oneway<A: ThriftStruct>(
        &self,
        method: &'static str,
        args: &A,
    ) -> impl std::future::Future<Output = Result<(), Error>> + Send + 'static {
        let req = self.request(method, MessageType::Oneway, args);
        let fut = self.svc.call_boxed(req);
        async move { fut.await.map(drop) }
    }
}
