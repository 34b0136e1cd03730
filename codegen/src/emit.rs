//! Assembling modules into files: one Rust file per module of the [`Layout`], laid out by
//! [`crate::print`], each starting with the `@generated` header.

use std::collections::{BTreeMap, BTreeSet};

use crate::tokens::quote;
use crate::tokens::{Delim, Tokens};

use kit_idl::diag::Diagnostic;
use kit_idl::ir::{DefId, DefKind, Ir, Language};

use crate::context::Context;
use crate::ident::{self, Collisions};
use crate::layout::ModPath;
use crate::types::id;
use crate::write::{GeneratedFile, HEADER};
use crate::Options;

/// Generates the module tree for `ir` (which must be free of errors): `mod.rs` and one file per
/// module. Returns diagnostics when names collide after conversion to Rust.
///
/// Modules are generated, formatted and dropped one at a time, on all cores; the result does
/// not depend on the number of threads.
pub fn generate(ir: &Ir, options: &Options) -> Result<Vec<GeneratedFile>, Vec<Diagnostic>> {
    let done = std::sync::Mutex::new(Vec::new());
    let result = generate_with(ir, options, |i, _, f| {
        done.lock().unwrap_or_else(|e| e.into_inner()).push((i, f));
        Ok::<(), std::convert::Infallible>(())
    })?;
    let Ok(()) = result;
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_unstable_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, f)| f).collect())
}

/// [`generate`], handing each file to `sink` as soon as it is made instead of collecting them:
/// `sink(index, count, file)` is called once per file, from the generating threads, in no
/// particular order; `index` is the file's place in what [`generate`] returns, `count` the
/// number of files. An error from `sink` stops the generation (files not yet started are not
/// made) and is returned as `Ok(Err(e))`; when threads fail at once, the lowest index wins.
pub fn generate_with<E: Send>(
    ir: &Ir,
    options: &Options,
    sink: impl Fn(usize, usize, GeneratedFile) -> Result<(), E> + Sync,
) -> Result<Result<(), E>, Vec<Diagnostic>> {
    check_options(options)?;
    let extended = crate::thrift_service::with_service_structs(ir);
    let cx = context(ir, extended.as_ref(), options);
    let plan = plan(&cx)?;
    let children = children_of(plan.keys());
    let none = Vec::new();
    // One file per package / namespace module (and each of its ancestors); the modules of
    // messages (nested types, oneofs) are printed inline in their package's file.
    let file_modules: BTreeSet<ModPath> = cx.layout.modules().into_iter().collect();
    let jobs: Vec<&ModPath> = plan.keys().filter(|k| file_modules.contains(*k)).collect();
    let count = jobs.len() + 1;
    let module_file = |k: &ModPath| {
        let path = format!(
            "{}.rs",
            k.iter()
                .map(|s| s.trim_start_matches("r#"))
                .collect::<Vec<_>>()
                .join("/")
        );
        let mut parts = Vec::new();
        file_module_tokens(
            &cx,
            &mut k.clone(),
            &children,
            &plan,
            &file_modules,
            &mut parts,
        );
        file(&path, parts)
    };
    // `mod.rs` is file 0; module `i` of the plan is file `i + 1`.
    let root = || vec![mod_decls(children.get(&Vec::new()).unwrap_or(&none))];
    let mut first_error: Option<(usize, E)> =
        sink(0, count, file("mod.rs", root())).err().map(|e| (0, e));
    if first_error.is_none() {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(jobs.len())
            .max(1);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let stop = std::sync::atomic::AtomicBool::new(false);
        let sink = &sink;
        first_error = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        use std::sync::atomic::Ordering::Relaxed;
                        let mut error = None;
                        while !stop.load(Relaxed) {
                            let i = next.fetch_add(1, Relaxed);
                            let Some(k) = jobs.get(i) else { break };
                            if let Err(e) = sink(i + 1, count, module_file(k)) {
                                error = Some((i + 1, e));
                                stop.store(true, Relaxed);
                            }
                        }
                        error
                    })
                })
                .collect();
            workers
                .into_iter()
                .filter_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .min_by_key(|(i, _)| *i)
        });
    }
    Ok(match first_error {
        Some((_, e)) => Err(e),
        None => Ok(()),
    })
}

