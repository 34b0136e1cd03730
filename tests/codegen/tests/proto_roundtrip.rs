//! Generated Protobuf messages round-trip: decode(encode(x)) == x for arbitrary values of the
//! conformance messages (proto3 and proto2 with groups), unknown fields survive a pass through a
//! message type that lacks them, truncated input is an error exactly when it ends inside a field,
//! random bytes never panic, and deep nesting is an error rather than a stack overflow.

use kit_runtime::HashMap;

use kit_codegen_tests::pb::grpc::testing::Empty;
use kit_codegen_tests::pb::protobuf_test_messages::proto2::{
    self, test_all_types_proto2, TestAllTypesProto2,
};
use kit_codegen_tests::pb::protobuf_test_messages::proto3::{
    test_all_types_proto3 as t3, ForeignEnum, ForeignMessage, TestAllTypesProto3,
};
use kit_runtime::bytes::Bytes;
use kit_runtime::protobuf::wire::{decode_key, skip_field};
use kit_runtime::protobuf::{Message, RECURSION_LIMIT};
use kit_runtime::{ByteStr, DecodeErrorKind};
use proptest::prelude::*;

fn byte_str() -> impl Strategy<Value = ByteStr> {
    any::<String>().prop_map(ByteStr::from)
}

fn bytes() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..16).prop_map(Bytes::from)
}

/// Doubles without NaN (NaN != NaN under `PartialEq`; NaN is covered bitwise below).
fn f64_no_nan() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("not NaN", |f| !f.is_nan()),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(f64::MAX),
    ]
}

fn f32_no_nan() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<f32>().prop_filter("not NaN", |f| !f.is_nan()),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(-0.0f32),
    ]
}

/// Known enum values and arbitrary (unknown) ones: enums are open.
fn enum_value() -> impl Strategy<Value = i32> {
    prop_oneof![Just(0), Just(1), Just(2), Just(-1), any::<i32>()]
}

fn nested3() -> impl Strategy<Value = t3::NestedMessage> {
    (any::<i32>(), proptest::option::of(any::<i64>())).prop_map(|(a, inner)| t3::NestedMessage {
        a,
        corecursive: inner.map(|v| {
            Box::new(TestAllTypesProto3 {
                optional_int64: v,
                ..Default::default()
            })
        }),
        ..Default::default()
    })
}

fn oneof3() -> impl Strategy<Value = Option<t3::OneofField>> {
    use t3::OneofField as O;
    proptest::option::of(prop_oneof![
        any::<u32>().prop_map(O::OneofUint32),
        nested3().prop_map(|m| O::OneofNestedMessage(Box::new(m))),
        byte_str().prop_map(O::OneofString),
        bytes().prop_map(O::OneofBytes),
        any::<bool>().prop_map(O::OneofBool),
        any::<u64>().prop_map(O::OneofUint64),
        f32_no_nan().prop_map(O::OneofFloat),
        f64_no_nan().prop_map(O::OneofDouble),
        enum_value().prop_map(|v| O::OneofEnum(t3::NestedEnum(v))),
    ])
}

fn small_vec<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(s, 0..5)
}

fn small_map<K: std::fmt::Debug + std::hash::Hash + Eq, V: std::fmt::Debug>(
    k: impl Strategy<Value = K>,
    v: impl Strategy<Value = V>,
) -> impl Strategy<Value = HashMap<K, V>> {
    prop::collection::hash_map(k, v, 0..4).prop_map(|m| m.into_iter().collect())
}

prop_compose! {
    fn scalars3()(
        (a, b, c, d, e, f) in (any::<i32>(), any::<i64>(), any::<u32>(), any::<u64>(), any::<i32>(), any::<i64>()),
        (g, h, i, j, k, l) in (any::<u32>(), any::<u64>(), any::<i32>(), any::<i64>(), f32_no_nan(), f64_no_nan()),
        (m, n, o, p, q, r) in (any::<bool>(), byte_str(), bytes(), enum_value(), enum_value(), enum_value()),
        (nested, foreign, sp) in (proptest::option::of(nested3()), proptest::option::of(any::<i32>()), byte_str()),
    ) -> TestAllTypesProto3 {
        TestAllTypesProto3 {
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
            optional_nested_enum: t3::NestedEnum(p),
            optional_foreign_enum: ForeignEnum(q),
            optional_aliased_enum: t3::AliasedEnum(r),
            optional_nested_message: nested.map(Box::new),
            optional_foreign_message: foreign.map(|c| ForeignMessage { c, ..Default::default() }),
            optional_string_piece: sp,
            ..Default::default()
        }
    }
}

