//! Byte-for-byte agreement with Apache Thrift's Python library.
//!
//! For each value below, kit encodes it (binary and compact); `tests/py/thrift_peer.py` decodes
//! kit's bytes with `thrift.TSerialization` (TBinaryProtocol / TCompactProtocol, plus the
//! C-accelerated protocols), compares the result with the same value built in Python, and
//! re-encodes it; kit then decodes Python's bytes and compares with the original value. Where
//! both encodings are deterministic (no set or map with more than one element) kit's bytes must
//! equal Python's.
//!
//! Python code is generated at test time with `thrift --gen py` from
//! `test/v0.16/ThriftTest.thrift` (Debian's thrift 0.17 cannot read the `uuid` type); the
//! interpreter is `$KIT_PYTHON`, else `<workspace>/target/py/bin/python` (see `.ci/run`).

mod common;

use kit_runtime::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::fmt::Debug;
use std::path::PathBuf;
use std::process::Command;

use common::{bytes_diff, python, run_peer, short, TempDir};
use kit_codegen_tests::thrift::test::*;
use kit_runtime::bytes::Bytes;
use kit_runtime::thrift::ThriftStruct;
use kit_runtime::ByteStr;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

type Check = Box<dyn Fn(&str, Bytes) -> Result<(), String>>;

struct Case {
    name: &'static str,
    /// No set or map with more than one element: both sides must produce the same bytes.
    deterministic: bool,
    binary: Bytes,
    compact: Bytes,
    /// Decodes bytes in the named protocol and compares them with the case's value.
    check: Check,
}

fn case<T: ThriftStruct + PartialEq + Debug + 'static>(
    name: &'static str,
    deterministic: bool,
    v: T,
) -> Case {
    case_eq(name, deterministic, v, |a, b| a == b)
}

fn case_eq<T: ThriftStruct + Debug + 'static>(
    name: &'static str,
    deterministic: bool,
    v: T,
    eq: fn(&T, &T) -> bool,
) -> Case {
    Case {
        name,
        deterministic,
        binary: v.encode_binary(),
        compact: v.encode_compact(),
        check: Box::new(move |proto, bytes| {
            let got = match proto {
                "binary" => T::decode_binary(bytes),
                "compact" => T::decode_compact(bytes),
                _ => unreachable!(),
            }
            .map_err(|e| format!("kit cannot decode: {e}"))?;
            if eq(&v, &got) {
                Ok(())
            } else {
                Err(format!(
                    "value differs\n    expected {}\n    got      {}",
                    short(format!("{v:?}")),
                    short(format!("{got:?}"))
                ))
            }
        }),
    }
}

fn s(v: &str) -> ByteStr {
    ByteStr::from(v.to_string())
}

fn xtruct(string_thing: &str, byte_thing: i8, i32_thing: i32, i64_thing: i64) -> Xtruct {
    Xtruct {
        string_thing: s(string_thing),
        byte_thing,
        i32_thing,
        i64_thing,
    }
}

fn bools(im_true: bool, im_false: bool) -> Bools {
    Bools { im_true, im_false }
}

fn bonk(message: &str, r#type: i32) -> Bonk {
    Bonk {
        message: s(message),
        r#type,
    }
}

fn vtwo(newdouble: f64) -> VersioningTestV2 {
    VersioningTestV2 {
        newdouble,
        newstruct: bonk("", 0),
        ..Default::default()
    }
}

/// Doubles compare bitwise (NaN == NaN, -0.0 != 0.0).
fn vtwo_eq(a: &VersioningTestV2, b: &VersioningTestV2) -> bool {
    let zero = |v: &VersioningTestV2| VersioningTestV2 {
        newdouble: 0.0,
        ..v.clone()
    };
    a.newdouble.to_bits() == b.newdouble.to_bits() && zero(a) == zero(b)
}

fn large_deltas_eq(a: &LargeDeltas, b: &LargeDeltas) -> bool {
    let rest = |v: &LargeDeltas| LargeDeltas {
        vertwo2000: Default::default(),
        vertwo3000: Default::default(),
        ..v.clone()
    };
    vtwo_eq(&a.vertwo2000, &b.vertwo2000)
        && vtwo_eq(&a.vertwo3000, &b.vertwo3000)
        && rest(a) == rest(b)
}

/// 1 MiB and a bit of mixed-width UTF-8, as `BIG` in thrift_peer.py.
fn big() -> String {
    "abc\u{e9}\u{1F600}".repeat((1 << 20) / 9 + 1)
}

