//! Rust tokens as codegen builds them: one flat buffer per module.
//!
//! Codegen builds each item from many small token lists (a field's type, a path, an
//! `encoded_len` statement) interpolated into bigger ones with `#x`, and the printer
//! (`print.rs`) lays the module's tokens out as text. With `proc_macro2` streams, building
//! and re-reading token trees (an identifier copy is an allocation, a group a nested vector
//! copied on iteration) took most of `kit gen`'s time. Here a token is a small value in one
//! `Vec`: a group is its `Open` and `Close` markers, identifier and literal text is a static
//! string (the keywords and punctuation `quote!` writes) or a shared `Arc<str>`, so
//! interpolating a list is one `extend_from_slice` and the printer walks one slice.
//!
//! [`quote!`] (from `kit-codegen-macros`) has `quote::quote!`'s syntax and spacing, and the
//! constructors here ([`Ident`], [`Lit`]) write exactly the text `proc_macro2` writes, so the
//! printed code is the same byte for byte.

use std::fmt;
use std::sync::Arc;

pub(crate) use kit_codegen_macros::quote;

/// Identifier or literal text.
#[derive(Clone, PartialEq, Eq)]
pub enum Sym {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Sym {
    pub fn as_str(&self) -> &str {
        match self {
            Sym::Static(s) => s,
            Sym::Shared(s) => s,
        }
    }
}

impl From<String> for Sym {
    fn from(s: String) -> Sym {
        Sym::Shared(Arc::from(s))
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delim {
    Paren,
    Bracket,
    Brace,
}

/// One token, its text borrowed (from a `quote!` body or from the [`Tokens`] that holds it).
/// Groups are an `Open` and its `Close`, with their contents between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok<'a> {
    /// An identifier or keyword, as written (`r#type` for a raw one).
    Ident(&'a str),
    /// A literal, as written (`"a\n"`, `5i32`, `-1`, `b"\x00"`).
    Lit(&'a str),
    /// An ASCII punctuation character; `true` when joint to the next one (inside one operator).
    Punct(u8, bool),
    Open(Delim),
    Close(Delim),
}

/// A part of a [`Tokens`]: a run of constant tokens from a `quote!` body, one token, or
/// another list, shared.
#[derive(Clone, Debug)]
enum Piece {
    Static(&'static [Tok<'static>]),
    One(Tok<'static>),
    /// An identifier (`false`) or literal (`true`) made at run time.
    Text(bool, Arc<str>),
    /// An interpolated list: its pieces are shared, not copied.
    Sub(Arc<Vec<Piece>>),
}

/// A list of tokens (balanced: every `Open` has its `Close`), kept as the pieces it was built
/// from: a `quote!` body's constant runs are referenced, not copied, and an interpolated list
/// (`#x`) is shared (one reference count), so building a big list from small ones copies
/// nothing. [`Tokens::flat`] lays the whole tree out as one slice once, for the printer.
/// Cloning is a reference count. Built through a [`TokenBuf`] (what `quote!` fills).
#[derive(Clone, Default, Debug)]
pub struct Tokens {
    /// `None` when empty.
    pieces: Option<Arc<Vec<Piece>>>,
    /// The number of tokens.
    len: usize,
}

/// A [`Tokens`] being built: `quote!` pushes onto one, and [`ToTokens`] writes to one.
#[derive(Default, Debug)]
pub struct TokenBuf {
    pieces: Vec<Piece>,
    len: usize,
}

/// Lists of at most this many pieces are copied when interpolated, not shared (a copy of a
/// piece costs what sharing costs, and the printer's walk stays flatter).
const COPY_MAX: usize = 2;

impl TokenBuf {
    /// An empty buffer with room for `pieces` pieces.
    pub fn with_capacity(pieces: usize) -> TokenBuf {
        TokenBuf {
            pieces: Vec::with_capacity(pieces),
            len: 0,
        }
    }

    pub fn finish(self) -> Tokens {
        Tokens {
            pieces: if self.pieces.is_empty() {
                None
            } else {
                Some(Arc::new(self.pieces))
            },
            len: self.len,
        }
    }

    fn push(&mut self, t: Tok<'static>) {
        self.pieces.push(Piece::One(t));
        self.len += 1;
    }

    fn push_text(&mut self, lit: bool, text: Arc<str>) {
        self.pieces.push(Piece::Text(lit, text));
        self.len += 1;
    }

    /// A literal; a negative number becomes `-` and the number, as proc_macro2 splits it when
    /// it joins a token stream (the printer spaces and measures the two as two tokens).
    fn push_lit(&mut self, text: &Sym) {
        match text.as_str().strip_prefix('-') {
            Some(rest) => {
                self.push(Tok::Punct(b'-', false));
                self.push_text(true, Arc::from(rest));
            }
            None => match text {
                Sym::Static(s) => self.push(Tok::Lit(s)),
                Sym::Shared(s) => self.push_text(true, s.clone()),
            },
        }
    }

    #[doc(hidden)]
    pub fn extend_static(&mut self, ts: &'static [Tok<'static>]) {
        self.pieces.push(Piece::Static(ts));
        self.len += ts.len();
    }

    /// Appends `t` (shared when it is more than a few pieces).
    fn push_tokens(&mut self, t: &Tokens) {
        if let Some(p) = &t.pieces {
            if p.len() <= COPY_MAX {
                self.pieces.extend_from_slice(p);
            } else {
                self.pieces.push(Piece::Sub(p.clone()));
            }
            self.len += t.len;
        }
    }

    fn push_proc_macro2(&mut self, tokens: proc_macro2::TokenStream) {
        use proc_macro2::{Delimiter, Spacing, TokenTree};
        for tt in tokens {
            match tt {
                TokenTree::Ident(i) => self.push_text(false, Arc::from(i.to_string())),
                TokenTree::Literal(l) => self.push_text(true, Arc::from(l.to_string())),
                TokenTree::Punct(p) => self.push(Tok::Punct(
                    u8::try_from(p.as_char()).unwrap_or(b'?'),
                    p.spacing() == Spacing::Joint,
                )),
                TokenTree::Group(g) => {
                    let d = match g.delimiter() {
                        Delimiter::Parenthesis => Some(Delim::Paren),
                        Delimiter::Bracket => Some(Delim::Bracket),
                        Delimiter::Brace => Some(Delim::Brace),
                        Delimiter::None => None,
                    };
                    if let Some(d) = d {
                        self.push(Tok::Open(d));
                    }
                    self.push_proc_macro2(g.stream());
                    if let Some(d) = d {
                        self.push(Tok::Close(d));
                    }
                }
            }
        }
    }
}

impl Tokens {
    pub fn new() -> Tokens {
        Tokens::default()
    }

    /// Appends `other`.
    pub fn extend(&mut self, other: Tokens) {
        let Some(theirs) = other.pieces else {
            return;
        };
        match &mut self.pieces {
            None => {
                *self = Tokens {
                    pieces: Some(theirs),
                    len: other.len,
                }
            }
            // Copied first only if this list is shared.
            Some(ours) => {
                Arc::make_mut(ours).push(Piece::Sub(theirs));
                self.len += other.len;
            }
        }
    }

    /// A lone `Open` of a group: only for a list of parts (see `print::print_parts`) whose
    /// [`Tokens::close`] comes in a later part.
    pub(crate) fn open(d: Delim) -> Tokens {
        let mut t = TokenBuf::with_capacity(1);
        t.push(Tok::Open(d));
        t.finish()
    }

    /// The `Close` of a [`Tokens::open`] part.
    pub(crate) fn close(d: Delim) -> Tokens {
        let mut t = TokenBuf::with_capacity(1);
        t.push(Tok::Close(d));
        t.finish()
    }

    /// The lists one after another.
    #[cfg(test)]
    pub fn concat(parts: Vec<Tokens>) -> Tokens {
        let mut out = TokenBuf::with_capacity(parts.len());
        for p in &parts {
            out.push_tokens(p);
        }
        out.finish()
    }

    /// The tokens in one vector (a copy of the constant runs; the run-time text borrowed).
    pub fn flat(&self) -> Vec<Tok<'_>> {
        let mut out = Vec::with_capacity(self.len);
        self.flat_into(&mut out);
        out
    }

    /// The number of tokens.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Adds the tokens to `out` (see [`Tokens::flat`]).
    pub fn flat_into<'a>(&'a self, out: &mut Vec<Tok<'a>>) {
        if let Some(p) = &self.pieces {
            flat_pieces(p, out);
        }
    }

