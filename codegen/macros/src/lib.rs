//! `quote!` for kit-codegen's flat token buffer (`kit_codegen::tokens::Tokens`).
//!
//! The syntax is `quote::quote!`'s, as far as kit-codegen uses it: Rust tokens, `#var` to
//! interpolate a value through `crate::tokens::ToTokens`, and `#( ... #var ... ) sep *` to
//! repeat over one iterable variable with an optional separator. The body is expanded at
//! compile time into pushes onto one `Tokens`: a run of literal tokens becomes one reference to a
//! constant slice; nothing is parsed at run time.
//!
//! Punctuation spacing is `quote`'s: characters are joint only inside one Rust operator (`::`,
//! `=>`, `..=`, ...) as the lexer splits a run of adjacent punctuation, so `<#ty` never glues
//! onto what `#ty` starts with. The expansion names `crate::tokens`, so the macro is only
//! usable inside kit-codegen.

use proc_macro::{Delimiter, Group, Ident, Spacing, TokenStream, TokenTree};
use std::cell::RefCell;
use std::fmt::Write as _;

thread_local! {
    /// The interpolated variables of the expansion being built: the generated text names them
    /// by placeholder, replaced by the original identifiers (with their spans, so they resolve
    /// where the body was written, also inside a `macro_rules!`).
    static VARS: RefCell<Vec<Ident>> = const { RefCell::new(Vec::new()) };
}

const PLACEHOLDER: &str = "__kit_quote_var_";

/// A placeholder for `var` in the generated text.
fn placeholder(var: &Ident) -> String {
    VARS.with(|v| {
        let mut v = v.borrow_mut();
        v.push(var.clone());
        format!("{PLACEHOLDER}{}", v.len() - 1)
    })
}

/// `ts` with the placeholders replaced by their identifiers.
fn restore(ts: TokenStream, vars: &[Ident]) -> TokenStream {
    ts.into_iter()
        .map(|tt| match tt {
            TokenTree::Ident(id) => {
                let s = id.to_string();
                match s
                    .strip_prefix(PLACEHOLDER)
                    .and_then(|n| n.parse::<usize>().ok())
                {
                    Some(n) => TokenTree::Ident(vars[n].clone()),
                    None => TokenTree::Ident(id),
                }
            }
            TokenTree::Group(g) => {
                let mut ng = Group::new(g.delimiter(), restore(g.stream(), vars));
                ng.set_span(g.span());
                TokenTree::Group(ng)
            }
            tt => tt,
        })
        .collect()
}

/// See the crate documentation.
#[proc_macro]
pub fn quote(input: TokenStream) -> TokenStream {
    VARS.with(|v| v.borrow_mut().clear());
    let tts: Vec<TokenTree> = input.into_iter().collect();
    let mut g = Gen::default();
    let mut body = Gen::default();
    body.body(&tts);
    body.flush();
    // Room for the constant runs and interpolations at the top level, and the pieces of
    // each interpolated value.
    let mut capacity = body.count.to_string();
    for (_, var) in &body.vars {
        let _ = write!(capacity, " + crate::tokens::ToTokens::pieces(&{var})");
    }
    let _ = write!(
        g.out,
        "{{ let mut __t = crate::tokens::TokenBuf::with_capacity({capacity}); {} __t.finish() }}",
        body.out
    );
    let ts: TokenStream = g.out.parse().expect("kit-codegen-macros: expansion parses");
    let vars = VARS.with(|v| std::mem::take(&mut *v.borrow_mut()));
    restore(ts, &vars)
}

/// Rust's multi-character operators, longest first (the lexer's, as `quote` pushes them).
const OPS: [&str; 24] = [
    "<<=", ">>=", "...", "..=", "::", "->", "=>", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=",
    "*=", "/=", "%=", "^=", "&=", "|=", "<<", ">>", "..",
];

#[derive(Default)]
struct Gen {
    out: String,
    /// Constant tokens not yet emitted (Rust expressions of `Tok`).
    pending: Vec<String>,
    /// Pieces pushed (constant runs, interpolations), for the buffer's initial capacity.
    count: usize,
    /// The variables interpolated (outside repetitions): name and placeholder.
    vars: Vec<(String, String)>,
}

fn is_interpolation(tts: &[TokenTree], i: usize) -> bool {
    matches!(&tts[i], TokenTree::Punct(p) if p.as_char() == '#')
        && match tts.get(i + 1) {
            Some(TokenTree::Ident(_)) => true,
            Some(TokenTree::Group(g)) => g.delimiter() == Delimiter::Parenthesis,
            _ => false,
        }
}

impl Gen {
    fn tok(&mut self, expr: String) {
        self.pending.push(expr);
    }

