//! Syntax tree of one Protobuf file, built in one pass over the pest pairs.

use crate::ir::IncludeKind;
use crate::source::Span;

/// A parsed Protobuf file.
#[derive(Clone, Debug)]
pub struct Ast {
    pub syntax: Option<(String, Span)>,
    /// `package` statements (more than one is an error, reported when lowering).
    pub packages: Vec<(String, Span)>,
    pub imports: Vec<Import>,
    pub options: Vec<OptionAst>,
    pub items: Vec<Item>,
    /// Span of the whole file start (for file-level diagnostics).
    pub file_start: Span,
}

#[derive(Clone, Debug)]
pub struct Import {
    pub path: String,
    pub kind: IncludeKind,
    pub span: Span,
    /// Span of the `import` keyword (protoc reports some import errors there).
    pub stmt_span: Span,
}

#[derive(Clone, Debug)]
pub enum Item {
    Message(Message),
    Enum(EnumAst),
    Service(ServiceAst),
    Extend(ExtendAst),
}

#[derive(Clone, Debug)]
pub struct Message {
    pub name: String,
    pub name_span: Span,
    /// Start offset of the statement (for leading comments).
    pub start: u32,
    pub body: MsgBody,
}

#[derive(Clone, Debug)]
pub struct MsgBody {
    pub elems: Vec<MsgElem>,
    pub end: Span,
}

#[derive(Clone, Debug)]
pub enum MsgElem {
    Field(FieldAst),
    Oneof(OneofAst),
    Message(Message),
    Enum(EnumAst),
    Extend(ExtendAst),
    Extensions(ExtensionsAst),
    Reserved(ReservedAst),
    Option(OptionAst),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    Optional,
    Required,
    Repeated,
}

#[derive(Clone, Debug)]
pub enum FieldTy {
    Named(String, Span),
    Map(Box<FieldTy>, Box<FieldTy>),
    Group(MsgBody),
}

#[derive(Clone, Debug)]
pub struct FieldAst {
    pub label: Option<(Label, Span)>,
    pub ty: FieldTy,
    pub name: String,
    pub name_span: Span,
    /// `None` when the number did not fit in 64 bits.
    pub number: IntAst,
    pub options: Vec<OptionAst>,
    pub start: u32,
    /// Span of the type (or `group`/`map` keyword).
    pub ty_span: Span,
}

#[derive(Clone, Copy, Debug)]
pub struct IntAst {
    pub neg: bool,
    /// `None` when out of 64-bit range.
    pub value: Option<u64>,
    pub span: Span,
}

impl IntAst {
    /// The value as i64 if it fits.
    pub fn as_i64(&self) -> Option<i64> {
        let v = self.value?;
        if self.neg {
            if v <= i64::MAX as u64 + 1 {
                Some((v as i128).wrapping_neg() as i64)
            } else {
                None
            }
        } else if v <= i64::MAX as u64 {
            Some(v as i64)
        } else {
            None
        }
    }
}

#[derive(Clone, Debug)]
pub struct OneofAst {
    pub name: String,
    pub name_span: Span,
    pub start: u32,
    pub options: Vec<OptionAst>,
    pub fields: Vec<FieldAst>,
}

#[derive(Clone, Debug)]
pub struct RangeAst {
    pub start: IntAst,
    /// `None`: single number; `Some(None)`: `max`.
    pub end: Option<Option<IntAst>>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ExtensionsAst {
    pub ranges: Vec<RangeAst>,
    pub options: Vec<OptionAst>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ReservedAst {
    pub ranges: Vec<RangeAst>,
    pub names: Vec<(String, Span)>,
}

#[derive(Clone, Debug)]
pub struct EnumAst {
    pub name: String,
    pub name_span: Span,
    pub start: u32,
    pub options: Vec<OptionAst>,
    pub values: Vec<EnumValueAst>,
    pub reserved: Vec<ReservedAst>,
    pub end: Span,
}

#[derive(Clone, Debug)]
pub struct EnumValueAst {
    pub name: String,
    pub name_span: Span,
    pub number: IntAst,
    pub options: Vec<OptionAst>,
    pub start: u32,
}

#[derive(Clone, Debug)]
pub struct ExtendAst {
    pub extendee: String,
    pub extendee_span: Span,
    pub fields: Vec<FieldAst>,
    /// `;` inside the block (protoc rejects them).
    pub empty_statements: Vec<Span>,
    /// The closing `}`.
    pub end: Span,
}

#[derive(Clone, Debug)]
pub struct ServiceAst {
    pub name: String,
    pub name_span: Span,
    pub start: u32,
    pub options: Vec<OptionAst>,
    pub rpcs: Vec<RpcAst>,
}

#[derive(Clone, Debug)]
pub struct RpcAst {
    pub name: String,
    pub name_span: Span,
    pub start: u32,
    pub input: (String, Span),
    pub output: (String, Span),
    pub client_streaming: bool,
    pub server_streaming: bool,
    pub options: Vec<OptionAst>,
}

#[derive(Clone, Debug)]
pub struct OptionAst {
    /// As written, whitespace removed: `(foo.bar).baz`.
    pub name: String,
    pub name_span: Span,
    pub value: ConstAst,
    pub value_span: Span,
}

#[derive(Clone, Debug)]
pub enum ConstAst {
    Int(IntAst),
    Float(f64),
    /// An identifier, possibly signed (`-inf`).
    Ident {
        neg: bool,
        name: String,
    },
    /// String literal bytes after escapes; may not be UTF-8.
    Str(Vec<u8>),
    Aggregate(String),
}
