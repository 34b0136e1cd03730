//! `kit-idl`: the IDL front end of kit.
//!
//! Text in, IR and diagnostics out. Thrift and Protobuf files are parsed (pest grammars),
//! their includes loaded once each, names resolved and semantic checks run; the result is one
//! [`ir::Ir`] for both languages plus every [`diag::Diagnostic`] found.
//!
//! This crate never panics on any input, never touches argv or the terminal, and reads files
//! only through a [`Loader`].
//!
//! ```
//! use kit_idl::{compile, MemLoader, Options};
//! let loader = MemLoader::new().add("a.thrift", "struct S { 1: i32 x }");
//! let c = compile(&["a.thrift".into()], &Options::default(), &loader);
//! assert!(!c.has_errors());
//! assert_eq!(c.ir.defs[0].name, "S");
//! ```

pub mod compile;
pub mod diag;
pub mod ir;
pub mod par;
mod proto;
mod scan;
pub mod source;
mod thrift;

pub use compile::{compile, Compilation, Loader, MemLoader, Options, OsLoader};
pub use diag::{Diagnostic, Diagnostics, Severity};
/// Test support: the unlinked `FileDescriptorProto` (JSON) of a Protobuf file, as protoc's
/// parser would produce it. Not a stable API.
#[doc(hidden)]
pub use proto::parse_to_descriptor as __proto_parse_to_descriptor;
