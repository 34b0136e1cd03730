//! Agreement with the Python protobuf runtime (the one grpcio-tools installs).
//!
//! For each value of `TestAllTypesProto3` below, kit encodes it; `tests/py/proto_peer.py` parses
//! kit's bytes, compares the message with the same value built in Python (`==`, a field diff with
//! doubles compared bitwise, and deterministic serializations, which cover unknown fields) and
//! re-serializes it; kit then decodes Python's bytes and compares with the original value. Where
//! the encoding is deterministic (no map with more than one entry) kit's bytes must equal
//! Python's.
//!
//! Python code is generated at test time with `$KIT_PYTHON -m grpc_tools.protoc`, so it matches the
//! installed protobuf runtime; the interpreter is `$KIT_PYTHON`, else
//! `<workspace>/target/py/bin/python` (see `.ci/run`).

mod common;

use kit_runtime::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{bytes_diff, python, run_peer, short, TempDir};
use kit_codegen_tests::pb::google::protobuf::{
    BoolValue, DoubleValue, Duration, FieldMask, Int32Value, StringValue, Timestamp,
};
use kit_codegen_tests::pb::protobuf_test_messages::proto2::{
    test_all_types_proto2 as t2, ForeignEnumProto2, ForeignMessageProto2, TestAllTypesProto2 as M2,
};
use kit_codegen_tests::pb::protobuf_test_messages::proto3::{
    test_all_types_proto3::{AliasedEnum, NestedEnum, NestedMessage, OneofField},
    ForeignEnum, ForeignMessage, TestAllTypesProto3 as M,
};
use kit_runtime::bytes::Bytes;
use kit_runtime::protobuf::Message;
use kit_runtime::ByteStr;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// Unknown to TestAllTypesProto3: 9999 varint 300, 10000 bytes "abc", 10001 fixed32, 10002
/// fixed64, group 10003 holding field 1 = 1. Also in proto_peer.py.
const UNKNOWN: &str =
    "f8f004ac0282f104036162638df1040102030491f10401020304050607089bf10408019cf104";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

struct Case {
    name: &'static str,
    /// No map with more than one entry: kit's bytes must equal Python's.
    deterministic: bool,
    /// Holds NaN: compare encodings (bitwise) instead of `==`.
    nan: bool,
    value: M,
}

fn case(name: &'static str, deterministic: bool, value: M) -> Case {
    Case {
        name,
        deterministic,
        nan: false,
        value,
    }
}

fn nan_case(name: &'static str, value: M) -> Case {
    Case {
        name,
        deterministic: true,
        nan: true,
        value,
    }
}

fn s(v: &str) -> ByteStr {
    ByteStr::from(v.to_string())
}

fn nested(a: i32) -> NestedMessage {
    NestedMessage {
        a,
        ..Default::default()
    }
}

fn foreign(c: i32) -> ForeignMessage {
    ForeignMessage {
        c,
        ..Default::default()
    }
}

fn oneof(o: OneofField) -> M {
    M {
        oneof_field: Some(o),
        ..Default::default()
    }
}

/// 1 MiB and a bit of mixed-width UTF-8, as `BIG` in proto_peer.py.
fn big() -> ByteStr {
    ByteStr::from("abc\u{e9}\u{1F600}".repeat((1 << 20) / 9 + 1))
}

fn with_unknown() -> M {
    let known = M {
        optional_int32: 5,
        optional_nested_message: Some(Box::new(nested(1))),
        ..Default::default()
    };
    let mut b = known.encode_to_bytes().to_vec();
    // optional_foreign_message (19) holding unknown field 9999 = 1.
    b.extend(hex("9a0104f8f00401"));
    b.extend(hex(UNKNOWN));
    let m = M::decode(Bytes::from(b)).expect("kit decodes unknown fields");
    assert_eq!(m.unknown_fields.len(), 5);
    assert_eq!(
        m.optional_foreign_message
            .as_ref()
            .unwrap()
            .unknown_fields
            .len(),
        1
    );
    m
}