/// Must stay in step with `CASES` in tests/py/thrift_peer.py.
fn cases() -> Vec<Case> {
    let xtruct_zero = xtruct("", 0, 0, 0);
    let xtruct_max = xtruct("hello", i8::MAX, i32::MAX, i64::MAX);
    let xtruct_min = xtruct("ünïcödé ✓ 😀", i8::MIN, i32::MIN, i64::MIN);
    let xtruct_neg = xtruct("-", -1, -1, -1);
    let insanity_one = Insanity {
        user_map: HashMap::from_iter([(Numberz::THREE, 3)]),
        xtructs: vec![xtruct_min.clone()],
    };
    let vtwo_edge = VersioningTestV2 {
        begin_in_both: i32::MIN,
        newint: i32::MAX,
        newbyte: i8::MIN,
        newshort: i16::MIN,
        newlong: i64::MIN,
        newdouble: -0.0,
        newstruct: bonk("bonk", -1),
        newlist: vec![1, -1],
        newset: HashSet::from_iter([i32::MAX]),
        newmap: HashMap::from_iter([(-1, i32::MIN)]),
        newstring: s("é"),
        end_in_both: i32::MAX,
    };
    vec![
        case("xtruct_zero", true, xtruct_zero.clone()),
        case("xtruct_max", true, xtruct_max.clone()),
        case("xtruct_min", true, xtruct_min.clone()),
        case("xtruct_neg", true, xtruct_neg.clone()),
        case(
            "xtruct_1mib",
            true,
            Xtruct {
                string_thing: ByteStr::from(big()),
                ..xtruct("", 1, 2, 3)
            },
        ),
        case(
            "xtruct2",
            true,
            Xtruct2 {
                byte_thing: i8::MIN,
                struct_thing: xtruct_max.clone(),
                i32_thing: -2,
            },
        ),
        case(
            "xtruct3",
            true,
            Xtruct3 {
                string_thing: s("s"),
                changed: i32::MIN,
                i32_thing: 0,
                i64_thing: -1,
            },
        ),
        case("insanity_empty", true, Insanity::default()),
        case("insanity_one", true, insanity_one.clone()),
        case(
            "insanity_many",
            false,
            Insanity {
                user_map: HashMap::from_iter([
                    (Numberz::ONE, 1),
                    (Numberz::TWO, i64::MIN),
                    (Numberz::FIVE, i64::MAX),
                    (Numberz::EIGHT, -1),
                    (Numberz(100), 7),
                    (Numberz(-3), 0),
                ]),
                xtructs: vec![xtruct_zero, xtruct_max, xtruct_neg],
            },
        ),
        case("bools_tf", true, bools(true, false)),
        case("bools_ft", true, bools(false, true)),
        // Python cannot hash Insanity (it holds a dict and a list), so sets and map keys of
        // Insanity stay empty. kit always writes uuid_field (field 5), which v0.16 lacks: Python
        // skips it (see thrift_peer.py) and kit reads its absence as the zero uuid.
        case_eq(
            "crazy_nesting",
            false,
            CrazyNesting {
                string_field: s("crazy"),
                set_field: Some(vec![]),
                list_field: vec![
                    vec![
                        (
                            HashSet::from_iter([1, 2, 3]),
                            HashMap::from_iter([(5, vec![vec![vec![]]]), (-1, vec![])]),
                        ),
                        (HashSet::new(), HashMap::new()),
                    ],
                    vec![],
                ],
                binary_field: Bytes::from((0..=255u8).collect::<Vec<_>>()),
                uuid_field: *b"0123456789abcdef",
            },
            |expected, got| {
                got.uuid_field == [0; 16]
                    && *got
                        == CrazyNesting {
                            uuid_field: [0; 16],
                            ..expected.clone()
                        }
            },
        ),
        case_eq(
            "large_deltas",
            true,
            LargeDeltas {
                b1: bools(true, false),
                b10: bools(false, true),
                b100: bools(true, true),
                check_true: true,
                b1000: bools(false, false),
                check_false: false,
                vertwo2000: vtwo_edge,
                a_set2500: HashSet::from_iter([s("a")]),
                vertwo3000: vtwo(0.0),
                big_numbers: vec![i32::MIN, -1, 0, 1, i32::MAX],
            },
            large_deltas_eq,
        ),
        case_eq(
            "versioning_inf",
            true,
            VersioningTestV2 {
                newshort: i16::MAX,
                ..vtwo(f64::INFINITY)
            },
            vtwo_eq,
        ),
        case_eq("versioning_neg_inf", true, vtwo(f64::NEG_INFINITY), vtwo_eq),
        case_eq("versioning_max", true, vtwo(f64::MAX), vtwo_eq),
        case_eq("versioning_subnormal", true, vtwo(5e-324), vtwo_eq),
        case_eq(
            "versioning_nan",
            false,
            VersioningTestV2 {
                newset: (-20..20).collect(),
                newmap: (0..20).map(|i| (i, -i)).collect(),
                newlist: (0..1000).collect(),
                ..vtwo(f64::NAN)
            },
            vtwo_eq,
        ),
        case(
            "nested_lists_i32x3",
            true,
            NestedListsI32x3 {
                integerlist: vec![vec![vec![1, 2], vec![]], vec![], vec![vec![i32::MIN]]],
            },
        ),
        case(
            "nested_lists_large",
            true,
            NestedListsI32x3 {
                integerlist: vec![vec![(0..100_000).collect()]],
            },
        ),
        case(
            "nested_mixed",
            false,
            NestedMixedx2 {
                int_set_list: vec![HashSet::from_iter([1, 2, 3]), HashSet::new()],
                map_int_strset: HashMap::from_iter([
                    (1, HashSet::from_iter([s("a"), s("b")])),
                    (2, HashSet::new()),
                ]),
                map_int_strset_list: vec![
                    HashMap::from_iter([(0, HashSet::from_iter([s("x")]))]),
                    HashMap::new(),
                ],
            },
        ),
        case(
            "list_bonks",
            true,
            ListBonks {
                bonk: vec![bonk("", 0), bonk("b", -5)],
            },
        ),
        case("list_bonks_empty", true, ListBonks { bonk: vec![] }),
        case(
            "list_bonks_10k",
            true,
            ListBonks {
                bonk: (0..10_000).map(|i| bonk(&i.to_string(), i)).collect(),
            },
        ),
        case(
            "bool_test_some",
            true,
            BoolTest {
                b: Some(false),
                s: Some(s("")),
            },
        ),
        case("bool_test_none", true, BoolTest { b: None, s: None }),
        case(
            "struct_b",
            true,
            StructB {
                aa: Some(StructA { s: s("a") }),
                ab: StructA { s: s("") },
            },
        ),
        case(
            "struct_b_no_aa",
            true,
            StructB {
                aa: None,
                ab: StructA { s: s("é") },
            },
        ),
        case(
            "optional_binary",
            false,
            OptionalBinary {
                bin_set: Some(HashSet::from_iter([
                    Bytes::new(),
                    Bytes::from_static(b"\x00\xff"),
                ])),
                bin_map: Some(HashMap::from_iter([
                    (Bytes::from_static(b"k"), -1),
                    (Bytes::new(), i32::MAX),
                ])),
            },
        ),
        case(
            "optional_binary_none",
            true,
            OptionalBinary {
                bin_set: None,
                bin_map: None,
            },
        ),
        case(
            "optional_binary_empty",
            true,
            OptionalBinary {
                bin_set: Some(HashSet::new()),
                bin_map: Some(HashMap::new()),
            },
        ),
        case(
            "guess_protocol",
            false,
            GuessProtocolStruct {
                map_field: HashMap::from_iter([(s("a"), s("b")), (s(""), s("")), (s("ü"), s("ß"))]),
            },
        ),
        case("guess_protocol_empty", true, GuessProtocolStruct::default()),
        case("union_string", true, SomeUnion::StringThing(s("union ✓"))),
        case("union_i32", true, SomeUnion::I32Thing(i32::MIN)),
        case(
            "union_xtruct",
            true,
            SomeUnion::XtructThing(Xtruct3 {
                string_thing: s("x"),
                changed: 1,
                i32_thing: 2,
                i64_thing: 3,
            }),
        ),
        case(
            "union_insanity",
            true,
            SomeUnion::InsanityThing(insanity_one),
        ),
        case(
            "union_map",
            false,
            SomeUnion::MapThing(HashMap::from_iter([(Numberz::ONE, 1), (Numberz::TWO, 2)])),
        ),
        case(
            "xception",
            true,
            Xception {
                error_code: 1001,
                message: s("Xception"),
            },
        ),
        case(
            "xception_min",
            true,
            Xception {
                error_code: i32::MIN,
                message: s(""),
            },
        ),
        case("empty_struct", true, EmptyStruct {}),
        case(
            "one_field",
            true,
            OneField {
                field: EmptyStruct {},
            },
        ),
    ]
}

