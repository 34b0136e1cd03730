//! Handler stubs for `kit new` and `kit gen`: per service of the input files, an
//! `impl Trait for Handler` whose methods have exactly the signatures of the generated server
//! trait and return a sensible default, and one example client call per unary method.
//!
//! Types are named through the module where the project mounts the generated tree (`mount`,
//! e.g. `crate::gen`), with the same naming ([`crate::ident`]), layout and type rendering as the
//! generators, so a stub always matches its trait.

use proc_macro2::{Group, Ident, Spacing, Span, TokenStream, TokenTree};
use quote::quote;

use kit_idl::ir::{Def, DefKind, Ir, Language, Method, Presence, Type};

use crate::context::Context;
use crate::ident;
use crate::Options;

/// The protocol a service speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceKind {
    /// A Thrift service (`kit_runtime::thrift::rpc`).
    Thrift,
    /// A Protobuf service, served as gRPC (`kit_runtime::grpc`).
    Grpc,
}

/// One service of the input files, as a handler implements it.
#[derive(Clone, Debug)]
pub struct ServiceStubs {
    /// The service's IDL name.
    pub name: String,
    pub kind: ServiceKind,
    /// The Rust name of the server trait (`Echo`).
    pub trait_name: String,
    /// Paths from the crate: `crate::gen::echo::Echo`, `...::EchoServer`, `...::EchoClient`.
    pub trait_path: String,
    pub server_path: String,
    pub client_path: String,
    /// Methods in trait order (for Thrift, `extends` ancestors first).
    pub methods: Vec<MethodStub>,
}

/// One method: its stub and an example call.
#[derive(Clone, Debug)]
pub struct MethodStub {
    /// The IDL name.
    pub name: String,
    /// The Rust name of the trait method.
    pub rust_name: String,
    /// The stub: an `async fn` item, formatted, indented by four spaces, ending in a newline.
    pub stub: String,
    /// A statement calling it once through a client named `client` inside an
    /// `async fn -> Result<(), Box<dyn Error>>`; `None` for streaming methods and for methods
    /// whose arguments or result have no default value.
    pub call: Option<String>,
}

/// Stubs for every service defined in the input files of `ir` (not in included files), in
/// source order. `mount` is the path of the generated tree's root module, e.g. `crate::gen`.
pub fn services(ir: &Ir, options: &Options, mount: &str) -> Vec<ServiceStubs> {
    let cx = Context::new(ir, options);
    let mount: TokenStream = mount.parse().unwrap_or_else(|_| quote!(crate::gen));
    let mut out = Vec::new();
    for f in ir.files.iter().filter(|f| f.is_input) {
        for d in &f.defs {
            let def = ir.def(*d);
            if let DefKind::Service(_) = &def.kind {
                out.push(service(&cx, def, f.language, &mount));
            }
        }
    }
    out
}

/// The `impl Trait for Handler { ... }` block of a service, formatted.
pub fn handler_impl(svc: &ServiceStubs, handler: &str) -> String {
    let mut s = format!("impl {} for {handler} {{\n", svc.trait_path);
    for (i, m) in svc.methods.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&m.stub);
    }
    s.push_str("}\n");
    s
}

fn service(cx: &Context<'_>, def: &Def, lang: Language, mount: &TokenStream) -> ServiceStubs {
    let module: String = cx
        .layout
        .def_module(def.id)
        .iter()
        .map(|m| format!("::{m}"))
        .collect();
    let base = format!("{mount}{module}").replace(' ', "");
    let trait_name = cx.layout.def_name(def.id).to_string();
    let plain = trait_name.trim_start_matches("r#");
    let kind = if lang == Language::Thrift {
        ServiceKind::Thrift
    } else {
        ServiceKind::Grpc
    };
    let methods = match kind {
        ServiceKind::Thrift => Context::service_methods(cx.ir, def)
            .into_iter()
            .map(|m| thrift_method(cx, plain, &base, m, mount))
            .collect(),
        ServiceKind::Grpc => match &def.kind {
            DefKind::Service(s) => s
                .methods
                .iter()
                .map(|m| grpc_method(cx, m, mount))
                .collect(),
            _ => Vec::new(),
        },
    };
    ServiceStubs {
        name: def.name.clone(),
        kind,
        trait_path: format!("{base}::{trait_name}"),
        server_path: format!("{base}::{plain}Server"),
        client_path: format!("{base}::{plain}Client"),
        trait_name,
        methods,
    }
}

