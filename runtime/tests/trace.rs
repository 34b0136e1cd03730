//! Trace context across kit Thrift client → server → downstream server: the handler sees the
//! caller's trace id with its own span id, `TraceLayer` propagates it on downstream calls, and
//! an invalid `traceparent` starts a new trace instead of failing the call.

use std::sync::{Arc, Mutex};

use kit_runtime::thrift::rpc::{
    BoxError, BoxFuture, Channel, ClientCore, ProtocolKind, Request, Response, Server,
    TransportKind,
};
use kit_runtime::thrift::{ApplicationException, ApplicationExceptionKind};
use kit_runtime::trace::{self, TraceContext, TraceLayer, Traced};
use tokio::net::TcpListener;
use tower::Layer;

type Client = ClientCore<Traced<Channel>>;

fn show(c: &TraceContext) -> String {
    let parent = c.parent_id.map(|p| p.to_string()).unwrap_or("-".into());
    format!("{} {} {}", c.trace_id, c.span_id, parent)
}

/// A handler that replies with its trace context as `trace span parent|-`, after (optionally)
/// calling a downstream server and appending its answer after ` / `.
fn report(
    downstream: Option<Client>,
) -> impl Fn(Request) -> BoxFuture<Result<Option<Response>, BoxError>> + Clone {
    move |req: Request| {
        let downstream = downstream.clone();
        Box::pin(async move {
            let _: ApplicationException = req.decode_args()?;
            let me = trace::current().ok_or("no trace context in the handler")?;
            let mut text = show(&me);
            if let Some(d) = downstream {
                text = format!("{text} / {}", ask(&d).await);
            }
            let r = ApplicationException::new(ApplicationExceptionKind(0), text);
            Ok(Some(req.reply(&r)))
        })
    }
}

async fn ask<S: kit_runtime::thrift::rpc::CallService>(c: &ClientCore<S>) -> String {
    let a = ApplicationException::new(ApplicationExceptionKind(0), "");
    let r: ApplicationException = c.call("report", &a).await.unwrap();
    r.message.to_string()
}

fn traced_client(addr: std::net::SocketAddr) -> Client {
    let ch = Channel::new(addr.to_string(), TransportKind::Header);
    ClientCore::new(TraceLayer.layer(ch), ProtocolKind::Binary)
}

struct Seen {
    trace_id: String,
    span_id: String,
    parent_id: String,
}

fn parse(s: &str) -> Seen {
    let v: Vec<&str> = s.split(' ').collect();
    Seen {
        trace_id: v[0].into(),
        span_id: v[1].into(),
        parent_id: v[2].into(),
    }
}

#[tokio::test]
async fn context_propagates_through_a_chain_of_calls() {
    span_fields();
    // C: reports; B: reports and calls C with a traced client; A (the test) calls B.
    let lc = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let c_addr = lc.local_addr().unwrap();
    let hc = Server::new().serve(lc, tower::service_fn(report(None)));
    let lb = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_addr = lb.local_addr().unwrap();
    let hb = Server::new().serve(lb, tower::service_fn(report(Some(traced_client(c_addr)))));

    // A runs inside a context of its own (as if it were itself handling a call).
    let upstream = TraceContext::incoming(
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        Some("vendor=x"),
    );
    let a = traced_client(b_addr);
    let answer = trace::scope(upstream.clone(), async { ask(&a).await }).await;
    let (b, c) = answer.split_once(" / ").unwrap();
    let (b, c) = (parse(b), parse(c));
    let up_trace = upstream.trace_id.to_string();
    let up_span = upstream.span_id.to_string();
    assert_eq!(b.trace_id, up_trace);
    assert_eq!(c.trace_id, up_trace);
    // Every hop has its own span id; each server's parent is the client span that called it.
    assert_ne!(b.span_id, up_span);
    assert_ne!(b.parent_id, "-");
    assert_ne!(b.parent_id, up_span);
    assert_ne!(c.span_id, b.span_id);
    assert_ne!(c.parent_id, "-");
    assert_ne!(c.parent_id, b.span_id);
    assert_ne!(c.parent_id, b.parent_id);

    // Outside any context, the layer starts a new trace.
    let fresh = parse(ask(&a).await.split_once(" / ").unwrap().0);
    assert_ne!(fresh.trace_id, up_trace);
    assert_ne!(fresh.parent_id, "-");
    hb.shutdown().await;
    hc.shutdown().await;
}