prop_compose! {
    fn all3()(
        mut x in scalars3(),
        (ri32, ri64, ru64, rs32, rs64, rf32) in (small_vec(any::<i32>()), small_vec(any::<i64>()), small_vec(any::<u64>()), small_vec(any::<i32>()), small_vec(any::<i64>()), small_vec(any::<u32>())),
        (rsf64, rfl, rdb, rb, rstr, rby) in (small_vec(any::<i64>()), small_vec(f32_no_nan()), small_vec(f64_no_nan()), small_vec(any::<bool>()), small_vec(byte_str()), small_vec(bytes())),
        (rmsg, renum, ui32, ui64, us32, udb) in (small_vec(nested3()), small_vec(enum_value()), small_vec(any::<i32>()), small_vec(any::<i64>()), small_vec(any::<i32>()), small_vec(f64_no_nan())),
        (ubool, uenum, pf64, pbool) in (small_vec(any::<bool>()), small_vec(enum_value()), small_vec(any::<u64>()), small_vec(any::<bool>())),
        (m_i32, m_i64, m_u64, m_s64, m_sf32, m_dbl) in (small_map(any::<i32>(), any::<i32>()), small_map(any::<i64>(), any::<i64>()), small_map(any::<u64>(), any::<u64>()), small_map(any::<i64>(), any::<i64>()), small_map(any::<i32>(), any::<i32>()), small_map(any::<i32>(), f64_no_nan())),
        (m_bool, m_ss, m_sb, m_msg, m_enum) in (small_map(any::<bool>(), any::<bool>()), small_map(byte_str(), byte_str()), small_map(byte_str(), bytes()), small_map(byte_str(), nested3()), small_map(byte_str(), enum_value())),
        oneof in oneof3(),
    ) -> TestAllTypesProto3 {
        x.repeated_int32 = ri32.clone();
        x.packed_int32 = ri32;
        x.repeated_int64 = ri64;
        x.packed_uint64 = ru64.clone();
        x.repeated_uint64 = ru64;
        x.repeated_sint32 = rs32.clone();
        x.packed_sint32 = rs32;
        x.packed_sint64 = rs64;
        x.repeated_fixed32 = rf32;
        x.packed_sfixed64 = rsf64;
        x.repeated_float = rfl;
        x.packed_double = rdb;
        x.packed_bool = rb;
        x.repeated_string = rstr;
        x.repeated_bytes = rby;
        x.repeated_nested_message = rmsg;
        x.repeated_nested_enum = renum.iter().copied().map(t3::NestedEnum).collect();
        x.packed_nested_enum = renum.into_iter().map(t3::NestedEnum).collect();
        x.unpacked_int32 = ui32;
        x.unpacked_int64 = ui64;
        x.unpacked_sint32 = us32;
        x.unpacked_double = udb;
        x.unpacked_bool = ubool;
        x.unpacked_nested_enum = uenum.into_iter().map(t3::NestedEnum).collect();
        x.packed_fixed64 = pf64;
        x.unpacked_bool.extend(pbool);
        x.map_int32_int32 = m_i32;
        x.map_int64_int64 = m_i64;
        x.map_uint64_uint64 = m_u64;
        x.map_sint64_sint64 = m_s64;
        x.map_sfixed32_sfixed32 = m_sf32;
        x.map_int32_double = m_dbl;
        x.map_bool_bool = m_bool;
        x.map_string_string = m_ss;
        x.map_string_bytes = m_sb;
        x.map_string_nested_message = m_msg;
        x.map_string_nested_enum = m_enum.into_iter().map(|(k, v)| (k, t3::NestedEnum(v))).collect();
        x.oneof_field = oneof;
        x
    }
}

fn nested2() -> impl Strategy<Value = test_all_types_proto2::NestedMessage> {
    proptest::option::of(any::<i32>()).prop_map(|a| test_all_types_proto2::NestedMessage {
        a,
        ..Default::default()
    })
}

fn oneof2() -> impl Strategy<Value = Option<test_all_types_proto2::OneofField>> {
    use test_all_types_proto2::OneofField as O;
    proptest::option::of(prop_oneof![
        any::<u32>().prop_map(O::OneofUint32),
        nested2().prop_map(|m| O::OneofNestedMessage(Box::new(m))),
        byte_str().prop_map(O::OneofString),
        bytes().prop_map(O::OneofBytes),
        any::<bool>().prop_map(O::OneofBool),
        f64_no_nan().prop_map(O::OneofDouble),
        enum_value().prop_map(|v| O::OneofEnum(test_all_types_proto2::NestedEnum(v))),
    ])
}

