//! Constants Rust cannot build: checked before generation, reported as IDL errors.
//!
//! A Thrift union is a Rust enum, so a union constant must name a member; a struct that holds
//! a union by value has no `Default`, so a constant of it must give every field that has
//! neither an IDL default nor a type with a `Default`. The IDL itself allows both omissions
//! (Apache Thrift's compiler accepts them), so they are code generation errors, with the
//! constant or field default that holds the value.

use kit_idl::diag::Diagnostic;
use kit_idl::ir::{ConstValue, DefKind, StructKind};
use kit_idl::source::Span;

use crate::context::Context;

/// Every constant and field default that cannot become a Rust value.
pub fn check(cx: &Context) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for def in &cx.ir.defs[..cx.user_defs] {
        match &def.kind {
            DefKind::Const(c) => check_value(cx, &c.value, def.span, &mut errors),
            DefKind::Struct(s) => {
                for f in &s.fields {
                    if let Some(v) = &f.default {
                        check_value(cx, v, f.span, &mut errors);
                    }
                }
            }
            _ => {}
        }
    }
    errors
}

fn check_value(cx: &Context, v: &ConstValue, span: Span, errors: &mut Vec<Diagnostic>) {
    match v {
        ConstValue::List(items) => {
            for i in items {
                check_value(cx, i, span, errors);
            }
        }
        ConstValue::Map(entries) => {
            for (k, v) in entries {
                check_value(cx, k, span, errors);
                check_value(cx, v, span, errors);
            }
        }
        ConstValue::Struct { def, fields } => {
            let d = cx.ir.def(*def);
            let DefKind::Struct(s) = &d.kind else { return };
            if s.kind == StructKind::Union {
                if fields.is_empty() {
                    errors.push(
                        Diagnostic::error(
                            span,
                            format!("a constant of union `{}` must set one member", d.name),
                        )
                        .with_label("this value sets none")
                        .with_note("a union is a Rust enum: an empty union has no Rust value"),
                    );
                }
            } else if !cx.is_defaultable(*def) {
                for f in &s.fields {
                    let given = fields.iter().any(|(id, _)| *id == f.id);
                    if !given && f.default.is_none() && cx.field_blocks_default(*def, f) {
                        errors.push(
                            Diagnostic::error(
                                span,
                                format!("a constant of `{}` must give field `{}`", d.name, f.name),
                            )
                            .with_label(format!("`{}` is missing here", f.name))
                            .with_secondary(f.span, "its type holds a union, which has no default"),
                        );
                    }
                }
            }
            for (_, v) in fields {
                check_value(cx, v, span, errors);
            }
        }
        _ => {}
    }
}