#[tokio::test]
async fn invalid_traceparent_starts_a_new_trace() {
    span_fields();
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let h = Server::new().serve(l, tower::service_fn(report(None)));
    for bad in [
        "garbage",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ] {
        // Without the layer: the server sees the raw (invalid) header.
        let ch = Channel::new(addr.to_string(), TransportKind::Header);
        let c = ClientCore::new(ch, ProtocolKind::Binary).with_header("traceparent", bad);
        let seen = parse(&ask(&c).await);
        assert_eq!(seen.parent_id, "-", "{bad}");
        assert_eq!(seen.trace_id.len(), 32);
        assert_ne!(seen.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    }
    h.shutdown().await;
}

#[tokio::test]
async fn explicit_traceparent_is_kept_and_recorded_in_the_server_span() {
    let ids = span_fields();
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let h = Server::new().serve(l, tower::service_fn(report(None)));
    let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let ch = Channel::new(addr.to_string(), TransportKind::Header);
    let c =
        ClientCore::new(TraceLayer.layer(ch), ProtocolKind::Binary).with_header("traceparent", tp);
    let seen = parse(&ask(&c).await);
    assert_eq!(seen.trace_id, "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(seen.parent_id, "b7ad6b7169203331");
    h.shutdown().await;
    let got = ids.0.lock().unwrap().clone();
    assert!(
        got.contains(&(
            "thrift.server".into(),
            "trace_id".into(),
            seen.trace_id.clone()
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "thrift.server".into(),
            "span_id".into(),
            seen.span_id.clone()
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "rpc.client".into(),
            "trace_id".into(),
            seen.trace_id.clone()
        )),
        "{got:?}"
    );
}

/// The one global subscriber of this test binary, recording span fields. Global, not a
/// thread-local `set_default`: the server's spans are created on runtime tasks, and tests running
/// in parallel threads without a subscriber would otherwise race it for the callsites' cached
/// interest (seen in CI: the test's subscriber recorded nothing). Entries are told apart by their
/// unique trace ids, so tests may share it.
fn span_fields() -> SpanFields {
    use tracing_subscriber::layer::SubscriberExt;
    static IDS: std::sync::OnceLock<SpanFields> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        let ids = SpanFields::default();
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(ids.clone()))
            .expect("the only global subscriber of this test binary");
        ids
    })
    .clone()
}

/// Records (span name, field, value) of the trace fields of every span.
#[derive(Clone, Default)]
struct SpanFields(Arc<Mutex<Vec<(String, String, String)>>>);

struct Visit<'a>(&'a mut Vec<(String, String)>);
impl tracing::field::Visit for Visit<'_> {
    fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
        if matches!(f.name(), "trace_id" | "span_id" | "parent_span_id") {
            self.0.push((f.name().to_string(), format!("{v:?}")));
        }
    }
}

impl<S> tracing_subscriber::Layer<S> for SpanFields
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut v = Vec::new();
        attrs.record(&mut Visit(&mut v));
        let name = attrs.metadata().name();
        let mut all = self.0.lock().unwrap();
        all.extend(v.into_iter().map(|(f, x)| (name.to_string(), f, x)));
    }
    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut v = Vec::new();
        values.record(&mut Visit(&mut v));
        let name = ctx.span(id).map(|s| s.name()).unwrap_or("?");
        let mut all = self.0.lock().unwrap();
        all.extend(v.into_iter().map(|(f, x)| (name.to_string(), f, x)));
    }
}
