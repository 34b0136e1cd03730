//! W3C Trace Context for both RPC stacks: `traceparent` parsing and formatting, `tracestate`
//! carrying, the context of the call being handled, and a client layer that propagates it.
//!
//! * [`TraceParent`]: `version-traceid-parentid-flags`, validated as the W3C spec says
//!   (hex digits in lowercase, exact lengths, version `ff` invalid, all-zero ids invalid,
//!   version `00` with nothing after the flags; higher versions may append fields). Invalid
//!   values are ignored — a new trace starts — never an error.
//! * [`TraceContext`]: what a server knows about the call it handles: the trace id, the
//!   caller's span id (`parent_id`), its own new span id, flags and `tracestate`. Kit's Thrift
//!   and gRPC servers build one per call ([`TraceContext::incoming`]), record `trace_id`,
//!   `span_id` and `parent_span_id` in the call's `tracing` span, and run the handler with it
//!   as the [`current`] context.
//! * [`TraceLayer`]: a `tower::Layer` for clients (Thrift [`crate::thrift::rpc::Request`] or
//!   gRPC [`crate::grpc::ClientCall`]). A call without an explicit `traceparent` gets one: a
//!   child of the [`current`] context (same trace id and flags, a new span id, `tracestate`
//!   carried) or, outside any handled call, a new trace. Each call runs in an `rpc.client`
//!   span recording its trace and span ids.

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tracing::Instrument;

/// The `traceparent` header / metadata key.
pub const TRACEPARENT: &str = "traceparent";
/// The `tracestate` header / metadata key.
pub const TRACESTATE: &str = "tracestate";
/// Longest `tracestate` carried (the spec's 32 members of up to 256 bytes, with separators).
const MAX_TRACESTATE: usize = 8 * 1024 + 64;

/// A 16-byte trace id, shown as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id, shown as 16 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpanId(pub [u8; 8]);

fn write_hex(f: &mut fmt::Formatter<'_>, b: &[u8]) -> fmt::Result {
    for x in b {
        write!(f, "{x:02x}")?;
    }
    Ok(())
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}
impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}
impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}
impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

/// Random bits for ids: a per-thread SplitMix64 sequence whose start comes from std's random
/// hasher keys (different per process and thread), so no random-number crate is needed. Not
/// cryptographic; ids only need to be unique. (Hashing a counter with a fresh `RandomState`
/// per id cost ~150 instructions; a server makes one to three ids per call.)
fn random_u64() -> u64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
            h.finish()
        });
    }
    STATE.with(|s| {
        let x = s.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        s.set(x);
        let z = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

impl TraceId {
    /// A new random, non-zero trace id.
    pub fn random() -> TraceId {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&random_u64().to_be_bytes());
        b[8..].copy_from_slice(&random_u64().to_be_bytes());
        if b == [0; 16] {
            b[15] = 1;
        }
        TraceId(b)
    }
}

impl SpanId {
    /// A new random, non-zero span id.
    pub fn random() -> SpanId {
        let mut b = random_u64().to_be_bytes();
        if b == [0; 8] {
            b[7] = 1;
        }
        SpanId(b)
    }
}

fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = digit(b[2 * i])? << 4 | digit(b[2 * i + 1])?;
    }
    Some(out)
}

/// A W3C `traceparent`: the trace id, the caller's span id and the trace flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    /// The trace this call belongs to.
    pub trace_id: TraceId,
    /// The span id of the caller (the client span the call was made from).
    pub parent_id: SpanId,
    /// Trace flags (bit 0: sampled).
    pub flags: u8,
}

