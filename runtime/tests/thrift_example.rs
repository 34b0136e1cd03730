//! Round-trip and hostile-input tests for the hand-written Thrift model
//! (`tests/models/mod.rs`) under both protocols.

mod models;

use std::collections::BTreeSet;

use kit_runtime::bytes::{Bytes, BytesMut};
use kit_runtime::thrift::{
    Binary, BinaryReader, Compact, CompactReader, MessageType, Protocol, Reader, TType,
    ThriftStruct, Writer,
};
use kit_runtime::{ByteStr, DecodeErrorKind};
use models::{Color, Example, Inner, Node};
use proptest::prelude::*;

fn sample() -> Example {
    Example {
        id: -42,
        name: "héllo".into(),
        tags: vec!["a".into(), "".into(), "ccc".into()],
        counts: [("x".into(), 1i64), ("y".into(), i64::MIN)]
            .into_iter()
            .collect(),
        inner: Inner {
            a: 7,
            tag: Some("t".into()),
        },
        flag: Some(false),
        blob: Some(Bytes::from_static(&[0, 1, 2, 255])),
        score: -1.5,
        small: [1i16, -1, 300].into_iter().collect(),
        uid: Some([9; 16]),
        color: Color(77),
        tiny: -128,
        inners: vec![
            Inner { a: 1, tag: None },
            Inner {
                a: 2,
                tag: Some("two".into()),
            },
        ],
    }
}

#[test]
fn example_round_trips_both_protocols() {
    let e = sample();
    for (name, enc) in [
        ("binary", e.encode_binary()),
        ("compact", e.encode_compact()),
    ] {
        let d = if name == "binary" {
            Example::decode_binary(enc.clone())
        } else {
            Example::decode_compact(enc.clone())
        }
        .unwrap();
        assert_eq!(d, e, "{name}");
    }
    assert_eq!(e.encoded_len::<Binary>(), e.encode_binary().len());
    assert_eq!(e.encoded_len::<Compact>(), e.encode_compact().len());
    // compact is smaller for this payload
    assert!(e.encode_compact().len() < e.encode_binary().len());
}

#[test]
fn decoded_strings_borrow_the_input() {
    // Strings longer than `ByteStr`'s inline capacity (23 bytes) and all binaries share the
    // input; shorter strings are copied into the value (no allocation either way).
    let mut e = sample();
    e.name = "héllo, a name longer than the inline capacity".into();
    e.tags[1] = "a tag longer than twenty-three bytes".into();
    let enc = e.encode_compact();
    let d = Example::decode_compact(enc.clone()).unwrap();
    assert_eq!(d, e);
    let range = enc.as_ptr() as usize..enc.as_ptr() as usize + enc.len();
    assert!(range.contains(&(d.name.as_ptr() as usize)));
    assert!(range.contains(&(d.tags[1].as_ptr() as usize)));
    assert!(d.name.is_shared() && d.tags[1].is_shared());
    assert!(range.contains(&(d.blob.as_ref().unwrap().as_ptr() as usize)));
    assert!(!d.tags[0].is_shared() && !d.tags[2].is_shared());
    assert!(!range.contains(&(d.tags[2].as_ptr() as usize)));
}

#[test]
fn encode_to_appends_to_existing_buffer() {
    let e = sample();
    let mut buf = BytesMut::from(&b"prefix"[..]);
    e.encode_to::<Compact>(&mut buf);
    assert_eq!(&buf[..6], b"prefix");
    assert_eq!(Example::decode_compact(buf.freeze().slice(6..)).unwrap(), e);
}

#[test]
fn message_envelope_round_trip() {
    fn run<P: Protocol>() {
        let e = sample();
        let mut w = P::writer(BytesMut::new());
        w.write_message_begin("getExample", MessageType::Reply, -5);
        e.write(&mut w);
        w.write_message_end();
        let mut r = P::reader(P::into_sink(w).freeze());
        let m = r.read_message_begin().unwrap();
        assert_eq!(m.name, "getExample");
        assert_eq!(m.message_type, MessageType::Reply);
        assert_eq!(m.seq_id, -5);
        assert_eq!(Example::read(&mut r).unwrap(), e);
        r.read_message_end().unwrap();
        assert_eq!(r.remaining(), 0);
    }
    run::<Binary>();
    run::<Compact>();
}

