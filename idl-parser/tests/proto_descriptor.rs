//! IR golden tests against protoc's descriptors:
//! - `expected/proto-descriptor/**.textproto`: protoc 3.21's FileDescriptorSet of each file of
//!   protobuf-v21.12, googleapis and grpc-proto, compared with kit's IR;
//! - `proto-parses-to/protobuf-parser-unittest`: protoc's parser output for 41 snippets,
//!   compared with kit's unlinked parse (all 41) and with the IR (those that link).
//!
//! Compared: names, numbers, labels, types, type names, default values, oneof indexes,
//! proto3_optional, nested types (map entries synthesised from `Type::Map`), enums, extension
//! and reserved ranges, extensions, services and methods, dependencies, and the options of
//! descriptor.proto (name and value) at every level. Not compared: custom options (protoc
//! stores them as extension fields), json_name, enum reserved ranges in the IR (not kept).

use std::path::{Path, PathBuf};

use kit_idl::ir::{
    ConstValue, Def, DefKind, FileExt, IncludeKind, Ir, Language, Presence, Struct, Type,
};
use kit_idl::{compile, Options, OsLoader};
use serde_json::{json, Map, Value};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")
}

// ------------------------------------------------------------------ text format

/// Fields that are `repeated` in descriptor.proto (they become JSON arrays).
const REPEATED: &[&str] = &[
    "file",
    "message_type",
    "enum_type",
    "service",
    "extension",
    "field",
    "nested_type",
    "oneof_decl",
    "value",
    "method",
    "reserved_range",
    "reserved_name",
    "extension_range",
    "dependency",
    "public_dependency",
    "weak_dependency",
    "uninterpreted_option",
];

struct Tf<'a> {
    s: &'a [u8],
    i: usize,
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Punct(u8),
    End,
}

impl Tf<'_> {
    fn skip(&mut self) {
        while self.i < self.s.len() {
            let c = self.s[self.i];
            if c.is_ascii_whitespace() {
                self.i += 1;
            } else if c == b'#' {
                while self.i < self.s.len() && self.s[self.i] != b'\n' {
                    self.i += 1;
                }
            } else {
                break;
            }
        }
    }
    fn next(&mut self) -> Tok {
        self.skip();
        let Some(&c) = self.s.get(self.i) else {
            return Tok::End;
        };
        if c == b'"' || c == b'\'' {
            self.i += 1;
            let mut out = Vec::new();
            while self.i < self.s.len() && self.s[self.i] != c {
                if self.s[self.i] == b'\\' && self.i + 1 < self.s.len() {
                    let start = self.i;
                    self.i += 2;
                    let e = self.s[start + 1];
                    match e {
                        b'0'..=b'7' => {
                            let mut v = (e - b'0') as u32;
                            let mut n = 1;
                            while n < 3
                                && self.i < self.s.len()
                                && (b'0'..=b'7').contains(&self.s[self.i])
                            {
                                v = v * 8 + (self.s[self.i] - b'0') as u32;
                                self.i += 1;
                                n += 1;
                            }
                            out.push(v as u8);
                        }
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'x' => {
                            let mut v = 0u32;
                            let mut n = 0;
                            while n < 2
                                && self.i < self.s.len()
                                && self.s[self.i].is_ascii_hexdigit()
                            {
                                v = v * 16 + (self.s[self.i] as char).to_digit(16).unwrap();
                                self.i += 1;
                                n += 1;
                            }
                            out.push(v as u8);
                        }
                        other => out.push(other),
                    }
                } else {
                    out.push(self.s[self.i]);
                    self.i += 1;
                }
            }
            self.i += 1;
            // Keep raw bytes losslessly: Latin-1 style mapping so bytes survive.
            return Tok::Str(out.iter().map(|&b| b as char).collect());
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let st = self.i;
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_alphanumeric()
                    || self.s[self.i] == b'_'
                    || self.s[self.i] == b'.')
            {
                self.i += 1;
            }
            return Tok::Ident(String::from_utf8_lossy(&self.s[st..self.i]).into_owned());
        }
        if c.is_ascii_digit() || c == b'-' || c == b'.' {
            let st = self.i;
            self.i += 1;
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_alphanumeric()
                    || matches!(self.s[self.i], b'.' | b'+' | b'-'))
            {
                self.i += 1;
            }
            return Tok::Num(String::from_utf8_lossy(&self.s[st..self.i]).into_owned());
        }
        self.i += 1;
        Tok::Punct(c)
    }

    fn message(&mut self, close: Option<u8>) -> Value {
        let mut m = Map::new();
        loop {
            let key = match self.next() {
                Tok::Ident(k) => k,
                Tok::Num(k) => k,
                Tok::Punct(b'[') => {
                    let mut k = String::from("[");
                    loop {
                        match self.next() {
                            Tok::Punct(b']') | Tok::End => break,
                            Tok::Ident(x) | Tok::Num(x) | Tok::Str(x) => k.push_str(&x),
                            Tok::Punct(c) => k.push(c as char),
                        }
                    }
                    k + "]"
                }
                Tok::Punct(b';') | Tok::Punct(b',') => continue,
                Tok::Punct(c) if Some(c) == close => break,
                Tok::End if close.is_none() => break,
                t => panic!("text format: unexpected {t:?} at {}", self.i),
            };
            let mut t = self.next();
            if t == Tok::Punct(b':') {
                t = self.next();
            }
            let vals: Vec<Value> = match t {
                Tok::Punct(b'{') => vec![self.message(Some(b'}'))],
                Tok::Punct(b'<') => vec![self.message(Some(b'>'))],
                Tok::Punct(b'[') => {
                    let mut v = Vec::new();
                    loop {
                        match self.next() {
                            Tok::Punct(b']') => break,
                            Tok::Punct(b',') => {}
                            Tok::Punct(b'{') => v.push(self.message(Some(b'}'))),
                            t => v.push(scalar(t)),
                        }
                    }
                    v
                }
                t => vec![scalar(t)],
            };
            for v in vals {
                if REPEATED.contains(&key.as_str()) {
                    m.entry(key.clone())
                        .or_insert_with(|| Value::Array(Vec::new()))
                        .as_array_mut()
                        .unwrap()
                        .push(v);
                } else {
                    m.insert(key.clone(), v);
                }
            }
        }
        Value::Object(m)
    }
}