/// `thrift --gen py` of the v0.16 ThriftTest.thrift into `<tmp>/gen`.
fn generate_python(tmp: &TempDir) -> PathBuf {
    let gen = tmp.path().join("gen");
    std::fs::create_dir_all(&gen).unwrap();
    let idl = common::corpus().join("thrift/apache-thrift/test/v0.16/ThriftTest.thrift");
    let out = Command::new("thrift")
        .args(["--gen", "py", "-out"])
        .arg(&gen)
        .arg(&idl)
        .output()
        .expect("cannot run `thrift` (Debian package thrift-compiler; see .ci/run)");
    assert!(
        out.status.success(),
        "thrift --gen py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    gen
}

#[test]
fn thrift_values_agree_with_apache_python() {
    let python = python();
    let tmp = TempDir::new("thrift-python");
    let gen = generate_python(&tmp);
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();

    let cases = cases();
    for c in &cases {
        std::fs::write(data.join(format!("{}.binary.kit", c.name)), &c.binary).unwrap();
        std::fs::write(data.join(format!("{}.compact.kit", c.name)), &c.compact).unwrap();
    }
    let mut errors = run_peer(&python, "thrift_peer.py", &gen, &data, &[]);

    let mut compared = 0;
    for c in &cases {
        for (proto, kit_bytes) in [("binary", &c.binary), ("compact", &c.compact)] {
            let where_ = format!("{} ({proto}, python -> kit)", c.name);
            let Ok(py) = std::fs::read(data.join(format!("{}.{proto}.py", c.name))) else {
                errors.push(format!("{where_}: python wrote no bytes"));
                continue;
            };
            if let Err(e) = (c.check)(proto, Bytes::from(py.clone())) {
                errors.push(format!("{where_}: {e}"));
            }
            if c.deterministic {
                compared += 1;
                if kit_bytes[..] != py[..] {
                    errors.push(format!(
                        "{} ({proto}): {}",
                        c.name,
                        bytes_diff(kit_bytes, &py)
                    ));
                }
            }
        }
    }
    assert!(
        errors.is_empty(),
        "{} disagreement(s) between kit and Apache Thrift (Python):\n{}",
        errors.len(),
        errors.join("\n")
    );
    assert!(compared > 50, "only {compared} byte-for-byte comparisons");
}

fn string() -> impl Strategy<Value = ByteStr> {
    any::<String>().prop_map(ByteStr::from)
}

fn random_xtruct() -> impl Strategy<Value = Xtruct> {
    (string(), any::<i8>(), any::<i32>(), any::<i64>()).prop_map(|(s, b, i, l)| Xtruct {
        string_thing: s,
        byte_thing: b,
        i32_thing: i,
        i64_thing: l,
    })
}

fn random_insanity() -> impl Strategy<Value = Insanity> {
    (
        proptest::option::of((any::<i32>(), any::<i64>())),
        prop::collection::vec(random_xtruct(), 0..4),
    )
        .prop_map(|(m, xtructs)| Insanity {
            user_map: m.into_iter().map(|(k, v)| (Numberz(k), v)).collect(),
            xtructs,
        })
}

fn random_vtwo() -> impl Strategy<Value = VersioningTestV2> {
    (
        (
            any::<i32>(),
            any::<i32>(),
            any::<i8>(),
            any::<i16>(),
            any::<i64>(),
        ),
        any::<f64>().prop_filter("not NaN", |f| !f.is_nan()),
        (string(), any::<i32>()),
        prop::collection::vec(any::<i32>(), 0..5),
        (
            proptest::option::of(any::<i32>()),
            proptest::option::of((any::<i32>(), any::<i32>())),
        ),
        (string(), any::<i32>()),
    )
        .prop_map(
            |((a, b, c, d, e), f, (m, t), l, (set, map), (st, z))| VersioningTestV2 {
                begin_in_both: a,
                newint: b,
                newbyte: c,
                newshort: d,
                newlong: e,
                newdouble: f,
                newstruct: Bonk {
                    message: m,
                    r#type: t,
                },
                newlist: l,
                newset: set.into_iter().collect(),
                newmap: map.into_iter().collect(),
                newstring: st,
                end_in_both: z,
            },
        )
}

fn random_union() -> impl Strategy<Value = SomeUnion> {
    prop_oneof![
        proptest::option::of((any::<i32>(), any::<i64>())).prop_map(|m| SomeUnion::MapThing(
            m.into_iter().map(|(k, v)| (Numberz(k), v)).collect()
        )),
        string().prop_map(SomeUnion::StringThing),
        any::<i32>().prop_map(SomeUnion::I32Thing),
        (string(), any::<i32>(), any::<i32>(), any::<i64>()).prop_map(|(s, c, i, l)| {
            SomeUnion::XtructThing(Xtruct3 {
                string_thing: s,
                changed: c,
                i32_thing: i,
                i64_thing: l,
            })
        }),
        random_insanity().prop_map(SomeUnion::InsanityThing),
    ]
}

/// A named random value: (file stem, binary, compact, check of Python's bytes).
type Random = (String, Bytes, Bytes, Check);

fn randoms<T, S>(type_name: &str, n: usize, strategy: S, runner: &mut TestRunner) -> Vec<Random>
where
    T: ThriftStruct + PartialEq + Debug + 'static,
    S: Strategy<Value = T>,
{
    (0..n)
        .map(|i| {
            let v = strategy.new_tree(runner).unwrap().current();
            let c = case("", true, v);
            (format!("{type_name}.{i}"), c.binary, c.compact, c.check)
        })
        .collect()
}

/// Random values (deterministic encodings: sets and maps hold at most one element, NaN
/// excluded): Python decodes kit's bytes and re-encodes them to the very same bytes, in both
/// protocols, and kit decodes those to the original value.
#[test]
fn random_thrift_values_survive_apache_python_byte_for_byte() {
    let python = python();
    let tmp = TempDir::new("thrift-python-random");
    let gen = generate_python(&tmp);
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();

    let mut runner = TestRunner::deterministic();
    let r = &mut runner;
    let mut all = Vec::new();
    all.extend(randoms("Xtruct", 60, random_xtruct(), r));
    let x2 = (any::<i8>(), random_xtruct(), any::<i32>()).prop_map(|(b, x, i)| Xtruct2 {
        byte_thing: b,
        struct_thing: x,
        i32_thing: i,
    });
    all.extend(randoms("Xtruct2", 40, x2, r));
    all.extend(randoms("Insanity", 60, random_insanity(), r));
    all.extend(randoms("VersioningTestV2", 60, random_vtwo(), r));
    all.extend(randoms("SomeUnion", 60, random_union(), r));
    let lists = prop::collection::vec(
        prop::collection::vec(prop::collection::vec(any::<i32>(), 0..4), 0..3),
        0..3,
    )
    .prop_map(|integerlist| NestedListsI32x3 { integerlist });
    all.extend(randoms("NestedListsI32x3", 40, lists, r));
    let bool_test = (
        proptest::option::of(any::<bool>()),
        proptest::option::of(string()),
    )
        .prop_map(|(b, s)| BoolTest { b, s });
    all.extend(randoms("BoolTest", 30, bool_test, r));
    let struct_b = (proptest::option::of(string()), string()).prop_map(|(aa, ab)| StructB {
        aa: aa.map(|s| StructA { s }),
        ab: StructA { s: ab },
    });
    all.extend(randoms("StructB", 30, struct_b, r));
    let xception = (any::<i32>(), string()).prop_map(|(error_code, message)| Xception {
        error_code,
        message,
    });
    all.extend(randoms("Xception", 30, xception, r));

    for (stem, binary, compact, _) in &all {
        std::fs::write(data.join(format!("{stem}.binary.kit")), binary).unwrap();
        std::fs::write(data.join(format!("{stem}.compact.kit")), compact).unwrap();
    }
    let mut errors = run_peer(&python, "thrift_peer.py", &gen, &data, &["--echo"]);
    for (stem, binary, compact, check) in &all {
        for (proto, kit_bytes) in [("binary", binary), ("compact", compact)] {
            let Ok(py) = std::fs::read(data.join(format!("{stem}.{proto}.py"))) else {
                errors.push(format!("{stem} ({proto}): python wrote no bytes"));
                continue;
            };
            if kit_bytes[..] != py[..] {
                errors.push(format!("{stem} ({proto}): {}", bytes_diff(kit_bytes, &py)));
            }
            if let Err(e) = check(proto, Bytes::from(py)) {
                errors.push(format!("{stem} ({proto}, python -> kit): {e}"));
            }
        }
    }
    assert!(
        errors.is_empty(),
        "{} disagreement(s) between kit and Apache Thrift (Python):\n{}",
        errors.len(),
        errors.join("\n")
    );
}
