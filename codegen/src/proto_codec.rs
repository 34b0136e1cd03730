//! `Message` impls for Protobuf messages: exact `encoded_len`, `encode_raw` in one pass, and
//! `merge_field` dispatching on the field number, keeping unknown fields.

use crate::tokens::Tokens;

use crate::tokens::quote;

use kit_idl::ir::{Def, DefKind, Field, Language, Presence, Struct, Type};

use crate::context::Context;
use crate::ident;
use crate::layout::ModPath;
use crate::types::{id, path};

/// What kind of runtime field module encodes a type.
enum Kind {
    /// A `Copy` scalar passed by value: `field::int32`, `field::double`, ...
    Scalar(&'static str),
    /// `field::string` / `field::bytes` (passed by reference).
    Bytes(&'static str),
    Enum,
    Message,
}

/// `__pb::#name`: `__pb` is `kit_runtime::__rt::pb`, imported by the module (see
/// [`Context::proto_codec_uses_pb`]).
fn field_mod(name: &'static str) -> Tokens {
    let m = crate::tokens::Ident::from_static(name);
    quote!(__pb::#m)
}

impl Context<'_> {
    fn kind(&self, ty: &Type) -> Kind {
        match self.resolve(ty) {
            Type::Bool => Kind::Scalar("bool"),
            Type::I8 | Type::I16 | Type::I32 => Kind::Scalar("int32"),
            Type::I64 => Kind::Scalar("int64"),
            Type::U32 => Kind::Scalar("uint32"),
            Type::U64 => Kind::Scalar("uint64"),
            Type::SInt32 => Kind::Scalar("sint32"),
            Type::SInt64 => Kind::Scalar("sint64"),
            Type::Fixed32 => Kind::Scalar("fixed32"),
            Type::Fixed64 => Kind::Scalar("fixed64"),
            Type::SFixed32 => Kind::Scalar("sfixed32"),
            Type::SFixed64 => Kind::Scalar("sfixed64"),
            Type::Float => Kind::Scalar("float"),
            Type::Double => Kind::Scalar("double"),
            Type::String => Kind::Bytes("string"),
            Type::Bytes | Type::Uuid => Kind::Bytes("bytes"),
            Type::Ref(d) if matches!(self.ir.def(*d).kind, DefKind::Enum(_)) => Kind::Enum,
            _ => Kind::Message,
        }
    }

    fn kind_mod(&self, ty: &Type, group: bool) -> Tokens {
        match self.kind(ty) {
            Kind::Scalar(m) | Kind::Bytes(m) => field_mod(m),
            Kind::Enum => field_mod("enumeration"),
            Kind::Message if group => field_mod("group"),
            Kind::Message => field_mod("message"),
        }
    }

    /// `v` is a `&T` (for a boxed message, `&Box<T>` or `&Arc<T>`); the argument a field
    /// function takes.
    fn arg(&self, ty: &Type, v: Tokens, boxed: bool) -> Tokens {
        match self.kind(ty) {
            Kind::Scalar(_) | Kind::Enum => quote!(*#v),
            Kind::Bytes(_) => v,
            Kind::Message if boxed => quote!(&**#v),
            Kind::Message => v,
        }
    }

    /// Repeated scalars are packed by default in proto3, unpacked in proto2; `[packed = ..]`
    /// overrides. Decoding accepts both forms either way.
    fn is_packed(&self, def: &Def, f: &Field, elem: &Type) -> bool {
        if matches!(self.kind(elem), Kind::Bytes(_) | Kind::Message) {
            return false;
        }
        let explicit = f.proto.as_ref().and_then(|p| p.packed);
        let proto3 = self.ir.file(def.file).language == Language::Proto3;
        explicit.unwrap_or(proto3)
    }

    /// Whether [`Context::gen_proto_impl`] calls a field function (`__pb::...`) for `def`: a
    /// Protobuf message with a field (each field's code calls one).
    pub fn proto_codec_uses_pb(&self, def: &Def) -> bool {
        matches!(&def.kind, DefKind::Struct(s) if !s.fields.is_empty())
            && self.ir.file(def.file).language != Language::Thrift
    }

    pub fn gen_proto_impl(&self, def: &Def) -> Tokens {
        let DefKind::Struct(s) = &def.kind else {
            return quote!();
        };
        let from = self.layout.def_module(def.id);
        let name = id(self.layout.def_name(def.id));
        // (field number, encoded_len statements, encode statements): fields are written in
        // field-number order, oneof members included, as protoc's runtimes do.
        let mut writes: Vec<(i64, Tokens, Tokens)> = Vec::new();
        let mut arms = Vec::new();
        for f in s.fields.iter().filter(|f| !self.in_real_oneof(def.id, f)) {
            let (l, e, a) = self.proto_field(def, f);
            writes.push((f.id as i64, l, e));
            arms.push(a);
        }
        for (i, o) in s.oneofs.iter().enumerate() {
            if o.synthetic {
                continue;
            }
            let (w, a) = self.proto_oneof(def, from, s, i);
            writes.extend(w);
            arms.extend(a);
        }
        writes.sort_by_key(|w| w.0);
        let lens = writes.iter().map(|w| &w.1);
        let encs = writes.iter().map(|w| &w.2);
        // Fields are written through a cursor that keeps the write position in a register
        // (`encode` reserved the exact size): see `kit_runtime::sink::Cursor`.
        let cursor = if writes.is_empty() {
            quote!()
        } else {
            quote!(let buf = &mut __rt::Cursor::new(buf);)
        };
        // Each arm is the field's merge expression alone; the error path (cold) names the field
        // once for all arms, so an arm is one short line (generated code is mostly these).
        let body = if arms.is_empty() {
            quote!(self.unknown_fields.merge_field(tag, wt, buf, depth))
        } else {
            let named = field_names_by_number(&def.name, s);
            quote! {
                let r = match tag {
                    #(#arms)*
                    _ => return self.unknown_fields.merge_field(tag, wt, buf, depth),
                };
                r.map_err(|e| #named)
            }
        };
        // `#[inline]` on the encoders, as `merge_field` is inlined into the decode loop (and
        // the Thrift impls are generic over the protocol): they are compiled where they are
        // called, so a crate of generated code does not compile every message's encoder for
        // users that call a few (prost's `encode_raw` is generic for the same effect).
        quote! {
            impl __rt::Message for #name {
                #[allow(unused_mut)]
                #[inline]
                fn encoded_len(&self) -> usize {
                    let mut n = 0;
                    #(#lens)*
                    n + self.unknown_fields.encoded_len()
                }
                #[inline]
                fn encode_raw(&self, buf: &mut __rt::BytesMut) {
                    #cursor
                    #(#encs)*
                    self.unknown_fields.encode(buf);
                }
                #[inline(always)]
                fn merge_field(
                    &mut self,
                    tag: u32,
                    wt: __rt::WireType,
                    buf: &mut __rt::Bytes,
                    depth: u32,
                ) -> __rt::Result<(), __rt::DecodeError> {
                    #body
                }
            }
        }
    }

    /// (encoded_len statements, encode statements, merge arm) for one field.
    fn proto_field(&self, def: &Def, f: &Field) -> (Tokens, Tokens, Tokens) {
        let tag = crate::tokens::Lit::u32_unsuffixed(f.id as u32);
        let fname = id(&ident::field_name(&f.name));
        let group = f.proto.as_ref().is_some_and(|p| p.group);
        // The field by reference and by mutable reference, through its `Arc` if it has one
        // (merging into a shared value copies it first). A `&Arc<Vec<T>>` is passed as it is:
        // it coerces to the `&[T]` that repeated fields take.
        let arc = self.is_arc(def.id, f);
        let (place, place_mut) = if arc {
            let place = if matches!(f.ty, Type::List(_)) {
                quote!(&self.#fname)
            } else {
                quote!(&*self.#fname)
            };
            (place, quote!(__rt::Arc::make_mut(&mut self.#fname)))
        } else {
            (quote!(&self.#fname), quote!(&mut self.#fname))
        };
        match &f.ty {
            Type::Map(k, v) => {
                // Each side is named by its kind's codec (`__pb::string::Codec`).
                let (kc, vc) = (self.kind_mod(k, false), self.kind_mod(v, false));
                let m = field_mod("map");
                (
                    quote!(n += #m::encoded_len(#tag, #place, #kc::Codec, #vc::Codec);),
                    quote!(#m::encode(#tag, #place, #kc::Codec, #vc::Codec, buf);),
                    quote!(#tag => #m::merge_into(wt, buf, depth, #place_mut, #kc::Codec, #vc::Codec),),
                )
            }
            Type::List(elem) => {
                let m = self.kind_mod(elem, group);
                let packed = self.is_packed(def, f, elem);
                let (len_fn, enc_fn) = if packed {
                    (quote!(encoded_len_packed), quote!(encode_packed))
                } else {
                    (quote!(encoded_len_repeated), quote!(encode_repeated))
                };
                let depth = if matches!(self.kind(elem), Kind::Message) {
                    quote!(, depth)
                } else {
                    quote!()
                };
                let group_tag = if group && matches!(self.kind(elem), Kind::Message) {
                    quote!(#tag,)
                } else {
                    quote!()
                };
                let merge = quote!(#m::merge_repeated(wt, #group_tag #place_mut, buf #depth));
                (
                    quote!(n += #m::#len_fn(#tag, #place);),
                    quote!(#m::#enc_fn(#tag, #place, buf);),
                    quote!(#tag => #merge,),
                )
            }
            ty => {
                let m = self.kind_mod(ty, group);
                // An `Arc` is only ever on a message field here (see `arc.rs`).
                let boxed = arc || self.needs_box(def.id, ty);
                let is_msg = matches!(self.kind(ty), Kind::Message);
                let depth = if is_msg { quote!(, depth) } else { quote!() };
                let group_tag = if group && is_msg {
                    quote!(#tag,)
                } else {
                    quote!()
                };
                if self.field_is_option(def.id, f) {
                    let a = self.arg(ty, quote!(v), boxed);
                    let target = if arc {
                        quote!(__rt::Arc::make_mut(__rt::or_default(&mut self.#fname)))
                    } else if boxed {
                        quote!(&mut **__rt::or_default(&mut self.#fname))
                    } else {
                        quote!(__rt::or_default(&mut self.#fname))
                    };
                    let merge = quote!(#m::merge(wt, #group_tag #target, buf #depth));
                    if boxed {
                        (
                            quote!(if let __rt::Some(v) = &self.#fname { n += #m::encoded_len(#tag, #a); }),
                            quote!(if let __rt::Some(v) = &self.#fname { #m::encode(#tag, #a, buf); }),
                            quote!(#tag => #merge,),
                        )
                    } else {
                        // The runtime's `*_opt` pair tests presence: one call per field.
                        let opt = match self.kind(ty) {
                            Kind::Scalar(_) | Kind::Enum => quote!(self.#fname),
                            Kind::Bytes(_) | Kind::Message => quote!(&self.#fname),
                        };
                        (
                            quote!(n += #m::encoded_len_opt(#tag, #opt);),
                            quote!(#m::encode_opt(#tag, #opt, buf);),
                            quote!(#tag => #merge,),
                        )
                    }
                } else {
                    // Never boxed: a field that needs a Box is an Option.
                    let a = match self.kind(ty) {
                        Kind::Scalar(_) | Kind::Enum => quote!(self.#fname),
                        Kind::Bytes(_) | Kind::Message => place,
                    };
                    let merge = quote!(#m::merge(wt, #group_tag #place_mut, buf #depth));
                    // Required (proto2) fields and messages are always written; proto3
                    // implicit-presence scalars only when not the default (the runtime's
                    // `*_implicit` pair makes that test).
                    let (len_fn, enc_fn) = if f.presence == Presence::Required || is_msg {
                        (quote!(encoded_len), quote!(encode))
                    } else {
                        (quote!(encoded_len_implicit), quote!(encode_implicit))
                    };
                    (
                        quote!(n += #m::#len_fn(#tag, #a);),
                        quote!(#m::#enc_fn(#tag, #a, buf);),
                        quote!(#tag => #merge,),
                    )
                }
            }
        }
    }

    fn proto_oneof(
        &self,
        def: &Def,
        from: &ModPath,
        s: &Struct,
        index: usize,
    ) -> (Vec<(i64, Tokens, Tokens)>, Vec<Tokens>) {
        let o = &s.oneofs[index];
        let fname = id(&ident::field_name(&o.name));
        let mut nested = from.clone();
        nested.push(ident::module_name(&def.name));
        let enum_path = path(&format!(
            "{}{}",
            crate::layout::relative_module(from, &nested),
            ident::type_name(&o.name)
        ));
        let mut writes = Vec::new();
        let mut merge_arms = Vec::new();
        let members = || s.fields.iter().filter(|f| f.oneof == Some(index as u32));
        // A one-member oneof's pattern is irrefutable (a `_` arm would be unreachable).
        let single = members().count() == 1;
        for f in members() {
            let tag = crate::tokens::Lit::u32_unsuffixed(f.id as u32);
            let v = id(&ident::variant_name(&f.name));
            let group = f.proto.as_ref().is_some_and(|p| p.group);
            let m = self.kind_mod(&f.ty, group);
            let boxed = self.needs_box(def.id, &f.ty);
            let a = self.arg(&f.ty, quote!(v), boxed);
            let is_msg = matches!(self.kind(&f.ty), Kind::Message);
            let depth = if is_msg { quote!(, depth) } else { quote!() };
            let group_tag = if group && is_msg {
                quote!(#tag,)
            } else {
                quote!()
            };
            writes.push((
                f.id as i64,
                quote! {
                    if let __rt::Some(#enum_path::#v(v)) = &self.#fname {
                        n += #m::encoded_len(#tag, #a);
                    }
                },
                quote! {
                    if let __rt::Some(#enum_path::#v(v)) = &self.#fname {
                        #m::encode(#tag, #a, buf);
                    }
                },
            ));
            // Decoded into the member's value in place (set to the member's default first
            // when the oneof holds another member or none): `__pb::oneof_member`.
            let get = if single {
                quote!(|#enum_path::#v(v)| __rt::Some(v))
            } else {
                quote!(|c| match c {
                    #enum_path::#v(v) => __rt::Some(v),
                    _ => __rt::None,
                })
            };
            let member = quote!(__pb::oneof_member(&mut self.#fname, #get, #enum_path::#v));
            let target = if boxed {
                quote!(&mut **#member)
            } else {
                member
            };
            merge_arms.push(quote! {
                #tag => #m::merge(wt, #group_tag #target, buf #depth),
            });
        }
        (writes, merge_arms)
    }
}

/// The expression naming the field of a decode error `e` whose number is `tag`: its names as
/// a list in number order (`e.with_field_numbered(..)`, two tokens a field) when the numbers
/// are dense enough (gaps written as `""`, at most as many as fields), else a `match` on the
/// number (four tokens a field).
fn field_names_by_number(sname: &str, s: &Struct) -> Tokens {
    let mut fields: Vec<(u32, &str)> = s
        .fields
        .iter()
        .map(|f| (f.id as u32, f.name.as_str()))
        .collect();
    fields.sort_unstable();
    // No fields: span 1 > 0, the (empty) match.
    let (first, last) = (
        fields.first().map_or(0, |f| f.0),
        fields.last().map_or(0, |f| f.0),
    );
    let span = u64::from(last - first) + 1;
    if span <= 2 * fields.len() as u64 {
        let mut names = vec![""; span as usize];
        for &(id, name) in &fields {
            names[(id - first) as usize] = name;
        }
        let first = crate::tokens::Lit::u32_unsuffixed(first);
        quote!(e.with_field_numbered(#sname, tag, #first, &[#(#names),*]))
    } else {
        let arms = fields.iter().map(|&(id, name)| {
            let id = crate::tokens::Lit::u32_unsuffixed(id);
            quote!(#id => #name,)
        });
        quote!(e.with_field(#sname, match tag { #(#arms)* _ => "" }))
    }
}