/// A module's file: `pub mod` declarations of the child modules that have files of their own
/// (packages), the `__rt` import, the definitions, then the child modules of messages (nested
/// types and oneofs) inline, as `pub mod name { ... }`. Added to `parts`, which the printer
/// reads one after another: the parts are never copied into one list.
fn file_module_tokens(
    cx: &Context,
    path: &mut ModPath,
    children: &BTreeMap<ModPath, Vec<String>>,
    plan: &BTreeMap<ModPath, Vec<Item>>,
    file_modules: &BTreeSet<ModPath>,
    parts: &mut Vec<Tokens>,
) {
    let (own_files, inline): (Vec<String>, Vec<String>) = children
        .get(path.as_slice())
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .partition(|c| {
            path.push(c.clone());
            let file = file_modules.contains(path.as_slice());
            path.pop();
            file
        });
    let items = plan
        .get(path.as_slice())
        .map(Vec::as_slice)
        .unwrap_or_default();
    module_parts(cx, &own_files, items, parts);
    for child in inline {
        let name = id(&child);
        path.push(child);
        // `pub mod #name { #inner }`, the braces as parts of their own.
        parts.push(quote!(pub mod #name));
        parts.push(Tokens::open(Delim::Brace));
        file_module_tokens(cx, path, children, plan, file_modules, parts);
        parts.push(Tokens::close(Delim::Brace));
        path.pop();
    }
}

/// The items of one module file: its child modules, the `__rt` import, its definitions.
#[cfg(test)]
fn module_tokens(cx: &Context, children: &[String], items: &[Item]) -> Tokens {
    let mut parts = Vec::new();
    module_parts(cx, children, items, &mut parts);
    Tokens::concat(parts)
}

/// [`module_tokens`], added to `parts`.
fn module_parts(cx: &Context, children: &[String], items: &[Item], parts: &mut Vec<Tokens>) {
    parts.push(mod_decls(children));
    parts.push(rt_use(cx, items));
    for item in items {
        item_tokens(cx, *item, parts);
    }
}

/// Generates everything as one file of nested inline modules, for `include!` from `OUT_DIR` in
/// a build script (see [`crate::Builder`]).
pub fn generate_single(ir: &Ir, options: &Options) -> Result<GeneratedFile, Vec<Diagnostic>> {
    check_options(options)?;
    let extended = crate::thrift_service::with_service_structs(ir);
    let cx = context(ir, extended.as_ref(), options);
    let plan = plan(&cx)?;
    let children = children_of(plan.keys());
    fn nest(
        cx: &Context,
        prefix: &mut ModPath,
        children: &BTreeMap<ModPath, Vec<String>>,
        plan: &BTreeMap<ModPath, Vec<Item>>,
        parts: &mut Vec<Tokens>,
    ) {
        let items = plan.get(prefix).map(Vec::as_slice).unwrap_or_default();
        module_parts(cx, &[], items, parts);
        for child in children.get(prefix).cloned().unwrap_or_default() {
            let name = id(&child);
            prefix.push(child);
            parts.push(quote!(pub mod #name));
            parts.push(Tokens::open(Delim::Brace));
            nest(cx, prefix, children, plan, parts);
            parts.push(Tokens::close(Delim::Brace));
            prefix.pop();
        }
    }
    let mut parts = Vec::new();
    nest(&cx, &mut Vec::new(), &children, &plan, &mut parts);
    Ok(file("kit_gen.rs", parts))
}

/// The one [`Context`] of a run: over `ir`, or over its copy with the Thrift services'
/// args/result structs added.
/// Invalid attribute rules are an error with no place in the IDL.
fn check_options(options: &Options) -> Result<(), Vec<Diagnostic>> {
    options.validate().map_err(|e| {
        vec![Diagnostic::error_nowhere(format!(
            "invalid codegen options: {e}"
        ))]
    })
}

fn context<'a>(
    ir: &'a Ir,
    extended: Option<&'a (Ir, crate::thrift_service::ServiceStructs)>,
    options: &'a Options,
) -> Context<'a> {
    match extended {
        None => Context::new(ir, options),
        Some((full, structs)) => {
            let mut cx = Context::new(full, options);
            cx.user_defs = ir.defs.len();
            cx.service_structs = structs.clone();
            cx
        }
    }
}

/// The child modules of every module, in order (the keys come sorted).
fn children_of<'a>(keys: impl Iterator<Item = &'a ModPath>) -> BTreeMap<ModPath, Vec<String>> {
    let mut children: BTreeMap<ModPath, Vec<String>> = BTreeMap::new();
    for k in keys {
        if let Some((last, parent)) = k.split_last() {
            children
                .entry(parent.to_vec())
                .or_default()
                .push(last.clone());
        }
    }
    children
}

/// One thing a module holds.
#[derive(Clone, Copy)]
enum Item {
    /// A definition (type, const, service) with its codec impls.
    Def(DefId),
    /// The oneof enums of a message, in the message's nested module.
    Oneofs(DefId),
}

/// `use ::kit_runtime::__rt;` when the module's items refer to it (the codec impls of structs
/// and the service stubs do; enums, consts and aliases don't), so it is never unused; and
/// `use ::kit_runtime::__rt::pb as __pb;` when a Protobuf message's codec calls the field
/// functions (every field does: `__pb::int32::encode(..)`, three tokens shorter than through
/// `__rt`, and messages are mostly such calls).
fn rt_use(cx: &Context, items: &[Item]) -> Tokens {
    let defs = || {
        items.iter().filter_map(|item| match item {
            Item::Def(id) => Some(cx.ir.def(*id)),
            Item::Oneofs(_) => None,
        })
    };
    let uses = defs().any(|d| matches!(d.kind, DefKind::Struct(_) | DefKind::Service(_)));
    let uses_pb = defs().any(|d| cx.proto_codec_uses_pb(d));
    match (uses, uses_pb) {
        (true, true) => quote!(
            use ::kit_runtime::__rt;
            use ::kit_runtime::__rt::pb as __pb;
        ),
        (true, false) => quote!(
            use ::kit_runtime::__rt;
        ),
        _ => Tokens::new(),
    }
}

/// Adds the tokens of `item` to `parts`.
fn item_tokens(cx: &Context, item: Item, parts: &mut Vec<Tokens>) {
    match item {
        Item::Def(id) => {
            let def = cx.ir.def(id);
            parts.push(cx.gen_def(def));
            if cx.ir.file(def.file).language == Language::Thrift {
                parts.push(cx.gen_thrift_impl(def));
                parts.push(cx.gen_thrift_service(def));
            } else {
                parts.push(cx.gen_proto_impl(def));
                parts.push(cx.gen_grpc_service(def));
            }
        }
        Item::Oneofs(id) => {
            let def = cx.ir.def(id);
            if let DefKind::Struct(s) = &def.kind {
                parts.push(cx.gen_oneofs(def, s));
            }
        }
    }
}

/// What each module holds, after checking that no two names collide in Rust. Every ancestor of
/// a module is present (possibly empty) so the tree is complete.
fn plan(cx: &Context) -> Result<BTreeMap<ModPath, Vec<Item>>, Vec<Diagnostic>> {
    let ir = cx.ir;
    let mut plan: BTreeMap<ModPath, Vec<Item>> = BTreeMap::new();
    for m in cx.layout.modules() {
        plan.entry(m).or_default();
    }
    let mut errors = Vec::new();
    // Per module: Rust names taken, and where each IDL name was defined.
    type Taken<'a> = (Collisions, Vec<(&'a str, kit_idl::source::Span)>);
    let mut names: BTreeMap<&ModPath, Taken> = BTreeMap::new();
    // The services' synthetic args/result structs are generated with their service.
    let user_defs = &ir.defs[..cx.user_defs];
    // Member collisions are looked for on all cores; reported in definition order.
    let mut member_errors = kit_idl::par::par_map(user_defs, 64, |def| {
        let mut errors = Vec::new();
        member_collisions(def, &mut errors);
        errors
    })
    .into_iter();
    // Definitions come file by file, so one module's are mostly consecutive: the module's
    // tables are looked up once per run of them (`run`), its items added when the run ends.
    let mut run: Option<(&ModPath, &mut Taken, Vec<Item>)> = None;
    for def in user_defs {
        let m = cx.layout.def_module(def.id);
        if run.as_ref().is_none_or(|(rm, _, _)| *rm != m) {
            if let Some((rm, _, items)) = run.take() {
                add_items(&mut plan, rm, items);
            }
            run = Some((m, names.entry(m).or_default(), Vec::new()));
        }
        let Some((_, entry, run_items)) = run.as_mut() else {
            unreachable!("a run was just started");
        };
        let rust_name = match def.kind {
            DefKind::Const(_) => ident::const_name(&def.name),
            DefKind::Service(_) => String::new(),
            _ => cx.layout.def_name(def.id).to_string(),
        };
        if !rust_name.is_empty() {
            if let Some(prev) = entry.0.insert(rust_name.clone(), &def.full_name) {
                let mut d = Diagnostic::error(
                    def.span,
                    format!(
                        "`{}` and `{prev}` both become `{rust_name}` in Rust module `{}`",
                        def.full_name,
                        display_mod(m)
                    ),
                )
                .with_label("second definition with this Rust name");
                if let Some((_, span)) = entry.1.iter().find(|(n, _)| *n == prev) {
                    d = d.with_secondary(*span, "first one here");
                }
                errors.push(d.with_note("rename one of them in the IDL"));
            }
            entry.1.push((&def.full_name, def.span));
        }
        run_items.push(Item::Def(def.id));
        if let DefKind::Struct(s) = &def.kind {
            if s.oneofs.iter().any(|o| !o.synthetic) {
                let mut nested = m.clone();
                nested.push(ident::module_name(&def.name));
                plan.entry(nested).or_default().push(Item::Oneofs(def.id));
            }
        }
        errors.extend(member_errors.next().unwrap_or_default());
    }
    if let Some((rm, _, items)) = run {
        add_items(&mut plan, rm, items);
    }
    errors.extend(crate::consts::check(cx));
    errors.extend(cx.arc_errors.iter().cloned());
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(plan)
}

