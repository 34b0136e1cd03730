//! Rust types for IDL definitions: structs and messages, open enums, unions and oneofs,
//! exceptions, typedefs and constants.

use crate::tokens::quote;
use crate::tokens::{Ident, Tokens};

use kit_idl::ir::{
    ConstValue, Def, DefId, DefKind, Docs, Enum, Field, Language, Presence, Struct, StructKind,
    Type,
};

use crate::context::Context;
use crate::ident;
use crate::layout::ModPath;

/// An identifier from an already escaped name (`r#type` is a raw identifier).
pub fn id(name: &str) -> Ident {
    Ident::new(name)
}

/// A path such as `super::x::Name` as tokens.
pub fn path(p: &str) -> Tokens {
    let segs = p.split("::").map(id);
    quote!(#(#segs)::*)
}

pub fn docs(d: &Docs) -> Tokens {
    crate::docs::attrs(d)
}

impl Context<'_> {
    /// The Rust type of an IDL type, as named from module `from`.
    pub fn rust_type(&self, from: &ModPath, ty: &Type) -> Tokens {
        match ty {
            Type::Bool => quote!(bool),
            Type::I8 => quote!(i8),
            Type::I16 => quote!(i16),
            Type::I32 | Type::SInt32 | Type::SFixed32 => quote!(i32),
            Type::I64 | Type::SInt64 | Type::SFixed64 => quote!(i64),
            Type::U32 | Type::Fixed32 => quote!(u32),
            Type::U64 | Type::Fixed64 => quote!(u64),
            Type::Float => quote!(f32),
            Type::Double => quote!(f64),
            Type::String => quote!(::kit_runtime::ByteStr),
            Type::Bytes => quote!(::kit_runtime::bytes::Bytes),
            Type::Uuid => quote!([u8; 16]),
            Type::List(t) => {
                let t = self.rust_type(from, t);
                quote!(::std::vec::Vec<#t>)
            }
            Type::Set(t) => {
                let inner = self.rust_type(from, t);
                if self.is_hashable(t) {
                    quote!(::kit_runtime::HashSet<#inner>)
                } else {
                    // Floats (and types holding them) cannot be hashed: keep wire order in a Vec.
                    quote!(::std::vec::Vec<#inner>)
                }
            }
            Type::Map(k, v) => {
                let kt = self.rust_type(from, k);
                let vt = self.rust_type(from, v);
                if !self.is_hashable(k) {
                    quote!(::std::vec::Vec<(#kt, #vt)>)
                } else if self.options.btree_maps {
                    quote!(::std::collections::BTreeMap<#kt, #vt>)
                } else {
                    quote!(::kit_runtime::HashMap<#kt, #vt>)
                }
            }
            Type::Ref(d) => path(&self.layout.path_from(from, *d)),
        }
    }

    /// How field `f` of `owner` holds its value: an `Arc` when asked for (see `arc.rs`), else
    /// a `Box` when recursion needs one.
    pub fn field_ptr(&self, owner: DefId, f: &Field) -> Ptr {
        if self.is_arc(owner, f) {
            Ptr::Arc
        } else if self.needs_box(owner, &f.ty) {
            Ptr::Box
        } else {
            Ptr::Value
        }
    }

    /// The type of a struct field, with `Option` and `Box` as presence and recursion need, or
    /// `Arc` as asked.
    pub fn field_type(&self, owner: DefId, from: &ModPath, f: &Field) -> Tokens {
        let mut t = self.rust_type(from, &f.ty);
        match self.field_ptr(owner, f) {
            Ptr::Value => {}
            Ptr::Box => t = quote!(::std::boxed::Box<#t>),
            Ptr::Arc => t = quote!(::std::sync::Arc<#t>),
        }
        if self.field_is_option(owner, f) {
            t = quote!(::std::option::Option<#t>);
        }
        t
    }

    /// Fields stored as `Option<T>`: optional ones, Protobuf message fields (which always have
    /// presence), and fields that hold their own struct by value (`struct L { 1: L next }`
    /// would otherwise be an infinite type; Apache's Rust generator does the same).
    pub fn field_is_option(&self, owner: DefId, f: &Field) -> bool {
        if self.in_real_oneof(owner, f) {
            return false;
        }
        if self.needs_box(owner, &f.ty) {
            return true;
        }
        match f.presence {
            Presence::Optional => true,
            Presence::Required => false,
            Presence::Default => {
                f.proto.is_some()
                    && !matches!(f.ty, Type::List(_) | Type::Map(..))
                    && matches!(self.resolve(&f.ty), Type::Ref(d) if matches!(self.ir.def(*d).kind, DefKind::Struct(_)))
            }
        }
    }

    /// The field is a member of a (non-synthetic) oneof, so it lives in the oneof's enum.
    /// proto3 `optional` fields sit in synthetic oneofs and are plain `Option` fields.
    pub fn in_real_oneof(&self, owner: DefId, f: &Field) -> bool {
        let Some(i) = f.oneof else { return false };
        match &self.ir.def(owner).kind {
            DefKind::Struct(s) => s.oneofs.get(i as usize).is_some_and(|o| !o.synthetic),
            _ => false,
        }
    }

    pub fn gen_def(&self, def: &Def) -> Tokens {
        match &def.kind {
            DefKind::Struct(s) if s.kind == StructKind::Union => self.gen_union(def, s),
            DefKind::Struct(s) => self.gen_struct(def, s),
            DefKind::Enum(e) => self.gen_enum(def, e),
            DefKind::Alias(t) => {
                let from = self.layout.def_module(def.id);
                let name = id(self.layout.def_name(def.id));
                let t = self.rust_type(from, t);
                let doc = docs(&def.docs);
                quote!(#doc pub type #name = #t;)
            }
            DefKind::Const(c) => {
                let from = self.layout.def_module(def.id);
                let name = id(&ident::const_name(&def.name));
                let doc = docs(&def.docs);
                let ty = self.rust_type(from, &c.ty);
                let value = self.const_value(from, &c.ty, &c.value);
                if self.is_const_expr(&c.ty) {
                    quote!(#doc pub const #name: #ty = #value;)
                } else {
                    quote! {
                        #doc pub static #name: ::std::sync::LazyLock<#ty> =
                            ::std::sync::LazyLock::new(|| #value);
                    }
                }
            }
            DefKind::Service(_) => quote!(),
        }
    }

    /// A definition's IDL paths for attribute rules (see [`crate::attrs`]): `.full.name`, and
    /// for Thrift `.namespace.Name` too. None for the Thrift service structs kit adds.
    pub(crate) fn idl_paths(&self, def: &Def) -> Vec<String> {
        if def.id.0 as usize >= self.user_defs {
            return Vec::new();
        }
        let mut paths = vec![format!(".{}", def.full_name)];
        let file = self.ir.file(def.file);
        if file.language == Language::Thrift {
            if let Some(ns) = &file.package {
                let p = format!(".{ns}.{}", def.name);
                if !paths.contains(&p) {
                    paths.push(p);
                }
            }
        }
        paths
    }

    fn derives(&self, def: &Def, default: bool) -> Tokens {
        let mut d = vec![quote!(Debug), quote!(Clone), quote!(PartialEq)];
        if self.def_hashable(def.id) {
            d.push(quote!(Eq));
            d.push(quote!(Hash));
        }
        if default {
            d.push(quote!(Default));
        }
        quote!(#[derive(#(#d),*)])
    }

    fn gen_struct(&self, def: &Def, s: &Struct) -> Tokens {
        let from = self.layout.def_module(def.id);
        let name = id(self.layout.def_name(def.id));
        let doc = docs(&def.docs);
        let nested_mod = {
            let mut m = from.clone();
            m.push(ident::module_name(&def.name));
            m
        };
        let paths = self.idl_paths(def);
        let extra = self.attrs.for_type(&paths);
        let mut fields = Vec::new();
        for f in s.fields.iter().filter(|f| !self.in_real_oneof(def.id, f)) {
            let fname = id(&ident::field_name(&f.name));
            let fdoc = docs(&f.docs);
            let fattrs = self.attrs.for_field(&paths, &f.name);
            let ty = self.field_type(def.id, from, f);
            fields.push(quote!(#fdoc #fattrs pub #fname: #ty,));
        }
        for o in &s.oneofs {
            if o.synthetic {
                continue;
            }
            let fname = id(&ident::field_name(&o.name));
            let odoc = docs(&o.docs);
            let oattrs = self.attrs.for_field(&paths, &o.name);
            let ty = path(&format!(
                "{}{}",
                crate::layout::relative_module(from, &nested_mod),
                ident::type_name(&o.name)
            ));
            fields.push(quote!(#odoc #oattrs pub #fname: ::std::option::Option<#ty>,));
        }
        let is_proto = s.proto.is_some() || self.ir.file(def.file).language != Language::Thrift;
        if is_proto {
            let skip = self.options.serde.then(|| quote!(#[serde(skip)]));
            fields.push(quote!(#skip pub unknown_fields: ::kit_runtime::protobuf::UnknownFields,));
        }
        let has_defaults = s
            .fields
            .iter()
            .any(|f| f.default.is_some() && !self.field_is_option(def.id, f));
        let defaultable = self.is_defaultable(def.id);
        let derives = self.derives(def, (!has_defaults || is_proto) && defaultable);
        let default_impl = if has_defaults && !is_proto && defaultable {
            self.default_impl(def, s)
        } else {
            quote!()
        };
        let error_impl = if s.kind == StructKind::Exception {
            let text = format!("{} ({{:?}})", def.name);
            quote! {
                impl ::std::fmt::Display for #name {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        write!(f, #text, self)
                    }
                }
                impl ::std::error::Error for #name {}
            }
        } else {
            quote!()
        };
        // Deeply nested containers are the IDL's shape, not something to factor out.
        let allow = if s.fields.iter().any(|f| container_depth(&f.ty) >= 2) {
            quote!(#[allow(clippy::type_complexity)])
        } else {
            quote!()
        };
        let accessors = self.default_accessors(def, s);
        quote! {
            #doc
            #derives
            #allow
            #extra
            pub struct #name { #(#fields)* }
            #default_impl
            #accessors
            #error_impl
        }
    }

    fn default_impl(&self, def: &Def, s: &Struct) -> Tokens {
        let from = self.layout.def_module(def.id);
        let name = id(self.layout.def_name(def.id));
        let inits = s.fields.iter().map(|f| {
            let fname = id(&ident::field_name(&f.name));
            match (&f.default, self.field_is_option(def.id, f)) {
                (Some(v), false) => {
                    let value = self
                        .field_ptr(def.id, f)
                        .wrap(self.const_value(from, &f.ty, v));
                    quote!(#fname: #value,)
                }
                _ => quote!(#fname: ::std::default::Default::default(),),
            }
        });
        quote! {
            impl ::std::default::Default for #name {
                fn default() -> Self {
                    #name { #(#inits)* }
                }
            }
        }
    }

    fn gen_union(&self, def: &Def, s: &Struct) -> Tokens {
        let from = self.layout.def_module(def.id);
        let name = id(self.layout.def_name(def.id));
        let doc = docs(&def.docs);
        let derives = self.derives(def, false);
        let paths = self.idl_paths(def);
        let extra = self.attrs.for_type(&paths);
        let variants = s.fields.iter().map(|f| {
            let v = id(&ident::variant_name(&f.name));
            let fdoc = docs(&f.docs);
            let fattrs = self.attrs.for_field(&paths, &f.name);
            let mut ty = self.rust_type(from, &f.ty);
            if self.needs_box(def.id, &f.ty) {
                ty = quote!(::std::boxed::Box<#ty>);
            }
            quote!(#fdoc #fattrs #v(#ty),)
        });
        quote! {
            #doc
            #derives
            #[allow(clippy::large_enum_variant)]
            #extra
            pub enum #name { #(#variants)* }
        }
    }

    /// Protobuf oneofs of a message, as enums in the message's nested module.
    pub fn gen_oneofs(&self, def: &Def, s: &Struct) -> Tokens {
        let mut nested_mod = self.layout.def_module(def.id).clone();
        nested_mod.push(ident::module_name(&def.name));
        let mut out = Tokens::new();
        let def_paths = self.idl_paths(def);
        for (i, o) in s.oneofs.iter().enumerate() {
            if o.synthetic {
                continue;
            }
            let paths: Vec<String> = def_paths
                .iter()
                .map(|p| format!("{p}.{}", o.name))
                .collect();
            let extra = self.attrs.for_type(&paths);
            let name = id(&ident::type_name(&o.name));
            let doc = docs(&o.docs);
            let members: Vec<&Field> = s
                .fields
                .iter()
                .filter(|f| f.oneof == Some(i as u32))
                .collect();
            let hashable = members.iter().all(|f| self.is_hashable(&f.ty));
            let eq = if hashable {
                quote!(, Eq, Hash)
            } else {
                quote!()
            };
            let variants = members.iter().map(|f| {
                let v = id(&ident::variant_name(&f.name));
                let fdoc = docs(&f.docs);
                let fattrs = self.attrs.for_field(&paths, &f.name);
                let mut ty = self.rust_type(&nested_mod, &f.ty);
                if self.needs_box(def.id, &f.ty) {
                    ty = quote!(::std::boxed::Box<#ty>);
                }
                quote!(#fdoc #fattrs #v(#ty),)
            });
            out.extend(quote! {
                #doc
                #[derive(Debug, Clone, PartialEq #eq)]
                #[allow(clippy::large_enum_variant)]
                #extra
                pub enum #name { #(#variants)* }
            });
        }
        out
    }

    fn gen_enum(&self, def: &Def, e: &Enum) -> Tokens {
        let name = id(self.layout.def_name(def.id));
        let extra = self.attrs.for_type(&self.idl_paths(def));
        let doc = docs(&def.docs);
        let mut seen = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        let consts = e
            .values
            .iter()
            .filter(|v| names.insert(ident::const_name(&v.name)))
            .map(|v| {
                let c = id(&ident::const_name(&v.name));
                let n = crate::tokens::Lit::i32_unsuffixed(v.value);
                let vdoc = docs(&v.docs);
                quote!(#vdoc pub const #c: #name = #name(#n);)
            });
        // Names for Debug and `name()`: the first name of each value (aliases share a number).
        let arms: Vec<Tokens> = e
            .values
            .iter()
            .filter(|v| seen.insert(v.value))
            .map(|v| {
                let n = crate::tokens::Lit::i32_unsuffixed(v.value);
                let s = &v.name;
                quote!(#n => ::std::option::Option::Some(#s),)
            })
            .collect();
        let mut from_seen = std::collections::HashSet::new();
        let from_arms = e
            .values
            .iter()
            .filter(|v| from_seen.insert(v.name.as_str()))
            .map(|v| {
                let s = &v.name;
                let c = id(&ident::const_name(&v.name));
                quote!(#s => ::std::option::Option::Some(#name::#c),)
            });
        let first = e.values.first().map(|v| v.value).unwrap_or(0);
        let default = crate::tokens::Lit::i32_unsuffixed(first);
        // The default is the first value (proto3 requires it to be 0; Thrift's may not be).
        let (derive_default, default_impl) = if first == 0 {
            (quote!(, Default), quote!())
        } else {
            (
                quote!(),
                quote! {
                    impl ::std::default::Default for #name {
                        fn default() -> Self { #name(#default) }
                    }
                },
            )
        };
        quote! {
            #doc
            /// An open enum: values not listed in the IDL are kept, not rejected.
            #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord #derive_default)]
            #extra
            pub struct #name(pub i32);
            impl #name {
                #(#consts)*
                /// The IDL name of this value, if it has one.
                pub fn name(&self) -> ::std::option::Option<&'static str> {
                    match self.0 { #(#arms)* _ => ::std::option::Option::None }
                }
                /// The value with this IDL name.
                pub fn from_name(name: &str) -> ::std::option::Option<#name> {
                    match name { #(#from_arms)* _ => ::std::option::Option::None }
                }
            }
            #default_impl
            impl ::std::fmt::Debug for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    match self.name() {
                        ::std::option::Option::Some(n) => f.write_str(n),
                        ::std::option::Option::None => write!(f, "{}", self.0),
                    }
                }
            }
            impl ::kit_runtime::Enum for #name {
                fn value(&self) -> i32 { self.0 }
                fn from_value(v: i32) -> Self { #name(v) }
            }
            impl ::std::convert::From<i32> for #name {
                fn from(v: i32) -> Self { #name(v) }
            }
            impl ::std::convert::From<#name> for i32 {
                fn from(v: #name) -> i32 { v.0 }
            }
        }
    }

    /// Types whose constants can be Rust `const` items (no heap allocation).
    fn is_const_expr(&self, ty: &Type) -> bool {
        match self.resolve(ty) {
            Type::List(_) | Type::Set(_) | Type::Map(..) => false,
            Type::Ref(d) => !matches!(self.ir.def(*d).kind, DefKind::Struct(_)),
            _ => true,
        }
    }

    /// A constant value as an expression of the Rust type of `ty`.
    pub fn const_value(&self, from: &ModPath, ty: &Type, v: &ConstValue) -> Tokens {
        let ty = self.resolve(ty);
        match (ty, v) {
            (Type::Bool, ConstValue::Bool(b)) => quote!(#b),
            (Type::Bool, ConstValue::Int(i)) => {
                let b = *i != 0;
                quote!(#b)
            }
            (Type::Float, ConstValue::Double(d)) => float32(*d as f32),
            (Type::Float, ConstValue::Int(i)) => float32(*i as f32),
            (Type::Double, ConstValue::Double(d)) => float64(*d),
            (Type::Double, ConstValue::Int(i)) => float64(*i as f64),
            (Type::String, ConstValue::Str(s)) => {
                quote!(::kit_runtime::ByteStr::from_static(#s))
            }
            (Type::Bytes, ConstValue::Str(s)) => {
                let b = crate::tokens::Lit::byte_string(s.as_bytes());
                quote!(::kit_runtime::bytes::Bytes::from_static(#b))
            }
            (Type::Bytes, ConstValue::Bytes(b)) => {
                let b = crate::tokens::Lit::byte_string(b);
                quote!(::kit_runtime::bytes::Bytes::from_static(#b))
            }
            (Type::List(t), ConstValue::List(items)) => {
                let items = items.iter().map(|i| self.const_value(from, t, i));
                quote!(::std::vec![#(#items),*])
            }
            (Type::Set(t), ConstValue::List(items)) => {
                let items = items.iter().map(|i| self.const_value(from, t, i));
                if self.is_hashable(t) {
                    quote!(::std::iter::FromIterator::from_iter([#(#items),*]))
                } else {
                    quote!(::std::vec![#(#items),*])
                }
            }
            (Type::Map(k, val), ConstValue::Map(entries)) => {
                let entries = entries.iter().map(|(a, b)| {
                    let a = self.const_value(from, k, a);
                    let b = self.const_value(from, val, b);
                    quote!((#a, #b))
                });
                if !self.is_hashable(k) {
                    quote!(::std::vec![#(#entries),*])
                } else {
                    quote!(::std::iter::FromIterator::from_iter([#(#entries),*]))
                }
            }
            (Type::Ref(d), ConstValue::Enum { value, .. }) => {
                let p = path(&self.layout.path_from(from, *d));
                quote!(#p(#value))
            }
            (Type::Ref(d), ConstValue::Int(value))
                if matches!(self.ir.def(*d).kind, DefKind::Enum(_)) =>
            {
                let p = path(&self.layout.path_from(from, *d));
                let n = *value as i32;
                quote!(#p(#n))
            }
            (Type::Ref(d), ConstValue::Struct { fields, .. }) => {
                let p = path(&self.layout.path_from(from, *d));
                let DefKind::Struct(s) = &self.ir.def(*d).kind else {
                    return quote!(::std::default::Default::default());
                };
                // A field's value as the struct stores it (boxed, in an `Option`).
                let stored = |f: &kit_idl::ir::Field, val: &ConstValue| {
                    self.field_ptr(*d, f)
                        .wrap(self.const_value(from, &f.ty, val))
                };
                if s.kind == StructKind::Union {
                    // One variant: the last member given, as decoding keeps the last one read
                    // (`consts::check` rejects a union constant that gives none).
                    let Some((f, val)) = fields.iter().rev().find_map(|(fid, val)| {
                        Some((s.fields.iter().find(|f| f.id == *fid)?, val))
                    }) else {
                        return quote!(::std::default::Default::default());
                    };
                    let v = id(&ident::variant_name(&f.name));
                    let value = stored(f, val);
                    return quote!(#p::#v(#value));
                }
                let given = |f: &kit_idl::ir::Field| {
                    fields.iter().find(|(fid, _)| *fid == f.id).map(|(_, v)| v)
                };
                let inits = s.fields.iter().filter_map(|f| {
                    let fname = id(&ident::field_name(&f.name));
                    let option = self.field_is_option(*d, f);
                    let value = match given(f) {
                        Some(val) if option => {
                            let value = stored(f, val);
                            quote!(::std::option::Option::Some(#value))
                        }
                        Some(val) => stored(f, val),
                        // The rest come from `..Default::default()` when the struct has one.
                        None if self.is_defaultable(*d) => return None,
                        // Without `Default` every field is spelled out, as `Default` would
                        // make it (`consts::check` rejects omitting a field that has none).
                        None => match &f.default {
                            Some(val) if !option => stored(f, val),
                            _ if option => quote!(::std::option::Option::None),
                            _ => quote!(::std::default::Default::default()),
                        },
                    };
                    Some(quote!(#fname: #value,))
                });
                // (Not after every field: clippy's `needless_update`.)
                let rest = if self.is_defaultable(*d) && s.fields.iter().any(|f| given(f).is_none())
                {
                    quote!(..::std::default::Default::default())
                } else {
                    quote!()
                };
                quote!(#p { #(#inits)* #rest })
            }
            (_, ConstValue::Int(i)) => int_literal(ty, *i),
            // The front end type-checks constants; anything else is a default value.
            _ => quote!(::std::default::Default::default()),
        }
    }
}

/// How a field holds its value (see [`Context::field_ptr`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ptr {
    Value,
    Box,
    Arc,
}

impl Ptr {
    /// `value` as the field holds it.
    pub fn wrap(self, value: Tokens) -> Tokens {
        match self {
            Ptr::Value => value,
            Ptr::Box => quote!(::std::boxed::Box::new(#value)),
            Ptr::Arc => quote!(::std::sync::Arc::new(#value)),
        }
    }
}

fn container_depth(ty: &Type) -> usize {
    match ty {
        Type::List(t) | Type::Set(t) => 1 + container_depth(t),
        Type::Map(k, v) => 1 + container_depth(k).max(container_depth(v)),
        _ => 0,
    }
}

fn int_literal(ty: &Type, i: i64) -> Tokens {
    match ty {
        Type::I8 => {
            let v = i as i8;
            quote!(#v)
        }
        Type::I16 => {
            let v = i as i16;
            quote!(#v)
        }
        Type::I32 | Type::SInt32 | Type::SFixed32 => {
            let v = i as i32;
            quote!(#v)
        }
        Type::U32 | Type::Fixed32 => {
            let v = i as u32;
            quote!(#v)
        }
        Type::U64 | Type::Fixed64 => {
            let v = i as u64;
            quote!(#v)
        }
        _ => quote!(#i),
    }
}

fn float64(d: f64) -> Tokens {
    if d.is_nan() {
        quote!(f64::NAN)
    } else if d.is_infinite() {
        if d > 0.0 {
            quote!(f64::INFINITY)
        } else {
            quote!(f64::NEG_INFINITY)
        }
    } else {
        quote!(#d)
    }
}

fn float32(d: f32) -> Tokens {
    if d.is_nan() {
        quote!(f32::NAN)
    } else if d.is_infinite() {
        if d > 0.0 {
            quote!(f32::INFINITY)
        } else {
            quote!(f32::NEG_INFINITY)
        }
    } else {
        quote!(#d)
    }
}