fn scalar(t: Tok) -> Value {
    match t {
        Tok::Str(s) => Value::String(s),
        Tok::Ident(i) if i == "true" => Value::Bool(true),
        Tok::Ident(i) if i == "false" => Value::Bool(false),
        Tok::Ident(i) => Value::String(i),
        Tok::Num(n) => match n.strip_prefix("0x") {
            Some(h) => i64::from_str_radix(h, 16)
                .map(|v| json!(v))
                .unwrap_or_else(|_| Value::String(n)),
            None => n
                .parse::<i64>()
                .map(|v| json!(v))
                .unwrap_or_else(|_| Value::String(n)),
        },
        t => panic!("text format: unexpected {t:?}"),
    }
}

fn parse_text_format(text: &str) -> Value {
    Tf {
        s: text.as_bytes(),
        i: 0,
    }
    .message(None)
}

// ------------------------------------------------------------------ normalisation

const KEEP: &[&str] = &[
    "name",
    "package",
    "dependency",
    "public_dependency",
    "weak_dependency",
    "message_type",
    "enum_type",
    "service",
    "extension",
    "field",
    "nested_type",
    "oneof_decl",
    "value",
    "method",
    "number",
    "label",
    "type",
    "type_name",
    "default_value",
    "oneof_index",
    "proto3_optional",
    "extendee",
    "input_type",
    "output_type",
    "client_streaming",
    "server_streaming",
    "reserved_range",
    "reserved_name",
    "extension_range",
    "start",
    "end",
    "syntax",
    "options",
];

