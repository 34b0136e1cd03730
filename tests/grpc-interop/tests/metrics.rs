//! `kit_runtime::metrics::MetricsLayer` on a gRPC server and client: calls and their status
//! codes are reported once each, streams when they end.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kit_grpc_interop::pb::grpc::testing::{
    EchoStatus, Empty, ResponseParameters, SimpleRequest, StreamingOutputCallRequest,
    TestServiceClient,
};
use kit_grpc_interop::server;
use kit_runtime::grpc::{Channel, Code, Request, Server};
use kit_runtime::metrics::{Metrics, MetricsLayer, Outcome};
use kit_runtime::thrift::rpc::tower::Layer;

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<(String, Outcome)>>>, Arc<Mutex<usize>>);

impl Metrics for Recorder {
    fn on_request(&self, _: &str) {
        *self.1.lock().unwrap() += 1;
    }
    fn on_response(&self, method: &str, _: Duration, outcome: Outcome) {
        let m = method.rsplit('/').next().unwrap_or("").to_string();
        self.0.lock().unwrap().push((m, outcome));
    }
}

#[tokio::test]
async fn grpc_calls_and_statuses_are_reported() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server_m = Recorder::default();
    let client_m = Recorder::default();
    let srv = tokio::spawn(Server::new().serve(
        listener,
        MetricsLayer::new(server_m.clone()).layer(server::service()),
    ));
    let ch = Channel::connect(addr).await.unwrap();
    let c = TestServiceClient::new(MetricsLayer::new(client_m.clone()).layer(ch));

    c.empty_call(Request::new(Empty::default())).await.unwrap();
    let failing = SimpleRequest {
        response_status: Some(EchoStatus {
            code: 2,
            message: "boom".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let r = c.unary_call(Request::new(failing)).await;
    assert_eq!(r.err().map(|s| s.code()), Some(Code::Unknown));
    let r = c.unimplemented_call(Request::new(Empty::default())).await;
    assert_eq!(r.err().map(|s| s.code()), Some(Code::Unimplemented));
    let mut s = c
        .streaming_output_call(Request::new(StreamingOutputCallRequest {
            response_parameters: vec![
                ResponseParameters {
                    size: 10,
                    ..Default::default()
                };
                3
            ],
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let mut n = 0;
    while s.message().await.unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 3);
    // The server reports a stream once its trailers are on their way.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let want = |m: &str, o: Outcome| (m.to_string(), o);
    assert_eq!(
        *client_m.0.lock().unwrap(),
        [
            want("EmptyCall", Outcome::Ok),
            want("UnaryCall", Outcome::Grpc(Code::Unknown)), // a trailers-only response
            want("UnimplementedCall", Outcome::Grpc(Code::Unimplemented)),
            want("StreamingOutputCall", Outcome::Ok),
        ]
    );
    let mut got = server_m.0.lock().unwrap().clone();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            want("EmptyCall", Outcome::Ok),
            want("StreamingOutputCall", Outcome::Ok),
            want("UnaryCall", Outcome::Grpc(Code::Unknown)),
            want("UnimplementedCall", Outcome::Grpc(Code::Unimplemented)),
        ]
    );
    assert_eq!(*server_m.1.lock().unwrap(), 4);
    assert_eq!(*client_m.1.lock().unwrap(), 4);
    srv.abort();
}