fn opt<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(s)
}

prop_compose! {
    fn all2()(
        (a, b, c, d, e, f) in (opt(any::<i32>()), opt(any::<i64>()), opt(any::<u32>()), opt(any::<u64>()), opt(any::<i32>()), opt(any::<i64>())),
        (g, h, i, j, k, l) in (opt(any::<u32>()), opt(any::<u64>()), opt(any::<i32>()), opt(any::<i64>()), opt(f32_no_nan()), opt(f64_no_nan())),
        (m, n, o, p, q) in (opt(any::<bool>()), opt(byte_str()), opt(bytes()), opt(enum_value()), opt(nested2())),
        group in opt((opt(any::<i32>()), opt(any::<u32>()))),
        (d_i32, d_i64, d_str, d_bytes, d_bool, d_dbl) in (opt(any::<i32>()), opt(any::<i64>()), opt(byte_str()), opt(bytes()), opt(any::<bool>()), opt(f64_no_nan())),
        (ri32, rstr, pi64, ui32, rmsg) in (small_vec(any::<i32>()), small_vec(byte_str()), small_vec(any::<i64>()), small_vec(any::<i32>()), small_vec(nested2())),
        (m_ss, m_i32) in (small_map(byte_str(), byte_str()), small_map(any::<i32>(), any::<i32>())),
        oneof in oneof2(),
    ) -> TestAllTypesProto2 {
        TestAllTypesProto2 {
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
            optional_nested_enum: p.map(test_all_types_proto2::NestedEnum),
            optional_nested_message: q.map(Box::new),
            data: group.map(|(group_int32, group_uint32)| test_all_types_proto2::Data {
                group_int32,
                group_uint32,
                ..Default::default()
            }),
            default_int32: d_i32,
            default_int64: d_i64,
            default_string: d_str,
            default_bytes: d_bytes,
            default_bool: d_bool,
            default_double: d_dbl,
            repeated_int32: ri32,
            repeated_string: rstr,
            packed_int64: pi64,
            unpacked_int32: ui32,
            repeated_nested_message: rmsg,
            map_string_string: m_ss,
            map_int32_int32: m_i32,
            oneof_field: oneof,
            ..Default::default()
        }
    }
}

/// Offsets at which a top-level field ends (0 included): exactly the prefixes that are whole
/// messages.
fn field_boundaries(b: &Bytes) -> Vec<usize> {
    let mut buf = b.clone();
    let mut out = vec![0];
    while !buf.is_empty() {
        let (tag, wt) = decode_key(&mut buf).expect("key");
        skip_field(wt, tag, &mut buf, RECURSION_LIMIT).expect("field");
        out.push(b.len() - buf.len());
    }
    out
}

fn roundtrip<M: Message + PartialEq + std::fmt::Debug>(x: &M) {
    let b = x.encode_to_bytes();
    assert_eq!(b.len(), x.encoded_len(), "encoded_len agrees with encode");
    let d = M::decode(b.clone()).expect("decode");
    assert_eq!(&d, x);
    // Unknown fields: every field is unknown to `Empty`; it keeps and re-emits them verbatim.
    let e = Empty::decode(b.clone()).expect("decode as Empty");
    let eb = e.encode_to_bytes();
    assert_eq!(eb, b, "Empty re-emits the unknown fields byte for byte");
    assert_eq!(&M::decode(eb).expect("decode after Empty"), x);
    // Truncation: a prefix decodes iff it ends at a top-level field boundary.
    let bounds = field_boundaries(&b);
    let step = (b.len() / 40).max(1);
    for cut in (0..b.len())
        .step_by(step)
        .chain([b.len().saturating_sub(1)])
    {
        let r = M::decode(b.slice(..cut));
        assert_eq!(
            r.is_ok(),
            bounds.contains(&cut),
            "prefix of {cut}/{} bytes: {r:?}",
            b.len()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn proto3_all_types_roundtrip(x in all3()) {
        roundtrip(&x);
    }

    #[test]
    fn proto3_unknown_fields_survive_a_partial_type(x in all3()) {
        // ForeignMessage knows field 1 (int32, like optional_int32) and nothing else.
        let b = x.encode_to_bytes();
        let f = ForeignMessage::decode(b).expect("decode as ForeignMessage");
        prop_assert_eq!(f.c, x.optional_int32);
        let again = TestAllTypesProto3::decode(f.encode_to_bytes()).expect("decode again");
        prop_assert_eq!(again, x);
    }

    #[test]
    fn proto2_all_types_roundtrip(x in all2()) {
        roundtrip(&x);
    }

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..256)) {
        let b = Bytes::from(data);
        let _ = TestAllTypesProto3::decode(b.clone());
        let _ = TestAllTypesProto2::decode(b.clone());
        let _ = proto2::UnknownToTestAllTypes::decode(b.clone());
        let _ = Empty::decode(b.clone());
        let _ = kit_codegen_tests::pb::google::pubsub::v1::PubsubMessage::decode(b);
    }

    #[test]
    fn random_bytes_after_a_valid_message_never_panic(x in scalars3(), tail in prop::collection::vec(any::<u8>(), 1..32)) {
        let mut v = x.encode_to_bytes().to_vec();
        v.extend(tail);
        let _ = TestAllTypesProto3::decode(Bytes::from(v));
    }
}

