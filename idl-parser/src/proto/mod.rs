//! Protobuf front end (proto2 and proto3): pest grammar, syntax tree, lowering into the IR.

use crate::compile::{ImportRequest, LoadedFile};
use crate::diag::Diagnostics;
use crate::ir::Ir;
use crate::source::{FileId, SourceMap};

/// A parsed Protobuf file.
pub(crate) struct Ast {}

/// Parses one file. Syntax errors go to `diags`; `None` when the file could not be parsed.
pub(crate) fn parse(_file: FileId, _src: &str, _diags: &mut Diagnostics) -> Option<Ast> {
    todo!()
}

/// The file's `import` statements.
pub(crate) fn imports(_ast: &Ast) -> Vec<ImportRequest> {
    todo!()
}

/// Lowers Protobuf files (given in dependency order) into `ir`, resolving names and running the
/// semantic checks.
pub(crate) fn lower(
    _files: &[LoadedFile<'_, Ast>],
    _sources: &SourceMap,
    _ir: &mut Ir,
    _diags: &mut Diagnostics,
) {
    todo!()
}
