//! Lowering: symbol tables, name resolution and semantic checks, Protobuf AST -> IR.
//!
//! Passes over all files (given in dependency order): `declare` allocates the `Def`s,
//! `register` enters every definition, enum value, field and extension in the symbol table
//! under its full name, `define` (per file, in parallel) resolves types and options, runs the
//! checks and builds the definitions' contents, which are then applied in file order. See
//! `lower`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::ast::*;
use super::docs;
use crate::compile::LoadedFile;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{self, *};
use crate::source::{FileId, SourceMap, Span};

/// FxHash (as in rustc): much faster than SipHash for the many short keys of the symbol
/// table; hash flooding is not a concern for a compiler reading its user's own files.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// Largest field number.
const MAX_FIELD: i64 = 536_870_911;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SymKind {
    Package,
    Message(DefId),
    Enum(DefId),
    Service(DefId),
    EnumValue(DefId),
    Field,
    Oneof,
    /// An extension field.
    Ext,
}

#[derive(Clone, Copy, Debug)]
struct Sym {
    kind: SymKind,
    file: FileId,
    span: Span,
}

impl Sym {
    fn is_type(&self) -> bool {
        matches!(self.kind, SymKind::Message(_) | SymKind::Enum(_))
    }
    fn is_aggregate(&self) -> bool {
        matches!(
            self.kind,
            SymKind::Message(_) | SymKind::Enum(_) | SymKind::Package | SymKind::Service(_)
        )
    }
}

struct Cx<'a> {
    sources: &'a SourceMap,
    ir: &'a mut Ir,
    diags: &'a mut Diagnostics,
    syms: FxMap<String, Sym>,
    /// `(file, statement start)` of a message, enum, group or service -> its def.
    by_pos: FxMap<(u32, u32), DefId>,
    /// Per file (by id): itself plus the files it re-exports through `import public`.
    public_closure: FxMap<FileId, Vec<FileId>>,
    /// Extension numbers to check against their extendee's ranges once everything is lowered.
    pending_ext: Vec<(DefId, i64, Span, String)>,
    /// Messages that set `option map_entry` explicitly.
    map_entry_defs: std::collections::HashSet<DefId>,
    /// Each file's package.
    file_pkg: FxMap<FileId, String>,
}

/// The define pass over one file: read-only access to the tables and the declared IR (so
/// files are defined in parallel); everything it produces goes to its own buffers, applied
/// to the IR in file order afterwards.
struct Dx<'a> {
    sources: &'a SourceMap,
    /// The IR as declared: defs' names, kinds (enum/message/service), spans, `is_group`, and
    /// enums' provisional values (the same names and numbers `define_enum` gives them).
    ir: &'a Ir,
    syms: &'a FxMap<String, Sym>,
    by_pos: &'a FxMap<(u32, u32), DefId>,
    public_closure: &'a FxMap<FileId, Vec<FileId>>,
    map_entry_defs: &'a std::collections::HashSet<DefId>,
    file_pkg: &'a FxMap<FileId, String>,
    /// This file's diagnostics.
    diags: Vec<Diagnostic>,
    /// This file's extensions, to check against their extendee's ranges once all is lowered.
    pending_ext: Vec<(DefId, i64, Span, String)>,
    /// After a failed `lookup` of a dotted name whose first part was found: the full name
    /// that was tried.
    last_miss: std::cell::RefCell<Option<String>>,
    /// Files whose definitions this file used (for unused-import warnings).
    used: std::cell::RefCell<std::collections::HashSet<FileId, BuildHasherDefault<Fx>>>,
    /// The definitions this file fills in, in order.
    defined: Vec<(DefId, Vec<Annotation>, Defined)>,
    /// The file itself.
    file: Option<ir::File>,
}

/// What `define` fills in of a declared def (besides its annotations).
enum Defined {
    Message {
        fields: Vec<Field>,
        oneofs: Vec<Oneof>,
        ext: ProtoMessageExt,
    },
    Enum(ir::Enum),
    Service(Vec<Method>),
}

/// A symbol for `Cx::add_sym`, named in parallel: `full` is `scope.name` (or `name`).
struct NewSym {
    full: String,
    name_len: usize,
    sym: Sym,
}

impl NewSym {
    fn name(&self) -> &str {
        &self.full[self.full.len() - self.name_len..]
    }
    fn scope(&self) -> &str {
        &self.full[..(self.full.len() - self.name_len).saturating_sub(1)]
    }
}

fn new_sym(out: &mut Vec<NewSym>, full: String, name: &str, sym: Sym) {
    debug_assert!(full.ends_with(name));
    out.push(NewSym {
        full,
        name_len: name.len(),
        sym,
    });
}

/// One file's define results.
struct FileDefined {
    diags: Vec<Diagnostic>,
    pending_ext: Vec<(DefId, i64, Span, String)>,
    defined: Vec<(DefId, Vec<Annotation>, Defined)>,
    file: Option<ir::File>,
}

/// What the current file can see.
struct Vis {
    /// Sorted.
    files: Vec<FileId>,
}

impl Vis {
    fn sees(&self, f: FileId) -> bool {
        self.files.binary_search(&f).is_ok()
    }
}

/// "Is `n` in one of these half-open ranges?" in O(log n), for messages with many reserved
/// or extension ranges (overlapping ranges allowed).
struct RangeSet {
    /// `(start, end, original index)` sorted by start.
    sorted: Vec<(i32, i32, usize)>,
    /// `prefix_end[i]`: the largest `end` among `sorted[..=i]`.
    prefix_end: Vec<i32>,
}

impl RangeSet {
    fn new(ranges: &[(i32, i32)]) -> RangeSet {
        let mut sorted: Vec<(i32, i32, usize)> = ranges
            .iter()
            .enumerate()
            .map(|(i, &(s, e))| (s, e, i))
            .collect();
        sorted.sort_unstable();
        let mut prefix_end = Vec::with_capacity(sorted.len());
        let mut m = i32::MIN;
        for r in &sorted {
            m = m.max(r.1);
            prefix_end.push(m);
        }
        RangeSet { sorted, prefix_end }
    }

    /// The original index of a range overlapping `[start, end)`, if any.
    fn overlapping(&self, start: i32, end: i32) -> Option<usize> {
        let k = self.sorted.partition_point(|r| r.0 < end);
        if k == 0 || self.prefix_end[k - 1] <= start {
            return None;
        }
        self.sorted[..k]
            .iter()
            .rev()
            .find(|r| start < r.1)
            .map(|r| r.2)
    }

    /// The original index of a range containing `n`, if any.
    fn find(&self, n: i32) -> Option<usize> {
        let k = self.sorted.partition_point(|r| r.0 <= n);
        if k == 0 || self.prefix_end[k - 1] <= n {
            return None;
        }
        // Some range among sorted[..k] contains n; find it (rare: only on an error).
        self.sorted[..k].iter().rev().find(|r| n < r.1).map(|r| r.2)
    }
}

/// Below this many files the define pass runs on the calling thread (as `compile`'s parse).
const PARALLEL_MIN_FILES: usize = 8;

pub(crate) fn lower(
    files: &[LoadedFile<'_, Ast>],
    sources: &SourceMap,
    ir: &mut Ir,
    diags: &mut Diagnostics,
) {
    // Phases, over the files in dependency order:
    // 1. declare (serial): allocates every def in order (`ir.defs`), `by_pos`, public
    //    closures; enums get their values already (definitive names and numbers).
    // 2. register: each file's symbols named in parallel (`file_syms`), entered into the
    //    table serially in file order, in protoc's order (so duplicate reports are the same).
    // 3. define (parallel, per file): resolves types and options, runs the checks, builds
    //    fields/values/methods and the `ir::File`. It reads only what 1 and 2 built (no
    //    other def's define results), writing to per-file buffers (`Dx`).
    // 4. apply (serial, file order): the buffers into `ir.defs`, `ir.files` and `diags`, then
    //    the extension-number checks, which need every message's ranges.
    let (n_defs, n_syms) = files.iter().fold((0, 0), |(d, s), f| {
        let (fd, fs) = count_decls(f.ast);
        (d + fd, s + fs)
    });
    let mut cx = Cx {
        sources,
        ir,
        diags,
        syms: FxMap::with_capacity_and_hasher(n_syms, Default::default()),
        by_pos: FxMap::with_capacity_and_hasher(n_defs, Default::default()),
        public_closure: FxMap::default(),
        pending_ext: Vec::new(),
        map_entry_defs: std::collections::HashSet::new(),
        file_pkg: FxMap::default(),
    };
    cx.ir.defs.reserve(n_defs);
    for f in files {
        cx.declare_file(f);
    }
    let file_syms = crate::par::par_map(files, PARALLEL_MIN_FILES, |f| cx.file_syms(f));
    for (f, syms) in files.iter().zip(file_syms) {
        cx.register_package(f);
        for s in syms {
            cx.add_sym(s);
        }
    }
    let defined = {
        let ir: &Ir = cx.ir;
        let (syms, by_pos, public_closure, map_entry_defs, file_pkg) = (
            &cx.syms,
            &cx.by_pos,
            &cx.public_closure,
            &cx.map_entry_defs,
            &cx.file_pkg,
        );
        crate::par::par_map(files, PARALLEL_MIN_FILES, |f| {
            let mut dx = Dx {
                sources,
                ir,
                syms,
                by_pos,
                public_closure,
                map_entry_defs,
                file_pkg,
                diags: Vec::new(),
                pending_ext: Vec::new(),
                last_miss: std::cell::RefCell::new(None),
                used: std::cell::RefCell::new(Default::default()),
                defined: Vec::new(),
                file: None,
            };
            dx.define_file(f);
            FileDefined {
                diags: dx.diags,
                pending_ext: dx.pending_ext,
                defined: dx.defined,
                file: dx.file,
            }
        })
    };
    for fd in defined {
        cx.apply(fd);
    }
    cx.check_pending_extensions();
}

/// Upper bounds of a file's defs and symbols (to size the tables once).
fn count_decls(ast: &Ast) -> (usize, usize) {
    fn field(f: &FieldAst, n: &mut (usize, usize)) {
        n.1 += 1;
        if let FieldTy::Group(b) = &f.ty {
            body(b, n);
        }
    }
    fn en(e: &EnumAst, n: &mut (usize, usize)) {
        n.0 += 1;
        n.1 += 1 + e.values.len();
    }
    fn body(b: &MsgBody, n: &mut (usize, usize)) {
        n.0 += 1;
        n.1 += 1;
        for e in &b.elems {
            match e {
                MsgElem::Field(f) => field(f, n),
                MsgElem::Oneof(o) => {
                    n.1 += 1;
                    o.fields.iter().for_each(|f| field(f, n));
                }
                MsgElem::Message(m) => body(&m.body, n),
                MsgElem::Enum(e) => en(e, n),
                MsgElem::Extend(x) => x.fields.iter().for_each(|f| field(f, n)),
                _ => {}
            }
        }
    }
    let mut n = (
        0,
        ast.packages.first().map_or(0, |p| p.0.split('.').count()),
    );
    for item in &ast.items {
        match item {
            Item::Message(m) => body(&m.body, &mut n),
            Item::Enum(e) => en(e, &mut n),
            Item::Service(_) => {
                n.0 += 1;
                n.1 += 1;
            }
            Item::Extend(x) => x.fields.iter().for_each(|f| field(f, &mut n)),
        }
    }
    n
}

fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        let mut s = String::with_capacity(scope.len() + 1 + name.len());
        s.push_str(scope);
        s.push('.');
        s.push_str(name);
        s
    }
}

