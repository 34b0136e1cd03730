"""Apache Thrift (Python) peer for tests/codegen/tests/thrift_python.rs.

Usage: thrift_peer.py GEN_DIR DATA_DIR [--echo]

GEN_DIR holds `thrift --gen py` output for test/v0.16/ThriftTest.thrift. DATA_DIR holds, for every
case below, kit's encodings `<case>.binary.kit` and `<case>.compact.kit`. For each one this script
decodes the bytes with Apache's Python library (thrift.TSerialization with TBinaryProtocol /
TCompactProtocol, and the C-accelerated protocols as a second opinion), compares the result with
the same value built here, and writes its own re-encoding of the decoded value to
`<case>.<protocol>.py` for kit to decode. Mismatches are printed one per line; exit status 1 if
there was any.

The values here must stay in step with `cases()` in thrift_python.rs.
"""

import math
import os
import struct
import sys
import traceback

gen_dir, data_dir = sys.argv[1], sys.argv[2]
sys.path.insert(0, gen_dir)

from thrift import TSerialization  # noqa: E402
from thrift.protocol import TBinaryProtocol, TCompactProtocol, TProtocol  # noqa: E402
from thrift.Thrift import TFrozenDict  # noqa: E402
from thrift.transport import TTransport  # noqa: E402
from ThriftTest.ttypes import (  # noqa: E402
    Bonk,
    Bools,
    BoolTest,
    CrazyNesting,
    EmptyStruct,
    GuessProtocolStruct,
    Insanity,
    LargeDeltas,
    ListBonks,
    NestedListsI32x3,
    NestedMixedx2,
    Numberz,
    OneField,
    OptionalBinary,
    SomeUnion,
    StructA,
    StructB,
    Xception,
    Xtruct,
    Xtruct2,
    Xtruct3,
    VersioningTestV2,
)

# Apache's Python library has no uuid type, and the v0.16 IDL it is generated from has no uuid
# field, but kit writes CrazyNesting.uuid_field (field 5; type 16, compact type 13, 16 raw bytes).
# Teach the pure-Python protocols to skip it so the rest of the struct can be compared. The C
# extension cannot be taught, so NO_ACCEL cases skip the accelerated check.
UUID = 16
TCompactProtocol.CTYPES[UUID] = 13
TCompactProtocol.TTYPES[13] = UUID
_skip = TProtocol.TProtocolBase.skip


def skip_with_uuid(self, ttype):
    if ttype == UUID:
        self.trans.readAll(16)
    else:
        _skip(self, ttype)


TProtocol.TProtocolBase.skip = skip_with_uuid
NO_ACCEL = {"crazy_nesting"}

