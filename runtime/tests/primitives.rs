//! Property round-trips for every wire primitive.

use kit_runtime::bytes::{Bytes, BytesMut};
use kit_runtime::protobuf::field;
use kit_runtime::protobuf::wire::{self, WireType};
use kit_runtime::thrift::{Binary, Compact, MessageType, Protocol, Reader, TType, Writer};
use kit_runtime::varint;
use kit_runtime::{ByteStr, Counter};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Val {
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    Double(u64), // bits, so NaN payloads compare exactly
    Uuid([u8; 16]),
    Binary(Vec<u8>),
    Str(String),
}

impl Val {
    fn ttype(&self) -> TType {
        match self {
            Val::Bool(_) => TType::Bool,
            Val::I8(_) => TType::I8,
            Val::I16(_) => TType::I16,
            Val::I32(_) => TType::I32,
            Val::I64(_) => TType::I64,
            Val::Double(_) => TType::Double,
            Val::Uuid(_) => TType::Uuid,
            Val::Binary(_) | Val::Str(_) => TType::String,
        }
    }
    fn write<W: Writer>(&self, w: &mut W) {
        match self {
            Val::Bool(v) => w.write_bool(*v),
            Val::I8(v) => w.write_i8(*v),
            Val::I16(v) => w.write_i16(*v),
            Val::I32(v) => w.write_i32(*v),
            Val::I64(v) => w.write_i64(*v),
            Val::Double(v) => w.write_double(f64::from_bits(*v)),
            Val::Uuid(v) => w.write_uuid(v),
            Val::Binary(v) => w.write_binary(v),
            Val::Str(v) => w.write_string(v),
        }
    }
    fn check<R: Reader>(&self, r: &mut R) -> Result<(), TestCaseError> {
        match self {
            Val::Bool(v) => prop_assert_eq!(r.read_bool().unwrap(), *v),
            Val::I8(v) => prop_assert_eq!(r.read_i8().unwrap(), *v),
            Val::I16(v) => prop_assert_eq!(r.read_i16().unwrap(), *v),
            Val::I32(v) => prop_assert_eq!(r.read_i32().unwrap(), *v),
            Val::I64(v) => prop_assert_eq!(r.read_i64().unwrap(), *v),
            Val::Double(v) => prop_assert_eq!(r.read_double().unwrap().to_bits(), *v),
            Val::Uuid(v) => prop_assert_eq!(&r.read_uuid().unwrap(), v),
            Val::Binary(v) => prop_assert_eq!(&r.read_binary().unwrap()[..], &v[..]),
            Val::Str(v) => prop_assert_eq!(r.read_string().unwrap(), ByteStr::from(v.clone())),
        }
        Ok(())
    }
}

fn arb_val() -> impl Strategy<Value = Val> {
    prop_oneof![
        any::<bool>().prop_map(Val::Bool),
        any::<i8>().prop_map(Val::I8),
        any::<i16>().prop_map(Val::I16),
        any::<i32>().prop_map(Val::I32),
        any::<i64>().prop_map(Val::I64),
        any::<u64>().prop_map(Val::Double),
        any::<[u8; 16]>().prop_map(Val::Uuid),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Val::Binary),
        ".{0,20}".prop_map(Val::Str),
    ]
}

/// Writes `vals` as bare values, reads them back, and checks the Counter size.
fn bare_round_trip<P: Protocol>(vals: &[Val]) -> Result<(), TestCaseError> {
    let mut w = P::writer(BytesMut::new());
    let mut c = P::writer(Counter(0));
    for v in vals {
        v.write(&mut w);
        v.write(&mut c);
    }
    let bytes = P::into_sink(w).freeze();
    prop_assert_eq!(bytes.len(), P::into_sink(c).0);
    let mut r = P::reader(bytes);
    for v in vals {
        v.check(&mut r)?;
    }
    prop_assert_eq!(r.remaining(), 0);
    Ok(())
}

/// Writes `(id, val)` as struct fields (ids in arbitrary order, exercising the
/// compact delta and long forms), reads them back, then skips the whole struct.
fn struct_round_trip<P: Protocol>(fields: &[(i16, Val)]) -> Result<(), TestCaseError> {
    let mut w = P::writer(BytesMut::new());
    w.write_struct_begin();
    for (id, v) in fields {
        w.write_field_begin(v.ttype(), *id);
        v.write(&mut w);
        w.write_field_end();
    }
    w.write_field_stop();
    w.write_struct_end();
    let bytes = P::into_sink(w).freeze();
    let mut r = P::reader(bytes.clone());
    r.read_struct_begin().unwrap();
    for (id, v) in fields {
        let f = r.read_field_begin().unwrap();
        prop_assert_eq!(f.id, *id);
        prop_assert_eq!(f.ttype, v.ttype());
        v.check(&mut r)?;
        r.read_field_end().unwrap();
    }
    prop_assert_eq!(r.read_field_begin().unwrap().ttype, TType::Stop);
    r.read_struct_end().unwrap();
    prop_assert_eq!(r.remaining(), 0);
    let mut r = P::reader(bytes);
    r.skip(TType::Struct).unwrap();
    prop_assert_eq!(r.remaining(), 0);
    Ok(())
}