fn parent_scope(scope: &str) -> &str {
    match scope.rfind('.') {
        Some(i) => &scope[..i],
        None => "",
    }
}

fn scalar(name: &str) -> Option<Type> {
    Some(match name {
        "double" => Type::Double,
        "float" => Type::Float,
        "int32" => Type::I32,
        "int64" => Type::I64,
        "uint32" => Type::U32,
        "uint64" => Type::U64,
        "sint32" => Type::SInt32,
        "sint64" => Type::SInt64,
        "fixed32" => Type::Fixed32,
        "fixed64" => Type::Fixed64,
        "sfixed32" => Type::SFixed32,
        "sfixed64" => Type::SFixed64,
        "bool" => Type::Bool,
        "string" => Type::String,
        "bytes" => Type::Bytes,
        _ => return None,
    })
}

fn language_of(ast: &Ast) -> Language {
    match ast.syntax.as_ref().map(|s| s.0.as_str()) {
        Some("proto3") => Language::Proto3,
        _ => Language::Proto2,
    }
}

fn package_of(ast: &Ast) -> &str {
    ast.packages.first().map(|p| p.0.as_str()).unwrap_or("")
}

impl<'a> Cx<'a> {
    fn src(&self, f: FileId) -> &'a str {
        &self.sources.get(f).text
    }

    // ---------------------------------------------------------------- declare

    /// Registers a symbol; reports a duplicate (and returns false) if the name is taken.
    fn add_sym(&mut self, new: NewSym) -> bool {
        let NewSym {
            full,
            name_len,
            sym,
        } = new;
        // One hash and probe for the usual case, a new name.
        let (prev, new) = match self.syms.entry(full) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(sym);
                return true;
            }
            std::collections::hash_map::Entry::Occupied(o) => (
                *o.get(),
                NewSym {
                    full: o.key().clone(),
                    name_len,
                    sym,
                },
            ),
        };
        let (full, name, scope) = (new.full.as_str(), new.name(), new.scope());
        if prev.kind == SymKind::Package && sym.kind == SymKind::Package {
            return true;
        }
        let msg = if prev.file != sym.file {
            format!(
                "\"{full}\" is already defined in file \"{}\"",
                self.sources.get(prev.file).name
            )
        } else if matches!(sym.kind, SymKind::EnumValue(_))
            && matches!(prev.kind, SymKind::EnumValue(_))
        {
            let scope_desc = if scope.is_empty() {
                "the global scope".to_owned()
            } else {
                format!("\"{scope}\"")
            };
            format!(
                "\"{name}\" is already defined in {scope_desc}; enum values use C++ scoping rules: they are siblings of their enum type, so \"{name}\" must be unique within {scope_desc}, not just within its enum"
            )
        } else if scope.is_empty() {
            format!("\"{name}\" is already defined")
        } else {
            format!("\"{name}\" is already defined in \"{scope}\"")
        };
        let d = Diagnostic::error(sym.span, msg)
            .with_label("defined again here")
            .with_secondary(prev.span, "first defined here");
        self.diags.push(d);
        false
    }

    #[allow(clippy::too_many_arguments)]
    fn new_def(
        &mut self,
        file: FileId,
        name: &str,
        full_name: String,
        parent: Option<DefId>,
        kind: DefKind,
        span: Span,
        start: u32,
    ) -> DefId {
        let id = DefId(self.ir.defs.len() as u32);
        let docs = docs::leading(self.src(file), start);
        self.ir.defs.push(Def {
            id,
            file,
            name: name.to_owned(),
            full_name,
            parent,
            kind,
            docs,
            annotations: Vec::new(),
            span,
        });
        self.by_pos.insert((file.0, start), id);
        if let Some(p) = parent {
            if let DefKind::Struct(s) = &mut self.ir.defs[p.0 as usize].kind {
                s.nested.push(id);
            }
        }
        id
    }

    fn declare_file(&mut self, f: &LoadedFile<'_, Ast>) {
        let ast = f.ast;
        // Public closure for visibility.
        let mut closure = vec![f.id];
        for imp in f.imports {
            if imp.kind == IncludeKind::Public {
                if let Some(c) = self.public_closure.get(&imp.file) {
                    closure.extend_from_slice(c);
                }
            }
        }
        closure.sort_unstable();
        closure.dedup();
        self.public_closure.insert(f.id, closure);

        // Definitions, allocated in source order (pre-order).
        let pkg = package_of(ast);
        self.file_pkg.insert(f.id, pkg.to_owned());
        for item in &ast.items {
            match item {
                Item::Message(m) => self.declare_message(f.id, pkg, None, m),
                Item::Enum(e) => self.declare_enum(f.id, pkg, None, e),
                Item::Service(s) => {
                    let full = join(pkg, &s.name);
                    self.new_def(
                        f.id,
                        &s.name,
                        full,
                        None,
                        DefKind::Service(Service {
                            extends: None,
                            methods: Vec::new(),
                        }),
                        s.name_span,
                        s.start,
                    );
                }
                Item::Extend(x) => self.declare_extend(f.id, pkg, None, x),
            }
        }
    }

    fn empty_struct(group: bool) -> DefKind {
        DefKind::Struct(Struct {
            kind: StructKind::Struct,
            fields: Vec::new(),
            oneofs: Vec::new(),
            nested: Vec::new(),
            proto: Some(ProtoMessageExt {
                is_group: group,
                ..ProtoMessageExt::default()
            }),
        })
    }

    fn declare_message(&mut self, file: FileId, scope: &str, parent: Option<DefId>, m: &Message) {
        let full = join(scope, &m.name);
        let id = self.new_def(
            file,
            &m.name,
            full.clone(),
            parent,
            Self::empty_struct(false),
            m.name_span,
            m.start,
        );
        if m.body
            .elems
            .iter()
            .any(|e| matches!(e, MsgElem::Option(o) if o.name == "map_entry"))
        {
            self.map_entry_defs.insert(id);
        }
        self.declare_body(file, &full, id, &m.body);
    }

    fn declare_group(
        &mut self,
        file: FileId,
        scope: &str,
        parent: Option<DefId>,
        f: &FieldAst,
        body: &MsgBody,
    ) {
        // The group's type name is the name as written; the field is its lowercase.
        let full = join(scope, &f.name);
        let id = self.new_def(
            file,
            &f.name,
            full.clone(),
            parent,
            Self::empty_struct(true),
            f.name_span,
            f.start,
        );
        self.declare_body(file, &full, id, body);
    }

    fn declare_body(&mut self, file: FileId, scope: &str, id: DefId, body: &MsgBody) {
        for e in &body.elems {
            match e {
                MsgElem::Field(f) => {
                    if let FieldTy::Group(b) = &f.ty {
                        self.declare_group(file, scope, Some(id), f, b);
                    }
                }
                MsgElem::Oneof(o) => {
                    for f in &o.fields {
                        if let FieldTy::Group(b) = &f.ty {
                            self.declare_group(file, scope, Some(id), f, b);
                        }
                    }
                }
                MsgElem::Message(m) => self.declare_message(file, scope, Some(id), m),
                MsgElem::Enum(en) => self.declare_enum(file, scope, Some(id), en),
                MsgElem::Extend(x) => self.declare_extend(file, scope, Some(id), x),
                _ => {}
            }
        }
    }

    fn declare_extend(&mut self, file: FileId, scope: &str, parent: Option<DefId>, x: &ExtendAst) {
        for f in &x.fields {
            if let FieldTy::Group(b) = &f.ty {
                self.declare_group(file, scope, parent, f, b);
            }
        }
    }

    fn declare_enum(&mut self, file: FileId, scope: &str, parent: Option<DefId>, e: &EnumAst) {
        let full = join(scope, &e.name);
        self.new_def(
            file,
            &e.name,
            full,
            parent,
            DefKind::Enum(ir::Enum {
                // The values' names and numbers, as `define_enum` keeps them (out-of-range
                // numbers left out), for enum defaults: files are defined in parallel, so a
                // default reads these, never `define_enum`'s. `define_enum` replaces them.
                values: e
                    .values
                    .iter()
                    .filter_map(|v| {
                        let n = v.number.as_i64().and_then(|n| i32::try_from(n).ok())?;
                        Some(EnumValue {
                            name: v.name.clone(),
                            value: n,
                            annotations: Vec::new(),
                            docs: Docs(None),
                            span: v.name_span,
                        })
                    })
                    .collect(),
                allow_alias: false,
            }),
            e.name_span,
            e.start,
        );
    }

    // ---------------------------------------------------------------- register

    // `register` enters a file's symbols in the order protoc's `DescriptorBuilder` adds them,
    // so that of two clashing names the same one is reported: the package, then all messages
    // (each: itself, its oneofs, fields, nested types, enums, extensions), then enums (each
    // with its values, which live in the enum's enclosing scope), services, extensions. The
    // names are built per file in parallel (`file_syms`), then entered in order (`add_sym`).

    /// The package's part of `register`: enters `a`, `a.b`, `a.b.c` (serial: reads the table).
    fn register_package(&mut self, f: &LoadedFile<'_, Ast>) {
        let ast = f.ast;
        let file = f.id;
        let pkg = package_of(ast);
        if !pkg.is_empty() {
            let span = ast.packages[0].1;
            let mut end = 0;
            loop {
                let next = pkg[end..].find('.').map(|i| end + i).unwrap_or(pkg.len());
                let part = &pkg[..next];
                if let Some(prev) = self.syms.get(part) {
                    if prev.kind != SymKind::Package {
                        let d = Diagnostic::error(
                            span,
                            format!(
                                "\"{part}\" is already defined (as something other than a package) in file \"{}\"",
                                self.sources.get(prev.file).name
                            ),
                        )
                        .with_secondary(prev.span, "first defined here");
                        self.diags.push(d);
                        break;
                    }
                } else {
                    self.syms.insert(
                        part.to_owned(),
                        Sym {
                            kind: SymKind::Package,
                            file,
                            span,
                        },
                    );
                }
                if next >= pkg.len() {
                    break;
                }
                end = next + 1;
            }
        }
    }

    /// The rest of `register` for one file: its symbols in order, to enter with `add_sym` after
    /// `register_package` (builds the names only, so files run in parallel).
    fn file_syms(&self, f: &LoadedFile<'_, Ast>) -> Vec<NewSym> {
        let ast = f.ast;
        let file = f.id;
        let pkg = package_of(ast);
        let out = &mut Vec::with_capacity(count_decls(ast).1);
        for item in &ast.items {
            match item {
                Item::Message(m) => {
                    self.register_message(out, file, pkg, &m.name, m.name_span, m.start, &m.body)
                }
                Item::Extend(x) => {
                    // Groups of file-level extensions are top-level messages.
                    for fl in &x.fields {
                        if let FieldTy::Group(b) = &fl.ty {
                            self.register_message(
                                out,
                                file,
                                pkg,
                                &fl.name,
                                fl.name_span,
                                fl.start,
                                b,
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        for item in &ast.items {
            if let Item::Enum(e) = item {
                self.register_enum(out, file, pkg, e);
            }
        }
        for item in &ast.items {
            if let Item::Service(s) = item {
                if let Some(id) = self.def_at(file, s.start) {
                    let sym = Sym {
                        kind: SymKind::Service(id),
                        file,
                        span: s.name_span,
                    };
                    new_sym(out, join(pkg, &s.name), &s.name, sym);
                }
            }
        }
        for item in &ast.items {
            if let Item::Extend(x) = item {
                self.register_extensions(out, file, pkg, x);
            }
        }
        std::mem::take(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn register_message(
        &self,
        out: &mut Vec<NewSym>,
        file: FileId,
        scope: &str,
        name: &str,
        name_span: Span,
        start: u32,
        body: &MsgBody,
    ) {
        let Some(id) = self.def_at(file, start) else {
            return;
        };
        let full = join(scope, name);
        let sym = Sym {
            kind: SymKind::Message(id),
            file,
            span: name_span,
        };
        new_sym(out, full.clone(), name, sym);
        let scope = full.as_str();
        for e in &body.elems {
            if let MsgElem::Oneof(o) = e {
                let sym = Sym {
                    kind: SymKind::Oneof,
                    file,
                    span: o.name_span,
                };
                new_sym(out, join(scope, &o.name), &o.name, sym);
            }
        }
        for e in &body.elems {
            match e {
                MsgElem::Field(f) => self.register_field(out, file, scope, f, SymKind::Field),
                MsgElem::Oneof(o) => {
                    for f in &o.fields {
                        self.register_field(out, file, scope, f, SymKind::Field);
                    }
                }
                _ => {}
            }
        }
        for e in &body.elems {
            let groups: &[FieldAst] = match e {
                MsgElem::Message(m) => {
                    self.register_message(out, file, scope, &m.name, m.name_span, m.start, &m.body);
                    continue;
                }
                MsgElem::Field(f) => std::slice::from_ref(f),
                MsgElem::Oneof(o) => &o.fields,
                MsgElem::Extend(x) => &x.fields,
                _ => continue,
            };
            for f in groups {
                if let FieldTy::Group(b) = &f.ty {
                    self.register_message(out, file, scope, &f.name, f.name_span, f.start, b);
                }
            }
        }
        for e in &body.elems {
            if let MsgElem::Enum(en) = e {
                self.register_enum(out, file, scope, en);
            }
        }
        for e in &body.elems {
            if let MsgElem::Extend(x) = e {
                self.register_extensions(out, file, scope, x);
            }
        }
    }

    fn register_field(
        &self,
        out: &mut Vec<NewSym>,
        file: FileId,
        scope: &str,
        f: &FieldAst,
        kind: SymKind,
    ) {
        let name = field_name(f);
        let sym = Sym {
            kind,
            file,
            span: f.name_span,
        };
        new_sym(out, join(scope, &name), &name, sym);
    }

    fn register_extensions(&self, out: &mut Vec<NewSym>, file: FileId, scope: &str, x: &ExtendAst) {
        for f in &x.fields {
            self.register_field(out, file, scope, f, SymKind::Ext);
        }
    }

    fn register_enum(&self, out: &mut Vec<NewSym>, file: FileId, scope: &str, e: &EnumAst) {
        let Some(id) = self.def_at(file, e.start) else {
            return;
        };
        let sym = Sym {
            kind: SymKind::Enum(id),
            file,
            span: e.name_span,
        };
        new_sym(out, join(scope, &e.name), &e.name, sym);
        for v in &e.values {
            let sym = Sym {
                kind: SymKind::EnumValue(id),
                file,
                span: v.name_span,
            };
            new_sym(out, join(scope, &v.name), &v.name, sym);
        }
    }

    fn def_at(&self, file: FileId, start: u32) -> Option<DefId> {
        self.by_pos.get(&(file.0, start)).copied()
    }
}

impl<'a> Dx<'a> {
    fn src(&self, f: FileId) -> &'a str {
        &self.sources.get(f).text
    }

    // ---------------------------------------------------------------- resolve

    fn get(&self, vis: &Vis, full: &str) -> Option<Sym> {
        let s = self.syms.get(full)?;
        let visible = if s.kind == SymKind::Package {
            // As protoc: a package is visible if a visible file is in it or below it.
            vis.sees(s.file)
                || vis.files.iter().any(|f| {
                    self.file_pkg.get(f).is_some_and(|p| {
                        p.len() >= full.len()
                            && p.starts_with(full)
                            && (p.len() == full.len() || p.as_bytes()[full.len()] == b'.')
                    })
                })
        } else {
            vis.sees(s.file)
        };
        visible.then_some(*s)
    }

    /// protoc's scoping: innermost scope first; for `A.B`, resolve `A` then look inside.
    fn lookup(&self, vis: &Vis, scope: &str, name: &str, types_only: bool) -> Option<Sym> {
        let r = self.lookup_inner(vis, scope, name, types_only);
        if let Some(s) = &r {
            self.used.borrow_mut().insert(s.file);
        }
        r
    }

    fn lookup_inner(&self, vis: &Vis, scope: &str, name: &str, types_only: bool) -> Option<Sym> {
        self.last_miss.replace(None);
        if let Some(abs) = name.strip_prefix('.') {
            return self.get(vis, abs);
        }
        let first = name.split('.').next().unwrap_or(name);
        let compound = first.len() < name.len();
        let mut scope = scope;
        let mut buf = String::with_capacity(scope.len() + name.len() + 1);
        loop {
            buf.clear();
            if !scope.is_empty() {
                buf.push_str(scope);
                buf.push('.');
            }
            buf.push_str(first);
            if let Some(s) = self.get(vis, &buf) {
                if compound {
                    if s.is_aggregate() {
                        buf.push_str(&name[first.len()..]);
                        let r = self.get(vis, &buf);
                        if r.is_none() {
                            self.last_miss.replace(Some(buf));
                        }
                        return r;
                    }
                } else if !types_only || s.is_type() {
                    return Some(s);
                }
            }
            if scope.is_empty() {
                return None;
            }
            scope = parent_scope(scope);
        }
    }

    /// Resolves a field type name; reports unknown names and non-types.
    fn resolve_type(&mut self, vis: &Vis, scope: &str, name: &str, span: Span) -> Option<DefId> {
        match self.lookup(vis, scope, name, true) {
            Some(Sym {
                kind: SymKind::Message(id) | SymKind::Enum(id),
                ..
            }) => Some(id),
            Some(_) => {
                self.diags.push(
                    Diagnostic::error(span, format!("\"{name}\" is not a type"))
                        .with_label("expected a message or enum"),
                );
                None
            }
            None if name == "group" => {
                self.diags.push(
                    Diagnostic::error(span, "missing group body")
                        .with_label("a group needs a body")
                        .with_note("write `optional group Name = 1 { ... }`"),
                );
                None
            }
            None => {
                let mut d = self.undefined(span, name, "unknown type");
                if let Some(hint) = self.not_imported_hint(vis, scope, name) {
                    d = d.with_note(hint);
                }
                self.diags.push(d);
                None
            }
        }
    }

    /// "X is not defined", explaining a dotted name that resolved to the wrong scope.
    fn undefined(&self, span: Span, name: &str, label: &str) -> Diagnostic {
        match self
            .last_miss
            .borrow()
            .as_ref()
            .filter(|full| full.as_str() != name)
        {
            Some(full) => Diagnostic::error(
                span,
                format!("\"{name}\" is resolved to \"{full}\", which is not defined"),
            )
            .with_label(label.to_owned())
            .with_note(format!(
                "the innermost scope is searched first in name resolution; consider using a leading '.' (i.e., \".{name}\") to start from the outermost scope"
            )),
            None => Diagnostic::error(span, format!("\"{name}\" is not defined")).with_label(label.to_owned()),
        }
    }

    /// If the name exists in a file that is not imported, say so.
    fn not_imported_hint(&self, vis: &Vis, scope: &str, name: &str) -> Option<String> {
        let everything = Vis { files: Vec::new() };
        let _ = vis;
        // Try the lookup ignoring visibility: walk scopes directly.
        let mut scope = scope;
        let name = name.trim_start_matches('.');
        loop {
            let full = join(scope, name);
            if let Some(s) = self.syms.get(&full) {
                if s.is_type() {
                    return Some(format!(
                        "\"{full}\" is defined in \"{}\", which is not imported",
                        self.sources.get(s.file).name
                    ));
                }
            }
            if scope.is_empty() {
                let _ = everything;
                return None;
            }
            scope = parent_scope(scope);
        }
    }

    // ---------------------------------------------------------------- define

    fn define_file(&mut self, f: &LoadedFile<'_, Ast>) {
        let ast = f.ast;
        let lang = language_of(ast);
        let pkg = package_of(ast);
        let mut files = vec![f.id];
        for imp in f.imports {
            if let Some(c) = self.public_closure.get(&imp.file) {
                files.extend_from_slice(c);
            }
        }
        files.sort_unstable();
        files.dedup();
        let vis = Vis { files };

        // File-level checks.
        match &ast.syntax {
            None => {
                self.diags.push(
                    Diagnostic::warning(
                        ast.file_start,
                        "no syntax specified for this file; defaulting to \"proto2\"",
                    )
                    .with_note("add `syntax = \"proto2\";` or `syntax = \"proto3\";` at the top"),
                );
            }
            Some((s, span)) if s != "proto2" && s != "proto3" => {
                self.diags.push(
                    Diagnostic::error(*span, format!("unrecognized syntax identifier \"{s}\""))
                        .with_label("expected \"proto2\" or \"proto3\""),
                );
            }
            _ => {}
        }
        for p in ast.packages.iter().skip(1) {
            self.diags.push(
                Diagnostic::error(p.1, "multiple package definitions")
                    .with_secondary(ast.packages[0].1, "first package here"),
            );
        }
        let mut seen_imports: FxMap<&str, &Import> = FxMap::default();
        for imp in &ast.imports {
            if let Some(prev) = seen_imports.get(imp.path.as_str()) {
                self.diags.push(
                    Diagnostic::error(
                        imp.stmt_span,
                        format!("import \"{}\" was listed twice", imp.path),
                    )
                    .with_secondary(prev.stmt_span, "first imported here"),
                );
            } else {
                seen_imports.insert(imp.path.as_str(), imp);
            }
        }

        let file_opts = self.options(&vis, pkg, &ast.options, OptKind::File);
        let mut top = Vec::new();
        let mut file_exts = Vec::new();
        for item in &ast.items {
            match item {
                Item::Message(m) => {
                    if let Some(id) = self.def_at(f.id, m.start) {
                        top.push(id);
                        self.define_message(&vis, lang, f.id, id, &m.body);
                    }
                }
                Item::Enum(e) => {
                    if let Some(id) = self.def_at(f.id, e.start) {
                        top.push(id);
                        self.define_enum(&vis, lang, f.id, pkg, id, e);
                    }
                }
                Item::Service(s) => {
                    if let Some(id) = self.def_at(f.id, s.start) {
                        top.push(id);
                        self.define_service(&vis, f.id, pkg, id, s);
                    }
                }
                Item::Extend(x) => {
                    for fl in &x.fields {
                        if let FieldTy::Group(_) = fl.ty {
                            if let Some(id) = self.def_at(f.id, fl.start) {
                                top.push(id);
                            }
                        }
                    }
                    self.define_extend(&vis, lang, f.id, pkg, x, &mut file_exts);
                }
            }
        }
        // Unused imports (as protoc, a warning; `import public` re-exports and `import weak`
        // are exempt).
        {
            let used = self.used.borrow();
            for imp in f.imports {
                if imp.kind != IncludeKind::Normal || imp.file == f.id {
                    continue;
                }
                let seen = self
                    .public_closure
                    .get(&imp.file)
                    .is_some_and(|c| c.iter().any(|x| used.contains(x)));
                if !seen {
                    self.diags.push(
                        Diagnostic::warning(imp.span, format!("import \"{}\" is unused", imp.path))
                            .with_label("nothing from this file is used"),
                    );
                }
            }
        }
        self.used.borrow_mut().clear();
        let includes = f
            .imports
            .iter()
            .map(|i| Include {
                file: i.file,
                path: i.path.clone(),
                kind: i.kind,
                span: i.span,
            })
            .collect();
        let docs = match &ast.packages.first() {
            Some(p) => docs::leading(self.src(f.id), p.1.start),
            None => Docs(None),
        };
        self.file = Some(ir::File {
            id: f.id,
            name: f.name.to_owned(),
            language: lang,
            package: if pkg.is_empty() {
                None
            } else {
                Some(pkg.to_owned())
            },
            includes,
            defs: top,
            options: file_opts,
            docs,
            is_input: f.is_input,
            ext: FileExt::Proto(ProtoFileExt {
                extensions: file_exts,
            }),
        });
    }

    fn def_at(&self, file: FileId, start: u32) -> Option<DefId> {
        self.by_pos.get(&(file.0, start)).copied()
    }

    fn define_message(
        &mut self,
        vis: &Vis,
        lang: Language,
        file: FileId,
        id: DefId,
        body: &MsgBody,
    ) {
        let scope = self.ir.defs[id.0 as usize].full_name.clone();
        let is_group = matches!(
            &self.ir.defs[id.0 as usize].kind,
            DefKind::Struct(Struct { proto: Some(p), .. }) if p.is_group
        );
        let mut ext = ProtoMessageExt {
            is_group,
            ..ProtoMessageExt::default()
        };
        let n_fields = body
            .elems
            .iter()
            .map(|e| match e {
                MsgElem::Field(_) => 1,
                MsgElem::Oneof(o) => o.fields.len(),
                _ => 0,
            })
            .sum();
        let mut fields: Vec<Field> = Vec::with_capacity(n_fields);
        let mut oneofs: Vec<Oneof> = Vec::new();
        let mut synthetic: Vec<(usize, Oneof)> = Vec::new();
        let mut annotations = Vec::new();
        let mut reserved_spans: Vec<Span> = Vec::new();
        let mut ext_spans: Vec<Span> = Vec::new();
        // Field and oneof names (the AST's), and the synthetic oneofs' names so far: computed
        // on the first proto3 `optional` field.
        #[allow(clippy::type_complexity)]
        let mut taken_names: Option<(
            std::collections::HashSet<&str, BuildHasherDefault<Fx>>,
            std::collections::HashSet<String, BuildHasherDefault<Fx>>,
        )> = None;
        let n_real_oneofs = body
            .elems
            .iter()
            .filter(|e| matches!(e, MsgElem::Oneof(_)))
            .count() as u32;
        let message_set = body.elems.iter().any(|e| {
            matches!(e, MsgElem::Option(o) if o.name == "message_set_wire_format"
                && matches!(&o.value, ConstAst::Ident { name, .. } if name == "true"))
        });
        let range_max = if message_set {
            i32::MAX as i64
        } else {
            MAX_FIELD
        };

        // Options, reserved and extension ranges first: fields are checked against them.
        for e in &body.elems {
            match e {
                MsgElem::Option(o)
                    if o.name == "message_set_wire_format"
                        && lang == Language::Proto3
                        && message_set =>
                {
                    let sp = self.ir.defs[id.0 as usize].span;
                    self.diags.push(
                        Diagnostic::error(sp, "MessageSet is not supported in proto3")
                            .with_label("not allowed in proto3"),
                    );
                }
                MsgElem::Reserved(r) => {
                    for rg in &r.ranges {
                        if let Some((s, e)) = self.range(rg, RangeKind::Reserved, range_max) {
                            ext.reserved_ranges.push((s, e));
                            reserved_spans.push(rg.span);
                        }
                    }
                    for (n, _) in &r.names {
                        ext.reserved_names.push(n.clone());
                    }
                }
                MsgElem::Extensions(x) => {
                    if lang == Language::Proto3 {
                        let sp = x.ranges.first().map(|r| r.span).unwrap_or(x.span);
                        self.diags.push(
                            Diagnostic::error(sp, "extension ranges are not allowed in proto3")
                                .with_label("not allowed in proto3"),
                        );
                    }
                    for rg in &x.ranges {
                        if let Some((s, e)) = self.range(rg, RangeKind::Extension, range_max) {
                            ext.extension_ranges.push((s, e));
                            ext_spans.push(rg.span);
                        }
                    }
                    let _ = self.options(vis, &scope, &x.options, OptKind::ExtensionRange);
                }
                _ => {}
            }
        }
        self.check_overlaps(&ext.reserved_ranges, &reserved_spans, "reserved range");
        self.check_overlaps(&ext.extension_ranges, &ext_spans, "extension range");
        // Reserved and extension ranges must not overlap (one report per extension range).
        let reserved_set = RangeSet::new(&ext.reserved_ranges);
        for (i, &(s, e)) in ext.extension_ranges.iter().enumerate() {
            if let Some(j) = reserved_set.overlapping(s, e) {
                let (rs, re) = ext.reserved_ranges[j];
                self.diags.push(
                    Diagnostic::error(
                        ext_spans[i],
                        format!(
                            "extension range {} overlaps with reserved range {}",
                            fmt_range(s, e),
                            fmt_range(rs, re)
                        ),
                    )
                    .with_label("overlaps a reserved range")
                    .with_secondary(reserved_spans[j], "reserved here"),
                );
            }
        }

        for e in &body.elems {
            match e {
                MsgElem::Option(o) => annotations.extend(self.options(
                    vis,
                    &scope,
                    std::slice::from_ref(o),
                    OptKind::Message,
                )),
                MsgElem::Field(f) => {
                    let mut fld = self.field(vis, lang, file, &scope, f, FieldCtx::Message);
                    if let Some(fl) = &mut fld {
                        if fl.proto.as_ref().is_some_and(|p| p.proto3_optional) {
                            let idx = n_real_oneofs + synthetic.len() as u32;
                            fl.oneof = Some(idx);
                            let mut name = if fl.name.starts_with('_') {
                                fl.name.clone()
                            } else {
                                format!("_{}", fl.name)
                            };
                            let (members, synth) = taken_names
                                .get_or_insert_with(|| (member_names(body), Default::default()));
                            while members.contains(name.as_str()) || synth.contains(name.as_str()) {
                                name.insert(0, 'X');
                            }
                            synth.insert(name.clone());
                            synthetic.push((
                                fields.len(),
                                Oneof {
                                    name,
                                    options: Vec::new(),
                                    docs: Docs(None),
                                    span: fl.span,
                                    synthetic: true,
                                },
                            ));
                        }
                    }
                    fields.extend(fld);
                }
                MsgElem::Oneof(o) => {
                    let idx = oneofs.len() as u32;
                    let opts = self.options(vis, &scope, &o.options, OptKind::Oneof);
                    if o.fields.is_empty() {
                        self.diags.push(
                            Diagnostic::error(o.name_span, "oneof must have at least one field")
                                .with_label("empty oneof"),
                        );
                    }
                    oneofs.push(Oneof {
                        name: o.name.clone(),
                        options: opts,
                        docs: docs::leading(self.src(file), o.start),
                        span: o.name_span,
                        synthetic: false,
                    });
                    for f in &o.fields {
                        if let Some(mut fl) =
                            self.field(vis, lang, file, &scope, f, FieldCtx::Oneof)
                        {
                            fl.oneof = Some(idx);
                            fields.push(fl);
                        }
                    }
                }
                MsgElem::Message(m) => {
                    if let Some(nid) = self.def_at(file, m.start) {
                        self.define_message(vis, lang, file, nid, &m.body);
                    }
                }
                MsgElem::Enum(en) => {
                    if let Some(nid) = self.def_at(file, en.start) {
                        self.define_enum(vis, lang, file, &scope, nid, en);
                    }
                }
                MsgElem::Extend(x) => {
                    let mut exts = Vec::new();
                    self.define_extend(vis, lang, file, &scope, x, &mut exts);
                    ext.extensions.extend(exts);
                }
                MsgElem::Extensions(_) | MsgElem::Reserved(_) => {}
            }
        }
        oneofs.extend(synthetic.into_iter().map(|(_, o)| o));

        self.check_fields(lang, &scope, &fields, &ext, &reserved_spans);

        self.defined.push((
            id,
            annotations,
            Defined::Message {
                fields,
                oneofs,
                ext,
            },
        ));
    }

    /// Ranges of one kind must not overlap (sorted by start, so not quadratic).
    fn check_overlaps(&mut self, ranges: &[(i32, i32)], spans: &[Span], what: &str) {
        let mut order: Vec<usize> = (0..ranges.len()).collect();
        order.sort_by_key(|&i| (ranges[i].0, spans.get(i).map(|s| s.start)));
        let mut reach: Option<usize> = None; // the range reaching furthest so far
        for &i in &order {
            if let Some(j) = reach {
                if ranges[i].0 < ranges[j].1 {
                    let (a, b) = if spans.get(j).map(|s| s.start) < spans.get(i).map(|s| s.start) {
                        (i, j)
                    } else {
                        (j, i)
                    };
                    if let (Some(&sa), Some(&sb)) = (spans.get(a), spans.get(b)) {
                        self.diags.push(
                            Diagnostic::error(
                                sa,
                                format!(
                                    "{what} {} overlaps with already-defined range {}",
                                    fmt_range(ranges[a].0, ranges[a].1),
                                    fmt_range(ranges[b].0, ranges[b].1)
                                ),
                            )
                            .with_label("overlapping range")
                            .with_secondary(sb, "first defined here"),
                        );
                    }
                }
                if ranges[i].1 > ranges[j].1 {
                    reach = Some(i);
                }
            } else {
                reach = Some(i);
            }
        }
    }

    /// Duplicate numbers, reserved numbers/names, extension ranges, proto3 JSON names.
    fn check_fields(
        &mut self,
        lang: Language,
        scope: &str,
        fields: &[Field],
        ext: &ProtoMessageExt,
        reserved_spans: &[Span],
    ) {
        let mut by_number: FxMap<i32, usize> =
            FxMap::with_capacity_and_hasher(fields.len(), Default::default());
        let mut json: FxMap<String, usize> = if lang == Language::Proto3 {
            FxMap::with_capacity_and_hasher(fields.len(), Default::default())
        } else {
            FxMap::default()
        };
        let reserved = RangeSet::new(&ext.reserved_ranges);
        let extension = RangeSet::new(&ext.extension_ranges);
        let reserved_names: std::collections::HashSet<&str, BuildHasherDefault<Fx>> =
            ext.reserved_names.iter().map(String::as_str).collect();
        for (i, f) in fields.iter().enumerate() {
            if let Some(&j) = by_number.get(&f.id) {
                let prev = &fields[j];
                self.diags.push(
                    Diagnostic::error(
                        f.span,
                        format!(
                            "field number {} has already been used in \"{scope}\" by field \"{}\"",
                            f.id, prev.name
                        ),
                    )
                    .with_label("duplicate field number")
                    .with_secondary(prev.span, "first defined here"),
                );
            } else {
                by_number.insert(f.id, i);
            }
            if let Some(r) = reserved.find(f.id) {
                let mut d = Diagnostic::error(
                    f.span,
                    format!("field \"{}\" uses reserved number {}", f.name, f.id),
                )
                .with_label("reserved number");
                if let Some(sp) = reserved_spans.get(r) {
                    d = d.with_secondary(*sp, "reserved here");
                }
                self.diags.push(d);
            }
            if reserved_names.contains(f.name.as_str()) {
                self.diags.push(
                    Diagnostic::error(f.span, format!("field name \"{}\" is reserved", f.name))
                        .with_label("reserved name"),
                );
            }
            if let Some(&(s, e)) = extension
                .find(f.id)
                .and_then(|i| ext.extension_ranges.get(i))
            {
                self.diags.push(
                    Diagnostic::error(
                        f.span,
                        format!(
                            "extension range {} includes field \"{}\" ({})",
                            fmt_range(s, e),
                            f.name,
                            f.id
                        ),
                    )
                    .with_label("field number inside an extension range"),
                );
            }
            if lang == Language::Proto3 {
                let mut key = String::with_capacity(f.name.len());
                for c in f.name.chars() {
                    if c != '_' {
                        key.push(c.to_ascii_lowercase());
                    }
                }
                if let Some(&j) = json.get(&key) {
                    let prev = &fields[j];
                    self.diags.push(
                        Diagnostic::error(
                            f.span,
                            format!(
                                "the JSON camel-case name of field \"{}\" conflicts with field \"{}\"; this is not allowed in proto3",
                                f.name, prev.name
                            ),
                        )
                        .with_secondary(prev.span, "conflicting field"),
                    );
                } else {
                    json.insert(key, i);
                }
            }
        }
    }

    fn range(&mut self, r: &RangeAst, kind: RangeKind, max: i64) -> Option<(i32, i32)> {
        let what = match kind {
            RangeKind::Reserved => "reserved",
            RangeKind::Extension => "extension",
            RangeKind::Enum => "enum reserved",
        };
        let start = r.start.as_i64().filter(|v| i32::try_from(*v).is_ok());
        let Some(start) = start else {
            self.diags.push(
                Diagnostic::error(r.start.span, "integer out of range").with_label("too large"),
            );
            return None;
        };
        let end = match &r.end {
            None => start,
            Some(None) => max,
            Some(Some(e)) => match e.as_i64().filter(|v| i32::try_from(*v).is_ok()) {
                Some(v) => v,
                None => {
                    self.diags.push(
                        Diagnostic::error(e.span, "integer out of range").with_label("too large"),
                    );
                    return None;
                }
            },
        };
        if kind != RangeKind::Enum && start <= 0 {
            self.diags.push(
                Diagnostic::error(
                    r.start.span,
                    format!("{what} numbers must be positive integers"),
                )
                .with_label("not positive"),
            );
            return None;
        }
        if end < start {
            self.diags.push(
                Diagnostic::error(
                    r.span,
                    format!("{what} range end number must be greater than start number"),
                )
                .with_label("empty range"),
            );
            return None;
        }
        if kind != RangeKind::Enum && end > max {
            self.diags.push(
                Diagnostic::error(
                    r.span,
                    format!("{what} numbers cannot be greater than {max}"),
                )
                .with_label("too large"),
            );
            return None;
        }
        if kind == RangeKind::Enum {
            // Enum reserved ranges are inclusive in descriptors; keep them half-open here
            // too but saturate at i32::MAX.
            return Some((start as i32, (end as i32).saturating_add(1)));
        }
        Some((start as i32, (end as i32).saturating_add(1)))
    }

    #[allow(clippy::too_many_arguments)]
    fn field(
        &mut self,
        vis: &Vis,
        lang: Language,
        file: FileId,
        scope: &str,
        f: &FieldAst,
        ctx: FieldCtx,
    ) -> Option<Field> {
        let label = f.label.map(|l| l.0);
        let mut ok = true;
        // Labels.
        match (&f.ty, ctx) {
            (FieldTy::Map(..), _) => {
                if let Some((_, sp)) = f.label {
                    self.diags.push(
                        Diagnostic::error(
                            sp,
                            "field labels (required/optional/repeated) are not allowed on map fields",
                        )
                        .with_label("remove this label"),
                    );
                }
                if ctx == FieldCtx::Oneof {
                    self.diags.push(
                        Diagnostic::error(f.ty_span, "map fields are not allowed in oneofs")
                            .with_label("map in a oneof"),
                    );
                }
                if ctx == FieldCtx::Extend {
                    self.diags.push(
                        Diagnostic::error(f.ty_span, "map fields are not allowed to be extensions")
                            .with_label("map extension"),
                    );
                }
            }
            (_, FieldCtx::Oneof) => {
                if let Some((_, sp)) = f.label {
                    self.diags.push(
                        Diagnostic::error(
                            sp,
                            "fields in oneofs must not have labels (required / optional / repeated)",
                        )
                        .with_label("remove this label"),
                    );
                }
            }
            _ => {
                // A missing proto2 label is a syntax error (see `parse::check_labels`).
                if label == Some(Label::Required) && lang == Language::Proto3 {
                    let sp = f.label.map(|l| l.1).unwrap_or(f.ty_span);
                    self.diags.push(
                        Diagnostic::error(sp, "required fields are not allowed in proto3")
                            .with_label("not allowed in proto3"),
                    );
                }
            }
        }
        if let FieldTy::Group(_) = &f.ty {
            if lang == Language::Proto3 {
                self.diags.push(
                    Diagnostic::error(f.ty_span, "groups are not supported in proto3 syntax")
                        .with_label("not allowed in proto3"),
                );
            }
            if !f.name.starts_with(|c: char| c.is_ascii_uppercase()) {
                self.diags.push(
                    Diagnostic::error(f.name_span, "group names must start with a capital letter")
                        .with_label("lowercase group name"),
                );
            }
        }

        // Number.
        let number = match f.number.as_i64() {
            Some(n) if n <= i32::MAX as i64 && n >= i32::MIN as i64 => n,
            _ => {
                self.diags.push(
                    Diagnostic::error(f.number.span, "integer out of range")
                        .with_label("field numbers go up to 536870911"),
                );
                ok = false;
                1
            }
        };
        if ok {
            if number <= 0 {
                let what = if ctx == FieldCtx::Extend {
                    "extension numbers must be positive integers"
                } else {
                    "field numbers must be positive integers"
                };
                self.diags
                    .push(Diagnostic::error(f.number.span, what).with_label("not positive"));
            } else if number > MAX_FIELD {
                self.diags.push(
                    Diagnostic::error(
                        f.number.span,
                        format!("field numbers cannot be greater than {MAX_FIELD}"),
                    )
                    .with_label("too large"),
                );
            } else if (19000..=19999).contains(&number) {
                self.diags.push(
                    Diagnostic::error(
                        f.number.span,
                        "field numbers 19000 through 19999 are reserved for the protocol buffer library implementation",
                    )
                    .with_label("reserved by protobuf"),
                );
            }
        }

        // Type.
        let mut is_message = false;
        let mut enum_def = None;
        let elem_ty = match &f.ty {
            FieldTy::Named(n, sp) => match scalar(n) {
                Some(t) => Some(t),
                None => {
                    let r = self.resolve_type(vis, scope, n, *sp);
                    if let Some(id) = r {
                        match self.ir.defs[id.0 as usize].kind {
                            DefKind::Enum(_) => enum_def = Some(id),
                            _ => is_message = true,
                        }
                        if is_message && self.declares_map_entry(id) {
                            self.diags.push(
                                Diagnostic::error(*sp, "map_entry should not be set explicitly")
                                    .with_label("this message sets `option map_entry`")
                                    .with_note("use map<KeyType, ValueType> instead"),
                            );
                        }
                    }
                    r.map(Type::Ref)
                }
            },
            FieldTy::Group(body) => {
                is_message = true;
                let gid = self.def_at(file, f.start);
                if let Some(g) = gid {
                    self.define_message(vis, lang, file, g, body);
                }
                gid.map(Type::Ref)
            }
            FieldTy::Map(k, v) => {
                let kt = self.map_part(vis, scope, k, true);
                let vt = self.map_part(vis, scope, v, false);
                match (kt, vt) {
                    (Some(k), Some(v)) => Some(Type::Map(Box::new(k), Box::new(v))),
                    _ => None,
                }
            }
        };
        let is_map = matches!(f.ty, FieldTy::Map(..));
        let repeated = label == Some(Label::Repeated);

        // Options.
        let mut proto = ProtoFieldExt {
            repeated,
            group: matches!(f.ty, FieldTy::Group(_)),
            proto3_optional: lang == Language::Proto3
                && label == Some(Label::Optional)
                && ctx != FieldCtx::Oneof,
            explicit_label: f.label.is_some(),
            ..ProtoFieldExt::default()
        };
        let mut default = None;
        let mut seen_default = false;
        let mut seen_json = false;
        let mut plain_opts = Vec::new();
        for o in &f.options {
            match o.name.as_str() {
                "default" => {
                    if seen_default {
                        self.diags.push(
                            Diagnostic::error(o.name_span, "already set option \"default\"")
                                .with_label("set twice"),
                        );
                        continue;
                    }
                    seen_default = true;
                    if lang == Language::Proto3 {
                        self.diags.push(
                            Diagnostic::error(
                                o.value_span,
                                "explicit default values are not allowed in proto3",
                            )
                            .with_label("not allowed in proto3"),
                        );
                        continue;
                    }
                    if repeated {
                        self.diags.push(
                            Diagnostic::error(
                                o.value_span,
                                "repeated fields can't have default values",
                            )
                            .with_label("not allowed on repeated fields"),
                        );
                        continue;
                    }
                    if is_message || is_map {
                        self.diags.push(
                            Diagnostic::error(o.value_span, "messages can't have default values")
                                .with_label("not allowed on message fields"),
                        );
                        continue;
                    }
                    if let Some(t) = &elem_ty {
                        default = self.default_value(vis, t, enum_def, o);
                    }
                }
                "json_name" => {
                    if seen_json {
                        self.diags.push(
                            Diagnostic::error(o.name_span, "already set option \"json_name\"")
                                .with_label("set twice"),
                        );
                        continue;
                    }
                    seen_json = true;
                    if ctx == FieldCtx::Extend {
                        self.diags.push(
                            Diagnostic::error(
                                o.name_span,
                                "option json_name is not allowed on extension fields",
                            )
                            .with_label("extension field"),
                        );
                    }
                    match &o.value {
                        ConstAst::Str(s) => {
                            proto.json_name = Some(String::from_utf8_lossy(s).into_owned())
                        }
                        _ => self.diags.push(
                            Diagnostic::error(o.value_span, "expected string for JSON name")
                                .with_label("not a string"),
                        ),
                    }
                }
                _ => plain_opts.push(o.clone()),
            }
        }
        let annotations = self.options(vis, scope, &plain_opts, OptKind::Field);
        for a in &annotations {
            if a.name == "packed" {
                if let AnnotationValue::Bool(b) = a.value {
                    proto.packed = Some(b);
                }
                let scalar_ok = match &elem_ty {
                    Some(Type::String | Type::Bytes | Type::Map(..)) => false,
                    Some(Type::Ref(_)) => enum_def.is_some(),
                    _ => true,
                };
                if !repeated || !scalar_ok || is_map {
                    self.diags.push(
                        Diagnostic::error(
                            a.span,
                            "[packed = true] can only be specified for repeated primitive fields",
                        )
                        .with_label("not a repeated scalar field"),
                    );
                }
            }
        }
        for a in &annotations {
            match (a.name.as_str(), &a.value) {
                ("lazy" | "unverified_lazy", AnnotationValue::Bool(true))
                    if !is_message || is_map || matches!(f.ty, FieldTy::Group(_)) =>
                {
                    self.diags.push(
                        Diagnostic::error(
                            a.span,
                            format!(
                                "[{} = true] can only be specified for submessage fields",
                                a.name
                            ),
                        )
                        .with_label("not a message field"),
                    );
                }
                ("jstype", AnnotationValue::Ident(v))
                    if v != "JS_NORMAL"
                        && !matches!(
                            elem_ty,
                            Some(
                                Type::I64
                                    | Type::U64
                                    | Type::SInt64
                                    | Type::Fixed64
                                    | Type::SFixed64
                            )
                        ) =>
                {
                    self.diags.push(
                        Diagnostic::error(
                            a.span,
                            "jstype is only allowed on int64, uint64, sint64, fixed64 or sfixed64 fields",
                        )
                        .with_label("not a 64-bit integer field"),
                    );
                }
                _ => {}
            }
        }

        let elem_ty = elem_ty?;
        let ty = if repeated && !is_map {
            Type::List(Box::new(elem_ty))
        } else {
            elem_ty
        };
        let presence = match (label, ctx) {
            (_, FieldCtx::Oneof) => Presence::Optional,
            (Some(Label::Required), _) => Presence::Required,
            (Some(Label::Repeated), _) => Presence::Default,
            _ if is_map => Presence::Default,
            (Some(Label::Optional), _) => Presence::Optional,
            // proto3 implicit presence (message-typed fields too, as the IR contract says;
            // code generation knows from the type that a message field has presence).
            (None, _) if lang == Language::Proto3 => Presence::Default,
            (None, _) => Presence::Optional,
        };
        let name = field_name(f);
        Some(Field {
            id: number as i32,
            name,
            ty,
            presence,
            default,
            annotations,
            docs: docs::leading(self.src(file), f.start),
            span: f.name_span,
            oneof: None,
            proto: Some(proto),
        })
    }

    /// The message says `option map_entry = ...;` itself (its AST, since it may not be
    /// defined yet).
    fn declares_map_entry(&self, id: DefId) -> bool {
        self.map_entry_defs.contains(&id)
    }

    fn map_part(&mut self, vis: &Vis, scope: &str, t: &FieldTy, key: bool) -> Option<Type> {
        let FieldTy::Named(n, sp) = t else {
            return None;
        };
        if let Some(s) = scalar(n) {
            if key && matches!(s, Type::Float | Type::Double | Type::Bytes) {
                self.diags.push(
                    Diagnostic::error(
                        *sp,
                        "key in map fields cannot be float/double, bytes or message types",
                    )
                    .with_label("invalid map key type"),
                );
                return None;
            }
            return Some(s);
        }
        let id = self.resolve_type(vis, scope, n, *sp)?;
        if key {
            let is_enum = matches!(self.ir.defs[id.0 as usize].kind, DefKind::Enum(_));
            let msg = if is_enum {
                "key in map fields cannot be enum types"
            } else {
                "key in map fields cannot be float/double, bytes or message types"
            };
            self.diags
                .push(Diagnostic::error(*sp, msg).with_label("invalid map key type"));
            return None;
        }
        Some(Type::Ref(id))
    }

    fn default_value(
        &mut self,
        _vis: &Vis,
        ty: &Type,
        enum_def: Option<DefId>,
        o: &OptionAst,
    ) -> Option<ConstValue> {
        let sp = o.value_span;
        let err = |cx: &mut Self, m: &str| {
            cx.diags
                .push(Diagnostic::error(sp, m.to_owned()).with_label("invalid default"));
            None
        };
        match ty {
            Type::I32
            | Type::SInt32
            | Type::SFixed32
            | Type::I64
            | Type::SInt64
            | Type::SFixed64 => {
                let ConstAst::Int(i) = &o.value else {
                    return err(self, "expected integer for field default value");
                };
                let (lo, hi) = if matches!(ty, Type::I32 | Type::SInt32 | Type::SFixed32) {
                    (i32::MIN as i64, i32::MAX as i64)
                } else {
                    (i64::MIN, i64::MAX)
                };
                match i.as_i64() {
                    Some(v) if v >= lo && v <= hi => Some(ConstValue::Int(v)),
                    _ => err(self, "integer out of range"),
                }
            }
            Type::U32 | Type::Fixed32 | Type::U64 | Type::Fixed64 => {
                let ConstAst::Int(i) = &o.value else {
                    return err(self, "expected integer for field default value");
                };
                if i.neg {
                    return err(self, "unsigned field can't have negative default value");
                }
                let hi = if matches!(ty, Type::U32 | Type::Fixed32) {
                    u32::MAX as u64
                } else {
                    u64::MAX
                };
                match i.value {
                    // uint64/fixed64 values above i64::MAX keep their bit pattern.
                    Some(v) if v <= hi => Some(ConstValue::Int(v as i64)),
                    _ => err(self, "integer out of range"),
                }
            }
            Type::Float | Type::Double => match &o.value {
                ConstAst::Float(v) => Some(ConstValue::Double(*v)),
                ConstAst::Int(i) => {
                    let v = i.value.map(|v| v as f64).unwrap_or(f64::INFINITY);
                    Some(ConstValue::Double(if i.neg { -v } else { v }))
                }
                ConstAst::Ident { neg, name } if name == "inf" || name == "nan" => {
                    let v = if name == "inf" {
                        f64::INFINITY
                    } else {
                        f64::NAN
                    };
                    Some(ConstValue::Double(if *neg { -v } else { v }))
                }
                _ => err(self, "expected number"),
            },
            Type::Bool => match &o.value {
                ConstAst::Ident { neg: false, name } if name == "true" => {
                    Some(ConstValue::Bool(true))
                }
                ConstAst::Ident { neg: false, name } if name == "false" => {
                    Some(ConstValue::Bool(false))
                }
                _ => err(self, "expected \"true\" or \"false\""),
            },
            Type::String => match &o.value {
                ConstAst::Str(s) => Some(ConstValue::Str(String::from_utf8_lossy(s).into_owned())),
                _ => err(self, "expected string for field default value"),
            },
            Type::Bytes => match &o.value {
                ConstAst::Str(s) => Some(ConstValue::Bytes(s.clone())),
                _ => err(self, "expected string for field default value"),
            },
            Type::Ref(_) => {
                let Some(eid) = enum_def else {
                    return err(self, "messages can't have default values");
                };
                let ConstAst::Ident { neg: false, name } = &o.value else {
                    return err(
                        self,
                        "default value for an enum field must be an identifier",
                    );
                };
                // Enum values of files defined later are filled in `define_enum`; look in
                // the AST-declared symbol table instead of the IR.
                let full = join(parent_scope(&self.ir.defs[eid.0 as usize].full_name), name);
                match self.syms.get(&full) {
                    Some(Sym {
                        kind: SymKind::EnumValue(e),
                        ..
                    }) if *e == eid => {
                        let value = self.enum_value_number(eid, name);
                        Some(ConstValue::Enum { def: eid, value })
                    }
                    _ => {
                        let en = self.ir.defs[eid.0 as usize].name.clone();
                        err(
                            self,
                            &format!("enum type \"{en}\" has no value named \"{name}\""),
                        )
                    }
                }
            }
            _ => None,
        }
    }

    fn enum_value_number(&self, eid: DefId, name: &str) -> i32 {
        if let DefKind::Enum(e) = &self.ir.defs[eid.0 as usize].kind {
            if let Some(v) = e.values.iter().find(|v| v.name == name) {
                return v.value;
            }
        }
        0
    }

    fn define_enum(
        &mut self,
        vis: &Vis,
        lang: Language,
        file: FileId,
        scope: &str,
        id: DefId,
        e: &EnumAst,
    ) {
        let escope = self.ir.defs[id.0 as usize].full_name.clone();
        let _ = scope;
        let annotations = self.options(vis, &escope, &e.options, OptKind::Enum);
        let allow_alias = annotations.iter().find(|a| a.name == "allow_alias");
        let allow = matches!(
            allow_alias.map(|a| &a.value),
            Some(AnnotationValue::Bool(true))
        );
        let alias_false = allow_alias
            .filter(|a| a.value == AnnotationValue::Bool(false))
            .map(|a| a.span);
        let mut reserved: Vec<(i32, i32)> = Vec::new();
        for r in &e.reserved {
            for rg in &r.ranges {
                if let Some(x) = self.range(rg, RangeKind::Enum, i32::MAX as i64) {
                    reserved.push(x);
                }
            }
        }
        let reserved_names: std::collections::HashSet<&str, BuildHasherDefault<Fx>> = e
            .reserved
            .iter()
            .flat_map(|r| r.names.iter().map(|n| n.0.as_str()))
            .collect();
        // Enum reserved ranges end at i32::MAX inclusive: `range` saturates the end, so
        // i32::MAX itself is checked separately.
        let reserved_set = RangeSet::new(&reserved);
        if e.values.is_empty() {
            self.diags.push(
                Diagnostic::error(e.name_span, "enums must contain at least one value")
                    .with_label("empty enum"),
            );
        }
        let mut values: Vec<EnumValue> = Vec::with_capacity(e.values.len());
        let mut by_number: FxMap<i32, usize> = FxMap::default();
        let mut has_alias = false;
        for (i, v) in e.values.iter().enumerate() {
            let n = match v.number.as_i64().and_then(|n| i32::try_from(n).ok()) {
                Some(n) => n,
                None => {
                    self.diags.push(
                        Diagnostic::error(v.number.span, "integer out of range")
                            .with_label("enum values are 32-bit"),
                    );
                    continue;
                }
            };
            if i == 0 && lang == Language::Proto3 && n != 0 {
                self.diags.push(
                    Diagnostic::error(v.number.span, "the first enum value must be zero in proto3")
                        .with_label("must be 0"),
                );
            }
            if let Some(&j) = by_number.get(&n) {
                has_alias = true;
                if !allow {
                    let prev = &values[j];
                    self.diags.push(
                        Diagnostic::error(
                            v.name_span,
                            format!(
                                "\"{}\" uses the same enum value as \"{}\"",
                                v.name, prev.name
                            ),
                        )
                        .with_secondary(prev.span, "first defined here")
                        .with_note(
                            "if this is intended, set 'option allow_alias = true;' on the enum",
                        ),
                    );
                }
            } else {
                by_number.insert(n, values.len());
            }
            if reserved_set.find(n).is_some()
                || (n == i32::MAX && reserved.iter().any(|&(_, e)| e == i32::MAX))
            {
                self.diags.push(
                    Diagnostic::error(
                        v.number.span,
                        format!("enum value \"{}\" uses reserved number {n}", v.name),
                    )
                    .with_label("reserved number"),
                );
            }
            if reserved_names.contains(v.name.as_str()) {
                self.diags.push(
                    Diagnostic::error(
                        v.name_span,
                        format!("enum value \"{}\" is reserved", v.name),
                    )
                    .with_label("reserved name"),
                );
            }
            let annotations = self.options(vis, &escope, &v.options, OptKind::EnumValue);
            values.push(EnumValue {
                name: v.name.clone(),
                value: n,
                annotations,
                docs: docs::leading(self.src(file), v.start),
                span: v.name_span,
            });
            let _ = i;
        }
        if allow && !has_alias {
            self.diags.push(
                Diagnostic::error(
                    e.name_span,
                    format!(
                        "\"{}\" declares support for enum aliases but no enum values share field numbers",
                        e.name
                    ),
                )
                .with_note("remove 'option allow_alias = true;' or give two values the same number"),
            );
        }
        if let Some(sp) = alias_false {
            self.diags.push(
                Diagnostic::error(
                    sp,
                    format!(
                        "\"{}\" declares 'option allow_alias = false;' which has no effect",
                        e.name
                    ),
                )
                .with_note("remove the declaration"),
            );
        }
        self.defined.push((
            id,
            annotations,
            Defined::Enum(ir::Enum {
                values,
                allow_alias: allow,
            }),
        ));
    }

    fn define_extend(
        &mut self,
        vis: &Vis,
        lang: Language,
        file: FileId,
        scope: &str,
        x: &ExtendAst,
        out: &mut Vec<Extension>,
    ) {
        for sp in &x.empty_statements {
            self.diags.push(
                Diagnostic::error(*sp, "expected a field, found `;`")
                    .with_label("empty statements are not allowed in `extend`"),
            );
        }
        if x.fields.is_empty() {
            self.diags.push(
                Diagnostic::error(x.end, "`extend` block without fields")
                    .with_label("expected a field before `}`"),
            );
        }
        let extendee = match self.lookup(vis, scope, &x.extendee, true) {
            Some(Sym {
                kind: SymKind::Message(id),
                ..
            }) => Some(id),
            Some(_) => {
                self.diags.push(
                    Diagnostic::error(
                        x.extendee_span,
                        format!("\"{}\" is not a message type", x.extendee),
                    )
                    .with_label("only messages can be extended"),
                );
                None
            }
            None => {
                let d = self.undefined(x.extendee_span, &x.extendee, "unknown type");
                self.diags.push(d);
                None
            }
        };
        if let (Some(id), Language::Proto3) = (extendee, lang) {
            let full = &self.ir.defs[id.0 as usize].full_name;
            if !full.starts_with("google.protobuf.") || !full.ends_with("Options") {
                self.diags.push(
                    Diagnostic::error(
                        x.extendee_span,
                        "extensions in proto3 are only allowed for defining options",
                    )
                    .with_label("not an options message"),
                );
            }
        }
        for f in &x.fields {
            let fl = self.field(vis, lang, file, scope, f, FieldCtx::Extend);
            if let (Some(fl), Some(ext)) = (fl, extendee) {
                self.pending_ext
                    .push((ext, fl.id as i64, fl.span, fl.name.clone()));
                out.push(Extension {
                    extendee: ext,
                    field: fl,
                });
            }
        }
    }

    fn define_service(&mut self, vis: &Vis, file: FileId, scope: &str, id: DefId, s: &ServiceAst) {
        let sscope = join(scope, &s.name);
        let annotations = self.options(vis, &sscope, &s.options, OptKind::Service);
        let mut methods: Vec<Method> = Vec::with_capacity(s.rpcs.len());
        let mut names: HashMap<&str, Span> = HashMap::new();
        for r in &s.rpcs {
            if let Some(prev) = names.get(r.name.as_str()) {
                self.diags.push(
                    Diagnostic::error(
                        r.name_span,
                        format!("\"{}\" is already defined in \"{sscope}\"", r.name),
                    )
                    .with_label("defined again here")
                    .with_secondary(*prev, "first defined here"),
                );
                continue;
            }
            names.insert(&r.name, r.name_span);
            let input = self.method_type(vis, scope, &r.input);
            let output = self.method_type(vis, scope, &r.output);
            let annotations = self.options(vis, &sscope, &r.options, OptKind::Method);
            let (Some(input), Some(output)) = (input, output) else {
                continue;
            };
            methods.push(Method {
                name: r.name.clone(),
                args: vec![Field {
                    id: 1,
                    name: "request".to_owned(),
                    ty: Type::Ref(input),
                    presence: Presence::Default,
                    default: None,
                    annotations: Vec::new(),
                    docs: Docs(None),
                    span: r.input.1,
                    oneof: None,
                    proto: None,
                }],
                result: Some(Type::Ref(output)),
                throws: Vec::new(),
                oneway: false,
                client_streaming: r.client_streaming,
                server_streaming: r.server_streaming,
                annotations,
                docs: docs::leading(self.src(file), r.start),
                span: r.name_span,
            });
        }
        self.defined
            .push((id, annotations, Defined::Service(methods)));
    }

    fn method_type(&mut self, vis: &Vis, scope: &str, t: &(String, Span)) -> Option<DefId> {
        let id = self.resolve_type(vis, scope, &t.0, t.1)?;
        if matches!(self.ir.defs[id.0 as usize].kind, DefKind::Struct(_)) {
            Some(id)
        } else {
            self.diags.push(
                Diagnostic::error(t.1, format!("\"{}\" is not a message type", t.0))
                    .with_label("methods take and return messages"),
            );
            None
        }
    }

    // ---------------------------------------------------------------- options

    fn options(
        &mut self,
        vis: &Vis,
        scope: &str,
        opts: &[OptionAst],
        kind: OptKind,
    ) -> Vec<Annotation> {
        let mut out = Vec::with_capacity(opts.len());
        for o in opts {
            let first = o.name.split('.').next().unwrap_or("");
            if o.name.starts_with('(') {
                // Custom option: the extension must exist.
                let inner_end = o.name.find(')').unwrap_or(o.name.len());
                let ext_name = &o.name[1..inner_end];
                match self.lookup(vis, scope, ext_name, false) {
                    Some(Sym {
                        kind: SymKind::Ext, ..
                    }) => {}
                    _ => {
                        let miss = self.last_miss.borrow().clone().filter(|f| f != ext_name);
                        let msg = match miss {
                            Some(full) => format!("option \"({ext_name})\" is resolved to \"({full})\", which is not defined"),
                            None => format!("option \"({ext_name})\" unknown"),
                        };
                        self.diags.push(
                            Diagnostic::error(o.name_span, msg)
                            .with_label("no such extension")
                            .with_note(
                                "ensure that your proto definition file imports the proto which defines the option",
                            ),
                        );
                    }
                }
            } else {
                match known_option(kind, first) {
                    None => {
                        self.diags.push(
                            Diagnostic::error(o.name_span, format!("option \"{first}\" unknown"))
                                .with_label("unknown option")
                                .with_note(format!(
                                    "{} has no such field; custom options are written in parentheses: `(my.option)`",
                                    kind.message()
                                )),
                        );
                    }
                    Some(ty) if first == o.name => {
                        let ok = match ty {
                            OptTy::Bool => {
                                matches!(&o.value, ConstAst::Ident { neg: false, name } if name == "true" || name == "false")
                            }
                            OptTy::Str => matches!(o.value, ConstAst::Str(_)),
                            OptTy::Enum => matches!(o.value, ConstAst::Ident { neg: false, .. }),
                            OptTy::Any => true,
                        };
                        if !ok {
                            let full = format!("google.protobuf.{}.{}", kind.message(), first);
                            let msg = match ty {
                                OptTy::Bool => format!("value must be \"true\" or \"false\" for boolean option \"{full}\""),
                                OptTy::Str => format!("value must be quoted string for string option \"{full}\""),
                                _ => format!("value must be identifier for enum-valued option \"{full}\""),
                            };
                            self.diags.push(
                                Diagnostic::error(o.value_span, msg).with_label("wrong type"),
                            );
                        } else if let (OptTy::Enum, ConstAst::Ident { name, .. }) = (ty, &o.value) {
                            if let Some(values) = enum_option_values(first) {
                                if !values.contains(&name.as_str()) {
                                    self.diags.push(
                                        Diagnostic::error(
                                            o.value_span,
                                            format!(
                                                "option \"{first}\" has no value named \"{name}\""
                                            ),
                                        )
                                        .with_label("unknown value")
                                        .with_note(
                                            format!("expected one of: {}", values.join(", ")),
                                        ),
                                    );
                                }
                            }
                        }
                    }
                    Some(_) => {}
                }
            }
            out.push(annotation(o));
        }
        out
    }
}

impl Cx<'_> {
    /// One file's define results into the IR (files in dependency order).
    fn apply(&mut self, fd: FileDefined) {
        self.diags.items.extend(fd.diags);
        self.pending_ext.extend(fd.pending_ext);
        for (id, annotations, defined) in fd.defined {
            let d = &mut self.ir.defs[id.0 as usize];
            d.annotations = annotations;
            match (defined, &mut d.kind) {
                (
                    Defined::Message {
                        fields,
                        oneofs,
                        ext,
                    },
                    DefKind::Struct(s),
                ) => {
                    s.fields = fields;
                    s.oneofs = oneofs;
                    s.proto = Some(ext);
                }
                (Defined::Enum(e), kind) => *kind = DefKind::Enum(e),
                (Defined::Service(methods), DefKind::Service(sv)) => sv.methods = methods,
                // A def keeps the kind it was declared with (message, service).
                _ => {}
            }
        }
        self.ir.files.extend(fd.file);
    }

    fn check_pending_extensions(&mut self) {
        let pending = std::mem::take(&mut self.pending_ext);
        let mut seen: HashMap<(DefId, i64), (Span, &str)> = HashMap::with_capacity(pending.len());
        for (ext, n, span, name) in &pending {
            if let Some((prev, prev_name)) = seen.get(&(*ext, *n)) {
                let d = Diagnostic::error(
                    *span,
                    format!(
                        "extension number {n} has already been used in \"{}\" by extension \"{prev_name}\"",
                        self.ir.defs[ext.0 as usize].full_name
                    ),
                )
                .with_label("duplicate extension number")
                .with_secondary(*prev, "first defined here");
                self.diags.push(d);
            } else {
                seen.insert((*ext, *n), (*span, name.as_str()));
            }
        }
        for (ext, n, span, name) in pending {
            let d = &self.ir.defs[ext.0 as usize];
            let DefKind::Struct(s) = &d.kind else {
                continue;
            };
            let ranges = s
                .proto
                .as_ref()
                .map(|p| p.extension_ranges.as_slice())
                .unwrap_or(&[]);
            if n > 0 && !ranges.iter().any(|&(a, b)| a as i64 <= n && n < b as i64) {
                let msg = format!(
                    "\"{}\" does not declare {n} as an extension number",
                    d.full_name
                );
                self.diags.push(
                    Diagnostic::error(span, msg)
                        .with_label(format!("extension \"{name}\" uses this number")),
                );
            }
        }
    }
}

/// The values of the enum-typed options of descriptor.proto.
fn enum_option_values(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "optimize_for" => &["SPEED", "CODE_SIZE", "LITE_RUNTIME"],
        "ctype" => &["STRING", "CORD", "STRING_PIECE"],
        "jstype" => &["JS_NORMAL", "JS_STRING", "JS_NUMBER"],
        "idempotency_level" => &["IDEMPOTENCY_UNKNOWN", "NO_SIDE_EFFECTS", "IDEMPOTENT"],
        "retention" => &["RETENTION_UNKNOWN", "RETENTION_RUNTIME", "RETENTION_SOURCE"],
        "target" | "targets" => &[
            "TARGET_TYPE_UNKNOWN",
            "TARGET_TYPE_FILE",
            "TARGET_TYPE_EXTENSION_RANGE",
            "TARGET_TYPE_MESSAGE",
            "TARGET_TYPE_FIELD",
            "TARGET_TYPE_ONEOF",
            "TARGET_TYPE_ENUM",
            "TARGET_TYPE_ENUM_ENTRY",
            "TARGET_TYPE_SERVICE",
            "TARGET_TYPE_METHOD",
        ],
        "verification" => &["DECLARATION", "UNVERIFIED"],
        _ => return None,
    })
}

/// The names of a message's fields and oneofs: protoc avoids them when naming synthetic
/// oneofs.
fn member_names(body: &MsgBody) -> std::collections::HashSet<&str, BuildHasherDefault<Fx>> {
    let mut out = std::collections::HashSet::with_capacity_and_hasher(
        body.elems.len(),
        BuildHasherDefault::default(),
    );
    for e in &body.elems {
        match e {
            MsgElem::Oneof(o) => {
                out.insert(o.name.as_str());
                for f in &o.fields {
                    out.insert(f.name.as_str());
                }
            }
            MsgElem::Field(f) => {
                out.insert(f.name.as_str());
            }
            _ => {}
        }
    }
    out
}

fn fmt_range(s: i32, e: i32) -> String {
    if e - 1 == s {
        format!("{s}")
    } else {
        format!("{s} to {}", e - 1)
    }
}

/// The field's name: a group's field is its type name in lowercase.
fn field_name(f: &FieldAst) -> String {
    if let FieldTy::Group(_) = f.ty {
        f.name.to_ascii_lowercase()
    } else {
        f.name.clone()
    }
}

fn annotation(o: &OptionAst) -> Annotation {
    let value = match &o.value {
        ConstAst::Int(i) => {
            let v = i.value.map(|v| v as i128).unwrap_or(i128::MAX);
            AnnotationValue::Int(if i.neg { -v } else { v })
        }
        ConstAst::Float(f) => AnnotationValue::Float(*f),
        ConstAst::Ident { neg: false, name } if name == "true" => AnnotationValue::Bool(true),
        ConstAst::Ident { neg: false, name } if name == "false" => AnnotationValue::Bool(false),
        ConstAst::Ident { neg, name } => AnnotationValue::Ident(if *neg {
            format!("-{name}")
        } else {
            name.clone()
        }),
        ConstAst::Str(s) => AnnotationValue::Str(String::from_utf8_lossy(s).into_owned()),
        ConstAst::Aggregate(a) => AnnotationValue::Aggregate(a.clone()),
    };
    Annotation {
        name: o.name.clone(),
        value,
        span: Span {
            file: o.name_span.file,
            start: o.name_span.start,
            end: o.value_span.end.max(o.name_span.end),
        },
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldCtx {
    Message,
    Oneof,
    Extend,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeKind {
    Reserved,
    Extension,
    Enum,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OptKind {
    File,
    Message,
    Field,
    Oneof,
    Enum,
    EnumValue,
    Service,
    Method,
    ExtensionRange,
}

impl OptKind {
    fn message(self) -> &'static str {
        match self {
            OptKind::File => "FileOptions",
            OptKind::Message => "MessageOptions",
            OptKind::Field => "FieldOptions",
            OptKind::Oneof => "OneofOptions",
            OptKind::Enum => "EnumOptions",
            OptKind::EnumValue => "EnumValueOptions",
            OptKind::Service => "ServiceOptions",
            OptKind::Method => "MethodOptions",
            OptKind::ExtensionRange => "ExtensionRangeOptions",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OptTy {
    Bool,
    Str,
    Enum,
    Any,
}

/// The options of `google/protobuf/descriptor.proto` (v21.12, plus the newer `features`,
/// `debug_redact`, `retention`, `targets`, `declaration`, `verification` that protoc 3.21
/// does not know but later files use).
fn known_option(kind: OptKind, name: &str) -> Option<OptTy> {
    use OptTy::*;
    let t = match (kind, name) {
        (_, "uninterpreted_option") => Any,
        (_, "features") => Any,
        (
            OptKind::File,
            "java_package"
            | "java_outer_classname"
            | "go_package"
            | "objc_class_prefix"
            | "csharp_namespace"
            | "swift_prefix"
            | "php_class_prefix"
            | "php_namespace"
            | "php_metadata_namespace"
            | "ruby_package",
        ) => Str,
        (
            OptKind::File,
            "java_multiple_files"
            | "java_generate_equals_and_hash"
            | "java_string_check_utf8"
            | "cc_generic_services"
            | "java_generic_services"
            | "py_generic_services"
            | "php_generic_services"
            | "deprecated"
            | "cc_enable_arenas",
        ) => Bool,
        (OptKind::File, "optimize_for") => Enum,
        (
            OptKind::Message,
            "message_set_wire_format"
            | "no_standard_descriptor_accessor"
            | "deprecated"
            | "map_entry"
            | "deprecated_legacy_json_field_conflicts",
        ) => Bool,
        (
            OptKind::Field,
            "packed" | "lazy" | "unverified_lazy" | "deprecated" | "weak" | "debug_redact",
        ) => Bool,
        (OptKind::Field, "ctype" | "jstype" | "retention" | "targets" | "target") => Enum,
        (OptKind::Field, "edition_defaults" | "feature_support") => Any,
        (
            OptKind::Enum,
            "allow_alias" | "deprecated" | "deprecated_legacy_json_field_conflicts",
        ) => Bool,
        (OptKind::EnumValue, "deprecated" | "debug_redact") => Bool,
        (OptKind::EnumValue, "feature_support") => Any,
        (OptKind::Service, "deprecated") => Bool,
        (OptKind::Method, "deprecated") => Bool,
        (OptKind::Method, "idempotency_level") => Enum,
        (OptKind::ExtensionRange, "declaration") => Any,
        (OptKind::ExtensionRange, "verification") => Enum,
        _ => return None,
    };
    Some(t)
}

#[cfg(test)]
mod tests {
    //! The define pass runs per file in parallel from `PARALLEL_MIN_FILES` files on: these
    //! inputs are above it, so they check that path's results against what the serial pass
    //! gives (IR order, cross-file reads, diagnostics, extension checks in file order).
    use std::path::PathBuf;

    use crate::ir::{ConstValue, DefKind};
    use crate::{compile, Compilation, MemLoader, Options};

    fn run(files: &[(String, String)]) -> Compilation {
        assert!(files.len() >= super::PARALLEL_MIN_FILES);
        let mut loader = MemLoader::new();
        for (name, text) in files {
            loader = loader.add(format!("/mem/{name}"), text.clone());
        }
        let inputs: Vec<PathBuf> = files
            .iter()
            .map(|(n, _)| PathBuf::from(format!("/mem/{n}")))
            .collect();
        compile(&inputs, &Options::default(), &loader)
    }

    fn default_of(c: &Compilation, message: &str, field: &str) -> Option<i32> {
        let d = c.ir.defs.iter().find(|d| d.full_name == message)?;
        let DefKind::Struct(s) = &d.kind else {
            return None;
        };
        match s.fields.iter().find(|f| f.name == field)?.default {
            Some(ConstValue::Enum { value, .. }) => Some(value),
            _ => None,
        }
    }

    #[test]
    fn enum_defaults_across_files_and_ahead_of_the_enum() {
        let files: Vec<(String, String)> = (0..12)
            .map(|i| {
                let import = if i > 0 {
                    format!("import \"d{}.proto\";\n", i - 1)
                } else {
                    String::new()
                };
                let prev = if i > 0 {
                    format!(
                        "  optional p{j}.E prev = 1 [default = V{j}_B];\n",
                        j = i - 1
                    )
                } else {
                    String::new()
                };
                let text = format!(
                    "syntax = \"proto2\";\npackage p{i};\n{import}message M {{\n{prev}  optional E here = 2 [default = V{i}_B];\n  optional group G = 3 {{ optional E g = 1 [default = V{i}_C]; }}\n}}\nenum E {{ V{i}_A = 0; V{i}_B = {b}; V{i}_C = -{c}; }}\n",
                    b = i + 5,
                    c = i + 1
                );
                (format!("d{i}.proto"), text)
            })
            .rev()
            .collect();
        let c = run(&files);
        assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
        // Dependency order, whatever the input order.
        let names: Vec<&str> =
            c.ir.files
                .iter()
                .map(|f| f.name.rsplit('/').next().unwrap_or(""))
                .collect();
        let want: Vec<String> = (0..12).map(|i| format!("d{i}.proto")).collect();
        assert_eq!(names, want);
        for i in 0..12i32 {
            let m = format!("p{i}.M");
            assert_eq!(default_of(&c, &m, "here"), Some(i + 5), "{m}.here");
            assert_eq!(
                default_of(&c, &format!("{m}.G"), "g"),
                Some(-i - 1),
                "{m}.G.g"
            );
            if i > 0 {
                assert_eq!(default_of(&c, &m, "prev"), Some(i + 4), "{m}.prev");
            }
        }
    }

    #[test]
    fn every_file_reports_its_errors_and_extension_clashes_in_file_order() {
        let mut files = vec![(
            "base.proto".to_owned(),
            "syntax = \"proto2\";\npackage base;\nmessage Base { extensions 100 to 200; }\n"
                .to_owned(),
        )];
        for i in 0..10 {
            files.push((
                format!("e{i}.proto"),
                format!(
                    "syntax = \"proto2\";\npackage e{i};\nimport \"base.proto\";\nmessage M {{ optional Unknown{i} x = 1; optional int32 a = 2; optional int32 b = 2; }}\nextend base.Base {{ optional int32 x{i} = 100; }}\n"
                ),
            ));
        }
        let c = run(&files);
        let msgs: Vec<&str> = c
            .diagnostics
            .items
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        for i in 0..10 {
            assert!(
                msgs.contains(&format!("\"Unknown{i}\" is not defined").as_str()),
                "{msgs:#?}"
            );
        }
        let dup_numbers = msgs
            .iter()
            .filter(|m| m.starts_with("field number 2 has already been used"))
            .count();
        assert_eq!(dup_numbers, 10, "{msgs:#?}");
        // The first extension in file order keeps number 100; the other nine clash with it.
        let clash =
            "extension number 100 has already been used in \"base.Base\" by extension \"x0\"";
        assert_eq!(msgs.iter().filter(|m| **m == clash).count(), 9, "{msgs:#?}");
        assert_eq!(msgs.len(), 29, "{msgs:#?}");
    }

    #[test]
    fn deep_nesting_in_many_files_defines_on_worker_threads() {
        let files: Vec<(String, String)> = (0..10)
            .map(|i| {
                let mut t = format!("syntax = \"proto2\";\npackage n{i};\n");
                for k in 0..90 {
                    t.push_str(&format!("message M{k} {{ optional group G{k} = 1 {{ }}\n"));
                }
                t.push_str(&"}\n".repeat(90));
                (format!("n{i}.proto"), t)
            })
            .collect();
        let c = run(&files);
        assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
        assert_eq!(c.ir.files.len(), 10);
    }
}