I8MIN, I8MAX = -(2**7), 2**7 - 1
I16MIN, I16MAX = -(2**15), 2**15 - 1
I32MIN, I32MAX = -(2**31), 2**31 - 1
I64MIN, I64MAX = -(2**63), 2**63 - 1
# 1 MiB and a bit of mixed-width UTF-8 (9 bytes per repetition).
BIG = "abc\u00e9\U0001F600" * ((1 << 20) // 9 + 1)


def xtruct(s, b, i, l):
    return Xtruct(string_thing=s, byte_thing=b, i32_thing=i, i64_thing=l)


XTRUCT_ZERO = xtruct("", 0, 0, 0)
XTRUCT_MAX = xtruct("hello", I8MAX, I32MAX, I64MAX)
XTRUCT_MIN = xtruct("ünïcödé ✓ 😀", I8MIN, I32MIN, I64MIN)
XTRUCT_NEG = xtruct("-", -1, -1, -1)
INSANITY_ONE = Insanity(userMap={Numberz.THREE: 3}, xtructs=[XTRUCT_MIN])


def vtwo(newdouble=0.0, newshort=0, newset=None, newmap=None, newlist=None):
    return VersioningTestV2(
        begin_in_both=0,
        newint=0,
        newbyte=0,
        newshort=newshort,
        newlong=0,
        newdouble=newdouble,
        newstruct=Bonk(message="", type=0),
        newlist=newlist if newlist is not None else [],
        newset=newset if newset is not None else set(),
        newmap=newmap if newmap is not None else {},
        newstring="",
        end_in_both=0,
    )


VTWO_EDGE = VersioningTestV2(
    begin_in_both=I32MIN,
    newint=I32MAX,
    newbyte=I8MIN,
    newshort=I16MIN,
    newlong=I64MIN,
    newdouble=-0.0,
    newstruct=Bonk(message="bonk", type=-1),
    newlist=[1, -1],
    newset={I32MAX},
    newmap={-1: I32MIN},
    newstring="é",
    end_in_both=I32MAX,
)

CASES = {
    "xtruct_zero": XTRUCT_ZERO,
    "xtruct_max": XTRUCT_MAX,
    "xtruct_min": XTRUCT_MIN,
    "xtruct_neg": XTRUCT_NEG,
    "xtruct_1mib": xtruct(BIG, 1, 2, 3),
    "xtruct2": Xtruct2(byte_thing=I8MIN, struct_thing=XTRUCT_MAX, i32_thing=-2),
    "xtruct3": Xtruct3(string_thing="s", changed=I32MIN, i32_thing=0, i64_thing=-1),
    "insanity_empty": Insanity(userMap={}, xtructs=[]),
    "insanity_one": INSANITY_ONE,
    "insanity_many": Insanity(
        userMap={
            Numberz.ONE: 1,
            Numberz.TWO: I64MIN,
            Numberz.FIVE: I64MAX,
            Numberz.EIGHT: -1,
            100: 7,
            -3: 0,
        },
        xtructs=[XTRUCT_ZERO, XTRUCT_MAX, XTRUCT_NEG],
    ),
    "bools_tf": Bools(im_true=True, im_false=False),
    "bools_ft": Bools(im_true=False, im_false=True),
    "crazy_nesting": CrazyNesting(
        string_field="crazy",
        set_field=set(),
        list_field=[
            {
                frozenset({1, 2, 3}): {5: {(TFrozenDict({}),)}, -1: set()},
                frozenset(): {},
            },
            {},
        ],
        binary_field=bytes(range(256)),
    ),
    "large_deltas": LargeDeltas(
        b1=Bools(im_true=True, im_false=False),
        b10=Bools(im_true=False, im_false=True),
        b100=Bools(im_true=True, im_false=True),
        check_true=True,
        b1000=Bools(im_true=False, im_false=False),
        check_false=False,
        vertwo2000=VTWO_EDGE,
        a_set2500={"a"},
        vertwo3000=vtwo(),
        big_numbers=[I32MIN, -1, 0, 1, I32MAX],
    ),
    "versioning_inf": vtwo(newdouble=math.inf, newshort=I16MAX),
    "versioning_neg_inf": vtwo(newdouble=-math.inf),
    "versioning_max": vtwo(newdouble=1.7976931348623157e308),
    "versioning_subnormal": vtwo(newdouble=5e-324),
    "versioning_nan": vtwo(
        newdouble=math.nan,
        newset=set(range(-20, 20)),
        newmap={i: -i for i in range(20)},
        newlist=list(range(1000)),
    ),
    "nested_lists_i32x3": NestedListsI32x3(integerlist=[[[1, 2], []], [], [[I32MIN]]]),
    "nested_lists_large": NestedListsI32x3(integerlist=[[list(range(100000))]]),
    "nested_mixed": NestedMixedx2(
        int_set_list=[{1, 2, 3}, set()],
        map_int_strset={1: {"a", "b"}, 2: set()},
        map_int_strset_list=[{0: {"x"}}, {}],
    ),
    "list_bonks": ListBonks(bonk=[Bonk(message="", type=0), Bonk(message="b", type=-5)]),
    "list_bonks_empty": ListBonks(bonk=[]),
    "list_bonks_10k": ListBonks(bonk=[Bonk(message=str(i), type=i) for i in range(10000)]),
    "bool_test_some": BoolTest(b=False, s=""),
    "bool_test_none": BoolTest(b=None, s=None),
    "struct_b": StructB(aa=StructA(s="a"), ab=StructA(s="")),
    "struct_b_no_aa": StructB(aa=None, ab=StructA(s="é")),
    "optional_binary": OptionalBinary(bin_set={b"", b"\x00\xff"}, bin_map={b"k": -1, b"": I32MAX}),
    "optional_binary_none": OptionalBinary(bin_set=None, bin_map=None),
    "optional_binary_empty": OptionalBinary(bin_set=set(), bin_map={}),
    "guess_protocol": GuessProtocolStruct(map_field={"a": "b", "": "", "ü": "ß"}),
    "guess_protocol_empty": GuessProtocolStruct(map_field={}),
    "union_string": SomeUnion(string_thing="union ✓"),
    "union_i32": SomeUnion(i32_thing=I32MIN),
    "union_xtruct": SomeUnion(xtruct_thing=Xtruct3(string_thing="x", changed=1, i32_thing=2, i64_thing=3)),
    "union_insanity": SomeUnion(insanity_thing=INSANITY_ONE),
    "union_map": SomeUnion(map_thing={Numberz.ONE: 1, Numberz.TWO: 2}),
    "xception": Xception(errorCode=1001, message="Xception"),
    "xception_min": Xception(errorCode=I32MIN, message=""),
    "empty_struct": EmptyStruct(),
    "one_field": OneField(field=EmptyStruct()),
}


def diff(a, b, path="value"):
    """First difference between expected `a` and actual `b`, or None. Doubles compare bitwise
    (so NaN equals NaN and -0.0 differs from 0.0)."""
    if isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, float) and isinstance(b, float)):
            return f"{path}: expected {a!r}, got {b!r}"
        if struct.pack("<d", a) != struct.pack("<d", b):
            return f"{path}: expected {a!r}, got {b!r}"
        return None
    if hasattr(a, "thrift_spec") or hasattr(b, "thrift_spec"):
        if type(a) is not type(b):
            return f"{path}: expected {type(a).__name__}, got {type(b).__name__}"
        for spec in type(a).thrift_spec:
            if spec is None:
                continue
            name = spec[2]
            d = diff(getattr(a, name), getattr(b, name), f"{path}.{name}")
            if d:
                return d
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return f"{path}: keys expected {sorted(map(repr, a))}, got {sorted(map(repr, b))}"
        for k in a:
            d = diff(a[k], b[k], f"{path}[{k!r}]")
            if d:
                return d
        return None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if type(a) is not type(b) or len(a) != len(b):
            return f"{path}: expected {type(a).__name__} of {len(a)}, got {type(b).__name__} of {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if type(a) is not type(b) or a != b:
        ra, rb = repr(a), repr(b)
        return f"{path}: expected {ra[:200]} ({type(a).__name__}), got {rb[:200]} ({type(b).__name__})"
    return None


