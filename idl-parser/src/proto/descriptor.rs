//! The parser's view of a file as a `FileDescriptorProto` (JSON, descriptor field names), as
//! protoc's parser produces it before linking: type names as written, map entry messages
//! synthesised, no options. For tests against protoc's parser unit tests only.

use serde_json::{json, Map, Value};

use super::ast::*;
use crate::diag::Diagnostics;
use crate::ir::IncludeKind;
use crate::source::FileId;

/// Parses `src` and returns its unlinked `FileDescriptorProto` as JSON, or the rendered
/// syntax errors.
pub fn parse_to_descriptor(src: &str) -> Result<Value, String> {
    let mut diags = Diagnostics::default();
    let Some(ast) = super::parse::parse(FileId(0), src, &mut diags) else {
        let msgs: Vec<String> = diags.items.iter().map(|d| d.message.clone()).collect();
        return Err(msgs.join("\n"));
    };
    let proto3 = ast.syntax.as_ref().is_some_and(|s| s.0 == "proto3");
    let mut f = Map::new();
    if let Some(p) = ast.packages.first() {
        f.insert("package".into(), json!(p.0));
    }
    let mut deps = Vec::new();
    let mut public = Vec::new();
    let mut weak = Vec::new();
    for (i, imp) in ast.imports.iter().enumerate() {
        deps.push(json!(imp.path));
        match imp.kind {
            IncludeKind::Public => public.push(json!(i)),
            IncludeKind::Weak => weak.push(json!(i)),
            IncludeKind::Normal => {}
        }
    }
    put(&mut f, "dependency", deps);
    put(&mut f, "public_dependency", public);
    put(&mut f, "weak_dependency", weak);
    let mut messages = Vec::new();
    let mut enums = Vec::new();
    let mut services = Vec::new();
    let mut exts = Vec::new();
    for item in &ast.items {
        match item {
            Item::Message(m) => messages.push(message(&m.name, &m.body, proto3)),
            Item::Enum(e) => enums.push(enum_(e)),
            Item::Service(s) => services.push(service(s)),
            Item::Extend(x) => extend(x, proto3, &mut exts, &mut messages),
        }
    }
    put(&mut f, "message_type", messages);
    put(&mut f, "enum_type", enums);
    put(&mut f, "service", services);
    put(&mut f, "extension", exts);
    if let Some(s) = &ast.syntax {
        f.insert("syntax".into(), json!(s.0));
    }
    Ok(Value::Object(f))
}

fn put(m: &mut Map<String, Value>, k: &str, v: Vec<Value>) {
    if !v.is_empty() {
        m.insert(k.into(), Value::Array(v));
    }
}

