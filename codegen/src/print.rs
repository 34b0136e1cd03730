//! A printer for the token streams codegen builds: readable Rust in one pass over the tokens,
//! without parsing them into a syntax tree first.
//!
//! Parsing the generated tokens with syn and formatting the tree with prettyplease cost two
//! thirds of `kit gen`'s time (most of it allocating and freeing syntax-tree nodes). This
//! printer lays out the tokens as they are: items and statements one per line, brace blocks
//! indented, struct fields / match arms / enum variants one per line, attributes on their own
//! line (`#[doc]` as `///`), and a bracketed list broken one element per line (with a trailing
//! comma) when it would make the line longer than [`WIDTH`]. Spacing between tokens follows
//! rustfmt's conventions as far as the tokens alone tell: `Vec<u8>` is told from `a < b` by
//! what comes before the `<`, unary `&x` / `*x` / `-x` / `!x` from binary by the token before,
//! closure parameters `|a, b|` by position.
//!
//! Token for token the output is the input (only whitespace and trailing commas in broken
//! lists are added, and `#[doc = "..."]` is written as the equivalent `///` comment), so it
//! compiles to the same program; the tests compile all generated code.

use crate::tokens::{Delim, Tok, Tokens};

/// Lines longer than this get their innermost-first bracketed lists broken, one element per line.
const WIDTH: usize = 100;
const INDENT: &str = "    ";

/// Prints a token list of items as a Rust file that starts with `header`.
#[cfg(test)]
pub fn print_file(header: &str, tokens: Tokens) -> String {
    print_parts(header, std::slice::from_ref(&tokens))
}

/// [`print_file`] for the token lists `parts` one after another (balanced together, not
/// necessarily each: a group may open in one part and close in a later one).
pub fn print_parts(header: &str, parts: &[Tokens]) -> String {
    let mut toks = Vec::with_capacity(parts.iter().map(Tokens::len).sum());
    for p in parts {
        p.flat_into(&mut toks);
    }
    let pair = pairs(&toks);
    // Generated code prints at about 5 bytes per token: room for more, so the text is never
    // copied to grow (untouched capacity costs no memory).
    let mut out = String::with_capacity(header.len() + toks.len() * 8);
    out.push_str(header);
    let mut p = Printer {
        line_start: out.len(),
        out,
        indent: 0,
        at_line_start: true,
        flat: false,
        trial_end: None,
        abort: false,
        last_comma: 0,
        toks: &toks,
        pair: &pair,
    };
    p.seq(0, toks.len(), Mode::Block);
    p.newline();
    p.out
}

/// For each `Open` the index of its `Close` (the tokens are balanced by construction); other
/// entries are unused. A sequence of sibling tokens is a range `lo..hi` of the one slice; the
/// sibling after a group at `i` is at `pair[i] + 1`.
fn pairs(toks: &[Tok<'_>]) -> Vec<u32> {
    let mut pair = vec![0u32; toks.len()];
    let mut open = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Open(_) => open.push(i),
            Tok::Close(_) => {
                let o = open.pop().expect("balanced tokens");
                pair[o] = i as u32;
            }
            _ => {}
        }
    }
    assert!(open.is_empty(), "balanced tokens");
    pair
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Items or statements (a file, a brace block): one per line, and one per line after a
    /// top-level comma (fields, variants, match arms).
    Block,
    /// On one line (what brace blocks inside it print aside).
    Inline,
    /// The elements of a broken bracketed list: a line break after each top-level comma.
    List,
    /// Inside an attribute: on one line, lists never broken.
    Attr,
}

/// What the previous token was, for spacing and for telling unary from binary operators.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    Start,
    /// An identifier, `self`, `Self`, `super`, `crate`, `true`, `false`.
    Name,
    Keyword,
    Literal,
    /// `)` or `]`.
    Close,
    /// A multi-line brace block's `}`, or an inline `{...}`.
    Brace,
    /// A binary operator, `=`, `=>`, `->`, `,`, `;`, `:`: a space follows.
    Spaced,
    /// Nothing follows with a space: `::`, `.`, `..`, unary `&`/`*`/`-`/`!`, `'`, `#`, a
    /// macro's `!`, a generic `<`, a closure's opening `|`, a joint punctuation.
    Tight,
    /// A generic `>`.
    GenClose,
    /// Postfix `?`.
    Question,
    /// A closure's closing `|`.
    ClosureClose,
}

