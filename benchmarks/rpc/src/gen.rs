//! The echo service's generated code: kit's, Volo/Pilota's and tonic/prost's, all from
//! `idl/echo.thrift` and `idl/echo.proto` (see build.rs).
#![allow(clippy::all, missing_docs, dead_code, unused_imports)]

pub mod kit {
    include!(concat!(env!("OUT_DIR"), "/kit_gen.rs"));
}

pub mod volo_thrift {
    include!(concat!(env!("OUT_DIR"), "/volo_thrift_gen.rs"));
}

pub mod volo_grpc {
    include!(concat!(env!("OUT_DIR"), "/volo_grpc_gen.rs"));
}

pub mod tonic_pb {
    include!(concat!(env!("OUT_DIR"), "/bench.echo.rs"));
}
