//! Hand-written "generated" code: THE MODEL kit's code generator follows.
//!
//! Shared by the integration tests and the cargo-fuzz targets (`runtime/fuzz`).
//!
//! Thrift IDL modelled here:
//!
//! ```thrift
//! enum Color { RED = 1, GREEN = 2 }
//! struct Inner { 1: required i64 a, 2: optional string tag }
//! struct Example {
//!   1: i32 id,
//!   2: string name,
//!   3: list<string> tags,
//!   4: map<string, i64> counts,
//!   5: Inner inner,
//!   6: optional bool flag,
//!   7: optional binary blob,
//!   8: double score,
//!   9: set<i16> small,
//!   10: optional uuid uid,
//!   11: Color color,
//!   300: i8 tiny,        // id far from previous: compact long-form header
//!   12: list<Inner> inners,
//! }
//! struct Node { 1: i32 value, 2: optional Node next }   // recursive
//! ```
//!
//! Protobuf modelled here:
//!
//! ```proto
//! message Address { string city = 1; uint32 zip = 2; }
//! message Person {
//!   string name = 1; int32 id = 2; repeated string emails = 3;
//!   repeated int64 scores = 4;           // packed (proto3 default)
//!   Address address = 5; optional double weight = 6; bytes blob = 7;
//!   sint64 delta = 8; repeated fixed32 codes = 9; bool active = 10;
//!   repeated Address history = 11; int32 color = 12; // enum Color
//! }
//! ```
#![allow(dead_code)]

use std::collections::BTreeSet;

use kit_runtime::bytes::{Bytes, BytesMut};
use kit_runtime::protobuf::{field, Message, UnknownFields, WireType};
use kit_runtime::thrift::helpers::{
    read_list, read_map, read_set, write_list, write_map, write_set,
};
use kit_runtime::thrift::{Reader, TType, ThriftStruct, Writer};
use kit_runtime::{ByteStr, DecodeError, Enum, ResultExt};

// ---------------------------------------------------------------- enum

/// Open enum: unknown values survive a round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Color(pub i32);
impl Color {
    pub const RED: Color = Color(1);
    pub const GREEN: Color = Color(2);
}
impl Enum for Color {
    #[inline]
    fn value(&self) -> i32 {
        self.0
    }
    #[inline]
    fn from_value(v: i32) -> Self {
        Color(v)
    }
}

// ---------------------------------------------------------------- thrift

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inner {
    pub a: i64,
    pub tag: Option<ByteStr>,
}

impl ThriftStruct for Inner {
    #[inline]
    fn write<W: Writer>(&self, w: &mut W) {
        w.write_struct_begin();
        w.write_field_begin(TType::I64, 1);
        w.write_i64(self.a);
        w.write_field_end();
        if let Some(v) = &self.tag {
            w.write_field_begin(TType::String, 2);
            w.write_string(v);
            w.write_field_end();
        }
        w.write_field_stop();
        w.write_struct_end();
    }

