//! Metrics hooks: a `tower::Layer` that tells a [`Metrics`] implementation about every call —
//! for Thrift and gRPC, clients and servers alike — so any metrics library (Prometheus,
//! OpenTelemetry, statsd…) can be plugged in without kit depending on it.
//!
//! [`MetricsLayer`] wraps a service of [`thrift::rpc::Request`](crate::thrift::rpc::Request)
//! (Thrift client or server), [`grpc::ServerCall`](crate::grpc::ServerCall) (gRPC server) or
//! [`grpc::ClientCall`](crate::grpc::ClientCall) (gRPC client). For each call it calls
//! [`Metrics::on_request`] when the call starts and [`Metrics::on_response`] exactly once when
//! it ends, with the duration and an [`Outcome`]:
//!
//! * Thrift: an error result, or a reply that is a `TApplicationException`, is an error;
//!   exceptions declared in the IDL travel inside normal replies and count as success.
//! * gRPC server: the call ends when the last response message is sent; the outcome is the
//!   final status (an error returned by the handler, or one that ends its response stream).
//! * gRPC client: the call ends when the response headers arrive (the outcome is `Ok` or the
//!   status of an early failure); messages and trailers read later are not timed.
//! * A call dropped before it ends (a timeout layer outside, a cancelled client) is reported
//!   as [`Outcome::Cancelled`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::grpc::{ClientCall, ClientReply, Code, ServerCall, ServerReply, Status};
use crate::thrift::rpc::{read_ident, Request, Response};
use crate::thrift::{ApplicationExceptionKind, MessageType};

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Success.
    Ok,
    /// A gRPC call ended with this (non-OK) status code.
    Grpc(Code),
    /// A Thrift call was answered with a `TApplicationException` of this kind.
    ThriftApplication(ApplicationExceptionKind),
    /// A transport or middleware error (connection, timeout, decoding…).
    Error,
    /// The call was dropped before it ended.
    Cancelled,
}

impl Outcome {
    /// `true` for [`Outcome::Ok`].
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok)
    }
}

/// Receives call events. Implementations must be cheap and must not block: they run on the
/// call's task.
pub trait Metrics: Send + Sync + 'static {
    /// A call to `method` starts (Thrift: the method name; gRPC: `/package.Service/Method`).
    fn on_request(&self, method: &str);
    /// The call ended after `duration` with `outcome`.
    fn on_response(&self, method: &str, duration: Duration, outcome: Outcome);
}

/// Reports the end of one call exactly once (as [`Outcome::Cancelled`] if dropped first).
pub struct Report {
    metrics: Arc<dyn Metrics>,
    method: Arc<str>,
    start: Instant,
    done: bool,
}

impl Report {
    /// Reports `outcome` now.
    pub fn done(mut self, outcome: Outcome) {
        self.finish(outcome);
    }
    fn finish(&mut self, outcome: Outcome) {
        if !self.done {
            self.done = true;
            self.metrics
                .on_response(&self.method, self.start.elapsed(), outcome);
        }
    }
}

impl Drop for Report {
    fn drop(&mut self) {
        self.finish(Outcome::Cancelled);
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// A request type [`MetricsLayer`] understands: its method name, and how its result ends.
pub trait Observed {
    /// The service's response type for this request.
    type Response;
    /// The method name reported.
    fn method(&self) -> &str;
    /// Finishes `report` for `result` — now, or later (e.g. at the end of a response
    /// stream, by moving `report` into it).
    fn observe<E: 'static>(
        result: Result<Self::Response, E>,
        report: Report,
    ) -> Result<Self::Response, E>;
}

impl Observed for Request {
    type Response = Option<Response>;
    fn method(&self) -> &str {
        &self.method
    }
    fn observe<E: 'static>(
        result: Result<Option<Response>, E>,
        report: Report,
    ) -> Result<Option<Response>, E> {
        let outcome = match &result {
            Err(_) => Outcome::Error,
            Ok(None) => Outcome::Ok,
            Ok(Some(r)) => thrift_outcome(r),
        };
        report.done(outcome);
        result
    }
}

