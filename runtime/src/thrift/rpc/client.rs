//! The client: [`Channel`] (calls to one endpoint over pooled or multiplexed connections, a
//! `tower::Service`) and [`ClientCore`] (what generated clients wrap: protocol, seq ids,
//! headers).

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tower::{Service, ServiceExt};
use tracing::Instrument;

use super::mux::MuxConn;
use super::net::{self, ReadHalf, WriteHalf};
use super::{
    decode_reply, encode_frame, encode_message, read_ident, BoxError, BoxFuture, Error, Frame,
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
    multiplex: Option<bool>,
    max_in_flight: usize,
    connections: usize,
    idle_timeout: Option<Duration>,
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
    /// Idle connections kept for reuse when not multiplexing (default 8; 0 = a connection
    /// per call).
    pub fn pool_size(mut self, n: usize) -> Self {
        self.pool_size = n;
        self
    }
    /// Bound on connecting (default 5 s).
    pub fn connect_timeout(mut self, t: Option<Duration>) -> Self {
        self.connect_timeout = t;
        self
    }
    /// Multiplex calls: many in flight at once on each connection, replies matched by the
    /// header seq id. Only the header transports carry a seq id the client can assign per
    /// connection, so this is on by default for [`TransportKind::Header`] and
    /// [`TransportKind::THeader`] and ignored for framed and buffered (whose calls each hold
    /// a pooled connection until their reply). `false` turns it off; the peer must answer
    /// every call of a header transport with the request's header seq id (kit, Kitex, Volo
    /// and Apache's THeader servers do), in any order.
    pub fn multiplex(mut self, on: bool) -> Self {
        self.multiplex = Some(on);
        self
    }
    /// Calls in flight at once on one multiplexed connection (default 1024); more wait.
    pub fn max_in_flight_per_connection(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }
    /// Multiplexed connections opened to the endpoint (default 1); a new one opens only when
    /// every open one is at its in-flight limit.
    pub fn connections(mut self, n: usize) -> Self {
        self.connections = n.max(1);
        self
    }
    /// How long a connection may sit unused before it is closed instead of reused (default
    /// 30 s, Kitex's; `None` keeps idle connections open). Applies to pooled connections and
    /// to multiplexed ones with no call in flight; checked whenever the channel picks a
    /// connection or is asked for readiness.
    pub fn idle_timeout(mut self, t: Option<Duration>) -> Self {
        self.idle_timeout = t;
        self
    }
    /// The channel (connects lazily, on the first call or `poll_ready`).
    pub fn build(self) -> Channel {
        let multiplex = matches!(
            self.transport,
            TransportKind::Header | TransportKind::THeader
        ) && self.multiplex != Some(false);
        Channel {
            inner: Arc::new(Inner {
                multiplex,
                cfg: self,
                pool: Mutex::new(Vec::new()),
                muxes: Mutex::new(Vec::new()),
                connecting: tokio::sync::Mutex::new(()),
            }),
            warming: None,
        }
    }
}

/// Calls to one endpoint.
///
/// * Framed and buffered transports: a bounded pool of connections, each used by one call at
///   a time. A connection that fails, or whose call is dropped (e.g. by a timeout layer), is
///   discarded.
/// * Header transports (TTHeader, THeader): multiplexed connections (see
///   [`ChannelBuilder::multiplex`]): calls share a connection, replies are matched by seq id,
///   a broken connection fails all its pending calls and is replaced on the next call.
///
/// `poll_ready` makes sure a connection can be had (connecting if there is none), so a
/// [`crate::balance::Balance`] in front of several channels skips endpoints that refuse
/// connections. Per-call timeouts, concurrency limits and retries are `tower` layers around
/// it: `ServiceBuilder::new().timeout(d).service(channel)`.
pub struct Channel {
    inner: Arc<Inner>,
    /// `poll_ready`'s connection attempt (`Sync` so the channel stays `Sync`).
    warming: Option<Warming>,
}

type Warming =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send + Sync>>;

