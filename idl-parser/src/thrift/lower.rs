//! [`Ast`]s to IR: name resolution and the semantic checks.
//!
//! Phases, each over all files in dependency order: declare every definition (duplicate
//! names), resolve typedef targets (and reject typedef cycles), resolve struct fields, give
//! enums their values, evaluate constants in source order, then field defaults and services.
//! Lookups go through `HashMap`s; output is always built from the source-ordered `Vec`s.

use std::collections::{HashMap, HashSet};

use super::ast::{self, BaseType, ConstExpr, ConstKind, Req, TypeKind, TypeRef};
use crate::compile::LoadedFile;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{
    self, ConstValue, Def, DefId, DefKind, FileExt, Language, Presence, StructKind, ThriftFileExt,
    Type,
};
use crate::source::{FileId, SourceMap, Span};

/// Deepest constant value accepted, counting constants inlined through references.
const MAX_VALUE_DEPTH: usize = 200;

/// What a definition is, known before its body is lowered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Struct(StructKind),
    Enum,
    Alias,
    Const,
    Service,
}

struct Scope {
    /// The file's stem: the prefix other files use for its names.
    stem: String,
    names: HashMap<String, DefId>,
    /// Include stem -> index in `files`, and the include's span.
    includes: HashMap<String, (usize, Span)>,
    /// Include stems in source order, with whether a name was used through them.
    include_order: Vec<(String, Span, bool)>,
}

struct Lowerer<'a, 'b> {
    files: &'a [LoadedFile<'b, ast::Ast>],
    ir: &'a mut ir::Ir,
    diags: &'a mut Diagnostics,
    /// Number of definitions in the IR before this lowering started.
    base: usize,
    scopes: Vec<Scope>,
    class: Vec<Class>,
    /// Per file, the DefId of each `ast.defs` entry.
    def_ids: Vec<Vec<DefId>>,
    alias: Vec<Option<Type>>,
    /// For each typedef, the type at the end of its typedef chain (`None` on errors).
    alias_true: Vec<Option<Type>>,
    fields: Vec<Vec<ir::Field>>,
    enum_values: Vec<Vec<ir::EnumValue>>,
    /// Enum value by enum and name (first one wins), and the set of values of each enum.
    enum_by_name: HashMap<DefId, HashMap<String, i32>>,
    enum_has_value: HashSet<(DefId, i32)>,
    /// Field index by struct and name (first one wins).
    field_by_name: HashMap<DefId, HashMap<String, usize>>,
    consts: Vec<Option<(ConstValue, usize)>>,
    /// Constants whose evaluation has finished (successfully or not).
    const_done: Vec<bool>,
}

