//! Protobuf front end (proto2 and proto3): pest grammar, syntax tree, lowering into the IR.
//!
//! - `proto.pest` + `parse.rs`: the grammar and a one-pass builder from pest pairs to the
//!   owned [`ast::Ast`]. A syntax error is reported at the furthest position pest reached
//!   ("expected `;` or `[`, found `int32`"); pest has no recovery, so `parse` blanks out the
//!   failing statement (keeping positions) and parses again to report up to 19 more.
//! - `lower.rs`: three passes over all files in dependency order. `declare` allocates the
//!   `Def`s, pre-order per file (a message, then its nested groups/messages/enums in source
//!   order). `register` enters every package, message, enum, service, enum value (in its
//!   enum's *enclosing* scope, C++ rules), field, oneof and extension under its full name, in
//!   the order protoc's `DescriptorBuilder` does, so duplicates are reported where protoc
//!   reports them. `define` resolves names with protoc's scoping rules (innermost scope first;
//!   for `A.B` the first part is resolved, then looked into; only the file, its imports and
//!   their `import public`s are visible), runs the checks and fills the `Def`s in.
//! - `descriptor.rs`: the unlinked `FileDescriptorProto` (JSON) of a file, for tests only.
//!
//! Decisions a later engineer should know:
//! - Groups: the nested `Def` is named as written (`OptionalGroup`), the field is its
//!   lowercase (`optionalgroup`), as in descriptors. A group inside `extend` is nested in the
//!   scope that holds the `extend` (top-level groups are listed in `File::defs`).
//! - Maps are `Type::Map` only; no entry messages are created. protoc's entry name is
//!   [`descriptor::map_entry_name`] (`foo_bar` -> `FooBarEntry`).
//! - Synthetic oneofs of proto3 `optional` fields come after the real oneofs and are named
//!   as protoc names them (`_foo`, prefixed with `X` while the name is taken).
//! - proto3 implicit presence is `Presence::Default` even for message-typed fields.
//! - `uint64`/`fixed64` defaults above `i64::MAX` are stored in `ConstValue::Int` as the
//!   u64's bit pattern (`v as u64` gives the value back).
//! - Kept only for checking, not in the IR: enum reserved ranges and names, extension-range
//!   options. `default` and `json_name` are not kept as annotations (they are
//!   `Field::default` and `ProtoFieldExt::json_name`).
//! - Options: names of `descriptor.proto` options are validated (unknown names and wrongly
//!   typed values of bool/string/enum options are errors). A custom option `(a.b).c` must
//!   resolve to an extension; which `*Options` message it extends and its value are not
//!   checked.
//! - Spans: a `Def`'s and a `Field`'s span is its name; an `Annotation`'s covers name to
//!   value. Docs are leading comments only (no trailing or detached comments).
//! - Warnings: no `syntax` statement; unused imports (same rule and count as protoc 3.21:
//!   462 on googleapis-full).

pub(crate) mod ast;
pub(crate) mod descriptor;
mod docs;
mod lower;
mod parse;

use crate::compile::{ImportRequest, LoadedFile};
use crate::diag::Diagnostics;
use crate::ir::Ir;
use crate::source::{FileId, SourceMap};

pub(crate) use ast::Ast;
pub use descriptor::parse_to_descriptor;

/// Parses one file. Syntax errors go to `diags`; `None` when the file could not be parsed.
pub(crate) fn parse(file: FileId, src: &str, diags: &mut Diagnostics) -> Option<Ast> {
    parse::parse(file, src, diags)
}

/// The file's `import` statements.
pub(crate) fn imports(ast: &Ast) -> Vec<ImportRequest> {
    ast.imports
        .iter()
        .map(|i| ImportRequest {
            path: i.path.clone(),
            kind: i.kind,
            span: i.span,
        })
        .collect()
}

/// Lowers Protobuf files (given in dependency order) into `ir`, resolving names and running the
/// semantic checks.
pub(crate) fn lower(
    files: &[LoadedFile<'_, Ast>],
    sources: &SourceMap,
    ir: &mut Ir,
    diags: &mut Diagnostics,
) {
    lower::lower(files, sources, ir, diags)
}
