//! Pest parser and the one-pass builder from pest pairs to [`Ast`].

use pest::iterators::Pair;
use pest::Parser as _;
use pest_derive::Parser;

use super::ast::*;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::IncludeKind;
use crate::source::{FileId, Span};

#[derive(Parser)]
#[grammar = "proto/proto.pest"]
struct ProtoParser;

struct B {
    file: FileId,
}

impl B {
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.file, s.start()..s.end())
    }
}

pub(crate) fn parse(file: FileId, src: &str, diags: &mut Diagnostics) -> Option<Ast> {
    match ProtoParser::parse(Rule::file, src) {
        Ok(pairs) => {
            let ast = build(file, pairs);
            check_labels(&ast, diags);
            Some(ast)
        }
        Err(e) => {
            diags.push(syntax_error(file, src, &e));
            recover(file, src, error_pos(src, &e), diags);
            None
        }
    }
}

/// protoc's parser requires a label on every proto2 field outside oneofs and maps; it reports a
/// missing one as a syntax error, even in a file with other syntax errors. kit does the same,
/// here rather than in lowering, so the error shows up beside the other syntax errors.
fn check_labels(ast: &Ast, diags: &mut Diagnostics) {
    if !matches!(
        ast.syntax.as_ref().map(|s| s.0.as_str()),
        None | Some("proto2")
    ) {
        return;
    }
    fn field(f: &FieldAst, diags: &mut Diagnostics) {
        match &f.ty {
            FieldTy::Map(..) => return,
            FieldTy::Group(b) => body(b, diags),
            FieldTy::Named(..) => {}
        }
        if f.label.is_none() {
            diags.push(
                Diagnostic::error(
                    f.ty_span,
                    "expected \"required\", \"optional\", or \"repeated\"",
                )
                .with_label("proto2 fields need a label"),
            );
        }
    }
    fn body(b: &MsgBody, diags: &mut Diagnostics) {
        for e in &b.elems {
            match e {
                MsgElem::Field(f) => field(f, diags),
                MsgElem::Message(m) => body(&m.body, diags),
                MsgElem::Extend(x) => x.fields.iter().for_each(|f| field(f, diags)),
                // Oneof members take no label; a group inside one still has a body to check.
                MsgElem::Oneof(o) => o.fields.iter().for_each(|f| {
                    if let FieldTy::Group(b) = &f.ty {
                        body(b, diags)
                    }
                }),
                _ => {}
            }
        }
    }
    for item in &ast.items {
        match item {
            Item::Message(m) => body(&m.body, diags),
            Item::Extend(x) => x.fields.iter().for_each(|f| field(f, diags)),
            _ => {}
        }
    }
}

/// The syntax tree of a file that parsed.
fn build(file: FileId, pairs: pest::iterators::Pairs<'_, Rule>) -> Ast {
    let b = B { file };
    let mut ast = Ast {
        syntax: None,
        packages: Vec::new(),
        imports: Vec::new(),
        options: Vec::new(),
        items: Vec::new(),
        file_start: Span::new(file, 0..0),
    };
    let Some(filep) = pairs.into_iter().next() else {
        return ast;
    };
    for p in filep.into_inner() {
        match p.as_rule() {
            Rule::syntax => {
                let sp = b.span(&p);
                if let Some(s) = p.into_inner().find(|q| q.as_rule() == Rule::str_lit) {
                    let span = b.span(&s);
                    let v = String::from_utf8_lossy(&str_value(&s)).into_owned();
                    ast.syntax = Some((v, span));
                } else {
                    ast.syntax = Some((String::new(), sp));
                }
            }
            Rule::package => {
                let sp = b.span(&p);
                if let Some(id) = p.into_inner().find(|q| q.as_rule() == Rule::full_ident) {
                    ast.packages.push((strip_ws(id.as_str()), sp));
                }
            }
            Rule::import => {
                let stmt_span = b.span(&p);
                let mut kind = IncludeKind::Normal;
                let mut path = String::new();
                let mut span = stmt_span;
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::import_kind => {
                            kind = if q.as_str() == "public" {
                                IncludeKind::Public
                            } else {
                                IncludeKind::Weak
                            }
                        }
                        Rule::str_lit => {
                            span = b.span(&q);
                            path = String::from_utf8_lossy(&str_value(&q)).into_owned();
                        }
                        _ => {}
                    }
                }
                ast.imports.push(Import {
                    path,
                    kind,
                    span,
                    stmt_span,
                });
            }
            Rule::option_stmt => ast.options.push(b.option_stmt(p)),
            Rule::message => ast.items.push(Item::Message(b.message(p))),
            Rule::enum_def => ast.items.push(Item::Enum(b.enum_def(p))),
            Rule::service => ast.items.push(Item::Service(b.service(p))),
            Rule::extend => ast.items.push(Item::Extend(b.extend(p))),
            _ => {}
        }
    }
    ast
}