#[test]
fn nan_and_signed_zero_roundtrip_bitwise() {
    let nan = f64::from_bits(0x7ff8_0000_0000_1234);
    let x = TestAllTypesProto3 {
        optional_double: nan,
        optional_float: -0.0,
        repeated_double: vec![nan, -f64::NAN, -0.0, f64::INFINITY],
        unpacked_float: vec![f32::NAN, -0.0],
        oneof_field: Some(t3::OneofField::OneofDouble(f64::NAN)),
        ..Default::default()
    };
    let b = x.encode_to_bytes();
    let d = TestAllTypesProto3::decode(b.clone()).unwrap();
    assert_eq!(d.optional_double.to_bits(), nan.to_bits());
    assert_eq!(d.optional_float.to_bits(), (-0.0f32).to_bits());
    let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&d.repeated_double), bits(&x.repeated_double));
    assert_eq!(d.unpacked_float[0].to_bits(), f32::NAN.to_bits());
    assert_eq!(d.unpacked_float[1].to_bits(), (-0.0f32).to_bits());
    match d.oneof_field {
        Some(t3::OneofField::OneofDouble(f)) => assert_eq!(f.to_bits(), f64::NAN.to_bits()),
        other => panic!("oneof lost: {other:?}"),
    }
    assert_eq!(d.encode_to_bytes(), b);
}

#[test]
fn negative_int32_is_ten_bytes_and_sint_is_zigzag() {
    let x = TestAllTypesProto3 {
        optional_int32: -1,
        optional_sint32: -1,
        ..Default::default()
    };
    let b = x.encode_to_bytes();
    #[rustfmt::skip]
    let expected: &[u8] = &[
        0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // 1: int32 -1
        0x28, 0x01,                                                       // 5: sint32 -1
    ];
    assert_eq!(&b[..], expected);
    assert_eq!(TestAllTypesProto3::decode(b).unwrap(), x);
}

#[test]
fn proto2_group_and_unknown_enum_roundtrip() {
    let x = TestAllTypesProto2 {
        data: Some(test_all_types_proto2::Data {
            group_int32: Some(-5),
            group_uint32: Some(7),
            ..Default::default()
        }),
        optional_nested_enum: Some(test_all_types_proto2::NestedEnum(12345)),
        default_string: Some("".into()),
        default_int32: Some(0),
        ..Default::default()
    };
    let b = x.encode_to_bytes();
    // Group 201: start key (201 << 3 | 3), end key (201 << 3 | 4).
    assert!(b.windows(2).any(|w| w == [0xcb, 0x0c]), "{b:?}");
    assert!(b.windows(2).any(|w| w == [0xcc, 0x0c]), "{b:?}");
    let d = TestAllTypesProto2::decode(b.clone()).unwrap();
    assert_eq!(d, x);
    // Present-but-default optional fields stay present.
    assert_eq!(d.default_int32, Some(0));
    assert_eq!(d.default_string.as_deref(), Some(""));
    let e = Empty::decode(b.clone()).unwrap();
    assert_eq!(e.unknown_fields.len(), 4);
    assert_eq!(e.encode_to_bytes(), b);
}