struct Printer<'t> {
    out: String,
    indent: usize,
    /// Byte offset of the current line's start.
    line_start: usize,
    /// Nothing but (pending) indentation on the current line.
    at_line_start: bool,
    /// Trying a list on one line: inner lists are not broken.
    flat: bool,
    /// While a list is tried on one line and no line break has been printed since it
    /// started: the length `out` may reach before the first line is too long (see
    /// [`Printer::group`]). A line break settles the try (its first line fits), so this is
    /// cleared by [`Printer::newline`].
    trial_end: Option<usize>,
    /// The list being tried is too long: printing stops, back to the list's `group`.
    abort: bool,
    /// Set by [`Printer::seq`] as it returns: the index after the last comma among the
    /// siblings it printed (its `lo` when there is none).
    last_comma: usize,
    toks: &'t [Tok<'t>],
    /// See [`pairs`].
    pair: &'t [u32],
}

/// Per-sequence state: generic `<>` depth, inside closure parameters, after `where`.
struct SeqState {
    prev: Prev,
    generics: usize,
    closure: bool,
    where_clause: bool,
    /// The previous token was a multi-line `}`: the next one goes on a new line unless it
    /// continues the expression (`else`, `,`, `;`, `.`, `?`).
    after_block: bool,
    commas: usize,
    /// The generic list open at depth 1 is `impl<...>`: a space follows its `>`.
    impl_generics: bool,
}

fn is_keyword(s: &str) -> bool {
    // Every keyword is 2 to 8 lowercase ASCII letters: most identifiers are told at once.
    if !(2..=8).contains(&s.len()) || !s.as_bytes()[0].is_ascii_lowercase() {
        return false;
    }
    matches!(
        s,
        "as" | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "static"
            | "struct"
            | "trait"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "yield"
    )
}

/// An operator is in unary (prefix) position after these.
fn unary_position(prev: Prev) -> bool {
    matches!(
        prev,
        Prev::Start | Prev::Keyword | Prev::Brace | Prev::Spaced | Prev::Tight | Prev::ClosureClose
    )
}

/// Multi-character operators, longest first.
const OPS: [&str; 24] = [
    "<<=", ">>=", "...", "..=", "::", "->", "=>", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=",
    "*=", "/=", "%=", "^=", "&=", "|=", "<<", ">>", "..",
];

