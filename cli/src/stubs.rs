//! Keeping a scaffold's handler in step with the IDL: stubs for new methods are inserted as
//! text before the closing brace of the service's `impl <Trait> for <Handler>` block; nothing
//! else in the file changes. The file is parsed with `syn` (span locations give the brace's
//! line and column). When the file cannot be edited safely (it does not parse, the impl is
//! missing or there are several), it is left alone and kit prints exactly what to add.

use std::io::Write;
use std::path::{Path, PathBuf};

use kit_codegen::scaffold::ServiceStubs;

use crate::Term;

/// What `kit gen` will do to the handler.
pub struct HandlerPlan {
    pub path: PathBuf,
    pub old: String,
    /// The edited text, when methods are missing and the file can be edited safely.
    pub new: Option<String>,
    /// `(trait, method)` of every stub inserted into `new`.
    pub added: Vec<(String, String)>,
    /// What the user must add by hand: an explanation and the code.
    pub manual: Vec<(String, String)>,
}

fn unraw(s: &str) -> &str {
    s.strip_prefix("r#").unwrap_or(s)
}

/// Byte offset of a 1-based line and 0-based char column.
fn offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return l
                .char_indices()
                .nth(column)
                .map(|(b, _)| start + b)
                .or(Some(start + l.len()));
        }
        start += l.len();
    }
    None
}

/// Plans the edit of `text` (the handler at `path`) for `services`.
pub fn plan(path: &Path, text: &str, services: &[ServiceStubs]) -> HandlerPlan {
    let mut p = HandlerPlan {
        path: path.to_path_buf(),
        old: text.to_string(),
        new: None,
        added: Vec::new(),
        manual: Vec::new(),
    };
    let file = match syn::parse_file(text) {
        Ok(f) => f,
        Err(e) => {
            // Without a syntax tree, say what to add for methods whose name does not appear.
            let loc = e.span().start();
            for s in services {
                for m in &s.methods {
                    if !text.contains(&format!("fn {}(", m.rust_name)) {
                        p.manual.push((
                            format!(
                                "{}:{}:{}: does not parse ({e}); add `{}` to `impl {} for ...`",
                                path.display(),
                                loc.line,
                                loc.column + 1,
                                m.name,
                                s.trait_name
                            ),
                            m.stub.clone(),
                        ));
                    }
                }
            }
            return p;
        }
    };
    // (byte offset of the closing brace, text to insert there)
    let mut inserts: Vec<(usize, String)> = Vec::new();
    for s in services {
        let impls: Vec<&syn::ItemImpl> = file
            .items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Impl(imp) => Some(imp),
                _ => None,
            })
            .filter(|imp| {
                imp.trait_.as_ref().is_some_and(|(path, _)| {
                    path.segments
                        .last()
                        .is_some_and(|seg| unraw(&seg.ident.to_string()) == unraw(&s.trait_name))
                })
            })
            .collect();
        let imp = match impls.as_slice() {
            [one] => *one,
            [] => {
                if !s.methods.is_empty() {
                    p.manual.push((
                        format!(
                            "{}: no `impl {} for ...` block: add one",
                            path.display(),
                            s.trait_name
                        ),
                        kit_codegen::scaffold::handler_impl(s, "Handler"),
                    ));
                }
                continue;
            }
            many => {
                let existing = method_names(many);
                for m in s
                    .methods
                    .iter()
                    .filter(|m| !existing.contains(&m.rust_name))
                {
                    p.manual.push((
                        format!(
                            "{}: {} `impl {} for ...` blocks, so kit cannot tell which to edit: add `{}` to one",
                            path.display(),
                            many.len(),
                            s.trait_name,
                            m.name
                        ),
                        m.stub.clone(),
                    ));
                }
                continue;
            }
        };
        let existing = method_names(&[imp]);
        let missing: Vec<_> = s
            .methods
            .iter()
            .filter(|m| !existing.contains(&unraw(&m.rust_name).to_string()))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let close = imp.brace_token.span.close().start();
        let Some(at) = offset(text, close.line, close.column) else {
            for m in &missing {
                p.manual.push((
                    format!(
                        "{}: add `{}` to `impl {} for ...`",
                        path.display(),
                        m.name,
                        s.trait_name
                    ),
                    m.stub.clone(),
                ));
            }
            continue;
        };
        // Insert at the start of the brace's line when only whitespace precedes it, so the
        // stubs keep their indentation; a blank line separates them from earlier items.
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let (pos, lead) = if text[line_start..at].trim().is_empty() {
            (line_start, "")
        } else {
            (at, "\n")
        };
        let before = text[..line_start].trim_end();
        let mut ins = lead.to_string();
        for (i, m) in missing.iter().enumerate() {
            if i > 0 || !before.ends_with('{') {
                ins.push('\n');
            }
            ins.push_str(&m.stub);
            p.added.push((s.trait_name.clone(), m.name.clone()));
        }
        inserts.push((pos, ins));
    }
    if inserts.is_empty() {
        return p;
    }
    inserts.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let mut new = text.to_string();
    for (at, ins) in &inserts {
        new.insert_str(*at, ins);
    }
    // Never write something that no longer parses.
    if syn::parse_file(&new).is_err() {
        for s in services {
            for m in &s.methods {
                if p.added
                    .iter()
                    .any(|(t, n)| *t == s.trait_name && *n == m.name)
                {
                    p.manual.push((
                        format!(
                            "{}: add `{}` to `impl {} for ...`",
                            path.display(),
                            m.name,
                            s.trait_name
                        ),
                        m.stub.clone(),
                    ));
                }
            }
        }
        p.added.clear();
        return p;
    }
    p.new = Some(new);
    p
}