/// Must stay in step with `CASES` in tests/py/proto_peer.py.
fn cases() -> Vec<Case> {
    vec![
        case("empty", true, M::default()),
        case(
            "scalars_max",
            true,
            M {
                optional_int32: i32::MAX,
                optional_int64: i64::MAX,
                optional_uint32: u32::MAX,
                optional_uint64: u64::MAX,
                optional_sint32: i32::MAX,
                optional_sint64: i64::MAX,
                optional_fixed32: u32::MAX,
                optional_fixed64: u64::MAX,
                optional_sfixed32: i32::MAX,
                optional_sfixed64: i64::MAX,
                optional_float: f32::MAX,
                optional_double: f64::MAX,
                optional_bool: true,
                optional_string: s("max"),
                optional_bytes: Bytes::from_static(b"\xff"),
                ..Default::default()
            },
        ),
        case(
            "scalars_min",
            true,
            M {
                optional_int32: i32::MIN,
                optional_int64: i64::MIN,
                optional_uint32: 1,
                optional_uint64: 1,
                optional_sint32: i32::MIN,
                optional_sint64: i64::MIN,
                optional_fixed32: 1,
                optional_fixed64: 1,
                optional_sfixed32: i32::MIN,
                optional_sfixed64: i64::MIN,
                optional_float: f32::NEG_INFINITY,
                optional_double: 5e-324,
                ..Default::default()
            },
        ),
        case(
            "negatives",
            true,
            M {
                optional_int32: -1,
                optional_int64: -1,
                optional_sint32: -1,
                optional_sint64: -1,
                optional_sfixed32: -1,
                optional_sfixed64: -1,
                optional_float: -2.5,
                optional_double: -1.5,
                optional_nested_enum: NestedEnum::NEG,
                optional_foreign_enum: ForeignEnum::FOREIGN_BAZ,
                optional_aliased_enum: AliasedEnum::ALIAS_BAR,
                ..Default::default()
            },
        ),
        nan_case(
            "float_specials",
            M {
                optional_double: f64::INFINITY,
                optional_float: f32::NAN,
                repeated_double: vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 5e-324],
                repeated_float: vec![f32::NAN, -0.0, f32::MAX],
                unpacked_double: vec![f64::NAN],
                ..Default::default()
            },
        ),
        // -0.0 is not the default (defaults compare bitwise): both sides must write it.
        nan_case(
            "negative_zero",
            M {
                optional_double: -0.0,
                optional_float: -0.0,
                ..Default::default()
            },
        ),
        case(
            "strings",
            true,
            M {
                optional_string: big(),
                optional_bytes: Bytes::from(
                    (0..1 << 20).map(|i| (i % 251) as u8).collect::<Vec<_>>(),
                ),
                optional_cord: s("ünïcödé ✓ 😀"),
                repeated_string: vec![s(""), s("é"), s("😀")],
                repeated_bytes: vec![Bytes::new(), Bytes::from_static(b"\x00")],
                ..Default::default()
            },
        ),
        case(
            "nested",
            true,
            M {
                optional_nested_message: Some(Box::new(NestedMessage {
                    a: -7,
                    corecursive: Some(Box::new(M {
                        optional_int32: 1,
                        recursive_message: Some(Box::new(M {
                            optional_string: s("deep"),
                            ..Default::default()
                        })),
                        ..Default::default()
                    })),
                    ..Default::default()
                })),
                optional_foreign_message: Some(ForeignMessage::default()),
                recursive_message: Some(Box::new(M {
                    optional_bool: true,
                    ..Default::default()
                })),
                repeated_nested_message: vec![nested(1), nested(0)],
                repeated_foreign_message: vec![foreign(-1)],
                ..Default::default()
            },
        ),
        case(
            "repeated",
            true,
            M {
                repeated_int32: vec![i32::MIN, -1, 0, 1, i32::MAX],
                repeated_uint64: vec![0, u64::MAX],
                packed_int32: vec![i32::MIN, -1, 0, 1, i32::MAX],
                packed_sint64: vec![i64::MIN, -1, 0, i64::MAX],
                packed_fixed32: vec![0, u32::MAX],
                packed_sfixed64: vec![i64::MIN],
                packed_double: vec![1.5, -0.0],
                packed_bool: vec![true, false, true],
                packed_nested_enum: vec![
                    NestedEnum::FOO,
                    NestedEnum::BAR,
                    NestedEnum::NEG,
                    NestedEnum(99),
                ],
                unpacked_int32: vec![-1, 2],
                unpacked_sint32: vec![i32::MIN],
                unpacked_fixed64: vec![u64::MAX, 0],
                unpacked_double: vec![1.5],
                unpacked_bool: vec![false],
                unpacked_nested_enum: vec![NestedEnum::BAZ, NestedEnum(-5)],
                repeated_foreign_enum: vec![ForeignEnum::FOREIGN_BAR],
                repeated_int64: (-5000..5000).collect(),
                ..Default::default()
            },
        ),
        case(
            "maps",
            false,
            M {
                map_int32_int32: HashMap::from_iter([(-1, -2), (0, 0), (i32::MAX, i32::MIN)]),
                map_int64_int64: HashMap::from_iter([(i64::MIN, i64::MAX), (1, -1)]),
                map_uint32_uint32: HashMap::from_iter([(u32::MAX, 1), (0, 0)]),
                map_uint64_uint64: HashMap::from_iter([(u64::MAX, u64::MAX)]),
                map_sint32_sint32: HashMap::from_iter([(i32::MIN, -1), (7, 7)]),
                map_sint64_sint64: HashMap::from_iter([(i64::MIN, i64::MIN)]),
                map_fixed32_fixed32: HashMap::from_iter([(1, u32::MAX)]),
                map_fixed64_fixed64: HashMap::from_iter([(u64::MAX, 2)]),
                map_sfixed32_sfixed32: HashMap::from_iter([(-1, -1)]),
                map_sfixed64_sfixed64: HashMap::from_iter([(-1, i64::MIN)]),
                map_int32_float: HashMap::from_iter([(1, -0.5), (2, f32::INFINITY)]),
                map_int32_double: HashMap::from_iter([(1, f64::NEG_INFINITY), (2, 0.0)]),
                map_bool_bool: HashMap::from_iter([(true, false), (false, true)]),
                map_string_string: HashMap::from_iter([
                    (s(""), s("")),
                    (s("k"), s("v")),
                    (s("ü"), big()),
                ]),
                map_string_bytes: HashMap::from_iter([
                    (s("b"), Bytes::from_static(b"\x00\xff")),
                    (s(""), Bytes::new()),
                ]),
                map_string_nested_message: HashMap::from_iter([
                    (s("m"), nested(5)),
                    (s("e"), nested(0)),
                ]),
                map_string_foreign_message: HashMap::from_iter([(s("f"), foreign(-1))]),
                map_string_nested_enum: HashMap::from_iter([
                    (s("n"), NestedEnum::NEG),
                    (s("u"), NestedEnum(77)),
                ]),
                map_string_foreign_enum: HashMap::from_iter([(s("x"), ForeignEnum::FOREIGN_BAZ)]),
                ..Default::default()
            },
        ),
        case(
            "map_single",
            true,
            M {
                map_int32_int32: HashMap::from_iter([(1, 2)]),
                map_string_string: HashMap::from_iter([(s("a"), s("b"))]),
                map_string_nested_message: HashMap::from_iter([(s(""), nested(0))]),
                ..Default::default()
            },
        ),
        // A oneof member holding its default value is present and written.
        case("oneof_uint32_zero", true, oneof(OneofField::OneofUint32(0))),
        case(
            "oneof_nested",
            true,
            oneof(OneofField::OneofNestedMessage(Box::new(nested(1)))),
        ),
        case(
            "oneof_string_empty",
            true,
            oneof(OneofField::OneofString(s(""))),
        ),
        case(
            "oneof_bytes",
            true,
            oneof(OneofField::OneofBytes(Bytes::from_static(b"\x00"))),
        ),
        case(
            "oneof_bool_false",
            true,
            oneof(OneofField::OneofBool(false)),
        ),
        case(
            "oneof_uint64_max",
            true,
            oneof(OneofField::OneofUint64(u64::MAX)),
        ),
        nan_case("oneof_float_nan", oneof(OneofField::OneofFloat(f32::NAN))),
        case(
            "oneof_double_neg_inf",
            true,
            oneof(OneofField::OneofDouble(f64::NEG_INFINITY)),
        ),
        case(
            "oneof_enum_neg",
            true,
            oneof(OneofField::OneofEnum(NestedEnum::NEG)),
        ),
        case(
            "oneof_enum_unknown",
            true,
            oneof(OneofField::OneofEnum(NestedEnum(1234))),
        ),
        case(
            "oneof_with_others",
            true,
            M {
                optional_int32: 1,
                fieldname1: 7,
                ..oneof(OneofField::OneofString(s("x")))
            },
        ),
        // Declared out of field-number order in the .proto (packed before maps, a oneof in
        // between): both sides write in field-number order.
        case(
            "field_order",
            true,
            M {
                fieldname1: 1,
                packed_int32: vec![1],
                map_int32_int32: HashMap::from_iter([(1, 2)]),
                repeated_int32: vec![3],
                optional_bool_wrapper: Some(BoolValue {
                    value: true,
                    ..Default::default()
                }),
                ..oneof(OneofField::OneofUint32(4))
            },
        ),
        case(
            "well_known",
            true,
            M {
                optional_timestamp: Some(Timestamp {
                    seconds: -1,
                    nanos: 999_999_999,
                    ..Default::default()
                }),
                optional_duration: Some(Duration {
                    seconds: i64::MAX,
                    ..Default::default()
                }),
                optional_field_mask: Some(FieldMask {
                    paths: vec![s("a.b"), s("c")],
                    ..Default::default()
                }),
                optional_int32_wrapper: Some(Int32Value::default()),
                optional_string_wrapper: Some(StringValue {
                    value: s("w"),
                    ..Default::default()
                }),
                optional_double_wrapper: Some(DoubleValue {
                    value: -0.0,
                    ..Default::default()
                }),
                repeated_bool_wrapper: vec![
                    BoolValue {
                        value: true,
                        ..Default::default()
                    },
                    BoolValue::default(),
                ],
                ..Default::default()
            },
        ),
        case("unknown_fields", true, with_unknown()),
    ]
}

