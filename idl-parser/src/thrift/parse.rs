//! Text to [`Ast`]: the pest grammar, one pass over its pairs, doc comments, and readable
//! syntax errors.

use pest::iterators::Pair;
use pest::Parser as _;

use super::ast::*;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{Annotation, AnnotationValue, Docs, StructKind};
use crate::source::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "thrift/thrift.pest"]
struct ThriftParser;

/// Parses one file; see [`super::parse`].
pub(crate) fn parse(file: FileId, src: &str, diags: &mut Diagnostics) -> Option<Ast> {
    let doc = match ThriftParser::parse(Rule::document, src) {
        Ok(mut pairs) => pairs.next()?,
        Err(e) => {
            diags.push(syntax_error(file, src, &e));
            recover(file, src, error_pos(src, &e), diags);
            return None;
        }
    };
    let mut b = Builder {
        file,
        src,
        comments: scan_comments(src),
        last_item: 0,
        diags,
    };
    Some(b.document(doc))
}

struct Builder<'s, 'd> {
    file: FileId,
    src: &'s str,
    /// Every comment `(start, end, is_doc)`, in source order.
    comments: Vec<(usize, usize, bool)>,
    /// Start of the last item (header, definition, field, ...) seen: doc comments before it
    /// belong to it or to an earlier item.
    last_item: usize,
    diags: &'d mut Diagnostics,
}

type P<'s> = Pair<'s, Rule>;

