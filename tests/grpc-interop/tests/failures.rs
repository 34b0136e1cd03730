//! kit client against kit server in-process: every interop case (plain and gzip), the health
//! service, and failures — oversized messages, malformed HTTP/2 and gRPC framing, resets
//! mid-stream, expired deadlines, a panicking handler — after each of which the server keeps
//! serving; and graceful shutdown completing an in-flight stream.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kit_grpc_interop::client::{self, CASES};
use kit_grpc_interop::pb::grpc::testing::{
    Empty, Payload, ResponseParameters, SimpleRequest, StreamingOutputCallRequest,
    TestServiceClient,
};
use kit_grpc_interop::server;
use kit_runtime::grpc::health::{HealthCheckRequest, HealthServer, ServingStatus};
use kit_runtime::grpc::{self, Channel, ClientConfig, Code, Request, Server};
use tokio::io::AsyncWriteExt;

struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn start(server: Server) -> Running {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(
            server.serve_with_shutdown(listener, server::service(), async {
                let _ = rx.await;
            }),
        );
        Running {
            addr,
            stop: Some(tx),
            done,
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.done)
            .await
            .expect("server stops")
            .unwrap()
            .unwrap();
    }
}

async fn client(addr: SocketAddr) -> TestServiceClient {
    TestServiceClient::new(Channel::connect(addr).await.unwrap())
}

/// The server still answers a fresh connection.
async fn still_serving(addr: SocketAddr) {
    client(addr)
        .await
        .empty_call(Request::new(Empty::default()))
        .await
        .expect("server still serving");
}

fn all_cases() -> Vec<String> {
    CASES.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn kit_client_against_kit_server() {
    let s = Running::start(Server::new()).await;
    assert_eq!(client::run(s.addr, &all_cases()).await, 0);
    s.stop().await;
}

#[tokio::test]
async fn gzip_both_ways() {
    let s = Running::start(Server::new().gzip(true)).await;
    let cfg = ClientConfig {
        gzip: true,
        ..Default::default()
    };
    let ch = Channel::connect_with(s.addr, cfg).await.unwrap();
    for c in CASES {
        client::run_case(&ch, c)
            .await
            .unwrap_or_else(|e| panic!("{c}: {e}"));
    }
    s.stop().await;
}

#[tokio::test]
async fn many_calls_share_one_connection() {
    let s = Running::start(Server::new()).await;
    let c = client(s.addr).await;
    let calls: Vec<_> = (0..50)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                let r = c
                    .unary_call(Request::new(SimpleRequest {
                        response_size: i * 1000,
                        ..Default::default()
                    }))
                    .await
                    .unwrap();
                assert_eq!(
                    r.into_inner().payload.unwrap().body.len(),
                    i as usize * 1000
                );
            })
        })
        .collect();
    for c in calls {
        c.await.unwrap();
    }
    s.stop().await;
}

#[tokio::test]
async fn health_check() {
    let s = Running::start(Server::new()).await;
    let ch = Channel::connect(s.addr).await.unwrap();
    let r: grpc::Response<kit_runtime::grpc::health::HealthCheckResponse> = grpc::client::unary(
        &ch,
        "/grpc.health.v1.Health/Check",
        Request::new(HealthCheckRequest::default()),
    )
    .await
    .unwrap();
    assert_eq!(r.get_ref().status, ServingStatus::Serving);
    let r: Result<grpc::Response<kit_runtime::grpc::health::HealthCheckResponse>, _> =
        grpc::client::unary(
            &ch,
            "/grpc.health.v1.Health/Check",
            Request::new(HealthCheckRequest {
                service: "nope".into(),
            }),
        )
        .await;
    assert_eq!(r.unwrap_err().code(), Code::NotFound);
    let _ = HealthServer::new();
    s.stop().await;
}