fn method_names(impls: &[&syn::ItemImpl]) -> Vec<String> {
    impls
        .iter()
        .flat_map(|imp| imp.items.iter())
        .filter_map(|it| match it {
            syn::ImplItem::Fn(f) => Some(unraw(&f.sig.ident.to_string()).to_string()),
            _ => None,
        })
        .collect()
}

impl HandlerPlan {
    fn print_manual(&self, err: &mut impl Write) -> std::io::Result<()> {
        for (why, code) in &self.manual {
            writeln!(err, "warning: {why}:\n{code}")?;
        }
        Ok(())
    }

    /// `kit gen`: writes the edited handler; prints what was added and what to add by hand.
    pub fn apply(&self, term: &Term) -> std::io::Result<()> {
        let mut err = std::io::stderr().lock();
        if let Some(new) = &self.new {
            let tmp = self
                .path
                .with_extension(format!("rs.kit-tmp-{}", std::process::id()));
            std::fs::write(&tmp, new)?;
            std::fs::rename(&tmp, &self.path).inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })?;
            if !term.quiet {
                for (t, m) in &self.added {
                    writeln!(
                        err,
                        "added a stub for `{t}::{m}` to {}",
                        self.path.display()
                    )?;
                }
            }
        }
        self.print_manual(&mut err)
    }

    /// `kit gen --check`: says what `kit gen` would add to the handler (never writes).
    pub fn report_pending(&self, term: &Term) -> std::io::Result<()> {
        let mut err = std::io::stderr().lock();
        if let Some(new) = &self.new {
            for (t, m) in &self.added {
                writeln!(
                    err,
                    "note: `kit gen` will add a stub for `{t}::{m}` to {}",
                    self.path.display()
                )?;
            }
            if !term.quiet {
                let d =
                    crate::gen::diff(&self.path.display().to_string(), &self.old, new, term.color);
                std::io::stdout().lock().write_all(d.as_bytes())?;
            }
        }
        self.print_manual(&mut err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kit_codegen::scaffold::{MethodStub, ServiceKind};

    fn svc(methods: &[&str]) -> Vec<ServiceStubs> {
        vec![ServiceStubs {
            name: "Echo".into(),
            kind: ServiceKind::Thrift,
            trait_name: "Echo".into(),
            trait_path: "crate::gen::echo::Echo".into(),
            server_path: String::new(),
            client_path: String::new(),
            methods: methods
                .iter()
                .map(|m| MethodStub {
                    name: m.to_string(),
                    rust_name: m.to_string(),
                    stub: format!(
                        "    async fn {m}(&self) -> Result<(), E> {{\n        Ok(())\n    }}\n"
                    ),
                    call: None,
                })
                .collect(),
        }]
    }

    const HANDLER: &str = "pub struct Handler;\n\nimpl crate::gen::echo::Echo for Handler {\n    async fn echo(&self) -> Result<(), E> {\n        // mine\n        Ok(())\n    }\n}\n\nfn after() {}\n";

    #[test]
    fn inserts_missing_methods_before_the_closing_brace() {
        let p = plan(Path::new("h.rs"), HANDLER, &svc(&["echo", "ping"]));
        let new = p.new.expect("edited");
        assert!(p.manual.is_empty());
        assert_eq!(p.added, vec![("Echo".to_string(), "ping".to_string())]);
        assert_eq!(
            new,
            "pub struct Handler;\n\nimpl crate::gen::echo::Echo for Handler {\n    async fn echo(&self) -> Result<(), E> {\n        // mine\n        Ok(())\n    }\n\n    async fn ping(&self) -> Result<(), E> {\n        Ok(())\n    }\n}\n\nfn after() {}\n"
        );
        // Idempotent: nothing more to add.
        assert!(plan(Path::new("h.rs"), &new, &svc(&["echo", "ping"]))
            .new
            .is_none());
    }

    #[test]
    fn empty_impl_and_same_line_brace() {
        let p = plan(Path::new("h.rs"), "impl Echo for H {}\n", &svc(&["a", "b"]));
        let new = p.new.unwrap();
        assert!(syn::parse_file(&new).is_ok(), "{new}");
        assert!(new.contains("fn a(") && new.contains("fn b("), "{new}");
    }

    #[test]
    fn unsafe_edits_leave_the_file_alone_and_say_what_to_add() {
        // Does not parse.
        let p = plan(
            Path::new("h.rs"),
            "impl Echo for H { fn echo(",
            &svc(&["echo", "ping"]),
        );
        assert!(p.new.is_none());
        assert_eq!(p.manual.len(), 1, "only ping is missing by name");
        assert!(p.manual[0].0.contains("does not parse") && p.manual[0].1.contains("fn ping("));
        // No impl.
        let p = plan(Path::new("h.rs"), "struct H;\n", &svc(&["ping"]));
        assert!(p.new.is_none());
        assert!(p.manual[0].0.contains("no `impl Echo"));
        assert!(p.manual[0]
            .1
            .contains("impl crate::gen::echo::Echo for Handler"));
        // Two impls: ambiguous.
        let p = plan(
            Path::new("h.rs"),
            "impl Echo for A {}\nimpl Echo for B {}\n",
            &svc(&["ping"]),
        );
        assert!(p.new.is_none());
        assert!(p.manual[0].0.contains("2 `impl Echo"));
    }
}