fn containers_round_trip<P: Protocol>(vals: &[Val], n_map: usize) -> Result<(), TestCaseError> {
    // list<i64 | string> with the types of vals filtered to one type
    let strs: Vec<&Val> = vals.iter().filter(|v| matches!(v, Val::Str(_))).collect();
    let mut w = P::writer(BytesMut::new());
    w.write_list_begin(TType::String, strs.len());
    for v in &strs {
        v.write(&mut w);
    }
    w.write_list_end();
    w.write_set_begin(TType::String, strs.len());
    for v in &strs {
        v.write(&mut w);
    }
    w.write_set_end();
    w.write_map_begin(TType::I32, TType::Bool, n_map);
    for i in 0..n_map {
        w.write_i32(i as i32);
        w.write_bool(i % 3 == 0);
    }
    w.write_map_end();
    let bytes = P::into_sink(w).freeze();
    let mut r = P::reader(bytes.clone());
    let l = r.read_list_begin().unwrap();
    prop_assert_eq!((l.elem_type, l.len), (TType::String, strs.len()));
    for v in &strs {
        v.check(&mut r)?;
    }
    let s = r.read_set_begin().unwrap();
    prop_assert_eq!((s.elem_type, s.len), (TType::String, strs.len()));
    for v in &strs {
        v.check(&mut r)?;
    }
    let m = r.read_map_begin().unwrap();
    prop_assert_eq!(m.len, n_map);
    if n_map > 0 {
        prop_assert_eq!((m.key_type, m.value_type), (TType::I32, TType::Bool));
    }
    for i in 0..n_map {
        prop_assert_eq!(r.read_i32().unwrap(), i as i32);
        prop_assert_eq!(r.read_bool().unwrap(), i % 3 == 0);
    }
    prop_assert_eq!(r.remaining(), 0);
    // skip consumes the same bytes
    let mut r = P::reader(bytes);
    r.skip(TType::List).unwrap();
    r.skip(TType::Set).unwrap();
    r.skip(TType::Map).unwrap();
    prop_assert_eq!(r.remaining(), 0);
    Ok(())
}

fn message_round_trip<P: Protocol>(name: &str, mt: u8, seq: i32) -> Result<(), TestCaseError> {
    let mt = MessageType::from_u8(mt).unwrap();
    let mut w = P::writer(BytesMut::new());
    w.write_message_begin(name, mt, seq);
    let mut r = P::reader(P::into_sink(w).freeze());
    let m = r.read_message_begin().unwrap();
    prop_assert_eq!(m.name, name);
    prop_assert_eq!(m.message_type, mt);
    prop_assert_eq!(m.seq_id, seq);
    Ok(())
}

