//! IDL defaults of optional fields: absent on the wire is `None` (Apache's Rust generator and
//! prost agree), and `x_or_default()` gives the IDL default then, the value otherwise.

use kit_codegen_tests::pb::protobuf_test_messages::proto2::TestAllTypesProto2;
use kit_codegen_tests::thrift::test::BoolTest;
use kit_runtime::bytes::Bytes;
use kit_runtime::protobuf::Message;
use kit_runtime::thrift::ThriftStruct;
use kit_runtime::ByteStr;

#[test]
fn proto2_defaults_apply_to_absent_fields_only() {
    let m = TestAllTypesProto2::decode(Bytes::new()).unwrap();
    assert_eq!(m.default_int32, None);
    assert_eq!(m.default_int32_or_default(), -123456789);
    assert_eq!(m.default_int64_or_default(), -9123456789123456789);
    assert_eq!(m.default_uint32_or_default(), 2123456789);
    assert_eq!(m.default_uint64_or_default(), 10123456789123456789);
    assert_eq!(m.default_sint64_or_default(), -9123456789123456789);
    assert_eq!(m.default_fixed64_or_default(), 10123456789123456789);
    assert_eq!(m.default_float_or_default(), 9e9);
    assert_eq!(m.default_double_or_default(), 7e22);
    assert!(m.default_bool_or_default());
    assert_eq!(m.default_string_or_default(), "Rosebud");
    assert_eq!(&m.default_bytes_or_default()[..], b"joshua");

    // Set on the wire (even to the type's zero value): the wire value wins.
    let set = TestAllTypesProto2 {
        default_int32: Some(0),
        default_bool: Some(false),
        default_string: Some(ByteStr::from_static("")),
        ..Default::default()
    };
    let back = TestAllTypesProto2::decode(set.encode_to_bytes()).unwrap();
    assert_eq!(back.default_int32_or_default(), 0);
    assert!(!back.default_bool_or_default());
    assert_eq!(back.default_string_or_default(), "");
}

#[test]
fn thrift_optional_defaults_apply_to_absent_fields_only() {
    // An empty struct on the wire (a lone field stop): both optional fields absent.
    let t = BoolTest::decode_binary(Bytes::from_static(&[0])).unwrap();
    assert_eq!((t.b, t.s.as_deref()), (None, None));
    assert!(t.b_or_default());
    assert_eq!(t.s_or_default(), "true");
    let t = BoolTest {
        b: Some(false),
        s: Some(ByteStr::from_static("no")),
    };
    assert!(!t.b_or_default());
    assert_eq!(t.s_or_default(), "no");
}
