//! `Builder::serde(true)`: generated types derive serde through kit-runtime's re-export, and
//! values survive a JSON round trip (serde_json here stands for any serde format).

use kit_runtime::HashMap;

use kit_codegen_tests::pb::protobuf_test_messages::proto3::{
    test_all_types_proto3 as t3, ForeignEnum, TestAllTypesProto3,
};
use kit_codegen_tests::thrift::test::{Insanity, Numberz, SomeUnion, Xtruct};
use kit_runtime::bytes::Bytes;
use kit_runtime::protobuf::Message;
use kit_runtime::ByteStr;

#[test]
fn protobuf_message_round_trips_through_json() {
    let mut m = TestAllTypesProto3 {
        optional_int32: -7,
        optional_string: ByteStr::from("héllo"),
        optional_bytes: Bytes::from_static(b"\x00\xffraw"),
        optional_foreign_enum: ForeignEnum::FOREIGN_BAZ,
        repeated_string: vec![ByteStr::from("a"), ByteStr::from("b")],
        oneof_field: Some(t3::OneofField::OneofUint32(9)),
        ..Default::default()
    };
    m.optional_nested_message = Some(Box::new(t3::NestedMessage {
        a: 5,
        ..Default::default()
    }));
    m.map_string_string = HashMap::from_iter([(ByteStr::from("k"), ByteStr::from("v"))]);
    let json = serde_json::to_string(&m).unwrap();
    assert!(json.contains("\"optional_string\":\"héllo\""), "{json}");
    assert!(
        !json.contains("unknown_fields"),
        "unknown fields are skipped: {json}"
    );
    let back: TestAllTypesProto3 = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);
    // And the value that came back encodes to the same protobuf bytes.
    assert_eq!(back.encode_to_bytes(), m.encode_to_bytes());
}

#[test]
fn thrift_struct_and_union_round_trip_through_json() {
    let x = Xtruct {
        string_thing: ByteStr::from("s"),
        byte_thing: -1,
        i32_thing: 1 << 30,
        i64_thing: -(1 << 40),
    };
    let ins = Insanity {
        user_map: HashMap::from_iter([(Numberz::FIVE, 5), (Numberz::EIGHT, 8)]),
        xtructs: vec![x],
    };
    let back: Insanity = serde_json::from_str(&serde_json::to_string(&ins).unwrap()).unwrap();
    assert_eq!(back, ins);
    let u = SomeUnion::InsanityThing(ins);
    let back: SomeUnion = serde_json::from_str(&serde_json::to_string(&u).unwrap()).unwrap();
    assert_eq!(back, u);
}

#[test]
fn malformed_json_is_an_error() {
    assert!(serde_json::from_str::<Xtruct>(r#"{"string_thing": 5}"#).is_err());
    assert!(serde_json::from_str::<TestAllTypesProto3>("[").is_err());
}
