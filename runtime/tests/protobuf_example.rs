//! Round-trip, unknown-field and hostile-input tests for the hand-written
//! Protobuf model (`tests/models/mod.rs`).

mod models;

use kit_runtime::bytes::{Bytes, BytesMut};
use kit_runtime::protobuf::wire::{encode_key, encode_varint};
use kit_runtime::protobuf::{field, Message, WireType};
use kit_runtime::{ByteStr, DecodeErrorKind};
use models::{Address, Color, Person, Tree};
use proptest::prelude::*;

fn sample() -> Person {
    Person {
        name: "Ada".into(),
        id: -1,
        emails: vec!["a@x".into(), "b@y".into()],
        scores: vec![0, -1, i64::MAX, 300],
        address: Some(Address {
            city: "Zürich".into(),
            zip: 8000,
            ..Default::default()
        }),
        weight: Some(0.0),
        blob: Bytes::from_static(b"\x00\xff"),
        delta: -2,
        codes: vec![1, u32::MAX],
        active: true,
        history: vec![
            Address::default(),
            Address {
                city: "Oslo".into(),
                ..Default::default()
            },
        ],
        color: Color::GREEN,
        ..Default::default()
    }
}

#[test]
fn known_bytes_for_small_person() {
    let p = Person {
        name: "A".into(),
        id: 150,
        scores: vec![1, 2],
        delta: -1,
        ..Default::default()
    };
    let b = p.encode_to_bytes();
    assert_eq!(
        &b[..],
        &[0x0A, 0x01, b'A', 0x10, 0x96, 0x01, 0x22, 0x02, 0x01, 0x02, 0x40, 0x01]
    );
    assert_eq!(Person::decode(b).unwrap(), p);
}

#[test]
fn negative_int32_is_ten_bytes() {
    let p = Person {
        id: -1,
        ..Default::default()
    };
    let b = p.encode_to_bytes();
    assert_eq!(b.len(), 1 + 10);
    assert_eq!(Person::decode(b).unwrap().id, -1);
}

#[test]
fn round_trip_and_exact_length() {
    let p = sample();
    let b = p.encode_to_bytes();
    assert_eq!(b.len(), p.encoded_len());
    assert_eq!(Person::decode(b.clone()).unwrap(), p);
    let mut buf = BytesMut::new();
    p.encode(&mut buf);
    assert_eq!(buf.freeze(), b);
}

#[test]
fn length_delimited_stream() {
    let a = sample();
    let b = Person {
        name: "B".into(),
        ..Default::default()
    };
    let mut buf = BytesMut::new();
    a.encode_length_delimited(&mut buf);
    b.encode_length_delimited(&mut buf);
    let mut stream = buf.freeze();
    assert_eq!(Person::decode_length_delimited(&mut stream).unwrap(), a);
    assert_eq!(Person::decode_length_delimited(&mut stream).unwrap(), b);
    assert!(stream.is_empty());
    assert_eq!(
        b.encode_length_delimited_to_bytes()[0] as usize,
        b.encoded_len()
    );
}

#[test]
fn unpacked_and_packed_both_accepted() {
    let mut buf = BytesMut::new();
    // scores (4) unpacked twice, then a packed run
    field::int64::encode_repeated(4, &[5, -6], &mut buf);
    field::int64::encode_packed(4, &[7, 8], &mut buf);
    // codes (9) unpacked then packed
    field::fixed32::encode_repeated(9, &[1], &mut buf);
    field::fixed32::encode_packed(9, &[2, 3], &mut buf);
    let p = Person::decode(buf.freeze()).unwrap();
    assert_eq!(p.scores, [5, -6, 7, 8]);
    assert_eq!(p.codes, [1, 2, 3]);
}