fn thrift_outcome(r: &Response) -> Outcome {
    let Some(protocol) = r
        .body
        .first()
        .and_then(|b| crate::thrift::rpc::ProtocolKind::detect(*b))
    else {
        return Outcome::Error;
    };
    match read_ident(protocol, r.body.clone()) {
        Ok(id) if id.message_type == MessageType::Exception => {
            let kind = crate::thrift::rpc::decode_message::<crate::thrift::ApplicationException>(
                protocol,
                r.body.clone(),
            )
            .map(|(_, e)| e.kind)
            .unwrap_or(ApplicationExceptionKind::UNKNOWN);
            Outcome::ThriftApplication(kind)
        }
        Ok(_) => Outcome::Ok,
        Err(_) => Outcome::Error,
    }
}

impl Observed for ServerCall {
    type Response = ServerReply;
    fn method(&self) -> &str {
        &self.path
    }
    fn observe<E: 'static>(
        result: Result<ServerReply, E>,
        report: Report,
    ) -> Result<ServerReply, E> {
        match result {
            Ok(mut reply) => {
                reply.body = crate::grpc::ReplyBody::observed(ObservedBody {
                    inner: reply.body,
                    report: Some(report),
                });
                Ok(reply)
            }
            Err(e) => {
                // The handler's error: its status when it is one.
                let outcome = (&e as &dyn std::any::Any)
                    .downcast_ref::<Status>()
                    .map_or(Outcome::Error, |s| Outcome::Grpc(s.code()));
                report.done(outcome);
                Err(e)
            }
        }
    }
}

impl Observed for ClientCall {
    type Response = ClientReply;
    fn method(&self) -> &str {
        &self.path
    }
    fn observe<E: 'static>(
        result: Result<ClientReply, E>,
        report: Report,
    ) -> Result<ClientReply, E> {
        let outcome = match &result {
            Ok(_) => Outcome::Ok,
            Err(e) => (e as &dyn std::any::Any)
                .downcast_ref::<Status>()
                .map_or(Outcome::Error, |s| Outcome::Grpc(s.code())),
        };
        report.done(outcome);
        result
    }
}

/// A gRPC server's response messages, reporting when they end.
struct ObservedBody {
    inner: crate::grpc::ReplyBody,
    report: Option<Report>,
}

impl crate::grpc::server::ReplySource for ObservedBody {
    fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut crate::grpc::server::Frames,
    ) -> Poll<Option<Result<(), Status>>> {
        let item = std::task::ready!(self.inner.poll_frame(cx, out));
        let outcome = match &item {
            Some(Ok(())) => None,
            Some(Err(s)) => Some(Outcome::Grpc(s.code())),
            None => Some(Outcome::Ok),
        };
        if let Some(o) = outcome {
            if let Some(r) = self.report.take() {
                r.done(o);
            }
        }
        Poll::Ready(item)
    }
}

/// The `tower::Layer` (see the module docs).
#[derive(Clone)]
pub struct MetricsLayer {
    metrics: Arc<dyn Metrics>,
}

impl MetricsLayer {
    /// Reports to `metrics`.
    pub fn new(metrics: impl Metrics) -> MetricsLayer {
        MetricsLayer {
            metrics: Arc::new(metrics),
        }
    }
    /// Reports to a shared `metrics`.
    pub fn from_arc(metrics: Arc<dyn Metrics>) -> MetricsLayer {
        MetricsLayer { metrics }
    }
}

impl fmt::Debug for MetricsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsLayer").finish_non_exhaustive()
    }
}

impl<S> tower::Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;
    fn layer(&self, inner: S) -> MetricsService<S> {
        MetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service [`MetricsLayer`] makes.
#[derive(Clone)]
pub struct MetricsService<S> {
    inner: S,
    metrics: Arc<dyn Metrics>,
}

impl<S> fmt::Debug for MetricsService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsService").finish_non_exhaustive()
    }
}

impl<S, Req> tower::Service<Req> for MetricsService<S>
where
    Req: Observed + Send + 'static,
    S: tower::Service<Req, Response = Req::Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    Req::Response: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send + 'static>>;

    /// Always ready: the inner service's readiness is awaited inside the call, so a failure
    /// there (e.g. a Thrift or gRPC channel that cannot connect) is reported as the call's
    /// outcome.
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let method: Arc<str> = req.method().into();
        self.metrics.on_request(&method);
        let report = Report {
            metrics: self.metrics.clone(),
            method,
            start: Instant::now(),
            done: false,
        };
        let mut inner = self.inner.clone();
        Box::pin(async move {
            use tower::ServiceExt;
            let r = match inner.ready().await {
                Ok(svc) => svc.call(req).await,
                Err(e) => Err(e),
            };
            Req::observe(r, report)
        })
    }
}