impl<'s> Builder<'s, '_> {
    fn span(&self, p: &P<'s>) -> Span {
        let s = p.as_span();
        Span::new(self.file, s.start()..s.end())
    }

    fn ident(&self, p: P<'s>) -> Ident {
        Ident {
            span: self.span(&p),
            name: p.as_str().to_string(),
        }
    }

    /// A name being declared: Apache Thrift rejects dots in it (`validate_simple_identifier`).
    fn simple_ident(&mut self, p: P<'s>) -> Ident {
        let id = self.ident(p);
        if id.name.contains('.') {
            self.diags.push(
                Diagnostic::error(
                    id.span,
                    format!(
                        "`{}` cannot be declared: names may not contain `.`",
                        id.name
                    ),
                )
                .with_label("dotted name")
                .with_note("dots are only for referring to names of included files: `file.Name`"),
            );
        }
        id
    }

    fn document(&mut self, doc: P<'s>) -> Ast {
        let mut ast = Ast::default();
        let mut first_header: Option<usize> = None;
        for p in doc.into_inner() {
            let start = p.as_span().start();
            if matches!(
                p.as_rule(),
                Rule::include | Rule::cpp_include | Rule::namespace | Rule::old_namespace
            ) {
                self.last_item = start;
            }
            match p.as_rule() {
                Rule::include => {
                    first_header.get_or_insert(start);
                    let span = self.span(&p);
                    if let Some(lit) = p.into_inner().find(|q| q.as_rule() == Rule::literal) {
                        let path = self.literal(&lit);
                        ast.includes.push(IncludeStmt { path, span });
                    }
                }
                Rule::cpp_include => {
                    first_header.get_or_insert(start);
                    if let Some(lit) = p.into_inner().find(|q| q.as_rule() == Rule::literal) {
                        let path = self.literal(&lit);
                        ast.cpp_includes.push(path);
                    }
                }
                Rule::namespace => {
                    first_header.get_or_insert(start);
                    let mut scope = String::new();
                    let mut name = String::new();
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::ns_scope => scope = q.as_str().to_string(),
                            Rule::ns_name => {
                                let s = q.as_str();
                                name = if s.starts_with('"') || s.starts_with('\'') {
                                    self.unescape(s, self.span(&q))
                                } else {
                                    s.to_string()
                                };
                            }
                            _ => {}
                        }
                    }
                    ast.namespaces.push((scope, name));
                }
                Rule::old_namespace => {
                    first_header.get_or_insert(start);
                    let mut inner = p.into_inner();
                    let (Some(kw), Some(val)) = (inner.next(), inner.next()) else {
                        continue;
                    };
                    let scope = match kw.as_str() {
                        "php_namespace" => "php",
                        "py_module" => "py",
                        "perl_package" => "perl",
                        "ruby_namespace" => "rb",
                        "smalltalk_category" => "smalltalk.category",
                        "smalltalk_prefix" => "smalltalk.prefix",
                        "java_package" => "java",
                        "cocoa_prefix" => "cocoa",
                        "xsd_namespace" => "xsd",
                        "csharp_namespace" => "csharp",
                        "delphi_namespace" => "delphi",
                        "cpp_namespace" => "cpp",
                        other => other,
                    };
                    let name = if val.as_rule() == Rule::literal {
                        self.literal(&val)
                    } else {
                        val.as_str().to_string()
                    };
                    ast.namespaces.push((scope.to_string(), name));
                }
                Rule::EOI => {}
                _ => {
                    if let Some(d) = self.definition(p) {
                        ast.defs.push(d);
                    }
                }
            }
        }
        // The program doc: the file's first doc comment, when it comes before the first header.
        if let Some(h) = first_header {
            if let Some(&(start, end, _)) = self.comments.iter().find(|c| c.2) {
                if end <= h {
                    let text = self.src.get(start + 3..end.saturating_sub(2)).unwrap_or("");
                    ast.docs = Docs(Some(clean_doc(text)));
                }
            }
        }
        ast
    }

    fn definition(&mut self, p: P<'s>) -> Option<Def> {
        let rule = p.as_rule();
        let docs = self.docs_before(p.as_span().start());
        let mut inner = p.into_inner().filter(|q| !is_keyword(q.as_rule()));
        let mut annotations = Vec::new();
        let (name, kind) = match rule {
            Rule::typedef => {
                let ty = self.field_type(inner.next()?);
                let name = self.simple_ident(inner.next()?);
                for q in inner {
                    if q.as_rule() == Rule::annotations {
                        annotations = self.annotations(q);
                    }
                }
                (name, DefKind::Typedef(ty))
            }
            Rule::const_def => {
                let ty = self.field_type(inner.next()?);
                let name = self.simple_ident(inner.next()?);
                let value = inner
                    .find(|q| q.as_rule() != Rule::eq)
                    .map(|q| self.const_value(q))?;
                (name, DefKind::Const { ty, value })
            }
            Rule::enum_def => {
                let name = self.simple_ident(inner.next()?);
                let mut values = Vec::new();
                for q in inner {
                    match q.as_rule() {
                        Rule::enum_value => values.push(self.enum_value(q)?),
                        Rule::annotations => annotations = self.annotations(q),
                        _ => {}
                    }
                }
                (name, DefKind::Enum(values))
            }
            Rule::senum_def => {
                let name = self.simple_ident(inner.next()?);
                for q in inner {
                    if q.as_rule() == Rule::annotations {
                        annotations = self.annotations(q);
                    }
                }
                (name, DefKind::Senum)
            }
            Rule::struct_def => {
                let kind = match inner.next()?.as_str() {
                    "union" => StructKind::Union,
                    "exception" => StructKind::Exception,
                    _ => StructKind::Struct,
                };
                let name = self.simple_ident(inner.next()?);
                let mut fields = Vec::new();
                for q in inner {
                    match q.as_rule() {
                        Rule::field => fields.push(self.field(q)?),
                        Rule::annotations => annotations = self.annotations(q),
                        _ => {}
                    }
                }
                (name, DefKind::Struct { kind, fields })
            }
            Rule::service => {
                let name = self.simple_ident(inner.next()?);
                let mut extends = None;
                let mut functions = Vec::new();
                for q in inner {
                    match q.as_rule() {
                        Rule::extends => extends = q.into_inner().next().map(|i| self.ident(i)),
                        Rule::function => functions.push(self.function(q)?),
                        Rule::annotations => annotations = self.annotations(q),
                        _ => {}
                    }
                }
                (name, DefKind::Service { extends, functions })
            }
            _ => return None,
        };
        Some(Def {
            name,
            docs,
            annotations,
            kind,
        })
    }

    fn enum_value(&mut self, p: P<'s>) -> Option<EnumValue> {
        let docs = self.docs_before(p.as_span().start());
        let mut inner = p.into_inner();
        let name = self.simple_ident(inner.next()?);
        let mut value = None;
        let mut annotations = Vec::new();
        for q in inner {
            match q.as_rule() {
                Rule::int_const => value = Some((parse_int(q.as_str()), self.span(&q))),
                Rule::annotations => annotations = self.annotations(q),
                _ => {}
            }
        }
        let value = match value {
            Some((Some(v), span)) => Some((v, span)),
            Some((None, span)) => {
                self.diags.error(span, "integer literal is too large");
                None
            }
            None => None,
        };
        Some(EnumValue {
            name,
            value,
            annotations,
            docs,
        })
    }

    fn field(&mut self, p: P<'s>) -> Option<Field> {
        let span = self.span(&p);
        let docs = self.docs_before(p.as_span().start());
        let mut id = None;
        let mut req = None;
        let mut ty = None;
        let mut name = None;
        let mut default = None;
        let mut annotations = Vec::new();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::field_id => {
                    if let Some(n) = q.into_inner().next() {
                        let s = self.span(&n);
                        match parse_int(n.as_str()) {
                            Some(v) => id = Some((v, s)),
                            None => {
                                self.diags.error(s, "field id is too large");
                                id = Some((i128::MAX, s));
                            }
                        }
                    }
                }
                Rule::field_req => {
                    let r = if q.as_str() == "required" {
                        Req::Required
                    } else {
                        Req::Optional
                    };
                    req = Some((r, self.span(&q)));
                }
                Rule::field_type => ty = Some(self.field_type(q)),
                Rule::ident if name.is_none() => name = Some(self.simple_ident(q)),
                Rule::annotations => annotations = self.annotations(q),
                Rule::reference | Rule::eq | Rule::field => {}
                _ => default = Some(self.const_value(q)),
            }
        }
        Some(Field {
            id,
            req,
            ty: ty?,
            name: name?,
            default,
            annotations,
            docs,
            span,
        })
    }

    fn function(&mut self, p: P<'s>) -> Option<Function> {
        let docs = self.docs_before(p.as_span().start());
        let mut oneway = None;
        let mut ret = None;
        let mut ret_span = self.span(&p);
        let mut name = None;
        let mut args = Vec::new();
        let mut throws = Vec::new();
        let mut annotations = Vec::new();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::oneway => oneway = Some(self.span(&q)),
                Rule::return_type => {
                    ret_span = self.span(&q);
                    if let Some(t) = q.into_inner().next() {
                        if t.as_rule() == Rule::field_type {
                            ret = Some(self.field_type(t));
                        }
                    }
                }
                Rule::ident => name = Some(self.simple_ident(q)),
                Rule::field => args.push(self.field(q)?),
                Rule::throws => {
                    for f in q.into_inner() {
                        if f.as_rule() == Rule::field {
                            throws.push(self.field(f)?);
                        }
                    }
                }
                Rule::annotations => annotations = self.annotations(q),
                _ => {}
            }
        }
        Some(Function {
            oneway,
            ret,
            ret_span,
            name: name?,
            args,
            throws,
            annotations,
            docs,
        })
    }

    fn field_type(&mut self, p: P<'s>) -> TypeRef {
        // The span of the type itself: the `field_type` pair may end in skipped whitespace.
        let mut span = self.span(&p);
        let mut kind = TypeKind::Named(String::new());
        for q in p.into_inner() {
            if q.as_rule() != Rule::annotations {
                span = self.span(&q);
            }
            match q.as_rule() {
                Rule::base_type => {
                    kind = TypeKind::Base(match q.as_str() {
                        "string" => BaseType::String,
                        "binary" => BaseType::Binary,
                        "slist" => BaseType::Slist,
                        "bool" => BaseType::Bool,
                        "byte" => BaseType::Byte,
                        "i8" => BaseType::I8,
                        "i16" => BaseType::I16,
                        "i32" => BaseType::I32,
                        "i64" => BaseType::I64,
                        "double" => BaseType::Double,
                        _ => BaseType::Uuid,
                    })
                }
                Rule::named_type => kind = TypeKind::Named(q.as_str().to_string()),
                Rule::list_type | Rule::set_type => {
                    let rule = q.as_rule();
                    let elem = q
                        .into_inner()
                        .find(|t| t.as_rule() == Rule::field_type)
                        .map(|t| self.field_type(t));
                    if let Some(e) = elem {
                        kind = if rule == Rule::list_type {
                            TypeKind::List(Box::new(e))
                        } else {
                            TypeKind::Set(Box::new(e))
                        };
                    }
                }
                Rule::map_type => {
                    let mut it = q.into_inner().filter(|t| t.as_rule() == Rule::field_type);
                    if let (Some(k), Some(v)) = (it.next(), it.next()) {
                        let k = self.field_type(k);
                        let v = self.field_type(v);
                        kind = TypeKind::Map(Box::new(k), Box::new(v));
                    }
                }
                // Annotations on types are accepted and dropped: the IR has no place for them.
                _ => {}
            }
        }
        TypeRef { kind, span }
    }

    fn annotations(&mut self, p: P<'s>) -> Vec<Annotation> {
        let mut out = Vec::new();
        for a in p.into_inner() {
            if a.as_rule() != Rule::annotation {
                continue;
            }
            let span = self.span(&a);
            let mut inner = a.into_inner();
            let Some(name) = inner.next() else { continue };
            let name = name.as_str().to_string();
            let value = match inner.find(|q| q.as_rule() != Rule::eq) {
                None => AnnotationValue::None,
                Some(v) => match v.as_rule() {
                    Rule::literal => AnnotationValue::Str(self.literal(&v)),
                    Rule::int_const => match parse_int(v.as_str()) {
                        Some(i) => AnnotationValue::Int(i),
                        None => AnnotationValue::Ident(v.as_str().to_string()),
                    },
                    Rule::double_const => match v.as_str().parse::<f64>() {
                        Ok(f) => AnnotationValue::Float(f),
                        Err(_) => AnnotationValue::Ident(v.as_str().to_string()),
                    },
                    _ => AnnotationValue::Ident(v.as_str().to_string()),
                },
            };
            out.push(Annotation { name, value, span });
        }
        out
    }

    fn const_value(&mut self, p: P<'s>) -> ConstExpr {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::int_const => ConstKind::Int(parse_int(p.as_str())),
            Rule::double_const => match p.as_str().parse::<f64>() {
                Ok(f) => ConstKind::Double(f),
                Err(_) => ConstKind::Int(None),
            },
            Rule::literal => ConstKind::Str(self.literal(&p)),
            Rule::ident => ConstKind::Ident(p.as_str().to_string()),
            Rule::const_list => ConstKind::List(
                p.into_inner()
                    .filter(|q| !matches!(q.as_rule(), Rule::lbracket | Rule::rbracket))
                    .map(|q| self.const_value(q))
                    .collect(),
            ),
            Rule::const_map => {
                let mut entries = Vec::new();
                for e in p.into_inner() {
                    if e.as_rule() != Rule::const_entry {
                        continue;
                    }
                    let mut it = e.into_inner().filter(|q| q.as_rule() != Rule::colon);
                    if let (Some(k), Some(v)) = (it.next(), it.next()) {
                        let k = self.const_value(k);
                        let v = self.const_value(v);
                        entries.push((k, v));
                    }
                }
                ConstKind::Map(entries)
            }
            _ => ConstKind::Int(Some(0)),
        };
        ConstExpr { kind, span }
    }

    /// The text of a `literal` pair, escapes processed.
    fn literal(&mut self, p: &P<'s>) -> String {
        let span = self.span(p);
        self.unescape(p.as_str(), span)
    }

    /// Apache Thrift's escapes: `\n \r \t \\ \" \'`; anything else is an error.
    fn unescape(&mut self, raw: &str, span: Span) -> String {
        let body = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        if !body.contains('\\') {
            return body.to_string();
        }
        let mut out = String::with_capacity(body.len());
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, 't')) => out.push('\t'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, '"')) => out.push('"'),
                Some((_, '\'')) => out.push('\''),
                Some((j, other)) => {
                    let start = span.start as usize + 1 + i;
                    let end = span.start as usize + 1 + j + other.len_utf8();
                    self.diags.push(
                        Diagnostic::error(
                            Span::new(self.file, start..end),
                            format!("unknown escape `\\{other}` in string literal"),
                        )
                        .with_label("unknown escape")
                        .with_note("Thrift knows the escapes \\n \\r \\t \\\\ \\\" and \\'"),
                    );
                    out.push(other);
                }
                None => out.push('\\'),
            }
        }
        out
    }

    /// The doc comment of the item starting at `pos`, cleaned up as Apache Thrift does.
    ///
    /// Apache Thrift hands the last doc comment read to the next item (definition, field,
    /// function, enum value) that starts: so it is the last doc comment between the start of
    /// the previous item and `pos`, wherever exactly it sits.
    fn docs_before(&mut self, pos: usize) -> Docs {
        let floor = std::mem::replace(&mut self.last_item, pos);
        let mut i = self.comments.partition_point(|c| c.1 <= pos);
        while i > 0 {
            let (start, end, is_doc) = self.comments[i - 1];
            if start < floor {
                break;
            }
            if is_doc {
                let text = self.src.get(start + 3..end.saturating_sub(2)).unwrap_or("");
                return Docs(Some(clean_doc(text)));
            }
            i -= 1;
        }
        Docs(None)
    }
}