impl TraceParent {
    /// Parses a `traceparent` value; `None` when it is invalid (see the module docs).
    pub fn parse(s: &str) -> Option<TraceParent> {
        let s = s.trim_matches(|c| c == ' ' || c == '\t');
        let mut parts = s.split('-');
        let (v, t, p, f) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let [version] = parse_hex::<1>(v)?;
        if version == 0xff {
            return None;
        }
        // Version 00 has exactly four fields; later versions may add more.
        if version == 0 && parts.next().is_some() {
            return None;
        }
        let trace_id = parse_hex::<16>(t)?;
        let parent_id = parse_hex::<8>(p)?;
        let [flags] = parse_hex::<1>(f)?;
        if trace_id == [0; 16] || parent_id == [0; 8] {
            return None;
        }
        Some(TraceParent {
            trace_id: TraceId(trace_id),
            parent_id: SpanId(parent_id),
            // Unknown flags of a later version are not passed on.
            flags: if version == 0 { flags } else { flags & 1 },
        })
    }

    /// `true` when the sampled flag is set.
    pub fn sampled(&self) -> bool {
        self.flags & 1 == 1
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            self.trace_id, self.parent_id, self.flags
        )
    }
}

/// The trace context of a call being handled (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// The trace.
    pub trace_id: TraceId,
    /// This call's own span id (new for each call).
    pub span_id: SpanId,
    /// The caller's span id, when the call carried a valid `traceparent`.
    pub parent_id: Option<SpanId>,
    /// Trace flags (bit 0: sampled).
    pub flags: u8,
    /// The `tracestate` received with a valid `traceparent`, passed on unchanged.
    pub tracestate: Option<String>,
}

impl TraceContext {
    /// A new trace (sampled), with no parent.
    pub fn new_root() -> TraceContext {
        TraceContext {
            trace_id: TraceId::random(),
            span_id: SpanId::random(),
            parent_id: None,
            flags: 1,
            tracestate: None,
        }
    }

    /// The context of an incoming call from its `traceparent` and `tracestate` values: a
    /// child of a valid `traceparent`, else a new trace (the `tracestate` is then dropped,
    /// as the spec requires).
    pub fn incoming(traceparent: Option<&str>, tracestate: Option<&str>) -> TraceContext {
        match traceparent.and_then(TraceParent::parse) {
            Some(tp) => TraceContext {
                trace_id: tp.trace_id,
                span_id: SpanId::random(),
                parent_id: Some(tp.parent_id),
                flags: tp.flags,
                tracestate: tracestate
                    .filter(|s| s.len() <= MAX_TRACESTATE)
                    .map(str::to_string),
            },
            None => TraceContext::new_root(),
        }
    }

    /// The context of an outgoing call made from this one: same trace, flags and
    /// `tracestate`, a new span id, this span as its parent.
    pub fn child(&self) -> TraceContext {
        TraceContext {
            trace_id: self.trace_id,
            span_id: SpanId::random(),
            parent_id: Some(self.span_id),
            flags: self.flags,
            tracestate: self.tracestate.clone(),
        }
    }

    /// The `traceparent` to send for a call made *as* this span (its id is the parent id).
    pub fn traceparent(&self) -> TraceParent {
        TraceParent {
            trace_id: self.trace_id,
            parent_id: self.span_id,
            flags: self.flags,
        }
    }

    /// A `tracing` span for a server call, recording `trace_id`, `span_id` and
    /// `parent_span_id` (when known).
    pub(crate) fn record(&self, span: &tracing::Span) {
        span.record("trace_id", tracing::field::display(self.trace_id));
        span.record("span_id", tracing::field::display(self.span_id));
        if let Some(p) = self.parent_id {
            span.record("parent_span_id", tracing::field::display(p));
        }
    }
}

tokio::task_local! {
    static CURRENT: TraceContext;
}

