//! Compares kit's IR with Apache Thrift 0.25's `--gen json` dump of every corpus file it
//! accepts (`expected/thrift-json/**.json`): names, field ids, requiredness, types (typedefs
//! resolved, as the dump shows them), enum values, services and their methods, annotations on
//! definitions, fields and methods, constant values and defaults, and doc comments.

mod thrift_common;

use kit_idl::ir::{
    Annotation, AnnotationValue, ConstValue, DefId, DefKind, Field, Ir, Presence, StructKind, Type,
};
use serde_json::Value;
use thrift_common::*;
use walkdir::WalkDir;

/// Apache's spelling of a type: `i32`, `list<struct:inc.S>`, `map<enum:E,string>`.
fn kit_type(ir: &Ir, main: kit_idl::source::FileId, t: &Type) -> String {
    let mut t = t;
    for _ in 0..1000 {
        if let Type::Ref(id) = t {
            if let DefKind::Alias(target) = &ir.def(*id).kind {
                t = target;
                continue;
            }
        }
        break;
    }
    match t {
        Type::Bool => "bool".into(),
        Type::I8 => "i8".into(),
        Type::I16 => "i16".into(),
        Type::I32 => "i32".into(),
        Type::I64 => "i64".into(),
        Type::Double => "double".into(),
        Type::String => "string".into(),
        Type::Bytes => "binary".into(),
        Type::Uuid => "uuid".into(),
        Type::List(e) => format!("list<{}>", kit_type(ir, main, e)),
        Type::Set(e) => format!("set<{}>", kit_type(ir, main, e)),
        Type::Map(k, v) => format!("map<{},{}>", kit_type(ir, main, k), kit_type(ir, main, v)),
        Type::Ref(id) => {
            let d = ir.def(*id);
            let kind = match &d.kind {
                DefKind::Struct(s) => match s.kind {
                    StructKind::Struct => "struct",
                    StructKind::Union => "union",
                    StructKind::Exception => "exception",
                },
                DefKind::Enum(_) => "enum",
                _ => "?",
            };
            format!("{kind}:{}", class(ir, main, *id))
        }
        other => format!("{other:?}"),
    }
}

fn class(ir: &Ir, main: kit_idl::source::FileId, id: DefId) -> String {
    let d = ir.def(id);
    if d.file == main {
        d.name.clone()
    } else {
        d.full_name.clone()
    }
}

fn json_type(type_id: &Value, ty: Option<&Value>) -> String {
    let id = type_id.as_str().unwrap_or("?");
    let ty = ty.unwrap_or(&Value::Null);
    match id {
        "list" | "set" => format!("{id}<{}>", json_type(&ty["elemTypeId"], ty.get("elemType"))),
        "map" => format!(
            "map<{},{}>",
            json_type(&ty["keyTypeId"], ty.get("keyType")),
            json_type(&ty["valueTypeId"], ty.get("valueType"))
        ),
        "struct" | "union" | "exception" | "enum" => {
            format!("{id}:{}", ty["class"].as_str().unwrap_or("?"))
        }
        other => other.to_string(),
    }
}

fn presence(p: Presence) -> &'static str {
    match p {
        Presence::Required => "required",
        Presence::Optional => "optional",
        Presence::Default => "req_out",
    }
}

fn fields_line(ir: &Ir, main: kit_idl::source::FileId, fields: &[Field]) -> Vec<String> {
    fields
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}{}{}{}",
                f.id,
                f.name,
                kit_type(ir, main, &f.ty),
                presence(f.presence),
                f.default
                    .as_ref()
                    .map(|d| format!(" = {}", normalize(&kit_value(ir, d))))
                    .unwrap_or_default(),
                kit_ann(&f.annotations),
                kit_doc(&f.docs)
            )
        })
        .collect()
}