fn strip_ws(s: &str) -> String {
    if s.bytes().any(|c| c.is_ascii_whitespace()) {
        s.chars().filter(|c| !c.is_ascii_whitespace()).collect()
    } else {
        s.to_owned()
    }
}

impl B {
    fn message(&self, p: Pair<'_, Rule>) -> Message {
        let start = p.as_span().start() as u32;
        let mut name = String::new();
        let mut name_span = self.span(&p);
        let mut body = MsgBody {
            elems: Vec::new(),
            end: name_span,
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::ident => {
                    name_span = self.span(&q);
                    name = q.as_str().to_owned();
                }
                Rule::msg_body => body = self.msg_body(q),
                _ => {}
            }
        }
        Message {
            name,
            name_span,
            start,
            body,
        }
    }

    fn msg_body(&self, p: Pair<'_, Rule>) -> MsgBody {
        let mut body = MsgBody {
            elems: Vec::new(),
            end: self.span(&p),
        };
        for q in p.into_inner() {
            let e = match q.as_rule() {
                Rule::option_stmt => MsgElem::Option(self.option_stmt(q)),
                Rule::message => MsgElem::Message(self.message(q)),
                Rule::enum_def => MsgElem::Enum(self.enum_def(q)),
                Rule::extend => MsgElem::Extend(self.extend(q)),
                Rule::extensions => MsgElem::Extensions(self.extensions(q)),
                Rule::reserved => MsgElem::Reserved(self.reserved(q)),
                Rule::oneof => MsgElem::Oneof(self.oneof(q)),
                Rule::field | Rule::group | Rule::map_field => MsgElem::Field(self.field(q)),
                Rule::rbrace => {
                    body.end = self.span(&q);
                    continue;
                }
                _ => continue,
            };
            body.elems.push(e);
        }
        body
    }

    fn field(&self, p: Pair<'_, Rule>) -> FieldAst {
        let start = p.as_span().start() as u32;
        let kind = p.as_rule();
        let whole = self.span(&p);
        let mut label = None;
        let mut types: Vec<(String, Span)> = Vec::new();
        let mut name = String::new();
        let mut name_span = whole;
        let mut number = IntAst {
            neg: false,
            value: Some(0),
            span: whole,
        };
        let mut options = Vec::new();
        let mut body = None;
        let mut ty_span = whole;
        let mut kw_span = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::label => {
                    let l = match q.as_str() {
                        "required" => Label::Required,
                        "repeated" => Label::Repeated,
                        _ => Label::Optional,
                    };
                    label = Some((l, self.span(&q)));
                }
                Rule::kw_group | Rule::kw_map => kw_span = Some(self.span(&q)),
                Rule::type_name => {
                    if types.is_empty() && kw_span.is_none() {
                        ty_span = self.span(&q);
                    }
                    types.push((strip_ws(q.as_str()), self.span(&q)));
                }
                Rule::ident => {
                    name_span = self.span(&q);
                    name = q.as_str().to_owned();
                }
                Rule::field_number => number = self.int_value(q),
                Rule::field_opts => options = self.field_opts(q),
                Rule::msg_body => body = Some(self.msg_body(q)),
                _ => {}
            }
        }
        if let Some(k) = kw_span {
            ty_span = k;
        }
        let ty = match kind {
            Rule::group => FieldTy::Group(body.unwrap_or(MsgBody {
                elems: Vec::new(),
                end: whole,
            })),
            Rule::map_field => {
                let mut it = types.into_iter();
                let k = it.next().unwrap_or_else(|| (String::new(), whole));
                let v = it.next().unwrap_or_else(|| (String::new(), whole));
                FieldTy::Map(
                    Box::new(FieldTy::Named(k.0, k.1)),
                    Box::new(FieldTy::Named(v.0, v.1)),
                )
            }
            _ => {
                let t = types
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| (String::new(), whole));
                FieldTy::Named(t.0, t.1)
            }
        };
        FieldAst {
            label,
            ty,
            name,
            name_span,
            number,
            options,
            start,
            ty_span,
        }
    }

    /// `int_value` / `field_number`: one atomic token, `-`, optional whitespace, literal.
    fn int_value(&self, p: Pair<'_, Rule>) -> IntAst {
        let span = self.span(&p);
        let s = p.as_str();
        let (neg, rest) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let lit = &rest[skip_trivia(rest, 0)..];
        IntAst {
            neg,
            value: parse_int(lit),
            span,
        }
    }

    fn field_opts(&self, p: Pair<'_, Rule>) -> Vec<OptionAst> {
        p.into_inner()
            .filter(|q| q.as_rule() == Rule::field_opt)
            .map(|q| self.option_stmt(q))
            .collect()
    }

    fn option_stmt(&self, p: Pair<'_, Rule>) -> OptionAst {
        let whole = self.span(&p);
        let mut name = String::new();
        let mut name_span = whole;
        let mut value = ConstAst::Ident {
            neg: false,
            name: String::new(),
        };
        let mut value_span = whole;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::opt_name => {
                    name_span = self.span(&q);
                    name = strip_ws(q.as_str());
                }
                Rule::constant => {
                    value_span = self.span(&q);
                    value = self.constant(q);
                }
                _ => {}
            }
        }
        OptionAst {
            name,
            name_span,
            value,
            value_span,
        }
    }

    fn constant(&self, p: Pair<'_, Rule>) -> ConstAst {
        let span = self.span(&p);
        let mut neg = false;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::sign => neg = q.as_str() == "-",
                Rule::int_lit => {
                    return ConstAst::Int(IntAst {
                        neg,
                        value: parse_int(q.as_str()),
                        span,
                    })
                }
                Rule::float_lit => {
                    let s = q.as_str().trim_end_matches(['f', 'F']);
                    let v: f64 = s.parse().unwrap_or(0.0);
                    return ConstAst::Float(if neg { -v } else { v });
                }
                Rule::ident => {
                    return ConstAst::Ident {
                        neg,
                        name: q.as_str().to_owned(),
                    }
                }
                Rule::str_lit => return ConstAst::Str(str_value(&q)),
                Rule::aggregate => return ConstAst::Aggregate(q.as_str().to_owned()),
                _ => {}
            }
        }
        ConstAst::Ident {
            neg,
            name: String::new(),
        }
    }

    fn ranges_of(&self, p: Pair<'_, Rule>) -> RangeAst {
        let span = self.span(&p);
        let mut start = None;
        let mut end = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::int_value => start = Some(self.int_value(q)),
                Rule::range_end => {
                    let r = q.into_inner().find(|x| x.as_rule() == Rule::int_value);
                    end = Some(r.map(|x| self.int_value(x)));
                }
                _ => {}
            }
        }
        RangeAst {
            start: start.unwrap_or(IntAst {
                neg: false,
                value: Some(0),
                span,
            }),
            end,
            span,
        }
    }

    fn extensions(&self, p: Pair<'_, Rule>) -> ExtensionsAst {
        let span = self.span(&p);
        let mut ranges = Vec::new();
        let mut options = Vec::new();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::range => ranges.push(self.ranges_of(q)),
                Rule::field_opts => options = self.field_opts(q),
                _ => {}
            }
        }
        ExtensionsAst {
            ranges,
            options,
            span,
        }
    }

    fn reserved(&self, p: Pair<'_, Rule>) -> ReservedAst {
        let mut r = ReservedAst {
            ranges: Vec::new(),
            names: Vec::new(),
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::range => r.ranges.push(self.ranges_of(q)),
                Rule::str_lit => {
                    let sp = self.span(&q);
                    r.names
                        .push((String::from_utf8_lossy(&str_value(&q)).into_owned(), sp));
                }
                _ => {}
            }
        }
        r
    }

    fn oneof(&self, p: Pair<'_, Rule>) -> OneofAst {
        let start = p.as_span().start() as u32;
        let mut o = OneofAst {
            name: String::new(),
            name_span: self.span(&p),
            start,
            options: Vec::new(),
            fields: Vec::new(),
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::ident => {
                    o.name_span = self.span(&q);
                    o.name = q.as_str().to_owned();
                }
                Rule::option_stmt => o.options.push(self.option_stmt(q)),
                Rule::field | Rule::group | Rule::map_field => o.fields.push(self.field(q)),
                _ => {}
            }
        }
        o
    }

    fn enum_def(&self, p: Pair<'_, Rule>) -> EnumAst {
        let start = p.as_span().start() as u32;
        let mut e = EnumAst {
            name: String::new(),
            name_span: self.span(&p),
            start,
            options: Vec::new(),
            values: Vec::new(),
            reserved: Vec::new(),
            end: self.span(&p),
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::ident => {
                    e.name_span = self.span(&q);
                    e.name = q.as_str().to_owned();
                }
                Rule::option_stmt => e.options.push(self.option_stmt(q)),
                Rule::reserved => e.reserved.push(self.reserved(q)),
                Rule::enum_value => {
                    let vstart = q.as_span().start() as u32;
                    let mut v = EnumValueAst {
                        name: String::new(),
                        name_span: self.span(&q),
                        number: IntAst {
                            neg: false,
                            value: Some(0),
                            span: self.span(&q),
                        },
                        options: Vec::new(),
                        start: vstart,
                    };
                    for r in q.into_inner() {
                        match r.as_rule() {
                            Rule::ident => {
                                v.name_span = self.span(&r);
                                v.name = r.as_str().to_owned();
                            }
                            Rule::int_value => v.number = self.int_value(r),
                            Rule::field_opts => v.options = self.field_opts(r),
                            _ => {}
                        }
                    }
                    e.values.push(v);
                }
                Rule::rbrace => e.end = self.span(&q),
                _ => {}
            }
        }
        e
    }

    fn extend(&self, p: Pair<'_, Rule>) -> ExtendAst {
        let mut x = ExtendAst {
            extendee: String::new(),
            extendee_span: self.span(&p),
            fields: Vec::new(),
            empty_statements: Vec::new(),
            end: self.span(&p),
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::type_name => {
                    x.extendee_span = self.span(&q);
                    x.extendee = strip_ws(q.as_str());
                }
                Rule::field | Rule::group | Rule::map_field => x.fields.push(self.field(q)),
                Rule::empty => x.empty_statements.push(self.span(&q)),
                Rule::rbrace => x.end = self.span(&q),
                _ => {}
            }
        }
        x
    }

    fn service(&self, p: Pair<'_, Rule>) -> ServiceAst {
        let start = p.as_span().start() as u32;
        let mut s = ServiceAst {
            name: String::new(),
            name_span: self.span(&p),
            start,
            options: Vec::new(),
            rpcs: Vec::new(),
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::ident => {
                    s.name_span = self.span(&q);
                    s.name = q.as_str().to_owned();
                }
                Rule::option_stmt => s.options.push(self.option_stmt(q)),
                Rule::rpc => s.rpcs.push(self.rpc(q)),
                _ => {}
            }
        }
        s
    }

    fn rpc(&self, p: Pair<'_, Rule>) -> RpcAst {
        let start = p.as_span().start() as u32;
        let whole = self.span(&p);
        let mut r = RpcAst {
            name: String::new(),
            name_span: whole,
            start,
            input: (String::new(), whole),
            output: (String::new(), whole),
            client_streaming: false,
            server_streaming: false,
            options: Vec::new(),
        };
        let mut n_args = 0;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::ident => {
                    r.name_span = self.span(&q);
                    r.name = q.as_str().to_owned();
                }
                Rule::rpc_arg => {
                    let mut streaming = false;
                    let mut ty = (String::new(), self.span(&q));
                    for a in q.into_inner() {
                        match a.as_rule() {
                            Rule::stream => streaming = true,
                            Rule::type_name => ty = (strip_ws(a.as_str()), self.span(&a)),
                            _ => {}
                        }
                    }
                    if n_args == 0 {
                        r.input = ty;
                        r.client_streaming = streaming;
                    } else {
                        r.output = ty;
                        r.server_streaming = streaming;
                    }
                    n_args += 1;
                }
                Rule::option_stmt => r.options.push(self.option_stmt(q)),
                _ => {}
            }
        }
        r
    }
}

