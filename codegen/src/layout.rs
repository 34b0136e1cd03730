//! Where every definition lives in the generated module tree, and how one module names another.
//!
//! A Protobuf `package a.b.c` becomes the module `a::b::c`; a Thrift file becomes the module of its
//! `namespace rs` (dotted the same way), or of its file stem when it has none. Files that map to
//! the same module share it. Nested Protobuf messages and enums live in a module named after
//! their parent message in snake case (`outer::Inner`), as prost does.
//!
//! The tree is written as `OUT/mod.rs` declaring the top modules, and one file per package /
//! namespace module (and each of its ancestors) at `OUT/a/b/c.rs` (2018-style paths: `a.rs`
//! declares `pub mod b;`, which is `a/b.rs`). The modules of messages (`outer::Inner`, oneof
//! enums) are printed inline in their package's file: a file per message module made the
//! 200-file Protobuf tree 4,202 files, and creating them cost a quarter of `kit gen`'s time on disk.

use std::collections::BTreeMap;

use kit_idl::ir::{Def, DefId, File, Ir};
use kit_idl::source::FileId;

use crate::ident;

/// A module path: escaped Rust identifiers, outermost first. Empty for the root.
pub type ModPath = Vec<String>;

/// Module placement of every file and definition of an IR.
pub struct Layout {
    file_mods: BTreeMap<FileId, ModPath>,
    /// Per definition: (module it is declared in, Rust name).
    defs: Vec<(ModPath, String)>,
}

impl Layout {
    pub fn new(ir: &Ir) -> Layout {
        let file_mods: BTreeMap<FileId, ModPath> =
            ir.files.iter().map(|f| (f.id, file_module(f))).collect();
        let defs = ir
            .defs
            .iter()
            .map(|d| {
                let mut path = file_mods.get(&d.file).cloned().unwrap_or_default();
                path.extend(parent_modules(ir, d));
                (path, ident::type_name(&d.name))
            })
            .collect();
        Layout { file_mods, defs }
    }

    /// The module a file's top-level definitions go into.
    pub fn file_module(&self, file: FileId) -> &ModPath {
        &self.file_mods[&file]
    }

    /// The module a definition is declared in.
    pub fn def_module(&self, def: DefId) -> &ModPath {
        &self.defs[def.0 as usize].0
    }

    /// The Rust type name of a definition.
    pub fn def_name(&self, def: DefId) -> &str {
        &self.defs[def.0 as usize].1
    }

    /// How code in module `from` names definition `def`: `Name`, `inner::Name`,
    /// `super::super::other::Name`. Relative, so the tree can be mounted anywhere in a crate.
    pub fn path_from(&self, from: &[String], def: DefId) -> String {
        let (to, name) = &self.defs[def.0 as usize];
        let mut out = relative_module(from, to);
        out.push_str(name);
        out
    }

    /// All module paths that hold definitions, with every ancestor, sorted.
    pub fn modules(&self) -> Vec<ModPath> {
        let mut all: std::collections::BTreeSet<ModPath> = std::collections::BTreeSet::new();
        for m in self.file_mods.values() {
            for i in 1..=m.len() {
                all.insert(m[..i].to_vec());
            }
        }
        all.into_iter().collect()
    }
}

/// `super::` for each step up from `from` to the common ancestor, then down to `to`, each
/// followed by `::`. Empty when `from == to`.
pub fn relative_module(from: &[String], to: &[String]) -> String {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    let mut out = String::new();
    for _ in common..from.len() {
        out.push_str("super::");
    }
    for seg in &to[common..] {
        out.push_str(seg);
        out.push_str("::");
    }
    out
}

fn file_module(f: &File) -> ModPath {
    match &f.package {
        Some(p) if !p.is_empty() => p
            .split('.')
            .filter(|s| !s.is_empty())
            .map(ident::module_name)
            .collect(),
        _ => {
            let stem = f
                .name
                .rsplit('/')
                .next()
                .unwrap_or(&f.name)
                .split('.')
                .next()
                .unwrap_or("");
            vec![ident::module_name(stem)]
        }
    }
}

/// The modules of the enclosing messages of a nested definition, outermost first.
fn parent_modules(ir: &Ir, d: &Def) -> Vec<String> {
    let mut chain = Vec::new();
    let mut p = d.parent;
    while let Some(id) = p {
        let parent = ir.def(id);
        chain.push(ident::module_name(&parent.name));
        p = parent.parent;
    }
    chain.reverse();
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative_module(&s(&["a", "b"]), &s(&["a", "b"])), "");
        assert_eq!(
            relative_module(&s(&["a", "b"]), &s(&["a", "b", "c"])),
            "c::"
        );
        assert_eq!(
            relative_module(&s(&["a", "b"]), &s(&["a", "x"])),
            "super::x::"
        );
        assert_eq!(
            relative_module(&s(&["a"]), &s(&["b", "c"])),
            "super::b::c::"
        );
        assert_eq!(relative_module(&s(&[]), &s(&["b"])), "b::");
        assert_eq!(relative_module(&s(&["a", "b"]), &s(&[])), "super::super::");
    }
}