    /// The tokens of `tokens`, with invisible groups replaced by their contents.
    pub fn from_proc_macro2(tokens: proc_macro2::TokenStream) -> Tokens {
        let mut out = TokenBuf::default();
        out.push_proc_macro2(tokens);
        out.finish()
    }

    /// The same tokens as a `proc_macro2` stream (for `kit new`'s scaffold, which formats with
    /// prettyplease, and for tests).
    pub fn to_proc_macro2(&self) -> proc_macro2::TokenStream {
        use proc_macro2::{Delimiter, Group, Punct, Spacing, Span, TokenStream, TokenTree};
        let mut stack: Vec<(Delim, Vec<TokenTree>)> = Vec::new();
        let mut cur: Vec<TokenTree> = Vec::new();
        for t in &self.flat() {
            match t {
                Tok::Ident(s) => cur.push(TokenTree::Ident(match s.strip_prefix("r#") {
                    Some(raw) => proc_macro2::Ident::new_raw(raw, Span::call_site()),
                    None => proc_macro2::Ident::new(s, Span::call_site()),
                })),
                Tok::Lit(s) => cur.push(TokenTree::Literal(
                    s.parse().unwrap_or_else(|_| panic!("not a literal: {s:?}")),
                )),
                Tok::Punct(c, joint) => cur.push(TokenTree::Punct(Punct::new(
                    char::from(*c),
                    if *joint {
                        Spacing::Joint
                    } else {
                        Spacing::Alone
                    },
                ))),
                Tok::Open(d) => stack.push((*d, std::mem::take(&mut cur))),
                Tok::Close(_) => {
                    let (d, outer) = stack.pop().expect("balanced tokens");
                    let inner = std::mem::replace(&mut cur, outer);
                    let delim = match d {
                        Delim::Paren => Delimiter::Parenthesis,
                        Delim::Bracket => Delimiter::Bracket,
                        Delim::Brace => Delimiter::Brace,
                    };
                    cur.push(TokenTree::Group(Group::new(
                        delim,
                        inner.into_iter().collect::<TokenStream>(),
                    )));
                }
            }
        }
        cur.into_iter().collect()
    }
}

/// The tokens of `pieces`, in order, into `out`. Recursion is as deep as `quote!`s were
/// nested in codegen's source (an interpolation adds a level; appending does not).
fn flat_pieces<'a>(pieces: &'a [Piece], out: &mut Vec<Tok<'a>>) {
    for p in pieces {
        match p {
            Piece::Static(ts) => out.extend_from_slice(ts),
            Piece::One(t) => out.push(*t),
            Piece::Text(false, s) => out.push(Tok::Ident(s)),
            Piece::Text(true, s) => out.push(Tok::Lit(s)),
            Piece::Sub(sub) => flat_pieces(sub, out),
        }
    }
}