/// Parses a decimal, hex or octal integer literal; `None` on 64-bit overflow.
pub(crate) fn parse_int(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u64::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

/// The bytes of a (possibly concatenated) string literal, escapes decoded.
fn str_value(p: &Pair<'_, Rule>) -> Vec<u8> {
    let mut out = Vec::new();
    for q in p.clone().into_inner() {
        if q.as_rule() == Rule::comment {
            continue;
        }
        let s = q.as_str();
        if s.len() >= 2 {
            unescape(&s[1..s.len() - 1], &mut out);
        }
    }
    out
}

/// Decodes C-style escapes as protoc does (`\n`, `\x41`, `\101`, `\u0041`, `\U0001F600`).
pub(crate) fn unescape(s: &str, out: &mut Vec<u8>) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c != b'\\' || i + 1 >= b.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let e = b[i + 1];
        i += 2;
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'?' => out.push(b'?'),
            b'0'..=b'7' => {
                let mut v: u32 = (e - b'0') as u32;
                let mut n = 1;
                while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + (b[i] - b'0') as u32;
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
            }
            b'x' | b'X' => {
                let mut v: u32 = 0;
                let mut n = 0;
                while n < 2 && i < b.len() && b[i].is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                if n == 0 {
                    out.extend_from_slice(b"\\x");
                } else {
                    out.push(v as u8);
                }
            }
            b'u' | b'U' => {
                let want = if e == b'u' { 4 } else { 8 };
                let mut v: u32 = 0;
                let mut n = 0;
                while n < want && i < b.len() && b[i].is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                let ch = char::from_u32(v).unwrap_or('\u{FFFD}');
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            other => out.push(other),
        }
    }
}