/// Finds every comment (skipping string literals), marking `/** ... */` doc comments.
fn scan_comments(src: &str) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    crate::scan::scan(src, true, |piece| {
        if let crate::scan::Piece::Comment { start, end, doc } = piece {
            out.push((start, end, doc));
        }
        true
    });
    out
}

/// Apache Thrift's `clean_up_doctext`: drops trailing whitespace, a common ` * ` prefix and
/// the common indentation; the result has no trailing newline.
pub(crate) fn clean_doc(text: &str) -> String {
    let text = text.replace('\r', "");
    let mut lines: Vec<String> = text.split('\n').map(|l| l.trim_end().to_string()).collect();
    if let Some(first) = lines.first_mut() {
        *first = first.trim_start().to_string();
    }
    while lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    // A common `*` prefix, at the same column, on every non-blank line after the first.
    let mut have_prefix = true;
    let mut prefix: Option<usize> = None;
    for l in lines.iter().skip(1) {
        if l.is_empty() {
            continue;
        }
        let pos = l.find(|c| c != ' ' && c != '\t');
        match (prefix, pos) {
            (_, None) => {}
            (None, Some(p)) => {
                if l.as_bytes()[p] == b'*' {
                    prefix = Some(p);
                } else {
                    have_prefix = false;
                    break;
                }
            }
            (Some(pp), Some(p)) => {
                if p != pp || l.as_bytes()[p] != b'*' {
                    have_prefix = false;
                    break;
                }
            }
        }
    }
    if have_prefix {
        if let Some(p) = prefix {
            for l in lines.iter_mut().skip(1) {
                *l = l.get(p + 1..).unwrap_or("").to_string();
            }
        }
    }
    let indent = lines
        .iter()
        .skip(1)
        .filter_map(|l| l.find(|c| c != ' ' && c != '\t'))
        .min();
    if let Some(n) = indent {
        for l in lines.iter_mut().skip(1) {
            *l = l.get(n..).unwrap_or("").to_string();
        }
    }
    for l in lines.iter_mut() {
        *l = l.trim_end().to_string();
    }
    if lines.len() > 1 && lines.first().is_some_and(|l| l.is_empty()) {
        lines.remove(0);
    }
    lines.join("\n")
}