/// The trace context of the call being handled (inside a kit server's handler, and inside
/// [`scope`]); `None` elsewhere, including tasks the handler spawns without [`scope`].
pub fn current() -> Option<TraceContext> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Runs `fut` with `ctx` as the [`current`] context (for spawned tasks of a handler:
/// `tokio::spawn(trace::scope(trace::current().unwrap(), work))`).
pub fn scope<F: Future>(ctx: TraceContext, fut: F) -> impl Future<Output = F::Output> {
    CURRENT.scope(ctx, fut)
}

/// Something that carries string metadata: a Thrift request's headers, a gRPC call's
/// metadata. What [`TraceLayer`] reads and writes.
pub trait Carrier {
    /// The value of `key`.
    fn get_header(&self, key: &str) -> Option<&str>;
    /// Sets `key` (replacing a value). Invalid values may be dropped by the carrier.
    fn set_header(&mut self, key: &str, value: String);
}

impl Carrier for crate::thrift::rpc::Request {
    fn get_header(&self, key: &str) -> Option<&str> {
        self.headers.get(key)
    }
    fn set_header(&mut self, key: &str, value: String) {
        self.headers.insert(key, value);
    }
}

impl Carrier for crate::grpc::ClientCall {
    fn get_header(&self, key: &str) -> Option<&str> {
        self.metadata.get(key)
    }
    fn set_header(&mut self, key: &str, value: String) {
        let _ = self.metadata.insert(key, &value);
    }
}

/// A client `tower::Layer` that propagates trace context (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceLayer;

impl<S> tower::Layer<S> for TraceLayer {
    type Service = Traced<S>;
    fn layer(&self, inner: S) -> Traced<S> {
        Traced(inner)
    }
}

/// The service [`TraceLayer`] makes.
#[derive(Debug, Clone)]
pub struct Traced<S>(pub S);

impl<S, Req> tower::Service<Req> for Traced<S>
where
    S: tower::Service<Req>,
    Req: Carrier,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = tracing::instrument::Instrumented<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut req: Req) -> Self::Future {
        let explicit = req
            .get_header(TRACEPARENT)
            .and_then(TraceParent::parse)
            .map(|tp| (tp.trace_id, tp.parent_id));
        let (trace_id, span_id) = match explicit {
            Some(ids) => ids,
            None => {
                let ctx = match current() {
                    Some(parent) => parent.child(),
                    None => TraceContext::new_root(),
                };
                req.set_header(TRACEPARENT, ctx.traceparent().to_string());
                if let Some(ts) = &ctx.tracestate {
                    if req.get_header(TRACESTATE).is_none() {
                        req.set_header(TRACESTATE, ts.clone());
                    }
                }
                (ctx.trace_id, ctx.span_id)
            }
        };
        let span = tracing::info_span!(
            "rpc.client",
            trace_id = %trace_id,
            span_id = %span_id,
        );
        self.0.call(req).instrument(span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn ids_are_unique_across_threads() {
        let ids: Vec<u64> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..4)
                .map(|_| sc.spawn(|| (0..10_000).map(|_| random_u64()).collect::<Vec<_>>()))
                .collect();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let set: std::collections::HashSet<u64> = ids.iter().copied().collect();
        assert_eq!(set.len(), ids.len());
    }

    #[test]
    fn parse_and_format() {
        let t = TraceParent::parse(TP).unwrap();
        assert_eq!(t.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(t.parent_id.to_string(), "00f067aa0ba902b7");
        assert!(t.sampled());
        assert_eq!(t.to_string(), TP);
        // A later version may append fields; its unknown flags are dropped.
        let v = TraceParent::parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-xyz")
            .unwrap();
        assert_eq!(v.flags, 1);
    }

    #[test]
    fn invalid_values_are_rejected() {
        for bad in [
            "",
            "garbage",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902g7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0é",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn incoming_child_and_root() {
        let c = TraceContext::incoming(Some(TP), Some("k=v"));
        assert_eq!(c.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(c.parent_id.unwrap().to_string(), "00f067aa0ba902b7");
        assert_ne!(c.span_id.to_string(), "00f067aa0ba902b7");
        assert_eq!(c.tracestate.as_deref(), Some("k=v"));
        let k = c.child();
        assert_eq!(k.trace_id, c.trace_id);
        assert_eq!(k.parent_id, Some(c.span_id));
        assert_ne!(k.span_id, c.span_id);
        assert_eq!(k.flags, 1);
        // Invalid: a new trace, tracestate dropped.
        let r = TraceContext::incoming(Some("00-zz"), Some("k=v"));
        assert_eq!(r.parent_id, None);
        assert_eq!(r.tracestate, None);
        assert_ne!(r.trace_id, c.trace_id);
        assert_ne!(TraceId::random(), TraceId::random());
    }
}
