//! `ThriftStruct` impls: one generic `write`/`read` per struct, union and exception, serving the
//! binary and compact protocols alike (the runtime's `Writer`/`Reader` are monomorphised).

use crate::tokens::format_ident;
use crate::tokens::Tokens;

use crate::tokens::quote;

use kit_idl::ir::{Def, DefId, DefKind, Field, Struct, StructKind, Type};

use crate::context::Context;
use crate::ident;
use crate::layout::ModPath;
use crate::types::{id, path, Ptr};

/// `__rt::thrift::<item>` (see `kit_runtime::__rt`).
/// `rt!(helpers::read_list)`: the path `__rt::thrift::helpers::read_list`, its tokens
/// constant (built at compile time, as any `quote!` body).
macro_rules! rt {
    ($($seg:ident)::+) => {
        quote!(__rt::thrift::$($seg)::+)
    };
}

/// How generated code reaches a value it writes.
enum Val {
    /// A place of type `T`, such as `self.field`.
    Place(Tokens),
    /// A variable of type `&T`, such as a closure argument.
    Ref(Tokens),
}

impl Val {
    /// The value itself, for `Copy` scalars.
    fn copy(&self) -> Tokens {
        match self {
            Val::Place(p) => p.clone(),
            Val::Ref(r) => quote!(*#r),
        }
    }
    /// A `&T`.
    fn by_ref(&self) -> Tokens {
        match self {
            Val::Place(p) => quote!(&#p),
            Val::Ref(r) => r.clone(),
        }
    }
    /// The `i32` inside an open enum.
    fn field0(&self) -> Tokens {
        match self {
            Val::Place(p) | Val::Ref(p) => quote!(#p.0),
        }
    }
}

/// `has_<field>`: the flag a reader sets when a required field was read.
fn required_flag(f: &Field) -> crate::tokens::Ident {
    format_ident!(
        "has_{}",
        ident::field_name(&f.name).trim_start_matches("r#")
    )
}

impl Context<'_> {
    /// The Thrift wire type of an IDL type.
    pub fn ttype(&self, ty: &Type) -> Tokens {
        let t = match self.resolve(ty) {
            Type::Bool => "Bool",
            Type::I8 => "I8",
            Type::I16 => "I16",
            Type::I32 | Type::SInt32 | Type::SFixed32 | Type::U32 | Type::Fixed32 => "I32",
            Type::I64 | Type::SInt64 | Type::SFixed64 | Type::U64 | Type::Fixed64 => "I64",
            Type::Float | Type::Double => "Double",
            Type::String | Type::Bytes => "String",
            Type::Uuid => "Uuid",
            Type::List(_) => "List",
            Type::Set(_) => "Set",
            Type::Map(..) => "Map",
            Type::Ref(d) => match self.ir.def(*d).kind {
                DefKind::Enum(_) => "I32",
                _ => "Struct",
            },
        };
        let t = crate::tokens::Ident::from_static(t);
        let tt = rt!(TType);
        quote!(#tt::#t)
    }

    /// A call writing a whole field of a scalar, string, binary, uuid or enum type with one of
    /// the writer's `*_field` methods; `None` for structs and containers.
    fn field_call(&self, ty: &Type, fid: &crate::tokens::Lit, v: &Val) -> Option<Tokens> {
        let copy = v.copy();
        let by_ref = v.by_ref();
        Some(match self.resolve(ty) {
            Type::Bool => quote!(w.bool_field(#fid, #copy)),
            Type::I8 => quote!(w.i8_field(#fid, #copy)),
            Type::I16 => quote!(w.i16_field(#fid, #copy)),
            Type::I32 | Type::SInt32 | Type::SFixed32 => quote!(w.i32_field(#fid, #copy)),
            Type::U32 | Type::Fixed32 => quote!(w.i32_field(#fid, #copy as i32)),
            Type::I64 | Type::SInt64 | Type::SFixed64 => quote!(w.i64_field(#fid, #copy)),
            Type::U64 | Type::Fixed64 => quote!(w.i64_field(#fid, #copy as i64)),
            Type::Float => quote!(w.double_field(#fid, f64::from(#copy))),
            Type::Double => quote!(w.double_field(#fid, #copy)),
            Type::String => quote!(w.string_field(#fid, #by_ref)),
            Type::Bytes => quote!(w.binary_field(#fid, #by_ref)),
            Type::Uuid => quote!(w.uuid_field(#fid, #by_ref)),
            Type::Ref(d) if matches!(self.ir.def(*d).kind, DefKind::Enum(_)) => {
                let n = v.field0();
                quote!(w.i32_field(#fid, #n))
            }
            _ => return None,
        })
    }

    /// An expression writing `v` with writer `w`.
    fn write_value(&self, from: &ModPath, ty: &Type, v: Val, depth: usize) -> Tokens {
        let copy = v.copy();
        let by_ref = v.by_ref();
        match self.resolve(ty) {
            Type::Bool => quote!(w.write_bool(#copy)),
            Type::I8 => quote!(w.write_i8(#copy)),
            Type::I16 => quote!(w.write_i16(#copy)),
            Type::I32 | Type::SInt32 | Type::SFixed32 => quote!(w.write_i32(#copy)),
            Type::U32 | Type::Fixed32 => quote!(w.write_i32(#copy as i32)),
            Type::I64 | Type::SInt64 | Type::SFixed64 => quote!(w.write_i64(#copy)),
            Type::U64 | Type::Fixed64 => quote!(w.write_i64(#copy as i64)),
            Type::Float => quote!(w.write_double(f64::from(#copy))),
            Type::Double => quote!(w.write_double(#copy)),
            Type::String => quote!(w.write_string(#by_ref)),
            Type::Bytes => quote!(w.write_binary(#by_ref)),
            Type::Uuid => quote!(w.write_uuid(#by_ref)),
            Type::List(t) | Type::Set(t) => {
                let e = format_ident!("e{}", depth);
                let tt = self.ttype(t);
                let inner = self.write_value(from, t, Val::Ref(quote!(#e)), depth + 1);
                let f = if matches!(self.resolve(ty), Type::List(_)) {
                    rt!(helpers::write_list)
                } else {
                    rt!(helpers::write_set)
                };
                quote!(#f(w, #tt, #by_ref, |w, #e| #inner))
            }
            Type::Map(k, val) => {
                let ke = format_ident!("k{}", depth);
                let ve = format_ident!("v{}", depth);
                let kt = self.ttype(k);
                let vt = self.ttype(val);
                let kw = self.write_value(from, k, Val::Ref(quote!(#ke)), depth + 1);
                let vw = self.write_value(from, val, Val::Ref(quote!(#ve)), depth + 1);
                let f = rt!(helpers::write_map);
                let entries = if self.is_hashable(k) {
                    by_ref
                } else {
                    quote!(#by_ref.iter().map(|(k, v)| (k, v)))
                };
                quote!(#f(w, #kt, #vt, #entries, |w, #ke| #kw, |w, #ve| #vw))
            }
            Type::Ref(d) => match self.ir.def(*d).kind {
                DefKind::Enum(_) => {
                    let n = v.field0();
                    quote!(w.write_i32(#n))
                }
                _ => {
                    let ts = rt!(ThriftStruct);
                    let p = path(&self.layout.path_from(from, *d));
                    quote!(<#p as #ts>::write(#by_ref, w))
                }
            },
        }
    }

    /// An expression of type `Result<T, DecodeError>` reading a `T` with reader `r` (a
    /// `Box<T>` or `Arc<T>` as `ptr` says).
    fn read_value(&self, from: &ModPath, ty: &Type, ptr: Ptr) -> Tokens {
        let read = match self.resolve(ty) {
            Type::Bool => quote!(r.read_bool()),
            Type::I8 => quote!(r.read_i8()),
            Type::I16 => quote!(r.read_i16()),
            Type::I32 | Type::SInt32 | Type::SFixed32 => quote!(r.read_i32()),
            Type::U32 | Type::Fixed32 => quote!(r.read_i32().map(|v| v as u32)),
            Type::I64 | Type::SInt64 | Type::SFixed64 => quote!(r.read_i64()),
            Type::U64 | Type::Fixed64 => quote!(r.read_i64().map(|v| v as u64)),
            Type::Float => quote!(r.read_double().map(|v| v as f32)),
            Type::Double => quote!(r.read_double()),
            Type::String => quote!(r.read_string()),
            Type::Bytes => quote!(r.read_binary()),
            Type::Uuid => quote!(r.read_uuid()),
            Type::List(t) => {
                let inner = self.read_value(from, t, Ptr::Value);
                let f = rt!(helpers::read_list);
                quote!(#f(r, |r| #inner))
            }
            Type::Set(t) => {
                let inner = self.read_value(from, t, Ptr::Value);
                let f = rt!(helpers::read_set);
                quote!(#f(r, |r| #inner))
            }
            Type::Map(k, v) => {
                let kr = self.read_value(from, k, Ptr::Value);
                let vr = self.read_value(from, v, Ptr::Value);
                let f = rt!(helpers::read_map);
                quote!(#f(r, |r| #kr, |r| #vr))
            }
            Type::Ref(d) => {
                let p = path(&self.layout.path_from(from, *d));
                match self.ir.def(*d).kind {
                    DefKind::Enum(_) => quote!(r.read_i32().map(#p)),
                    _ => {
                        let ts = rt!(ThriftStruct);
                        quote!(<#p as #ts>::read(r))
                    }
                }
            }
        };
        match ptr {
            Ptr::Value => read,
            Ptr::Box => quote!(#read.map(__rt::Box::new)),
            Ptr::Arc => quote!(#read.map(__rt::Arc::new)),
        }
    }

    pub fn gen_thrift_impl(&self, def: &Def) -> Tokens {
        let DefKind::Struct(s) = &def.kind else {
            return quote!();
        };
        if s.kind == StructKind::Union {
            return self.gen_thrift_union(def, s);
        }
        let from = self.layout.def_module(def.id);
        let name = id(self.layout.def_name(def.id));
        let sname = &def.name;
        let writes = s.fields.iter().map(|f| self.write_field(def.id, from, f));
        let mut required_flags = Vec::new();
        let mut required_checks = Vec::new();
        let arms = s.fields.iter().map(|f| {
            let fname = id(&ident::field_name(&f.name));
            let raw = &f.name;
            let set_flag = if f.presence == kit_idl::ir::Presence::Required {
                let flag = required_flag(f);
                required_flags.push(quote!(let mut #flag = false;));
                let err = quote!(__rt::DecodeError);
                required_checks.push(quote! {
                    if !#flag {
                        return __rt::Err(#err::missing_field(#raw).with_field(#sname, #raw));
                    }
                });
                quote!(#flag = true;)
            } else {
                quote!()
            };
            self.read_arm(def, from, f, |read| quote!(out.#fname = #read;), set_flag)
        });
        let arms: Vec<Tokens> = arms.collect();
        if !self.is_defaultable(def.id) {
            return self.gen_thrift_impl_locals(
                def,
                s,
                writes.collect(),
                required_flags,
                required_checks,
            );
        }
        let ts = rt!(ThriftStruct);
        let w_trait = rt!(Writer);
        let r_trait = rt!(Reader);
        let tt = rt!(TType);
        quote! {
            impl #ts for #name {
                fn write<W: #w_trait>(&self, w: &mut W) {
                    w.write_struct_begin();
                    #(#writes)*
                    w.write_field_stop();
                    w.write_struct_end();
                }
                #[inline]
                fn read<R: #r_trait>(r: &mut R) -> __rt::Result<Self, __rt::DecodeError> {
                    #[allow(unused_mut)]
                    let mut out = <#name as __rt::Default>::default();
                    #(#required_flags)*
                    r.read_struct_begin()?;
                    loop {
                        let f = r.read_field_begin()?;
                        match (f.id, f.ttype) {
                            (_, #tt::Stop) => break,
                            #(#arms)*
                            (_, t) => r.skip(t)?,
                        }
                        r.read_field_end()?;
                    }
                    r.read_struct_end()?;
                    #(#required_checks)*
                    __rt::Ok(out)
                }
            }
        }
    }

    /// `ThriftStruct` for a struct without `Default` (it holds a union by value): the reader
    /// collects every field in a local, starting from its default (the IDL's, else
    /// `Default::default()`); fields without a default start as `None` and are missing if
    /// still `None` at the end, whatever their requiredness (no value could stand in).
    fn gen_thrift_impl_locals(
        &self,
        def: &Def,
        s: &Struct,
        writes: Vec<Tokens>,
        required_flags: Vec<Tokens>,
        required_checks: Vec<Tokens>,
    ) -> Tokens {
        let from = self.layout.def_module(def.id);
        let name = id(self.layout.def_name(def.id));
        let sname = &def.name;
        let local =
            |f: &Field| format_ident!("f_{}", ident::field_name(&f.name).trim_start_matches("r#"));
        let mut inits = Vec::new();
        let mut arms = Vec::new();
        let mut takes = Vec::new();
        let mut fields = Vec::new();
        for f in &s.fields {
            let fname = id(&ident::field_name(&f.name));
            let l = local(f);
            let raw = &f.name;
            let option = self.field_is_option(def.id, f);
            let flag = (f.presence == kit_idl::ir::Presence::Required).then(|| {
                let flag = required_flag(f);
                quote!(#flag = true;)
            });
            if self.field_blocks_default(def.id, f) {
                inits.push(quote!(let mut #l = __rt::None;));
                arms.push(self.read_arm(
                    def,
                    from,
                    f,
                    |read| quote!(#l = __rt::Some(#read);),
                    quote!(#flag),
                ));
                takes.push(quote! {
                    let __rt::Some(#l) = #l else {
                        return __rt::Err(__rt::DecodeError::missing_field(#raw).with_field(#sname, #raw));
                    };
                });
            } else {
                let init = match (&f.default, option) {
                    (Some(v), false) => self
                        .field_ptr(def.id, f)
                        .wrap(self.const_value(from, &f.ty, v)),
                    _ => quote!(__rt::Default::default()),
                };
                inits.push(quote!(let mut #l = #init;));
                arms.push(self.read_arm(def, from, f, |read| quote!(#l = #read;), quote!(#flag)));
            }
            fields.push(quote!(#fname: #l,));
        }
        let ts = rt!(ThriftStruct);
        let w_trait = rt!(Writer);
        let r_trait = rt!(Reader);
        let tt = rt!(TType);
        quote! {
            impl #ts for #name {
                fn write<W: #w_trait>(&self, w: &mut W) {
                    w.write_struct_begin();
                    #(#writes)*
                    w.write_field_stop();
                    w.write_struct_end();
                }
                #[inline]
                fn read<R: #r_trait>(r: &mut R) -> __rt::Result<Self, __rt::DecodeError> {
                    #(#inits)*
                    #(#required_flags)*
                    r.read_struct_begin()?;
                    loop {
                        let f = r.read_field_begin()?;
                        match (f.id, f.ttype) {
                            (_, #tt::Stop) => break,
                            #(#arms)*
                            (_, t) => r.skip(t)?,
                        }
                        r.read_field_end()?;
                    }
                    r.read_struct_end()?;
                    #(#required_checks)*
                    #(#takes)*
                    __rt::Ok(#name { #(#fields)* })
                }
            }
        }
    }

    /// The reader's match arm for field `f`: `(id, ttype) => { <assign(read)> <after> }`,
    /// where `read` is the field's value read (wrapped in `Some` for an `Option` field) with
    /// its error located at `Struct.field`, and `assign` stores it (in `out.field` or in a
    /// local).
    fn read_arm(
        &self,
        def: &Def,
        from: &ModPath,
        f: &Field,
        assign: impl FnOnce(Tokens) -> Tokens,
        after: Tokens,
    ) -> Tokens {
        let fid = crate::tokens::Lit::i16_unsuffixed(f.id as i16);
        let tt = self.ttype(&f.ty);
        let sname = &def.name;
        let raw = &f.name;
        let mut read = self.read_value(from, &f.ty, self.field_ptr(def.id, f));
        if self.field_is_option(def.id, f) {
            read = quote!(#read.map(__rt::Some));
        }
        let assign = assign(quote!(__rt::ResultExt::in_field(#read, #sname, #raw)?));
        quote! {
            (#fid, #tt) => {
                #assign
                #after
            }
        }
    }

    fn write_field(&self, owner: DefId, from: &ModPath, f: &Field) -> Tokens {
        let fid = crate::tokens::Lit::i16_unsuffixed(f.id as i16);
        let tt = self.ttype(&f.ty);
        let fname = id(&ident::field_name(&f.name));
        // Writers see through an `Arc` as a `&T` (a `Box` derefs where it is passed).
        let arc = self.is_arc(owner, f);
        if self.field_is_option(owner, f) {
            let v = if arc {
                quote!(__rt::Arc::as_ref(v))
            } else {
                quote!(v)
            };
            let v = Val::Ref(v);
            if let Some(call) = self.field_call(&f.ty, &fid, &v) {
                return quote! {
                    if let __rt::Some(v) = &self.#fname {
                        #call;
                    }
                };
            }
            let body = self.write_value(from, &f.ty, v, 0);
            quote! {
                if let __rt::Some(v) = &self.#fname {
                    w.write_field_begin(#tt, #fid);
                    #body;
                    w.write_field_end();
                }
            }
        } else {
            let place = if arc {
                Val::Ref(quote!(__rt::Arc::as_ref(&self.#fname)))
            } else {
                Val::Place(quote!(self.#fname))
            };
            if let Some(call) = self.field_call(&f.ty, &fid, &place) {
                return quote!(#call;);
            }
            let body = self.write_value(from, &f.ty, place, 0);
            quote! {
                w.write_field_begin(#tt, #fid);
                #body;
                w.write_field_end();
            }
        }
    }

    fn gen_thrift_union(&self, def: &Def, s: &Struct) -> Tokens {
        let from = self.layout.def_module(def.id);
        let name = id(self.layout.def_name(def.id));
        let sname = &def.name;
        let write_arms = s.fields.iter().map(|f| {
            let v = id(&ident::variant_name(&f.name));
            let fid = crate::tokens::Lit::i16_unsuffixed(f.id as i16);
            let tt = self.ttype(&f.ty);
            let body = self.write_value(from, &f.ty, Val::Ref(quote!(v)), 0);
            quote! {
                #name::#v(v) => {
                    w.write_field_begin(#tt, #fid);
                    #body;
                    w.write_field_end();
                }
            }
        });
        let read_arms = s.fields.iter().map(|f| {
            let v = id(&ident::variant_name(&f.name));
            let fid = crate::tokens::Lit::i16_unsuffixed(f.id as i16);
            let tt = self.ttype(&f.ty);
            let raw = &f.name;
            let ptr = if self.needs_box(def.id, &f.ty) {
                Ptr::Box
            } else {
                Ptr::Value
            };
            let read = self.read_value(from, &f.ty, ptr);
            quote! {
                (#fid, #tt) => {
                    out = __rt::Some(#name::#v(
                        __rt::ResultExt::in_field(#read, #sname, #raw)?,
                    ));
                }
            }
        });
        let ts = rt!(ThriftStruct);
        let w_trait = rt!(Writer);
        let r_trait = rt!(Reader);
        let tt = rt!(TType);
        let msg = format!("union {sname} has no field set");
        quote! {
            impl #ts for #name {
                fn write<W: #w_trait>(&self, w: &mut W) {
                    w.write_struct_begin();
                    match self { #(#write_arms)* }
                    w.write_field_stop();
                    w.write_struct_end();
                }
                #[inline]
                fn read<R: #r_trait>(r: &mut R) -> __rt::Result<Self, __rt::DecodeError> {
                    let mut out = __rt::None;
                    r.read_struct_begin()?;
                    loop {
                        let f = r.read_field_begin()?;
                        match (f.id, f.ttype) {
                            (_, #tt::Stop) => break,
                            #(#read_arms)*
                            (_, t) => r.skip(t)?,
                        }
                        r.read_field_end()?;
                    }
                    r.read_struct_end()?;
                    out.ok_or_else(|| __rt::DecodeError::invalid_data(#msg))
                }
            }
        }
    }
}