/// Parses `[+-]?(0x[0-9a-fA-F]+|[0-9]+)`; `None` on overflow of `i128`.
pub(crate) fn parse_int(s: &str) -> Option<i128> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = match rest.strip_prefix("0x") {
        Some(h) => (16, h),
        None => (10, rest),
    };
    let mut v: i128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)? as i128;
        v = v.checked_mul(radix as i128)?.checked_add(d)?;
    }
    Some(if neg { -v } else { v })
}

fn is_keyword(r: Rule) -> bool {
    matches!(
        r,
        Rule::kw_include
            | Rule::kw_cpp_include
            | Rule::kw_namespace
            | Rule::kw_typedef
            | Rule::kw_const
            | Rule::kw_enum
            | Rule::kw_senum
            | Rule::kw_service
            | Rule::kw_extends
            | Rule::kw_throws
            | Rule::kw_cpp_type
            | Rule::kw_xsd_all
    )
}

/// One readable diagnostic for a pest failure.
/// Most syntax errors reported for one file.
const MAX_SYNTAX_ERRORS: usize = 20;

fn error_pos(src: &str, e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
    .min(src.len())
}

/// Finds further syntax errors after the first: blanks the top-level definition around the
/// last error (keeping every offset and newline, so positions stay true) and parses again, as
/// long as each new error lies past the previous one.
fn recover(file: FileId, src: &str, mut last: usize, diags: &mut Diagnostics) {
    let mut text = src.as_bytes().to_vec();
    for _ in 1..MAX_SYNTAX_ERRORS {
        let Some((start, end)) = definition_around(&text, last) else {
            return;
        };
        for b in &mut text[start..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        // Only ASCII bytes bound the blanked range and all inside became spaces: still UTF-8.
        let Ok(t) = std::str::from_utf8(&text) else {
            return;
        };
        let e = match ThriftParser::parse(Rule::document, t) {
            Ok(_) => return,
            Err(e) => e,
        };
        let pos = error_pos(t, &e);
        if pos <= last || pos >= t.len() {
            return;
        }
        diags.push(syntax_error(file, t, &e));
        last = pos;
    }
}

/// The top-level definition holding byte `pos`: from the start of the line where it began
/// (the last line starting at nesting depth 0 with a word) to the end of its outermost
/// `{...}`, or to the end of its line when it has no body.
fn definition_around(b: &[u8], pos: usize) -> Option<(usize, usize)> {
    if pos >= b.len() {
        return None;
    }
    let src = std::str::from_utf8(b).ok()?;
    let mut depth = 0i64;
    let mut start = 0;
    let mut end = None;
    let mut at_line_start = true;
    let mut line_start = 0;
    crate::scan::scan(src, true, |piece| {
        let (i, c) = match piece {
            crate::scan::Piece::Code(i, c) => (i, c),
            crate::scan::Piece::Comment { .. } => return true,
        };
        if i < pos {
            match c {
                b'\n' => {
                    at_line_start = true;
                    line_start = i + 1;
                }
                b'{' | b'(' | b'[' => depth += 1,
                b'}' | b')' | b']' => depth -= 1,
                c if at_line_start && depth <= 0 && c.is_ascii_alphabetic() => start = line_start,
                _ => {}
            }
            if !c.is_ascii_whitespace() {
                at_line_start = false;
            }
            return true;
        }
        // At or past the error: close what is open, then stop at the end of the line.
        match c {
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' => {
                depth -= 1;
                if depth <= 0 {
                    end = Some(i + 1);
                    return false;
                }
            }
            b'\n' if depth <= 0 => {
                end = Some(i);
                return false;
            }
            _ => {}
        }
        true
    });
    let end = end.unwrap_or(b.len()).max(pos + 1).min(b.len());
    Some((start.min(pos), end))
}