fn message(name: &str, body: &MsgBody, proto3: bool) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    let mut fields = Vec::new();
    let mut nested = Vec::new();
    let mut enums = Vec::new();
    let mut exts = Vec::new();
    let mut oneofs = Vec::new();
    let mut ext_ranges = Vec::new();
    let mut res_ranges = Vec::new();
    let mut res_names = Vec::new();
    let mut synthetic: Vec<(usize, String)> = Vec::new();
    let message_set = body.elems.iter().any(|e| {
        matches!(e, MsgElem::Option(o) if o.name == "message_set_wire_format"
            && matches!(&o.value, ConstAst::Ident { name, .. } if name == "true"))
    });
    let max = if message_set {
        i32::MAX as i64
    } else {
        536_870_911
    };
    let taken = |n: &str| {
        body.elems.iter().any(|e| match e {
            MsgElem::Oneof(o) => o.name == n || o.fields.iter().any(|f| f.name == n),
            MsgElem::Field(f) => f.name == n,
            _ => false,
        })
    };
    for e in &body.elems {
        match e {
            MsgElem::Field(f) => {
                let mut v = field(f, proto3, &mut nested);
                if proto3 && matches!(f.label, Some((Label::Optional, _))) {
                    v["proto3_optional"] = json!(true);
                    let mut n = if f.name.starts_with('_') {
                        f.name.clone()
                    } else {
                        format!("_{}", f.name)
                    };
                    while taken(&n) || synthetic.iter().any(|s| s.1 == n) {
                        n.insert(0, 'X');
                    }
                    synthetic.push((fields.len(), n));
                }
                fields.push(v);
            }
            MsgElem::Oneof(o) => {
                let idx = oneofs.len();
                oneofs.push(json!({ "name": o.name }));
                for f in &o.fields {
                    let mut v = field(f, proto3, &mut nested);
                    v["oneof_index"] = json!(idx);
                    fields.push(v);
                }
            }
            MsgElem::Message(n) => nested.push(message(&n.name, &n.body, proto3)),
            MsgElem::Enum(en) => enums.push(enum_(en)),
            MsgElem::Extend(x) => extend(x, proto3, &mut exts, &mut nested),
            MsgElem::Extensions(x) => {
                for r in &x.ranges {
                    if let Some((s, e)) = range(r, max) {
                        ext_ranges.push(json!({ "start": s, "end": e }));
                    }
                }
            }
            MsgElem::Reserved(r) => {
                for rg in &r.ranges {
                    if let Some((s, e)) = range(rg, max) {
                        res_ranges.push(json!({ "start": s, "end": e }));
                    }
                }
                for n in &r.names {
                    res_names.push(json!(n.0));
                }
            }
            MsgElem::Option(_) => {}
        }
    }
    for (i, name) in synthetic {
        fields[i]["oneof_index"] = json!(oneofs.len());
        oneofs.push(json!({ "name": name }));
    }
    put(&mut m, "field", fields);
    put(&mut m, "nested_type", nested);
    put(&mut m, "enum_type", enums);
    put(&mut m, "extension_range", ext_ranges);
    put(&mut m, "extension", exts);
    put(&mut m, "oneof_decl", oneofs);
    put(&mut m, "reserved_range", res_ranges);
    put(&mut m, "reserved_name", res_names);
    Value::Object(m)
}

fn range(r: &RangeAst, max: i64) -> Option<(i64, i64)> {
    let s = r.start.as_i64()?;
    let e = match &r.end {
        None => s,
        Some(None) => max,
        Some(Some(e)) => e.as_i64()?,
    };
    Some((s, (e + 1).min(i32::MAX as i64)))
}

fn scalar_type(n: &str) -> Option<&'static str> {
    Some(match n {
        "double" => "TYPE_DOUBLE",
        "float" => "TYPE_FLOAT",
        "int32" => "TYPE_INT32",
        "int64" => "TYPE_INT64",
        "uint32" => "TYPE_UINT32",
        "uint64" => "TYPE_UINT64",
        "sint32" => "TYPE_SINT32",
        "sint64" => "TYPE_SINT64",
        "fixed32" => "TYPE_FIXED32",
        "fixed64" => "TYPE_FIXED64",
        "sfixed32" => "TYPE_SFIXED32",
        "sfixed64" => "TYPE_SFIXED64",
        "bool" => "TYPE_BOOL",
        "string" => "TYPE_STRING",
        "bytes" => "TYPE_BYTES",
        _ => return None,
    })
}

fn set_type(m: &mut Map<String, Value>, name: &str) {
    match scalar_type(name) {
        Some(t) => {
            m.insert("type".into(), json!(t));
        }
        None => {
            m.insert("type_name".into(), json!(name));
        }
    }
}

/// protoc's map entry message name: `foo_bar` -> `FooBarEntry`.
pub fn map_entry_name(field: &str) -> String {
    let mut out = String::with_capacity(field.len() + 5);
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
    out.push_str("Entry");
    out
}

