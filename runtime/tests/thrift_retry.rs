//! Retrying idempotent Thrift calls ([`RetryPolicy`] under `tower::retry`), against kit's server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use kit_runtime::thrift::rpc::tower::retry::RetryLayer;
use kit_runtime::thrift::rpc::tower::ServiceBuilder;
use kit_runtime::thrift::rpc::{
    BoxError, BoxFuture, Channel, ClientCore, Error, ProtocolKind, Request, Response, RetryPolicy,
    Server, ServerHandle, TransportKind,
};
use kit_runtime::thrift::{ApplicationException, ApplicationExceptionKind};
use tokio::net::TcpListener;

/// Fails the first `fail_first` calls as a dropped connection would (nothing sent), then
/// forwards to the channel. Counts every attempt.
#[derive(Clone)]
struct Flaky {
    inner: Channel,
    fail_first: usize,
    attempts: Arc<AtomicUsize>,
}

impl tower::Service<Request> for Flaky {
    type Response = Option<Response>;
    type Error = Error;
    type Future = BoxFuture<Result<Option<Response>, Error>>;
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }
    fn call(&mut self, req: Request) -> Self::Future {
        let n = self.attempts.fetch_add(1, Ordering::SeqCst);
        if n < self.fail_first {
            return Box::pin(async { Err(Error::Closed) });
        }
        let fut = self.inner.call(req);
        Box::pin(fut)
    }
}

/// A server that echoes its argument; `fail` answers with an error (an application exception
/// on the wire). Counts the calls that reach it.
async fn serve() -> (ServerHandle, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let h = tower::service_fn(move |req: Request| {
        counted.fetch_add(1, Ordering::SeqCst);
        async move {
            if &*req.method == "fail" {
                return Err::<_, BoxError>("handler failed".into());
            }
            let a: ApplicationException = req.decode_args()?;
            Ok(Some(req.reply(&a)))
        }
    });
    (Server::new().serve(l, h), calls)
}

fn client(
    h: &ServerHandle,
    fail_first: usize,
    policy: RetryPolicy,
) -> (
    ClientCore<impl kit_runtime::thrift::rpc::CallService>,
    Arc<AtomicUsize>,
) {
    let attempts = Arc::new(AtomicUsize::new(0));
    let flaky = Flaky {
        inner: Channel::new(h.local_addr().to_string(), TransportKind::Framed),
        fail_first,
        attempts: attempts.clone(),
    };
    let svc = ServiceBuilder::new()
        .layer(RetryLayer::new(policy))
        .service(flaky);
    (ClientCore::new(svc, ProtocolKind::Binary), attempts)
}

fn fast(policy: RetryPolicy) -> RetryPolicy {
    policy.backoff(Duration::from_millis(1), Duration::from_millis(5))
}

fn arg(s: &str) -> ApplicationException {
    ApplicationException::new(ApplicationExceptionKind(7), s.to_string())
}

#[tokio::test]
async fn idempotent_call_is_retried_after_a_dropped_connection() {
    let (h, calls) = serve().await;
    let (c, attempts) = client(&h, 2, fast(RetryPolicy::new().idempotent_methods(["get"])));
    let r: ApplicationException = c.call("get", &arg("hello")).await.unwrap();
    assert_eq!(&*r.message, "hello");
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        3,
        "two failures, then success"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the handler ran once");
}

#[tokio::test]
async fn retries_stop_at_the_limit() {
    let (h, calls) = serve().await;
    let policy = fast(
        RetryPolicy::new()
            .idempotent_methods(["get"])
            .max_retries(2),
    );
    let (c, attempts) = client(&h, 10, policy);
    let r = c
        .call::<ApplicationException, ApplicationException>("get", &arg("x"))
        .await;
    assert!(matches!(r, Err(Error::Closed)), "{r:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 3, "1 attempt + 2 retries");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn non_idempotent_call_is_not_retried() {
    let (h, calls) = serve().await;
    let (c, attempts) = client(&h, 1, fast(RetryPolicy::new().idempotent_methods(["get"])));
    let r = c
        .call::<ApplicationException, ApplicationException>("put", &arg("x"))
        .await;
    assert!(matches!(r, Err(Error::Closed)), "{r:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_answer_from_the_server_is_not_retried() {
    let (h, calls) = serve().await;
    let policy = fast(RetryPolicy::new().idempotent_if(|_| true));
    let (c, attempts) = client(&h, 0, policy);
    let r = c
        .call::<ApplicationException, ApplicationException>("fail", &arg("x"))
        .await;
    assert!(matches!(r, Err(Error::Application(_))), "{r:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_empty_budget_stops_retries() {
    use kit_runtime::thrift::rpc::tower::retry::budget::TpsBudget;
    let (h, _) = serve().await;
    // No reserve and no deposits yet: the first retry cannot be paid for.
    let policy = fast(RetryPolicy::new().idempotent_methods(["get"])).budget(TpsBudget::new(
        Duration::from_secs(10),
        0,
        0.0,
    ));
    let (c, attempts) = client(&h, 1, policy);
    let r = c
        .call::<ApplicationException, ApplicationException>("get", &arg("x"))
        .await;
    assert!(matches!(r, Err(Error::Closed)), "{r:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
}
