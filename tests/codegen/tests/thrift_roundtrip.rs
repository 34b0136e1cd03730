//! Generated Thrift types round-trip through both protocols: decode(encode(x)) == x, for
//! arbitrary values, and hostile bytes give errors, not panics.

use kit_runtime::{HashMap, HashSet, HashSetExt};

use kit_codegen_tests::keywords;
use kit_codegen_tests::recursive::{CoRec, CoRec2, RecList, RecTree};
use kit_codegen_tests::thrift::test::{
    Bools, Insanity, Numberz, SomeUnion, Xception, Xtruct, Xtruct2, Xtruct3,
};
use kit_runtime::bytes::Bytes;
use kit_runtime::thrift::ThriftStruct;
use kit_runtime::ByteStr;
use proptest::prelude::*;

fn byte_str() -> impl Strategy<Value = ByteStr> {
    any::<String>().prop_map(ByteStr::from)
}

fn xtruct() -> impl Strategy<Value = Xtruct> {
    (byte_str(), any::<i8>(), any::<i32>(), any::<i64>()).prop_map(|(s, b, i, l)| Xtruct {
        string_thing: s,
        byte_thing: b,
        i32_thing: i,
        i64_thing: l,
    })
}

fn insanity() -> impl Strategy<Value = Insanity> {
    (
        prop::collection::hash_map(any::<i32>().prop_map(Numberz), any::<i64>(), 0..4),
        prop::collection::vec(xtruct(), 0..4),
    )
        .prop_map(|(user_map, xtructs)| Insanity {
            user_map: user_map.into_iter().collect(),
            xtructs,
        })
}

fn roundtrip<T: ThriftStruct + PartialEq + std::fmt::Debug>(v: &T) {
    let b = v.encode_binary();
    assert_eq!(&T::decode_binary(b.clone()).expect("binary decode"), v);
    let c = v.encode_compact();
    assert_eq!(&T::decode_compact(c.clone()).expect("compact decode"), v);
    // Truncated input is an error, never a panic.
    for cut in [0, b.len() / 2, b.len().saturating_sub(1)] {
        if cut < b.len() {
            assert!(T::decode_binary(b.slice(..cut)).is_err());
        }
    }
    for cut in [0, c.len() / 2, c.len().saturating_sub(1)] {
        if cut < c.len() {
            assert!(T::decode_compact(c.slice(..cut)).is_err());
        }
    }
}