def blank(cls):
    # Every field unset (None). Generated constructors apply IDL defaults (BoolTest.b = True), so
    # `cls()` would report defaults for fields absent on the wire; kit reports them as absent.
    return cls(**{spec[2]: None for spec in cls.thrift_spec if spec is not None})


def decode(cls, data, factory):
    if isinstance(cls.__dict__.get("read"), classmethod):
        # python.immutable types (Insanity) are built by a classmethod reader.
        trans = TTransport.TMemoryBuffer(data)
        obj = cls.read(factory.getProtocol(trans))
    else:
        trans = TTransport.TMemoryBuffer(data)
        obj = blank(cls)
        obj.read(factory.getProtocol(trans))
    left = len(data) - trans.cstringio_buf.tell()
    if left:
        raise ValueError(f"{left} bytes left over after the struct")
    return obj


PROTOCOLS = {
    "binary": (TBinaryProtocol.TBinaryProtocolFactory(), TBinaryProtocol.TBinaryProtocolAcceleratedFactory()),
    "compact": (TCompactProtocol.TCompactProtocolFactory(), TCompactProtocol.TCompactProtocolAcceleratedFactory()),
}


def echo():
    """--echo: decode every `<Type>.<n>.<protocol>.kit` as ThriftTest type `<Type>` and write the
    re-encoding to `<Type>.<n>.<protocol>.py` (for random values that exist only on kit's side;
    kit compares the bytes)."""
    import ThriftTest.ttypes as ttypes

    errors = []
    for f in sorted(os.listdir(data_dir)):
        if not f.endswith(".kit"):
            continue
        stem = f[: -len(".kit")]
        type_name, _, proto = stem.split(".")
        try:
            with open(os.path.join(data_dir, f), "rb") as fh:
                data = fh.read()
            factory = PROTOCOLS[proto][0]
            got = decode(getattr(ttypes, type_name), data, factory)
            with open(os.path.join(data_dir, f"{stem}.py"), "wb") as fh:
                fh.write(TSerialization.serialize(got, factory))
        except Exception:
            errors.append(f"{stem} (kit -> python): {traceback.format_exc(limit=3)}")
    for e in errors:
        print(e)
    sys.exit(1 if errors else 0)


def main():
    if sys.argv[3:] == ["--echo"]:
        echo()
    errors = []
    kit_cases = {f.split(".")[0] for f in os.listdir(data_dir) if f.endswith(".kit")}
    for name in sorted(kit_cases ^ set(CASES)):
        errors.append(f"{name}: case exists on one side only (kit: {name in kit_cases})")
    for name in sorted(kit_cases & set(CASES)):
        expected = CASES[name]
        cls = type(expected)
        for proto, (factory, accel) in PROTOCOLS.items():
            where = f"{name} ({proto}, kit -> python)"
            try:
                with open(os.path.join(data_dir, f"{name}.{proto}.kit"), "rb") as f:
                    data = f.read()
                got = decode(cls, data, factory)
                d = diff(expected, got)
                if d:
                    errors.append(f"{where}: {d}")
                if name not in NO_ACCEL:
                    d = diff(expected, decode(cls, data, accel))
                    if d:
                        errors.append(f"{where} [accelerated]: {d}")
                out = TSerialization.serialize(got, factory)
                with open(os.path.join(data_dir, f"{name}.{proto}.py"), "wb") as f:
                    f.write(out)
            except Exception:
                errors.append(f"{where}: {traceback.format_exc(limit=3)}")
    for e in errors:
        print(e)
    sys.exit(1 if errors else 0)


main()