/// ` ann={...}` when there are annotations (a key without value reads `"1"` as in Apache).
fn kit_ann(a: &[Annotation]) -> String {
    if a.is_empty() {
        return String::new();
    }
    let mut m = serde_json::Map::new();
    for x in a {
        let v = match &x.value {
            AnnotationValue::None => "1".to_string(),
            AnnotationValue::Str(s) | AnnotationValue::Ident(s) | AnnotationValue::Aggregate(s) => {
                s.clone()
            }
            AnnotationValue::Int(i) => i.to_string(),
            AnnotationValue::Float(f) => f.to_string(),
            AnnotationValue::Bool(b) => b.to_string(),
        };
        m.insert(x.name.clone(), Value::from(v));
    }
    format!(" ann={}", Value::Object(m))
}

fn json_ann(v: &Value) -> String {
    match v.get("annotations") {
        Some(a) => format!(" ann={a}"),
        None => String::new(),
    }
}

/// ` doc=<text>` when there is a doc comment (Apache ends each doc line with `\n`).
fn kit_doc(d: &kit_idl::ir::Docs) -> String {
    match &d.0 {
        Some(t) => format!(" doc={:?}", format!("{t}\n")),
        None => String::new(),
    }
}

fn json_doc(v: &Value) -> String {
    match v.get("doc").and_then(Value::as_str) {
        Some(t) => format!(" doc={t:?}"),
        None => String::new(),
    }
}

