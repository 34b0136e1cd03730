//! TTHeader interop between kit and Volo (volo-thrift from crates.io), both generated from
//! `idl/interop.thrift`: a kit server and a Volo server, each of whose handler reports the
//! request header it read and sends a header back, and the helpers the tests drive them with.
//!
//! Header mapping: Volo carries its `metainfo` over TTHeader string key/values with prefixes —
//! `RPC_PERSIST_k` (persistent), `RPC_TRANSIT_k` (transient, read on the server as
//! "upstream"), and `RPC_BACKWARD_k` on replies (backward transient → the client's
//! "backward downstream"). kit sends and receives raw TTHeader keys, so a kit peer uses the
//! prefixed names.

#![allow(clippy::all, missing_docs, dead_code, unused_imports)]

pub mod kit_gen {
    include!(concat!(env!("OUT_DIR"), "/kit_gen.rs"));
}

pub mod volo_gen_mod {
    include!(concat!(env!("OUT_DIR"), "/volo_gen.rs"));
}

use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use kit_runtime::thrift::rpc::{self, BoxFuture, Headers, Request, Response};
use metainfo::{Backward, Forward};

/// The persistent key a client sends; the server's handler reports its value.
pub const PERSIST_KEY: &str = "x-interop-trace";
/// The transient key a client sends; the server's handler reports it after `|`.
pub const TRANSIT_KEY: &str = "x-interop-hop";
/// The backward key a server sends with every reply.
pub const BACK_KEY: &str = "x-interop-back";

pub fn persist_header() -> String {
    format!("RPC_PERSIST_{PERSIST_KEY}")
}
pub fn transit_header() -> String {
    format!("RPC_TRANSIT_{TRANSIT_KEY}")
}
pub fn back_header() -> String {
    format!("RPC_BACKWARD_{BACK_KEY}")
}

// ------------------------------------------------------------------ kit server

use kit_gen::interop as k;

#[derive(Clone, Default)]
pub struct KitHandler;

impl k::Interop for KitHandler {
    async fn ping(&self, req: k::Ping) -> Result<k::Pong, k::InteropPingError> {
        let h = rpc::request_headers().unwrap_or_default();
        let seen = format!(
            "{}|{}",
            h.get(&persist_header()).unwrap_or("<none>"),
            h.get(&transit_header()).unwrap_or("<none>")
        );
        Ok(k::Pong {
            text: req.text,
            header_seen: Some(seen.into()),
        })
    }

    async fn fail(&self, code: i32) -> Result<k::Pong, k::InteropFailError> {
        if code != 0 {
            return Err(k::InteropFailError::Oops(k::Oops {
                code,
                reason: "as asked".into(),
            }));
        }
        Ok(k::Pong {
            text: "ok".into(),
            header_seen: None,
        })
    }
}

/// Wraps a kit server service: every reply carries `RPC_BACKWARD_<BACK_KEY>: value`.
#[derive(Clone)]
pub struct AddReplyHeader<S> {
    inner: S,
    value: String,
}

impl<S> rpc::tower::Service<Request> for AddReplyHeader<S>
where
    S: rpc::tower::Service<Request, Response = Option<Response>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Option<Response>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let fut = self.inner.call(req);
        let value = self.value.clone();
        Box::pin(async move {
            let mut r = fut.await?;
            if let Some(resp) = r.as_mut() {
                resp.headers.insert(back_header(), value);
            }
            Ok(r)
        })
    }
}

/// Starts a kit server on 127.0.0.1 (a free port); replies carry `back_value` backward.
pub async fn start_kit_server(back_value: &str) -> rpc::ServerHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let svc = AddReplyHeader {
        inner: k::InteropServer::new(KitHandler),
        value: back_value.to_string(),
    };
    rpc::Server::new().serve(listener, svc)
}

/// A kit channel wrapper that keeps the headers of the last reply.
#[derive(Clone)]
pub struct CaptureReplyHeaders<S> {
    inner: S,
    pub last: Arc<Mutex<Option<Headers>>>,
}

