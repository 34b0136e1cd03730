//! Default-value accessors: `fn x_or_default(&self) -> T` for optional fields that declare a
//! default in the IDL (Thrift `optional i32 x = 5`, proto2 `optional int32 x = 1 [default = 5]`).
//!
//! Such a field is an `Option` (absent on the wire is `None`, as Apache's Rust generator and
//! prost read it), and the accessor gives the value a reader should use: the field's value, or
//! the IDL default when it is absent. prost names its accessor after the field (`fn x()`); kit
//! adds `_or_default` so an accessor can never shadow a trait method a generated or user type
//! calls (a field named `clone`, `write` or `encode` is legal IDL).

use crate::tokens::format_ident;
use crate::tokens::Tokens;

use crate::tokens::quote;

use kit_idl::ir::{Def, DefKind, Struct, Type};

use crate::context::Context;
use crate::ident;
use crate::types::id;

impl Context<'_> {
    /// The `impl` block with the accessors of `s`, or nothing if no field needs one.
    pub(crate) fn default_accessors(&self, def: &Def, s: &Struct) -> Tokens {
        let from = self.layout.def_module(def.id);
        let name = id(self.layout.def_name(def.id));
        let fns: Vec<Tokens> = s
            .fields
            .iter()
            .filter(|f| !self.in_real_oneof(def.id, f) && self.field_is_option(def.id, f))
            .filter(|f| !self.needs_box(def.id, &f.ty))
            .filter_map(|f| {
                let v = f.default.as_ref()?;
                let copy = match self.resolve(&f.ty) {
                    Type::String | Type::Bytes => false,
                    Type::Ref(d) if matches!(self.ir.def(*d).kind, DefKind::Enum(_)) => true,
                    Type::List(_) | Type::Set(_) | Type::Map(..) | Type::Ref(_) => return None,
                    _ => true,
                };
                let field = ident::field_name(&f.name);
                let fname = id(&field);
                let accessor = format_ident!("{}_or_default", field.trim_start_matches("r#"));
                let ty = self.rust_type(from, &f.ty);
                let value = self.const_value(from, &f.ty, v);
                let doc = format!(" `{}`, or its IDL default when absent.", f.name);
                let body = if copy {
                    quote!(self.#fname.unwrap_or(#value))
                } else {
                    quote! {
                        match &self.#fname {
                            ::std::option::Option::Some(v) => ::std::clone::Clone::clone(v),
                            ::std::option::Option::None => #value,
                        }
                    }
                };
                Some(quote! {
                    #[doc = #doc]
                    pub fn #accessor(&self) -> #ty { #body }
                })
            })
            .collect();
        if fns.is_empty() {
            return quote!();
        }
        quote! {
            impl #name { #(#fns)* }
        }
    }
}
