//! Trace context over gRPC: a kit client with `TraceLayer` → kit server, which sees the same
//! trace id with its own span id; an invalid `traceparent` starts a new trace.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use kit_grpc_interop::pb::grpc::testing::{Empty, TestServiceClient};
use kit_grpc_interop::server;
use kit_runtime::grpc::{
    BoxFuture, Channel, Request, Server, ServerCall, ServerReply, Service, Status,
};
use kit_runtime::thrift::rpc::tower::Layer;
use kit_runtime::trace::{self, TraceContext, TraceLayer};

/// Server middleware: records the trace context the handler runs in.
#[derive(Clone)]
struct Capture<S>(S, Arc<Mutex<Vec<Option<TraceContext>>>>);

impl<S> Service<ServerCall> for Capture<S>
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
        self.1.lock().unwrap().push(trace::current());
        self.0.call(call)
    }
}

#[tokio::test]
async fn trace_context_reaches_the_grpc_handler() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let srv = tokio::spawn(Server::new().serve(listener, Capture(server::service(), seen.clone())));
    let ch = Channel::connect(addr).await.unwrap();
    let c = TestServiceClient::new(TraceLayer.layer(ch.clone()));
    let upstream = TraceContext::incoming(
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        None,
    );
    trace::scope(upstream.clone(), async {
        c.empty_call(Request::new(Empty::default())).await.unwrap();
    })
    .await;
    // No context: a new trace.
    c.empty_call(Request::new(Empty::default())).await.unwrap();
    // Invalid explicit traceparent without the layer: ignored, a new trace, no error.
    let plain = TestServiceClient::new(ch);
    let mut req = Request::new(Empty::default());
    req.metadata_mut()
        .insert(
            "traceparent",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        )
        .unwrap();
    plain.empty_call(req).await.unwrap();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    let first = seen[0].clone().expect("a context in the handler");
    assert_eq!(first.trace_id, upstream.trace_id);
    assert_ne!(first.span_id, upstream.span_id);
    let parent = first.parent_id.expect("the client span as parent");
    assert_ne!(parent, upstream.span_id);
    let second = seen[1].clone().unwrap();
    assert_ne!(second.trace_id, upstream.trace_id);
    assert!(second.parent_id.is_some());
    let third = seen[2].clone().unwrap();
    assert_eq!(third.parent_id, None);
    srv.abort();
}