#[test]
fn unknown_field_numbers_are_kept_and_reemitted() {
    let x = TestAllTypesProto3 {
        optional_int32: 5,
        ..Default::default()
    };
    let mut v = x.encode_to_bytes().to_vec();
    // Field 9999 varint 300, field 10000 length-delimited "abc", field 10001 fixed32, group 10002.
    #[rustfmt::skip]
    v.extend_from_slice(&[
        0xf8, 0xf0, 0x04, 0xac, 0x02,
        0x82, 0xf1, 0x04, 0x03, b'a', b'b', b'c',
        0x8d, 0xf1, 0x04, 1, 2, 3, 4,
        0x93, 0xf1, 0x04, 0x08, 0x01, 0x94, 0xf1, 0x04,
    ]);
    let b = Bytes::from(v);
    let d = TestAllTypesProto3::decode(b.clone()).unwrap();
    assert_eq!(d.optional_int32, 5);
    assert_eq!(d.unknown_fields.len(), 4);
    assert_eq!(d.encode_to_bytes(), b);
}

fn nested_proto3(depth: usize) -> TestAllTypesProto3 {
    let mut m = TestAllTypesProto3 {
        optional_int32: 1,
        ..Default::default()
    };
    for _ in 0..depth {
        m = TestAllTypesProto3 {
            recursive_message: Some(Box::new(m)),
            ..Default::default()
        };
    }
    m
}

#[test]
fn nesting_within_the_limit_decodes() {
    let x = nested_proto3(50);
    assert_eq!(TestAllTypesProto3::decode(x.encode_to_bytes()).unwrap(), x);
}

#[test]
fn nesting_beyond_the_limit_is_an_error() {
    let x = nested_proto3(150);
    let err = TestAllTypesProto3::decode(x.encode_to_bytes()).unwrap_err();
    assert!(matches!(err.kind(), DecodeErrorKind::DepthLimit), "{err}");
}

#[test]
fn hostile_deep_nesting_is_an_error_not_a_stack_overflow() {
    // 100 000 levels of recursive_message (field 27, length-delimited), built inside out.
    let depth = 100_000;
    let mut rev: Vec<u8> = Vec::new(); // the encoding, reversed
    for _ in 0..depth {
        let len = rev.len() as u64;
        let mut prefix = vec![0xda, 0x01]; // key: 27 << 3 | 2
        let mut n = len;
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                prefix.push(byte);
                break;
            }
            prefix.push(byte | 0x80);
        }
        rev.extend(prefix.iter().rev());
    }
    rev.reverse();
    let b = Bytes::from(rev);
    let err = TestAllTypesProto3::decode(b).unwrap_err();
    assert!(matches!(err.kind(), DecodeErrorKind::DepthLimit), "{err}");

    // Deeply nested unknown groups (field 9999) in a proto2 message.
    let mut g = Vec::new();
    for _ in 0..100_000 {
        g.extend_from_slice(&[0xfb, 0xf0, 0x04]); // start group 9999
    }
    let err = TestAllTypesProto2::decode(Bytes::from(g)).unwrap_err();
    assert!(matches!(err.kind(), DecodeErrorKind::DepthLimit), "{err}");
}

/// Message fields stored as `Arc<T>` (build.rs `arc_field(".kit.arc.Order")`, idl/arc.proto):
/// they round-trip, and merging into a value shared with a clone copies it first
/// (`Arc::make_mut`), leaving the clone as it was.
#[test]
fn arc_fields() {
    use kit_codegen_tests::pb::kit::arc::{Item, Order};
    use std::sync::Arc;
    let item = |n: &'static str, q| Item {
        name: ByteStr::from_static(n),
        qty: q,
        ..Default::default()
    };
    let o = Order {
        items: Arc::new(vec![item("a", 1), item("b", 2)]),
        first: Some(Arc::new(item("f", 3))),
        by_name: Arc::new(
            [(ByteStr::from_static("x"), item("x", 4))]
                .into_iter()
                .collect(),
        ),
        ids: Arc::new(vec![7, -8]),
        parent: Some(Arc::new(Order {
            plain: 1,
            ..Default::default()
        })),
        plain: 10,
        ..Default::default()
    };
    let bytes = o.encode_to_bytes();
    assert_eq!(Order::decode(bytes.clone()).unwrap(), o);

    // Merging the same bytes again appends to the repeated fields and merges the messages;
    // the clone taken before still has the old values.
    let before = o.clone();
    assert!(Arc::ptr_eq(&before.items, &o.items));
    let mut merged = o;
    merged.merge(bytes).unwrap();
    assert_eq!(merged.items.len(), 4);
    assert_eq!(merged.ids.as_slice(), &[7, -8, 7, -8]);
    assert_eq!(before.items.len(), 2);
    assert_eq!(before.ids.as_slice(), &[7, -8]);
    assert!(!Arc::ptr_eq(&before.items, &merged.items));
}

