//! The standard health service, `grpc.health.v1.Health` (`Check` and `Watch`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use tower_service::Service;

use super::server::{BoxFuture, NamedService, ServerCall, ServerReply};
use super::status::Status;
use super::stream::{channel, BoxStream, Request, Response};
use crate::error::DecodeError;
use crate::protobuf::{field, wire, Message, WireType};
use crate::ByteStr;

/// `grpc.health.v1.HealthCheckRequest`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HealthCheckRequest {
    /// The service name; empty for the whole server.
    pub service: ByteStr,
}

impl Message for HealthCheckRequest {
    fn encoded_len(&self) -> usize {
        if self.service.is_empty() {
            0
        } else {
            field::string::encoded_len(1, &self.service)
        }
    }
    fn encode_raw(&self, buf: &mut BytesMut) {
        if !self.service.is_empty() {
            field::string::encode(1, &self.service, buf);
        }
    }
    fn merge_field(
        &mut self,
        tag: u32,
        wt: WireType,
        buf: &mut Bytes,
        depth: u32,
    ) -> Result<(), DecodeError> {
        match tag {
            1 => field::string::merge(wt, &mut self.service, buf),
            _ => wire::skip_field(wt, tag, buf, depth),
        }
    }
}

/// `grpc.health.v1.HealthCheckResponse.ServingStatus`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ServingStatus {
    /// 0
    #[default]
    Unknown = 0,
    /// 1
    Serving = 1,
    /// 2
    NotServing = 2,
    /// 3 (only sent by `Watch`)
    ServiceUnknown = 3,
}

/// `grpc.health.v1.HealthCheckResponse`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HealthCheckResponse {
    /// The status.
    pub status: ServingStatus,
}

impl Message for HealthCheckResponse {
    fn encoded_len(&self) -> usize {
        match self.status as i32 {
            0 => 0,
            v => field::int32::encoded_len(1, v),
        }
    }
    fn encode_raw(&self, buf: &mut BytesMut) {
        if self.status as i32 != 0 {
            field::int32::encode(1, self.status as i32, buf);
        }
    }
    fn merge_field(
        &mut self,
        tag: u32,
        wt: WireType,
        buf: &mut Bytes,
        depth: u32,
    ) -> Result<(), DecodeError> {
        match tag {
            1 => {
                let mut v = 0i32;
                field::int32::merge(wt, &mut v, buf)?;
                self.status = match v {
                    1 => ServingStatus::Serving,
                    2 => ServingStatus::NotServing,
                    3 => ServingStatus::ServiceUnknown,
                    _ => ServingStatus::Unknown,
                };
                Ok(())
            }
            _ => wire::skip_field(wt, tag, buf, depth),
        }
    }
}

#[derive(Default)]
struct State {
    statuses: Mutex<HashMap<String, ServingStatus>>,
    changed: Option<tokio::sync::watch::Sender<u64>>,
}

/// The health service. Clones share state: keep one to [`set`](Self::set) statuses while a
/// clone is being served. The whole server (`""`) starts `SERVING`.
#[derive(Clone)]
pub struct HealthServer {
    state: Arc<State>,
}

impl std::fmt::Debug for HealthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthServer").finish_non_exhaustive()
    }
}

impl Default for HealthServer {
    fn default() -> Self {
        HealthServer::new()
    }
}

impl HealthServer {
    /// A health service reporting the server (`""`) as serving.
    pub fn new() -> HealthServer {
        let (tx, _) = tokio::sync::watch::channel(0);
        let s = HealthServer {
            state: Arc::new(State {
                statuses: Mutex::new(HashMap::new()),
                changed: Some(tx),
            }),
        };
        s.set("", ServingStatus::Serving);
        s
    }

    /// Sets the status of `service` (`""` for the whole server).
    pub fn set(&self, service: &str, status: ServingStatus) {
        self.state
            .statuses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(service.to_string(), status);
        if let Some(tx) = &self.state.changed {
            tx.send_modify(|v| *v += 1);
        }
    }

    fn get(&self, service: &str) -> Option<ServingStatus> {
        self.state
            .statuses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(service)
            .copied()
    }

    async fn check(
        self,
        req: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        match self.get(&req.get_ref().service) {
            Some(status) => Ok(Response::new(HealthCheckResponse { status })),
            None => Err(Status::not_found("unknown service")),
        }
    }

    async fn watch(
        self,
        req: Request<HealthCheckRequest>,
    ) -> Result<Response<BoxStream<HealthCheckResponse>>, Status> {
        let service = req.into_inner().service.to_string();
        let Some(mut changed) = self.state.changed.as_ref().map(|t| t.subscribe()) else {
            return Err(Status::unavailable("health service closed"));
        };
        let (tx, rx) = channel(4);
        tokio::spawn(async move {
            let mut last = None;
            loop {
                let status = self.get(&service).unwrap_or(ServingStatus::ServiceUnknown);
                if last != Some(status) {
                    last = Some(status);
                    if tx.send(HealthCheckResponse { status }).await.is_err() {
                        return;
                    }
                }
                tokio::select! {
                    r = changed.changed() => if r.is_err() { return },
                    _ = tx.closed() => return,
                }
            }
        });
        Ok(Response::new(Box::pin(rx)))
    }
}

impl NamedService for HealthServer {
    const NAME: &'static str = "grpc.health.v1.Health";
}

impl Service<ServerCall> for HealthServer {
    type Response = ServerReply;
    type Error = Status;
    type Future = BoxFuture<Result<ServerReply, Status>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, call: ServerCall) -> Self::Future {
        let this = self.clone();
        match call.path.as_str() {
            "/grpc.health.v1.Health/Check" => {
                Box::pin(super::server::unary(call, move |r| this.check(r)))
            }
            "/grpc.health.v1.Health/Watch" => {
                Box::pin(super::server::server_streaming(call, move |r| {
                    this.watch(r)
                }))
            }
            _ => super::server::unimplemented(&call),
        }
    }
}
