//! Thrift front end: pest grammar, syntax tree, lowering into the IR.
//!
//! - `thrift.pest` + `parse.rs`: text to [`Ast`] in one pass over the pest pairs. Keywords are
//!   not reserved (Apache 0.25 accepts `1: i8 i8`); doc comments are found by a separate
//!   comment scan and attached as Apache does (the last `/** */` since the previous item).
//!   A syntax error is one diagnostic at the furthest position pest reached.
//! - `lower.rs`: declare all definitions of all files, then resolve typedefs, struct fields,
//!   enums, constants (source order; a constant may only use constants defined before it),
//!   field defaults and services. Lookups use `HashMap`s; output follows source order.
//!
//! Decisions that follow Apache Thrift 0.25 (checked against its `--gen json` dumps):
//! union fields are always `Optional`; `optional` on arguments is ignored; fields without an
//! id (or with id <= 0) get -1, -2, ... with a warning; `Enum.VALUE` for an enum-typed value
//! is looked up by its last segment in the expected enum; `{}` is an empty list/set; bools
//! accept integers; uuid constants are stored without braces; a type may not share its name
//! with a type of a directly included file that declares exactly the same namespaces;
//! methods may not redefine methods of a base service; dotted names cannot be declared.
//! Stricter than Apache: field ids above 32767 are errors (Apache only warns).

mod ast;
mod lower;
mod parse;

use crate::compile::{ImportRequest, LoadedFile};
use crate::diag::Diagnostics;
use crate::ir::{IncludeKind, Ir};
use crate::source::{FileId, SourceMap};

pub(crate) use ast::Ast;

/// Parses one file. Syntax errors go to `diags`; `None` when the file could not be parsed.
pub(crate) fn parse(file: FileId, src: &str, diags: &mut Diagnostics) -> Option<Ast> {
    parse::parse(file, src, diags)
}

/// The file's `include` statements.
pub(crate) fn imports(ast: &Ast) -> Vec<ImportRequest> {
    ast.includes
        .iter()
        .map(|i| ImportRequest {
            path: i.path.clone(),
            kind: IncludeKind::Normal,
            span: i.span,
        })
        .collect()
}

/// Lowers Thrift files (given in dependency order) into `ir`, resolving names and running the
/// semantic checks.
pub(crate) fn lower(
    files: &[LoadedFile<'_, Ast>],
    sources: &SourceMap,
    ir: &mut Ir,
    diags: &mut Diagnostics,
) {
    lower::lower(files, sources, ir, diags)
}