/// Appends `items` to module `m`'s (which is in the plan already unless the layout missed it:
/// no clone of the path then).
fn add_items(plan: &mut BTreeMap<ModPath, Vec<Item>>, m: &ModPath, items: Vec<Item>) {
    match plan.get_mut(m) {
        Some(v) => v.extend(items),
        None => {
            plan.insert(m.clone(), items);
        }
    }
}

/// Fields, enum values and variants of one definition that become the same Rust name.
fn member_collisions(def: &kit_idl::ir::Def, errors: &mut Vec<Diagnostic>) {
    use std::borrow::Cow;
    type Span = kit_idl::source::Span;
    // One scope's members: (Rust name, IDL name, span), in member order.
    let mut check = |members: Vec<(Cow<str>, &str, Span)>, what: &dyn std::fmt::Display| {
        if !any_equal(members.iter().map(|m| &*m.0)) {
            return;
        }
        let mut seen: std::collections::HashMap<&str, (&str, Span)> =
            std::collections::HashMap::new();
        for (rust, original, span) in &members {
            if let Some((prev, prev_span)) = seen.get(&**rust).filter(|(o, _)| o != original) {
                errors.push(
                    Diagnostic::error(
                        *span,
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
                seen.entry(rust).or_insert((original, *span));
            }
        }
    };
    match &def.kind {
        // Aliases (`MOO = 2; moo = 2;`) that become one Rust name with one value are one
        // constant; only different values under one name collide.
        DefKind::Enum(e) => {
            let names: Vec<_> = e
                .values
                .iter()
                .map(|v| (ident::const_name_cow(&v.name), v))
                .collect();
            if !any_equal(names.iter().map(|(c, _)| &**c)) {
                return;
            }
            let mut aliases = std::collections::HashSet::new();
            check(
                names
                    .into_iter()
                    .filter(|(c, v)| aliases.insert((c.clone(), v.value)))
                    .map(|(c, v)| (c, v.name.as_str(), v.span))
                    .collect(),
                &"enum values",
            )
        }
        DefKind::Struct(s) => {
            if s.kind == kit_idl::ir::StructKind::Union {
                check(
                    s.fields
                        .iter()
                        .map(|f| (ident::variant_name(&f.name).into(), f.name.as_str(), f.span))
                        .collect(),
                    &"union members",
                );
            } else {
                let oneof_names = s
                    .oneofs
                    .iter()
                    .filter(|o| !o.synthetic)
                    .map(|o| (ident::field_name_cow(&o.name), o.name.as_str(), o.span));
                check(
                    s.fields
                        .iter()
                        .filter(|f| {
                            f.oneof.is_none_or(|i| {
                                s.oneofs.get(i as usize).is_some_and(|o| o.synthetic)
                            })
                        })
                        .map(|f| (ident::field_name_cow(&f.name), f.name.as_str(), f.span))
                        .chain(oneof_names)
                        .collect(),
                    &"fields",
                );
                for (i, o) in s.oneofs.iter().enumerate() {
                    check(
                        s.fields
                            .iter()
                            .filter(|f| f.oneof == Some(i as u32))
                            .map(|f| (ident::variant_name(&f.name).into(), f.name.as_str(), f.span))
                            .collect(),
                        &format_args!("members of oneof `{}`", o.name),
                    );
                }
            }
        }
        DefKind::Service(svc) => check(
            svc.methods
                .iter()
                .map(|m| (ident::field_name_cow(&m.name), m.name.as_str(), m.span))
                .collect(),
            &"methods",
        ),
        _ => {}
    }
}

/// Whether two of `names` are equal. Most scopes have no two members with one Rust name:
/// sorted names without equal neighbours say so with no hashing and no copies.
fn any_equal<'a>(names: impl Iterator<Item = &'a str>) -> bool {
    let mut sorted: Vec<&str> = names.collect();
    sorted.sort_unstable();
    sorted.windows(2).any(|w| w[0] == w[1])
}

fn mod_decls(children: &[String]) -> Tokens {
    let mods = children.iter().map(|c| id(c));
    quote!(#(pub mod #mods;)*)
}

/// A file printed from `parts`, the lists of its tokens one after another.
fn file(path: &str, parts: Vec<Tokens>) -> GeneratedFile {
    GeneratedFile {
        path: path.to_string(),
        contents: crate::print::print_parts(&format!("{HEADER}\n"), &parts),
    }
}

fn display_mod(m: &ModPath) -> String {
    if m.is_empty() {
        "(root)".to_string()
    } else {
        m.join("::")
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// The printer changes layout only: for real IDL, every module it prints parses back to
    /// the program codegen built, as prettyplease (the reference formatter) sees it.
    #[test]
    fn printed_modules_are_the_generated_tokens() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
        let thrift = corpus.join("thrift/apache-thrift/test");
        let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/codegen/idl");
        let pb = corpus.join("proto/protobuf-v21.12");
        let grpc = corpus.join("proto/grpc-proto");
        let gapis = corpus.join("proto/googleapis");
        let cases: Vec<(Vec<PathBuf>, Vec<PathBuf>)> = vec![
            (
                vec![
                    thrift.join("ThriftTest.thrift"),
                    thrift.join("Recursive.thrift"),
                    ours.join("keywords.thrift"),
                    ours.join("unions.thrift"),
                ],
                vec![],
            ),
            (
                vec![
                    pb.join("google/protobuf/test_messages_proto3.proto"),
                    pb.join("google/protobuf/test_messages_proto2.proto"),
                    grpc.join("grpc/testing/test.proto"),
                    gapis.join("google/pubsub/v1/pubsub.proto"),
                ],
                vec![pb.clone(), grpc.clone(), gapis.clone()],
            ),
        ];
        let mut modules = 0;
        for (files, roots) in cases {
            let c = kit_idl::compile(
                &files,
                &kit_idl::Options {
                    include_dirs: roots,
                },
                &kit_idl::OsLoader,
            );
            assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
            for serde in [false, true] {
                let options = Options {
                    serde,
                    ..Default::default()
                };
                let extended = crate::thrift_service::with_service_structs(&c.ir);
                let cx = context(&c.ir, extended.as_ref(), &options);
                let plan = plan(&cx).expect("no collisions");
                let children = children_of(plan.keys());
                for (k, items) in &plan {
                    let kids = children.get(k).cloned().unwrap_or_default();
                    let tokens = module_tokens(&cx, &kids, items);
                    let want = prettyplease::unparse(
                        &syn::parse2(tokens.to_proc_macro2()).expect("generated tokens parse"),
                    );
                    let printed = crate::print::print_file("", tokens);
                    let back = syn::parse_file(&printed).unwrap_or_else(|e| {
                        panic!("printed module {k:?} does not parse: {e}\n{printed}")
                    });
                    assert_eq!(prettyplease::unparse(&back), want, "module {k:?}");
                    modules += 1;
                }
            }
        }
        assert!(modules > 20, "{modules} modules checked");
    }
}
