//! `kit-codegen`: IR → Rust.
//!
//! Depends on the IR of `kit-idl` only. Rust is built as tokens with `quote!`, formatted with
//! `prettyplease`, and written with [`write`]: atomically, only on change. Output is
//! byte-for-byte deterministic.

mod builder;
mod context;
mod docs;
mod emit;
mod grpc_service;
pub mod ident;
pub mod layout;
mod proto_codec;
pub mod scaffold;
mod thrift_codec;
mod thrift_service;
mod types;
pub mod write;

pub use builder::{BuildError, Builder};
pub use emit::{generate, generate_single};
pub use write::GeneratedFile;

/// Choices that change the generated code.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `BTreeMap` instead of `HashMap` for maps.
    pub btree_maps: bool,
}
