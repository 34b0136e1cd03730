//! The interop client test cases (gRPC `interop-test-descriptions`).

use std::net::SocketAddr;
use std::time::Duration;

use kit_runtime::grpc::{self, Channel, Code, Request, Status};

use crate::pb::grpc::testing::{
    EchoStatus, Empty, Payload, ResponseParameters, SimpleRequest, StreamingInputCallRequest,
    StreamingOutputCallRequest, TestServiceClient, UnimplementedServiceClient,
};

/// The cases [`run`] knows, in order.
pub const CASES: &[&str] = &[
    "empty_unary",
    "large_unary",
    "client_streaming",
    "server_streaming",
    "ping_pong",
    "empty_stream",
    "custom_metadata",
    "status_code_and_message",
    "special_status_message",
    "unimplemented_method",
    "unimplemented_service",
    "timeout_on_sleeping_server",
];

type R = Result<(), String>;

fn check(ok: bool, what: impl FnOnce() -> String) -> R {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

fn st(s: Status) -> String {
    format!("unexpected status {s}")
}

fn zeros(n: usize) -> Payload {
    Payload {
        body: vec![0u8; n].into(),
        ..Default::default()
    }
}

fn params(size: i32) -> ResponseParameters {
    ResponseParameters {
        size,
        ..Default::default()
    }
}

/// Runs `cases` (names from [`CASES`]) against `addr` on one shared connection, printing
/// `PASS`/`FAIL` lines; returns the number that failed.
pub async fn run(addr: SocketAddr, cases: &[String]) -> usize {
    let ch = match Channel::connect(addr).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("connect {addr}: {e}");
            return cases.len();
        }
    };
    let mut failed = 0;
    for c in cases {
        let r = tokio::time::timeout(Duration::from_secs(30), run_case(&ch, c))
            .await
            .unwrap_or_else(|_| Err("timed out after 30s".into()));
        match r {
            Ok(()) => println!("PASS {c}"),
            Err(e) => {
                failed += 1;
                println!("FAIL {c}: {e}");
            }
        }
    }
    failed
}

/// Runs one case by name.
pub async fn run_case(ch: &Channel, case: &str) -> R {
    let c = TestServiceClient::new(ch.clone());
    match case {
        "empty_unary" => empty_unary(&c).await,
        "large_unary" => large_unary(&c).await,
        "client_streaming" => client_streaming(&c).await,
        "server_streaming" => server_streaming(&c).await,
        "ping_pong" => ping_pong(&c).await,
        "empty_stream" => empty_stream(&c).await,
        "custom_metadata" => custom_metadata(&c).await,
        "status_code_and_message" => status_code_and_message(&c, "test status message").await,
        "special_status_message" => {
            status_code_and_message(
                &c,
                "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n",
            )
            .await
        }
        "unimplemented_method" => {
            let r = c.unimplemented_call(Request::new(Empty::default())).await;
            check(
                matches!(&r, Err(s) if s.code() == Code::Unimplemented),
                || format!("want UNIMPLEMENTED, got {r:?}"),
            )
        }
        "unimplemented_service" => {
            let u = UnimplementedServiceClient::new(ch.clone());
            let r = u.unimplemented_call(Request::new(Empty::default())).await;
            check(
                matches!(&r, Err(s) if s.code() == Code::Unimplemented),
                || format!("want UNIMPLEMENTED, got {r:?}"),
            )
        }
        "timeout_on_sleeping_server" => timeout_on_sleeping_server(&c).await,
        other => Err(format!("unknown test case {other}")),
    }
}

type Client = TestServiceClient<Channel>;

async fn empty_unary(c: &Client) -> R {
    c.empty_call(Request::new(Empty::default()))
        .await
        .map_err(st)
        .map(drop)
}

async fn large_unary(c: &Client) -> R {
    let req = SimpleRequest {
        response_size: 314159,
        payload: Some(zeros(271828)),
        ..Default::default()
    };
    let resp = c
        .unary_call(Request::new(req))
        .await
        .map_err(st)?
        .into_inner();
    let n = resp.payload.map_or(0, |p| p.body.len());
    check(n == 314159, || format!("payload of {n} bytes"))
}

async fn client_streaming(c: &Client) -> R {
    let reqs: Vec<_> = [27182, 8, 1828, 45904]
        .into_iter()
        .map(|n| StreamingInputCallRequest {
            payload: Some(zeros(n)),
            ..Default::default()
        })
        .collect();
    let resp = c
        .streaming_input_call(Request::new(grpc::iter(reqs)))
        .await
        .map_err(st)?
        .into_inner();
    check(resp.aggregated_payload_size == 74922, || {
        format!("aggregated {}", resp.aggregated_payload_size)
    })
}

async fn server_streaming(c: &Client) -> R {
    let sizes = [31415, 9, 2653, 58979];
    let req = StreamingOutputCallRequest {
        response_parameters: sizes.iter().map(|&s| params(s)).collect(),
        ..Default::default()
    };
    let mut s = c
        .streaming_output_call(Request::new(req))
        .await
        .map_err(st)?
        .into_inner();
    let mut got = Vec::new();
    while let Some(m) = s.message().await.map_err(st)? {
        got.push(m.payload.map_or(0, |p| p.body.len() as i32));
    }
    check(got == sizes, || format!("sizes {got:?}"))
}

