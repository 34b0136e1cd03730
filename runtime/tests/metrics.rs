//! `MetricsLayer` on a Thrift server and client: calls, errors and cancellations are counted
//! once each, with the method name.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kit_runtime::metrics::{Metrics, MetricsLayer, Outcome};
use kit_runtime::thrift::rpc::tower::{Layer, ServiceBuilder};
use kit_runtime::thrift::rpc::{
    BoxError, BoxFuture, Channel, ClientCore, Error, ProtocolKind, Request, Response, Server,
    TransportKind,
};
use kit_runtime::thrift::{ApplicationException, ApplicationExceptionKind};
use tokio::net::TcpListener;

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Metrics for Recorder {
    fn on_request(&self, method: &str) {
        self.0.lock().unwrap().push(format!("start {method}"));
    }
    fn on_response(&self, method: &str, duration: Duration, outcome: Outcome) {
        assert!(duration < Duration::from_secs(10));
        let o = match outcome {
            Outcome::Ok => "ok".to_string(),
            Outcome::ThriftApplication(k) => format!("app{}", k.0),
            other => format!("{other:?}").to_lowercase(),
        };
        self.0.lock().unwrap().push(format!("end {method} {o}"));
    }
}

impl Recorder {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// `ok` answers, `fail` fails (the server turns that into an application exception), `slow`
/// sleeps 500 ms.
fn svc(req: Request) -> BoxFuture<Result<Option<Response>, BoxError>> {
    Box::pin(async move {
        let a: ApplicationException = req.decode_args()?;
        match &*req.method {
            "fail" => Err("handler failed".into()),
            "slow" => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                Ok(Some(req.reply(&a)))
            }
            _ => Ok(Some(req.reply(&a))),
        }
    })
}

async fn call<S: kit_runtime::thrift::rpc::CallService>(
    c: &ClientCore<S>,
    method: &'static str,
) -> Result<ApplicationException, Error> {
    let a = ApplicationException::new(ApplicationExceptionKind(0), "x");
    c.call(method, &a).await
}

#[tokio::test]
async fn calls_and_errors_are_counted_on_both_sides() {
    let server_m = Recorder::default();
    let client_m = Recorder::default();
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let h = Server::new().serve(
        l,
        MetricsLayer::new(server_m.clone()).layer(tower::service_fn(svc)),
    );
    let ch = Channel::new(addr.to_string(), TransportKind::Framed);
    let stack = ServiceBuilder::new()
        .timeout(Duration::from_millis(100))
        .layer(MetricsLayer::new(client_m.clone()))
        .service(ch);
    let c = ClientCore::new(stack, ProtocolKind::Binary);

    call(&c, "ok").await.unwrap();
    assert!(matches!(call(&c, "fail").await, Err(Error::Application(_))));
    // Cut short by the timeout layer outside the metrics layer: cancelled on the client.
    assert!(matches!(call(&c, "slow").await, Err(Error::Timeout)));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        client_m.take(),
        [
            "start ok",
            "end ok ok",
            "start fail",
            "end fail app6",
            "start slow",
            "end slow cancelled",
        ]
    );
    assert_eq!(
        server_m.take(),
        [
            "start ok",
            "end ok ok",
            "start fail",
            "end fail error",
            "start slow",
            "end slow ok",
        ]
    );
    h.shutdown().await;

    // A dead endpoint: a transport error.
    let ch = Channel::new(addr.to_string(), TransportKind::Framed);
    let c = ClientCore::new(
        MetricsLayer::new(client_m.clone()).layer(ch),
        ProtocolKind::Binary,
    );
    assert!(call(&c, "ok").await.is_err());
    assert_eq!(client_m.take(), ["start ok", "end ok error"]);
}
