//! Endpoint discovery and client-side load balancing, shared by the Thrift and gRPC clients.
//!
//! * [`Discover`]: the set of endpoints (addresses) of a service, as a `tokio::sync::watch`
//!   channel, so changes are seen by the next call. [`StaticList`] is a fixed set; [`Dns`]
//!   resolves a `host:port` with `tokio::net::lookup_host` and refreshes it periodically. A
//!   registry client (Consul, etcd, Nacos…) implements the trait by pushing into a `watch`.
//! * [`Balance`]: a `tower::Service` in front of one per-endpoint service each (a Thrift
//!   [`crate::thrift::rpc::Channel`] with its pool, or a gRPC [`crate::grpc::Channel`]), made
//!   on demand by a function of the address. It picks an endpoint per call by
//!   [`Policy::RoundRobin`] or [`Policy::PowerOfTwoChoices`] (the less loaded of two random
//!   endpoints, by calls in flight), waits for it to be ready (which connects), and skips an
//!   endpoint whose readiness fails (connection refused…) for a cool-down period, trying the
//!   others first. The request is only handed over once an endpoint is ready, so skipping
//!   never sends a call twice.
//!
//! Timeouts, retries and concurrency limits stay `tower` layers around (or inside) it.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tower::{Service, ServiceExt};

/// The endpoints of a service: addresses such as `10.0.0.1:9090` (or `unix:/path` for the
/// Thrift client).
pub type Endpoints = Arc<[String]>;

/// A source of endpoints. The receiver always holds the current set; a change is a new value.
pub trait Discover: Send + Sync + 'static {
    /// A receiver of the current endpoint set.
    fn subscribe(&self) -> watch::Receiver<Endpoints>;
}

/// A fixed list of endpoints (that can still be replaced with [`StaticList::set`]).
#[derive(Debug)]
pub struct StaticList {
    tx: watch::Sender<Endpoints>,
}

impl StaticList {
    /// The endpoints `addrs`.
    pub fn new<I, A>(addrs: I) -> StaticList
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        let list: Vec<String> = addrs.into_iter().map(Into::into).collect();
        StaticList {
            tx: watch::Sender::new(list.into()),
        }
    }

    /// Replaces the list; balancers see it on their next call.
    pub fn set<I, A>(&self, addrs: I)
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        let list: Vec<String> = addrs.into_iter().map(Into::into).collect();
        self.tx.send_replace(list.into());
    }
}

impl Discover for StaticList {
    fn subscribe(&self) -> watch::Receiver<Endpoints> {
        self.tx.subscribe()
    }
}

/// Endpoints from DNS: every address `host:port` resolves to, refreshed every `interval`.
/// A failed or empty resolution keeps the previous set. The refresh task stops when the
/// `Dns` value is dropped.
#[derive(Debug)]
pub struct Dns {
    tx: watch::Sender<Endpoints>,
    task: tokio::task::JoinHandle<()>,
}

impl Dns {
    /// Starts resolving `host_port` (e.g. `"my-service.internal:9090"`) now and every
    /// `interval` (at least 100 ms). Needs a tokio runtime.
    pub fn spawn(host_port: impl Into<String>, interval: Duration) -> Dns {
        let host_port = host_port.into();
        let interval = interval.max(Duration::from_millis(100));
        let tx = watch::Sender::new(Endpoints::from(Vec::new()));
        let weak = tx.clone();
        let task = tokio::spawn(async move {
            loop {
                match tokio::net::lookup_host(host_port.as_str()).await {
                    Ok(addrs) => {
                        let mut list: Vec<String> = addrs.map(|a| a.to_string()).collect();
                        list.sort();
                        list.dedup();
                        if !list.is_empty() {
                            weak.send_if_modified(|cur| {
                                if **cur == *list {
                                    return false;
                                }
                                *cur = list.into();
                                true
                            });
                        }
                    }
                    Err(e) => tracing::debug!(%host_port, error = %e, "dns refresh failed"),
                }
                tokio::time::sleep(interval).await;
            }
        });
        Dns { tx, task }
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Discover for Dns {
    fn subscribe(&self) -> watch::Receiver<Endpoints> {
        self.tx.subscribe()
    }
}

/// How [`Balance`] picks an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Each endpoint in turn.
    RoundRobin,
    /// The one with fewer calls in flight of two picked at random.
    #[default]
    PowerOfTwoChoices,
}

/// No endpoint to call: discovery has none (after waiting for a first set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoEndpoints;

impl fmt::Display for NoEndpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no endpoints available")
    }
}

