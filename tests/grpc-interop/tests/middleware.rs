//! Generated clients and servers compose with `tower`-style middleware (any
//! `Service<ClientCall>` / `Service<ServerCall>` wrapper), and keep-alive pings run on both
//! sides without disturbing calls.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use kit_grpc_interop::pb::grpc::testing::{Empty, TestServiceClient};
use kit_grpc_interop::server;
use kit_runtime::grpc::{
    BoxFuture, Channel, ClientCall, ClientConfig, Request, Server, ServerCall, ServerReply,
    Service, Status,
};

/// Client middleware: adds metadata to every call.
#[derive(Clone)]
struct AddMetadata<S>(S);

impl<S: Service<ClientCall>> Service<ClientCall> for AddMetadata<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }
    fn call(&mut self, mut call: ClientCall) -> S::Future {
        call.metadata
            .insert("x-grpc-test-echo-initial", "from-middleware")
            .unwrap();
        call.metadata
            .insert(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )
            .unwrap();
        self.0.call(call)
    }
}

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

#[tokio::test]
async fn middleware_on_both_sides_and_keepalive() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let srv = tokio::spawn(
        Server::new()
            .keepalive(Duration::from_millis(50), Duration::from_secs(5))
            .serve_with_shutdown(listener, Count(server::service(), count.clone()), async {
                let _ = stopped.await;
            }),
    );
    let cfg = ClientConfig {
        keepalive: Some((Duration::from_millis(50), Duration::from_secs(5))),
        ..Default::default()
    };
    let ch = Channel::connect_with(addr, cfg).await.unwrap();
    let c = TestServiceClient::new(AddMetadata(ch));
    for _ in 0..5 {
        let r = c.empty_call(Request::new(Empty::default())).await.unwrap();
        assert_eq!(
            r.metadata().get("x-grpc-test-echo-initial"),
            Some("from-middleware")
        );
        // Several keep-alive rounds between calls.
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    assert_eq!(count.load(Ordering::SeqCst), 5);
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), srv)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
