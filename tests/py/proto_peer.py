"""Python protobuf peer for tests/codegen/tests/proto_python.rs.

Usage: proto_peer.py GEN_DIR DATA_DIR [--echo | --echo-proto2]

GEN_DIR holds `grpc_tools.protoc --python_out` output for google/protobuf/test_messages_proto3.proto
(and test_messages_proto2.proto for --echo-proto2).
DATA_DIR holds kit's encoding `<case>.kit` of every case below. For each one this script parses
the bytes with the installed protobuf runtime, compares the message with the same value built
here (`==`, a field-by-field diff with doubles compared bitwise, and the deterministic
serializations, which include unknown fields), and writes its own serialization of the parsed
message to `<case>.py` for kit to decode. Mismatches are printed one per line; exit status 1 if
there was any.

The values here must stay in step with `cases()` in proto_python.rs.
"""

import importlib.util
import math
import os
import struct
import sys
import traceback

gen_dir, data_dir = sys.argv[1], sys.argv[2]

from google.protobuf import descriptor  # noqa: E402



def load(name):
    # Generated modules live at google/protobuf/... under GEN_DIR, which the installed `google`
    # package shadows; load them by path.
    spec = importlib.util.spec_from_file_location(name, os.path.join(gen_dir, f"google/protobuf/{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pb = load("test_messages_proto3_pb2")

M = pb.TestAllTypesProto3
N = M.NestedMessage
I32MIN, I32MAX = -(2**31), 2**31 - 1
I64MIN, I64MAX = -(2**63), 2**63 - 1
U32MAX, U64MAX = 2**32 - 1, 2**64 - 1
F32MAX = 3.4028234663852886e38
# 1 MiB and a bit of mixed-width UTF-8 (9 bytes per repetition).
BIG = "abc\u00e9\U0001F600" * ((1 << 20) // 9 + 1)
BIG_BYTES = bytes(i % 251 for i in range(1 << 20))
# Unknown to TestAllTypesProto3: 9999 varint 300, 10000 bytes "abc", 10001 fixed32, 10002 fixed64,
# group 10003 holding field 1 = 1. Also in proto_python.rs.
UNKNOWN = bytes.fromhex("f8f004ac02" "82f10403616263" "8df10401020304" "91f1040102030405060708" "9bf10408019cf104")


def build(**kw):
    return M(**kw)


def with_unknown():
    # Unknown fields can only be made by parsing; the known part is built normally.
    m = M(optional_int32=5, optional_nested_message=N(a=1))
    m.MergeFromString(UNKNOWN)
    # And one inside a nested message.
    m.optional_foreign_message.MergeFromString(bytes.fromhex("f8f00401"))
    return m


def timestamps():
    m = M()
    m.optional_timestamp.seconds = -1
    m.optional_timestamp.nanos = 999999999
    m.optional_duration.seconds = I64MAX
    m.optional_field_mask.paths.extend(["a.b", "c"])
    m.optional_int32_wrapper.value = 0  # present, holding the default
    m.optional_string_wrapper.value = "w"
    m.optional_double_wrapper.value = -0.0
    m.repeated_bool_wrapper.add(value=True)
    m.repeated_bool_wrapper.add()
    return m


CASES = {
    "empty": build(),
    "scalars_max": build(
        optional_int32=I32MAX, optional_int64=I64MAX, optional_uint32=U32MAX, optional_uint64=U64MAX,
        optional_sint32=I32MAX, optional_sint64=I64MAX, optional_fixed32=U32MAX, optional_fixed64=U64MAX,
        optional_sfixed32=I32MAX, optional_sfixed64=I64MAX, optional_float=F32MAX,
        optional_double=sys.float_info.max, optional_bool=True, optional_string="max",
        optional_bytes=b"\xff",
    ),
    "scalars_min": build(
        optional_int32=I32MIN, optional_int64=I64MIN, optional_uint32=1, optional_uint64=1,
        optional_sint32=I32MIN, optional_sint64=I64MIN, optional_fixed32=1, optional_fixed64=1,
        optional_sfixed32=I32MIN, optional_sfixed64=I64MIN, optional_float=-math.inf,
        optional_double=5e-324,
    ),
    "negatives": build(
        optional_int32=-1, optional_int64=-1, optional_sint32=-1, optional_sint64=-1,
        optional_sfixed32=-1, optional_sfixed64=-1, optional_float=-2.5, optional_double=-1.5,
        optional_nested_enum=M.NEG, optional_foreign_enum=pb.FOREIGN_BAZ, optional_aliased_enum=M.ALIAS_BAR,
    ),
    "float_specials": build(
        optional_double=math.inf, optional_float=math.nan,
        repeated_double=[math.nan, math.inf, -math.inf, -0.0, 5e-324],
        repeated_float=[math.nan, -0.0, F32MAX],
        unpacked_double=[math.nan],
    ),
    "negative_zero": build(optional_double=-0.0, optional_float=-0.0),
    "strings": build(
        optional_string=BIG, optional_bytes=BIG_BYTES, optional_cord="ünïcödé ✓ 😀",
        repeated_string=["", "é", "😀"], repeated_bytes=[b"", b"\x00"],
    ),
    "nested": build(
        optional_nested_message=N(a=-7, corecursive=M(optional_int32=1, recursive_message=M(optional_string="deep"))),
        optional_foreign_message=pb.ForeignMessage(),
        recursive_message=M(optional_bool=True),
        repeated_nested_message=[N(a=1), N()],
        repeated_foreign_message=[pb.ForeignMessage(c=-1)],
    ),
    "repeated": build(
        repeated_int32=[I32MIN, -1, 0, 1, I32MAX],
        repeated_uint64=[0, U64MAX],
        packed_int32=[I32MIN, -1, 0, 1, I32MAX],
        packed_sint64=[I64MIN, -1, 0, I64MAX],
        packed_fixed32=[0, U32MAX],
        packed_sfixed64=[I64MIN],
        packed_double=[1.5, -0.0],
        packed_bool=[True, False, True],
        packed_nested_enum=[M.FOO, M.BAR, M.NEG, 99],
        unpacked_int32=[-1, 2],
        unpacked_sint32=[I32MIN],
        unpacked_fixed64=[U64MAX, 0],
        unpacked_double=[1.5],
        unpacked_bool=[False],
        unpacked_nested_enum=[M.BAZ, -5],
        repeated_foreign_enum=[pb.FOREIGN_BAR],
        repeated_int64=list(range(-5000, 5000)),
    ),
    "maps": build(
        map_int32_int32={-1: -2, 0: 0, I32MAX: I32MIN},
        map_int64_int64={I64MIN: I64MAX, 1: -1},
        map_uint32_uint32={U32MAX: 1, 0: 0},
        map_uint64_uint64={U64MAX: U64MAX},
        map_sint32_sint32={I32MIN: -1, 7: 7},
        map_sint64_sint64={I64MIN: I64MIN},
        map_fixed32_fixed32={1: U32MAX},
        map_fixed64_fixed64={U64MAX: 2},
        map_sfixed32_sfixed32={-1: -1},
        map_sfixed64_sfixed64={-1: I64MIN},
        map_int32_float={1: -0.5, 2: math.inf},
        map_int32_double={1: -math.inf, 2: 0.0},
        map_bool_bool={True: False, False: True},
        map_string_string={"": "", "k": "v", "ü": BIG},
        map_string_bytes={"b": b"\x00\xff", "": b""},
        map_string_nested_message={"m": N(a=5), "e": N()},
        map_string_foreign_message={"f": pb.ForeignMessage(c=-1)},
        map_string_nested_enum={"n": M.NEG, "u": 77},
        map_string_foreign_enum={"x": pb.FOREIGN_BAZ},
    ),
    "map_single": build(map_int32_int32={1: 2}, map_string_string={"a": "b"}, map_string_nested_message={"": N()}),
    "oneof_uint32_zero": build(oneof_uint32=0),
    "oneof_nested": build(oneof_nested_message=N(a=1)),
    "oneof_string_empty": build(oneof_string=""),
    "oneof_bytes": build(oneof_bytes=b"\x00"),
    "oneof_bool_false": build(oneof_bool=False),
    "oneof_uint64_max": build(oneof_uint64=U64MAX),
    "oneof_float_nan": build(oneof_float=math.nan),
    "oneof_double_neg_inf": build(oneof_double=-math.inf),
    "oneof_enum_neg": build(oneof_enum=M.NEG),
    "oneof_enum_unknown": build(oneof_enum=1234),
    "oneof_with_others": build(optional_int32=1, oneof_string="x", fieldname1=7),
    # Declared out of field-number order in the .proto (packed before maps, a oneof in between).
    "field_order": build(
        fieldname1=1, packed_int32=[1], map_int32_int32={1: 2}, repeated_int32=[3], oneof_uint32=4,
        optional_bool_wrapper=pb.google_dot_protobuf_dot_wrappers__pb2.BoolValue(value=True),
    ),
    "well_known": timestamps(),
    "unknown_fields": with_unknown(),
}


def is_repeated(f):
    return getattr(f, "is_repeated", None) if hasattr(f, "is_repeated") else f.label == descriptor.FieldDescriptor.LABEL_REPEATED


def same_scalar(f, a, b):
    if f.type == descriptor.FieldDescriptor.TYPE_DOUBLE:
        return struct.pack("<d", a) == struct.pack("<d", b)
    if f.type == descriptor.FieldDescriptor.TYPE_FLOAT:
        return struct.pack("<f", a) == struct.pack("<f", b)
    return type(a) is type(b) and a == b


def diff_value(f, a, b, path):
    if f.type == descriptor.FieldDescriptor.TYPE_MESSAGE:
        return diff(a, b, path)
    if not same_scalar(f, a, b):
        return f"{path}: expected {repr(a)[:200]}, got {repr(b)[:200]}"
    return None


def diff(a, b, path="msg"):
    """First difference between messages `a` (expected) and `b`, doubles compared bitwise."""
    for f in a.DESCRIPTOR.fields:
        p = f"{path}.{f.name}"
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            if set(va) != set(vb):
                return f"{p}: keys expected {sorted(map(repr, va))[:20]}, got {sorted(map(repr, vb))[:20]}"
            vf = f.message_type.fields_by_name["value"]
            for k in va:
                d = diff_value(vf, va[k], vb[k], f"{p}[{k!r}]")
                if d:
                    return d
        elif is_repeated(f):
            if len(va) != len(vb):
                return f"{p}: expected {len(va)} elements, got {len(vb)}"
            for i, (x, y) in enumerate(zip(va, vb)):
                d = diff_value(f, x, y, f"{p}[{i}]")
                if d:
                    return d
        else:
            if f.has_presence:
                if a.HasField(f.name) != b.HasField(f.name):
                    return f"{p}: expected present={a.HasField(f.name)}, got present={b.HasField(f.name)}"
                if not a.HasField(f.name):
                    continue
            d = diff_value(f, va, vb, p)
            if d:
                return d
    return None


def has_nan(m):
    for f, v in m.ListFields():
        vals = v.values() if f.message_type is not None and f.message_type.GetOptions().map_entry else (v if is_repeated(f) else [v])
        for x in vals:
            if isinstance(x, float) and math.isnan(x):
                return True
            if hasattr(x, "ListFields") and has_nan(x):
                return True
    return False


def echo(message):
    """--echo / --echo-proto2: parse every `<name>.kit` as `message`, write the re-serialization
    to `<name>.py` (for values that exist only on kit's side; kit compares the bytes)."""
    errors = []
    for f in sorted(os.listdir(data_dir)):
        if not f.endswith(".kit"):
            continue
        name = f[: -len(".kit")]
        try:
            with open(os.path.join(data_dir, f), "rb") as fh:
                got = message.FromString(fh.read())
            with open(os.path.join(data_dir, f"{name}.py"), "wb") as fh:
                fh.write(got.SerializeToString())
        except Exception:
            errors.append(f"{name} (kit -> python): {traceback.format_exc(limit=3)}")
    for e in errors:
        print(e)
    sys.exit(1 if errors else 0)


def main():
    if sys.argv[3:] == ["--echo"]:
        echo(M)
    if sys.argv[3:] == ["--echo-proto2"]:
        echo(load("test_messages_proto2_pb2").TestAllTypesProto2)
    errors = []
    kit_cases = {f[: -len(".kit")] for f in os.listdir(data_dir) if f.endswith(".kit")}
    for name in sorted(kit_cases ^ set(CASES)):
        errors.append(f"{name}: case exists on one side only (kit: {name in kit_cases})")
    for name in sorted(kit_cases & set(CASES)):
        expected = CASES[name]
        where = f"{name} (kit -> python)"
        try:
            with open(os.path.join(data_dir, f"{name}.kit"), "rb") as f:
                data = f.read()
            got = M.FromString(data)
            d = diff(expected, got)
            if d:
                errors.append(f"{where}: {d}")
            elif expected != got and not has_nan(expected):
                errors.append(f"{where}: == is false but no field differs (unknown fields?)")
            if expected.SerializeToString(deterministic=True) != got.SerializeToString(deterministic=True):
                errors.append(f"{where}: deterministic serializations differ (unknown fields or float bits)")
            with open(os.path.join(data_dir, f"{name}.py"), "wb") as f:
                f.write(got.SerializeToString())
        except Exception:
            errors.append(f"{where}: {traceback.format_exc(limit=3)}")
    for e in errors:
        print(e)
    sys.exit(1 if errors else 0)


main()