#[test]
fn unknown_fields_are_skipped() {
    // Encode a "newer" Example with extra fields of every type, decode as Example.
    struct Newer(Example);
    impl ThriftStruct for Newer {
        fn write<W: Writer>(&self, w: &mut W) {
            w.write_struct_begin();
            w.write_field_begin(TType::Struct, 100);
            self.0.inner.write(w);
            w.write_field_end();
            w.write_field_begin(TType::Map, 101);
            w.write_map_begin(TType::I32, TType::List, 1);
            w.write_i32(1);
            w.write_list_begin(TType::Double, 2);
            w.write_double(1.0);
            w.write_double(2.0);
            w.write_field_end();
            w.write_field_begin(TType::Bool, 102);
            w.write_bool(true);
            w.write_field_begin(TType::Uuid, 103);
            w.write_uuid(&[1; 16]);
            w.write_field_begin(TType::Set, 104);
            w.write_set_begin(TType::String, 1);
            w.write_string("s");
            w.write_field_begin(TType::I16, 105);
            w.write_i16(-3);
            w.write_field_begin(TType::I8, 106);
            w.write_i8(3);
            w.write_field_begin(TType::I32, 1); // known field after unknowns
            w.write_i32(99);
            w.write_field_stop();
            w.write_struct_end();
            let _ = &self.0;
        }
        fn read<R: Reader>(_: &mut R) -> Result<Self, kit_runtime::DecodeError> {
            unreachable!()
        }
    }
    let n = Newer(sample());
    for enc in [n.encode_binary(), n.encode_compact()] {
        let compact = enc == n.encode_compact();
        let d = if compact {
            Example::decode_compact(enc)
        } else {
            Example::decode_binary(enc)
        }
        .unwrap();
        assert_eq!(d.id, 99);
    }
}

#[test]
fn missing_required_field_reports_path() {
    // Example whose `inner` struct lacks required field `a`.
    let mut w = Binary::writer(BytesMut::new());
    w.write_struct_begin();
    w.write_field_begin(TType::Struct, 5);
    w.write_struct_begin();
    w.write_field_stop();
    w.write_struct_end();
    w.write_field_stop();
    w.write_struct_end();
    let err = Example::decode_binary(Binary::into_sink(w).freeze()).unwrap_err();
    assert_eq!(
        err.kind(),
        &DecodeErrorKind::MissingRequiredField { name: "a" }
    );
    assert_eq!(
        err.to_string(),
        "missing required field `a` (at Example.inner -> Inner.a)"
    );
}

#[test]
fn truncation_at_every_byte_is_an_error() {
    let e = sample();
    for enc in [e.encode_binary(), e.encode_compact()] {
        let binary = enc == e.encode_binary();
        for cut in 0..enc.len() {
            let prefix = enc.slice(..cut);
            let r = if binary {
                Example::decode_binary(prefix.clone())
            } else {
                Example::decode_compact(prefix.clone())
            };
            assert!(r.is_err(), "cut at {cut} of {} decoded", enc.len());
            // skip must fail too
            let s = if binary {
                BinaryReader::new(prefix).skip(TType::Struct)
            } else {
                CompactReader::new(prefix).skip(TType::Struct)
            };
            assert!(s.is_err(), "skip of cut at {cut}");
        }
    }
}

fn nested_nodes(depth: usize) -> Node {
    let mut n = Node {
        value: 0,
        next: None,
    };
    for i in 1..depth {
        n = Node {
            value: i as i32,
            next: Some(Box::new(n)),
        };
    }
    n
}

#[test]
fn struct_depth_limit() {
    let ok = nested_nodes(64);
    assert_eq!(Node::decode_binary(ok.encode_binary()).unwrap(), ok);
    assert_eq!(Node::decode_compact(ok.encode_compact()).unwrap(), ok);
    let deep = nested_nodes(65);
    for err in [
        Node::decode_binary(deep.encode_binary()).unwrap_err(),
        Node::decode_compact(deep.encode_compact()).unwrap_err(),
    ] {
        assert_eq!(err.kind(), &DecodeErrorKind::DepthLimit);
        assert_eq!(err.path().count(), 64);
    }
    // skip honours the limit too
    let enc = deep.encode_binary();
    assert_eq!(
        BinaryReader::new(enc)
            .skip(TType::Struct)
            .unwrap_err()
            .kind(),
        &DecodeErrorKind::DepthLimit
    );
    // custom limit
    let enc = nested_nodes(10).encode_compact();
    let mut r = CompactReader::new(enc).with_max_depth(5);
    assert_eq!(
        Node::read(&mut r).unwrap_err().kind(),
        &DecodeErrorKind::DepthLimit
    );
}