fn json_fields(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    format!(
                        "{} {} {} {}{}{}{}",
                        f["key"],
                        f["name"].as_str().unwrap_or("?"),
                        json_type(&f["typeId"], f.get("type")),
                        f["required"].as_str().unwrap_or("?"),
                        f.get("default")
                            .map(|d| format!(" = {}", normalize(d)))
                            .unwrap_or_default(),
                        json_ann(f),
                        json_doc(f)
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One line per fact, in the order the dump lists them.
fn kit_facts(ir: &Ir, main: kit_idl::source::FileId) -> Vec<String> {
    let file = ir.file(main);
    let mut out = vec![format!("program{}", kit_doc(&file.docs))];
    let defs: Vec<_> = file.defs.iter().map(|id| ir.def(*id)).collect();
    for d in &defs {
        if let DefKind::Enum(e) = &d.kind {
            out.push(format!(
                "enum {}{}{}",
                d.name,
                kit_ann(&d.annotations),
                kit_doc(&d.docs)
            ));
            for v in &e.values {
                out.push(format!(
                    "enum {} {} = {}{}",
                    d.name,
                    v.name,
                    v.value,
                    kit_doc(&v.docs)
                ));
            }
        }
    }
    for d in &defs {
        if let DefKind::Alias(t) = &d.kind {
            out.push(format!(
                "typedef {} {}{}{}",
                d.name,
                kit_type(ir, main, t),
                kit_ann(&d.annotations),
                kit_doc(&d.docs)
            ));
        }
    }
    for d in &defs {
        if let DefKind::Struct(s) = &d.kind {
            out.push(format!(
                "struct {} exception={} union={}{}{}",
                d.name,
                s.kind == StructKind::Exception,
                s.kind == StructKind::Union,
                kit_ann(&d.annotations),
                kit_doc(&d.docs)
            ));
            for f in fields_line(ir, main, &s.fields) {
                out.push(format!("  field {f}"));
            }
        }
    }
    for d in &defs {
        if let DefKind::Const(c) = &d.kind {
            out.push(format!(
                "const {} {} = {}{}",
                d.name,
                kit_type(ir, main, &c.ty),
                normalize(&kit_value(ir, &c.value)),
                kit_doc(&d.docs)
            ));
        }
    }
    for d in &defs {
        if let DefKind::Service(s) = &d.kind {
            let ext = s.extends.map(|e| class(ir, main, e)).unwrap_or_default();
            out.push(format!(
                "service {} extends {ext}{}{}",
                d.name,
                kit_ann(&d.annotations),
                kit_doc(&d.docs)
            ));
            for m in &s.methods {
                let ret = m
                    .result
                    .as_ref()
                    .map(|t| kit_type(ir, main, t))
                    .unwrap_or_else(|| "void".into());
                out.push(format!(
                    "  method {} -> {ret} oneway={}{}{}",
                    m.name,
                    m.oneway,
                    kit_ann(&m.annotations),
                    kit_doc(&m.docs)
                ));
                for f in fields_line(ir, main, &m.args) {
                    out.push(format!("    arg {f}"));
                }
                for f in fields_line(ir, main, &m.throws) {
                    out.push(format!("    throws {f}"));
                }
            }
        }
    }
    out
}

fn json_facts(j: &Value) -> Vec<String> {
    let mut out = vec![format!("program{}", json_doc(j))];
    let arr = |k: &str| j[k].as_array().cloned().unwrap_or_default();
    for e in arr("enums") {
        out.push(format!(
            "enum {}{}{}",
            e["name"].as_str().unwrap_or("?"),
            json_ann(&e),
            json_doc(&e)
        ));
        for m in e["members"].as_array().cloned().unwrap_or_default() {
            out.push(format!(
                "enum {} {} = {}{}",
                e["name"].as_str().unwrap_or("?"),
                m["name"].as_str().unwrap_or("?"),
                m["value"],
                json_doc(&m)
            ));
        }
    }
    for t in arr("typedefs") {
        out.push(format!(
            "typedef {} {}{}{}",
            t["name"].as_str().unwrap_or("?"),
            json_type(&t["typeId"], t.get("type")),
            json_ann(&t),
            json_doc(&t)
        ));
    }
    for s in arr("structs") {
        out.push(format!(
            "struct {} exception={} union={}{}{}",
            s["name"].as_str().unwrap_or("?"),
            s["isException"],
            s["isUnion"],
            json_ann(&s),
            json_doc(&s)
        ));
        for f in json_fields(&s["fields"]) {
            out.push(format!("  field {f}"));
        }
    }
    for c in arr("constants") {
        out.push(format!(
            "const {} {} = {}{}",
            c["name"].as_str().unwrap_or("?"),
            json_type(&c["typeId"], c.get("type")),
            normalize(&c["value"]),
            json_doc(&c)
        ));
    }
    for s in arr("services") {
        out.push(format!(
            "service {} extends {}{}{}",
            s["name"].as_str().unwrap_or("?"),
            s["extends"].as_str().unwrap_or(""),
            json_ann(&s),
            json_doc(&s)
        ));
        for f in s["functions"].as_array().cloned().unwrap_or_default() {
            out.push(format!(
                "  method {} -> {} oneway={}{}{}",
                f["name"].as_str().unwrap_or("?"),
                json_type(&f["returnTypeId"], f.get("returnType")),
                f["oneway"],
                json_ann(&f),
                json_doc(&f)
            ));
            for a in json_fields(&f["arguments"]) {
                out.push(format!("    arg {a}"));
            }
            for a in json_fields(&f["exceptions"]) {
                out.push(format!("    throws {a}"));
            }
        }
    }
    out
}

/// A constant as Apache's dump writes it: enums and bools as numbers, maps and structs as
/// objects (keys as strings), binary as text.
fn kit_value(ir: &Ir, v: &ConstValue) -> Value {
    match v {
        ConstValue::Bool(b) => Value::from(i64::from(*b)),
        ConstValue::Int(i) => Value::from(*i),
        ConstValue::Double(f) => Value::from(*f),
        ConstValue::Str(s) => Value::from(s.clone()),
        ConstValue::Bytes(b) => Value::from(String::from_utf8_lossy(b).into_owned()),
        ConstValue::Enum { value, .. } => Value::from(*value),
        ConstValue::List(items) => Value::Array(items.iter().map(|i| kit_value(ir, i)).collect()),
        ConstValue::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match kit_value(ir, k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, kit_value(ir, v))
                })
                .collect(),
        ),
        ConstValue::Struct { def, fields } => {
            let names: Vec<(i32, String)> = match &ir.def(*def).kind {
                DefKind::Struct(s) => s.fields.iter().map(|f| (f.id, f.name.clone())).collect(),
                _ => Vec::new(),
            };
            Value::Object(
                fields
                    .iter()
                    .map(|(id, v)| {
                        let name = names
                            .iter()
                            .find(|(i, _)| i == id)
                            .map(|(_, n)| n.clone())
                            .unwrap_or_default();
                        (name, kit_value(ir, v))
                    })
                    .collect(),
            )
        }
    }
}