/// Generates the Python modules for test_messages_proto3.proto and test_messages_proto2.proto
/// into `<tmp>/gen`.
fn generate_python(python: &Path, tmp: &TempDir) -> PathBuf {
    let gen = tmp.path().join("gen");
    std::fs::create_dir_all(&gen).unwrap();
    let include = common::corpus().join("proto/protobuf-v21.12");
    let out = Command::new(python)
        .args(["-m", "grpc_tools.protoc", "-I"])
        .arg(&include)
        .arg(format!("--python_out={}", gen.display()))
        .arg("google/protobuf/test_messages_proto3.proto")
        .arg("google/protobuf/test_messages_proto2.proto")
        .output()
        .expect("cannot run grpc_tools.protoc");
    assert!(
        out.status.success(),
        "grpc_tools.protoc failed (is grpcio-tools installed in {}?):\n{}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    gen
}

#[test]
fn proto3_values_agree_with_python_protobuf() {
    let python = python();
    let tmp = TempDir::new("proto-python");
    let gen = generate_python(&python, &tmp);
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();

    let cases = cases();
    let encoded: Vec<Bytes> = cases.iter().map(|c| c.value.encode_to_bytes()).collect();
    for (c, b) in cases.iter().zip(&encoded) {
        std::fs::write(data.join(format!("{}.kit", c.name)), b).unwrap();
    }
    let mut errors = run_peer(&python, "proto_peer.py", &gen, &data, &[]);

    let mut compared = 0;
    for (c, kit_bytes) in cases.iter().zip(&encoded) {
        let where_ = format!("{} (python -> kit)", c.name);
        let Ok(py) = std::fs::read(data.join(format!("{}.py", c.name))) else {
            errors.push(format!("{where_}: python wrote no bytes"));
            continue;
        };
        match M::decode(Bytes::from(py.clone())) {
            Err(e) => errors.push(format!("{where_}: kit cannot decode: {e}")),
            Ok(got) => {
                let same = if c.nan {
                    got.encode_to_bytes() == *kit_bytes
                } else {
                    got == c.value
                };
                if !same {
                    errors.push(format!(
                        "{where_}: value differs\n    expected {}\n    got      {}",
                        short(format!("{:?}", c.value)),
                        short(format!("{got:?}"))
                    ));
                }
            }
        }
        if c.deterministic {
            compared += 1;
            if kit_bytes[..] != py[..] {
                errors.push(format!("{}: {}", c.name, bytes_diff(kit_bytes, &py)));
            }
        }
    }
    assert!(
        errors.is_empty(),
        "{} disagreement(s) between kit and Python protobuf:\n{}",
        errors.len(),
        errors.join("\n")
    );
    assert!(compared > 20, "only {compared} byte-for-byte comparisons");
}

fn finite_f64() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("not NaN", |f| !f.is_nan())
}