    /// Emits the pending constant tokens as one run.
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let _ = write!(
                self.out,
                "{{ const __S: &[crate::tokens::Tok<'static>] = &[{}]; __t.extend_static(__S); }}",
                self.pending.join(",")
            );
            self.pending.clear();
            self.count += 1;
        }
    }

    fn punct(&mut self, c: char, joint: bool) {
        self.tok(format!("crate::tokens::Tok::Punct(b{c:?}, {joint})"));
    }

    fn body(&mut self, tts: &[TokenTree]) {
        let mut i = 0;
        while i < tts.len() {
            if is_interpolation(tts, i) {
                match &tts[i + 1] {
                    TokenTree::Ident(var) => {
                        self.flush();
                        let name = var.to_string();
                        let var = placeholder(var);
                        if !self.vars.iter().any(|(n, _)| *n == name) {
                            self.vars.push((name, var.clone()));
                        }
                        let _ = write!(
                            self.out,
                            "crate::tokens::ToTokens::to_tokens(&{var}, &mut __t);"
                        );
                        i += 2;
                    }
                    TokenTree::Group(g) => {
                        i = self.repetition(tts, i, g.stream());
                    }
                    _ => unreachable!(),
                }
                continue;
            }
            match &tts[i] {
                TokenTree::Ident(id) => {
                    self.tok(format!("crate::tokens::Tok::Ident({:?})", id.to_string()));
                    i += 1;
                }
                TokenTree::Literal(l) => {
                    self.tok(format!("crate::tokens::Tok::Lit({:?})", l.to_string()));
                    i += 1;
                }
                TokenTree::Group(g) => {
                    let d = match g.delimiter() {
                        Delimiter::Parenthesis => Some("Paren"),
                        Delimiter::Bracket => Some("Bracket"),
                        Delimiter::Brace => Some("Brace"),
                        Delimiter::None => None,
                    };
                    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                    if let Some(d) = d {
                        self.tok(format!(
                            "crate::tokens::Tok::Open(crate::tokens::Delim::{d})"
                        ));
                        self.body(&inner);
                        self.tok(format!(
                            "crate::tokens::Tok::Close(crate::tokens::Delim::{d})"
                        ));
                    } else {
                        self.body(&inner);
                    }
                    i += 1;
                }
                TokenTree::Punct(_) => {
                    i = self.punct_run(tts, i, tts.len());
                }
            }
        }
    }

    /// A run of adjacent punctuation from `i` (up to `end`), split as the lexer splits it.
    /// Returns the index after the run.
    fn punct_run(&mut self, tts: &[TokenTree], i: usize, end: usize) -> usize {
        let mut chars = String::new();
        let mut j = i;
        while j < end {
            let TokenTree::Punct(p) = &tts[j] else { break };
            if j > i && is_interpolation(tts, j) {
                break;
            }
            chars.push(p.as_char());
            j += 1;
            if p.spacing() != Spacing::Joint || p.as_char() == '\'' {
                break;
            }
        }
        // A lifetime's `'` is joint to its name, as `quote` makes it.
        if chars == "'" {
            self.punct('\'', true);
            return j;
        }
        let mut rest = chars.as_str();
        while !rest.is_empty() {
            let len = OPS
                .iter()
                .find(|o| rest.starts_with(*o))
                .map_or(1, |o| o.len());
            let (op, tail) = rest.split_at(len);
            for (k, c) in op.chars().enumerate() {
                self.punct(c, k + 1 < op.len());
            }
            rest = tail;
        }
        j
    }

    /// `#( body ) sep *` at `i`. Returns the index after the `*`.
    fn repetition(&mut self, tts: &[TokenTree], i: usize, body: TokenStream) -> usize {
        let body: Vec<TokenTree> = body.into_iter().collect();
        // The separator: the tokens up to the `*`.
        let mut j = i + 2;
        let sep_start = j;
        while j < tts.len() && !matches!(&tts[j], TokenTree::Punct(p) if p.as_char() == '*') {
            j += 1;
        }
        let sep_end = j;
        let mut vars = Vec::new();
        collect_vars(&body, &mut vars);
        let var = match vars.as_slice() {
            [v] => v.clone(),
            _ => {
                self.flush();
                self.out.push_str(
                    "::core::compile_error!(\"kit quote!: a repetition interpolates exactly one variable\");",
                );
                return j + 1;
            }
        };
        self.flush();
        let mut inner = Gen::default();
        inner.body(&body);
        inner.flush();
        let mut sep = Gen::default();
        let mut k = sep_start;
        while k < sep_end {
            match &tts[k] {
                TokenTree::Punct(_) => k = sep.punct_run(tts, k, sep_end),
                _ => {
                    sep.body(&tts[k..k + 1]);
                    k += 1;
                }
            }
        }
        sep.flush();
        let _ = write!(
            self.out,
            "{{ #[allow(unused_imports)] use crate::tokens::{{RepIter as _, RepRef as _}}; "
        );
        let (bind, iter) = (placeholder(&var), placeholder(&var));
        if sep.out.is_empty() {
            let _ = write!(
                self.out,
                "for {bind} in {iter}.__rep() {{ {} }} }}",
                inner.out
            );
        } else {
            let _ = write!(
                self.out,
                "let mut __first = true; for {bind} in {iter}.__rep() {{ \
                 if !__first {{ {} }} __first = false; {} }} }}",
                sep.out, inner.out
            );
        }
        j + 1
    }
}

fn collect_vars(tts: &[TokenTree], out: &mut Vec<Ident>) {
    for (i, tt) in tts.iter().enumerate() {
        match tt {
            TokenTree::Ident(id) if i > 0 && is_interpolation(tts, i - 1) => {
                let s = id.to_string();
                if !out.iter().any(|o| o.to_string() == s) {
                    out.push(id.clone());
                }
            }
            TokenTree::Group(g) => {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                collect_vars(&inner, out);
            }
            _ => {}
        }
    }
}
