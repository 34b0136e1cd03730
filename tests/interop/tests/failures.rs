//! Hostile and unlucky connections against an in-process server: each gets an error (or a
//! closed connection), never a panic or hang, and the server keeps serving everyone else.
//! Also: graceful shutdown under load, handler panics, per-call timeouts, TTHeader tracing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kit_interop::thrift::test::{ThriftTestClient, ThriftTestServer, ThriftTestTestI32Error};
use kit_interop::Handler;
use kit_runtime::thrift::rpc::tower::{service_fn, ServiceBuilder, ServiceExt};
use kit_runtime::thrift::rpc::{
    Channel, Error, ProtocolKind, Request, Server, ServerHandle, TransportKind,
};
use kit_runtime::thrift::ApplicationExceptionKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn serve(server: Server) -> ServerHandle {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    server.serve(l, ThriftTestServer::new(Handler))
}

fn client(h: &ServerHandle, t: TransportKind) -> ThriftTestClient<Channel> {
    let ch = Channel::new(h.local_addr().to_string(), t);
    ThriftTestClient::new(ch, ProtocolKind::Compact)
}

async fn still_serves(h: &ServerHandle) {
    for t in [
        TransportKind::Framed,
        TransportKind::Buffered,
        TransportKind::Header,
    ] {
        assert_eq!(client(h, t).test_i32(42).await.unwrap(), 42, "{t:?}");
    }
}

/// Writes `bytes`, then expects the server to close the connection (read → EOF or reset).
async fn expect_closed(h: &ServerHandle, bytes: &[u8]) {
    let mut s = TcpStream::connect(h.local_addr()).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut buf = vec![0u8; 64];
    let r = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("server neither answered nor closed");
    assert!(matches!(r, Ok(0) | Err(_)), "unexpected reply {r:?}");
}

#[tokio::test]
async fn huge_length_prefix_is_rejected_without_allocating() {
    let h = serve(Server::new()).await;
    expect_closed(&h, &[0x7f, 0xff, 0xff, 0xff, 0x80, 0x01]).await; // ~2 GiB framed
    expect_closed(&h, &[0x80, 0, 0, 0, 0, 0, 0, 0]).await; // 2 GiB: not a valid message either
    still_serves(&h).await;
    h.shutdown().await;
}

#[tokio::test]
async fn configured_frame_limit_applies() {
    let h = serve(Server::new().max_frame_size(1024)).await;
    let c = client(&h, TransportKind::Framed);
    let r = c.test_string("x".repeat(4096).into()).await;
    assert!(r.is_err(), "{r:?}");
    let c = client(&h, TransportKind::Buffered);
    assert!(c.test_string("x".repeat(4096).into()).await.is_err());
    still_serves(&h).await;
    h.shutdown().await;
}

