//! The Thrift syntax tree: what the file says, before any name is resolved.

use crate::ir::{Annotation, Docs, StructKind};
use crate::source::Span;

/// A parsed Thrift document.
#[derive(Debug, Default)]
pub(crate) struct Ast {
    pub includes: Vec<IncludeStmt>,
    pub cpp_includes: Vec<String>,
    /// `namespace SCOPE NAME` in source order.
    pub namespaces: Vec<(String, String)>,
    pub defs: Vec<Def>,
    /// The program doc comment (before the first header).
    pub docs: Docs,
}

#[derive(Debug)]
pub(crate) struct IncludeStmt {
    pub path: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub(crate) struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug)]
pub(crate) struct Def {
    pub name: Ident,
    pub docs: Docs,
    pub annotations: Vec<Annotation>,
    pub kind: DefKind,
}

#[derive(Debug)]
pub(crate) enum DefKind {
    Typedef(TypeRef),
    Const {
        ty: TypeRef,
        value: ConstExpr,
    },
    Enum(Vec<EnumValue>),
    /// Deprecated `senum`: a string enumeration; lowered as an alias of `string`.
    Senum,
    Struct {
        kind: StructKind,
        fields: Vec<Field>,
    },
    Service {
        extends: Option<Ident>,
        functions: Vec<Function>,
    },
}

#[derive(Debug)]
pub(crate) struct EnumValue {
    pub name: Ident,
    pub value: Option<(i128, Span)>,
    pub annotations: Vec<Annotation>,
    pub docs: Docs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Req {
    Required,
    Optional,
}

#[derive(Debug)]
pub(crate) struct Field {
    pub id: Option<(i128, Span)>,
    pub req: Option<(Req, Span)>,
    pub ty: TypeRef,
    pub name: Ident,
    pub default: Option<ConstExpr>,
    pub annotations: Vec<Annotation>,
    pub docs: Docs,
    /// The whole field.
    pub span: Span,
}

#[derive(Debug)]
pub(crate) struct Function {
    pub oneway: Option<Span>,
    /// `None` for `void`.
    pub ret: Option<TypeRef>,
    pub ret_span: Span,
    pub name: Ident,
    pub args: Vec<Field>,
    pub throws: Vec<Field>,
    pub annotations: Vec<Annotation>,
    pub docs: Docs,
}

#[derive(Debug)]
pub(crate) struct TypeRef {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Debug)]
pub(crate) enum TypeKind {
    Base(BaseType),
    List(Box<TypeRef>),
    Set(Box<TypeRef>),
    Map(Box<TypeRef>, Box<TypeRef>),
    Named(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BaseType {
    String,
    Binary,
    /// Deprecated `slist`: a string.
    Slist,
    Bool,
    /// Deprecated `byte`: an `i8`.
    Byte,
    I8,
    I16,
    I32,
    I64,
    Double,
    Uuid,
}

#[derive(Debug)]
pub(crate) struct ConstExpr {
    pub kind: ConstKind,
    pub span: Span,
}

#[derive(Debug)]
pub(crate) enum ConstKind {
    /// `None` when the literal does not even fit in an `i128`.
    Int(Option<i128>),
    Double(f64),
    Str(String),
    Ident(String),
    List(Vec<ConstExpr>),
    Map(Vec<(ConstExpr, ConstExpr)>),
}