/// Canonical text: object keys sorted, every number as a double with 13 significant digits
/// (Apache prints doubles with less precision than they were written with).
fn normalize(v: &Value) -> String {
    fn walk(v: &Value) -> Value {
        match v {
            Value::Number(n) => Value::from(format!("{:.12e}", n.as_f64().unwrap_or(f64::NAN))),
            Value::Array(a) => Value::Array(a.iter().map(walk).collect()),
            // Apache keeps `{}` written for an empty set as a map.
            Value::Object(o) if o.is_empty() => Value::Array(Vec::new()),
            Value::Object(o) => {
                Value::Object(o.iter().map(|(k, v)| (k.clone(), walk(v))).collect())
            }
            other => other.clone(),
        }
    }
    walk(v).to_string()
}

/// The dump with its `"constants": [...]` section emptied.
fn without_constants(text: &str) -> Option<String> {
    let start = text.find("\"constants\": [")?;
    let end = start + text[start..].find("\"services\": [")?;
    Some(format!(
        "{}\"constants\": [],\n  {}",
        &text[..start],
        &text[end..]
    ))
}

#[test]
fn ir_matches_apache_json_dump() {
    let root = corpus().join("expected/thrift-json");
    let mut mismatches = Vec::new();
    let mut n = 0;
    for e in WalkDir::new(&root).sort_by_file_name() {
        let e = e.expect("walk");
        if e.path().extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        n += 1;
        let rel_json = e.path().strip_prefix(&root).expect("under root");
        let rel = format!(
            "thrift/{}",
            rel_json
                .with_extension("thrift")
                .to_string_lossy()
                .replace('\\', "/")
        );
        let text = std::fs::read_to_string(e.path()).expect("read json");
        // Apache writes map constants with non-string keys as invalid JSON; without the
        // constants section those dumps parse, and constants are then left out of the diff.
        let (j, with_consts): (Value, bool) = match serde_json::from_str(&text) {
            Ok(j) => (j, true),
            Err(_) => match without_constants(&text).and_then(|t| serde_json::from_str(&t).ok()) {
                Some(j) => (j, false),
                None => {
                    mismatches.push(format!("{rel}: unreadable json"));
                    continue;
                }
            },
        };
        let c = compile_corpus(&rel);
        if c.has_errors() {
            mismatches.push(format!("{rel}: rejected:\n{}", c.render_diagnostics(false)));
            continue;
        }
        let Some(main) = c.ir.files.iter().find(|f| f.is_input).map(|f| f.id) else {
            mismatches.push(format!("{rel}: no input file in the IR"));
            continue;
        };
        let mut kit = kit_facts(&c.ir, main);
        if !with_consts {
            kit.retain(|l| !l.starts_with("const "));
        }
        let apache = json_facts(&j);
        if kit != apache {
            let mut diff = Vec::new();
            for i in 0..kit.len().max(apache.len()) {
                let (a, b) = (apache.get(i), kit.get(i));
                if a != b {
                    diff.push(format!(
                        "    apache: {}\n    kit:    {}",
                        a.map(String::as_str).unwrap_or("<none>"),
                        b.map(String::as_str).unwrap_or("<none>")
                    ));
                    if diff.len() >= 3 {
                        break;
                    }
                }
            }
            mismatches.push(format!("{rel}:\n{}", diff.join("\n")));
        }
    }
    assert_eq!(n, 277, "expected 277 JSON dumps");
    assert!(
        mismatches.is_empty(),
        "{} of {n} files differ from Apache's dump:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