#[tokio::test]
async fn garbage_bytes_close_the_connection() {
    let h = serve(Server::new()).await;
    expect_closed(&h, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    // Compact with a bad version byte.
    expect_closed(&h, &[0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).await;
    // A frame of junk.
    expect_closed(&h, &[0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]).await;
    // THeader with a transform (unsupported), then TTHeader with an unknown info id.
    expect_closed(
        &h,
        &[0, 0, 0, 14, 0x0f, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0],
    )
    .await;
    expect_closed(
        &h,
        &[
            0, 0, 0, 14, 0x10, 0x00, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x42, 0,
        ],
    )
    .await;
    still_serves(&h).await;
    h.shutdown().await;
}

#[tokio::test]
async fn truncated_frame_and_close_mid_call() {
    let h = serve(Server::new()).await;
    {
        // A frame announcing 100 bytes, 3 sent, then the client goes away.
        let mut s = TcpStream::connect(h.local_addr()).await.unwrap();
        s.write_all(&[0, 0, 0, 100, 0x82, 0x21, 0]).await.unwrap();
    }
    {
        // A complete oneway-sleep call, then close before anything comes back; and a
        // normal call whose reply nobody reads.
        let c = client(&h, TransportKind::Framed);
        c.test_oneway(1).await.unwrap();
        let call = c.test_string("abandoned".into());
        let _ = tokio::time::timeout(Duration::from_millis(1), call).await;
    }
    still_serves(&h).await;
    h.shutdown().await;
}

#[tokio::test]
async fn idle_and_read_timeouts_close_connections() {
    let h = serve(
        Server::new()
            .idle_timeout(Some(Duration::from_millis(100)))
            .read_timeout(Some(Duration::from_millis(100))),
    )
    .await;
    // Idle: never sends.
    let mut s = TcpStream::connect(h.local_addr()).await.unwrap();
    let mut b = [0u8; 8];
    let r = tokio::time::timeout(Duration::from_secs(5), s.read(&mut b)).await;
    assert!(matches!(r, Ok(Ok(0)) | Ok(Err(_))));
    // Slow: starts a frame and stalls.
    let mut s = TcpStream::connect(h.local_addr()).await.unwrap();
    s.write_all(&[0, 0, 0, 50]).await.unwrap();
    let r = tokio::time::timeout(Duration::from_secs(5), s.read(&mut b)).await;
    assert!(matches!(r, Ok(Ok(0)) | Ok(Err(_))));
    // A pooled client recovers from the server closing its idle connection.
    let c = client(&h, TransportKind::Framed);
    assert_eq!(c.test_i32(1).await.unwrap(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(c.test_i32(2).await.unwrap(), 2);
    h.shutdown().await;
}

#[tokio::test]
async fn connection_limit() {
    let h = serve(Server::new().max_connections(1)).await;
    let hog = TcpStream::connect(h.local_addr()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let c = client(&h, TransportKind::Framed);
    assert!(c.test_i32(1).await.is_err());
    drop(hog);
    // The slot frees once the server sees the close; allow a loaded machine some time.
    let mut ok = false;
    for _ in 0..100 {
        if let Ok(v) = c.test_i32(1).await {
            assert_eq!(v, 1);
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "connection slot never freed");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_in_flight_calls() {
    const CALLS: usize = 1_000;
    let inner = ThriftTestServer::new(Handler);
    let started = Arc::new(AtomicUsize::new(0));
    let s2 = started.clone();
    let slow = service_fn(move |req: Request| {
        let inner = inner.clone();
        s2.fetch_add(1, Ordering::SeqCst);
        async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            inner.oneshot(req).await
        }
    });
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    // 600 calls share one multiplexed TTHeader connection: let them all in at once.
    let h = Server::new()
        .max_in_flight_per_connection(CALLS)
        .serve(l, slow);
    let addr = h.local_addr().to_string();
    // 200 framed and 200 buffered calls, one pooled connection each; 600 multiplexed.
    let framed = Channel::builder(addr.clone())
        .transport(TransportKind::Framed)
        .pool_size(200)
        .build();
    let buffered = Channel::builder(addr.clone())
        .transport(TransportKind::Buffered)
        .pool_size(200)
        .build();
    let header = Channel::builder(addr.clone())
        .transport(TransportKind::Header)
        .build();
    let mut calls = Vec::new();
    for i in 0..CALLS {
        let ch = match i % 5 {
            0 => framed.clone(),
            1 => buffered.clone(),
            _ => header.clone(),
        };
        let c = ThriftTestClient::new(ch, ProtocolKind::Binary);
        calls.push(tokio::spawn(async move { c.test_i32(i as i32).await }));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while started.load(Ordering::SeqCst) < CALLS {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of {CALLS} calls reached the server",
            started.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    h.shutdown().await;
    for (i, c) in calls.into_iter().enumerate() {
        assert_eq!(c.await.unwrap().unwrap(), i as i32, "call {i}");
    }
    // And it is really gone.
    assert!(TcpStream::connect(&addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_recovers_when_its_server_restarts() {
    for t in [TransportKind::Framed, TransportKind::Buffered] {
        let h = serve(Server::new()).await;
        let addr = h.local_addr();
        let ch = Channel::builder(addr.to_string())
            .transport(t)
            .pool_size(4)
            .build();
        let c = ThriftTestClient::new(ch, ProtocolKind::Binary);
        // Fill the pool with 4 idle connections.
        let warm: Vec<_> = (0..4)
            .map(|i| {
                let c = c.clone();
                tokio::spawn(async move { c.test_i32(i).await })
            })
            .collect();
        for w in warm {
            w.await.unwrap().unwrap();
        }
        // Restart the server on the same port: every pooled connection is now dead.
        h.shutdown().await;
        let l = TcpListener::bind(addr).await.unwrap();
        let h = Server::new().serve(l, ThriftTestServer::new(Handler));
        // Give the closes time to arrive, as they would in real life.
        tokio::time::sleep(Duration::from_millis(50)).await;
        for i in 0..10 {
            let r = c.test_i32(100 + i).await;
            assert_eq!(
                r.unwrap_or_else(|e| panic!("{t:?}: call {i} after the restart failed: {e}")),
                100 + i
            );
        }
        h.shutdown().await;
    }
}

#[tokio::test]
async fn handler_panic_becomes_application_exception() {
    let inner = ThriftTestServer::new(Handler);
    let svc = service_fn(move |req: Request| {
        let inner = inner.clone();
        async move {
            if req.method.as_str() == "testI32"
                && req
                    .decode_args::<kit_interop::thrift::test::ThriftTestTestI32Args>()
                    .unwrap()
                    .thing
                    == 13
            {
                panic!("unlucky");
            }
            inner.oneshot(req).await
        }
    });
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let h = Server::new().serve(l, svc);
    let c = client(&h, TransportKind::Framed);
    match c.test_i32(13).await {
        Err(ThriftTestTestI32Error::Application(e)) => {
            assert_eq!(e.kind, ApplicationExceptionKind::INTERNAL_ERROR);
            assert!(e.message.contains("unlucky"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.test_i32(14).await.unwrap(), 14);
    h.shutdown().await;
}

#[tokio::test]
async fn tower_timeout_layer_bounds_a_call() {
    let h = serve(Server::new()).await;
    let ch = Channel::new(h.local_addr().to_string(), TransportKind::Framed);
    let stack = ServiceBuilder::new()
        .timeout(Duration::from_millis(100))
        .concurrency_limit(4)
        .service(ch);
    let c = ThriftTestClient::new(stack, ProtocolKind::Binary);
    assert_eq!(c.test_i32(5).await.unwrap(), 5);
    // testOneway is oneway; make a slow server instead.
    let slow = service_fn(|req: Request| async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        ThriftTestServer::new(Handler).oneshot(req).await
    });
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let h2 = Server::new().serve(l, slow);
    let ch = Channel::new(h2.local_addr().to_string(), TransportKind::Framed);
    let stack = ServiceBuilder::new()
        .timeout(Duration::from_millis(100))
        .service(ch);
    let c = ThriftTestClient::new(stack, ProtocolKind::Binary);
    match c.test_i32(5).await {
        Err(ThriftTestTestI32Error::Transport(Error::Timeout)) => {}
        other => panic!("{other:?}"),
    }
    h.shutdown().await;
    h2.shutdown().await;
}

/// Records the `trace_id` field of every `thrift.server` span.
#[derive(Clone, Default)]
struct TraceIds(Arc<Mutex<Vec<String>>>);

struct Visit<'a>(&'a mut Option<String>);
impl tracing::field::Visit for Visit<'_> {
    fn record_str(&mut self, f: &tracing::field::Field, v: &str) {
        if f.name() == "trace_id" {
            *self.0 = Some(v.to_string());
        }
    }
    fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
        if f.name() == "trace_id" {
            *self.0 = Some(format!("{v:?}"));
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for TraceIds {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if attrs.metadata().name() == "thrift.server" {
            let mut v = None;
            attrs.record(&mut Visit(&mut v));
            if let Some(v) = v {
                self.0.lock().unwrap().push(v);
            }
        }
    }
    fn on_record(
        &self,
        _: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut v = None;
        values.record(&mut Visit(&mut v));
        if let Some(v) = v {
            self.0.lock().unwrap().push(v);
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn traceparent_in_ttheader_reaches_the_server_span() {
    // One global subscriber, not a thread-local `set_default`: tests running in parallel
    // threads without one would race it for the callsites' cached interest. Other tests' server
    // spans land here too, each with its own trace id.
    use tracing_subscriber::layer::SubscriberExt;
    static IDS: std::sync::OnceLock<TraceIds> = std::sync::OnceLock::new();
    let ids = IDS
        .get_or_init(|| {
            let ids = TraceIds::default();
            tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(ids.clone()),
            )
            .expect("the only global subscriber of this test binary");
            ids
        })
        .clone();
    let h = serve(Server::new()).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let c = client(&h, TransportKind::Header)
        .with_header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"));
    assert_eq!(c.test_i32(7).await.unwrap(), 7);
    h.shutdown().await;
    let seen = ids.0.lock().unwrap().clone();
    let hits = seen.iter().filter(|t| t.as_str() == trace_id).count();
    assert_eq!(hits, 1, "{seen:?}");
}

#[tokio::test]
async fn pipelined_calls_on_one_connection_are_answered_by_seq_id() {
    use kit_interop::thrift::test::{ThriftTestTestI32Args, ThriftTestTestI32Result};
    use kit_runtime::thrift::rpc::{decode_reply, encode_frame, encode_message, FrameReader};
    use kit_runtime::thrift::MessageType;
    let h = serve(Server::new()).await;
    for t in [
        TransportKind::Framed,
        TransportKind::Buffered,
        TransportKind::Header,
    ] {
        for p in [ProtocolKind::Binary, ProtocolKind::Compact] {
            let s = TcpStream::connect(h.local_addr()).await.unwrap();
            let (rd, mut wr) = s.into_split();
            // Ten calls in one write: the server must split them and answer each.
            let mut wire = Vec::new();
            for seq in 1..=10 {
                let body = encode_message(
                    p,
                    "testI32",
                    MessageType::Call,
                    seq,
                    &ThriftTestTestI32Args { thing: seq * 100 },
                );
                wire.extend_from_slice(
                    &encode_frame(t, p, seq, &Default::default(), &body).unwrap(),
                );
            }
            wr.write_all(&wire).await.unwrap();
            let mut r = FrameReader::new(rd, Some(t), 1 << 20);
            let mut seen = Vec::new();
            for _ in 0..10 {
                let f = r.next_frame(None, None).await.unwrap().unwrap();
                let ident = kit_runtime::thrift::rpc::read_ident(p, f.body.clone()).unwrap();
                let res: ThriftTestTestI32Result = decode_reply(p, "testI32", f.body).unwrap();
                assert_eq!(res.success, Some(ident.seq_id * 100), "{t:?} {p:?}");
                seen.push(ident.seq_id);
            }
            seen.sort();
            assert_eq!(seen, (1..=10).collect::<Vec<_>>(), "{t:?} {p:?}");
        }
    }
    h.shutdown().await;
}

/// A call whose handler waits does not hold up the calls behind it on the same connection
/// (framed calls with nothing else in flight are first polled on the connection's own task:
/// a call still pending there must move to a task of its own).
#[tokio::test]
async fn a_waiting_call_does_not_block_the_next_on_its_connection() {
    use kit_interop::thrift::test::{
        ThriftTestTestI32Args, ThriftTestTestI32Result, ThriftTestTestOnewayArgs,
    };
    use kit_runtime::thrift::rpc::{decode_reply, encode_frame, encode_message, FrameReader};
    use kit_runtime::thrift::MessageType;
    let h = serve(Server::new()).await;
    let p = ProtocolKind::Binary;
    for t in [TransportKind::Framed, TransportKind::Buffered] {
        let s = TcpStream::connect(h.local_addr()).await.unwrap();
        let (rd, mut wr) = s.into_split();
        // The handler of testOneway sleeps for `seconds_to_sleep`.
        let sleep = encode_message(
            p,
            "testOneway",
            MessageType::Oneway,
            1,
            &ThriftTestTestOnewayArgs {
                seconds_to_sleep: 5,
            },
        );
        wr.write_all(&encode_frame(t, p, 1, &Default::default(), &sleep).unwrap())
            .await
            .unwrap();
        let call = encode_message(
            p,
            "testI32",
            MessageType::Call,
            2,
            &ThriftTestTestI32Args { thing: 7 },
        );
        wr.write_all(&encode_frame(t, p, 2, &Default::default(), &call).unwrap())
            .await
            .unwrap();
        let mut r = FrameReader::new(rd, Some(t), 1 << 20);
        let f = tokio::time::timeout(Duration::from_secs(2), r.next_frame(None, None))
            .await
            .unwrap_or_else(|_| panic!("{t:?}: the call behind a sleeping one was not answered"))
            .unwrap()
            .unwrap();
        let res: ThriftTestTestI32Result = decode_reply(p, "testI32", f.body).unwrap();
        assert_eq!(res.success, Some(7), "{t:?}");
    }
    h.shutdown().await;
}

#[tokio::test]
async fn unknown_method_gets_application_exception() {
    use kit_interop::thrift::test::ThriftTestTestVoidArgs;
    use kit_runtime::thrift::rpc::{decode_reply, encode_frame, encode_message, FrameReader};
    use kit_runtime::thrift::MessageType;
    let h = serve(Server::new()).await;
    let s = TcpStream::connect(h.local_addr()).await.unwrap();
    let (rd, mut wr) = s.into_split();
    let p = ProtocolKind::Binary;
    let body = encode_message(
        p,
        "noSuchMethod",
        MessageType::Call,
        1,
        &ThriftTestTestVoidArgs {},
    );
    let frame = encode_frame(TransportKind::Framed, p, 1, &Default::default(), &body).unwrap();
    wr.write_all(&frame).await.unwrap();
    let mut r = FrameReader::new(rd, Some(TransportKind::Framed), 1 << 20);
    let f = r.next_frame(None, None).await.unwrap().unwrap();
    match decode_reply::<ThriftTestTestVoidArgs>(p, "noSuchMethod", f.body) {
        Err(Error::Application(e)) => {
            assert_eq!(e.kind, ApplicationExceptionKind::UNKNOWN_METHOD)
        }
        other => panic!("{other:?}"),
    }
    h.shutdown().await;
}

#[tokio::test]
async fn undecodable_arguments_get_protocol_error() {
    use kit_runtime::thrift::rpc::{decode_reply, encode_frame, FrameReader};
    let h = serve(Server::new()).await;
    let s = TcpStream::connect(h.local_addr()).await.unwrap();
    let (rd, mut wr) = s.into_split();
    let p = ProtocolKind::Binary;
    // Message header for testI32, then an argument struct cut inside a field header.
    let mut body = vec![0x80, 0x01, 0x00, 0x01, 0, 0, 0, 7];
    body.extend_from_slice(b"testI32");
    body.extend_from_slice(&[0, 0, 0, 1, 8, 0]);
    let frame = encode_frame(TransportKind::Framed, p, 1, &Default::default(), &body).unwrap();
    wr.write_all(&frame).await.unwrap();
    let mut r = FrameReader::new(rd, Some(TransportKind::Framed), 1 << 20);
    let f = r.next_frame(None, None).await.unwrap().unwrap();
    match decode_reply::<kit_interop::thrift::test::ThriftTestTestI32Result>(p, "testI32", f.body) {
        Err(Error::Application(e)) => assert_eq!(e.kind, ApplicationExceptionKind::PROTOCOL_ERROR),
        other => panic!("{other:?}"),
    }
    still_serves(&h).await;
    h.shutdown().await;
}

#[tokio::test]
async fn handlers_see_request_headers() {
    let inner = ThriftTestServer::new(Handler);
    let svc = service_fn(move |req: Request| {
        let inner = inner.clone();
        async move {
            let h = kit_runtime::thrift::rpc::request_headers().expect("in a call");
            assert_eq!(h.get("tenant"), Some("acme"));
            inner.oneshot(req).await
        }
    });
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let h = Server::new().serve(l, svc);
    for t in [TransportKind::Header, TransportKind::THeader] {
        let c = client(&h, t).with_header("tenant", "acme");
        assert_eq!(c.test_i32(3).await.unwrap(), 3);
    }
    assert!(kit_runtime::thrift::rpc::request_headers().is_none());
    h.shutdown().await;
}