/// A value that `quote!` interpolates with `#x`.
pub trait ToTokens {
    fn to_tokens(&self, tokens: &mut TokenBuf);

    /// How many pieces [`ToTokens::to_tokens`] adds (for `quote!`'s initial capacity).
    #[doc(hidden)]
    fn pieces(&self) -> usize {
        1
    }
}

impl ToTokens for Tokens {
    fn to_tokens(&self, tokens: &mut TokenBuf) {
        tokens.push_tokens(self);
    }

    fn pieces(&self) -> usize {
        match &self.pieces {
            Some(p) if p.len() <= COPY_MAX => p.len(),
            Some(_) => 1,
            None => 0,
        }
    }
}

impl<T: ToTokens + ?Sized> ToTokens for &T {
    fn to_tokens(&self, tokens: &mut TokenBuf) {
        (**self).to_tokens(tokens)
    }

    fn pieces(&self) -> usize {
        (**self).pieces()
    }
}

impl<T: ToTokens> ToTokens for Option<T> {
    fn to_tokens(&self, tokens: &mut TokenBuf) {
        if let Some(t) = self {
            t.to_tokens(tokens)
        }
    }

    fn pieces(&self) -> usize {
        self.as_ref().map_or(0, T::pieces)
    }
}

/// An identifier. Its text is written as given: the naming rules in [`crate::ident`] make
/// sure it is a valid Rust identifier (`r#type` for a raw one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident(Sym);