fn rule_text(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::semi | Rule::empty => "`;`",
        Rule::eq => "`=`",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lbrack => "`[`",
        Rule::rbrack => "`]`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::lt => "`<`",
        Rule::gt => "`>`",
        Rule::comma => "`,`",
        Rule::ident => "an identifier",
        Rule::type_name => "a type name",
        Rule::full_ident => "a package name",
        Rule::int_lit | Rule::int_value | Rule::field_number | Rule::range => "a number",
        Rule::str_lit => "a string",
        Rule::constant => "a constant",
        Rule::label => "`optional`, `required` or `repeated`",
        Rule::field | Rule::group | Rule::map_field => "a field",
        Rule::message => "`message`",
        Rule::enum_def => "`enum`",
        Rule::service => "`service`",
        Rule::extend => "`extend`",
        Rule::option_stmt => "`option`",
        Rule::import => "`import`",
        Rule::package => "`package`",
        Rule::syntax => "`syntax`",
        Rule::enum_value => "an enum value",
        Rule::rpc => "`rpc`",
        Rule::kw_returns => "`returns`",
        Rule::kw_to => "`to`",
        Rule::range_end => "a number or `max`",
        Rule::opt_name => "an option name",
        Rule::EOI => "end of file",
        Rule::field_opts => "`[`",
        Rule::sign => "a sign",
        Rule::float_lit => "a number",
        Rule::import_kind => "`public`/`weak`",
        Rule::kw_syntax => "`syntax`",
        Rule::kw_import => "`import`",
        Rule::kw_package => "`package`",
        Rule::kw_option => "`option`",
        Rule::kw_message => "`message`",
        Rule::kw_enum => "`enum`",
        Rule::kw_service => "`service`",
        Rule::kw_extend => "`extend`",
        Rule::kw_extensions => "`extensions`",
        Rule::kw_reserved => "`reserved`",
        Rule::kw_oneof => "`oneof`",
        Rule::kw_map => "`map`",
        Rule::kw_group => "`group`",
        Rule::kw_rpc => "`rpc`",
        Rule::kw_max => "`max`",
        _ => return None,
    })
}

