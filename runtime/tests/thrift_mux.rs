//! The Thrift client's multiplexed connections (TTHeader / THeader) and Unix-domain sockets,
//! against kit's own server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kit_runtime::thrift::rpc::tower::ServiceBuilder;
use kit_runtime::thrift::rpc::{
    BoxError, BoxFuture, Channel, ClientCore, Error, ProtocolKind, Request, Response, Server,
    ServerHandle, TransportKind,
};
use kit_runtime::thrift::{ApplicationException, ApplicationExceptionKind};
use tokio::net::{TcpListener, TcpStream};

/// A handler that echoes the argument struct (an `ApplicationException`, handy as a string
/// carrier) after sleeping `kind` milliseconds, so replies come back out of order; it records
/// its peak concurrency in `peak`.
fn echo(
    peak: Arc<AtomicUsize>,
) -> impl Fn(Request) -> BoxFuture<Result<Option<Response>, BoxError>> + Clone {
    let active = Arc::new(AtomicUsize::new(0));
    move |req: Request| {
        let (active, peak) = (active.clone(), peak.clone());
        Box::pin(async move {
            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let a: ApplicationException = req.decode_args()?;
            tokio::time::sleep(Duration::from_millis(a.kind.0 as u64)).await;
            active.fetch_sub(1, Ordering::SeqCst);
            Ok(Some(req.reply(&a)))
        })
    }
}

async fn serve(server: Server) -> (ServerHandle, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peak = Arc::new(AtomicUsize::new(0));
    let h = server.serve(l, tower::service_fn(echo(peak.clone())));
    (h, peak)
}

fn arg(msg: String, delay_ms: i32) -> ApplicationException {
    ApplicationException::new(ApplicationExceptionKind(delay_ms), msg)
}