fn finite_f32() -> impl Strategy<Value = f32> {
    any::<f32>().prop_filter("not NaN", |f| !f.is_nan())
}

fn enum_value() -> impl Strategy<Value = i32> {
    prop_oneof![Just(0), Just(1), Just(2), Just(-1), any::<i32>()]
}

fn string() -> impl Strategy<Value = ByteStr> {
    any::<String>().prop_map(ByteStr::from)
}

fn bytes() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..12).prop_map(Bytes::from)
}

fn vec_of<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(s, 0..4)
}

fn random_oneof() -> impl Strategy<Value = Option<OneofField>> {
    proptest::option::of(prop_oneof![
        any::<u32>().prop_map(OneofField::OneofUint32),
        any::<i32>().prop_map(|a| OneofField::OneofNestedMessage(Box::new(nested(a)))),
        string().prop_map(OneofField::OneofString),
        bytes().prop_map(OneofField::OneofBytes),
        any::<bool>().prop_map(OneofField::OneofBool),
        any::<u64>().prop_map(OneofField::OneofUint64),
        finite_f32().prop_map(OneofField::OneofFloat),
        finite_f64().prop_map(OneofField::OneofDouble),
        enum_value().prop_map(|v| OneofField::OneofEnum(NestedEnum(v))),
    ])
}

