//! Global facts about an IR that code generation needs everywhere: where things live, which
//! fields need a `Box`, which types can derive `Eq`/`Hash`.

use kit_idl::ir::{DefId, DefKind, Ir, StructKind, Type};

use crate::layout::Layout;
use crate::Options;

/// Component of a struct that is in no containment cycle.
const NO_CYCLE: u32 = u32::MAX;

pub struct Context<'a> {
    pub ir: &'a Ir,
    pub layout: Layout,
    pub options: &'a Options,
    /// Per def: strongly connected component id in the by-value containment graph.
    scc: Vec<u32>,
    /// Per def: its values can derive `Eq` and `Hash`.
    hashable: Vec<bool>,
    /// Defs `0..user_defs` come from the IDL; the rest are the synthetic args/result structs
    /// of Thrift services (see [`crate::thrift_service::with_service_structs`]).
    pub user_defs: usize,
    /// Per def: a value can be made by `Default` (see [`Context::is_defaultable`]).
    defaultable: Vec<bool>,
    /// Per Thrift service: the (args, result) structs of its methods, `extends` flattened.
    pub service_structs: crate::thrift_service::ServiceStructs,
    /// The extra attribute rules of `options` (validated by `generate` before it builds a
    /// context; a context made from invalid options has none).
    pub attrs: crate::attrs::Rules,
    /// `(def, field id)` of the fields stored as `Arc<T>` (see `arc.rs`).
    arc: std::collections::BTreeSet<(u32, i32)>,
    /// `Arc` asked for where it cannot be (reported by `generate`).
    pub(crate) arc_errors: Vec<kit_idl::diag::Diagnostic>,
}

impl<'a> Context<'a> {
    pub fn new(ir: &'a Ir, options: &'a Options) -> Context<'a> {
        let layout = Layout::new(ir);
        let scc = containment_sccs(ir);
        let hashable = hashability(ir);
        let mut cx = Context {
            ir,
            layout,
            options,
            scc,
            hashable,
            user_defs: ir.defs.len(),
            defaultable: Vec::new(),
            service_structs: Default::default(),
            attrs: crate::attrs::Rules::new(options).unwrap_or_default(),
            arc: Default::default(),
            arc_errors: Vec::new(),
        };
        cx.defaultable = defaultability(&cx);
        (cx.arc, cx.arc_errors) = cx.arc_fields();
        cx
    }

    /// Field `f` of `owner` is stored as `Arc<T>` (in place of a `Box` if it needs one).
    pub fn is_arc(&self, owner: DefId, f: &kit_idl::ir::Field) -> bool {
        !self.arc.is_empty() && self.arc.contains(&(owner.0, f.id))
    }

    /// Values of def `id` can be made by `Default`: not a Thrift union (no member is a natural
    /// default), nor a struct holding one by value (a required union field, directly or through
    /// other structs). Such structs derive no `Default` and their reader collects fields in
    /// locals.
    pub fn is_defaultable(&self, id: DefId) -> bool {
        self.defaultable[id.0 as usize]
    }

    /// A field of `owner` that is stored by value and has a type without `Default`.
    pub fn field_blocks_default(&self, owner: DefId, f: &kit_idl::ir::Field) -> bool {
        f.default.is_none()
            && !self.field_is_option(owner, f)
            && !self.in_real_oneof(owner, f)
            && matches!(self.resolve(&f.ty), Type::Ref(d) if !self.defaultable[d.0 as usize])
    }

    /// Follows aliases to the type they stand for.
    pub fn resolve<'t>(&'t self, ty: &'t Type) -> &'t Type {
        resolve(self.ir, ty)
    }

    /// `ty` is a Thrift union (through aliases).
    pub fn is_union(&self, ty: &Type) -> bool {
        is_union(self.ir, ty)
    }

    /// A field of struct `owner` with type `ty` must be boxed: it holds, by value (directly or in
    /// an `Option`), a struct that contains `owner` by value again.
    pub fn needs_box(&self, owner: DefId, ty: &Type) -> bool {
        match self.resolve(ty) {
            Type::Ref(id) if is_struct(self.ir, *id) => {
                let c = self.scc[owner.0 as usize];
                c != NO_CYCLE && self.scc[id.0 as usize] == c
            }
            _ => false,
        }
    }

    /// Values of `ty` can derive `Eq` and `Hash` (and so be map keys and set elements).
    pub fn is_hashable(&self, ty: &Type) -> bool {
        type_hashable(&self.hashable, ty)
    }

    pub fn def_hashable(&self, id: DefId) -> bool {
        self.hashable[id.0 as usize]
    }
}