fn unescape_c(s: &str) -> Vec<u8> {
    // `s` holds bytes as chars (see Tf); decode C escapes.
    let b: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let e = b[i + 1];
            i += 2;
            match e {
                b'0'..=b'7' => {
                    let mut v = (e - b'0') as u32;
                    let mut n = 1;
                    while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                        v = v * 8 + (b[i] - b'0') as u32;
                        i += 1;
                        n += 1;
                    }
                    out.push(v as u8);
                }
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                other => out.push(other),
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn norm_default(ty: Option<&str>, s: &str) -> String {
    match ty {
        Some("TYPE_DOUBLE" | "TYPE_FLOAT") => match s.parse::<f64>() {
            Ok(v) => format!("{v:?}"),
            Err(_) => s.to_owned(),
        },
        Some("TYPE_BYTES") => unescape_c(s).iter().map(|b| format!("{b:02x}")).collect(),
        // Text-format strings carry bytes as Latin-1 chars; make them UTF-8 again.
        _ => {
            let b: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
            if s.chars().all(|c| (c as u32) < 256) {
                String::from_utf8_lossy(&b).into_owned()
            } else {
                s.to_owned()
            }
        }
    }
}

fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            let ty = m.get("type").and_then(Value::as_str);
            for (k, x) in m {
                if !KEEP.contains(&k.as_str()) {
                    continue;
                }
                if k == "syntax" && x == "proto2" {
                    continue;
                }
                if k == "options" {
                    // Options of descriptor.proto only (custom ones are `[ext]` keys).
                    let mut o = Map::new();
                    if let Value::Object(opts) = x {
                        for (ok, ov) in opts {
                            if ok.starts_with(|c: char| c.is_ascii_alphabetic())
                                && ok != "uninterpreted_option"
                            {
                                o.insert(ok.clone(), normalize(ov));
                            }
                        }
                    }
                    if !o.is_empty() {
                        out.insert(k.clone(), Value::Object(o));
                    }
                    continue;
                }
                if k == "default_value" {
                    out.insert(k.clone(), json!(norm_default(ty, x.as_str().unwrap_or(""))));
                    continue;
                }
                if matches!(
                    k.as_str(),
                    "client_streaming" | "server_streaming" | "proto3_optional"
                ) && x == &Value::Bool(false)
                {
                    continue;
                }
                out.insert(k.clone(), normalize(x));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        Value::String(s) => Value::String(norm_default(None, s)),
        other => other.clone(),
    }
}

/// A readable diff: the first differing path.
fn first_diff(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => {
                        if let Some(d) = first_diff(&p, u, v) {
                            return Some(d);
                        }
                    }
                    (u, v) => return Some(format!("{p}: expected {} / kit {}", show(u), show(v))),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                let label = u
                    .get("name")
                    .and_then(Value::as_str)
                    .map(|n| format!("[{i}:{n}]"))
                    .unwrap_or(format!("[{i}]"));
                if let Some(d) = first_diff(&format!("{path}{label}"), u, v) {
                    return Some(d);
                }
            }
            if x.len() != y.len() {
                return Some(format!(
                    "{path}: expected {} items / kit {}",
                    x.len(),
                    y.len()
                ));
            }
            None
        }
        _ if a == b => None,
        _ => Some(format!("{path}: expected {a} / kit {b}")),
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(v) => {
            let s = v.to_string();
            if s.len() > 120 {
                format!("{}...", &s[..120])
            } else {
                s
            }
        }
    }
}

// ------------------------------------------------------------------ IR -> descriptor JSON

fn map_entry_name(field: &str) -> String {
    let mut out = String::new();
    let mut cap = true;
    for c in field.chars() {
        if c == '_' {
            cap = true;
        } else if cap {
            out.push(c.to_ascii_uppercase());
            cap = false;
        } else {
            out.push(c);
        }
    }
    out + "Entry"
}

fn c_escape(b: &[u8]) -> String {
    b.iter()
        .map(|&c| match c {
            b'\\' => "\\\\".to_owned(),
            0x20..=0x7e => (c as char).to_string(),
            _ => format!("\\{c:03o}"),
        })
        .collect()
}

