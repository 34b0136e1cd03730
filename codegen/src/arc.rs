//! Fields stored as `Arc<T>` ([`crate::Options::arc_fields`], or the Thrift annotation
//! `(kit.arc = "true")`, also spelled as Pilota spells it, `(pilota.rust_wrapper_arc = "true")`).
//!
//! Only fields of structs and messages from the IDL (not union or oneof members, not the
//! argument and result structs of Thrift services, whose fields are the handler's arguments),
//! and only of a type worth sharing: a struct or message, a list, set or map. A path rule that
//! matches other fields leaves them alone; an annotation on one is an error, with its place.
//!
//! Codecs see through the pointer: writers read `&*field`, decoders build the value and wrap
//! it (Thrift) or merge into `Arc::make_mut(field)` (Protobuf), which copies only when the
//! value is shared.

use std::collections::BTreeSet;

use kit_idl::diag::Diagnostic;
use kit_idl::ir::{AnnotationValue, DefKind, Field, StructKind, Type};

use crate::context::Context;

const ANNOTATIONS: [&str; 2] = ["kit.arc", "pilota.rust_wrapper_arc"];

/// The annotation asking for `Arc`, if `f` has one set to true.
fn annotation(f: &Field) -> Option<&kit_idl::ir::Annotation> {
    f.annotations.iter().find(|a| {
        ANNOTATIONS.contains(&a.name.as_str())
            && match &a.value {
                AnnotationValue::Str(s) => s == "true",
                AnnotationValue::Bool(b) => *b,
                AnnotationValue::Ident(s) => s == "true",
                AnnotationValue::Int(i) => *i != 0,
                _ => false,
            }
    })
}

impl Context<'_> {
    /// A type an `Arc` can hold: a struct or message, or a container.
    fn arc_worthy(&self, ty: &Type) -> bool {
        match self.resolve(ty) {
            Type::List(_) | Type::Set(_) | Type::Map(..) => true,
            Type::Ref(d) => matches!(self.ir.def(*d).kind, DefKind::Struct(_)),
            _ => false,
        }
    }

    /// `(def, field id)` of every field stored as `Arc<T>`, and the annotations that ask for an
    /// `Arc` where there can be none.
    pub(crate) fn arc_fields(&self) -> (BTreeSet<(u32, i32)>, Vec<Diagnostic>) {
        let mut set = BTreeSet::new();
        let mut errors = Vec::new();
        for def in &self.ir.defs[..self.user_defs] {
            let DefKind::Struct(s) = &def.kind else {
                continue;
            };
            // The type's paths only when there are rules to match them against.
            let paths = if self.attrs.has_arc_rules() {
                self.idl_paths(def)
            } else {
                Vec::new()
            };
            for f in &s.fields {
                let asked = annotation(f);
                let member = s.kind == StructKind::Union || self.in_real_oneof(def.id, f);
                if member || !self.arc_worthy(&f.ty) {
                    if let Some(a) = asked {
                        errors.push(
                            Diagnostic::error(a.span, format!("field `{}` cannot be an `Arc`", f.name))
                                .with_label(if member {
                                    "on a union or oneof member"
                                } else {
                                    "on a field that is not a struct, message or container"
                                })
                                .with_note("`Arc` applies to struct and message fields holding a struct, message, list, set or map; strings and binaries already share their buffer"),
                        );
                    }
                    continue;
                }
                if asked.is_some() || self.attrs.arc_field(&paths, &f.name) {
                    set.insert((def.id.0, f.id));
                }
            }
        }
        (set, errors)
    }
}
