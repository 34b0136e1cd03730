//! `kit-codegen`: IR → Rust.
//!
//! Depends on the IR of `kit-idl` only. Rust is built as kit's own flat tokens (`tokens.rs`,
//! with the `quote!` of `kit-codegen-macros`), laid out by the token printer in `print.rs`, and written with [`write`]: atomically, only on change. Output is
//! byte-for-byte deterministic.

mod accessors;
mod arc;
mod attrs;
mod builder;
mod consts;
mod context;
mod docs;
mod emit;
mod grpc_service;
pub mod ident;
pub mod layout;
mod print;
mod proto_codec;
pub mod scaffold;
mod thrift_codec;
mod thrift_service;
mod tokens;
mod types;
pub mod write;

pub use attrs::OptionsError;
pub use builder::{BuildError, Builder};
pub use emit::{generate, generate_single, generate_with};
pub use write::{GeneratedFile, TreeWriter};

/// Choices that change the generated code.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `BTreeMap` instead of `HashMap` for maps.
    pub btree_maps: bool,
    /// `#[derive(Serialize, Deserialize)]` on every struct, message, enum, union and oneof,
    /// through kit-runtime's re-export (`#[serde(crate = "::kit_runtime::serde")]`), so the
    /// crate still names only `kit-runtime` — with its `serde` feature on. Protobuf unknown
    /// fields are skipped. Applied before the `type_attributes` rules.
    pub serde: bool,
    /// Extra attributes for types: `(path, attribute)` rules, applied in order to every
    /// struct, message, enum, union and oneof whose IDL path matches. `path` is `.` (every
    /// type), `.pkg` (a Protobuf package, Thrift namespace or Thrift file stem), `.pkg.Type`
    /// (one type, fully qualified) or `Type` / `Outer.Inner` (matched as a suffix, in any
    /// package); `attribute` is Rust, such as `#[derive(Hash)]` or `#[repr(C)]` (several
    /// may follow each other). The matching rules are prost-build's; see [`Options::validate`].
    pub type_attributes: Vec<(String, String)>,
    /// Extra attributes for fields: the same rules on field paths, `.pkg.Type.field` or
    /// `Type.field` (a type's path matches all its fields). Applied to struct and message
    /// fields, Thrift union members and Protobuf oneof members (`.pkg.Msg.oneof.field`).
    pub field_attributes: Vec<(String, String)>,
    /// Fields stored as `Arc<T>`, by the same path rules as [`Options::field_attributes`]
    /// (`.pkg.Type.field`, `Type.field`, or a type or package path for all its fields): a
    /// decoded message can then share a large sub-message or collection with other values
    /// without copying it. Applies to struct and message fields whose type is a struct,
    /// message, list, set or map (strings and binaries are shared buffers already); others
    /// that a rule matches are left as they are. Thrift fields can also ask for it with the
    /// annotation `(kit.arc = "true")` (or Pilota's `(pilota.rust_wrapper_arc = "true")`).
    pub arc_fields: Vec<String>,
}

impl Options {
    /// Checks every attribute rule: its path is well formed and its attribute parses as Rust
    /// outer attributes. [`generate`] checks too, and reports the first error as a diagnostic.
    ///
    /// Paths are matched segment by segment, as prost-build matches its paths: a definition's
    /// path is `.package.Outer.Inner` for Protobuf; for Thrift it is `.stem.Name` (the file
    /// name without `.thrift`) and, when the file has a `namespace rs` (or `*`),
    /// `.namespace.Name` too. A pattern `.` matches all; a pattern with a leading dot matches
    /// the path and everything under it (`.a.b` matches `.a.b.C`, not `.a.bc.C`); one without
    /// matches paths ending in it (`C` and `b.C` match `.a.b.C`).
    pub fn validate(&self) -> Result<(), OptionsError> {
        attrs::Rules::new(self).map(|_| ())
    }
}