impl Clone for Channel {
    fn clone(&self) -> Self {
        Channel {
            inner: self.inner.clone(),
            warming: None,
        }
    }
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("addr", &self.inner.cfg.addr)
            .field("transport", &self.inner.cfg.transport)
            .field("multiplex", &self.inner.multiplex)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Inner {
    cfg: ChannelBuilder,
    multiplex: bool,
    pool: Mutex<Vec<Conn>>,
    muxes: Mutex<Vec<Arc<MuxConn>>>,
    /// Serialises opening multiplexed connections (no connection storms).
    connecting: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct Conn {
    reader: FrameReader<ReadHalf>,
    writer: WriteHalf,
    /// When it was last put back in the pool.
    idle_since: Instant,
}

impl Channel {
    /// A builder for `addr`: `host:port`, or `unix:/path` for a Unix-domain socket.
    pub fn builder(addr: impl Into<String>) -> ChannelBuilder {
        ChannelBuilder {
            addr: addr.into(),
            transport: TransportKind::Framed,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            pool_size: 8,
            connect_timeout: Some(Duration::from_secs(5)),
            multiplex: None,
            max_in_flight: 1024,
            connections: 1,
            idle_timeout: Some(Duration::from_secs(30)),
        }
    }

    /// A channel with default settings.
    pub fn new(addr: impl Into<String>, transport: TransportKind) -> Channel {
        Self::builder(addr).transport(transport).build()
    }

    /// The endpoint's address.
    pub fn addr(&self) -> &str {
        &self.inner.cfg.addr
    }

    /// `true` when calls are multiplexed (see [`ChannelBuilder::multiplex`]).
    pub fn is_multiplexed(&self) -> bool {
        self.inner.multiplex
    }
}

impl Inner {
    /// A pooled connection may carry another call: the peer has not closed it and it has not
    /// been idle past the idle timeout.
    fn reusable(&self, c: &Conn, now: Instant) -> bool {
        let fresh = self
            .cfg
            .idle_timeout
            .is_none_or(|t| now.duration_since(c.idle_since) < t);
        fresh && !c.reader.get_ref().is_closed()
    }

    /// Drops pooled connections from the top of the pool (the most recently used end, where
    /// `take` reuses from) until the top one can still be used.
    fn drop_unusable_top(&self, pool: &mut Vec<Conn>) {
        let now = Instant::now();
        while pool.last().is_some_and(|c| !self.reusable(c, now)) {
            pool.pop();
        }
    }

    /// An idle pooled connection that can still be used (others are dropped, which closes them).
    fn take(&self) -> Option<Conn> {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        self.drop_unusable_top(&mut pool);
        pool.pop()
    }

    fn put(&self, mut conn: Conn) {
        if conn.reader.buffered() != 0 {
            return;
        }
        let now = Instant::now();
        conn.idle_since = now;
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        // The pool is ordered by `idle_since` (pushed and popped at the end): the connections
        // idle past the timeout are a prefix, closed here so they do not linger under load.
        if let Some(t) = self.cfg.idle_timeout {
            let expired = pool
                .iter()
                .take_while(|c| now.duration_since(c.idle_since) >= t)
                .count();
            pool.drain(..expired);
        }
        if pool.len() < self.cfg.pool_size {
            pool.push(conn);
        }
    }

    async fn open(&self) -> Result<(ReadHalf, WriteHalf), Error> {
        let c = net::connect(&self.cfg.addr);
        Ok(match self.cfg.connect_timeout {
            Some(t) => tokio::time::timeout(t, c)
                .await
                .map_err(|_| Error::Timeout)??,
            None => c.await?,
        })
    }

    async fn connect(&self) -> Result<Conn, Error> {
        let (rd, wr) = self.open().await?;
        Ok(Conn {
            reader: FrameReader::new(rd, Some(self.cfg.transport), self.cfg.max_frame_size),
            writer: wr,
            idle_since: Instant::now(),
        })
    }

    /// Drops broken multiplexed connections, and those idle (no call in flight) past the idle
    /// timeout; dropping the last handle ends its tasks and closes it.
    fn prune_muxes(&self, conns: &mut Vec<Arc<MuxConn>>) {
        let now = Instant::now();
        let max = self.cfg.max_in_flight;
        conns.retain(|c| {
            !c.is_broken()
                && !self
                    .cfg
                    .idle_timeout
                    .is_some_and(|t| c.available() == max && c.idle_for(now) >= t)
        });
    }

    /// A live multiplexed connection with room, if one is open (or if no other may open).
    fn pick_mux(&self) -> Option<Arc<MuxConn>> {
        let mut conns = self.muxes.lock().unwrap_or_else(|e| e.into_inner());
        self.prune_muxes(&mut conns);
        let best = conns.iter().max_by_key(|c| c.available())?;
        if best.available() == 0 && conns.len() < self.cfg.connections {
            return None;
        }
        Some(best.clone())
    }

    async fn mux(&self) -> Result<Arc<MuxConn>, Error> {
        if let Some(c) = self.pick_mux() {
            return Ok(c);
        }
        let _one = self.connecting.lock().await;
        if let Some(c) = self.pick_mux() {
            return Ok(c);
        }
        let (rd, wr) = self.open().await?;
        let c = Arc::new(MuxConn::start(
            rd,
            wr,
            self.cfg.transport,
            self.cfg.max_frame_size,
            self.cfg.max_in_flight,
        ));
        self.muxes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(c.clone());
        Ok(c)
    }

    /// Makes sure a connection can be had: opens one if none is open.
    async fn warm(&self) -> Result<(), Error> {
        if self.multiplex {
            return self.mux().await.map(drop);
        }
        let conn = self.connect().await?;
        self.put(conn);
        Ok(())
    }

    fn has_connection(&self) -> bool {
        if self.multiplex {
            let mut conns = self.muxes.lock().unwrap_or_else(|e| e.into_inner());
            self.prune_muxes(&mut conns);
            !conns.is_empty()
        } else {
            // Idle connections the server has closed don't count: an endpoint whose server
            // went away must fail readiness (so a balancer skips it), not its next call. Only
            // the top of the pool is checked: it is the connection the next call takes.
            if self.cfg.pool_size == 0 {
                return true;
            }
            let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            self.drop_unusable_top(&mut pool);
            !pool.is_empty()
        }
    }

    async fn call_mux(&self, req: Request) -> Result<Option<Response>, Error> {
        let mut retried = false;
        loop {
            let conn = self.mux().await?;
            let mut sent = false;
            match conn.call(&req, &mut sent).await {
                Ok(None) => return Ok(None),
                Ok(Some((seq, f))) => return reply(seq, f).map(Some),
                // The connection broke before the call went out (e.g. the server closed it
                // while idle): the peer never saw it, so one try on a new connection is safe.
                Err(_) if !sent && !retried && conn.is_broken() => retried = true,
                Err(e) => return Err(e),
            }
        }
    }

    async fn call(&self, req: Request) -> Result<Option<Response>, Error> {
        if self.multiplex {
            return self.call_mux(req).await;
        }
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
            let r = reply(req.seq_id, f)?;
            self.put(conn);
            return Ok(Some(r));
        }
    }
}

/// Checks that `f` answers the call sent with message seq id `seq` and makes it a
/// [`Response`].
fn reply(seq: i32, f: Frame) -> Result<Response, Error> {
    let ident = read_ident(f.protocol, f.body.clone())?;
    if ident.seq_id != seq {
        return Err(Error::Application(ApplicationException::new(
            ApplicationExceptionKind::BAD_SEQUENCE_ID,
            format!("reply seq id {} for call {seq}", ident.seq_id),
        )));
    }
    Ok(Response {
        body: f.body,
        headers: f.headers,
    })
}

impl Service<Request> for Channel {
    type Response = Option<Response>;
    type Error = Error;
    type Future = BoxFuture<Result<Option<Response>, Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.warming.is_none() {
            if self.inner.has_connection() {
                return Poll::Ready(Ok(()));
            }
            let inner = self.inner.clone();
            self.warming = Some(Box::pin(async move { inner.warm().await }));
        }
        let Some(w) = self.warming.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let r = std::task::ready!(w.as_mut().poll(cx));
        self.warming = None;
        Poll::Ready(r)
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
