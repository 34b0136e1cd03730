//! Assembling modules into files: one Rust file per module of the [`Layout`], formatted with
//! prettyplease, each starting with the `@generated` header.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use kit_idl::diag::Diagnostic;
use kit_idl::ir::{DefKind, Ir, Language};

use crate::context::Context;
use crate::ident::{self, Collisions};
use crate::layout::ModPath;
use crate::types::id;
use crate::write::{GeneratedFile, HEADER};
use crate::Options;

/// Generates the module tree for `ir` (which must be free of errors): `mod.rs` and one file per
/// module. Returns diagnostics when names collide after conversion to Rust.
pub fn generate(ir: &Ir, options: &Options) -> Result<Vec<GeneratedFile>, Vec<Diagnostic>> {
    let modules = modules(ir, options)?;
    // Child modules of each module (BTreeMap keys are sorted, so children come in order).
    let keys: Vec<ModPath> = modules.keys().cloned().collect();
    let mut files = Vec::new();
    let root_children: Vec<String> = keys
        .iter()
        .filter(|k| k.len() == 1)
        .map(|k| k[0].clone())
        .collect();
    files.push(file("mod.rs", mod_decls(&root_children)));
    for (k, body) in modules {
        let children: Vec<String> = keys
            .iter()
            .filter(|c| c.len() == k.len() + 1 && c.starts_with(&k))
            .map(|c| c[k.len()].clone())
            .collect();
        let mut tokens = mod_decls(&children);
        tokens.extend(body);
        let path = format!(
            "{}.rs",
            k.iter()
                .map(|s| s.trim_start_matches("r#"))
                .collect::<Vec<_>>()
                .join("/")
        );
        files.push(file(&path, tokens));
    }
    Ok(files)
}