impl Ident {
    pub fn new(name: &str) -> Ident {
        debug_assert!(
            crate::ident::is_ident(name.strip_prefix("r#").unwrap_or(name)),
            "not an identifier: {name:?}"
        );
        // Path segments that come up everywhere need no allocation.
        let common = match name {
            "super" => "super",
            "crate" => "crate",
            "__rt" => "__rt",
            "__pb" => "__pb",
            "kit_runtime" => "kit_runtime",
            _ => return Ident(Sym::Shared(Arc::from(name))),
        };
        Ident(Sym::Static(common))
    }

    /// An identifier known at compile time.
    pub fn from_static(name: &'static str) -> Ident {
        debug_assert!(
            crate::ident::is_ident(name.strip_prefix("r#").unwrap_or(name)),
            "not an identifier: {name:?}"
        );
        Ident(Sym::Static(name))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ToTokens for Ident {
    fn to_tokens(&self, tokens: &mut TokenBuf) {
        match &self.0 {
            Sym::Static(s) => tokens.push(Tok::Ident(s)),
            Sym::Shared(s) => tokens.push_text(false, s.clone()),
        }
    }
}

/// `format_ident!("f_{}", name)`: an [`Ident`] from `format!` arguments.
macro_rules! format_ident {
    ($($arg:tt)*) => {
        $crate::tokens::Ident::new(&::std::format!($($arg)*))
    };
}
pub(crate) use format_ident;

/// A literal, with the text `proc_macro2::Literal`'s constructor of the same name writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lit(Sym);

impl Lit {
    /// A string literal (`proc_macro2::Literal::string`'s escaping).
    pub fn string(s: &str) -> Lit {
        let mut repr = String::with_capacity(s.len() + 2);
        repr.push('"');
        // Printable ASCII other than `"` and `\` is written as it is (what `escape_debug`
        // leaves of it, and `'` is not escaped).
        if s.bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
        {
            repr.push_str(s);
            repr.push('"');
            return Lit(Sym::from(repr));
        }
        let mut chars = s.chars();
        while let Some(ch) = chars.next() {
            if ch == '\0' {
                repr.push_str(
                    if chars
                        .as_str()
                        .starts_with(|c: char| c.is_ascii_digit() && c <= '7')
                    {
                        r"\x00"
                    } else {
                        r"\0"
                    },
                );
            } else if ch == '\'' {
                repr.push(ch);
            } else {
                repr.extend(ch.escape_debug());
            }
        }
        repr.push('"');
        Lit(Sym::from(repr))
    }

    /// A byte string literal (`proc_macro2::Literal::byte_string`'s escaping).
    pub fn byte_string(bytes: &[u8]) -> Lit {
        use std::fmt::Write as _;
        let mut repr = String::with_capacity(bytes.len() + 3);
        repr.push_str("b\"");
        let mut iter = bytes.iter();
        while let Some(&b) = iter.next() {
            match b {
                b'\0' => repr.push_str(match iter.as_slice().first() {
                    Some(b'0'..=b'7') => r"\x00",
                    _ => r"\0",
                }),
                b'\t' => repr.push_str(r"\t"),
                b'\n' => repr.push_str(r"\n"),
                b'\r' => repr.push_str(r"\r"),
                b'"' => repr.push_str("\\\""),
                b'\\' => repr.push_str(r"\\"),
                b'\x20'..=b'\x7E' => repr.push(char::from(b)),
                _ => {
                    let _ = write!(repr, r"\x{b:02X}");
                }
            }
        }
        repr.push('"');
        Lit(Sym::from(repr))
    }

    /// An integer literal without a suffix (`5`, `-1`).
    pub fn int(n: impl Into<i128>) -> Lit {
        Lit(Sym::from(n.into().to_string()))
    }

    /// `proc_macro2::Literal::i32_unsuffixed` and its siblings.
    pub fn i32_unsuffixed(n: i32) -> Lit {
        Lit::int(n)
    }

    pub fn i16_unsuffixed(n: i16) -> Lit {
        Lit::int(n)
    }

    pub fn u32_unsuffixed(n: u32) -> Lit {
        Lit::int(n)
    }
}

impl ToTokens for Lit {
    fn to_tokens(&self, tokens: &mut TokenBuf) {
        tokens.push_lit(&self.0)
    }
}

impl ToTokens for str {
    fn to_tokens(&self, tokens: &mut TokenBuf) {
        Lit::string(self).to_tokens(tokens)
    }
}

impl ToTokens for String {
    fn to_tokens(&self, tokens: &mut TokenBuf) {
        Lit::string(self).to_tokens(tokens)
    }
}

impl ToTokens for bool {
    fn to_tokens(&self, tokens: &mut TokenBuf) {
        let s = if *self { "true" } else { "false" };
        tokens.push(Tok::Ident(s));
    }
}

/// Numbers interpolate as suffixed literals (`5i32`, `1.5f64`), as in `quote`.
macro_rules! suffixed {
    ($($t:ident)*) => {$(
        impl ToTokens for $t {
            fn to_tokens(&self, tokens: &mut TokenBuf) {
                let text = format!(concat!("{}", stringify!($t)), self);
                tokens.push_lit(&Sym::from(text));
            }
        }
    )*};
}
suffixed!(i8 i16 i32 i64 u8 u16 u32 u64 usize f32 f64);

/// `#(#xs)*` over a collection (by reference, as `quote` does).
#[doc(hidden)]
pub trait RepRef {
    type Item;
    fn __rep(&self) -> std::slice::Iter<'_, Self::Item>;
}

impl<T> RepRef for Vec<T> {
    type Item = T;
    fn __rep(&self) -> std::slice::Iter<'_, T> {
        self.iter()
    }
}

impl<T> RepRef for [T] {
    type Item = T;
    fn __rep(&self) -> std::slice::Iter<'_, T> {
        self.iter()
    }
}