#[test]
fn merge_semantics_last_scalar_wins_messages_merge() {
    let a = Person {
        id: 1,
        address: Some(Address {
            city: "X".into(),
            ..Default::default()
        }),
        emails: vec!["e1".into()],
        ..Default::default()
    };
    let b = Person {
        id: 2,
        address: Some(Address {
            zip: 5,
            ..Default::default()
        }),
        emails: vec!["e2".into()],
        ..Default::default()
    };
    let mut m = Person::decode(a.encode_to_bytes()).unwrap();
    m.merge(b.encode_to_bytes()).unwrap();
    assert_eq!(m.id, 2);
    assert_eq!(m.emails, ["e1", "e2"]);
    let addr = m.address.unwrap();
    assert_eq!((addr.city.as_str(), addr.zip), ("X", 5));
}

#[test]
fn unknown_fields_preserved_verbatim() {
    // A "newer" Person: known fields interleaved with unknown ones of every wire type.
    let mut buf = BytesMut::new();
    field::string::encode(1, "N", &mut buf);
    field::uint64::encode(20, 1 << 40, &mut buf); // varint
    field::fixed64::encode(21, 7, &mut buf); // fixed64
    field::bytes::encode(22, b"opaque", &mut buf); // length-delimited
    encode_key(23, WireType::StartGroup, &mut buf); // group with content
    field::int32::encode(1, 5, &mut buf);
    encode_key(23, WireType::EndGroup, &mut buf);
    field::float::encode(24, 1.5, &mut buf); // fixed32
                                             // unknown field inside the nested Address
    let mut addr = BytesMut::new();
    field::string::encode(1, "C", &mut addr);
    field::sint32::encode(99, -9, &mut addr);
    field::bytes::encode(5, &addr, &mut buf);
    let input = buf.freeze();

    let p = Person::decode(input.clone()).unwrap();
    assert_eq!(p.name, "N");
    assert_eq!(p.unknown_fields.len(), 5);
    let nums: Vec<_> = p.unknown_fields.iter().map(|f| f.number).collect();
    assert_eq!(nums, [20, 21, 22, 23, 24]);
    // zero-copy: captured data points into the input
    let f22 = p.unknown_fields.iter().find(|f| f.number == 22).unwrap();
    let range = input.as_ptr() as usize..input.as_ptr() as usize + input.len();
    assert!(range.contains(&(f22.data.as_ptr() as usize)));
    assert_eq!(p.address.as_ref().unwrap().unknown_fields.len(), 1);

    // Re-encoding reproduces the same bytes (known fields first, then unknown,
    // which here is the same order as the input except the nested address).
    let out = p.encode_to_bytes();
    assert_eq!(out.len(), p.encoded_len());
    assert_eq!(out.len(), input.len());
    let again = Person::decode(out.clone()).unwrap();
    assert_eq!(again, p);
    assert_eq!(again.encode_to_bytes(), out);
}

#[test]
fn wrong_wire_type_is_an_error_with_path() {
    let mut buf = BytesMut::new();
    encode_key(2, WireType::Fixed32, &mut buf); // id is a varint field
    buf.extend_from_slice(&[0, 0, 0, 0]);
    let err = Person::decode(buf.freeze()).unwrap_err();
    assert!(matches!(err.kind(), DecodeErrorKind::InvalidData(_)));
    assert!(err.to_string().ends_with("(at Person.id)"), "{err}");
}