/// Generates everything as one file of nested inline modules, for `include!` from `OUT_DIR` in
/// a build script (see [`crate::Builder`]).
pub fn generate_single(ir: &Ir, options: &Options) -> Result<GeneratedFile, Vec<Diagnostic>> {
    let modules = modules(ir, options)?;
    let keys: Vec<ModPath> = modules.keys().cloned().collect();
    fn nest(
        prefix: &ModPath,
        keys: &[ModPath],
        modules: &BTreeMap<ModPath, TokenStream>,
    ) -> TokenStream {
        let mut out = modules.get(prefix).cloned().unwrap_or_default();
        for k in keys
            .iter()
            .filter(|k| k.len() == prefix.len() + 1 && k.starts_with(prefix))
        {
            let name = id(&k[prefix.len()]);
            let inner = nest(k, keys, modules);
            out.extend(quote!(pub mod #name { #inner }));
        }
        out
    }
    Ok(file("kit_gen.rs", nest(&Vec::new(), &keys, &modules)))
}

/// The items of every module, keyed by module path.
fn modules(ir: &Ir, options: &Options) -> Result<BTreeMap<ModPath, TokenStream>, Vec<Diagnostic>> {
    let cx = Context::new(ir, options);
    let mut modules: BTreeMap<ModPath, TokenStream> = BTreeMap::new();
    for m in cx.layout.modules() {
        modules.entry(m).or_default();
    }
    let mut errors = Vec::new();
    let mut names: BTreeMap<ModPath, (Collisions, Vec<(String, kit_idl::source::Span)>)> =
        BTreeMap::new();
    for def in &ir.defs {
        let m = cx.layout.def_module(def.id).clone();
        modules
            .entry(m.clone())
            .or_default()
            .extend(cx.gen_grpc_service(def));
        let rust_name = match def.kind {
            DefKind::Const(_) => ident::const_name(&def.name),
            DefKind::Service(_) => continue,
            _ => cx.layout.def_name(def.id).to_string(),
        };
        let entry = names.entry(m.clone()).or_default();
        if let Some(prev) = entry.0.insert(rust_name.clone(), &def.full_name) {
            let mut d = Diagnostic::error(
                def.span,
                format!(
                    "`{}` and `{prev}` both become `{rust_name}` in Rust module `{}`",
                    def.full_name,
                    display_mod(&m)
                ),
            )
            .with_label("second definition with this Rust name");
            if let Some((_, span)) = entry.1.iter().find(|(n, _)| *n == prev) {
                d = d.with_secondary(*span, "first one here");
            }
            errors.push(d.with_note("rename one of them in the IDL"));
        }
        entry.1.push((def.full_name.clone(), def.span));
        let mut tokens = cx.gen_def(def);
        if ir.file(def.file).language == Language::Thrift {
            tokens.extend(cx.gen_thrift_impl(def));
        } else {
            tokens.extend(cx.gen_proto_impl(def));
        }
        modules.entry(m.clone()).or_default().extend(tokens);
        if let DefKind::Struct(s) = &def.kind {
            let oneofs = cx.gen_oneofs(def, s);
            if !oneofs.is_empty() {
                let mut nested = m.clone();
                nested.push(ident::module_name(&def.name));
                modules.entry(nested).or_default().extend(oneofs);
            }
        }
    }
    for def in &ir.defs {
        member_collisions(def, &mut errors);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(modules)
}

/// Fields, enum values and variants of one definition that become the same Rust name.
fn member_collisions(def: &kit_idl::ir::Def, errors: &mut Vec<Diagnostic>) {
    let mut check = |members: &mut dyn Iterator<Item = (String, &str, kit_idl::source::Span)>,
                     what: &str| {
        let mut seen: Vec<(String, &str, kit_idl::source::Span)> = Vec::new();
        for (rust, original, span) in members {
            if let Some((_, prev, prev_span)) =
                seen.iter().find(|(r, o, _)| *r == rust && *o != original)
            {
                errors.push(
                    Diagnostic::error(
                        span,
                        format!(
                            "{what} `{original}` and `{prev}` of `{}` both become `{rust}` in Rust",
                            def.full_name
                        ),
                    )
                    .with_label("collides after conversion to Rust naming")
                    .with_secondary(*prev_span, "the other one")
                    .with_note("rename one of them in the IDL"),
                );
            } else {
                seen.push((rust, original, span));
            }
        }
    };
    match &def.kind {
        // Aliases (`MOO = 2; moo = 2;`) that become one Rust name with one value are one
        // constant; only different values under one name collide.
        DefKind::Enum(e) => check(
            &mut e
                .values
                .iter()
                .enumerate()
                .filter(|(i, v)| {
                    !e.values[..*i].iter().any(|p| {
                        p.value == v.value
                            && ident::const_name(&p.name) == ident::const_name(&v.name)
                    })
                })
                .map(|(_, v)| (ident::const_name(&v.name), v.name.as_str(), v.span)),
            "enum values",
        ),
        DefKind::Struct(s) => {
            if s.kind == kit_idl::ir::StructKind::Union {
                check(
                    &mut s
                        .fields
                        .iter()
                        .map(|f| (ident::variant_name(&f.name), f.name.as_str(), f.span)),
                    "union members",
                );
            } else {
                let oneof_names = s
                    .oneofs
                    .iter()
                    .filter(|o| !o.synthetic)
                    .map(|o| (ident::field_name(&o.name), o.name.as_str(), o.span));
                check(
                    &mut s
                        .fields
                        .iter()
                        .filter(|f| {
                            f.oneof.is_none_or(|i| {
                                s.oneofs.get(i as usize).is_some_and(|o| o.synthetic)
                            })
                        })
                        .map(|f| (ident::field_name(&f.name), f.name.as_str(), f.span))
                        .chain(oneof_names),
                    "fields",
                );
                for (i, o) in s.oneofs.iter().enumerate() {
                    check(
                        &mut s
                            .fields
                            .iter()
                            .filter(|f| f.oneof == Some(i as u32))
                            .map(|f| (ident::variant_name(&f.name), f.name.as_str(), f.span)),
                        &format!("members of oneof `{}`", o.name),
                    );
                }
            }
        }
        DefKind::Service(svc) => check(
            &mut svc
                .methods
                .iter()
                .map(|m| (ident::field_name(&m.name), m.name.as_str(), m.span)),
            "methods",
        ),
        _ => {}
    }
}

fn mod_decls(children: &[String]) -> TokenStream {
    let mods = children.iter().map(|c| id(c));
    quote!(#(pub mod #mods;)*)
}

fn file(path: &str, tokens: TokenStream) -> GeneratedFile {
    let body = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(f) => prettyplease::unparse(&f),
        // A bug in kit, not in the IDL: keep the tokens so the compiler points at the problem.
        Err(e) => format!("compile_error!({:?});\n{tokens}\n", e.to_string()),
    };
    GeneratedFile {
        path: path.to_string(),
        contents: format!("{HEADER}\n{body}"),
    }
}

fn display_mod(m: &ModPath) -> String {
    if m.is_empty() {
        "(root)".to_string()
    } else {
        m.join("::")
    }
}
