//! The gRPC channel reconnects after its HTTP/2 connection dies, and `kit_runtime::balance`
//! spreads calls over several kit gRPC servers, skipping a dead one.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use kit_grpc_interop::pb::grpc::testing::{Empty, TestServiceClient};
use kit_grpc_interop::server;
use kit_runtime::balance::{Balance, Policy, StaticList};
use kit_runtime::grpc::{
    BoxFuture, Channel, ClientConfig, Request, Server, ServerCall, ServerReply, Service, Status,
};

/// Server middleware: counts calls.
#[derive(Clone)]
struct Count<S>(S, Arc<AtomicUsize>);

impl<S> Service<ServerCall> for Count<S>
where
    S: Service<
        ServerCall,
        Response = ServerReply,
        Error = Status,
        Future = BoxFuture<Result<ServerReply, Status>>,
    >,
{
    type Response = ServerReply;
    type Error = Status;
    type Future = BoxFuture<Result<ServerReply, Status>>;
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        self.0.poll_ready(cx)
    }
    fn call(&mut self, call: ServerCall) -> Self::Future {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.call(call)
    }
}

/// Starts a counting server on `listener`; aborting the task kills its connections.
fn start(
    listener: tokio::net::TcpListener,
    count: Arc<AtomicUsize>,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    tokio::spawn(Server::new().serve(listener, Count(server::service(), count)))
}

async fn bind() -> (tokio::net::TcpListener, SocketAddr) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}

/// A TCP proxy in front of a server: `kill` closes every proxied connection and stops
/// accepting, and has finished doing so when it returns. (Aborting a server's task does not
/// give that: its connection tasks are aborted asynchronously and may still take a call.)
struct Proxy {
    accept: tokio::task::JoinHandle<()>,
    conns: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    fn start(listener: tokio::net::TcpListener, backend: SocketAddr) -> Proxy {
        let conns: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let c = conns.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut front, _)) = listener.accept().await {
                let h = tokio::spawn(async move {
                    if let Ok(mut back) = tokio::net::TcpStream::connect(backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut front, &mut back).await;
                    }
                });
                c.lock().unwrap().push(h);
            }
        });
        Proxy { accept, conns }
    }

    async fn kill(self) {
        self.accept.abort();
        let _ = self.accept.await;
        let conns = std::mem::take(&mut *self.conns.lock().unwrap());
        for h in conns {
            h.abort();
            let _ = h.await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_reconnects_after_the_connection_dies() {
    let (l, backend) = bind().await;
    let count = Arc::new(AtomicUsize::new(0));
    let srv = start(l, count.clone());
    let (l, addr) = bind().await;
    let proxy = Proxy::start(l, backend);
    let ch = Channel::connect(addr).await.unwrap();
    let c = TestServiceClient::new(ch);
    c.empty_call(Request::new(Empty::default())).await.unwrap();
    // Kill the channel's connection and everything listening on its address.
    proxy.kill().await;
    let down = c.empty_call(Request::new(Empty::default())).await;
    assert_eq!(
        down.err().map(|s| s.code()),
        Some(kit_runtime::grpc::Code::Unavailable)
    );
    // Listening again on the same address: the same channel calls again, on a new connection.
    let l = tokio::net::TcpListener::bind(addr).await.unwrap();
    let proxy = Proxy::start(l, backend);
    for _ in 0..3 {
        c.empty_call(Request::new(Empty::default())).await.unwrap();
    }
    assert_eq!(count.load(Ordering::SeqCst), 4);
    proxy.kill().await;
    srv.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_spreads_calls_and_skips_a_dead_endpoint() {
    let mut counts = Vec::new();
    let mut addrs = Vec::new();
    let mut servers = Vec::new();
    for _ in 0..3 {
        let (l, a) = bind().await;
        let n = Arc::new(AtomicUsize::new(0));
        servers.push(start(l, n.clone()));
        counts.push(n);
        addrs.push(a.to_string());
    }
    // Refuses connections: bound, not listening, and kept so no parallel test takes the port.
    let reserved = tokio::net::TcpSocket::new_v4().unwrap();
    reserved.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    addrs.insert(2, reserved.local_addr().unwrap().to_string());
    for policy in [Policy::RoundRobin, Policy::PowerOfTwoChoices] {
        for n in &counts {
            n.store(0, Ordering::SeqCst);
        }
        let b = Balance::builder()
            .policy(policy)
            .build(StaticList::new(addrs.clone()), |a: &str| {
                Channel::lazy(a, ClientConfig::default())
            });
        let c = TestServiceClient::new(b);
        for _ in 0..30 {
            c.empty_call(Request::new(Empty::default())).await.unwrap();
        }
        let got: Vec<usize> = counts.iter().map(|n| n.load(Ordering::SeqCst)).collect();
        assert_eq!(got.iter().sum::<usize>(), 30, "{policy:?}: {got:?}");
        assert!(got.iter().all(|&n| n > 0), "{policy:?}: {got:?}");
        if policy == Policy::RoundRobin {
            // Even, give or take the call that found the dead endpoint.
            assert!(got.iter().all(|n| (9..=11).contains(n)), "{got:?}");
        }
    }
    for s in servers {
        s.abort();
    }
}