    #[inline]
    fn read<R: Reader>(r: &mut R) -> Result<Self, DecodeError> {
        let mut a = None;
        let mut tag = None;
        r.read_struct_begin()?;
        loop {
            let f = r.read_field_begin()?;
            match (f.id, f.ttype) {
                (_, TType::Stop) => break,
                (1, TType::I64) => a = Some(r.read_i64().in_field("Inner", "a")?),
                (2, TType::String) => tag = Some(r.read_string().in_field("Inner", "tag")?),
                (_, t) => r.skip(t)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(Inner {
            a: a.ok_or_else(|| DecodeError::missing_field("a").with_field("Inner", "a"))?,
            tag,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Example {
    pub id: i32,
    pub name: ByteStr,
    pub tags: Vec<ByteStr>,
    pub counts: kit_runtime::HashMap<ByteStr, i64>,
    pub inner: Inner,
    pub flag: Option<bool>,
    pub blob: Option<Bytes>,
    pub score: f64,
    pub small: BTreeSet<i16>,
    pub uid: Option<[u8; 16]>,
    pub color: Color,
    pub tiny: i8,
    pub inners: Vec<Inner>,
}

impl ThriftStruct for Example {
    fn write<W: Writer>(&self, w: &mut W) {
        w.write_struct_begin();
        w.write_field_begin(TType::I32, 1);
        w.write_i32(self.id);
        w.write_field_end();
        w.write_field_begin(TType::String, 2);
        w.write_string(&self.name);
        w.write_field_end();
        w.write_field_begin(TType::List, 3);
        write_list(w, TType::String, &self.tags, |w, v| w.write_string(v));
        w.write_field_end();
        w.write_field_begin(TType::Map, 4);
        write_map(
            w,
            TType::String,
            TType::I64,
            &self.counts,
            |w, k| w.write_string(k),
            |w, v| w.write_i64(*v),
        );
        w.write_field_end();
        w.write_field_begin(TType::Struct, 5);
        self.inner.write(w);
        w.write_field_end();
        if let Some(v) = self.flag {
            w.write_field_begin(TType::Bool, 6);
            w.write_bool(v);
            w.write_field_end();
        }
        if let Some(v) = &self.blob {
            w.write_field_begin(TType::String, 7);
            w.write_binary(v);
            w.write_field_end();
        }
        w.write_field_begin(TType::Double, 8);
        w.write_double(self.score);
        w.write_field_end();
        w.write_field_begin(TType::Set, 9);
        write_set(w, TType::I16, &self.small, |w, v| w.write_i16(*v));
        w.write_field_end();
        if let Some(v) = &self.uid {
            w.write_field_begin(TType::Uuid, 10);
            w.write_uuid(v);
            w.write_field_end();
        }
        w.write_field_begin(TType::I32, 11);
        w.write_i32(self.color.value());
        w.write_field_end();
        w.write_field_begin(TType::I8, 300);
        w.write_i8(self.tiny);
        w.write_field_end();
        w.write_field_begin(TType::List, 12);
        write_list(w, TType::Struct, &self.inners, |w, v| v.write(w));
        w.write_field_end();
        w.write_field_stop();
        w.write_struct_end();
    }

    fn read<R: Reader>(r: &mut R) -> Result<Self, DecodeError> {
        const S: &str = "Example";
        let mut out = Example::default();
        r.read_struct_begin()?;
        loop {
            let f = r.read_field_begin()?;
            match (f.id, f.ttype) {
                (_, TType::Stop) => break,
                (1, TType::I32) => out.id = r.read_i32().in_field(S, "id")?,
                (2, TType::String) => out.name = r.read_string().in_field(S, "name")?,
                (3, TType::List) => {
                    out.tags = read_list(r, |r| r.read_string()).in_field(S, "tags")?
                }
                (4, TType::Map) => {
                    out.counts =
                        read_map(r, |r| r.read_string(), |r| r.read_i64()).in_field(S, "counts")?
                }
                (5, TType::Struct) => out.inner = Inner::read(r).in_field(S, "inner")?,
                (6, TType::Bool) => out.flag = Some(r.read_bool().in_field(S, "flag")?),
                (7, TType::String) => out.blob = Some(r.read_binary().in_field(S, "blob")?),
                (8, TType::Double) => out.score = r.read_double().in_field(S, "score")?,
                (9, TType::Set) => {
                    out.small = read_set(r, |r| r.read_i16()).in_field(S, "small")?
                }
                (10, TType::Uuid) => out.uid = Some(r.read_uuid().in_field(S, "uid")?),
                (11, TType::I32) => {
                    out.color = Color::from_value(r.read_i32().in_field(S, "color")?)
                }
                (300, TType::I8) => out.tiny = r.read_i8().in_field(S, "tiny")?,
                (12, TType::List) => {
                    out.inners = read_list(r, Inner::read).in_field(S, "inners")?
                }
                (_, t) => r.skip(t)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(out)
    }
}

/// Recursive struct: hostile inputs can nest it arbitrarily deep.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Node {
    pub value: i32,
    pub next: Option<Box<Node>>,
}

impl ThriftStruct for Node {
    fn write<W: Writer>(&self, w: &mut W) {
        w.write_struct_begin();
        w.write_field_begin(TType::I32, 1);
        w.write_i32(self.value);
        w.write_field_end();
        if let Some(n) = &self.next {
            w.write_field_begin(TType::Struct, 2);
            n.write(w);
            w.write_field_end();
        }
        w.write_field_stop();
        w.write_struct_end();
    }
    fn read<R: Reader>(r: &mut R) -> Result<Self, DecodeError> {
        let mut out = Node::default();
        r.read_struct_begin()?;
        loop {
            let f = r.read_field_begin()?;
            match (f.id, f.ttype) {
                (_, TType::Stop) => break,
                (1, TType::I32) => out.value = r.read_i32().in_field("Node", "value")?,
                (2, TType::Struct) => {
                    out.next = Some(Box::new(Node::read(r).in_field("Node", "next")?))
                }
                (_, t) => r.skip(t)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(out)
    }
}

// ---------------------------------------------------------------- protobuf

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    pub city: ByteStr,
    pub zip: u32,
    pub unknown_fields: UnknownFields,
}

impl Message for Address {
    #[inline]
    fn encoded_len(&self) -> usize {
        (if !self.city.is_empty() {
            field::string::encoded_len(1, &self.city)
        } else {
            0
        }) + (if self.zip != 0 {
            field::uint32::encoded_len(2, self.zip)
        } else {
            0
        }) + self.unknown_fields.encoded_len()
    }
    #[inline]
    fn encode_raw(&self, buf: &mut BytesMut) {
        // As generated code: fields go through a register-held cursor.
        let buf = &mut kit_runtime::sink::Cursor::new(buf);
        if !self.city.is_empty() {
            field::string::encode(1, &self.city, buf);
        }
        if self.zip != 0 {
            field::uint32::encode(2, self.zip, buf);
        }
        self.unknown_fields.encode(buf);
    }
    #[inline]
    fn merge_field(
        &mut self,
        tag: u32,
        wt: WireType,
        buf: &mut Bytes,
        depth: u32,
    ) -> Result<(), DecodeError> {
        match tag {
            1 => field::string::merge(wt, &mut self.city, buf).in_field("Address", "city"),
            2 => field::uint32::merge(wt, &mut self.zip, buf).in_field("Address", "zip"),
            _ => self.unknown_fields.merge_field(tag, wt, buf, depth),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Person {
    pub name: ByteStr,
    pub id: i32,
    pub emails: Vec<ByteStr>,
    pub scores: Vec<i64>,
    pub address: Option<Address>,
    pub weight: Option<f64>,
    pub blob: Bytes,
    pub delta: i64,
    pub codes: Vec<u32>,
    pub active: bool,
    pub history: Vec<Address>,
    pub color: Color,
    pub unknown_fields: UnknownFields,
}

impl Message for Person {
    fn encoded_len(&self) -> usize {
        let mut n = 0;
        if !self.name.is_empty() {
            n += field::string::encoded_len(1, &self.name);
        }
        if self.id != 0 {
            n += field::int32::encoded_len(2, self.id);
        }
        n += field::string::encoded_len_repeated(3, &self.emails);
        n += field::int64::encoded_len_packed(4, &self.scores);
        if let Some(m) = &self.address {
            n += field::message::encoded_len(5, m);
        }
        if let Some(v) = self.weight {
            n += field::double::encoded_len(6, v);
        }
        if !self.blob.is_empty() {
            n += field::bytes::encoded_len(7, &self.blob);
        }
        if self.delta != 0 {
            n += field::sint64::encoded_len(8, self.delta);
        }
        n += field::fixed32::encoded_len_packed(9, &self.codes);
        if self.active {
            n += field::bool::encoded_len(10, self.active);
        }
        n += field::message::encoded_len_repeated(11, &self.history);
        if self.color.0 != 0 {
            n += field::int32::encoded_len(12, self.color.0);
        }
        n + self.unknown_fields.encoded_len()
    }

    fn encode_raw(&self, buf: &mut BytesMut) {
        // As generated code: fields go through a register-held cursor.
        let buf = &mut kit_runtime::sink::Cursor::new(buf);
        if !self.name.is_empty() {
            field::string::encode(1, &self.name, buf);
        }
        if self.id != 0 {
            field::int32::encode(2, self.id, buf);
        }
        field::string::encode_repeated(3, &self.emails, buf);
        field::int64::encode_packed(4, &self.scores, buf);
        if let Some(m) = &self.address {
            field::message::encode(5, m, buf);
        }
        if let Some(v) = self.weight {
            field::double::encode(6, v, buf);
        }
        if !self.blob.is_empty() {
            field::bytes::encode(7, &self.blob, buf);
        }
        if self.delta != 0 {
            field::sint64::encode(8, self.delta, buf);
        }
        field::fixed32::encode_packed(9, &self.codes, buf);
        if self.active {
            field::bool::encode(10, self.active, buf);
        }
        field::message::encode_repeated(11, &self.history, buf);
        if self.color.0 != 0 {
            field::int32::encode(12, self.color.0, buf);
        }
        self.unknown_fields.encode(buf);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wt: WireType,
        buf: &mut Bytes,
        depth: u32,
    ) -> Result<(), DecodeError> {
        const S: &str = "Person";
        match tag {
            1 => field::string::merge(wt, &mut self.name, buf).in_field(S, "name"),
            2 => field::int32::merge(wt, &mut self.id, buf).in_field(S, "id"),
            3 => field::string::merge_repeated(wt, &mut self.emails, buf).in_field(S, "emails"),
            4 => field::int64::merge_repeated(wt, &mut self.scores, buf).in_field(S, "scores"),
            5 => field::message::merge(
                wt,
                self.address.get_or_insert_with(Default::default),
                buf,
                depth,
            )
            .in_field(S, "address"),
            6 => {
                field::double::merge(wt, self.weight.get_or_insert(0.0), buf).in_field(S, "weight")
            }
            7 => field::bytes::merge(wt, &mut self.blob, buf).in_field(S, "blob"),
            8 => field::sint64::merge(wt, &mut self.delta, buf).in_field(S, "delta"),
            9 => field::fixed32::merge_repeated(wt, &mut self.codes, buf).in_field(S, "codes"),
            10 => field::bool::merge(wt, &mut self.active, buf).in_field(S, "active"),
            11 => field::message::merge_repeated(wt, &mut self.history, buf, depth)
                .in_field(S, "history"),
            12 => field::int32::merge(wt, &mut self.color.0, buf).in_field(S, "color"),
            _ => self.unknown_fields.merge_field(tag, wt, buf, depth),
        }
    }
}

/// Recursive protobuf message for depth tests: `message Tree { repeated Tree kids = 1; }`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tree {
    pub kids: Vec<Tree>,
}

impl Message for Tree {
    fn encoded_len(&self) -> usize {
        field::message::encoded_len_repeated(1, &self.kids)
    }
    fn encode_raw(&self, buf: &mut BytesMut) {
        // As generated code: fields go through a register-held cursor.
        let buf = &mut kit_runtime::sink::Cursor::new(buf);
        field::message::encode_repeated(1, &self.kids, buf)
    }
    fn merge_field(
        &mut self,
        tag: u32,
        wt: WireType,
        buf: &mut Bytes,
        depth: u32,
    ) -> Result<(), DecodeError> {
        match tag {
            1 => field::message::merge_repeated(wt, &mut self.kids, buf, depth),
            _ => kit_runtime::protobuf::wire::skip_field(wt, tag, buf, depth),
        }
    }
}
