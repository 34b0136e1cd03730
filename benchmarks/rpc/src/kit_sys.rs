//! kit's side: Thrift (framed or TTHeader, binary protocol) and gRPC servers and clients for
//! the echo service, from kit's generated code.

use std::net::SocketAddr;

use kit_runtime::bytes::Bytes;
use kit_runtime::thrift::rpc::{self, ProtocolKind, TransportKind};

use crate::gen::kit::bench::echo as pb;
use crate::gen::kit::echo as th;
use crate::load::{self, Stats};
use crate::RunCfg;

#[derive(Clone)]
struct ThriftEcho;

impl th::Echo for ThriftEcho {
    async fn echo(&self, req: th::EchoRequest) -> Result<th::EchoResponse, th::EchoEchoError> {
        Ok(th::EchoResponse {
            payload: req.payload,
        })
    }
}

/// Serves the Thrift echo; kit's server detects framed/TTHeader per connection.
pub async fn thrift_server(addr: SocketAddr) {
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    let handle = rpc::Server::new().serve(listener, th::EchoServer::new(ThriftEcho));
    handle.wait().await;
}

pub async fn thrift_client(addr: SocketAddr, transport: TransportKind, cfg: &RunCfg) -> Stats {
    // Framed: one call per pooled connection at a time; keep as many idle connections as there
    // are calls in flight, so the pool never churns. TTHeader: kit multiplexes by default (one
    // connection, replies matched by seq id, up to 1024 in flight), so the pool size is unused.
    let ch = rpc::Channel::builder(addr.to_string())
        .transport(transport)
        .pool_size(cfg.concurrency.max(8))
        .build();
    let client = th::EchoClient::new(ch, ProtocolKind::Binary);
    let payload = Bytes::from(vec![7u8; cfg.payload]);
    let n = cfg.payload;
    load::run(cfg.concurrency, cfg.warmup, cfg.measure, move || {
        let client = client.clone();
        let payload = payload.clone();
        async move {
            let r = client
                .echo(th::EchoRequest { payload })
                .await
                .map_err(|e| format!("{e:?}"))?;
            check_len(r.payload.len(), n)
        }
    })
    .await
}

#[derive(Clone)]
struct GrpcEcho;

impl pb::Echo for GrpcEcho {
    async fn echo(
        &self,
        request: kit_runtime::grpc::Request<pb::EchoRequest>,
    ) -> Result<kit_runtime::grpc::Response<pb::EchoResponse>, kit_runtime::grpc::Status> {
        let req = request.into_inner();
        Ok(kit_runtime::grpc::Response::new(pb::EchoResponse {
            payload: req.payload,
            ..Default::default()
        }))
    }

    async fn stream_echo(
        &self,
        request: kit_runtime::grpc::Request<pb::StreamRequest>,
    ) -> Result<
        kit_runtime::grpc::Response<kit_runtime::grpc::BoxStream<pb::EchoResponse>>,
        kit_runtime::grpc::Status,
    > {
        let req = request.into_inner();
        let payload = req.payload;
        let items = (0..req.count).map(move |_| {
            Ok(pb::EchoResponse {
                payload: payload.clone(),
                ..Default::default()
            })
        });
        Ok(kit_runtime::grpc::Response::new(Box::pin(
            kit_runtime::grpc::iter(items),
        )))
    }
}

pub async fn grpc_server(addr: SocketAddr) {
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    // No response compression: kit's server gzips replies by default for clients that accept
    // gzip — kit's own client advertises it — while tonic and volo-grpc send uncompressed
    // unless told otherwise; the comparison is of the same work.
    kit_runtime::grpc::Server::new()
        .gzip(false)
        .serve(listener, pb::EchoServer::new(GrpcEcho))
        .await
        .expect("serve");
}

pub async fn grpc_client(addr: SocketAddr, cfg: &RunCfg) -> Stats {
    let ch = kit_runtime::grpc::Channel::connect(addr)
        .await
        .expect("connect");
    let client = pb::EchoClient::new(ch);
    let payload = Bytes::from(vec![7u8; cfg.payload]);
    let n = cfg.payload;
    if cfg.stream_count > 0 {
        let count = cfg.stream_count;
        return load::run(cfg.concurrency, cfg.warmup, cfg.measure, move || {
            let client = client.clone();
            let payload = payload.clone();
            async move {
                let mut s = client
                    .stream_echo(kit_runtime::grpc::Request::new(pb::StreamRequest {
                        payload,
                        count,
                        ..Default::default()
                    }))
                    .await
                    .map_err(|e| format!("{e:?}"))?
                    .into_inner();
                let mut got = 0u64;
                while let Some(m) = s.message().await.map_err(|e| format!("{e:?}"))? {
                    check_len(m.payload.len(), n)?;
                    got += 1;
                }
                if got != count as u64 {
                    return Err(format!("stream ended after {got} of {count}"));
                }
                Ok(got)
            }
        })
        .await;
    }
    load::run(cfg.concurrency, cfg.warmup, cfg.measure, move || {
        let client = client.clone();
        let payload = payload.clone();
        async move {
            let r = client
                .echo(kit_runtime::grpc::Request::new(pb::EchoRequest {
                    payload,
                    ..Default::default()
                }))
                .await
                .map_err(|e| format!("{e:?}"))?;
            check_len(r.into_inner().payload.len(), n)
        }
    })
    .await
}

pub fn check_len(got: usize, want: usize) -> Result<u64, String> {
    if got == want {
        Ok(1)
    } else {
        Err(format!("echoed {got} bytes, sent {want}"))
    }
}