impl<S> CaptureReplyHeaders<S> {
    pub fn new(inner: S) -> Self {
        CaptureReplyHeaders {
            inner,
            last: Arc::new(Mutex::new(None)),
        }
    }
}

impl<S> rpc::tower::Service<Request> for CaptureReplyHeaders<S>
where
    S: rpc::tower::Service<Request, Response = Option<Response>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Option<Response>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let fut = self.inner.call(req);
        let last = self.last.clone();
        Box::pin(async move {
            let r = fut.await?;
            if let Some(resp) = &r {
                *last.lock().unwrap() = Some(resp.headers.clone());
            }
            Ok(r)
        })
    }
}

// ------------------------------------------------------------------ Volo server

pub use volo_gen_mod::volo_gen::interop as v;

#[derive(Clone, Default)]
pub struct VoloHandler {
    pub back_value: String,
}

impl v::Interop for VoloHandler {
    async fn ping(&self, req: v::Ping) -> Result<v::Pong, volo_thrift::ServerError> {
        let seen = metainfo::METAINFO.with(|mi| {
            let mut mi = mi.borrow_mut();
            mi.set_backward_transient(BACK_KEY, self.back_value.clone());
            format!(
                "{}|{}",
                mi.get_persistent(PERSIST_KEY)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "<none>".into()),
                mi.get_upstream(TRANSIT_KEY)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "<none>".into())
            )
        });
        Ok(v::Pong {
            text: req.text,
            header_seen: Some(seen.into()),
        })
    }

    async fn fail(
        &self,
        code: i32,
    ) -> Result<
        volo_thrift::MaybeException<v::Pong, v::InteropFailException>,
        volo_thrift::ServerError,
    > {
        if code != 0 {
            return Ok(volo_thrift::MaybeException::Exception(
                // Pilota makes default-requiredness fields `Option`s.
                v::InteropFailException::Oops(v::Oops {
                    code: Some(code),
                    reason: Some("as asked".into()),
                }),
            ));
        }
        Ok(volo_thrift::MaybeException::Ok(v::Pong {
            text: "ok".into(),
            header_seen: None,
        }))
    }
}

/// A running Volo server (TTHeader over framed, Volo's default codec); aborted on drop.
pub struct VoloServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for VoloServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a Volo server on 127.0.0.1 (a free port); its handler sends `back_value` backward.
pub async fn start_volo_server(back_value: &str) -> VoloServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().unwrap();
    let incoming = volo::net::incoming::DefaultIncoming::from(listener);
    let server = v::InteropServer::new(VoloHandler {
        back_value: back_value.to_string(),
    })
    .make_codec(volo_thrift::codec::default::DefaultMakeCodec::ttheader_framed());
    let task = tokio::spawn(async move {
        if let Err(e) = server.run(incoming).await {
            eprintln!("volo server: {e}");
        }
    });
    VoloServer { addr, task }
}

/// A Volo client for `addr` over TTHeader (Volo's default codec and pool).
pub fn volo_client(addr: SocketAddr) -> v::InteropClient {
    v::InteropClientBuilder::new("interop")
        .address(addr)
        .make_codec(volo_thrift::codec::default::DefaultMakeCodec::ttheader_framed())
        .build()
}

/// Runs `f` with a fresh Volo `METAINFO` holding the test's persistent and transient values;
/// returns `f`'s output and the backward value the server sent, if any.
pub async fn with_volo_metainfo<F, T>(persist: &str, transit: &str, f: F) -> (T, Option<String>)
where
    F: std::future::Future<Output = T>,
{
    let mut mi = metainfo::MetaInfo::new();
    mi.set_persistent(PERSIST_KEY, persist.to_string());
    mi.set_transient(TRANSIT_KEY, transit.to_string());
    metainfo::METAINFO
        .scope(RefCell::new(mi), async move {
            let out = f.await;
            let back = metainfo::METAINFO.with(|mi| {
                mi.borrow()
                    .get_backward_downstream(BACK_KEY)
                    .map(|s| s.to_string())
            });
            (out, back)
        })
        .await
}