fn field(f: &FieldAst, proto3: bool, nested: &mut Vec<Value>) -> Value {
    let mut m = Map::new();
    let label = match f.label.map(|l| l.0) {
        Some(Label::Required) => "LABEL_REQUIRED",
        Some(Label::Repeated) => "LABEL_REPEATED",
        _ => "LABEL_OPTIONAL",
    };
    match &f.ty {
        FieldTy::Named(n, _) => {
            m.insert("name".into(), json!(f.name));
            set_type(&mut m, n);
            m.insert("label".into(), json!(label));
        }
        FieldTy::Group(body) => {
            m.insert("name".into(), json!(f.name.to_ascii_lowercase()));
            m.insert("type".into(), json!("TYPE_GROUP"));
            m.insert("type_name".into(), json!(f.name));
            m.insert("label".into(), json!(label));
            nested.push(message(&f.name, body, proto3));
        }
        FieldTy::Map(k, v) => {
            m.insert("name".into(), json!(f.name));
            let entry = map_entry_name(&f.name);
            m.insert("type_name".into(), json!(entry));
            m.insert("label".into(), json!("LABEL_REPEATED"));
            let mut kf = Map::new();
            kf.insert("name".into(), json!("key"));
            kf.insert("number".into(), json!(1));
            kf.insert("label".into(), json!("LABEL_OPTIONAL"));
            if let FieldTy::Named(n, _) = &**k {
                set_type(&mut kf, n);
            }
            let mut vf = Map::new();
            vf.insert("name".into(), json!("value"));
            vf.insert("number".into(), json!(2));
            vf.insert("label".into(), json!("LABEL_OPTIONAL"));
            if let FieldTy::Named(n, _) = &**v {
                set_type(&mut vf, n);
            }
            nested.push(
                json!({ "name": entry, "field": [kf, vf], "options": { "map_entry": true } }),
            );
        }
    }
    if let Some(n) = f.number.as_i64() {
        m.insert("number".into(), json!(n));
    }
    for o in &f.options {
        match (o.name.as_str(), &o.value) {
            ("default", v) => {
                let s = match v {
                    ConstAst::Int(i) => match i.value {
                        Some(x) if i.neg => format!("-{x}"),
                        Some(x) => x.to_string(),
                        None => continue,
                    },
                    ConstAst::Float(x) => format!("{x:?}"),
                    ConstAst::Ident { neg, name } => {
                        format!("{}{name}", if *neg { "-" } else { "" })
                    }
                    ConstAst::Str(b) => {
                        if matches!(&f.ty, FieldTy::Named(n, _) if n == "bytes") {
                            c_escape(b)
                        } else {
                            String::from_utf8_lossy(b).into_owned()
                        }
                    }
                    ConstAst::Aggregate(a) => a.clone(),
                };
                m.insert("default_value".into(), json!(s));
            }
            ("json_name", ConstAst::Str(b)) => {
                m.insert("json_name".into(), json!(String::from_utf8_lossy(b)));
            }
            _ => {}
        }
    }
    Value::Object(m)
}

/// protoc's `CEscape`.
pub fn c_escape(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        match c {
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            b'"' => s.push_str("\\\""),
            b'\'' => s.push_str("\\'"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\{c:03o}")),
        }
    }
    s
}

fn enum_(e: &EnumAst) -> Value {
    let values: Vec<Value> = e
        .values
        .iter()
        .map(|v| json!({ "name": v.name, "number": v.number.as_i64().unwrap_or(0) }))
        .collect();
    let mut m = Map::new();
    m.insert("name".into(), json!(e.name));
    put(&mut m, "value", values);
    let mut ranges = Vec::new();
    let mut names = Vec::new();
    for r in &e.reserved {
        for rg in &r.ranges {
            if let Some((s, e)) = range(rg, i32::MAX as i64) {
                let end = if matches!(rg.end, Some(None)) {
                    e
                } else {
                    e - 1
                };
                ranges.push(json!({ "start": s, "end": end }));
            }
        }
        for n in &r.names {
            names.push(json!(n.0));
        }
    }
    put(&mut m, "reserved_range", ranges);
    put(&mut m, "reserved_name", names);
    Value::Object(m)
}

fn extend(x: &ExtendAst, proto3: bool, exts: &mut Vec<Value>, nested: &mut Vec<Value>) {
    for f in &x.fields {
        let mut v = field(f, proto3, nested);
        v["extendee"] = json!(x.extendee);
        if proto3 && matches!(f.label, Some((Label::Optional, _))) {
            v["proto3_optional"] = json!(true);
        }
        exts.push(v);
    }
}

fn service(s: &ServiceAst) -> Value {
    let methods: Vec<Value> = s
        .rpcs
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("name".into(), json!(r.name));
            m.insert("input_type".into(), json!(r.input.0));
            m.insert("output_type".into(), json!(r.output.0));
            if r.client_streaming {
                m.insert("client_streaming".into(), json!(true));
            }
            if r.server_streaming {
                m.insert("server_streaming".into(), json!(true));
            }
            Value::Object(m)
        })
        .collect();
    let mut m = Map::new();
    m.insert("name".into(), json!(s.name));
    put(&mut m, "method", methods);
    Value::Object(m)
}