/// A decode error names where it happened, outermost field first: a plain field, a field of a
/// nested message, a map entry and a oneof member (the generated `merge_field` names the field
/// on its error path only).
#[test]
fn decode_errors_name_the_field_path() {
    let path = |wire: &[u8]| {
        let err = TestAllTypesProto3::decode(Bytes::copy_from_slice(wire)).unwrap_err();
        (err.kind().clone(), err.path().collect::<Vec<_>>())
    };
    let at = |fields: &[&str]| fields.iter().map(|f| f.to_string()).collect::<Vec<_>>();
    // optional_string (14): one byte that is not UTF-8.
    assert_eq!(
        path(&[0x72, 0x01, 0xff]),
        (
            DecodeErrorKind::InvalidUtf8,
            at(&["TestAllTypesProto3.optional_string"])
        )
    );
    // optional_nested_message (18) { a (1): a varint cut short }.
    assert_eq!(
        path(&[0x92, 0x01, 0x02, 0x08, 0x80]),
        (
            DecodeErrorKind::Truncated,
            at(&[
                "TestAllTypesProto3.optional_nested_message",
                "NestedMessage.a"
            ])
        )
    );
    // map_string_string (69) { key "k", value: not UTF-8 }.
    let (kind, p) = path(&[0xaa, 0x04, 0x06, 0x0a, 0x01, b'k', 0x12, 0x01, 0xff]);
    assert_eq!(kind, DecodeErrorKind::InvalidUtf8);
    assert_eq!(
        p.first().map(String::as_str),
        Some("TestAllTypesProto3.map_string_string")
    );
    // oneof_string (113): not UTF-8, after a valid oneof_uint32 (111) that it would replace.
    assert_eq!(
        path(&[0xf8, 0x06, 0x05, 0x8a, 0x07, 0x01, 0xff]),
        (
            DecodeErrorKind::InvalidUtf8,
            at(&["TestAllTypesProto3.oneof_string"])
        )
    );
    // recursive_message (27) { optional_string (14): not UTF-8 }.
    assert_eq!(
        path(&[0xda, 0x01, 0x03, 0x72, 0x01, 0xff]),
        (
            DecodeErrorKind::InvalidUtf8,
            at(&[
                "TestAllTypesProto3.recursive_message",
                "TestAllTypesProto3.optional_string"
            ])
        )
    );
}

/// Maps generated as `BTreeMap`s (build.rs: `btree_maps(true)`) for every kind of key and
/// value: round trip, entries written in key order (a `BTreeMap` iterates sorted), and a
/// repeated key on the wire keeps the last value.
#[test]
fn btree_maps_round_trip_in_key_order() {
    use kit_codegen_tests::btree::kit::btree::{Color, Item, Maps};
    use std::collections::BTreeMap;
    let counts: BTreeMap<ByteStr, i64> = [("b".into(), -1), ("a".into(), 7)].into();
    let m = Maps {
        counts,
        items: [
            (
                3,
                Item {
                    name: "x".into(),
                    ..Default::default()
                },
            ),
            (-2, Item::default()),
        ]
        .into(),
        colors: [(true, Color::RED), (false, Color::COLOR_UNSPECIFIED)].into(),
        blobs: [(-9, Bytes::from_static(b"\x00\xff"))].into(),
        names: [(u32::MAX, "max".into())].into(),
        ..Default::default()
    };
    let wire = m.encode_to_bytes();
    assert_eq!(wire.len(), m.encoded_len());
    assert_eq!(Maps::decode(wire.clone()).unwrap(), m);
    // counts: the entry of key "a" comes first.
    assert_eq!(&wire[..8], b"\x0a\x05\x0a\x01a\x10\x07\x0a");
    // The same key twice: the later entry wins.
    let twice = Bytes::from_static(b"\x0a\x05\x0a\x01k\x10\x01\x0a\x05\x0a\x01k\x10\x02");
    let d = Maps::decode(twice).unwrap();
    assert_eq!(d.counts.into_iter().collect::<Vec<_>>(), [("k".into(), 2)]);
    // Errors name the field (this message's names are a list by number, 1..=5).
    for (wire, field) in [
        (&b"\x0a\x03\x0a\x01\xff"[..], "Maps.counts"),
        (&b"\x2a\x03\x12\x01\xff"[..], "Maps.names"),
    ] {
        let e = Maps::decode(Bytes::from_static(wire)).unwrap_err();
        assert_eq!(e.path().collect::<Vec<_>>(), [field]);
    }
}