async fn call<S: kit_runtime::thrift::rpc::CallService>(
    c: &ClientCore<S>,
    msg: String,
    delay_ms: i32,
) -> Result<ApplicationException, Error> {
    c.call::<ApplicationException, ApplicationException>("echo", &arg(msg, delay_ms))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_calls_on_one_connection_reach_their_callers() {
    for transport in [TransportKind::Header, TransportKind::THeader] {
        // A server that accepts one connection only: a second one would be closed at once and
        // its calls would fail, so success proves every call shared the one connection.
        let (h, peak) = serve(Server::new().max_connections(1)).await;
        let ch = Channel::builder(h.local_addr().to_string())
            .transport(transport)
            .build();
        assert!(ch.is_multiplexed());
        // Two clients (each numbering its calls from 1) share the channel: the connection
        // assigns seq ids itself, so their calls cannot be confused.
        let c1 = ClientCore::new(ch.clone(), ProtocolKind::Binary);
        let c2 = ClientCore::new(ch, ProtocolKind::Compact);
        let mut tasks = Vec::new();
        for i in 0..500 {
            let c = if i % 2 == 0 { c1.clone() } else { c2.clone() };
            // Later calls finish first: replies arrive out of order.
            let delay = 50 - (i % 50);
            tasks.push(tokio::spawn(async move {
                let want = format!("payload-{i}-{}", "x".repeat(i % 97));
                let got = call(&c, want.clone(), delay as i32).await.unwrap();
                assert_eq!(&*got.message, want.as_str());
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert!(
            peak.load(Ordering::SeqCst) > 1,
            "calls were not concurrent on the connection"
        );
        h.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_calls_per_connection_are_bounded() {
    let (h, peak) = serve(Server::new().max_connections(1)).await;
    let ch = Channel::builder(h.local_addr().to_string())
        .transport(TransportKind::Header)
        .max_in_flight_per_connection(4)
        .build();
    let c = ClientCore::new(ch, ProtocolKind::Compact);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let got = call(&c, format!("m{i}"), 10).await.unwrap();
            assert_eq!(&*got.message, format!("m{i}").as_str());
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let p = peak.load(Ordering::SeqCst);
    assert!((1..=4).contains(&p), "peak concurrency {p}");
    h.shutdown().await;
}

/// A TCP proxy in front of `target` whose connections can be cut.
struct Proxy {
    addr: std::net::SocketAddr,
    cut: tokio::sync::watch::Sender<u64>,
    accepted: Arc<AtomicUsize>,
}

async fn proxy(target: std::net::SocketAddr) -> Proxy {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (cut, rx) = tokio::sync::watch::channel(0u64);
    let accepted = Arc::new(AtomicUsize::new(0));
    let acc = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut a, _)) = l.accept().await {
            acc.fetch_add(1, Ordering::SeqCst);
            let mut rx = rx.clone();
            rx.borrow_and_update();
            tokio::spawn(async move {
                let mut b = TcpStream::connect(target).await.unwrap();
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut a, &mut b) => {}
                    _ = rx.changed() => {} // dropping both sockets cuts the connection
                }
            });
        }
    });
    Proxy {
        addr,
        cut,
        accepted,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_mid_flight_fails_its_calls_and_is_replaced() {
    let (h, _) = serve(Server::new()).await;
    let p = proxy(h.local_addr()).await;
    let ch = Channel::builder(p.addr.to_string())
        .transport(TransportKind::Header)
        .build();
    let c = ClientCore::new(ch, ProtocolKind::Binary);
    // Warm up: one connection.
    assert_eq!(&*call(&c, "warm".into(), 0).await.unwrap().message, "warm");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            call(&c, format!("slow{i}"), 2000).await
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    p.cut.send_modify(|n| *n += 1);
    for t in tasks {
        match t.await.unwrap() {
            Err(Error::Closed | Error::Io(_)) => {}
            other => panic!("expected a transport error, got {other:?}"),
        }
    }
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "pending calls were not failed when the connection died"
    );
    // The broken connection is never used again: the next call opens a new one.
    assert_eq!(
        &*call(&c, "after".into(), 0).await.unwrap().message,
        "after"
    );
    assert_eq!(p.accepted.load(Ordering::SeqCst), 2);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_call_leaves_the_connection_usable() {
    let (h, _) = serve(Server::new()).await;
    let ch = Channel::builder(h.local_addr().to_string())
        .transport(TransportKind::Header)
        .build();
    let svc = ServiceBuilder::new()
        .timeout(Duration::from_millis(250))
        .service(ch);
    let c = ClientCore::new(svc, ProtocolKind::Binary);
    match call(&c, "late".into(), 600).await {
        Err(Error::Timeout) => {}
        other => panic!("expected a timeout, got {other:?}"),
    }
    // The late reply arrives (at ~600 ms) while these run (~250 to ~730 ms); it must not be
    // taken for theirs. Each has 200 ms of slack under the timeout, for a loaded machine.
    for i in 0..12 {
        let m = format!("next{i}");
        assert_eq!(&*call(&c, m.clone(), 40).await.unwrap().message, m.as_str());
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    let (h, _) = serve(Server::new()).await;
    let p = proxy(h.local_addr()).await;
    for t in [TransportKind::Framed, TransportKind::Header] {
        for idle in [Some(Duration::from_millis(200)), None] {
            p.accepted.store(0, Ordering::SeqCst);
            let ch = Channel::builder(p.addr.to_string())
                .transport(t)
                .idle_timeout(idle)
                .build();
            let c = ClientCore::new(ch, ProtocolKind::Binary);
            for m in ["a", "b"] {
                assert_eq!(&*call(&c, m.into(), 0).await.unwrap().message, m);
            }
            // Reused while fresh.
            assert_eq!(p.accepted.load(Ordering::SeqCst), 1, "{t:?} {idle:?}");
            tokio::time::sleep(Duration::from_millis(400)).await;
            assert_eq!(&*call(&c, "c".into(), 0).await.unwrap().message, "c");
            // Past the idle timeout the connection is closed and a new one opened; without
            // one, the idle connection is reused.
            let want = if idle.is_some() { 2 } else { 1 };
            assert_eq!(p.accepted.load(Ordering::SeqCst), want, "{t:?} {idle:?}");
        }
    }
    h.shutdown().await;
}

#[tokio::test]
async fn multiplexing_can_be_turned_off() {
    let (h, _) = serve(Server::new()).await;
    let ch = Channel::builder(h.local_addr().to_string())
        .transport(TransportKind::Header)
        .multiplex(false)
        .build();
    assert!(!ch.is_multiplexed());
    let c = ClientCore::new(ch, ProtocolKind::Binary);
    assert_eq!(&*call(&c, "a".into(), 0).await.unwrap().message, "a");
    let framed = Channel::new(h.local_addr().to_string(), TransportKind::Framed);
    assert!(!framed.is_multiplexed());
    h.shutdown().await;
}

#[tokio::test]
async fn a_dead_endpoint_fails_poll_ready() {
    use tower::ServiceExt;
    // Refuses connections: bound, not listening, and kept so no parallel test takes the port.
    let reserved = tokio::net::TcpSocket::new_v4().unwrap();
    reserved.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = reserved.local_addr().unwrap();
    for t in [TransportKind::Framed, TransportKind::Header] {
        let mut ch = Channel::new(addr.to_string(), t);
        assert!(ch.ready().await.is_err(), "{t:?}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn unix_domain_sockets() {
    let dir = std::env::temp_dir().join(format!("kit-uds-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("thrift.sock");
    let _ = std::fs::remove_file(&path);
    let l = tokio::net::UnixListener::bind(&path).unwrap();
    let h = Server::new().serve(l, tower::service_fn(echo(Arc::default())));
    assert!(h.listen_addr().unwrap().to_string().starts_with("unix:"));
    let addr = format!("unix:{}", path.display());
    for t in [
        TransportKind::Framed,
        TransportKind::Buffered,
        TransportKind::Header,
    ] {
        let c = ClientCore::new(Channel::new(addr.clone(), t), ProtocolKind::Compact);
        for i in 0..3 {
            let m = format!("uds-{t:?}-{i}");
            assert_eq!(&*call(&c, m.clone(), 0).await.unwrap().message, m.as_str());
        }
    }
    h.shutdown().await;
    let _ = std::fs::remove_file(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_is_reached_on_a_new_connection() {
    let (h, _) = serve(Server::new()).await;
    let addr = h.local_addr();
    let ch = Channel::builder(addr.to_string())
        .transport(TransportKind::Header)
        .build();
    let c = ClientCore::new(ch, ProtocolKind::Binary);
    assert_eq!(&*call(&c, "one".into(), 0).await.unwrap().message, "one");
    h.shutdown().await;
    let l = TcpListener::bind(addr).await.unwrap();
    let h = Server::new().serve(l, tower::service_fn(echo(Arc::default())));
    // Let the old connection's close reach the client, as it would between a restart and the next
    // call in real life. (A call written in the instant between the peer's close and the client
    // seeing it fails with `Closed`: whether the server read it is unknowable, so the client does
    // not resend it; `RetryPolicy` can for idempotent methods.)
    tokio::time::sleep(Duration::from_millis(100)).await;
    for i in 0..3 {
        let m = format!("again{i}");
        assert_eq!(&*call(&c, m.clone(), 0).await.unwrap().message, m.as_str());
    }
    h.shutdown().await;
}

/// Not a test: side-by-side throughput of a multiplexed TTHeader channel and a pooled framed
/// channel, 100 concurrent callers, 1 KiB payloads, kit server on loopback. Run with
/// `cargo test --release -p kit-runtime --test thrift_mux -- --ignored --nocapture mux_vs_pool`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn mux_vs_pool() {
    let (h, _) = serve(Server::new()).await;
    let payload = "x".repeat(1024);
    for (name, t) in [
        ("framed, pooled", TransportKind::Framed),
        ("header, multiplexed", TransportKind::Header),
        ("framed, pooled", TransportKind::Framed),
        ("header, multiplexed", TransportKind::Header),
    ] {
        let ch = Channel::builder(h.local_addr().to_string())
            .transport(t)
            .pool_size(100)
            .build();
        let c = ClientCore::new(ch, ProtocolKind::Binary);
        let per_task = 2000;
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let (c, p) = (c.clone(), payload.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(per_task);
                for _ in 0..per_task {
                    let t0 = Instant::now();
                    call(&c, p.clone(), 0).await.unwrap();
                    lat.push(t0.elapsed());
                }
                lat
            }));
        }
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await.unwrap());
        }
        let secs = start.elapsed().as_secs_f64();
        lat.sort();
        let q = |f: f64| lat[((lat.len() as f64 * f) as usize).min(lat.len() - 1)];
        println!(
            "{name}: {:.0} calls/s, p50 {:?}, p99 {:?}",
            lat.len() as f64 / secs,
            q(0.5),
            q(0.99)
        );
    }
    h.shutdown().await;
}