fn syntax_error(file: FileId, src: &str, e: &pest::error::Error<Rule>) -> Diagnostic {
    let pos = error_pos(src, e);
    let (found, len) = found_at(src, pos);
    let mut expected: Vec<&'static str> = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            let d = describe(*r);
            if !d.is_empty() && !expected.contains(&d) {
                expected.push(d);
            }
        }
    }
    // Everything a constant value may start with reads better as one item.
    let value_starts = ["an integer", "a number", "`[`"];
    if value_starts.iter().all(|v| expected.contains(v)) {
        let folded = [
            "an identifier",
            "an integer",
            "a number",
            "a string literal",
            "`[`",
            "`{`",
        ];
        let at = expected
            .iter()
            .position(|e| folded.contains(e))
            .unwrap_or(0);
        expected.retain(|e| !folded.contains(e));
        expected.insert(at.min(expected.len()), "a constant value");
    }
    let msg = match expected.len() {
        0 => format!("unexpected {found}"),
        1 => format!("expected {}, found {found}", expected[0]),
        n => format!(
            "expected {} or {}, found {found}",
            expected[..n - 1].join(", "),
            expected[n - 1]
        ),
    };
    Diagnostic::error(Span::new(file, pos..pos + len), msg).with_label(if expected.is_empty() {
        "unexpected here".to_string()
    } else {
        "syntax error".to_string()
    })
}