/// Greatest fixpoint: every def is defaultable except unions and structs that hold a
/// non-defaultable value by value.
fn defaultability(cx: &Context) -> Vec<bool> {
    let ir = cx.ir;
    let mut ok: Vec<bool> = ir
        .defs
        .iter()
        .map(|d| !matches!(&d.kind, DefKind::Struct(s) if s.kind == kit_idl::ir::StructKind::Union))
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for d in &ir.defs {
            let DefKind::Struct(s) = &d.kind else {
                continue;
            };
            if !ok[d.id.0 as usize] {
                continue;
            }
            let blocked = s.fields.iter().any(|f| {
                f.default.is_none()
                    && !cx.field_is_option(d.id, f)
                    && !cx.in_real_oneof(d.id, f)
                    && matches!(cx.resolve(&f.ty), Type::Ref(t) if !ok[t.0 as usize])
            });
            if blocked {
                ok[d.id.0 as usize] = false;
                changed = true;
            }
        }
    }
    ok
}

fn is_struct(ir: &Ir, id: DefId) -> bool {
    matches!(ir.def(id).kind, DefKind::Struct(_))
}

/// Struct defs a struct holds by value: fields whose (alias-resolved) type is a struct, directly.
/// Containers (`Vec`, maps, sets) put values on the heap and break cycles.
fn by_value_refs(ir: &Ir, ty: &Type, out: &mut Vec<DefId>, depth: u32) {
    if let Type::Ref(id) = ty {
        match &ir.def(*id).kind {
            DefKind::Struct(_) => out.push(*id),
            DefKind::Alias(t) if depth < 64 => by_value_refs(ir, t, out, depth + 1),
            _ => {}
        }
    }
}

/// Tarjan's SCC over the by-value containment graph, iteratively (no recursion on input).
fn containment_sccs(ir: &Ir) -> Vec<u32> {
    let n = ir.defs.len();
    let mut edges: Vec<Vec<DefId>> = vec![Vec::new(); n];
    for d in &ir.defs {
        if let DefKind::Struct(s) = &d.kind {
            for f in &s.fields {
                by_value_refs(ir, &f.ty, &mut edges[d.id.0 as usize], 0);
            }
        }
    }
    const UNSEEN: u32 = u32::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![UNSEEN; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut next_index = 0u32;
    let mut next_comp = 0u32;
    for start in 0..n {
        if index[start] != UNSEEN {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(start, 0)];
        index[start] = next_index;
        low[start] = next_index;
        next_index += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&mut (v, ref mut ei)) = work.last_mut() {
            if *ei < edges[v].len() {
                let w = edges[v][*ei].0 as usize;
                *ei += 1;
                if index[w] == UNSEEN {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = next_comp;
                        if w == v {
                            break;
                        }
                    }
                    next_comp += 1;
                }
            }
        }
    }
    // A struct alone in its component is in a cycle only if it holds itself by value; mark the
    // others so that no field's target can share their component.
    let mut size = vec![0u32; next_comp as usize];
    for &c in &comp {
        size[c as usize] += 1;
    }
    let mut out = vec![NO_CYCLE; n];
    for (i, e) in edges.iter().enumerate() {
        let self_loop = e.iter().any(|d| d.0 as usize == i);
        if self_loop || size[comp[i] as usize] > 1 {
            out[i] = comp[i];
        }
    }
    out
}

fn type_hashable(defs: &[bool], ty: &Type) -> bool {
    match ty {
        Type::Float | Type::Double => false,
        // HashMap and HashSet are not Hash.
        Type::Map(..) | Type::Set(_) => false,
        Type::List(t) => type_hashable(defs, t),
        Type::Ref(id) => defs[id.0 as usize],
        _ => true,
    }
}

/// Greatest fixpoint: assume every def hashable, then remove those with a non-hashable field
/// until nothing changes (recursive types stay hashable unless something inside is not).
fn hashability(ir: &Ir) -> Vec<bool> {
    let mut h = vec![true; ir.defs.len()];
    loop {
        let mut changed = false;
        for d in &ir.defs {
            if !h[d.id.0 as usize] {
                continue;
            }
            let ok = match &d.kind {
                DefKind::Struct(s) => s.fields.iter().all(|f| type_hashable(&h, &f.ty)),
                DefKind::Alias(t) => type_hashable(&h, t),
                DefKind::Enum(_) => true,
                DefKind::Const(_) | DefKind::Service(_) => false,
            };
            if !ok {
                h[d.id.0 as usize] = false;
                changed = true;
            }
        }
        if !changed {
            return h;
        }
    }
}

/// Follows aliases to the type they stand for (at most 64 steps: the front end rejects cycles).
pub fn resolve<'t>(ir: &'t Ir, ty: &'t Type) -> &'t Type {
    let mut ty = ty;
    let mut steps = 0;
    while let Type::Ref(id) = ty {
        match &ir.def(*id).kind {
            DefKind::Alias(t) if steps < 64 => {
                ty = t;
                steps += 1;
            }
            _ => break,
        }
    }
    ty
}

/// `ty` is a Thrift union (through aliases). Works on the IR alone, before a [`Context`] exists.
pub fn is_union(ir: &Ir, ty: &Type) -> bool {
    matches!(resolve(ir, ty), Type::Ref(d)
        if matches!(&ir.def(*d).kind, DefKind::Struct(s) if s.kind == StructKind::Union))
}