impl std::error::Error for NoEndpoints {}

struct Endpoint<S> {
    addr: String,
    svc: S,
    in_flight: AtomicUsize,
    down_until: Mutex<Option<Instant>>,
}

impl<S> Endpoint<S> {
    fn is_down(&self, now: Instant) -> bool {
        let d = self.down_until.lock().unwrap_or_else(|e| e.into_inner());
        d.is_some_and(|t| t > now)
    }
    fn mark_down(&self, until: Instant) {
        *self.down_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(until);
    }
    fn mark_up(&self) {
        *self.down_until.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

type MakeFn<S> = dyn Fn(&str) -> S + Send + Sync;

struct Shared<S> {
    make: Box<MakeFn<S>>,
    rx: Mutex<watch::Receiver<Endpoints>>,
    endpoints: Mutex<Arc<[Arc<Endpoint<S>>]>>,
    policy: Policy,
    cool_down: Duration,
    wait_for_endpoints: Duration,
    next: AtomicUsize,
    rng: AtomicU64,
    /// Keeps a discovery (e.g. a [`Dns`] refresh task) alive as long as the balancer.
    _discover: Box<dyn Send + Sync>,
}

/// A load balancer over the endpoints of a [`Discover`] (see the module docs). Cheap to
/// clone; clones share endpoints, their services and load counts.
pub struct Balance<S> {
    shared: Arc<Shared<S>>,
}

impl<S> Clone for Balance<S> {
    fn clone(&self) -> Self {
        Balance {
            shared: self.shared.clone(),
        }
    }
}

impl<S> fmt::Debug for Balance<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let eps = self.endpoints();
        f.debug_struct("Balance")
            .field("policy", &self.shared.policy)
            .field(
                "endpoints",
                &eps.iter().map(|e| e.addr.as_str()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Builds a [`Balance`].
pub struct BalanceBuilder {
    policy: Policy,
    cool_down: Duration,
    wait_for_endpoints: Duration,
}

impl Balance<()> {
    /// Settings: power of two choices, 5 s cool-down, wait up to 5 s for a first endpoint set.
    pub fn builder() -> BalanceBuilder {
        BalanceBuilder {
            policy: Policy::default(),
            cool_down: Duration::from_secs(5),
            wait_for_endpoints: Duration::from_secs(5),
        }
    }
}

impl BalanceBuilder {
    /// The picking policy.
    pub fn policy(mut self, p: Policy) -> Self {
        self.policy = p;
        self
    }
    /// How long an endpoint whose readiness failed is skipped while others are available.
    pub fn cool_down(mut self, d: Duration) -> Self {
        self.cool_down = d;
        self
    }
    /// How long a call waits for discovery to produce a first non-empty set.
    pub fn wait_for_endpoints(mut self, d: Duration) -> Self {
        self.wait_for_endpoints = d;
        self
    }
    /// The balancer over `discover`'s endpoints, calling each through `make(addr)` (made
    /// once per endpoint and kept while the endpoint is listed).
    pub fn build<D, S, F>(self, discover: D, make: F) -> Balance<S>
    where
        D: Discover,
        F: Fn(&str) -> S + Send + Sync + 'static,
    {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15)
            | 1;
        let rx = discover.subscribe();
        Balance {
            shared: Arc::new(Shared {
                make: Box::new(make),
                rx: Mutex::new(rx),
                endpoints: Mutex::new(Vec::new().into()),
                policy: self.policy,
                cool_down: self.cool_down,
                wait_for_endpoints: self.wait_for_endpoints,
                next: AtomicUsize::new(0),
                rng: AtomicU64::new(seed),
                _discover: Box::new(discover),
            }),
        }
    }
}

impl<S> Balance<S> {
    /// The balancer with default settings (see [`Balance::builder`]).
    pub fn new<D, F>(discover: D, make: F) -> Balance<S>
    where
        D: Discover,
        F: Fn(&str) -> S + Send + Sync + 'static,
    {
        Balance::builder().build(discover, make)
    }

    /// The current endpoints, refreshed from discovery.
    fn endpoints(&self) -> Arc<[Arc<Endpoint<S>>]> {
        let sh = &self.shared;
        let mut rx = sh.rx.lock().unwrap_or_else(|e| e.into_inner());
        let mut eps = sh.endpoints.lock().unwrap_or_else(|e| e.into_inner());
        if rx.has_changed().unwrap_or(false) || (eps.is_empty() && !rx.borrow().is_empty()) {
            let addrs = rx.borrow_and_update().clone();
            let next: Vec<Arc<Endpoint<S>>> = addrs
                .iter()
                .map(|a| match eps.iter().find(|e| e.addr == *a) {
                    Some(e) => e.clone(),
                    None => Arc::new(Endpoint {
                        addr: a.clone(),
                        svc: (sh.make)(a),
                        in_flight: AtomicUsize::new(0),
                        down_until: Mutex::new(None),
                    }),
                })
                .collect();
            *eps = next.into();
        }
        eps.clone()
    }

    async fn endpoints_or_wait(&self) -> Option<Arc<[Arc<Endpoint<S>>]>> {
        let eps = self.endpoints();
        if !eps.is_empty() {
            return Some(eps);
        }
        let mut rx = self
            .shared
            .rx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let _ = tokio::time::timeout(
            self.shared.wait_for_endpoints,
            rx.wait_for(|e| !e.is_empty()),
        )
        .await;
        let eps = self.endpoints();
        (!eps.is_empty()).then_some(eps)
    }

    fn random(&self, n: usize) -> usize {
        // xorshift64*: quality is plenty for picking endpoints.
        let mut x = self.shared.rng.load(Ordering::Relaxed);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.shared.rng.store(x, Ordering::Relaxed);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }

    /// Picks among `eps` not in `tried`, preferring endpoints that are not cooling down.
    fn pick(&self, eps: &[Arc<Endpoint<S>>], tried: &[usize]) -> Option<usize> {
        let now = Instant::now();
        let fresh: Vec<usize> = (0..eps.len()).filter(|i| !tried.contains(i)).collect();
        let up: Vec<usize> = fresh
            .iter()
            .copied()
            .filter(|&i| !eps[i].is_down(now))
            .collect();
        let cands = if up.is_empty() { fresh } else { up };
        match cands.len() {
            0 => None,
            1 => Some(cands[0]),
            n => Some(match self.shared.policy {
                Policy::RoundRobin => cands[self.shared.next.fetch_add(1, Ordering::Relaxed) % n],
                Policy::PowerOfTwoChoices => {
                    let a = self.random(n);
                    let b = (a + 1 + self.random(n - 1)) % n;
                    let (a, b) = (cands[a], cands[b]);
                    if eps[b].in_flight.load(Ordering::Relaxed)
                        < eps[a].in_flight.load(Ordering::Relaxed)
                    {
                        b
                    } else {
                        a
                    }
                }
            }),
        }
    }
}

/// Decrements an endpoint's in-flight count when its call ends (or is dropped).
struct InFlight<S>(Arc<Endpoint<S>>);

impl<S> Drop for InFlight<S> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<S, Req> Service<Req> for Balance<S>
where
    S: Service<Req> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: From<NoEndpoints> + fmt::Display + Send + 'static,
    S::Response: Send + 'static,
    Req: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send + 'static>,
    >;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let Some(eps) = this.endpoints_or_wait().await else {
                return Err(NoEndpoints.into());
            };
            let mut tried = Vec::new();
            let mut last_err = None;
            while let Some(i) = this.pick(&eps, &tried) {
                tried.push(i);
                let ep = &eps[i];
                let mut svc = ep.svc.clone();
                // A call waiting for its endpoint to become ready (connecting) counts as load
                // already: otherwise a burst of calls at start-up all avoid the first endpoint
                // to connect, the only one showing a call in flight.
                // The guard lives until this iteration ends: through the call, or the failed
                // readiness.
                ep.in_flight.fetch_add(1, Ordering::Relaxed);
                let _in_flight = InFlight(ep.clone());
                match svc.ready().await {
                    Ok(_) => {
                        ep.mark_up();
                        return svc.call(req).await;
                    }
                    Err(e) => {
                        tracing::debug!(endpoint = %ep.addr, error = %e, "endpoint not ready; skipping it");
                        ep.mark_down(Instant::now() + this.shared.cool_down);
                        last_err = Some(e);
                    }
                }
            }
            Err(last_err.unwrap_or_else(|| NoEndpoints.into()))
        })
    }
}
