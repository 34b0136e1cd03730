//! `grpc.testing.TestService` per the gRPC interop test descriptions.

use std::time::Duration;

use kit_runtime::grpc::{self, BoxStream, Metadata, Request, Response, Status, Streaming};

use crate::pb::grpc::testing::{
    EchoStatus, Empty, Payload, ResponseParameters, SimpleRequest, SimpleResponse,
    StreamingInputCallRequest, StreamingInputCallResponse, StreamingOutputCallRequest,
    StreamingOutputCallResponse, TestService, TestServiceServer,
};

/// The interop server's handler.
#[derive(Clone, Debug, Default)]
pub struct Interop;

/// Largest payload the server will build, so a hostile `response_size` is an error, not an
/// allocation.
const MAX_PAYLOAD: i32 = 64 * 1024 * 1024;

fn payload(size: i32) -> Result<Payload, Status> {
    if !(0..=MAX_PAYLOAD).contains(&size) {
        return Err(Status::invalid_argument(format!(
            "bad response size {size}"
        )));
    }
    Ok(Payload {
        body: vec![0u8; size as usize].into(),
        ..Default::default()
    })
}

/// `x-grpc-test-echo-initial` → initial metadata; `x-grpc-test-echo-trailing-bin` → trailers.
fn echo(md: &Metadata) -> (Metadata, Metadata) {
    let mut initial = Metadata::new();
    let mut trailing = Metadata::new();
    if let Some(v) = md.get("x-grpc-test-echo-initial") {
        let _ = initial.insert("x-grpc-test-echo-initial", v);
    }
    if let Some(v) = md.get_bin("x-grpc-test-echo-trailing-bin") {
        let _ = trailing.insert_bin("x-grpc-test-echo-trailing-bin", &v);
    }
    (initial, trailing)
}

fn status_of(s: &Option<EchoStatus>, trailing: &Metadata) -> Option<Status> {
    let s = s.as_ref().filter(|s| s.code != 0)?;
    Some(
        Status::new(grpc::Code::from_i32(s.code), s.message.to_string())
            .with_metadata(trailing.clone()),
    )
}

async fn send_params(
    tx: &grpc::Sender<StreamingOutputCallResponse>,
    params: &[ResponseParameters],
) -> Result<(), Status> {
    for p in params {
        if p.interval_us > 0 {
            tokio::time::sleep(Duration::from_micros(p.interval_us as u64)).await;
        }
        let msg = StreamingOutputCallResponse {
            payload: Some(payload(p.size)?),
            ..Default::default()
        };
        tx.send(msg).await?;
    }
    Ok(())
}

impl TestService for Interop {
    async fn empty_call(&self, request: Request<Empty>) -> Result<Response<Empty>, Status> {
        let (initial, trailing) = echo(request.metadata());
        let mut r = Response::new(Empty::default()).with_metadata(initial);
        *r.trailers_mut() = trailing;
        Ok(r)
    }

    async fn unary_call(
        &self,
        request: Request<SimpleRequest>,
    ) -> Result<Response<SimpleResponse>, Status> {
        let (initial, trailing) = echo(request.metadata());
        let req = request.into_inner();
        if let Some(s) = status_of(&req.response_status, &trailing) {
            return Err(s);
        }
        let resp = SimpleResponse {
            payload: Some(payload(req.response_size)?),
            ..Default::default()
        };
        let mut r = Response::new(resp).with_metadata(initial);
        *r.trailers_mut() = trailing;
        Ok(r)
    }

    async fn cacheable_unary_call(
        &self,
        request: Request<SimpleRequest>,
    ) -> Result<Response<SimpleResponse>, Status> {
        self.unary_call(request).await
    }

    async fn streaming_output_call(
        &self,
        request: Request<StreamingOutputCallRequest>,
    ) -> Result<Response<BoxStream<StreamingOutputCallResponse>>, Status> {
        let (initial, trailing) = echo(request.metadata());
        let req = request.into_inner();
        let (tx, rx) = grpc::channel(2);
        tokio::spawn(async move {
            let r = send_params(&tx, &req.response_parameters).await;
            if let Some(s) = status_of(&req.response_status, &Metadata::new()) {
                let _ = tx.send_error(s).await;
            } else if let Err(s) = r {
                let _ = tx.send_error(s).await;
            }
        });
        let mut r = Response::new(Box::pin(rx) as BoxStream<_>).with_metadata(initial);
        *r.trailers_mut() = trailing;
        Ok(r)
    }

    async fn streaming_input_call(
        &self,
        request: Request<Streaming<StreamingInputCallRequest>>,
    ) -> Result<Response<StreamingInputCallResponse>, Status> {
        let mut stream = request.into_inner();
        let mut total = 0usize;
        while let Some(m) = stream.message().await? {
            total += m.payload.map_or(0, |p| p.body.len());
        }
        Ok(Response::new(StreamingInputCallResponse {
            aggregated_payload_size: i32::try_from(total).unwrap_or(i32::MAX),
            ..Default::default()
        }))
    }

    async fn full_duplex_call(
        &self,
        request: Request<Streaming<StreamingOutputCallRequest>>,
    ) -> Result<Response<BoxStream<StreamingOutputCallResponse>>, Status> {
        let (initial, trailing) = echo(request.metadata());
        let mut incoming = request.into_inner();
        let (tx, rx) = grpc::channel(2);
        let t = trailing.clone();
        tokio::spawn(async move {
            loop {
                let m = match incoming.message().await {
                    Ok(Some(m)) => m,
                    Ok(None) => return,
                    Err(s) => {
                        let _ = tx.send_error(s).await;
                        return;
                    }
                };
                if let Some(s) = status_of(&m.response_status, &t) {
                    let _ = tx.send_error(s).await;
                    return;
                }
                if let Err(s) = send_params(&tx, &m.response_parameters).await {
                    let _ = tx.send_error(s).await;
                    return;
                }
            }
        });
        let mut r = Response::new(Box::pin(rx) as BoxStream<_>).with_metadata(initial);
        *r.trailers_mut() = trailing;
        Ok(r)
    }

    async fn half_duplex_call(
        &self,
        request: Request<Streaming<StreamingOutputCallRequest>>,
    ) -> Result<Response<BoxStream<StreamingOutputCallResponse>>, Status> {
        let mut incoming = request.into_inner();
        let mut all = Vec::new();
        while let Some(m) = incoming.message().await? {
            if all.len() >= 10_000 {
                return Err(Status::resource_exhausted("too many requests"));
            }
            all.push(m);
        }
        let (tx, rx) = grpc::channel(2);
        tokio::spawn(async move {
            for m in all {
                if let Err(s) = send_params(&tx, &m.response_parameters).await {
                    let _ = tx.send_error(s).await;
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(rx) as BoxStream<_>))
    }
}

/// The full service: TestService plus the standard health service.
pub fn service() -> grpc::Router {
    grpc::Router::new()
        .add_service(TestServiceServer::new(Interop))
        .add_service(grpc::health::HealthServer::new())
}