#[test]
fn deeply_nested_containers_hit_skip_depth() {
    // binary list<list<list<...>>> 100000 levels deep, 5 bytes per level.
    let mut v = Vec::new();
    for _ in 0..100_000 {
        v.extend_from_slice(&[TType::List as u8, 0, 0, 0, 1]);
    }
    let err = BinaryReader::new(v.into()).skip(TType::List).unwrap_err();
    assert_eq!(err.kind(), &DecodeErrorKind::DepthLimit);
    // compact: map<i8, map<...>> via header bytes 0x01 0x3B (1 entry, key i8, value map)
    let mut v = Vec::new();
    for _ in 0..100_000 {
        v.extend_from_slice(&[0x01, 0x3B, 0x00]);
    }
    let err = CompactReader::new(v.into()).skip(TType::Map).unwrap_err();
    assert_eq!(err.kind(), &DecodeErrorKind::DepthLimit);
}

#[test]
fn huge_counts_do_not_allocate() {
    // field 3 (list<string>) claiming i32::MAX elements in a tiny input.
    let v = vec![
        TType::List as u8,
        0,
        3,
        TType::String as u8,
        0x7f,
        0xff,
        0xff,
        0xff,
        0,
    ];
    let err = Example::decode_binary(v.into()).unwrap_err();
    assert!(matches!(err.kind(), DecodeErrorKind::LengthLimit { .. }));
    assert_eq!(err.path().collect::<Vec<_>>(), ["Example.tags"]);
    // compact map<string, i64> claiming 2^32 entries
    let v = vec![0x4B, 0x80, 0x80, 0x80, 0x80, 0x10, 0x86, 0];
    let err = Example::decode_compact(v.into()).unwrap_err();
    assert!(matches!(err.kind(), DecodeErrorKind::LengthLimit { .. }));
}

// ------------------------------------------------------------ proptest

fn arb_bytestr() -> impl Strategy<Value = ByteStr> {
    ".{0,12}".prop_map(ByteStr::from)
}

fn arb_inner() -> impl Strategy<Value = Inner> {
    (any::<i64>(), proptest::option::of(arb_bytestr())).prop_map(|(a, tag)| Inner { a, tag })
}

prop_compose! {
    fn arb_example()(
        id in any::<i32>(),
        name in arb_bytestr(),
        tags in proptest::collection::vec(arb_bytestr(), 0..20),
        counts in proptest::collection::hash_map(arb_bytestr(), any::<i64>(), 0..8),
        inner in arb_inner(),
        flag in proptest::option::of(any::<bool>()),
        blob in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
        score in any::<f64>().prop_filter("NaN != NaN", |f| !f.is_nan()),
        small in proptest::collection::btree_set(any::<i16>(), 0..20),
        uid in proptest::option::of(any::<[u8; 16]>()),
        color in any::<i32>(),
        tiny in any::<i8>(),
        inners in proptest::collection::vec(arb_inner(), 0..4),
    ) -> Example {
        Example {
            id, name, tags,
            counts: counts.into_iter().collect(),
            inner, flag, blob: blob.map(Bytes::from), score,
            small: small.into_iter().collect::<BTreeSet<_>>(),
            uid, color: Color(color), tiny, inners,
        }
    }
}

proptest! {
    #[test]
    fn prop_example_round_trip(e in arb_example()) {
        let b = e.encode_binary();
        prop_assert_eq!(b.len(), e.encoded_len::<Binary>());
        prop_assert_eq!(Example::decode_binary(b.clone()).unwrap(), e.clone());
        let c = e.encode_compact();
        prop_assert_eq!(c.len(), e.encoded_len::<Compact>());
        prop_assert_eq!(Example::decode_compact(c.clone()).unwrap(), e.clone());
        // skip consumes exactly the encoding
        let mut r = BinaryReader::new(b);
        r.skip(TType::Struct).unwrap();
        prop_assert_eq!(r.remaining(), 0);
        let mut r = CompactReader::new(c);
        r.skip(TType::Struct).unwrap();
        prop_assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn prop_truncated_example_never_decodes(e in arb_example(), frac in 0.0f64..1.0) {
        let b = e.encode_binary();
        let cut = ((b.len() as f64) * frac) as usize;
        prop_assert!(Example::decode_binary(b.slice(..cut.min(b.len() - 1))).is_err());
        let c = e.encode_compact();
        let cut = ((c.len() as f64) * frac) as usize;
        prop_assert!(Example::decode_compact(c.slice(..cut.min(c.len() - 1))).is_err());
    }
}