#[test]
fn hostile_inputs() {
    // name with a 2 GiB length prefix in 10 bytes
    let b = Bytes::from_static(&[0x0A, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0, 0, 0]);
    let err = Person::decode(b).unwrap_err();
    assert!(matches!(err.kind(), DecodeErrorKind::LengthLimit { .. }));
    // overlong varint in id
    let mut v = vec![0x10];
    v.extend_from_slice(&[0x80; 10]);
    v.push(0x01);
    let err = Person::decode(v.into()).unwrap_err();
    assert_eq!(err.kind(), &DecodeErrorKind::InvalidVarint);
    // invalid UTF-8 in name
    let err = Person::decode(Bytes::from_static(&[0x0A, 0x01, 0xC3])).unwrap_err();
    assert_eq!(err.kind(), &DecodeErrorKind::InvalidUtf8);
    // field number 0
    let err = Person::decode(Bytes::from_static(&[0x00, 0x00])).unwrap_err();
    assert_eq!(err.kind(), &DecodeErrorKind::InvalidFieldNumber);
    // stray end group at top level
    // (field 50, wire type 4: unknown, so it reaches skip_field)
    let err = Person::decode(Bytes::from_static(&[0x94, 0x03])).unwrap_err();
    assert_eq!(err.kind(), &DecodeErrorKind::UnexpectedEndGroup);
    // packed fixed32 with a length not a multiple of 4
    let err = Person::decode(Bytes::from_static(&[0x4A, 0x03, 1, 2, 3])).unwrap_err();
    assert!(matches!(err.kind(), DecodeErrorKind::InvalidData(_)));
}

#[test]
fn message_depth_limit() {
    fn nest(depth: usize) -> Tree {
        let mut t = Tree::default();
        for _ in 0..depth {
            t = Tree { kids: vec![t] };
        }
        t
    }
    let ok = nest(100);
    assert_eq!(Tree::decode(ok.encode_to_bytes()).unwrap(), ok);
    let deep = nest(101);
    assert_eq!(
        Tree::decode(deep.encode_to_bytes()).unwrap_err().kind(),
        &DecodeErrorKind::DepthLimit
    );
}

#[test]
fn truncated_length_delimited_always_errors() {
    let p = sample();
    let full = p.encode_length_delimited_to_bytes();
    for cut in 0..full.len() {
        let mut b = full.slice(..cut);
        assert!(
            Person::decode_length_delimited(&mut b).is_err(),
            "cut {cut}"
        );
        // plain decode of a truncated body must not panic (it may succeed at
        // a field boundary, since protobuf has no terminator)
        let _ = Person::decode(full.slice(1..cut.max(1)));
    }
}

// ------------------------------------------------------------ proptest

fn arb_str() -> impl Strategy<Value = ByteStr> {
    ".{0,10}".prop_map(ByteStr::from)
}

fn arb_address() -> impl Strategy<Value = Address> {
    (arb_str(), any::<u32>()).prop_map(|(city, zip)| Address {
        city,
        zip,
        ..Default::default()
    })
}

prop_compose! {
    fn arb_person()(
        name in arb_str(),
        id in any::<i32>(),
        emails in proptest::collection::vec(arb_str(), 0..5),
        scores in proptest::collection::vec(any::<i64>(), 0..10),
        address in proptest::option::of(arb_address()),
        weight in proptest::option::of(any::<f64>().prop_filter("nan", |f| !f.is_nan())),
        blob in proptest::collection::vec(any::<u8>(), 0..20),
        delta in any::<i64>(),
        codes in proptest::collection::vec(any::<u32>(), 0..6),
        active in any::<bool>(),
        history in proptest::collection::vec(arb_address(), 0..3),
        color in any::<i32>(),
    ) -> Person {
        Person { name, id, emails, scores, address, weight, blob: blob.into(), delta,
                 codes, active, history, color: Color(color), ..Default::default() }
    }
}

/// Unknown fields: (field number 13..=1000, wire type, payload) appended to the encoding.
fn arb_unknown() -> impl Strategy<Value = Vec<(u32, u8, u64, Vec<u8>)>> {
    proptest::collection::vec(
        (
            13u32..1000,
            prop_oneof![Just(0u8), Just(1), Just(2), Just(5)],
            any::<u64>(),
            proptest::collection::vec(any::<u8>(), 0..8),
        ),
        0..5,
    )
}