/// A union or a struct holding one by value (through aliases): no `Default`.
fn lacks_default(cx: &Context<'_>, ty: &Type) -> bool {
    matches!(cx.resolve(ty), Type::Ref(d) if !cx.is_defaultable(*d))
}

fn thrift_method(
    cx: &Context<'_>,
    svc: &str,
    base: &str,
    m: &Method,
    mount: &TokenStream,
) -> MethodStub {
    let rust_name = ident::field_name(&m.name);
    let fname = id(&rust_name);
    let err: TokenStream = format!("{base}::{svc}{}Error", ident::type_name(&m.name))
        .parse()
        .unwrap_or_default();
    let mut params = Vec::new();
    let mut names = Vec::new();
    let mut args_default = true;
    for f in &m.args {
        let n = id(&ident::field_name(&f.name));
        let mut t = ty(cx, &f.ty, mount);
        // As in `thrift_service`: non-required union arguments are `Option`s.
        let union = cx.is_union(&f.ty);
        if f.presence == Presence::Optional || (union && f.presence != Presence::Required) {
            t = quote!(Option<#t>);
        } else if lacks_default(cx, &f.ty) {
            args_default = false;
        }
        params.push(quote!(#n: #t));
        names.push(n);
    }
    let (ok_ty, body) = match &m.result {
        None => (quote!(()), quote!(Ok(()))),
        Some(r) if lacks_default(cx, r) => (
            ty(cx, r, mount),
            quote!(Err(kit_runtime::thrift::ApplicationException::new(
                kit_runtime::thrift::ApplicationExceptionKind::INTERNAL_ERROR,
                "not implemented",
            )
            .into())),
        ),
        Some(r) => (ty(cx, r, mount), quote!(Ok(Default::default()))),
    };
    let ignore = ignore(&names);
    let item = quote! {
        impl X for Y {
            async fn #fname(&self, #(#params),*) -> Result<#ok_ty, #err> {
                #ignore
                #body
            }
        }
    };
    let result_default = m.result.as_ref().is_none_or(|r| !lacks_default(cx, r));
    let call = (args_default && result_default).then(|| {
        let args = m.args.iter().map(|_| quote!(Default::default()));
        let label = format!("{} -> {{r:?}}", m.name);
        if m.oneway || m.result.is_none() {
            let label = if m.oneway {
                format!("{} (oneway) sent", m.name)
            } else {
                format!("{} -> ok", m.name)
            };
            format!(
                "{}\n",
                quote!(client.#fname(#(#args),*).await?; println!(#label);)
            )
        } else {
            format!(
                "{}\n",
                quote!(let r = client.#fname(#(#args),*).await?; println!(#label);)
            )
        }
    });
    MethodStub {
        name: m.name.clone(),
        rust_name,
        stub: format_method(item),
        call: call.map(|c| format_stmts(&c)),
    }
}

fn grpc_method(cx: &Context<'_>, m: &Method, mount: &TokenStream) -> MethodStub {
    let rust_name = ident::field_name(&m.name);
    let fname = id(&rust_name);
    let input = m
        .args
        .first()
        .map(|a| ty(cx, &a.ty, mount))
        .unwrap_or_else(|| quote!(()));
    let output = m
        .result
        .as_ref()
        .map(|t| ty(cx, t, mount))
        .unwrap_or_else(|| quote!(()));
    let g = quote!(kit_runtime::grpc);
    let req = if m.client_streaming {
        quote!(#g::Streaming<#input>)
    } else {
        input.clone()
    };
    let (resp, body) = if m.server_streaming {
        (
            quote!(#g::BoxStream<#output>),
            quote! {
                // An empty stream: the call ends with OK and no messages.
                let stream: #g::BoxStream<#output> =
                    Box::pin(#g::iter(Vec::<Result<#output, #g::Status>>::new()));
                Ok(#g::Response::new(stream))
            },
        )
    } else {
        (
            output.clone(),
            quote!(Ok(#g::Response::new(Default::default()))),
        )
    };
    let item = quote! {
        impl X for Y {
            async fn #fname(&self, request: #g::Request<#req>) -> Result<#g::Response<#resp>, #g::Status> {
                let _ = request;
                #body
            }
        }
    };
    let call = (!m.client_streaming && !m.server_streaming).then(|| {
        let label = format!("{} -> {{:?}}", m.name);
        format_stmts(&format!(
            "{}\n",
            quote!(let r = client.#fname(#g::Request::new(Default::default())).await?; println!(#label, r.get_ref());)
        ))
    });
    MethodStub {
        name: m.name.clone(),
        rust_name,
        stub: format_method(item),
        call,
    }
}

/// An identifier from an already escaped name (`r#type` becomes a raw identifier).
fn id(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

fn ignore(names: &[Ident]) -> TokenStream {
    match names {
        [] => quote!(),
        [one] => quote!(let _ = #one;),
        many => quote!(let _ = (#(#many),*);),
    }
}

/// A type as named from the crate: generated definitions through `mount`, std and runtime
/// paths shortened (`Option`, `Vec`, `kit_runtime::ByteStr`).
fn ty(cx: &Context<'_>, t: &Type, mount: &TokenStream) -> TokenStream {
    rewrite(cx.rust_type(&Vec::new(), t).to_proc_macro2(), mount)
}

const PRIMITIVES: &[&str] = &[
    "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64",
];

const PRELUDE: &[(&str, &str)] = &[
    ("option", "Option"),
    ("vec", "Vec"),
    ("result", "Result"),
    ("boxed", "Box"),
    ("string", "String"),
];

/// Rewrites the paths of a type rendered from the root module (`from = []`): relative paths
/// (generated definitions) get the `mount` prefix; absolute `::std`/`::kit_runtime` paths are
/// shortened.
fn rewrite(ts: TokenStream, mount: &TokenStream) -> TokenStream {
    let toks: Vec<TokenTree> = ts.into_iter().collect();
    let mut out = TokenStream::new();
    let mut i = 0;
    let is_sep = |toks: &[TokenTree], i: usize| {
        matches!((toks.get(i), toks.get(i + 1)),
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':')
    };
    while i < toks.len() {
        let absolute = is_sep(&toks, i);
        if absolute || matches!(toks[i], TokenTree::Ident(_)) {
            // Read the whole path: [::] seg (:: seg)*.
            let mut j = if absolute { i + 2 } else { i };
            let mut segs: Vec<Ident> = Vec::new();
            while let Some(TokenTree::Ident(id)) = toks.get(j) {
                segs.push(id.clone());
                if is_sep(&toks, j + 1) {
                    j += 3;
                } else {
                    j += 1;
                    break;
                }
            }
            i = j;
            let names: Vec<String> = segs.iter().map(|s| s.to_string()).collect();
            if absolute {
                if names.len() == 3 && names[0] == "std" {
                    if let Some((_, t)) = PRELUDE
                        .iter()
                        .find(|(m, t)| names[1] == *m && names[2] == *t)
                    {
                        let t = Ident::new(t, Span::call_site());
                        out.extend(quote!(#t));
                        continue;
                    }
                }
                out.extend(quote!(#(#segs)::*));
            } else if segs.len() == 1 && PRIMITIVES.contains(&names[0].as_str()) {
                out.extend(quote!(#(#segs)*));
            } else {
                out.extend(quote!(#mount::#(#segs)::*));
            }
            continue;
        }
        match &toks[i] {
            TokenTree::Group(g) => {
                let mut ng = Group::new(g.delimiter(), rewrite(g.stream(), mount));
                ng.set_span(g.span());
                out.extend([TokenTree::Group(ng)]);
            }
            t => out.extend([t.clone()]),
        }
        i += 1;
    }
    out
}

/// Formats `impl X for Y { fn }` and returns the method, indented by four spaces.
fn format_method(item: TokenStream) -> String {
    let text = match syn::parse2::<syn::File>(item.clone()) {
        Ok(f) => prettyplease::unparse(&f),
        Err(_) => return format!("    {item}\n"),
    };
    let lines: Vec<&str> = text.lines().collect();
    // First line `impl X for Y {`, last line `}`.
    let mut s = String::new();
    for l in &lines[1..lines.len().saturating_sub(1)] {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// Formats statements (as the body of a function) without indentation.
fn format_stmts(stmts: &str) -> String {
    let src = format!("fn f() {{ {stmts} }}");
    let Ok(f) = syn::parse_str::<syn::File>(&src) else {
        return stmts.to_string();
    };
    let text = prettyplease::unparse(&f);
    let lines: Vec<&str> = text.lines().collect();
    let mut s = String::new();
    for l in &lines[1..lines.len().saturating_sub(1)] {
        s.push_str(l.strip_prefix("    ").unwrap_or(l));
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use kit_idl::{compile, MemLoader, Options as IdlOptions};

    fn stubs(name: &str, text: &str) -> Vec<ServiceStubs> {
        let l = MemLoader::new().add(name, text);
        let c = compile(&[name.into()], &IdlOptions::default(), &l);
        assert!(!c.has_errors(), "{:?}", c.diagnostics.items);
        services(&c.ir, &Options::default(), "crate::gen")
    }

    #[test]
    fn thrift_stubs_name_types_through_the_mount() {
        let s = stubs(
            "echo.thrift",
            "namespace rs echo\nstruct R { 1: string m }\nexception E { 1: i32 code }\n\
             union U { 1: i32 a }\n\
             service Echo { R echo(1: string message, 2: list<R> xs) throws (1: E err),\n\
             oneway void ping(), U pick(1: U u) }",
        );
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].trait_path, "crate::gen::echo::Echo");
        assert_eq!(s[0].server_path, "crate::gen::echo::EchoServer");
        let m = &s[0].methods;
        assert_eq!(m[0].rust_name, "echo");
        assert!(
            m[0].stub.contains("message: kit_runtime::ByteStr"),
            "{}",
            m[0].stub
        );
        assert!(
            m[0].stub.contains("xs: Vec<crate::gen::echo::R>"),
            "{}",
            m[0].stub
        );
        assert!(
            m[0].stub
                .contains("Result<crate::gen::echo::R, crate::gen::echo::EchoEchoError>"),
            "{}",
            m[0].stub
        );
        assert!(m[1].stub.contains("Ok(())"), "{}", m[1].stub);
        assert!(m[1]
            .call
            .as_deref()
            .unwrap()
            .contains("client.ping().await?"));
        // Unions have no default: the stub answers an error and the client skips the call.
        assert!(
            m[2].stub.contains("u: Option<crate::gen::echo::U>"),
            "{}",
            m[2].stub
        );
        assert!(m[2].stub.contains("INTERNAL_ERROR"), "{}", m[2].stub);
        assert!(m[2].call.is_none());
    }

    #[test]
    fn grpc_stubs_cover_every_streaming_kind() {
        let s = stubs(
            "a.proto",
            "syntax = \"proto3\";\npackage a.b;\nmessage M {}\n\
             service S { rpc U(M) returns (M); rpc SS(M) returns (stream M);\n\
             rpc CS(stream M) returns (M); rpc Bi(stream M) returns (stream M); }",
        );
        let m = &s[0].methods;
        assert_eq!(s[0].trait_path, "crate::gen::a::b::S");
        assert!(m[0]
            .stub
            .contains("request: kit_runtime::grpc::Request<crate::gen::a::b::M>"));
        assert!(m[0].call.is_some());
        assert!(
            m[1].stub.contains("BoxStream<crate::gen::a::b::M>"),
            "{}",
            m[1].stub
        );
        assert!(m[2].stub.contains("Streaming<crate::gen::a::b::M>"));
        assert!(m[3].call.is_none());
    }
}
