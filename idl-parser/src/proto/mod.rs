//! Protobuf front end (proto2 and proto3): pest grammar, syntax tree, lowering into the IR.

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