proptest! {
    #[test]
    fn xtruct_roundtrips(x in xtruct()) {
        roundtrip(&x);
    }

    #[test]
    fn xtruct2_roundtrips(x in xtruct(), b in any::<i8>(), i in any::<i32>()) {
        roundtrip(&Xtruct2 { byte_thing: b, struct_thing: x, i32_thing: i });
    }

    #[test]
    fn insanity_roundtrips(x in insanity()) {
        roundtrip(&x);
    }

    #[test]
    fn unions_roundtrip(s in byte_str(), i in any::<i32>(), x in insanity()) {
        roundtrip(&SomeUnion::StringThing(s));
        roundtrip(&SomeUnion::I32Thing(i));
        roundtrip(&SomeUnion::InsanityThing(x));
    }

    #[test]
    fn keyword_names_roundtrip(t in any::<i32>(), s in byte_str(), f in proptest::option::of(byte_str()), l in prop::collection::vec(byte_str(), 0..3), e in any::<i32>()) {
        roundtrip(&keywords::Impl { r#type: t, self_: s, r#fn: f, r#async: l, r#enum: keywords::Type(e) });
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..256)) {
        let b = Bytes::from(data);
        let _ = Insanity::decode_binary(b.clone());
        let _ = Insanity::decode_compact(b.clone());
        let _ = SomeUnion::decode_binary(b.clone());
        let _ = RecTree::decode_compact(b.clone());
        let _ = keywords::Tree::decode_binary(b);
    }
}

#[test]
fn xtruct_binary_bytes_are_apache_layout() {
    let x = Xtruct {
        string_thing: "hi".into(),
        byte_thing: 1,
        i32_thing: 2,
        i64_thing: 3,
    };
    let b = x.encode_binary();
    #[rustfmt::skip]
    let expected: &[u8] = &[
        11, 0, 1, 0, 0, 0, 2, b'h', b'i',   // 1: string
        3, 0, 4, 1,                         // 4: i8
        8, 0, 9, 0, 0, 0, 2,                // 9: i32
        10, 0, 11, 0, 0, 0, 0, 0, 0, 0, 3,  // 11: i64
        0,                                  // stop
    ];
    assert_eq!(&b[..], expected);
}

#[test]
fn zero_copy_strings_share_the_input_buffer() {
    let x = Xtruct {
        string_thing: "a string long enough to matter".into(),
        ..Default::default()
    };
    let b = x.encode_binary();
    let range = b.as_ptr() as usize..b.as_ptr() as usize + b.len();
    let d = Xtruct::decode_binary(b.clone()).unwrap();
    let p = d.string_thing.as_ptr() as usize;
    assert!(
        range.contains(&p),
        "decoded string points into the input buffer"
    );
}

#[test]
fn exceptions_are_errors() {
    let e = Xception {
        error_code: 1001,
        message: "Xception".into(),
    };
    let as_error: &dyn std::error::Error = &e;
    assert!(as_error.to_string().contains("1001"));
    roundtrip(&e);
}

#[test]
fn recursive_types() {
    let list = RecList {
        nextitem: Some(Box::new(RecList {
            nextitem: None,
            item: 2,
        })),
        item: 1,
    };
    roundtrip(&list);
    let tree = RecTree {
        children: vec![
            RecTree::default(),
            RecTree {
                item: 5,
                ..Default::default()
            },
        ],
        item: 7,
    };
    roundtrip(&tree);
    let co = CoRec {
        other: Some(Box::new(CoRec2 { other: None })),
    };
    roundtrip(&co);
    let kw = keywords::Tree {
        kids: vec![keywords::Tree::default()],
        left: Some(Box::new(keywords::Tree::default())),
        named: HashMap::from_iter([("x".into(), keywords::Tree::default())]),
    };
    roundtrip(&kw);
}

#[test]
fn deep_nesting_is_rejected_not_a_stack_overflow() {
    // 10,000 nested `left` fields: struct header (field 2, type struct) repeated, compact.
    // compact field header: delta 2, type struct (12).
    let data = vec![0x2c; 10_000];
    assert!(keywords::Tree::decode_compact(Bytes::from(data)).is_err());
}

#[test]
fn consts_and_defaults() {
    assert_eq!(kit_codegen_tests::thrift::test::MY_NUMBERZ, Numberz::ONE);
    let b = Bools::default();
    assert!(!b.im_true);
    let x3 = Xtruct3::default();
    let _ = x3;
    let _: HashSet<i32> = HashSet::new();
}

#[test]
fn auto_assigned_negative_ids_roundtrip() {
    let v = keywords::NoIds {
        first: "a".into(),
        second: 7,
    };
    roundtrip(&v);
    // Field -1 is a string: header type 11, id 0xffff.
    assert_eq!(&v.encode_binary()[..3], &[11, 0xff, 0xff]);
}

/// Structs holding unions by value (required union arguments included) have no `Default`;
/// their readers collect fields in locals and report a missing union as a missing field.
#[test]
fn unions_held_by_value() {
    use kit_codegen_tests::unions::{CanvasDrawArgs, Placed, Scene, Shape};
    let placed = Placed {
        shape: Shape::Polygon(vec![1.0, 2.5]),
        layer: 3,
        label: Some(ByteStr::from_static("x")),
        other: Shape::Named(ByteStr::from_static("n")),
    };
    let scene = Scene {
        first: placed.clone(),
        rest: vec![placed.clone()],
        hint: None,
    };
    roundtrip(&scene);
    let args = CanvasDrawArgs {
        shape: Shape::Circle(1.5),
        times: 2,
        maybe: None,
    };
    roundtrip(&args);

    // The IDL default applies to an absent field; an absent union is an error.
    let mut only_shapes = kit_runtime::bytes::BytesMut::new();
    {
        use kit_runtime::thrift::{BinaryWriter, TType, Writer};
        let mut w = BinaryWriter::new(&mut only_shapes);
        w.write_struct_begin();
        w.write_field_begin(TType::Struct, 1);
        Shape::Circle(2.0).write(&mut w);
        w.write_field_end();
        w.write_field_begin(TType::Struct, 4);
        Shape::Circle(3.0).write(&mut w);
        w.write_field_end();
        w.write_field_stop();
        w.write_struct_end();
    }
    let p = Placed::decode_binary(only_shapes.freeze()).unwrap();
    assert_eq!(p.layer, 3);
    assert_eq!(p.shape, Shape::Circle(2.0));
    assert_eq!(p.label, None);

    let empty = Bytes::from_static(&[0]);
    let e = Placed::decode_binary(empty).unwrap_err().to_string();
    assert!(e.contains("shape"), "{e}");
}

/// Constants of unions and union-holding structs (which have no `Default`): a union constant is
/// the variant it names (the last one when it names several); fields a constant leaves out get
/// the IDL default, `None` when optional, or their type's default.
#[test]
fn union_constants() {
    use kit_codegen_tests::unions::{
        Framed, Placed, Shape, LAST_WINS, LAYERS, ORIGIN, UNIT_CIRCLE,
    };
    assert_eq!(*UNIT_CIRCLE, Shape::Circle(1.0));
    assert_eq!(*LAST_WINS, Shape::Named(ByteStr::from_static("second")));
    assert_eq!(
        *ORIGIN,
        Placed {
            shape: Shape::Polygon(vec![0.0, 0.5]),
            layer: 3,
            label: None,
            other: Shape::Named(ByteStr::from_static("o")),
        }
    );
    assert_eq!(LAYERS.len(), 1);
    assert_eq!(LAYERS[0].layer, 7);
    assert_eq!(LAYERS[0].label.as_deref(), Some("top"));
    roundtrip(&LAYERS[0]);
    // A union field default: `Default` and absent-on-the-wire both give it.
    let f = Framed::default();
    assert_eq!(f.frame, Shape::Named(ByteStr::from_static("border")));
    assert_eq!(f.inner, None);
    let decoded = Framed::decode_binary(Bytes::from_static(&[0])).unwrap();
    assert_eq!(decoded, f);
}

/// Fields stored as `Arc<T>` (annotations and build.rs rules, tests/codegen/idl/arc.thrift):
/// they round-trip, clones share them, and the writers see through them.
#[test]
fn arc_fields() {
    use kit_codegen_tests::arc::{Item, Order, SAMPLE};
    use std::sync::Arc;
    let item = |n: &'static str, q| Item {
        name: ByteStr::from_static(n),
        qty: q,
    };
    let parent = Order {
        main: Arc::new(item("p", 9)),
        ..Order::default()
    };
    let o = Order {
        items: Arc::new(vec![item("a", 1), item("b", 2)]),
        first: Some(Arc::new(item("f", 3))),
        by_name: Arc::new(
            [(ByteStr::from_static("x"), item("x", 4))]
                .into_iter()
                .collect(),
        ),
        main: Arc::new(item("m", 5)),
        ids: Arc::new([7, 8].into_iter().collect()),
        parent: Some(Arc::new(parent)),
        defaulted: Arc::new(item("d", 6)),
        plain: 10,
    };
    roundtrip(&o);
    // The same bytes as the plain struct's: an `Arc` is not on the wire.
    let plain = Order {
        items: Arc::new(vec![item("a", 1)]),
        main: Arc::new(item("m", 2)),
        ..Order::default()
    };
    assert_eq!(plain.encode_binary(), SAMPLE.encode_binary());
    // A clone shares the big parts instead of copying them.
    let c = o.clone();
    assert!(Arc::ptr_eq(&o.items, &c.items));
    assert!(Arc::ptr_eq(
        o.parent.as_ref().unwrap(),
        c.parent.as_ref().unwrap()
    ));
    // The IDL default and the constant, through the Arc.
    assert_eq!(*Order::default().defaulted, item("d", 1));
    assert_eq!(SAMPLE.items.len(), 1);
    // Decoding the field-less struct gives the defaults.
    let empty = Order::decode_binary(Bytes::from_static(&[12, 0, 4, 0, 0])).unwrap();
    assert_eq!(empty.main.name, "");
    assert_eq!(empty.defaulted.qty, 1);
}