impl Printer<'_> {
    fn col(&self) -> usize {
        if self.at_line_start {
            self.indent * INDENT.len()
        } else {
            self.out.len() - self.line_start
        }
    }

    fn newline(&mut self) {
        if !self.at_line_start {
            self.out.push('\n');
            self.line_start = self.out.len();
            self.at_line_start = true;
            self.trial_end = None;
        }
    }

    /// Starts a token: indentation at a line start, else a space when `space`.
    fn begin(&mut self, space: bool) {
        if self.at_line_start {
            for _ in 0..self.indent {
                self.out.push_str(INDENT);
            }
            self.at_line_start = false;
        } else if space {
            self.out.push(' ');
        }
    }

    /// The sibling after the token at `i` (after its group when it opens one).
    fn next(&self, i: usize) -> usize {
        match self.toks[i] {
            Tok::Open(_) => self.pair[i] as usize + 1,
            _ => i + 1,
        }
    }

    /// Whether sibling `i` (of a sequence ending at `hi`) is the punctuation `c`.
    fn punct_at(&self, i: usize, hi: usize, c: u8) -> bool {
        i < hi && matches!(self.toks[i], Tok::Punct(p, _) if p == c)
    }

    /// Prints the sibling tokens `lo..hi`. Returns the number of top-level commas counted.
    fn seq(&mut self, lo: usize, hi: usize, mode: Mode) -> usize {
        let toks = self.toks;
        let mut st = SeqState {
            prev: Prev::Start,
            generics: 0,
            closure: false,
            where_clause: false,
            after_block: false,
            commas: 0,
            impl_generics: false,
        };
        let mut i = lo;
        let mut last_comma = lo;
        while i < hi {
            if let Some(end) = self.trial_end {
                if self.out.len() > end {
                    self.abort = true;
                }
            }
            if self.abort {
                break;
            }
            if let Tok::Punct(b',', _) = toks[i] {
                last_comma = i + 1;
            }
            if st.after_block {
                st.after_block = false;
                let continues = match &toks[i] {
                    Tok::Ident(id) => *id == "else",
                    Tok::Punct(p, _) => matches!(p, b',' | b';' | b'.' | b'?'),
                    _ => false,
                };
                if !continues && mode != Mode::Inline && mode != Mode::Attr {
                    self.newline();
                }
            }
            // Attributes: `#[...]`, `#![...]`.
            if let Tok::Punct(b'#', _) = toks[i] {
                let (inner, at) = if self.punct_at(i + 1, hi, b'!') {
                    (true, i + 2)
                } else {
                    (false, i + 1)
                };
                if at < hi && toks[at] == Tok::Open(Delim::Bracket) {
                    let close = self.pair[at] as usize;
                    self.attribute(inner, at + 1, close, mode, &mut st);
                    i = close + 1;
                    continue;
                }
            }
            match &toks[i] {
                Tok::Ident(id) => {
                    let space = !matches!(st.prev, Prev::Start | Prev::Tight);
                    self.begin(space);
                    let at = self.out.len();
                    self.out.push_str(id);
                    let kw = is_keyword(id);
                    if kw && *id == "where" && mode == Mode::Block {
                        // `where` on its own line, one predicate per line.
                        self.out.truncate(at);
                        while self.out.ends_with(' ') {
                            self.out.pop();
                        }
                        self.newline();
                        self.begin(false);
                        self.out.push_str("where");
                        self.indent += 1;
                        self.newline();
                        st.where_clause = true;
                        st.prev = Prev::Start;
                        i += 1;
                        continue;
                    }
                    st.prev = if kw { Prev::Keyword } else { Prev::Name };
                    // `pub(crate)`.
                    if kw && *id == "pub" && i + 1 < hi && toks[i + 1] == Tok::Open(Delim::Paren) {
                        st.prev = Prev::Tight;
                    }
                }
                Tok::Lit(l) => {
                    let space = !matches!(st.prev, Prev::Start | Prev::Tight);
                    self.begin(space);
                    if self.trial_end.is_some() && l.contains('\n') {
                        // The first line ends inside the literal: the try is settled.
                        self.trial_end = None;
                    }
                    self.out.push_str(l);
                    st.prev = Prev::Literal;
                }
                Tok::Open(delim) => {
                    self.group(*delim, mode, &mut st, lo, i, hi);
                    i = self.pair[i] as usize + 1;
                    continue;
                }
                Tok::Close(_) => unreachable!("a sequence ends before its group's close"),
                Tok::Punct(..) => {
                    i = self.op(lo, i, hi, mode, &mut st);
                    continue;
                }
            }
            i += 1;
        }
        self.last_comma = last_comma;
        st.commas
    }

    /// The end of a `where` clause before its `{`: a trailing comma, the brace on its own line.
    fn end_where(&mut self) {
        let trimmed = self.out.trim_end().len();
        self.out.truncate(trimmed);
        if !self.out.ends_with(',') && !self.out.ends_with("where") {
            self.out.push(',');
        }
        self.at_line_start = false;
        self.indent -= 1;
        self.newline();
    }

    /// An attribute whose bracketed body is `blo..bhi`.
    fn attribute(&mut self, inner: bool, blo: usize, bhi: usize, mode: Mode, st: &mut SeqState) {
        let toks = self.toks;
        let own_line = matches!(mode, Mode::Block | Mode::List);
        if own_line {
            self.newline();
        }
        // `#[doc = "..."]` as `///...` (`#![doc]` as `//!`) when the text is one line.
        if let [Tok::Ident(d), Tok::Punct(b'=', _), Tok::Lit(lit)] = &toks[blo..bhi] {
            if own_line && *d == "doc" {
                if let Some(text) = unquote(lit) {
                    if !text.contains(['\n', '\r']) && !text.starts_with('/') {
                        self.begin(false);
                        self.out.push_str(if inner { "//!" } else { "///" });
                        self.out.push_str(&text);
                        self.newline();
                        st.prev = Prev::Start;
                        return;
                    }
                }
            }
        }
        let space = !matches!(st.prev, Prev::Start | Prev::Tight);
        self.begin(space);
        self.out.push_str(if inner { "#![" } else { "#[" });
        self.seq(blo, bhi, Mode::Attr);
        self.out.push(']');
        if own_line {
            self.newline();
            st.prev = Prev::Start;
        } else {
            st.prev = Prev::Spaced;
        }
    }

    /// The group opening at `i`, a sibling in `lo..hi`.
    fn group(
        &mut self,
        delim: Delim,
        mode: Mode,
        st: &mut SeqState,
        lo: usize,
        i: usize,
        hi: usize,
    ) {
        let toks = self.toks;
        let (blo, bhi) = (i + 1, self.pair[i] as usize);
        let empty = blo == bhi;
        if delim == Delim::Brace && st.where_clause && mode == Mode::Block {
            self.end_where();
            st.where_clause = false;
            st.prev = Prev::Start;
        }
        if delim == Delim::Brace {
            let use_tree = st.prev == Prev::Tight && i > lo && self.punct_at(i - 1, hi, b':');
            let space = !matches!(st.prev, Prev::Start | Prev::Tight);
            self.begin(space);
            if empty || use_tree || mode == Mode::Attr {
                self.out.push('{');
                self.seq(blo, bhi, Mode::Attr);
                self.out.push('}');
                st.prev = Prev::Brace;
                // `struct A {}` / `impl E for A {}` end an item.
                st.after_block = empty;
                return;
            }
            self.out.push('{');
            self.indent += 1;
            self.newline();
            let flat = std::mem::replace(&mut self.flat, false);
            let commas = self.seq(blo, bhi, Mode::Block);
            self.flat = flat;
            // A trailing comma after the last field, variant or match arm; none after a
            // struct literal's base (`..Default::default()`), where Rust forbids one.
            let last = self.last_comma;
            let base = self.punct_at(last, bhi, b'.') && self.punct_at(last + 1, bhi, b'.');
            if commas > 0
                && !base
                && !matches!(toks[bhi - 1], Tok::Close(Delim::Brace) | Tok::Punct(..))
            {
                self.out.push(',');
            }
            self.indent -= 1;
            self.newline();
            self.begin(false);
            self.out.push('}');
            st.prev = Prev::Brace;
            st.after_block = true;
            st.where_clause = false;
            st.generics = 0;
            st.closure = false;
            return;
        }
        let (open, close) = if delim == Delim::Bracket {
            ('[', ']')
        } else {
            ('(', ')')
        };
        let space = match st.prev {
            Prev::Start | Prev::Tight => false,
            Prev::Name | Prev::Close | Prev::GenClose | Prev::Question => false,
            // `impl Fn(...)`: a keyword before a call-like paren is `if (`, `in (`: spaced.
            _ => true,
        };
        self.begin(space);
        let macro_call = i > lo && self.punct_at(i - 1, hi, b'!');
        let start = self.out.len();
        let start_col = self.col();
        self.out.push(open);
        let inner_mode = if mode == Mode::Attr {
            Mode::Attr
        } else {
            Mode::Inline
        };
        let fixed = mode == Mode::Attr || empty || self.flat;
        let flat = std::mem::replace(&mut self.flat, true);
        // A try on one line stops as soon as its first line is too long (`width` below over
        // `WIDTH`), instead of printing the whole list only to throw it away. Tries nest only
        // after a line break (in a brace block), where the outer try is settled.
        if !fixed {
            debug_assert!(self.trial_end.is_none() && !self.abort);
            self.trial_end = Some(start + WIDTH.saturating_sub(start_col));
        }
        self.seq(blo, bhi, inner_mode);
        self.flat = flat;
        self.out.push(close);
        st.prev = Prev::Close;
        if fixed {
            return;
        }
        let aborted = std::mem::take(&mut self.abort);
        self.trial_end = None;
        if !aborted {
            let printed = &self.out[start..];
            let first_line = printed.find('\n');
            let width = start_col + first_line.unwrap_or(printed.len());
            // On one line with what follows it up to the line's end (`) -> T {`).
            let tail = if first_line.is_none() {
                self.tail_width(bhi + 1, hi, WIDTH + 1 - width.min(WIDTH + 1))
            } else {
                0
            };
            if width + tail <= WIDTH {
                return;
            }
        }
        // Too long: one element per line.
        self.out.truncate(start);
        self.out.push(open);
        self.indent += 1;
        self.newline();
        let commas = self.seq(blo, bhi, Mode::List);
        if commas > 0 && !macro_call && !self.punct_at(bhi - 1, bhi, b',') {
            self.out.push(',');
        }
        self.indent -= 1;
        self.newline();
        self.begin(false);
        self.out.push(close);
    }

    /// One operator (possibly several joint punctuation characters). Returns the next index.
    fn op(&mut self, lo: usize, i: usize, hi: usize, mode: Mode, st: &mut SeqState) -> usize {
        let toks = self.toks;
        // Gather joint punctuation into the longest known operator.
        // Punctuation is ASCII (a `u8` in `Tok::Punct`).
        let mut bytes = [0u8; 3];
        let mut n = 0;
        let mut j = i;
        while n < 3 && j < hi {
            let Tok::Punct(p, joint) = toks[j] else {
                break;
            };
            bytes[n] = p;
            n += 1;
            j += 1;
            if !joint {
                break;
            }
        }
        let longest = if n < 2 {
            None
        } else {
            (2..=n)
                .rev()
                .find_map(|l| OPS.iter().find(|o| o.as_bytes() == &bytes[..l]))
        };
        let (text, len) = match longest {
            Some(o) => (*o, o.len()),
            None => {
                // The one character as a static string (a jump table, not a search).
                let text = match bytes[0] {
                    b'!' => "!",
                    b'#' => "#",
                    b'$' => "$",
                    b'%' => "%",
                    b'&' => "&",
                    b'\'' => "'",
                    b'*' => "*",
                    b'+' => "+",
                    b',' => ",",
                    b'-' => "-",
                    b'.' => ".",
                    b'/' => "/",
                    b':' => ":",
                    b';' => ";",
                    b'<' => "<",
                    b'=' => "=",
                    b'>' => ">",
                    b'?' => "?",
                    b'@' => "@",
                    b'^' => "^",
                    b'|' => "|",
                    b'~' => "~",
                    _ => "",
                };
                (text, 1)
            }
        };
        let prev = st.prev;
        let unary = unary_position(prev);
        let tight_before = matches!(prev, Prev::Start | Prev::Tight);
        // (space before, what it leaves as `prev`)
        let (space, after) = match text {
            "," => {
                // A trailing comma in a generic list (`<A, B,>`) is dropped, and so is one
                // ending a list printed on one line (`f(a, b,)`, never a 1-tuple's).
                if (st.generics > 0 && self.punct_at(i + 1, hi, b'>'))
                    || (i + 1 == hi && mode == Mode::Inline && st.commas >= 1)
                {
                    return i + 1;
                }
                st.commas += usize::from(st.generics == 0 && !st.closure && !st.where_clause);
                (false, Prev::Spaced)
            }
            ";" => (false, Prev::Spaced),
            ":" => (false, Prev::Spaced),
            "." => (false, Prev::Tight),
            ".." | "..=" | "..." => (
                !tight_before && !matches!(prev, Prev::Name | Prev::Literal | Prev::Close),
                Prev::Tight,
            ),
            "::" => (
                !tight_before
                    && !matches!(
                        prev,
                        Prev::Name | Prev::Close | Prev::GenClose | Prev::Literal
                    ),
                Prev::Tight,
            ),
            "?" if !unary => (false, Prev::Question),
            "'" | "$" | "#" | "~" => (!tight_before, Prev::Tight),
            "!" if prev == Prev::Name => (false, Prev::Tight),
            "&" | "*" | "-" | "!" | "&&" | "?" if unary => (!tight_before, Prev::Tight),
            "|" if st.closure => {
                st.closure = false;
                (false, Prev::ClosureClose)
            }
            "|" if unary => {
                st.closure = true;
                (!tight_before, Prev::Tight)
            }
            "<" if matches!(prev, Prev::Name | Prev::Tight)
                || (prev == Prev::Keyword && self.is_generic_keyword(lo, i))
                || unary =>
            {
                if st.generics == 0 {
                    st.impl_generics = prev == Prev::Keyword && self.is_generic_keyword(lo, i);
                }
                st.generics += 1;
                (
                    !tight_before && prev != Prev::Name && prev != Prev::Keyword,
                    Prev::Tight,
                )
            }
            ">" if st.generics > 0 => {
                st.generics -= 1;
                (false, gen_close(st))
            }
            ">>" if st.generics > 1 => {
                st.generics -= 2;
                (false, gen_close(st))
            }
            _ => (!tight_before, Prev::Spaced),
        };
        self.begin(space);
        // `<` right after a generic `<` (`<<T as X>::Y>`) must not lex as `<<`.
        if text == "<" && self.out.ends_with('<') {
            self.out.push(' ');
        }
        self.out.push_str(text);
        st.prev = after;
        if text == ";" || text == "=>" {
            st.generics = 0;
            st.closure = false;
        }
        match text {
            ";" if matches!(mode, Mode::Block) => {
                if st.where_clause {
                    st.where_clause = false;
                    self.indent -= 1;
                }
                self.newline();
                st.prev = Prev::Start;
            }
            "," if st.generics == 0 && !st.closure && matches!(mode, Mode::Block | Mode::List) => {
                self.newline();
                st.prev = Prev::Start;
            }
            _ => {}
        }
        i + len
    }

    /// `impl<`, `for<`, `fn<`: a generic list after a keyword (`i` is the `<`, a sibling after
    /// `lo`).
    fn is_generic_keyword(&self, lo: usize, i: usize) -> bool {
        i > lo && matches!(&self.toks[i - 1], Tok::Ident(k) if matches!(*k, "impl" | "for" | "fn"))
    }

    /// About how wide the siblings `lo..hi` print up to where the line ends (a brace block,
    /// `;`, `,`), at most `limit`.
    fn tail_width(&self, lo: usize, hi: usize, limit: usize) -> usize {
        let mut w = 0;
        let mut i = lo;
        while i < hi {
            if w >= limit {
                break;
            }
            w += match &self.toks[i] {
                Tok::Ident(id) => {
                    if *id == "where" {
                        break;
                    }
                    id.len() + 1
                }
                Tok::Lit(l) => l.len() + 1,
                Tok::Punct(p, _) => {
                    if matches!(p, b';' | b',') {
                        return w + 1;
                    }
                    2
                }
                Tok::Open(Delim::Brace) => return w + 2,
                Tok::Open(_) => 2 + self.tail_width(i + 1, self.pair[i] as usize, limit - w),
                Tok::Close(_) => unreachable!("a sequence ends before its group's close"),
            };
            i = self.next(i);
        }
        w
    }
}

/// After a generic `>`: `impl<T> ::std::...` needs the space that `Vec<T>::new` must not get.
fn gen_close(st: &mut SeqState) -> Prev {
    if st.generics == 0 && std::mem::take(&mut st.impl_generics) {
        Prev::Spaced
    } else {
        Prev::GenClose
    }
}

/// The value of a plain string literal (`"..."`, with escapes), or `None` for other literals.
fn unquote(lit: &str) -> Option<String> {
    if let Some(raw) = lit.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let body = raw[hashes..].strip_prefix('"')?;
        let body = body.strip_suffix(&raw[..hashes])?.strip_suffix('"')?;
        return Some(body.to_string());
    }
    let body = lit.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    loop {
        // The text up to the next escape as it is.
        let rest = chars.as_str();
        let plain = rest.find('\\').unwrap_or(rest.len());
        out.push_str(&rest[..plain]);
        chars = rest[plain..].chars();
        if chars.next().is_none() {
            break;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            '0' => out.push('\0'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => out.push('\''),
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(char::from(u8::from_str_radix(&hex, 16).ok()?));
            }
            'u' => {
                let rest: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let hex = rest.strip_prefix('{')?;
                out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
            }
            _ => return None,
        }
    }
    Some(out)
}