proptest! {
    #[test]
    fn thrift_bare_values(vals in proptest::collection::vec(arb_val(), 0..30)) {
        bare_round_trip::<Binary>(&vals)?;
        bare_round_trip::<Compact>(&vals)?;
    }

    #[test]
    fn thrift_struct_fields(fields in proptest::collection::vec((any::<i16>(), arb_val()), 0..30)) {
        struct_round_trip::<Binary>(&fields)?;
        struct_round_trip::<Compact>(&fields)?;
    }

    #[test]
    fn thrift_containers(vals in proptest::collection::vec(arb_val(), 0..40), n_map in 0usize..40) {
        containers_round_trip::<Binary>(&vals, n_map)?;
        containers_round_trip::<Compact>(&vals, n_map)?;
    }

    #[test]
    fn thrift_message_header(name in ".{0,30}", mt in 1u8..=4, seq in any::<i32>()) {
        message_round_trip::<Binary>(&name, mt, seq)?;
        message_round_trip::<Compact>(&name, mt, seq)?;
    }

    #[test]
    fn varint_round_trip(v in any::<u64>()) {
        let mut b = BytesMut::new();
        wire::encode_varint(v, &mut b);
        prop_assert_eq!(b.len(), wire::encoded_len_varint(v));
        let mut r = b.freeze();
        prop_assert_eq!(wire::decode_varint(&mut r).unwrap(), v);
        prop_assert!(r.is_empty());
    }

    #[test]
    fn zigzag_round_trip(a in any::<i32>(), b in any::<i64>()) {
        prop_assert_eq!(varint::decode_zigzag32(varint::encode_zigzag32(a)), a);
        prop_assert_eq!(varint::decode_zigzag64(varint::encode_zigzag64(b)), b);
        // small magnitudes stay small
        prop_assert!(varint::encode_zigzag64(b) / 2 <= b.unsigned_abs());
    }

    #[test]
    fn key_round_trip(num in 1u32..=wire::MAX_FIELD_NUMBER, wt in 0u8..=5) {
        let wt = WireType::from_u8(wt).unwrap();
        let mut b = BytesMut::new();
        wire::encode_key(num, wt, &mut b);
        prop_assert_eq!(b.len(), wire::key_len(num));
        prop_assert_eq!(wire::decode_key(&mut b.freeze()).unwrap(), (num, wt));
    }

    #[test]
    fn protobuf_scalars(tag in 1u32..=wire::MAX_FIELD_NUMBER,
                        i in any::<i32>(), l in any::<i64>(), u in any::<u32>(), ul in any::<u64>(),
                        f in any::<u32>(), d in any::<u64>(), bo in any::<bool>(),
                        s in ".{0,20}", bs in proptest::collection::vec(any::<u8>(), 0..20)) {
        macro_rules! rt {
            ($m:ident, $v:expr, $wt:expr) => {{
                let mut b = BytesMut::new();
                field::$m::encode(tag, $v, &mut b);
                prop_assert_eq!(b.len(), field::$m::encoded_len(tag, $v), "len {}", stringify!($m));
                let mut r = b.freeze();
                let (t, wt) = wire::decode_key(&mut r).unwrap();
                prop_assert_eq!((t, wt), (tag, $wt));
                let mut out = Default::default();
                field::$m::merge(wt, &mut out, &mut r).unwrap();
                prop_assert!(r.is_empty());
                out
            }};
        }
        prop_assert_eq!(rt!(int32, i, WireType::Varint), i);
        prop_assert_eq!(rt!(int64, l, WireType::Varint), l);
        prop_assert_eq!(rt!(uint32, u, WireType::Varint), u);
        prop_assert_eq!(rt!(uint64, ul, WireType::Varint), ul);
        prop_assert_eq!(rt!(sint32, i, WireType::Varint), i);
        prop_assert_eq!(rt!(sint64, l, WireType::Varint), l);
        prop_assert_eq!(rt!(bool, bo, WireType::Varint), bo);
        prop_assert_eq!(rt!(fixed32, u, WireType::Fixed32), u);
        prop_assert_eq!(rt!(fixed64, ul, WireType::Fixed64), ul);
        prop_assert_eq!(rt!(sfixed32, i, WireType::Fixed32), i);
        prop_assert_eq!(rt!(sfixed64, l, WireType::Fixed64), l);
        prop_assert_eq!(rt!(float, f32::from_bits(f), WireType::Fixed32).to_bits(), f);
        prop_assert_eq!(rt!(double, f64::from_bits(d), WireType::Fixed64).to_bits(), d);
        let st: ByteStr = rt!(string, s.as_str(), WireType::LengthDelimited);
        prop_assert_eq!(st, s.as_str());
        let by: Bytes = rt!(bytes, &bs[..], WireType::LengthDelimited);
        prop_assert_eq!(&by[..], &bs[..]);
    }

    #[test]
    fn protobuf_packed_and_unpacked(tag in 1u32..1000,
                                    vs in proptest::collection::vec(any::<i64>(), 0..30),
                                    fs in proptest::collection::vec(any::<u64>(), 0..30)) {
        for packed in [false, true] {
            let mut b = BytesMut::new();
            if packed {
                field::sint64::encode_packed(tag, &vs, &mut b);
                prop_assert_eq!(b.len(), field::sint64::encoded_len_packed(tag, &vs));
                field::fixed64::encode_packed(tag + 1, &fs, &mut b);
            } else {
                field::sint64::encode_repeated(tag, &vs, &mut b);
                prop_assert_eq!(b.len(), field::sint64::encoded_len_repeated(tag, &vs));
                field::fixed64::encode_repeated(tag + 1, &fs, &mut b);
            }
            let mut r = b.freeze();
            let (mut ov, mut of) = (Vec::new(), Vec::new());
            while !r.is_empty() {
                let (t, wt) = wire::decode_key(&mut r).unwrap();
                if t == tag {
                    field::sint64::merge_repeated(wt, &mut ov, &mut r).unwrap();
                } else {
                    field::fixed64::merge_repeated(wt, &mut of, &mut r).unwrap();
                }
            }
            prop_assert_eq!(&ov, &vs);
            prop_assert_eq!(&of, &fs);
        }
    }

    #[test]
    fn skip_field_consumes_exactly_one_field(tag in 1u32..1000, v in any::<u64>(),
                                             data in proptest::collection::vec(any::<u8>(), 0..30),
                                             which in 0u8..5) {
        let mut b = BytesMut::new();
        match which {
            0 => field::uint64::encode(tag, v, &mut b),
            1 => field::fixed64::encode(tag, v, &mut b),
            2 => field::bytes::encode(tag, &data, &mut b),
            3 => field::fixed32::encode(tag, v as u32, &mut b),
            _ => {
                wire::encode_key(tag, WireType::StartGroup, &mut b);
                field::bytes::encode(tag + 1, &data, &mut b);
                field::uint64::encode(tag + 2, v, &mut b);
                wire::encode_key(tag, WireType::EndGroup, &mut b);
            }
        }
        b.extend_from_slice(&[0xAB, 0xCD]);
        let mut r = b.freeze();
        let (t, wt) = wire::decode_key(&mut r).unwrap();
        wire::skip_field(wt, t, &mut r, wire::RECURSION_LIMIT).unwrap();
        prop_assert_eq!(&r[..], &[0xAB, 0xCD]);
    }
}