/// The `descriptor.proto` options among annotations, as a descriptor's `options` object.
fn options_json(anns: &[kit_idl::ir::Annotation]) -> Option<Value> {
    use kit_idl::ir::AnnotationValue as A;
    let mut m = Map::new();
    for a in anns {
        if a.name.starts_with('(') || a.name.contains('.') {
            continue;
        }
        let v = match &a.value {
            A::Str(s) => json!(s),
            A::Int(i) => json!(*i as i64),
            A::Float(f) => json!(f),
            A::Bool(b) => json!(b),
            A::Ident(i) => json!(i),
            A::Aggregate(t) => json!(t),
            A::None => Value::Null,
        };
        m.insert(a.name.clone(), v);
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

struct R<'a> {
    ir: &'a Ir,
}

impl R<'_> {
    fn def(&self, id: kit_idl::ir::DefId) -> &Def {
        self.ir.def(id)
    }

    /// `(type, type_name)` of an element type.
    fn ty(&self, t: &Type, group: bool) -> (String, Option<String>) {
        let s = |x: &str| (x.to_owned(), None);
        match t {
            Type::Double => s("TYPE_DOUBLE"),
            Type::Float => s("TYPE_FLOAT"),
            Type::I32 => s("TYPE_INT32"),
            Type::I64 => s("TYPE_INT64"),
            Type::U32 => s("TYPE_UINT32"),
            Type::U64 => s("TYPE_UINT64"),
            Type::SInt32 => s("TYPE_SINT32"),
            Type::SInt64 => s("TYPE_SINT64"),
            Type::Fixed32 => s("TYPE_FIXED32"),
            Type::Fixed64 => s("TYPE_FIXED64"),
            Type::SFixed32 => s("TYPE_SFIXED32"),
            Type::SFixed64 => s("TYPE_SFIXED64"),
            Type::Bool => s("TYPE_BOOL"),
            Type::String => s("TYPE_STRING"),
            Type::Bytes => s("TYPE_BYTES"),
            Type::Ref(id) => {
                let d = self.def(*id);
                let k = match &d.kind {
                    DefKind::Enum(_) => "TYPE_ENUM",
                    _ if group => "TYPE_GROUP",
                    _ => "TYPE_MESSAGE",
                };
                (k.to_owned(), Some(format!(".{}", d.full_name)))
            }
            other => panic!("unexpected element type {other:?}"),
        }
    }

    fn field(&self, f: &kit_idl::ir::Field, scope: &str, entries: &mut Vec<(u32, Value)>) -> Value {
        let p = f.proto.clone().unwrap_or_default();
        let mut m = Map::new();
        m.insert("name".into(), json!(f.name));
        m.insert("number".into(), json!(f.id));
        let label = if matches!(f.ty, Type::List(_) | Type::Map(..)) {
            "LABEL_REPEATED"
        } else if f.presence == Presence::Required {
            "LABEL_REQUIRED"
        } else {
            "LABEL_OPTIONAL"
        };
        m.insert("label".into(), json!(label));
        let elem = match &f.ty {
            Type::List(e) => (**e).clone(),
            t => t.clone(),
        };
        if let Type::Map(k, v) = &elem {
            let entry = map_entry_name(&f.name);
            m.insert("type".into(), json!("TYPE_MESSAGE"));
            m.insert("type_name".into(), json!(format!(".{scope}.{entry}")));
            let kv = |name: &str, n: i32, t: &Type| {
                let (ty, tn) = self.ty(t, false);
                let mut x = Map::new();
                x.insert("name".into(), json!(name));
                x.insert("number".into(), json!(n));
                x.insert("label".into(), json!("LABEL_OPTIONAL"));
                x.insert("type".into(), json!(ty));
                if let Some(tn) = tn {
                    x.insert("type_name".into(), json!(tn));
                }
                Value::Object(x)
            };
            entries.push((
                f.span.start,
                json!({ "name": entry, "field": [kv("key", 1, k), kv("value", 2, v)],
                        "options": { "map_entry": true } }),
            ));
        } else {
            let (ty, tn) = self.ty(&elem, p.group);
            m.insert("type".into(), json!(ty));
            if let Some(tn) = tn {
                m.insert("type_name".into(), json!(tn));
            }
        }
        if let Some(d) = &f.default {
            let s = match d {
                ConstValue::Bool(b) => b.to_string(),
                // uint64/fixed64 defaults are stored as the u64's bit pattern.
                ConstValue::Int(i) if matches!(elem, Type::U64 | Type::Fixed64) => {
                    (*i as u64).to_string()
                }
                ConstValue::Int(i) => i.to_string(),
                ConstValue::Double(x) => format!("{x:?}"),
                ConstValue::Str(s) => s.clone(),
                ConstValue::Bytes(b) => c_escape(b),
                ConstValue::Enum { def, value } => match &self.def(*def).kind {
                    DefKind::Enum(e) => e
                        .values
                        .iter()
                        .find(|v| v.value == *value)
                        .map(|v| v.name.clone())
                        .unwrap_or_default(),
                    _ => String::new(),
                },
                other => format!("{other:?}"),
            };
            m.insert("default_value".into(), json!(s));
        }
        if let Some(o) = f.oneof {
            m.insert("oneof_index".into(), json!(o));
        }
        if p.proto3_optional {
            m.insert("proto3_optional".into(), json!(true));
        }
        if let Some(o) = options_json(&f.annotations) {
            m.insert("options".into(), o);
        }
        Value::Object(m)
    }

    fn extensions(
        &self,
        exts: &[kit_idl::ir::Extension],
        scope: &str,
        nested: &mut Vec<(u32, Value)>,
    ) -> Vec<Value> {
        exts.iter()
            .map(|x| {
                let mut v = self.field(&x.field, scope, nested);
                v["extendee"] = json!(format!(".{}", self.def(x.extendee).full_name));
                v
            })
            .collect()
    }

    fn message(&self, d: &Def) -> Value {
        let DefKind::Struct(s) = &d.kind else {
            unreachable!()
        };
        let Struct {
            fields,
            oneofs,
            nested,
            proto,
            ..
        } = s;
        let p = proto.clone().unwrap_or_default();
        let mut entries: Vec<(u32, Value)> = Vec::new();
        let fields: Vec<Value> = fields
            .iter()
            .map(|f| self.field(f, &d.full_name, &mut entries))
            .collect();
        let mut nested_msgs: Vec<(u32, Value)> = Vec::new();
        let mut enums = Vec::new();
        for &n in nested {
            let nd = self.def(n);
            match &nd.kind {
                DefKind::Struct(_) => nested_msgs.push((nd.span.start, self.message(nd))),
                DefKind::Enum(_) => enums.push(self.enum_(nd)),
                _ => {}
            }
        }
        let exts = self.extensions(&p.extensions, &d.full_name, &mut entries);
        nested_msgs.extend(entries);
        nested_msgs.sort_by_key(|x| x.0);
        let mut m = Map::new();
        m.insert("name".into(), json!(d.name));
        if let Some(o) = options_json(&d.annotations) {
            m.insert("options".into(), o);
        }
        let mut put = |k: &str, v: Vec<Value>| {
            if !v.is_empty() {
                m.insert(k.into(), Value::Array(v));
            }
        };
        put("field", fields);
        put(
            "nested_type",
            nested_msgs.into_iter().map(|x| x.1).collect(),
        );
        put("enum_type", enums);
        put(
            "extension_range",
            p.extension_ranges
                .iter()
                .map(|(s, e)| json!({"start": s, "end": e}))
                .collect(),
        );
        put("extension", exts);
        put(
            "oneof_decl",
            oneofs.iter().map(|o| json!({"name": o.name})).collect(),
        );
        put(
            "reserved_range",
            p.reserved_ranges
                .iter()
                .map(|(s, e)| json!({"start": s, "end": e}))
                .collect(),
        );
        put(
            "reserved_name",
            p.reserved_names.iter().map(|n| json!(n)).collect(),
        );
        Value::Object(m)
    }

    fn enum_(&self, d: &Def) -> Value {
        let DefKind::Enum(e) = &d.kind else {
            unreachable!()
        };
        let mut v = json!({
            "name": d.name,
            "value": e.values.iter().map(|v| {
                let mut x = json!({"name": v.name, "number": v.value});
                if let Some(o) = options_json(&v.annotations) {
                    x["options"] = o;
                }
                x
            }).collect::<Vec<_>>(),
        });
        if let Some(o) = options_json(&d.annotations) {
            v["options"] = o;
        }
        v
    }

    fn service(&self, d: &Def) -> Value {
        let DefKind::Service(s) = &d.kind else {
            unreachable!()
        };
        let methods: Vec<Value> = s
            .methods
            .iter()
            .map(|m| {
                let input = match &m.args[0].ty {
                    Type::Ref(id) => format!(".{}", self.def(*id).full_name),
                    _ => String::new(),
                };
                let output = match &m.result {
                    Some(Type::Ref(id)) => format!(".{}", self.def(*id).full_name),
                    _ => String::new(),
                };
                let mut x = json!({"name": m.name, "input_type": input, "output_type": output,
                       "client_streaming": m.client_streaming, "server_streaming": m.server_streaming});
                if let Some(o) = options_json(&m.annotations) {
                    x["options"] = o;
                }
                x
            })
            .collect();
        let mut v = json!({ "name": d.name });
        if let Some(o) = options_json(&d.annotations) {
            v["options"] = o;
        }
        if !methods.is_empty() {
            v["method"] = Value::Array(methods);
        }
        v
    }

    fn file(&self, f: &kit_idl::ir::File) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(f.name));
        if let Some(p) = &f.package {
            m.insert("package".into(), json!(p));
        }
        let deps: Vec<Value> = f.includes.iter().map(|i| json!(i.path)).collect();
        let public: Vec<Value> = f
            .includes
            .iter()
            .enumerate()
            .filter(|(_, i)| i.kind == IncludeKind::Public)
            .map(|(n, _)| json!(n))
            .collect();
        let weak: Vec<Value> = f
            .includes
            .iter()
            .enumerate()
            .filter(|(_, i)| i.kind == IncludeKind::Weak)
            .map(|(n, _)| json!(n))
            .collect();
        let mut msgs = Vec::new();
        let mut enums = Vec::new();
        let mut svcs = Vec::new();
        for &id in &f.defs {
            let d = self.def(id);
            match &d.kind {
                DefKind::Struct(_) => msgs.push(self.message(d)),
                DefKind::Enum(_) => enums.push(self.enum_(d)),
                DefKind::Service(_) => svcs.push(self.service(d)),
                _ => {}
            }
        }
        let mut none = Vec::new();
        let exts = match &f.ext {
            FileExt::Proto(p) => {
                self.extensions(&p.extensions, f.package.as_deref().unwrap_or(""), &mut none)
            }
            _ => Vec::new(),
        };
        for (k, v) in [
            ("dependency", deps),
            ("public_dependency", public),
            ("weak_dependency", weak),
            ("message_type", msgs),
            ("enum_type", enums),
            ("service", svcs),
            ("extension", exts),
        ] {
            if !v.is_empty() {
                m.insert(k.into(), Value::Array(v));
            }
        }
        if f.language == Language::Proto3 {
            m.insert("syntax".into(), json!("proto3"));
        }
        if let Some(o) = options_json(&f.options) {
            m.insert("options".into(), o);
        }
        Value::Object(m)
    }
}