/// `#(#xs)*` over an iterator (consumed).
#[doc(hidden)]
pub trait RepIter: Iterator + Sized {
    fn __rep(self) -> Self {
        self
    }
}

impl<I: Iterator> RepIter for I {}

#[cfg(test)]
mod tests {
    use super::*;

    /// As a token stream prints it (a negative number as `- 1`, as proc_macro2 splits it).
    fn text(t: impl ToTokens) -> String {
        let mut out = TokenBuf::default();
        t.to_tokens(&mut out);
        let out = out.finish();
        let flat: Vec<String> = out
            .flat()
            .iter()
            .map(|t| match t {
                Tok::Ident(s) | Tok::Lit(s) => s.to_string(),
                Tok::Punct(c, _) => char::from(*c).to_string(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(out.to_proc_macro2().to_string(), flat.join(" "));
        flat.join(" ")
    }

    #[test]
    fn literals_are_written_as_proc_macro2_writes_them() {
        for s in [
            "",
            "plain text, with 'quotes'",
            "a\"b",
            "back\\slash",
            "tab\there\r\n",
            "\0",
            "\x001",
            "\x007",
            "\x008",
            "é ü ß",
            "\u{200b}zero width",
            "e\u{301} combining",
            "\x7f\x1b",
            "emoji 😀",
        ] {
            assert_eq!(
                Lit::string(s).0.as_str(),
                proc_macro2::Literal::string(s).to_string(),
                "{s:?}"
            );
            assert_eq!(text(s), quote::quote!(#s).to_string(), "{s:?}");
        }
        let all: Vec<u8> = (0..=255).collect();
        for b in [&b""[..], b"abc", &all, b"\x001", b"\x00a", b"\"\\'"] {
            assert_eq!(
                Lit::byte_string(b).0.as_str(),
                proc_macro2::Literal::byte_string(b).to_string()
            );
        }
        for n in [0, -1, i32::MIN, i32::MAX] {
            assert_eq!(text(n), quote::quote!(#n).to_string());
            let lit = proc_macro2::Literal::i32_unsuffixed(n);
            assert_eq!(
                text(Lit::i32_unsuffixed(n)),
                quote::quote!(#lit).to_string()
            );
        }
        for n in [i64::MIN, i64::MAX] {
            assert_eq!(text(n), quote::quote!(#n).to_string());
        }
        for n in [0, u64::MAX] {
            assert_eq!(text(n), quote::quote!(#n).to_string());
        }
        for n in [i16::MIN, -7, i16::MAX] {
            assert_eq!(text(n), quote::quote!(#n).to_string());
            let lit = proc_macro2::Literal::i16_unsuffixed(n);
            assert_eq!(
                text(Lit::i16_unsuffixed(n)),
                quote::quote!(#lit).to_string()
            );
        }
        assert_eq!(
            text(Lit::u32_unsuffixed(u32::MAX)),
            proc_macro2::Literal::u32_unsuffixed(u32::MAX).to_string()
        );
        for d in [0.0, -0.0, 1.5, -2.25e-7, 1e300, f64::MAX, f64::MIN_POSITIVE] {
            assert_eq!(text(d), quote::quote!(#d).to_string());
        }
        for f in [0.0f32, 1.5, -3.4e38, f32::EPSILON] {
            assert_eq!(text(f), quote::quote!(#f).to_string());
        }
        assert_eq!(text(true), quote::quote!(true).to_string());
    }

    /// The same body through kit's `quote!` and `quote::quote!`: the same tokens, text and
    /// spacing (`to_string` writes a joint punctuation without the space after it).
    macro_rules! same_as_quote {
        ([$t:ident, $r:ident, $xs:ident, $s:ident, $n:ident, $none:ident] $($body:tt)*) => {{
            #[allow(unused_variables)]
            let ours = {
                let $t = crate::types::id("Foo");
                let $r = crate::types::id("r#type");
                let $xs = vec![quote!(a), quote!(b::c)];
                let $s = "a \"str\"";
                let $n = 5i32;
                let $none: Option<Tokens> = None;
                quote!($($body)*)
            };
            #[allow(unused_variables)]
            let theirs = {
                let $t = proc_macro2::Ident::new("Foo", proc_macro2::Span::call_site());
                let $r = proc_macro2::Ident::new_raw("type", proc_macro2::Span::call_site());
                let $xs = vec![quote::quote!(a), quote::quote!(b::c)];
                let $s = "a \"str\"";
                let $n = 5i32;
                let $none: Option<proc_macro2::TokenStream> = None;
                quote::quote!($($body)*)
            };
            assert_eq!(ours.to_proc_macro2().to_string(), theirs.to_string());
        }};
    }

    #[test]
    fn quote_writes_what_quote_writes() {
        same_as_quote!([t, r, xs, s, n, none] impl<'a> ::std::fmt::Debug for #t<'a> where T: Fn(&u8) -> bool {});
        same_as_quote!([t, r, xs, s, n, none] fn f(&self) -> Option<Vec<Vec<u8>>> { let x = &&y; x..=y; a >>= 2; });
        same_as_quote!([t, r, xs, s, n, none] #(#xs),* ; #(#xs)::* ; #(#xs)* ; #(pub mod #xs;)*);
        same_as_quote!([t, r, xs, s, n, none] <#t as X>::Y; !#t; *#t; &#t; -#n; <<#t as A>::B as C>::D; #none #r);
        same_as_quote!([t, r, xs, s, n, none] #[doc = #s] #[derive(Debug, Clone)] struct A { a: u8, ..Default::default() });
        same_as_quote!([t, r, xs, s, n, none] match a { 0..=9 | 11 => b, _ if c != d && e || f => {} } x?.y::<u8>();
            |a, b| a + b; move || {}; 'outer: loop { break 'outer; } a += 1; b -= 1; c == d;
            e <= f; g >= h; i -> j; k => l; m << n; o >> p; q <<= r; s...t; 'c' 1u8 b"x" 1.5
            "lit" r"raw" #n #s);
    }
}