proptest! {
    #[test]
    fn prop_person_round_trip(p in arb_person()) {
        let b = p.encode_to_bytes();
        prop_assert_eq!(b.len(), p.encoded_len());
        prop_assert_eq!(Person::decode(b).unwrap(), p);
    }

    #[test]
    fn prop_unknown_fields_survive(p in arb_person(), unknown in arb_unknown()) {
        let mut buf = BytesMut::new();
        p.encode(&mut buf);
        let mut tail = BytesMut::new();
        for (num, wt, v, data) in &unknown {
            match wt {
                0 => field::uint64::encode(*num, *v, &mut tail),
                1 => field::fixed64::encode(*num, *v, &mut tail),
                2 => field::bytes::encode(*num, data, &mut tail),
                _ => field::fixed32::encode(*num, *v as u32, &mut tail),
            }
        }
        buf.extend_from_slice(&tail);
        let d = Person::decode(buf.freeze()).unwrap();
        prop_assert_eq!(d.unknown_fields.len(), unknown.len());
        prop_assert_eq!(d.unknown_fields.encoded_len(), tail.len());
        // re-encoding = known fields followed by the unknown bytes verbatim
        let out = d.encode_to_bytes();
        prop_assert_eq!(out.len(), d.encoded_len());
        prop_assert_eq!(&out[out.len() - tail.len()..], &tail[..]);
        let mut known = d.clone();
        known.unknown_fields.clear();
        prop_assert_eq!(known, p);
    }
}

#[test]
fn encode_varint_used_by_length_prefix() {
    let mut b = BytesMut::new();
    encode_varint(u64::MAX, &mut b);
    assert_eq!(b.len(), 10);
}

#[test]
fn map_fields_round_trip() {
    use kit_runtime::protobuf::wire::{decode_key, RECURSION_LIMIT};
    use std::collections::BTreeMap;
    // map<int32, Address> as field 3 of some message
    let m: BTreeMap<i32, Address> = [
        (0, Address::default()),
        (
            -5,
            Address {
                city: "Bern".into(),
                zip: 3000,
                ..Default::default()
            },
        ),
    ]
    .into_iter()
    .collect();
    let mut buf = BytesMut::new();
    field::map::encode(3, &m, field::int32::Codec, field::message::Codec, &mut buf);
    assert_eq!(
        buf.len(),
        field::map::encoded_len(3, &m, field::int32::Codec, field::message::Codec)
    );
    let mut r = buf.freeze();
    let mut out = BTreeMap::new();
    while !r.is_empty() {
        let (tag, wt) = decode_key(&mut r).unwrap();
        assert_eq!(tag, 3);
        field::map::merge_into(
            wt,
            &mut r,
            RECURSION_LIMIT,
            &mut out,
            field::int32::Codec,
            field::message::Codec,
        )
        .unwrap();
    }
    assert_eq!(out, m);
    // an entry with neither key nor value decodes as defaults; unknown entry
    // fields are skipped
    let mut r = Bytes::from_static(&[0x02, 0x18, 0x01]);
    let (k, v): (i32, u64) = field::map::merge(
        WireType::LengthDelimited,
        &mut r,
        RECURSION_LIMIT,
        field::int32::Codec,
        field::uint64::Codec,
    )
    .unwrap();
    assert_eq!((k, v), (0, 0));
}

#[test]
fn field_crossing_embedded_message_end_is_rejected() {
    // Person.address (field 5) declares 3 bytes, but its city string (field 1)
    // claims 4 bytes, running into the parent's next field.
    let b = Bytes::from_static(&[0x2A, 0x03, 0x0A, 0x04, b'a', b'b', 0x10, 0x01]);
    let err = Person::decode(b).unwrap_err();
    assert!(err.to_string().contains("crosses the end"), "{err}");
    // The same bytes with a correct embedded length decode fine.
    let b = Bytes::from_static(&[0x2A, 0x04, 0x0A, 0x02, b'a', b'b', 0x10, 0x01]);
    let p = Person::decode(b).unwrap();
    assert_eq!(p.address.unwrap().city, "ab");
    assert_eq!(p.id, 1);
}