#[tokio::test]
async fn hundred_mib_request_is_resource_exhausted() {
    let s = Running::start(Server::new()).await;
    let c = client(s.addr).await;
    let big = SimpleRequest {
        payload: Some(Payload {
            body: vec![0u8; 100 << 20].into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let r = c.unary_call(Request::new(big)).await;
    assert_eq!(r.unwrap_err().code(), Code::ResourceExhausted);
    // Same connection, and a fresh one, still work.
    c.empty_call(Request::new(Empty::default())).await.unwrap();
    still_serving(s.addr).await;
    s.stop().await;
}

#[tokio::test]
async fn response_over_client_limit_is_resource_exhausted() {
    let s = Running::start(Server::new()).await;
    let c = client(s.addr).await;
    let r = c
        .unary_call(Request::new(SimpleRequest {
            response_size: 5 << 20,
            ..Default::default()
        }))
        .await;
    assert_eq!(r.unwrap_err().code(), Code::ResourceExhausted);
    // A raised limit accepts it.
    let cfg = ClientConfig {
        max_recv_message_size: 8 << 20,
        ..Default::default()
    };
    let c2 = TestServiceClient::new(Channel::connect_with(s.addr, cfg).await.unwrap());
    let r = c2
        .unary_call(Request::new(SimpleRequest {
            response_size: 5 << 20,
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(r.into_inner().payload.unwrap().body.len(), 5 << 20);
    c.empty_call(Request::new(Empty::default())).await.unwrap();
    s.stop().await;
}

#[tokio::test]
async fn garbage_instead_of_http2_closes_only_that_connection() {
    let s = Running::start(Server::new()).await;
    let mut sock = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    sock.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01\x02garbage")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read_to_end(&mut sock, &mut buf),
    )
    .await;
    assert!(read.is_ok(), "server closes the bad connection");
    still_serving(s.addr).await;
    s.stop().await;
}

/// A raw h2 connection for hand-made requests.
async fn raw(addr: SocketAddr) -> h2::client::SendRequest<Bytes> {
    let sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (send, conn) = h2::client::handshake(sock).await.unwrap();
    tokio::spawn(conn);
    send.ready().await.unwrap()
}

fn grpc_request(path: &str, extra: &[(&str, &str)]) -> http::Request<()> {
    let mut b = http::Request::builder()
        .method("POST")
        .uri(format!("http://localhost{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    b.body(()).unwrap()
}

/// The status of a raw response: trailers, or the headers of a trailers-only response.
async fn raw_status(resp: h2::client::ResponseFuture) -> (u16, Option<String>) {
    let resp = tokio::time::timeout(Duration::from_secs(10), resp)
        .await
        .expect("response in time")
        .unwrap();
    response_status(resp).await
}

/// The status of a raw response that has come: trailers, or its headers if trailers-only.
async fn response_status(resp: http::Response<h2::RecvStream>) -> (u16, Option<String>) {
    let code = resp.status().as_u16();
    if let Some(s) = resp.headers().get("grpc-status") {
        return (code, Some(s.to_str().unwrap().to_string()));
    }
    let mut body = resp.into_body();
    while let Some(d) = body.data().await {
        if d.is_err() {
            break;
        }
    }
    let t = body.trailers().await.ok().flatten();
    (
        code,
        t.and_then(|t| {
            t.get("grpc-status")
                .map(|v| v.to_str().unwrap().to_string())
        }),
    )
}

#[tokio::test]
async fn malformed_grpc_timeout_fails_the_call_with_internal() {
    let s = Running::start(Server::new()).await;
    let mut h = raw(s.addr).await;
    for bad in ["abc", "1x", "123456789S", "S", "-1S"] {
        let req = grpc_request(
            "/grpc.testing.TestService/EmptyCall",
            &[("grpc-timeout", bad)],
        );
        let (resp, mut stream) = h.send_request(req, false).unwrap();
        stream
            .send_data(Bytes::from_static(b"\x00\x00\x00\x00\x00"), true)
            .unwrap();
        let resp = tokio::time::timeout(Duration::from_secs(10), resp)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{bad}");
        let hd = resp.headers();
        assert_eq!(hd.get("grpc-status").unwrap(), "13", "{bad}");
        let msg = hd.get("grpc-message").unwrap().to_str().unwrap();
        assert!(msg.starts_with("malformed grpc-timeout"), "{msg}");
        h = h.ready().await.unwrap();
    }
    // A well-formed timeout still works.
    let ch = Channel::connect(s.addr).await.unwrap();
    let c = TestServiceClient::new(ch);
    let mut r = Request::new(Empty::default());
    r.set_timeout(Duration::from_secs(5));
    c.empty_call(r).await.unwrap();
    s.stop().await;
}

#[tokio::test]
async fn malformed_grpc_streams_get_error_statuses() {
    let s = Running::start(Server::new()).await;
    let mut h = raw(s.addr).await;
    let unary = "/grpc.testing.TestService/UnaryCall";
    // (path, extra headers, request body, expected grpc-status)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Bytes, &'a str);
    let cases: Vec<Case> = vec![
        // Truncated frame: header says 100 bytes, 3 arrive.
        (
            unary,
            vec![],
            Bytes::from_static(b"\x00\x00\x00\x00\x64abc"),
            "13",
        ),
        // Invalid compressed flag.
        (
            unary,
            vec![],
            Bytes::from_static(b"\x07\x00\x00\x00\x00"),
            "13",
        ),
        // Compressed without grpc-encoding.
        (
            unary,
            vec![],
            Bytes::from_static(b"\x01\x00\x00\x00\x00"),
            "13",
        ),
        // Not a valid protobuf message.
        (
            unary,
            vec![],
            Bytes::from_static(b"\x00\x00\x00\x00\x02\xff\xff"),
            "13",
        ),
        // Declared length over the limit.
        (
            unary,
            vec![],
            Bytes::from_static(b"\x00\x7f\xff\xff\xff"),
            "8",
        ),
        // No message at all.
        (unary, vec![], Bytes::new(), "13"),
        // Unsupported encoding.
        (unary, vec![("grpc-encoding", "br")], Bytes::new(), "12"),
        // Bad gzip.
        (
            unary,
            vec![("grpc-encoding", "gzip")],
            Bytes::from_static(b"\x01\x00\x00\x00\x03abc"),
            "13",
        ),
        // Unknown method and service.
        ("/grpc.testing.TestService/Nope", vec![], Bytes::new(), "12"),
        ("/nope.Nope/Nope", vec![], Bytes::new(), "12"),
    ];
    for (path, extra, body, want) in cases {
        let (resp, mut stream) = h.send_request(grpc_request(path, &extra), false).unwrap();
        stream.send_data(body.clone(), true).unwrap();
        let (http, status) = raw_status(resp).await;
        assert_eq!(http, 200);
        assert_eq!(status.as_deref(), Some(want), "{path} {extra:?} {body:?}");
        h = h.ready().await.unwrap();
    }
    // Not gRPC at all: plain HTTP errors.
    let (resp, _) = h
        .send_request(
            http::Request::builder()
                .method("GET")
                .uri("http://localhost/x")
                .body(())
                .unwrap(),
            true,
        )
        .unwrap();
    assert_eq!(raw_status(resp).await.0, 405);
    still_serving(s.addr).await;
    s.stop().await;
}

#[tokio::test]
async fn reset_mid_stream_leaves_server_serving() {
    let s = Running::start(Server::new()).await;
    let h = raw(s.addr).await;
    let mut h = h;
    for _ in 0..20 {
        let (_resp, mut stream) = h
            .send_request(
                grpc_request("/grpc.testing.TestService/FullDuplexCall", &[]),
                false,
            )
            .unwrap();
        // Half a message, then a reset.
        stream
            .send_data(Bytes::from_static(b"\x00\x00\x00\x10\x00"), false)
            .unwrap();
        stream.send_reset(h2::Reason::CANCEL);
        h = h.ready().await.unwrap();
    }
    // A client dropping a server stream part-way through.
    let c = client(s.addr).await;
    let req = StreamingOutputCallRequest {
        response_parameters: (0..100)
            .map(|_| ResponseParameters {
                size: 100_000,
                interval_us: 1000,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let mut st = c
        .streaming_output_call(Request::new(req))
        .await
        .unwrap()
        .into_inner();
    st.message().await.unwrap().unwrap();
    drop(st);
    // A bidi call abandoned while the caller still holds its request sender: the call is
    // reset, and the request stream is released.
    let (tx, rx) = grpc::channel(1);
    tx.send(StreamingOutputCallRequest {
        response_parameters: vec![ResponseParameters {
            size: 10,
            ..Default::default()
        }],
        ..Default::default()
    })
    .await
    .unwrap();
    let mut st = c
        .full_duplex_call(Request::new(client::rx_messages(rx)))
        .await
        .unwrap()
        .into_inner();
    st.message().await.unwrap().unwrap();
    drop(st);
    tokio::time::timeout(Duration::from_secs(5), tx.closed())
        .await
        .expect("request stream released after the call was abandoned");
    c.empty_call(Request::new(Empty::default())).await.unwrap();
    still_serving(s.addr).await;
    s.stop().await;
}

#[tokio::test]
async fn expired_deadlines() {
    let s = Running::start(Server::new()).await;
    let c = client(s.addr).await;
    // Client-side: the second message would come after the deadline.
    let req = StreamingOutputCallRequest {
        response_parameters: vec![
            ResponseParameters {
                size: 1,
                ..Default::default()
            },
            ResponseParameters {
                size: 1,
                interval_us: 2_000_000,
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let t = Instant::now();
    let r = async {
        let mut st = c
            .streaming_output_call(Request::new(req).with_timeout(Duration::from_millis(200)))
            .await?
            .into_inner();
        while st.message().await?.is_some() {}
        Ok::<_, grpc::Status>(())
    }
    .await;
    assert_eq!(r.unwrap_err().code(), Code::DeadlineExceeded);
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    // Server-side: a raw client sends grpc-timeout and nothing else, and never gives up itself.
    let mut h = raw(s.addr).await;
    let (resp, _stream) = h
        .send_request(
            grpc_request(
                "/grpc.testing.TestService/FullDuplexCall",
                &[("grpc-timeout", "100m")],
            ),
            false,
        )
        .unwrap();
    let t = Instant::now();
    let (_, status) = raw_status(resp).await;
    assert_eq!(status.as_deref(), Some("4"));
    assert!(t.elapsed() < Duration::from_secs(5));
    h = h.ready().await.unwrap();
    drop(h);
    c.empty_call(Request::new(Empty::default())).await.unwrap();
    s.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_completes_in_flight_stream() {
    let s = Running::start(Server::new()).await;
    let c = client(s.addr).await;
    let req = StreamingOutputCallRequest {
        response_parameters: (0..5)
            .map(|_| ResponseParameters {
                size: 10,
                interval_us: 100_000,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let mut st = c
        .streaming_output_call(Request::new(req))
        .await
        .unwrap()
        .into_inner();
    st.message().await.unwrap().unwrap();
    let addr = s.addr;
    let stopping = tokio::spawn(s.stop());
    let mut n = 1;
    while st.message().await.unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 5);
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .unwrap()
        .unwrap();
    assert!(Channel::connect(addr).await.is_err(), "listener closed");
}

#[tokio::test]
async fn health_watch_follows_status_changes() {
    let health = HealthServer::new();
    health.set("grpc.testing.TestService", ServingStatus::Serving);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = grpc::Router::new().add_service(health.clone());
    let srv = tokio::spawn(Server::new().serve_with_shutdown(listener, router, async {
        let _ = stopped.await;
    }));
    let ch = Channel::connect(addr).await.unwrap();
    let resp: grpc::Response<grpc::Streaming<kit_runtime::grpc::health::HealthCheckResponse>> =
        grpc::client::server_streaming(
            &ch,
            "/grpc.health.v1.Health/Watch",
            Request::new(HealthCheckRequest {
                service: "grpc.testing.TestService".into(),
            }),
        )
        .await
        .unwrap();
    let mut st = resp.into_inner();
    assert_eq!(
        st.message().await.unwrap().unwrap().status,
        ServingStatus::Serving
    );
    health.set("grpc.testing.TestService", ServingStatus::NotServing);
    assert_eq!(
        st.message().await.unwrap().unwrap().status,
        ServingStatus::NotServing
    );
    drop(st);
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), srv)
        .await
        .expect("shutdown completes after the watcher leaves")
        .unwrap()
        .unwrap();
}

/// A response larger than the server's send limit ends the call with RESOURCE_EXHAUSTED
/// (unary, and in a stream after the messages under the limit, which arrive intact); the
/// server keeps serving.
#[tokio::test]
async fn response_over_the_send_limit() {
    let s = Running::start(Server::new().max_send_message_size(10_000)).await;
    let c = client(s.addr).await;
    let big = c
        .unary_call(Request::new(SimpleRequest {
            response_size: 20_000,
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(big.code(), Code::ResourceExhausted, "{big}");
    assert!(
        big.message()
            .contains("larger than the limit of 10000 bytes"),
        "{big}"
    );
    let ok = c
        .unary_call(Request::new(SimpleRequest {
            response_size: 9_000,
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(ok.into_inner().payload.unwrap().body.len(), 9_000);

    let sizes = [100, 5_000, 9_000, 20_000, 10];
    let req = StreamingOutputCallRequest {
        response_parameters: sizes
            .iter()
            .map(|&size| ResponseParameters {
                size,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let mut st = c
        .streaming_output_call(Request::new(req))
        .await
        .unwrap()
        .into_inner();
    let mut got = Vec::new();
    let end = loop {
        match st.message().await {
            Ok(Some(m)) => got.push(m.payload.unwrap().body.len()),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    assert_eq!(got, [100, 5_000, 9_000]);
    assert_eq!(
        end.expect("the stream fails").code(),
        Code::ResourceExhausted
    );
    still_serving(s.addr).await;
    s.stop().await;
}

/// Server middleware: panics in `call` for `EmptyCall` (on the connection's task, where the
/// server takes a call's first poll), and after a wait (in the call's own task) for
/// `UnaryCall`; passes everything else through.
#[derive(Clone)]
struct Panicky<S>(S);

impl<S> grpc::Service<grpc::ServerCall> for Panicky<S>
where
    S: grpc::Service<
        grpc::ServerCall,
        Response = grpc::ServerReply,
        Error = grpc::Status,
        Future = grpc::BoxFuture<Result<grpc::ServerReply, grpc::Status>>,
    >,
{
    type Response = grpc::ServerReply;
    type Error = grpc::Status;
    type Future = grpc::BoxFuture<Result<grpc::ServerReply, grpc::Status>>;
    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), grpc::Status>> {
        self.0.poll_ready(cx)
    }
    fn call(&mut self, call: grpc::ServerCall) -> Self::Future {
        if call.path.ends_with("/EmptyCall") {
            panic!("handler panics at once");
        }
        if call.path.ends_with("/UnaryCall") {
            return Box::pin(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                panic!("handler panics after a wait");
            });
        }
        self.0.call(call)
    }
}

#[tokio::test]
async fn a_panicking_handler_fails_its_call_and_the_connection_goes_on() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let srv = tokio::spawn(Server::new().serve(listener, Panicky(server::service())));
    // One raw connection throughout: a client that reconnects would hide a dead connection.
    let mut send = raw(addr).await;
    let empty_message = Bytes::from_static(&[0, 0, 0, 0, 0]);
    for _ in 0..3 {
        for method in ["EmptyCall", "UnaryCall"] {
            send = send.ready().await.expect("connection still open");
            let path = format!("/grpc.testing.TestService/{method}");
            let (resp, mut body) = send.send_request(grpc_request(&path, &[]), false).unwrap();
            body.send_data(empty_message.clone(), true).unwrap();
            let status = match tokio::time::timeout(Duration::from_secs(10), resp)
                .await
                .expect("an answer in time")
            {
                Err(_) => None, // the stream was reset
                Ok(r) => response_status(r).await.1,
            };
            let failed = status != Some("0".into());
            assert!(
                failed,
                "{method}: the handler panicked, the call can't succeed"
            );
            // As on the Thrift side: the panic is answered, with INTERNAL (13).
            assert_eq!(status.as_deref(), Some("13"), "{method}");
        }
        // The same connection still serves other calls.
        send = send.ready().await.expect("connection still open");
        let (resp, mut body) = send
            .send_request(
                grpc_request("/grpc.testing.TestService/StreamingOutputCall", &[]),
                false,
            )
            .unwrap();
        body.send_data(empty_message.clone(), true).unwrap();
        assert_eq!(raw_status(resp).await, (200, Some("0".into())));
    }
    assert!(!srv.is_finished(), "the server is still running");
    srv.abort();
}