/// The token at `pos`, for "found ...", and its length in bytes.
fn found_at(src: &str, pos: usize) -> (String, usize) {
    let rest = src.get(pos..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return ("end of file".to_string(), 0);
    };
    if c.is_ascii_alphanumeric() || c == '_' {
        let n = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        let n = n.min(40);
        return (format!("`{}`", &rest[..n]), n);
    }
    if c == '"' || c == '\'' {
        let line = rest[1..].split('\n').next().unwrap_or("");
        let closed = line.contains(c);
        let what = if closed {
            "a string literal"
        } else {
            "an unterminated string literal (strings end on the line they start)"
        };
        return (what.to_string(), c.len_utf8());
    }
    if rest.starts_with("/*") {
        return ("an unterminated comment `/*`".to_string(), 2);
    }
    let shown = if c.is_whitespace() || c.is_control() {
        format!("{c:?}")
    } else {
        format!("`{c}`")
    };
    (shown, c.len_utf8())
}

fn describe(r: Rule) -> &'static str {
    match r {
        Rule::EOI => "end of file",
        Rule::ident | Rule::named_type | Rule::extends => "an identifier",
        Rule::include | Rule::cpp_include | Rule::namespace | Rule::old_namespace => {
            "a header (`include`, `namespace`)"
        }
        Rule::typedef
        | Rule::const_def
        | Rule::enum_def
        | Rule::senum_def
        | Rule::struct_def
        | Rule::service => "a definition",
        Rule::enum_value => "an enum value",
        Rule::field | Rule::field_id | Rule::field_req => "a field",
        Rule::function | Rule::oneway | Rule::return_type => "a function",
        Rule::void
        | Rule::field_type
        | Rule::base_type
        | Rule::map_type
        | Rule::set_type
        | Rule::list_type => "a type",
        Rule::reference => "",
        Rule::throws | Rule::kw_throws => "`throws`",
        Rule::kw_extends => "`extends`",
        Rule::kw_include | Rule::kw_cpp_include | Rule::kw_namespace => {
            "a header (`include`, `namespace`)"
        }
        Rule::kw_typedef | Rule::kw_const | Rule::kw_enum | Rule::kw_senum | Rule::kw_service => {
            "a definition"
        }
        Rule::annotations | Rule::ann_open => "",
        Rule::annotation => "an annotation",
        Rule::const_list | Rule::const_map | Rule::const_entry => "a constant value",
        Rule::int_const => "an integer",
        Rule::double_const => "a number",
        Rule::literal | Rule::literal_raw => "a string literal",
        Rule::ns_scope => "a namespace scope",
        Rule::ns_name => "a namespace name",
        Rule::struct_kind | Rule::old_ns_kw | Rule::document => "",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::langle => "`<`",
        Rule::rangle => "`>`",
        Rule::eq => "`=`",
        Rule::colon => "`:`",
        Rule::comma => "`,`",
        _ => "",
    }
}
