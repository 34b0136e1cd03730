//! The one intermediate representation that Thrift and Protobuf both lower into.
//!
//! Everything downstream (code generation, `kit check --dump-ir`) reads only this module.
//! Definitions live in one arena ([`Ir::defs`]) and refer to each other by [`DefId`]; files
//! list the definitions they declare at top level, messages list their nested definitions.
//! Language-only details sit in small `*Ext` structs, never in the shared core.
//!
//! All collections are `Vec`s in source order, so iterating the IR is deterministic.

use serde::Serialize;

use crate::source::{FileId, Span};

/// Index of a definition in [`Ir::defs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct DefId(pub u32);

/// A resolved set of IDL files: the inputs and everything they include, each once.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Ir {
    /// Files in dependency order: every file comes after the files it includes.
    pub files: Vec<File>,
    /// All definitions of all files, nested ones included.
    pub defs: Vec<Def>,
    /// Position in `files` of each `FileId`, kept by [`Ir::reindex`].
    #[serde(skip)]
    file_pos: Vec<u32>,
}

impl Ir {
    pub fn def(&self, id: DefId) -> &Def {
        &self.defs[id.0 as usize]
    }
    /// The file with this id: constant time once [`Ir::reindex`] has run (the compiler does),
    /// a scan otherwise.
    pub fn file(&self, id: FileId) -> &File {
        if let Some(f) = self
            .file_pos
            .get(id.0 as usize)
            .and_then(|&p| self.files.get(p as usize))
        {
            if f.id == id {
                return f;
            }
        }
        self.files
            .iter()
            .find(|f| f.id == id)
            .expect("FileId of this Ir")
    }
    /// Rebuilds the `FileId` index after `files` changed.
    pub fn reindex(&mut self) {
        let max = self
            .files
            .iter()
            .map(|f| f.id.0 as usize + 1)
            .max()
            .unwrap_or(0);
        self.file_pos = vec![u32::MAX; max];
        for (i, f) in self.files.iter().enumerate() {
            self.file_pos[f.id.0 as usize] = i as u32;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Language {
    Thrift,
    Proto2,
    Proto3,
}

impl Language {
    pub fn is_proto(self) -> bool {
        matches!(self, Language::Proto2 | Language::Proto3)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct File {
    pub id: FileId,
    /// The file's logical name: relative to the include root that holds it, with `/`
    /// separators (`google/protobuf/any.proto`), as protoc names files.
    pub name: String,
    pub language: Language,
    /// Protobuf `package`; for Thrift the `namespace rs` (or `*`) if any.
    pub package: Option<String>,
    pub includes: Vec<Include>,
    /// Top-level definitions in source order.
    pub defs: Vec<DefId>,
    /// Protobuf file options / Thrift has none at file level.
    pub options: Vec<Annotation>,
    pub docs: Docs,
    /// `true` for files named on the command line, `false` for files reached by include only.
    pub is_input: bool,
    pub ext: FileExt,
}

#[derive(Clone, Debug, Serialize)]
pub struct Include {
    pub file: FileId,
    /// The path as written in the IDL.
    pub path: String,
    pub kind: IncludeKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum IncludeKind {
    Normal,
    /// Protobuf `import public`.
    Public,
    /// Protobuf `import weak`.
    Weak,
}

#[derive(Clone, Debug, Serialize)]
pub enum FileExt {
    Thrift(ThriftFileExt),
    Proto(ProtoFileExt),
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ThriftFileExt {
    /// `namespace SCOPE NAME` in source order (`*` for the wildcard scope).
    pub namespaces: Vec<(String, String)>,
    pub cpp_includes: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ProtoFileExt {
    /// `extend Foo { ... }` blocks at file level (nested ones sit on their message).
    pub extensions: Vec<Extension>,
}

/// Documentation comments attached to a construct (`/** */` in Thrift, leading comments in
/// Protobuf), with comment markers and common leading whitespace removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Docs(pub Option<String>);

/// A Thrift annotation `(key = "value")` or a Protobuf option `[name = value]` / `option name = value;`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Annotation {
    /// The name as written, custom options keep their parentheses: `(my.ext).field`.
    pub name: String,
    pub value: AnnotationValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum AnnotationValue {
    /// No value (Thrift allows `(key)`).
    None,
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
    /// An identifier such as an enum value name (`SPEED`) or `inf`.
    Ident(String),
    /// A Protobuf aggregate value `{ a: 1 b: "x" }`, kept as its source text.
    Aggregate(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct Def {
    pub id: DefId,
    pub file: FileId,
    /// The name as declared.
    pub name: String,
    /// Fully qualified: `package.Outer.Inner` for Protobuf, `file_stem.Name` for Thrift.
    pub full_name: String,
    /// The enclosing message for nested Protobuf definitions.
    pub parent: Option<DefId>,
    pub kind: DefKind,
    pub docs: Docs,
    pub annotations: Vec<Annotation>,
    /// The span of the definition's name.
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub enum DefKind {
    Struct(Struct),
    Enum(Enum),
    /// Thrift `typedef`.
    Alias(Type),
    Const(Const),
    Service(Service),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum StructKind {
    /// Thrift `struct` or Protobuf `message`.
    Struct,
    /// Thrift `union`: exactly one field set.
    Union,
    /// Thrift `exception`.
    Exception,
}

#[derive(Clone, Debug, Serialize)]
pub struct Struct {
    pub kind: StructKind,
    pub fields: Vec<Field>,
    /// Protobuf `oneof`s; their fields are in `fields` with `Field::oneof` pointing here.
    pub oneofs: Vec<Oneof>,
    /// Nested definitions (Protobuf messages and enums, groups).
    pub nested: Vec<DefId>,
    pub proto: Option<ProtoMessageExt>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Oneof {
    pub name: String,
    pub options: Vec<Annotation>,
    pub docs: Docs,
    pub span: Span,
    /// `true` for the synthetic oneof protoc makes for a proto3 `optional` field.
    pub synthetic: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ProtoMessageExt {
    /// Reserved field numbers, half-open `[start, end)` as in descriptors.
    pub reserved_ranges: Vec<(i32, i32)>,
    pub reserved_names: Vec<String>,
    /// Extension ranges, half-open `[start, end)`.
    pub extension_ranges: Vec<(i32, i32)>,
    /// `extend Foo { ... }` blocks declared inside this message.
    pub extensions: Vec<Extension>,
    /// This message is the body of a proto2 `group` field.
    pub is_group: bool,
}

/// A Protobuf extension field: `extend Extendee { field }`.
#[derive(Clone, Debug, Serialize)]
pub struct Extension {
    pub extendee: DefId,
    pub field: Field,
}

#[derive(Clone, Debug, Serialize)]
pub struct Field {
    /// Thrift field id or Protobuf field number. Thrift fields without an id get
    /// negative ids, `-1`, `-2`, ... as Apache Thrift assigns them.
    pub id: i32,
    pub name: String,
    pub ty: Type,
    pub presence: Presence,
    pub default: Option<ConstValue>,
    pub annotations: Vec<Annotation>,
    pub docs: Docs,
    pub span: Span,
    /// Index into the message's `oneofs`.
    pub oneof: Option<u32>,
    pub proto: Option<ProtoFieldExt>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Presence {
    /// Thrift `required`, proto2 `required`.
    Required,
    /// Thrift `optional`, proto2 `optional`, proto3 `optional`, oneof members.
    Optional,
    /// Thrift default requiredness, proto3 implicit presence, and repeated/map fields.
    Default,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ProtoFieldExt {
    /// `repeated` (the field's type is then `Type::List`) as written; maps are `Type::Map`.
    pub repeated: bool,
    /// `[packed = ...]` if given.
    pub packed: Option<bool>,
    /// `[json_name = ...]` if given.
    pub json_name: Option<String>,
    /// The field is a proto2 group: its type is the nested group message.
    pub group: bool,
    /// A proto3 `optional` field (lives in a synthetic oneof in descriptors).
    pub proto3_optional: bool,
    /// The label was written explicitly (`optional` / `required` / `repeated`).
    pub explicit_label: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Type {
    Bool,
    /// Thrift `i8` / `byte`.
    I8,
    I16,
    /// Thrift `i32`, Protobuf `int32`.
    I32,
    /// Thrift `i64`, Protobuf `int64`.
    I64,
    U32,
    U64,
    SInt32,
    SInt64,
    Fixed32,
    Fixed64,
    SFixed32,
    SFixed64,
    Float,
    Double,
    String,
    /// Thrift `binary`, Protobuf `bytes`.
    Bytes,
    Uuid,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>, Box<Type>),
    /// A struct, message, enum or alias.
    Ref(DefId),
}

#[derive(Clone, Debug, Serialize)]
pub struct Enum {
    pub values: Vec<EnumValue>,
    /// Protobuf `option allow_alias = true`.
    pub allow_alias: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct EnumValue {
    pub name: String,
    pub value: i32,
    pub annotations: Vec<Annotation>,
    pub docs: Docs,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct Const {
    pub ty: Type,
    pub value: ConstValue,
}

/// A fully resolved constant: references to other constants are inlined, enum references
/// name the enum and value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ConstValue {
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<ConstValue>),
    Map(Vec<(ConstValue, ConstValue)>),
    /// A value of enum `def`.
    Enum {
        def: DefId,
        value: i32,
    },
    /// A struct-valued constant: `(field id, value)` in source order.
    Struct {
        def: DefId,
        fields: Vec<(i32, ConstValue)>,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct Service {
    /// Thrift `extends`.
    pub extends: Option<DefId>,
    pub methods: Vec<Method>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Method {
    pub name: String,
    /// Thrift arguments. A Protobuf method has one argument, `request` with id 1, whose type
    /// is the input message.
    pub args: Vec<Field>,
    /// `None` for Thrift `void`; a Protobuf method's output message.
    pub result: Option<Type>,
    /// Thrift `throws (...)`.
    pub throws: Vec<Field>,
    pub oneway: bool,
    pub client_streaming: bool,
    pub server_streaming: bool,
    pub annotations: Vec<Annotation>,
    pub docs: Docs,
    pub span: Span,
}