// ------------------------------------------------------------------ tests

fn textprotos(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().to_string_lossy().ends_with(".textproto"))
        .map(|e| e.path().to_path_buf())
        .collect();
    v.sort();
    v
}

fn roots(folder: &str) -> Vec<PathBuf> {
    let c = corpus().join("proto");
    match folder {
        "protobuf-v21.12" => vec![c.join("protobuf-v21.12")],
        "googleapis" => vec![c.join("googleapis"), c.join("protobuf-v21.12")],
        _ => vec![
            c.join("grpc-proto"),
            c.join("protobuf-v21.12"),
            c.join("googleapis"),
        ],
    }
}

#[test]
fn ir_matches_protoc_descriptors() {
    let base = corpus().join("expected/proto-descriptor");
    let files = textprotos(&base);
    assert_eq!(files.len(), 171);
    let mut failures = Vec::new();
    for t in &files {
        let rel = t.strip_prefix(&base).unwrap();
        let folder = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let inner = rel.strip_prefix(&folder).unwrap().with_extension("proto");
        let proto = corpus().join("proto").join(&folder).join(&inner);
        let set = parse_text_format(&std::fs::read_to_string(t).unwrap());
        let name = inner.to_string_lossy().replace('\\', "/");
        let expected = set["file"]
            .as_array()
            .and_then(|fs| fs.iter().find(|f| f["name"] == json!(name)))
            .cloned()
            .unwrap_or_else(|| panic!("{}: no file {name}", t.display()));
        let c = compile(
            std::slice::from_ref(&proto),
            &Options {
                include_dirs: roots(&folder),
            },
            &OsLoader,
        );
        if c.has_errors() {
            failures.push(format!(
                "{name}: kit rejects it:\n{}",
                c.render_diagnostics(false)
            ));
            continue;
        }
        let Some(f) = c.ir.files.iter().find(|f| f.name == name) else {
            failures.push(format!("{name}: not in the IR"));
            continue;
        };
        let actual = R { ir: &c.ir }.file(f);
        let mut expected = expected;
        strip_enum_reserved(&mut expected);
        if let Some(d) = first_diff("file", &normalize(&expected), &normalize(&actual)) {
            failures.push(format!("{folder}/{name}: {d}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ from protoc:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

fn parses_to_cases() -> Vec<PathBuf> {
    let dir = corpus().join("proto-parses-to/protobuf-parser-unittest");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "proto"))
        .collect();
    v.sort();
    v
}

fn expected_of(p: &Path) -> Value {
    let t = p.with_extension("expected.textproto");
    parse_text_format(&std::fs::read_to_string(t).unwrap())
}

/// All 41 snippets parse, and the unlinked parse matches protoc's parser output.
#[test]
fn parser_output_matches_protoc_parser() {
    let cases = parses_to_cases();
    assert_eq!(cases.len(), 41);
    let mut failures = Vec::new();
    for p in &cases {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let src = std::fs::read_to_string(p).unwrap();
        match kit_idl::__proto_parse_to_descriptor(&src) {
            Err(e) => failures.push(format!("{name}: parse error: {e}")),
            Ok(actual) => {
                if let Some(d) =
                    first_diff("file", &normalize(&expected_of(p)), &normalize(&actual))
                {
                    failures.push(format!("{name}: {d}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 41 differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The snippets that protoc can also link compile, and their IR matches protoc's parser output
/// once type names are compared by their last component (protoc's parser leaves them as
/// written).
#[test]
fn linkable_parser_cases_match_in_the_ir() {
    let dir = corpus().join("proto-parses-to/protobuf-parser-unittest");
    let mut compiled = 0;
    let mut failures = Vec::new();
    for p in &parses_to_cases() {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let c = compile(
            std::slice::from_ref(p),
            &Options {
                include_dirs: vec![dir.clone()],
            },
            &OsLoader,
        );
        if c.has_errors() {
            continue;
        }
        compiled += 1;
        let f = c.ir.files.last().unwrap();
        let mut actual = R { ir: &c.ir }.file(f);
        strip_linking(&mut actual);
        let mut expected = expected_of(p);
        strip_linking(&mut expected);
        strip_enum_reserved(&mut expected);
        if let Some(m) = actual.as_object_mut() {
            m.remove("name");
        }
        if let Some(d) = first_diff("file", &normalize(&expected), &normalize(&actual)) {
            failures.push(format!("{name}: {d}"));
        }
    }
    println!("{compiled} of 41 parser cases compile");
    assert!(compiled >= 23, "only {compiled} cases compile");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Drops what only linking adds: `type` of named types, leading-dot qualification, the file
/// name.
fn strip_linking(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("json_name");
            // protoc's parser leaves options uninterpreted.
            m.remove("options");
            if let Some(Value::String(t)) = m.get("type") {
                if t == "TYPE_MESSAGE" || t == "TYPE_ENUM" {
                    m.remove("type");
                }
            }
            for k in ["type_name", "extendee", "input_type", "output_type"] {
                if let Some(Value::String(t)) = m.get_mut(k) {
                    *t = t.rsplit('.').next().unwrap_or("").to_owned();
                }
            }
            for (_, x) in m.iter_mut() {
                strip_linking(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_linking),
        _ => {}
    }
}

/// The IR keeps no enum reserved ranges/names (kit checks them while lowering; code
/// generation has no use for them), so they are compared in the unlinked parse only.
fn strip_enum_reserved(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(es)) = m.get_mut("enum_type") {
                for e in es {
                    if let Some(o) = e.as_object_mut() {
                        o.remove("reserved_range");
                        o.remove("reserved_name");
                    }
                }
            }
            for (_, x) in m.iter_mut() {
                strip_enum_reserved(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_enum_reserved),
        _ => {}
    }
}