/// Where a pest error points, moved past whitespace and comments to the offending token.
fn error_pos(src: &str, e: &pest::error::Error<Rule>) -> usize {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    skip_trivia(src, pos.min(src.len()))
}

/// Most further syntax errors reported after the first.
const MAX_EXTRA_SYNTAX_ERRORS: usize = 19;

/// Finds further syntax errors: blanks out the statement that failed (with spaces, so
/// positions stay) and parses again, while the errors move forward. Blanking a whole
/// statement (or block) keeps the nesting intact and avoids cascades of follow-up errors.
fn recover(file: FileId, src: &str, mut last: usize, diags: &mut Diagnostics) {
    let mut text = src.as_bytes().to_vec();
    for _ in 0..MAX_EXTRA_SYNTAX_ERRORS {
        let Some((start, end)) = statement_around(&text, last) else {
            return;
        };
        for b in &mut text[start..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        // An empty statement in its place: valid wherever a statement is.
        if end > start {
            text[start] = b';';
        }
        // Only ASCII punctuation bounds the blanked range and every byte inside it became a
        // space, so the text stays UTF-8.
        let Ok(t) = std::str::from_utf8(&text) else {
            return;
        };
        let e = match ProtoParser::parse(Rule::file, t) {
            Ok(pairs) => {
                // The rest of the file parses: its label errors are syntax errors too.
                check_labels(&build(file, pairs), diags);
                return;
            }
            Err(e) => e,
        };
        let pos = error_pos(t, &e);
        if pos <= last || pos >= t.len() && last >= t.len() {
            return;
        }
        diags.push(syntax_error(file, t, &e));
        last = pos;
    }
}

/// The statement (or block) around a syntax error at `pos`: from after the previous `;`,
/// `{` or `}` to its end (`;` inclusive, a block's closing `}` inclusive, or up to an
/// enclosing `}`). Strings and comments are skipped.
fn statement_around(b: &[u8], pos: usize) -> Option<(usize, usize)> {
    if pos >= b.len() {
        return None;
    }
    // Significant punctuation positions before `pos`.
    let mut start = 0;
    let mut i = 0;
    while i < pos {
        match b[i] {
            b'"' | b'\'' => i = skip_string(b, i),
            b'/' if b.get(i + 1) == Some(&b'/') || b.get(i + 1) == Some(&b'*') => {
                i = skip_comment(b, i)
            }
            b';' | b'{' | b'}' => {
                start = i + 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    let mut i = pos;
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' => {
                i = skip_string(b, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') || b.get(i + 1) == Some(&b'*') => {
                i = skip_comment(b, i);
                continue;
            }
            b';' if depth == 0 => return Some((start, i + 1)),
            b'{' => depth += 1,
            b'}' if depth == 0 => {
                // The statement runs into the enclosing block's end; if nothing precedes
                // the brace, the brace itself is the problem.
                let end = if b[start..i].iter().all(u8::is_ascii_whitespace) {
                    i + 1
                } else {
                    i
                };
                return Some((start, end));
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((start, i + 1));
                }
            }
            _ => {}
        }
        i += 1;
    }
    Some((start, b.len()))
}

/// Past the string literal starting at `i` (strings end at their quote or the line end).
fn skip_string(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() && b[j] != q && b[j] != b'\n' {
        if b[j] == b'\\' {
            j += 1;
        }
        j += 1;
    }
    (j + 1).min(b.len())
}

/// Past the comment starting at `i`.
fn skip_comment(b: &[u8], i: usize) -> usize {
    if b.get(i + 1) == Some(&b'/') {
        let mut j = i;
        while j < b.len() && b[j] != b'\n' {
            j += 1;
        }
        j
    } else {
        let mut j = i + 2;
        while j + 1 < b.len() && !(b[j] == b'*' && b[j + 1] == b'/') {
            j += 1;
        }
        (j + 2).min(b.len())
    }
}

fn syntax_error(file: FileId, src: &str, e: &pest::error::Error<Rule>) -> Diagnostic {
    let pos = error_pos(src, e);
    let mut expected: Vec<&str> = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            if let Some(t) = rule_text(*r) {
                if !expected.contains(&t) {
                    expected.push(t);
                }
            }
        }
    }
    let found = next_token(src, pos);
    let msg = if src[pos..].starts_with("edition") && brace_depth(&src[..pos]) <= 0 {
        "Protobuf editions are not supported: kit reads proto2 and proto3 files".to_owned()
    } else if expected.is_empty() && brace_depth(&src[..pos]) <= 0 {
        format!(
            "syntax error: expected a top-level statement (`syntax`, `package`, `import`, `option`, `message`, `enum`, `service` or `extend`), found {found}"
        )
    } else if expected.is_empty() {
        format!("syntax error: unexpected {found}")
    } else {
        let list = match expected.len() {
            1 => expected[0].to_owned(),
            n => format!("{} or {}", expected[..n - 1].join(", "), expected[n - 1]),
        };
        format!("syntax error: expected {list}, found {found}")
    };
    // Underline the whole next word, or one character.
    let word = src[pos..]
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    let one = src[pos..].chars().next().map(char::len_utf8).unwrap_or(0);
    let end = (pos + word.max(one)).min(src.len());
    Diagnostic::error(Span::new(file, pos..end), msg).with_label("unexpected here")
}

