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

use std::collections::HashMap;
use std::process::Command;

use common::{python, short, TempDir};
use kit_codegen_tests::pb::google::protobuf::{
    BoolValue, DoubleValue, Duration, FieldMask, Int32Value, StringValue, Timestamp,
};
use kit_codegen_tests::pb::protobuf_test_messages::proto3::{
    test_all_types_proto3::{AliasedEnum, NestedEnum, NestedMessage, OneofField},
    ForeignEnum, ForeignMessage, TestAllTypesProto3 as M,
};
use kit_runtime::bytes::Bytes;
use kit_runtime::protobuf::Message;
use kit_runtime::ByteStr;

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
                map_int32_int32: HashMap::from([(-1, -2), (0, 0), (i32::MAX, i32::MIN)]),
                map_int64_int64: HashMap::from([(i64::MIN, i64::MAX), (1, -1)]),
                map_uint32_uint32: HashMap::from([(u32::MAX, 1), (0, 0)]),
                map_uint64_uint64: HashMap::from([(u64::MAX, u64::MAX)]),
                map_sint32_sint32: HashMap::from([(i32::MIN, -1), (7, 7)]),
                map_sint64_sint64: HashMap::from([(i64::MIN, i64::MIN)]),
                map_fixed32_fixed32: HashMap::from([(1, u32::MAX)]),
                map_fixed64_fixed64: HashMap::from([(u64::MAX, 2)]),
                map_sfixed32_sfixed32: HashMap::from([(-1, -1)]),
                map_sfixed64_sfixed64: HashMap::from([(-1, i64::MIN)]),
                map_int32_float: HashMap::from([(1, -0.5), (2, f32::INFINITY)]),
                map_int32_double: HashMap::from([(1, f64::NEG_INFINITY), (2, 0.0)]),
                map_bool_bool: HashMap::from([(true, false), (false, true)]),
                map_string_string: HashMap::from([
                    (s(""), s("")),
                    (s("k"), s("v")),
                    (s("ü"), big()),
                ]),
                map_string_bytes: HashMap::from([
                    (s("b"), Bytes::from_static(b"\x00\xff")),
                    (s(""), Bytes::new()),
                ]),
                map_string_nested_message: HashMap::from([
                    (s("m"), nested(5)),
                    (s("e"), nested(0)),
                ]),
                map_string_foreign_message: HashMap::from([(s("f"), foreign(-1))]),
                map_string_nested_enum: HashMap::from([
                    (s("n"), NestedEnum::NEG),
                    (s("u"), NestedEnum(77)),
                ]),
                map_string_foreign_enum: HashMap::from([(s("x"), ForeignEnum::FOREIGN_BAZ)]),
                ..Default::default()
            },
        ),
        case(
            "map_single",
            true,
            M {
                map_int32_int32: HashMap::from([(1, 2)]),
                map_string_string: HashMap::from([(s("a"), s("b"))]),
                map_string_nested_message: HashMap::from([(s(""), nested(0))]),
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
                map_int32_int32: HashMap::from([(1, 2)]),
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

fn bytes_diff(kit: &[u8], py: &[u8]) -> String {
    let at = kit
        .iter()
        .zip(py)
        .position(|(a, b)| a != b)
        .unwrap_or(kit.len().min(py.len()));
    let window = |b: &[u8]| {
        format!(
            "{:02x?}",
            &b[at.saturating_sub(4).min(b.len())..(at + 8).min(b.len())]
        )
    };
    format!(
        "bytes differ at offset {at} (kit {} bytes, python {} bytes): kit ..{} python ..{}",
        kit.len(),
        py.len(),
        window(kit),
        window(py)
    )
}

#[test]
fn proto3_values_agree_with_python_protobuf() {
    let python = python();
    let tmp = TempDir::new("proto-python");
    let gen = tmp.path().join("gen");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&gen).unwrap();
    std::fs::create_dir_all(&data).unwrap();

    let include = common::corpus().join("proto/protobuf-v21.12");
    let out = Command::new(&python)
        .args(["-m", "grpc_tools.protoc", "-I"])
        .arg(&include)
        .arg(format!("--python_out={}", gen.display()))
        .arg("google/protobuf/test_messages_proto3.proto")
        .output()
        .expect("cannot run grpc_tools.protoc");
    assert!(
        out.status.success(),
        "grpc_tools.protoc failed (is grpcio-tools installed in {}?):\n{}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );

    let cases = cases();
    let encoded: Vec<Bytes> = cases.iter().map(|c| c.value.encode_to_bytes()).collect();
    for (c, b) in cases.iter().zip(&encoded) {
        std::fs::write(data.join(format!("{}.kit", c.name)), b).unwrap();
    }

    let out = Command::new(&python)
        .arg(common::py_script("proto_peer.py"))
        .arg(&gen)
        .arg(&data)
        .output()
        .expect("cannot run the Python peer");
    let mut errors: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("python: {l}"))
        .collect();
    if !out.status.success() && errors.is_empty() {
        errors.push(format!(
            "python peer failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }

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