prop_compose! {
    /// Values whose encoding is deterministic (maps hold at most one entry), NaN excluded.
    fn random_message()(
        (a, b, c, d, e, f) in (any::<i32>(), any::<i64>(), any::<u32>(), any::<u64>(), any::<i32>(), any::<i64>()),
        (g, h, i, j, k, l) in (any::<u32>(), any::<u64>(), any::<i32>(), any::<i64>(), finite_f32(), finite_f64()),
        (m, n, o, p, q) in (any::<bool>(), string(), bytes(), enum_value(), enum_value()),
        (nest, inner, wrapper) in (proptest::option::of(any::<i32>()), proptest::option::of(any::<i64>()), proptest::option::of(any::<i32>())),
        (r1, r2, r3, r4, r5, r6) in (vec_of(any::<i32>()), vec_of(any::<i64>()), vec_of(any::<i32>()), vec_of(finite_f64()), vec_of(string()), vec_of(bytes())),
        (r7, r8, r9, r10, r11) in (vec_of(any::<i32>()), vec_of(enum_value()), vec_of(any::<bool>()), vec_of(any::<u64>()), vec_of(finite_f32())),
        (m1, m2, m3) in (proptest::option::of((string(), string())), proptest::option::of((any::<i32>(), any::<i32>())), proptest::option::of((string(), any::<i32>()))),
        oneof in random_oneof(),
    ) -> M {
        M {
            optional_int32: a,
            optional_int64: b,
            optional_uint32: c,
            optional_uint64: d,
            optional_sint32: e,
            optional_sint64: f,
            optional_fixed32: g,
            optional_fixed64: h,
            optional_sfixed32: i,
            optional_sfixed64: j,
            optional_float: k,
            optional_double: l,
            optional_bool: m,
            optional_string: n,
            optional_bytes: o,
            optional_nested_enum: NestedEnum(p),
            optional_foreign_enum: ForeignEnum(q),
            optional_nested_message: nest.map(|a| Box::new(NestedMessage {
                a,
                corecursive: inner.map(|v| Box::new(M { optional_int64: v, ..Default::default() })),
                ..Default::default()
            })),
            optional_int32_wrapper: wrapper.map(|value| Int32Value { value, ..Default::default() }),
            packed_int32: r1,
            repeated_int64: r2,
            unpacked_sint32: r3,
            packed_double: r4,
            repeated_string: r5,
            repeated_bytes: r6,
            repeated_nested_message: r7.into_iter().map(nested).collect(),
            packed_nested_enum: r8.iter().copied().map(NestedEnum).collect(),
            unpacked_nested_enum: r8.into_iter().map(NestedEnum).collect(),
            unpacked_bool: r9,
            repeated_fixed64: r10,
            repeated_float: r11,
            map_string_string: m1.into_iter().collect(),
            map_sint32_sint32: m2.into_iter().collect(),
            map_string_nested_enum: m3.into_iter().map(|(k, v)| (k, NestedEnum(v))).collect(),
            oneof_field: oneof,
            ..Default::default()
        }
    }
}