fn next_token(src: &str, pos: usize) -> String {
    let rest = &src[pos..];
    let Some(c) = rest.chars().next() else {
        return "end of file".to_owned();
    };
    if c.is_ascii_alphanumeric() || c == '_' {
        let w: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        format!("`{w}`")
    } else {
        format!("`{c}`")
    }
}

/// Skips whitespace and comments from `pos` (pest may report an error before them).
pub(crate) fn skip_trivia(src: &str, mut pos: usize) -> usize {
    let b = src.as_bytes();
    loop {
        while pos < b.len() && b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if b[pos..].starts_with(b"//") {
            while pos < b.len() && b[pos] != b'\n' {
                pos += 1;
            }
        } else if b[pos..].starts_with(b"/*") {
            match src[pos + 2..].find("*/") {
                Some(i) => pos += i + 4,
                None => return pos,
            }
        } else {
            return pos;
        }
    }
}

/// `{` minus `}` outside strings and comments (approximate, for error messages only).
fn brace_depth(src: &str) -> i64 {
    let mut depth = 0i64;
    crate::scan::scan(src, false, |piece| {
        match piece {
            crate::scan::Piece::Code(_, b'{') => depth += 1,
            crate::scan::Piece::Code(_, b'}') => depth -= 1,
            _ => {}
        }
        true
    });
    depth
}