async fn ping_pong(c: &Client) -> R {
    let (tx, rx) = grpc::channel(1);
    let pairs = [(31415, 27182), (9, 8), (2653, 1828), (58979, 45904)];
    let request = |(resp, req): (i32, usize)| StreamingOutputCallRequest {
        response_parameters: vec![params(resp)],
        payload: Some(zeros(req)),
        ..Default::default()
    };
    // A call returns once the response headers arrive, and some servers (grpcio) send them
    // only with the first response: queue the first request before calling.
    tx.send(request(pairs[0])).await.map_err(st)?;
    let mut s = c
        .full_duplex_call(Request::new(rx_messages(rx)))
        .await
        .map_err(st)?
        .into_inner();
    for (i, (resp, _)) in pairs.into_iter().enumerate() {
        if i > 0 {
            tx.send(request(pairs[i])).await.map_err(st)?;
        }
        let m = s.message().await.map_err(st)?.ok_or("stream ended early")?;
        let n = m.payload.map_or(0, |p| p.body.len());
        check(n == resp as usize, || {
            format!("response of {n} bytes, want {resp}")
        })?;
    }
    drop(tx);
    let end = s.message().await.map_err(st)?;
    check(end.is_none(), || "extra response".into())
}

/// The items of a [`grpc::channel`] receiver as a plain message stream (errors end it).
pub fn rx_messages<T: Send + 'static>(
    rx: grpc::Receiver<T>,
) -> impl grpc::Stream<Item = T> + Send + 'static {
    struct Ok<T>(grpc::Receiver<T>);
    impl<T> grpc::Stream for Ok<T> {
        type Item = T;
        fn poll_next(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<T>> {
            std::pin::Pin::new(&mut self.get_mut().0)
                .poll_next(cx)
                .map(|o| o.and_then(Result::ok))
        }
    }
    Ok(rx)
}

async fn empty_stream(c: &Client) -> R {
    let mut s = c
        .full_duplex_call(Request::new(grpc::iter(
            Vec::<StreamingOutputCallRequest>::new(),
        )))
        .await
        .map_err(st)?
        .into_inner();
    let m = s.message().await.map_err(st)?;
    check(m.is_none(), || "expected no responses".into())
}

const INITIAL: &str = "x-grpc-test-echo-initial";
const TRAILING: &str = "x-grpc-test-echo-trailing-bin";

async fn custom_metadata(c: &Client) -> R {
    let with_md = |r: &mut grpc::Metadata| {
        r.insert(INITIAL, "test_initial_metadata_value").unwrap();
        r.insert_bin(TRAILING, &[0xab, 0xab, 0xab]).unwrap();
    };
    // Unary.
    let mut req = Request::new(SimpleRequest {
        response_size: 314159,
        payload: Some(zeros(271828)),
        ..Default::default()
    });
    with_md(req.metadata_mut());
    let resp = c.unary_call(req).await.map_err(st)?;
    check(
        resp.metadata().get(INITIAL) == Some("test_initial_metadata_value"),
        || format!("unary initial metadata {:?}", resp.metadata()),
    )?;
    check(
        resp.trailers().get_bin(TRAILING) == Some(vec![0xab, 0xab, 0xab]),
        || format!("unary trailing metadata {:?}", resp.trailers()),
    )?;
    // Full duplex.
    let mut req = Request::new(grpc::iter(vec![StreamingOutputCallRequest {
        response_parameters: vec![params(314159)],
        payload: Some(zeros(271828)),
        ..Default::default()
    }]));
    with_md(req.metadata_mut());
    let resp = c.full_duplex_call(req).await.map_err(st)?;
    check(
        resp.metadata().get(INITIAL) == Some("test_initial_metadata_value"),
        || format!("stream initial metadata {:?}", resp.metadata()),
    )?;
    let mut s = resp.into_inner();
    while s.message().await.map_err(st)?.is_some() {}
    let t = s.trailers().cloned().unwrap_or_default();
    check(t.get_bin(TRAILING) == Some(vec![0xab, 0xab, 0xab]), || {
        format!("stream trailing metadata {t:?}")
    })
}

async fn status_code_and_message(c: &Client, message: &str) -> R {
    let status = || EchoStatus {
        code: 2,
        message: message.to_string().into(),
        ..Default::default()
    };
    let want = |r: Result<(), Status>, what: &str| {
        let ok = matches!(&r, Err(s) if s.code() == Code::Unknown && s.message() == message);
        check(ok, || {
            format!("{what}: want UNKNOWN {message:?}, got {r:?}")
        })
    };
    let r = c
        .unary_call(Request::new(SimpleRequest {
            response_status: Some(status()),
            ..Default::default()
        }))
        .await
        .map(drop);
    want(r, "unary")?;
    let r = async {
        let mut s = c
            .full_duplex_call(Request::new(grpc::iter(vec![StreamingOutputCallRequest {
                response_status: Some(status()),
                ..Default::default()
            }])))
            .await?
            .into_inner();
        while s.message().await?.is_some() {}
        Ok(())
    }
    .await;
    want(r, "full duplex")
}

async fn timeout_on_sleeping_server(c: &Client) -> R {
    let (tx, rx) = grpc::channel(1);
    let req = Request::new(rx_messages(rx)).with_timeout(Duration::from_millis(1));
    let r: Result<(), Status> = async {
        let mut s = c.full_duplex_call(req).await?.into_inner();
        let _ = tx
            .send(StreamingOutputCallRequest {
                response_parameters: vec![params(31415)],
                payload: Some(zeros(27182)),
                ..Default::default()
            })
            .await;
        while s.message().await?.is_some() {}
        Ok(())
    }
    .await;
    check(
        matches!(&r, Err(s) if s.code() == Code::DeadlineExceeded),
        || format!("want DEADLINE_EXCEEDED, got {r:?}"),
    )
}