/// Random values: Python parses kit's bytes and re-serializes them to the very same bytes, and
/// kit decodes those to the original value.
#[test]
fn random_proto3_values_survive_python_byte_for_byte() {
    let python = python();
    let tmp = TempDir::new("proto-python-random");
    let gen = generate_python(&python, &tmp);
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();

    let mut runner = TestRunner::deterministic();
    let strategy = random_message();
    let values: Vec<M> = (0..300)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    let encoded: Vec<Bytes> = values.iter().map(|v| v.encode_to_bytes()).collect();
    for (i, b) in encoded.iter().enumerate() {
        std::fs::write(data.join(format!("rand_{i}.kit")), b).unwrap();
    }
    let mut errors = run_peer(&python, "proto_peer.py", &gen, &data, &["--echo"]);
    for (i, (v, b)) in values.iter().zip(&encoded).enumerate() {
        let Ok(py) = std::fs::read(data.join(format!("rand_{i}.py"))) else {
            errors.push(format!("rand_{i}: python wrote no bytes"));
            continue;
        };
        if py[..] != b[..] {
            errors.push(format!(
                "rand_{i}: {}\n    value {}",
                bytes_diff(b, &py),
                short(format!("{v:?}"))
            ));
        }
        match M::decode(Bytes::from(py)) {
            Ok(got) if got == *v => {}
            other => errors.push(format!(
                "rand_{i} (python -> kit): {}",
                short(format!("{other:?}"))
            )),
        }
    }
    assert!(
        errors.is_empty(),
        "{} disagreement(s) between kit and Python protobuf:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

fn opt<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(s)
}

/// Proto2 enums are closed: Python keeps unknown values as unknown fields (re-emitted last), so
/// only known values here (NestedEnum: FOO BAR BAZ NEG).
fn known_enum() -> impl Strategy<Value = i32> {
    prop_oneof![Just(0), Just(1), Just(2), Just(-1)]
}

/// ForeignEnumProto2: FOREIGN_FOO FOREIGN_BAR FOREIGN_BAZ.
fn known_foreign_enum() -> impl Strategy<Value = i32> {
    0..=2
}

fn random_oneof2() -> impl Strategy<Value = Option<t2::OneofField>> {
    use t2::OneofField as O;
    proptest::option::of(prop_oneof![
        any::<u32>().prop_map(O::OneofUint32),
        opt(any::<i32>()).prop_map(|a| O::OneofNestedMessage(Box::new(t2::NestedMessage {
            a,
            ..Default::default()
        }))),
        string().prop_map(O::OneofString),
        bytes().prop_map(O::OneofBytes),
        any::<bool>().prop_map(O::OneofBool),
        any::<u64>().prop_map(O::OneofUint64),
        finite_f32().prop_map(O::OneofFloat),
        finite_f64().prop_map(O::OneofDouble),
        known_enum().prop_map(|v| O::OneofEnum(t2::NestedEnum(v))),
    ])
}

prop_compose! {
    /// Proto2 values with explicit presence, groups and `[default = …]` fields; deterministic
    /// encodings (maps hold at most one entry), NaN excluded.
    fn random_message2()(
        (a, b, c, d, e, f) in (opt(any::<i32>()), opt(any::<i64>()), opt(any::<u32>()), opt(any::<u64>()), opt(any::<i32>()), opt(any::<i64>())),
        (g, h, i, j, k, l) in (opt(any::<u32>()), opt(any::<u64>()), opt(any::<i32>()), opt(any::<i64>()), opt(finite_f32()), opt(finite_f64())),
        (m, n, o, p, q, fm) in (opt(any::<bool>()), opt(string()), opt(bytes()), opt(known_enum()), opt(known_foreign_enum()), opt(opt(any::<i32>()))),
        group in opt((opt(any::<i32>()), opt(any::<u32>()))),
        (d1, d2, d3, d4, d5, d6) in (opt(any::<i32>()), opt(any::<i64>()), opt(string()), opt(bytes()), opt(any::<bool>()), opt(finite_f64())),
        (r1, r2, r3, r4, r5) in (vec_of(any::<i32>()), vec_of(string()), vec_of(any::<i64>()), vec_of(any::<i32>()), vec_of(opt(any::<i32>()))),
        (m1, m2) in (opt((string(), string())), opt((any::<i32>(), any::<i32>()))),
        oneof in random_oneof2(),
    ) -> M2 {
        M2 {
            optional_int32: a,
            optional_int64: b,
            optional_uint32: c,
            optional_uint64: d,
            optional_sint32: e,
            optional_sint64: f,
            optional_fixed32: g,
            optional_fixed64: h,
            optional_sfixed32: i,
            optional_sfixed64: j,
            optional_float: k,
            optional_double: l,
            optional_bool: m,
            optional_string: n,
            optional_bytes: o,
            optional_nested_enum: p.map(t2::NestedEnum),
            optional_foreign_enum: q.map(ForeignEnumProto2),
            optional_foreign_message: fm.map(|c| ForeignMessageProto2 { c, ..Default::default() }),
            data: group.map(|(group_int32, group_uint32)| t2::Data {
                group_int32,
                group_uint32,
                ..Default::default()
            }),
            default_int32: d1,
            default_int64: d2,
            default_string: d3,
            default_bytes: d4,
            default_bool: d5,
            default_double: d6,
            repeated_int32: r1,
            repeated_string: r2,
            packed_int64: r3,
            unpacked_int32: r4,
            repeated_nested_message: r5.into_iter().map(|a| t2::NestedMessage { a, ..Default::default() }).collect(),
            map_string_string: m1.into_iter().collect(),
            map_int32_int32: m2.into_iter().collect(),
            oneof_field: oneof,
            ..Default::default()
        }
    }
}

/// Proto2 (groups, explicit presence, `[default = …]` fields present with default values):
/// Python parses kit's bytes and re-serializes them to the very same bytes, and kit decodes
/// those to the original value.
#[test]
fn proto2_values_survive_python_byte_for_byte() {
    let python = python();
    let tmp = TempDir::new("proto2-python");
    let gen = generate_python(&python, &tmp);
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();

    let mut values = vec![
        // Present, holding the default (or the type's zero): written by both.
        M2 {
            optional_int32: Some(0),
            optional_string: Some(s("")),
            optional_bytes: Some(Bytes::new()),
            default_int32: Some(-123_456_789),
            default_string: Some(s("Rosebud")),
            default_bool: Some(true),
            default_double: Some(0.0),
            default_float: Some(-0.0),
            ..Default::default()
        },
        // An empty group and a nested empty message.
        M2 {
            data: Some(t2::Data::default()),
            optional_nested_message: Some(Box::default()),
            ..Default::default()
        },
        M2 {
            data: Some(t2::Data {
                group_int32: Some(i32::MIN),
                group_uint32: Some(u32::MAX),
                ..Default::default()
            }),
            recursive_message: Some(Box::new(M2 {
                data: Some(t2::Data {
                    group_int32: Some(-1),
                    ..Default::default()
                }),
                ..Default::default()
            })),
            ..Default::default()
        },
    ];
    let mut runner = TestRunner::deterministic();
    let strategy = random_message2();
    values.extend((0..200).map(|_| strategy.new_tree(&mut runner).unwrap().current()));

    let encoded: Vec<Bytes> = values.iter().map(|v| v.encode_to_bytes()).collect();
    for (i, b) in encoded.iter().enumerate() {
        std::fs::write(data.join(format!("p2_{i}.kit")), b).unwrap();
    }
    let mut errors = run_peer(&python, "proto_peer.py", &gen, &data, &["--echo-proto2"]);
    for (i, (v, b)) in values.iter().zip(&encoded).enumerate() {
        let Ok(py) = std::fs::read(data.join(format!("p2_{i}.py"))) else {
            errors.push(format!("p2_{i}: python wrote no bytes"));
            continue;
        };
        if py[..] != b[..] {
            errors.push(format!(
                "p2_{i}: {}\n    value {}",
                bytes_diff(b, &py),
                short(format!("{v:?}"))
            ));
        }
        match M2::decode(Bytes::from(py)) {
            Ok(got) if got == *v => {}
            other => errors.push(format!(
                "p2_{i} (python -> kit): {}",
                short(format!("{other:?}"))
            )),
        }
    }
    assert!(
        errors.is_empty(),
        "{} disagreement(s) between kit and Python protobuf (proto2):\n{}",
        errors.len(),
        errors.join("\n")
    );
}

/// Proto2 enums are closed in Python: an unknown value (kit keeps it, its enums are open) moves
/// to Python's unknown fields and is re-emitted after the known fields. The bytes differ in
/// order only; kit reads the value back in place.
#[test]
fn proto2_unknown_closed_enum_values_come_back_from_python() {
    let python = python();
    let tmp = TempDir::new("proto2-python-enum");
    let gen = generate_python(&python, &tmp);
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();

    let v = M2 {
        optional_nested_enum: Some(t2::NestedEnum(42)),
        optional_foreign_enum: Some(ForeignEnumProto2(-7)),
        optional_string: Some(s("after the enums")),
        repeated_nested_enum: vec![t2::NestedEnum::BAR, t2::NestedEnum(99)],
        ..Default::default()
    };
    let b = v.encode_to_bytes();
    std::fs::write(data.join("enum.kit"), &b).unwrap();
    let errors = run_peer(&python, "proto_peer.py", &gen, &data, &["--echo-proto2"]);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let py = std::fs::read(data.join("enum.py")).expect("python wrote no bytes");
    assert_eq!(py.len(), b.len());
    let got = M2::decode(Bytes::from(py)).expect("kit decodes Python's bytes");
    // Python re-emits repeated_nested_enum's unknown 99 after the known BAR, which is where it was.
    assert_eq!(got, v);
}