pub(crate) fn lower(
    files: &[LoadedFile<'_, ast::Ast>],
    _sources: &SourceMap,
    ir: &mut ir::Ir,
    diags: &mut Diagnostics,
) {
    // Per-definition tables are indexed by `DefId`; definitions already in the IR (another
    // language lowered first) get inert entries.
    let base = ir.defs.len();
    let mut l = Lowerer {
        files,
        ir,
        diags,
        base,
        scopes: Vec::with_capacity(files.len()),
        class: vec![Class::Const; base],
        def_ids: Vec::with_capacity(files.len()),
        alias: vec![None; base],
        alias_true: Vec::new(),
        fields: vec![Vec::new(); base],
        enum_values: vec![Vec::new(); base],
        enum_by_name: HashMap::new(),
        enum_has_value: HashSet::new(),
        field_by_name: HashMap::new(),
        consts: vec![None; base],
        const_done: vec![true; base],
    };
    l.declare();
    l.check_include_clashes();
    for fi in 0..files.len() {
        l.typedefs(fi);
    }
    l.check_alias_cycles();
    for fi in 0..files.len() {
        l.struct_fields(fi);
        l.enums(fi);
    }
    for fi in 0..files.len() {
        l.constants(fi);
    }
    for fi in 0..files.len() {
        l.defaults(fi);
    }
    let mut services = HashMap::new();
    for fi in 0..files.len() {
        l.services(fi, &mut services);
    }
    l.check_extends(&services);
    l.finish(services);
    for s in &l.scopes {
        for (stem, span, used) in &s.include_order {
            if !used {
                l.diags.push(
                    Diagnostic::warning(*span, format!("`{stem}` is included but never used"))
                        .with_label("unused include"),
                );
            }
        }
    }
}

fn stem_of(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.strip_suffix(".thrift").unwrap_or(base).to_string()
}

impl Lowerer<'_, '_> {
    fn declare(&mut self) {
        let mut index_of: HashMap<FileId, usize> = HashMap::new();
        for (fi, f) in self.files.iter().enumerate() {
            index_of.insert(f.id, fi);
            let mut scope = Scope {
                stem: stem_of(f.name),
                names: HashMap::new(),
                includes: HashMap::new(),
                include_order: Vec::new(),
            };
            for imp in f.imports {
                let Some(&inc) = index_of.get(&imp.file) else {
                    continue;
                };
                let stem = stem_of(&imp.path);
                if let Some((other, first)) = scope.includes.get(&stem) {
                    if *other != inc {
                        self.diags.push(
                            Diagnostic::error(
                                imp.span,
                                format!("two included files are both named `{stem}`"),
                            )
                            .with_label("second include with this name")
                            .with_secondary(*first, "first included here")
                            .with_note("names from an include are used as `stem.Name`, so stems must differ"),
                        );
                    }
                    continue;
                }
                scope.includes.insert(stem.clone(), (inc, imp.span));
                scope.include_order.push((stem, imp.span, false));
            }
            let mut ids = Vec::with_capacity(f.ast.defs.len());
            let mut top = Vec::with_capacity(f.ast.defs.len());
            for d in &f.ast.defs {
                let id = DefId(self.ir.defs.len() as u32);
                let class = match &d.kind {
                    ast::DefKind::Typedef(_) | ast::DefKind::Senum => Class::Alias,
                    ast::DefKind::Const { .. } => Class::Const,
                    ast::DefKind::Enum(_) => Class::Enum,
                    ast::DefKind::Struct { kind, .. } => Class::Struct(*kind),
                    ast::DefKind::Service { .. } => Class::Service,
                };
                self.ir.defs.push(Def {
                    id,
                    file: f.id,
                    name: d.name.name.clone(),
                    full_name: format!("{}.{}", scope.stem, d.name.name),
                    parent: None,
                    kind: DefKind::Alias(Type::Bool),
                    docs: d.docs.clone(),
                    annotations: d.annotations.clone(),
                    span: d.name.span,
                });
                self.class.push(class);
                self.alias.push(None);
                self.fields.push(Vec::new());
                self.enum_values.push(Vec::new());
                self.consts.push(None);
                self.const_done.push(false);
                ids.push(id);
                top.push(id);
                match scope.names.get(&d.name.name) {
                    Some(&first) => {
                        let first_span = self.ir.defs[first.0 as usize].span;
                        self.diags.push(
                            Diagnostic::error(
                                d.name.span,
                                format!("`{}` is defined more than once", d.name.name),
                            )
                            .with_label("duplicate definition")
                            .with_secondary(first_span, "first defined here"),
                        );
                    }
                    None => {
                        scope.names.insert(d.name.name.clone(), id);
                    }
                }
            }
            let package = f
                .ast
                .namespaces
                .iter()
                .find(|(s, _)| s == "rs")
                .or_else(|| f.ast.namespaces.iter().find(|(s, _)| s == "*"))
                .map(|(_, n)| n.clone());
            self.ir.files.push(ir::File {
                id: f.id,
                name: f.name.to_string(),
                language: Language::Thrift,
                package,
                includes: f
                    .imports
                    .iter()
                    .map(|i| ir::Include {
                        file: i.file,
                        path: i.path.clone(),
                        kind: i.kind,
                        span: i.span,
                    })
                    .collect(),
                defs: top,
                options: Vec::new(),
                docs: f.ast.docs.clone(),
                is_input: f.is_input,
                ext: FileExt::Thrift(ThriftFileExt {
                    namespaces: f.ast.namespaces.clone(),
                    cpp_includes: f.ast.cpp_includes.clone(),
                }),
            });
            self.scopes.push(scope);
            self.def_ids.push(ids);
        }
    }

    /// Apache Thrift's `is_unique_typename`: a type may not share its name with a type of a
    /// directly included file when both files declare exactly the same namespaces (or none).
    fn check_include_clashes(&mut self) {
        for fi in 0..self.files.len() {
            let ns = &self.files[fi].ast.namespaces;
            for (stem, _, _) in &self.scopes[fi].include_order {
                let Some(&(inc, _)) = self.scopes[fi].includes.get(stem) else {
                    continue;
                };
                if !same_namespaces(ns, &self.files[inc].ast.namespaces) {
                    continue;
                }
                for &id in &self.def_ids[fi] {
                    if self.class[id.0 as usize] == Class::Const {
                        continue;
                    }
                    let d = &self.ir.defs[id.0 as usize];
                    let Some(&other) = self.scopes[inc].names.get(&d.name) else {
                        continue;
                    };
                    if self.class[other.0 as usize] == Class::Const {
                        continue;
                    }
                    let o = &self.ir.defs[other.0 as usize];
                    let diag = Diagnostic::error(
                        d.span,
                        format!("`{}` is defined more than once", d.name),
                    )
                    .with_label("duplicate definition")
                    .with_secondary(o.span, format!("first defined here, in included `{stem}`"))
                    .with_note(
                        "the two files declare the same namespaces, so their types would clash",
                    );
                    self.diags.push(diag);
                }
            }
        }
    }

    // ---------------------------------------------------------------- name lookup

    /// Finds a definition by name as written in file `fi`: `Name` or `inc.Name` (include
    /// stems may contain dots themselves: `Thrift5320.enum.Task`).
    fn lookup(&mut self, fi: usize, name: &str) -> Lookup {
        if let Some(&id) = self.scopes[fi].names.get(name) {
            return Lookup::Found(id);
        }
        let mut first_prefix = None;
        for (i, _) in name.match_indices('.') {
            let (prefix, rest) = (&name[..i], &name[i + 1..]);
            first_prefix.get_or_insert(prefix);
            let Some(&(inc, _)) = self.scopes[fi].includes.get(prefix) else {
                continue;
            };
            if let Some(u) = self.scopes[fi]
                .include_order
                .iter_mut()
                .find(|(s, _, _)| s == prefix)
            {
                u.2 = true;
            }
            if let Some(&id) = self.scopes[inc].names.get(rest) {
                return Lookup::Found(id);
            }
            return Lookup::Unknown;
        }
        match first_prefix {
            Some(p) => Lookup::NoInclude(p.to_string()),
            None => Lookup::Unknown,
        }
    }

    /// Names close to `name`, for "did you mean".
    fn suggest(&self, fi: usize, name: &str, want: impl Fn(Class) -> bool) -> Option<String> {
        let scope = &self.scopes[fi];
        let mut best: Option<(usize, String)> = None;
        let mut consider = |cand: String, id: DefId| {
            if !want(self.class[id.0 as usize]) {
                return;
            }
            let d = edit_distance(name, &cand);
            let limit = (name.len() / 3).clamp(1, 3);
            if d <= limit && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                best = Some((d, cand));
            }
        };
        for d in self.def_ids[fi].iter() {
            let n = &self.ir.defs[d.0 as usize].name;
            if scope.names.get(n) == Some(d) {
                consider(n.clone(), *d);
            }
        }
        for (stem, _, _) in &scope.include_order {
            if let Some(&(inc, _)) = scope.includes.get(stem) {
                for d in &self.def_ids[inc] {
                    let n = &self.ir.defs[d.0 as usize].name;
                    consider(format!("{stem}.{n}"), *d);
                }
            }
        }
        best.map(|(_, s)| s)
    }

    fn include_note(&self, fi: usize) -> String {
        let incs: Vec<String> = self.scopes[fi]
            .include_order
            .iter()
            .map(|(s, _, _)| format!("`{s}`"))
            .collect();
        if incs.is_empty() {
            "this file includes nothing; add `include \"<file>.thrift\"`".to_string()
        } else {
            format!("this file includes: {}", incs.join(", "))
        }
    }

    // ---------------------------------------------------------------- types

    fn resolve_type(&mut self, fi: usize, t: &TypeRef) -> Option<Type> {
        Some(match &t.kind {
            TypeKind::Base(b) => match b {
                BaseType::String => Type::String,
                BaseType::Slist => {
                    self.diags.push(
                        Diagnostic::warning(t.span, "`slist` is deprecated; use `string`")
                            .with_label("deprecated type"),
                    );
                    Type::String
                }
                BaseType::Binary => Type::Bytes,
                BaseType::Bool => Type::Bool,
                BaseType::Byte => {
                    self.diags.push(
                        Diagnostic::warning(t.span, "`byte` is deprecated; use `i8`")
                            .with_label("deprecated type"),
                    );
                    Type::I8
                }
                BaseType::I8 => Type::I8,
                BaseType::I16 => Type::I16,
                BaseType::I32 => Type::I32,
                BaseType::I64 => Type::I64,
                BaseType::Double => Type::Double,
                BaseType::Uuid => Type::Uuid,
            },
            TypeKind::List(e) => Type::List(Box::new(self.resolve_type(fi, e)?)),
            TypeKind::Set(e) => Type::Set(Box::new(self.resolve_type(fi, e)?)),
            TypeKind::Map(k, v) => {
                let k = self.resolve_type(fi, k);
                let v = self.resolve_type(fi, v);
                Type::Map(Box::new(k?), Box::new(v?))
            }
            TypeKind::Named(name) => {
                if name == "void" {
                    self.diags.push(
                        Diagnostic::error(t.span, "`void` is not a value type")
                            .with_label("`void` here")
                            .with_note("`void` may only be the return type of a function"),
                    );
                    return None;
                }
                match self.lookup(fi, name) {
                    Lookup::Found(id) => match self.class[id.0 as usize] {
                        Class::Struct(_) | Class::Enum | Class::Alias => Type::Ref(id),
                        c => {
                            let what = if c == Class::Const {
                                "a constant"
                            } else {
                                "a service"
                            };
                            let def_span = self.ir.defs[id.0 as usize].span;
                            self.diags.push(
                                Diagnostic::error(
                                    t.span,
                                    format!("`{name}` is {what}, not a type"),
                                )
                                .with_label("expected a type")
                                .with_secondary(def_span, "defined here"),
                            );
                            return None;
                        }
                    },
                    Lookup::NoInclude(prefix) => {
                        let note = self.include_note(fi);
                        self.diags.push(
                            Diagnostic::error(
                                t.span,
                                format!("unknown include prefix `{prefix}` in `{name}`"),
                            )
                            .with_label("no include with this name")
                            .with_note(note),
                        );
                        return None;
                    }
                    Lookup::Unknown => {
                        let mut d = Diagnostic::error(t.span, format!("unknown type `{name}`"))
                            .with_label("not found");
                        if let Some(s) = self.suggest(fi, name, |c| {
                            matches!(c, Class::Struct(_) | Class::Enum | Class::Alias)
                        }) {
                            d = d.with_note(format!("did you mean `{s}`?"));
                        }
                        self.diags.push(d);
                        return None;
                    }
                }
            }
        })
    }

    /// Follows typedefs to the underlying type (`None` on a typedef cycle or error).
    fn true_type<'t>(&'t self, t: &'t Type) -> Option<&'t Type> {
        match t {
            Type::Ref(id) if self.class[id.0 as usize] == Class::Alias => {
                self.alias_true[id.0 as usize].as_ref()
            }
            _ => Some(t),
        }
    }

    fn type_name(&self, t: &Type) -> String {
        match t {
            Type::Bool => "bool".into(),
            Type::I8 => "i8".into(),
            Type::I16 => "i16".into(),
            Type::I32 => "i32".into(),
            Type::I64 => "i64".into(),
            Type::Double => "double".into(),
            Type::String => "string".into(),
            Type::Bytes => "binary".into(),
            Type::Uuid => "uuid".into(),
            Type::List(e) => format!("list<{}>", self.type_name(e)),
            Type::Set(e) => format!("set<{}>", self.type_name(e)),
            Type::Map(k, v) => format!("map<{}, {}>", self.type_name(k), self.type_name(v)),
            Type::Ref(id) => self.ir.defs[id.0 as usize].name.clone(),
            other => format!("{other:?}"),
        }
    }

    fn typedefs(&mut self, fi: usize) {
        let files = self.files;
        for (d, &id) in files[fi].ast.defs.iter().zip(&self.def_ids[fi].clone()) {
            match &d.kind {
                ast::DefKind::Typedef(t) => {
                    self.alias[id.0 as usize] = self.resolve_type(fi, t);
                }
                ast::DefKind::Senum => {
                    self.diags.push(
                        Diagnostic::warning(d.name.span, "`senum` is deprecated")
                            .with_label("lowered as a `string` typedef"),
                    );
                    self.alias[id.0 as usize] = Some(Type::String);
                }
                _ => {}
            }
        }
    }

    /// Rejects typedef cycles and records, for every typedef, the non-typedef type it
    /// finally names (`alias_true`), in time linear in the number of typedefs.
    fn check_alias_cycles(&mut self) {
        #[derive(Clone, Copy, PartialEq)]
        enum St {
            New,
            Active,
            Done,
        }
        let n = self.alias.len();
        let mut st = vec![St::New; n];
        self.alias_true = vec![None; n];
        let mut path: Vec<usize> = Vec::new();
        for start in 0..n {
            if self.class[start] != Class::Alias || st[start] != St::New {
                continue;
            }
            // Walk the chain until a non-typedef, a finished typedef or a cycle.
            let mut cur = start;
            let result: Option<Type> = loop {
                if st[cur] == St::Done {
                    break self.alias_true[cur].clone();
                }
                if st[cur] == St::Active {
                    // A cycle: report each typedef on it.
                    let from = path.iter().position(|&p| p == cur).unwrap_or(0);
                    for &p in &path[from..] {
                        let d = &self.ir.defs[p];
                        self.diags.push(
                            Diagnostic::error(
                                d.span,
                                format!("typedef `{}` refers to itself", d.name),
                            )
                            .with_label("typedef cycle"),
                        );
                    }
                    break None;
                }
                st[cur] = St::Active;
                path.push(cur);
                match &self.alias[cur] {
                    Some(Type::Ref(next)) if self.class[next.0 as usize] == Class::Alias => {
                        cur = next.0 as usize;
                    }
                    Some(t) => break Some(t.clone()),
                    None => break None,
                }
            };
            for p in path.drain(..) {
                st[p] = St::Done;
                self.alias_true[p] = result.clone();
                if result.is_none() {
                    self.alias[p] = None;
                }
            }
        }
    }

    // ---------------------------------------------------------------- fields

    /// Lowers a field list (struct, arguments or throws): ids, presence, duplicates.
    fn field_list(
        &mut self,
        fi: usize,
        list: &[ast::Field],
        union: bool,
        args: bool,
        what: &str,
    ) -> Vec<ir::Field> {
        let mut out = Vec::with_capacity(list.len());
        let mut next_auto = -1i32;
        let mut by_id: HashMap<i32, Span> = HashMap::new();
        let mut by_name: HashMap<&str, Span> = HashMap::new();
        for f in list {
            let (id, id_span) = match f.id {
                Some((v, span)) if v > 0 => {
                    if v > i16::MAX as i128 {
                        self.diags.push(
                            Diagnostic::error(span, format!("field id {v} is out of range"))
                                .with_label("too large")
                                .with_note("field ids are 16-bit: 1 to 32767"),
                        );
                        (i32::MAX, span)
                    } else {
                        (v as i32, span)
                    }
                }
                Some((v, span)) => {
                    self.diags.push(
                        Diagnostic::warning(
                            span,
                            format!(
                                "field id {v} is not positive; an id is assigned automatically"
                            ),
                        )
                        .with_label("non-positive field id"),
                    );
                    let a = next_auto;
                    next_auto -= 1;
                    (a, span)
                }
                None => {
                    self.diags.push(
                        Diagnostic::warning(
                            f.name.span,
                            format!("field `{}` has no id; it gets {next_auto}", f.name.name),
                        )
                        .with_label("no field id")
                        .with_note(
                            "fields without ids are not backwards compatible; write `N: type name`",
                        ),
                    );
                    let a = next_auto;
                    next_auto -= 1;
                    (a, f.name.span)
                }
            };
            if id != i32::MAX {
                if let Some(first) = by_id.get(&id) {
                    self.diags.push(
                        Diagnostic::error(id_span, format!("duplicate field id {id} in {what}"))
                            .with_label("this id is already used")
                            .with_secondary(*first, "first defined here"),
                    );
                } else {
                    by_id.insert(id, id_span);
                }
            }
            if let Some(first) = by_name.get(f.name.name.as_str()) {
                self.diags.push(
                    Diagnostic::error(
                        f.name.span,
                        format!("duplicate field name `{}` in {what}", f.name.name),
                    )
                    .with_label("this name is already used")
                    .with_secondary(*first, "first defined here"),
                );
            } else {
                by_name.insert(&f.name.name, f.name.span);
            }
            let mut presence = match f.req {
                Some((Req::Required, _)) => Presence::Required,
                Some((Req::Optional, _)) => Presence::Optional,
                None => Presence::Default,
            };
            if args {
                if let Some((Req::Optional, span)) = f.req {
                    self.diags.push(
                        Diagnostic::warning(span, "`optional` is ignored on arguments")
                            .with_label("ignored")
                            .with_note("arguments have default requiredness, as in Apache Thrift"),
                    );
                    presence = Presence::Default;
                }
            }
            if union {
                if let Some((Req::Required, span)) = f.req {
                    self.diags.push(
                        Diagnostic::warning(span, "union fields are always optional")
                            .with_label("`required` is ignored here"),
                    );
                }
                presence = Presence::Optional;
            }
            let ty = self.resolve_type(fi, &f.ty).unwrap_or(Type::Bool);
            out.push(ir::Field {
                id,
                name: f.name.name.clone(),
                ty,
                presence,
                default: None,
                annotations: f.annotations.clone(),
                docs: f.docs.clone(),
                span: f.name.span,
                oneof: None,
                proto: None,
            });
        }
        out
    }

    fn struct_fields(&mut self, fi: usize) {
        let files = self.files;
        for (d, &id) in files[fi].ast.defs.iter().zip(&self.def_ids[fi].clone()) {
            if let ast::DefKind::Struct { kind, fields } = &d.kind {
                let what = match kind {
                    StructKind::Union => "union",
                    StructKind::Exception => "exception",
                    StructKind::Struct => "struct",
                };
                let what = format!("{what} `{}`", d.name.name);
                let f = self.field_list(fi, fields, *kind == StructKind::Union, false, &what);
                let mut by_name = HashMap::with_capacity(f.len());
                for (i, field) in f.iter().enumerate() {
                    by_name.entry(field.name.clone()).or_insert(i);
                }
                self.field_by_name.insert(id, by_name);
                self.fields[id.0 as usize] = f;
            }
        }
    }

    fn enums(&mut self, fi: usize) {
        let files = self.files;
        for (d, &id) in files[fi].ast.defs.iter().zip(&self.def_ids[fi].clone()) {
            let ast::DefKind::Enum(values) = &d.kind else {
                continue;
            };
            let mut out: Vec<ir::EnumValue> = Vec::with_capacity(values.len());
            let mut seen: HashMap<&str, Span> = HashMap::new();
            let mut next: i128 = 0;
            for v in values {
                let value = match v.value {
                    Some((n, _)) => n,
                    None => next,
                };
                let value = match i32::try_from(value) {
                    Ok(x) => x,
                    Err(_) => {
                        let span = v.value.map(|(_, s)| s).unwrap_or(v.name.span);
                        self.diags.push(
                            Diagnostic::error(
                                span,
                                format!("enum value {value} does not fit in i32"),
                            )
                            .with_label("out of range")
                            .with_note("enum values must be between -2147483648 and 2147483647"),
                        );
                        0
                    }
                };
                next = value as i128 + 1;
                if let Some(first) = seen.get(v.name.name.as_str()) {
                    self.diags.push(
                        Diagnostic::error(
                            v.name.span,
                            format!(
                                "duplicate enum value `{}` in enum `{}`",
                                v.name.name, d.name.name
                            ),
                        )
                        .with_label("already defined")
                        .with_secondary(*first, "first defined here"),
                    );
                } else {
                    seen.insert(&v.name.name, v.name.span);
                }
                out.push(ir::EnumValue {
                    name: v.name.name.clone(),
                    value,
                    annotations: v.annotations.clone(),
                    docs: v.docs.clone(),
                    span: v.name.span,
                });
            }
            let mut by_name = HashMap::with_capacity(out.len());
            for v in &out {
                by_name.entry(v.name.clone()).or_insert(v.value);
                self.enum_has_value.insert((id, v.value));
            }
            self.enum_by_name.insert(id, by_name);
            self.enum_values[id.0 as usize] = out;
        }
    }

    // ---------------------------------------------------------------- constants

    fn constants(&mut self, fi: usize) {
        let files = self.files;
        for (d, &id) in files[fi].ast.defs.iter().zip(&self.def_ids[fi].clone()) {
            if let ast::DefKind::Const { ty, value } = &d.kind {
                let t = self.resolve_type(fi, ty);
                if let Some(t) = t {
                    let mut depth = 0;
                    let v = self.eval(fi, value, &t, 1, &mut depth);
                    self.consts[id.0 as usize] = v.map(|v| (v, depth));
                    self.alias[id.0 as usize] = Some(t);
                }
                self.const_done[id.0 as usize] = true;
            }
        }
    }

    fn enum_value(&self, id: DefId, name: &str) -> Option<i32> {
        self.enum_by_name
            .get(&id)
            .and_then(|m| m.get(name))
            .copied()
    }

    fn mismatch(&mut self, span: Span, t: &Type, found: &str) {
        let name = self.type_name(t);
        self.diags.push(
            Diagnostic::error(
                span,
                format!("type mismatch: expected a value of type `{name}`, found {found}"),
            )
            .with_label(format!("expected `{name}`")),
        );
    }

    /// Evaluates a constant expression as a value of type `ty`.
    fn eval(
        &mut self,
        fi: usize,
        e: &ConstExpr,
        ty: &Type,
        depth: usize,
        max_depth: &mut usize,
    ) -> Option<ConstValue> {
        *max_depth = (*max_depth).max(depth);
        if depth > MAX_VALUE_DEPTH {
            self.diags.error(e.span, "constant value nests too deeply");
            return None;
        }
        let t = self.true_type(ty).cloned()?;
        match &e.kind {
            ConstKind::Int(None) => {
                self.diags.push(
                    Diagnostic::error(e.span, "integer literal is too large")
                        .with_label("does not fit in 64 bits"),
                );
                None
            }
            ConstKind::Int(Some(v)) => self.coerce_int(*v, &t, ty, e.span),
            ConstKind::Double(f) => match t {
                Type::Double => Some(ConstValue::Double(*f)),
                _ => {
                    self.mismatch(e.span, ty, "a floating-point number");
                    None
                }
            },
            ConstKind::Str(s) => match t {
                Type::String => Some(ConstValue::Str(s.clone())),
                Type::Bytes => Some(ConstValue::Bytes(s.clone().into_bytes())),
                Type::Uuid => {
                    if is_uuid(s) {
                        // Stored without the optional braces, as Apache Thrift does.
                        let bare = s.trim_start_matches('{').trim_end_matches('}');
                        Some(ConstValue::Str(bare.to_string()))
                    } else {
                        self.diags.push(
                            Diagnostic::error(e.span, format!("`{s}` is not a valid uuid"))
                                .with_label("invalid uuid")
                                .with_note("write a uuid as 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' (hex digits), optionally in braces"),
                        );
                        None
                    }
                }
                _ => {
                    self.mismatch(e.span, ty, "a string");
                    None
                }
            },
            ConstKind::Ident(name) => self.eval_ident(fi, name, &t, ty, e.span, depth, max_depth),
            ConstKind::List(items) => {
                let elem = match &t {
                    Type::List(el) | Type::Set(el) => (**el).clone(),
                    _ => {
                        self.mismatch(e.span, ty, "a list");
                        return None;
                    }
                };
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for it in items {
                    match self.eval(fi, it, &elem, depth + 1, max_depth) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                ok.then_some(ConstValue::List(out))
            }
            ConstKind::Map(entries) => match &t {
                // Apache Thrift accepts `{}` as an empty list or set.
                Type::List(_) | Type::Set(_) if entries.is_empty() => {
                    Some(ConstValue::List(Vec::new()))
                }
                Type::Map(k, v) => {
                    let (k, v) = ((**k).clone(), (**v).clone());
                    let mut out = Vec::with_capacity(entries.len());
                    let mut ok = true;
                    for (ke, ve) in entries {
                        let kv = self.eval(fi, ke, &k, depth + 1, max_depth);
                        let vv = self.eval(fi, ve, &v, depth + 1, max_depth);
                        match (kv, vv) {
                            (Some(a), Some(b)) => out.push((a, b)),
                            _ => ok = false,
                        }
                    }
                    ok.then_some(ConstValue::Map(out))
                }
                Type::Ref(id) if matches!(self.class[id.0 as usize], Class::Struct(_)) => {
                    let id = *id;
                    let mut out = Vec::with_capacity(entries.len());
                    let mut ok = true;
                    let mut seen: HashMap<i32, Span> = HashMap::new();
                    for (ke, ve) in entries {
                        let ConstKind::Str(fname) = &ke.kind else {
                            self.diags.push(
                                Diagnostic::error(ke.span, "expected a field name as a string")
                                    .with_label(
                                        "struct constants are written `{\"field\": value}`",
                                    ),
                            );
                            ok = false;
                            continue;
                        };
                        let found = self
                            .field_by_name
                            .get(&id)
                            .and_then(|m| m.get(fname.as_str()))
                            .and_then(|&i| self.fields[id.0 as usize].get(i))
                            .map(|f| (f.id, f.ty.clone()));
                        let Some((fid, fty)) = found else {
                            let sname = self.ir.defs[id.0 as usize].name.clone();
                            self.diags.push(
                                Diagnostic::error(
                                    ke.span,
                                    format!("struct `{sname}` has no field `{fname}`"),
                                )
                                .with_label("unknown field"),
                            );
                            ok = false;
                            continue;
                        };
                        if let Some(first) = seen.get(&fid) {
                            self.diags.push(
                                Diagnostic::error(
                                    ke.span,
                                    format!("field `{fname}` is given twice"),
                                )
                                .with_label("duplicate")
                                .with_secondary(*first, "first given here"),
                            );
                            ok = false;
                            continue;
                        }
                        seen.insert(fid, ke.span);
                        match self.eval(fi, ve, &fty, depth + 1, max_depth) {
                            Some(v) => out.push((fid, v)),
                            None => ok = false,
                        }
                    }
                    ok.then_some(ConstValue::Struct {
                        def: id,
                        fields: out,
                    })
                }
                _ => {
                    self.mismatch(e.span, ty, "a map");
                    None
                }
            },
        }
    }

    fn coerce_int(&mut self, v: i128, t: &Type, ty: &Type, span: Span) -> Option<ConstValue> {
        let range = |lo: i128, hi: i128, name: &str, me: &mut Self| -> Option<ConstValue> {
            if v < lo || v > hi {
                me.diags.push(
                    Diagnostic::error(span, format!("integer {v} does not fit in `{name}`"))
                        .with_label("out of range")
                        .with_note(format!("`{name}` holds values from {lo} to {hi}")),
                );
                None
            } else {
                Some(ConstValue::Int(v as i64))
            }
        };
        match t {
            Type::I8 => range(i8::MIN as i128, i8::MAX as i128, "i8", self),
            Type::I16 => range(i16::MIN as i128, i16::MAX as i128, "i16", self),
            Type::I32 => range(i32::MIN as i128, i32::MAX as i128, "i32", self),
            Type::I64 => range(i64::MIN as i128, i64::MAX as i128, "i64", self),
            Type::Double => Some(ConstValue::Double(v as f64)),
            Type::Bool => Some(ConstValue::Bool(v != 0)),
            Type::Ref(id) if self.class[id.0 as usize] == Class::Enum => {
                let id = *id;
                if i32::try_from(v).is_ok_and(|v| self.enum_has_value.contains(&(id, v))) {
                    Some(ConstValue::Enum {
                        def: id,
                        value: v as i32,
                    })
                } else {
                    let ename = self.ir.defs[id.0 as usize].name.clone();
                    self.diags.push(
                        Diagnostic::error(span, format!("{v} is not a value of enum `{ename}`"))
                            .with_label("no such enum value"),
                    );
                    None
                }
            }
            _ => {
                self.mismatch(span, ty, "an integer");
                None
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_ident(
        &mut self,
        fi: usize,
        name: &str,
        t: &Type,
        ty: &Type,
        span: Span,
        depth: usize,
        max_depth: &mut usize,
    ) -> Option<ConstValue> {
        if name == "true" || name == "false" {
            return self.coerce_int((name == "true") as i128, t, ty, span);
        }
        // For an enum-typed value Apache Thrift looks only at the last segment of
        // `Enum.VALUE`, in the expected enum.
        if let (Type::Ref(eid), Some((prefix, value))) = (t, name.rsplit_once('.')) {
            let eid = *eid;
            if self.class[eid.0 as usize] == Class::Enum {
                let found = self.enum_value(eid, value);
                if let Some(v) = found {
                    let ename = self.ir.defs[eid.0 as usize].name.clone();
                    if prefix.rsplit('.').next() != Some(ename.as_str()) {
                        self.diags.push(
                            Diagnostic::warning(
                                span,
                                format!("`{name}` is used as a value of enum `{ename}`"),
                            )
                            .with_label(format!("taken as `{ename}.{value}`"))
                            .with_note(
                                "Apache Thrift looks the value name up in the expected enum",
                            ),
                        );
                    }
                    return Some(ConstValue::Enum { def: eid, value: v });
                }
            }
        }
        // A constant?
        match self.lookup(fi, name) {
            Lookup::Found(id) if self.class[id.0 as usize] == Class::Const => {
                if !self.const_done[id.0 as usize] {
                    self.diags.push(
                        Diagnostic::error(
                            span,
                            format!("constant `{name}` is used before its definition"),
                        )
                        .with_label("not defined yet")
                        .with_secondary(self.ir.defs[id.0 as usize].span, "defined here"),
                    );
                    return None;
                }
                let (v, d) = self.consts[id.0 as usize].clone()?;
                if depth + d > MAX_VALUE_DEPTH {
                    self.diags.error(span, "constant value nests too deeply");
                    return None;
                }
                *max_depth = (*max_depth).max(depth + d);
                return self.coerce(v, t, ty, span);
            }
            Lookup::Found(_) => {}
            Lookup::NoInclude(_) | Lookup::Unknown => {}
        }
        // An enum value `Enum.VALUE` / `inc.Enum.VALUE`?
        if let Some((prefix, value)) = name.rsplit_once('.') {
            match self.lookup(fi, prefix) {
                Lookup::Found(id) if self.class[id.0 as usize] == Class::Enum => {
                    let found = self.enum_value(id, value);
                    return match found {
                        Some(v) => self.coerce(ConstValue::Enum { def: id, value: v }, t, ty, span),
                        None => {
                            self.diags.push(
                                Diagnostic::error(
                                    span,
                                    format!("enum `{prefix}` has no value `{value}`"),
                                )
                                .with_label("unknown enum value"),
                            );
                            None
                        }
                    };
                }
                Lookup::NoInclude(p) if prefix.contains('.') => {
                    let note = self.include_note(fi);
                    self.diags.push(
                        Diagnostic::error(
                            span,
                            format!("unknown include prefix `{p}` in `{name}`"),
                        )
                        .with_label("no include with this name")
                        .with_note(note),
                    );
                    return None;
                }
                _ => {}
            }
        }
        let mut d =
            Diagnostic::error(span, format!("unknown constant `{name}`")).with_label("not found");
        if let Type::Ref(id) = t {
            if self.class[id.0 as usize] == Class::Enum
                && self.enum_values[id.0 as usize]
                    .iter()
                    .any(|e| e.name == name)
            {
                d = d.with_note(format!(
                    "enum values must be qualified: `{}.{name}`",
                    self.ir.defs[id.0 as usize].name
                ));
            }
        }
        if d.notes.is_empty() {
            if let Some(s) = self.suggest(fi, name, |c| c == Class::Const) {
                d = d.with_note(format!("did you mean `{s}`?"));
            }
        }
        self.diags.push(d);
        None
    }

    /// Checks an already evaluated value (of a referenced constant) against `t`.
    fn coerce(&mut self, v: ConstValue, t: &Type, ty: &Type, span: Span) -> Option<ConstValue> {
        match (v, t) {
            (ConstValue::Int(i), _) => self.coerce_int(i as i128, t, ty, span),
            (ConstValue::Bool(b), _) => self.coerce_int(b as i128, t, ty, span),
            (ConstValue::Enum { def, value }, Type::Ref(id)) if *id == def => {
                Some(ConstValue::Enum { def, value })
            }
            (ConstValue::Enum { value, .. }, Type::Ref(id))
                if self.class[id.0 as usize] == Class::Enum =>
            {
                // A value of another enum: accepted by number, as Apache Thrift does.
                self.coerce_int(value as i128, t, ty, span)
            }
            (ConstValue::Enum { value, .. }, _) => self.coerce_int(value as i128, t, ty, span),
            (ConstValue::Double(f), Type::Double) => Some(ConstValue::Double(f)),
            (ConstValue::Str(s), Type::String) => Some(ConstValue::Str(s)),
            (ConstValue::Str(s), Type::Uuid) if is_uuid(&s) => Some(ConstValue::Str(
                s.trim_start_matches('{').trim_end_matches('}').to_string(),
            )),
            (ConstValue::Str(s), Type::Bytes) => Some(ConstValue::Bytes(s.into_bytes())),
            (ConstValue::Bytes(b), Type::Bytes) => Some(ConstValue::Bytes(b)),
            (ConstValue::Bytes(b), Type::String) => match String::from_utf8(b) {
                Ok(s) => Some(ConstValue::Str(s)),
                Err(_) => {
                    self.mismatch(span, ty, "binary data");
                    None
                }
            },
            (ConstValue::List(items), Type::List(el) | Type::Set(el)) => {
                let mut out = Vec::with_capacity(items.len());
                for it in items {
                    let et = self.true_type(el)?.clone();
                    out.push(self.coerce(it, &et, el, span)?);
                }
                Some(ConstValue::List(out))
            }
            (ConstValue::Map(entries), Type::Map(k, v)) => {
                let kt = self.true_type(k)?.clone();
                let vt = self.true_type(v)?.clone();
                let mut out = Vec::with_capacity(entries.len());
                for (a, b) in entries {
                    let a = self.coerce(a, &kt, k, span)?;
                    let b = self.coerce(b, &vt, v, span)?;
                    out.push((a, b));
                }
                Some(ConstValue::Map(out))
            }
            (ConstValue::Struct { def, fields }, Type::Ref(id)) if *id == def => {
                Some(ConstValue::Struct { def, fields })
            }
            (v, _) => {
                let found = match v {
                    ConstValue::Double(_) => "a floating-point number",
                    ConstValue::Str(_) | ConstValue::Bytes(_) => "a string",
                    ConstValue::List(_) => "a list",
                    ConstValue::Map(_) => "a map",
                    ConstValue::Struct { .. } => "a struct",
                    _ => "a value of another type",
                };
                self.mismatch(span, ty, found);
                None
            }
        }
    }

    // ---------------------------------------------------------------- defaults, services

    fn defaults(&mut self, fi: usize) {
        let files = self.files;
        for (d, &id) in files[fi].ast.defs.iter().zip(&self.def_ids[fi].clone()) {
            let ast::DefKind::Struct { kind, fields } = &d.kind else {
                continue;
            };
            let mut first_default: Option<Span> = None;
            for (i, f) in fields.iter().enumerate() {
                let Some(e) = &f.default else { continue };
                if *kind == StructKind::Union {
                    if let Some(first) = first_default {
                        self.diags.push(
                            Diagnostic::error(
                                e.span,
                                format!("union `{}` has more than one default value", d.name.name),
                            )
                            .with_label("second default")
                            .with_secondary(first, "first default here"),
                        );
                    }
                    first_default.get_or_insert(e.span);
                }
                let Some(ty) = self.fields[id.0 as usize].get(i).map(|f| f.ty.clone()) else {
                    continue;
                };
                let mut depth = 0;
                let v = self.eval(fi, e, &ty, 1, &mut depth);
                if let Some(field) = self.fields[id.0 as usize].get_mut(i) {
                    field.default = v;
                }
            }
        }
    }

    fn services(&mut self, fi: usize, out: &mut HashMap<DefId, ir::Service>) {
        let files = self.files;
        for (d, &id) in files[fi].ast.defs.iter().zip(&self.def_ids[fi].clone()) {
            let ast::DefKind::Service { extends, functions } = &d.kind else {
                continue;
            };
            let mut ext = None;
            if let Some(e) = extends {
                match self.lookup(fi, &e.name) {
                    Lookup::Found(s) if self.class[s.0 as usize] == Class::Service => ext = Some(s),
                    Lookup::Found(s) => {
                        let sp = self.ir.defs[s.0 as usize].span;
                        self.diags.push(
                            Diagnostic::error(e.span, format!("`{}` is not a service", e.name))
                                .with_label("expected a service")
                                .with_secondary(sp, "defined here"),
                        );
                    }
                    Lookup::NoInclude(p) => {
                        let note = self.include_note(fi);
                        self.diags.push(
                            Diagnostic::error(
                                e.span,
                                format!("unknown include prefix `{p}` in `{}`", e.name),
                            )
                            .with_label("no include with this name")
                            .with_note(note),
                        );
                    }
                    Lookup::Unknown => {
                        let mut dg =
                            Diagnostic::error(e.span, format!("unknown service `{}`", e.name))
                                .with_label("not found");
                        if let Some(s) = self.suggest(fi, &e.name, |c| c == Class::Service) {
                            dg = dg.with_note(format!("did you mean `{s}`?"));
                        }
                        self.diags.push(dg);
                    }
                }
            }
            let mut methods = Vec::with_capacity(functions.len());
            let mut seen: HashMap<&str, Span> = HashMap::new();
            for f in functions {
                if let Some(first) = seen.get(f.name.name.as_str()) {
                    self.diags.push(
                        Diagnostic::error(
                            f.name.span,
                            format!(
                                "duplicate method `{}` in service `{}`",
                                f.name.name, d.name.name
                            ),
                        )
                        .with_label("already defined")
                        .with_secondary(*first, "first defined here"),
                    );
                } else {
                    seen.insert(&f.name.name, f.name.span);
                }
                let result = f
                    .ret
                    .as_ref()
                    .map(|t| self.resolve_type(fi, t).unwrap_or(Type::Bool));
                let what = format!("the arguments of `{}`", f.name.name);
                let mut args = self.field_list(fi, &f.args, false, true, &what);
                let what = format!("the exceptions of `{}`", f.name.name);
                let mut throws = self.field_list(fi, &f.throws, false, false, &what);
                for (lowered, src) in args
                    .iter_mut()
                    .zip(&f.args)
                    .chain(throws.iter_mut().zip(&f.throws))
                {
                    if let Some(e) = &src.default {
                        let mut depth = 0;
                        lowered.default = self.eval(fi, e, &lowered.ty.clone(), 1, &mut depth);
                    }
                }
                for (tf, af) in throws.iter().zip(&f.throws) {
                    let is_exc = match self.true_type(&tf.ty) {
                        Some(Type::Ref(x)) => {
                            self.class[x.0 as usize] == Class::Struct(StructKind::Exception)
                        }
                        None => true,
                        _ => false,
                    };
                    if !is_exc && tf.ty != Type::Bool {
                        let n = self.type_name(&tf.ty);
                        self.diags.push(
                            Diagnostic::error(af.ty.span, format!("`{n}` is not an exception"))
                                .with_label("`throws` takes exception types only"),
                        );
                    }
                }
                if let Some(ow) = f.oneway {
                    if f.ret.is_some() {
                        self.diags.push(
                            Diagnostic::error(
                                f.ret_span,
                                format!("oneway method `{}` must return `void`", f.name.name),
                            )
                            .with_label("not void")
                            .with_secondary(ow, "declared oneway here"),
                        );
                    }
                    if let Some(t) = f.throws.first() {
                        self.diags.push(
                            Diagnostic::error(
                                t.span,
                                format!("oneway method `{}` cannot throw exceptions", f.name.name),
                            )
                            .with_label("`throws` on a oneway method")
                            .with_secondary(ow, "declared oneway here"),
                        );
                    }
                }
                methods.push(ir::Method {
                    name: f.name.name.clone(),
                    args,
                    result,
                    throws,
                    oneway: f.oneway.is_some(),
                    client_streaming: false,
                    server_streaming: false,
                    annotations: f.annotations.clone(),
                    docs: f.docs.clone(),
                    span: f.name.span,
                });
            }
            out.insert(
                id,
                ir::Service {
                    extends: ext,
                    methods,
                },
            );
        }
    }

    /// Rejects inheritance cycles, and methods that repeat the name of a method of a base
    /// service (Apache Thrift's `validate_unique_members`).
    fn check_extends(&mut self, services: &HashMap<DefId, ir::Service>) {
        for (i, d) in self.ir.defs.iter().enumerate() {
            let start = DefId(i as u32);
            let Some(svc) = services.get(&start) else {
                continue;
            };
            let Some(mut cur) = svc.extends else {
                continue;
            };
            let own: HashMap<&str, Span> = svc
                .methods
                .iter()
                .map(|m| (m.name.as_str(), m.span))
                .collect();
            for _ in 0..=services.len() {
                if cur == start {
                    self.diags.push(
                        Diagnostic::error(d.span, format!("service `{}` extends itself", d.name))
                            .with_label("inheritance cycle"),
                    );
                    break;
                }
                let Some(base) = services.get(&cur) else {
                    break;
                };
                let base_name = &self.ir.defs[cur.0 as usize].full_name;
                for m in &base.methods {
                    if let Some(span) = own.get(m.name.as_str()) {
                        self.diags.push(
                            Diagnostic::error(
                                *span,
                                format!(
                                    "method `{}` is already defined in base service `{base_name}`",
                                    m.name
                                ),
                            )
                            .with_label("redefined here")
                            .with_secondary(m.span, "first defined here")
                            .with_note("Thrift services cannot override inherited methods"),
                        );
                    }
                }
                match base.extends {
                    Some(n) => cur = n,
                    None => break,
                }
            }
        }
    }

    fn finish(&mut self, mut services: HashMap<DefId, ir::Service>) {
        for i in self.base..self.ir.defs.len() {
            let kind = match self.class[i] {
                Class::Struct(kind) => DefKind::Struct(ir::Struct {
                    kind,
                    fields: std::mem::take(&mut self.fields[i]),
                    oneofs: Vec::new(),
                    nested: Vec::new(),
                    proto: None,
                }),
                Class::Enum => DefKind::Enum(ir::Enum {
                    values: std::mem::take(&mut self.enum_values[i]),
                    allow_alias: false,
                }),
                Class::Alias => DefKind::Alias(self.alias[i].take().unwrap_or(Type::Bool)),
                Class::Const => DefKind::Const(ir::Const {
                    ty: self.alias[i].take().unwrap_or(Type::Bool),
                    value: self.consts[i]
                        .take()
                        .map(|(v, _)| v)
                        .unwrap_or(ConstValue::Bool(false)),
                }),
                Class::Service => {
                    DefKind::Service(services.remove(&DefId(i as u32)).unwrap_or(ir::Service {
                        extends: None,
                        methods: Vec::new(),
                    }))
                }
            };
            self.ir.defs[i].kind = kind;
        }
    }
}

enum Lookup {
    Found(DefId),
    /// `prefix.Name` where no include is called `prefix`.
    NoInclude(String),
    Unknown,
}

/// Both files declare exactly the same `namespace`s (or none at all).
fn same_namespaces(a: &[(String, String)], b: &[(String, String)]) -> bool {
    let get = |v: &[(String, String)], scope: &str| {
        v.iter()
            .rev()
            .find(|(s, _)| s == scope)
            .map(|(_, n)| n.clone())
    };
    a.iter().all(|(s, n)| get(b, s).as_ref() == Some(n))
        && b.iter().all(|(s, n)| get(a, s).as_ref() == Some(n))
}

fn is_uuid(s: &str) -> bool {
    let s = match s.strip_prefix('{') {
        Some(r) => match r.strip_suffix('}') {
            Some(r) => r,
            None => return false,
        },
        None => s,
    };
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Levenshtein distance (only used to suggest names on errors).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 3 {
        return usize::MAX;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(!a[i - 1].eq_ignore_ascii_case(&b[j - 1]));
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
