"""ThriftTest client on Apache Thrift's Python library, for kit's `thrift-server`.

Calls every method with edge values; exits 1 on the first mismatch.
"""

import sys
import time

from common import parse_args, protocol_factory, transport_factory

args = parse_args(__doc__)

from thrift.Thrift import TApplicationException  # noqa: E402
from thrift.transport import TSocket  # noqa: E402
from ThriftTest import ThriftTest  # noqa: E402
from ThriftTest.ttypes import Insanity, Numberz, Xception, Xception2, Xtruct, Xtruct2  # noqa: E402

sock = TSocket.TSocket("127.0.0.1", args.port)
sock.setTimeout(10000)
transport = transport_factory(args.transport).getTransport(sock)
client = ThriftTest.Client(protocol_factory(args.protocol, args.transport).getProtocol(transport))
transport.open()

failures = []


def check(name, got, want):
    if got != want:
        failures.append("%s: got %r, want %r" % (name, got, want))


def expect_raise(name, exc_type, fn):
    try:
        fn()
    except exc_type as e:
        return e
    except Exception as e:  # noqa: BLE001
        failures.append("%s: raised %r, want %s" % (name, e, exc_type.__name__))
        return None
    failures.append("%s: returned, want %s" % (name, exc_type.__name__))
    return None


check("testVoid", client.testVoid(), None)
for s in ["", "Test", "ünïcödé ✓ 日本語", "x" * 70000]:
    check("testString", client.testString(s), s)
for b in [True, False]:
    check("testBool", client.testBool(b), b)
for v in [0, 1, -1, -128, 127]:
    check("testByte", client.testByte(v), v)
for v in [0, -1, -(2**31), 2**31 - 1]:
    check("testI32", client.testI32(v), v)
for v in [0, -1, -(2**63), 2**63 - 1, 1 << 40]:
    check("testI64", client.testI64(v), v)
for v in [0.0, -5.25, 1.7976931348623157e308, 2.2250738585072014e-308, 1e-300]:
    check("testDouble", client.testDouble(v), v)
b = bytes(range(256))
check("testBinary", client.testBinary(b), b)
check("testBinary(empty)", client.testBinary(b""), b"")
x = Xtruct(string_thing="Zero", byte_thing=1, i32_thing=-3, i64_thing=-5)
check("testStruct", client.testStruct(x), x)
n = Xtruct2(byte_thing=1, struct_thing=x, i32_thing=5)
check("testNest", client.testNest(n), n)
m = {i: i - 10 for i in range(5)}
check("testMap", client.testMap(m), m)
check("testMap(empty)", client.testMap({}), {})
sm = {"a": "2", "b": "blah", "some": "thing", "": ""}
check("testStringMap", client.testStringMap(sm), sm)
st = {-2, -1, 0, 1, 2}
check("testSet", client.testSet(st), st)
lst = list(range(-2, 3))
check("testList", client.testList(lst), lst)
for e in [Numberz.ONE, Numberz.TWO, Numberz.EIGHT]:
    check("testEnum", client.testEnum(e), e)
check("testTypedef", client.testTypedef(309858235082523), 309858235082523)
check(
    "testMapMap",
    client.testMapMap(1),
    {-4: {-4: -4, -3: -3, -2: -2, -1: -1}, 4: {1: 1, 2: 2, 3: 3, 4: 4}},
)
ins = Insanity(userMap={Numberz.FIVE: 5, Numberz.EIGHT: 8}, xtructs=[x, Xtruct(string_thing="", byte_thing=0, i32_thing=0, i64_thing=0)])
got = client.testInsanity(ins)
check("testInsanity[1]", got.get(1), {Numberz.TWO: ins, Numberz.THREE: ins})
check("testInsanity[2]", sorted(got.get(2, {}).keys()), [Numberz.SIX])
check("testInsanity keys", sorted(got.keys()), [1, 2])
check(
    "testMulti",
    client.testMulti(1, 2, 3, {1: "abc"}, Numberz.FIVE, 6),
    Xtruct(string_thing="Hello2", byte_thing=1, i32_thing=2, i64_thing=3),
)
e = expect_raise("testException(Xception)", Xception, lambda: client.testException("Xception"))
if e is not None:
    check("testException(Xception)", (e.errorCode, e.message), (1001, "Xception"))
expect_raise(
    "testException(TException)", TApplicationException, lambda: client.testException("TException")
)
check("testException(success)", client.testException("success"), None)
e = expect_raise(
    "testMultiException(Xception)",
    Xception,
    lambda: client.testMultiException("Xception", "ignored"),
)
if e is not None:
    check("testMultiException(Xception)", (e.errorCode, e.message), (1001, "This is an Xception"))
e = expect_raise(
    "testMultiException(Xception2)",
    Xception2,
    lambda: client.testMultiException("Xception2", "ignored"),
)
if e is not None:
    check(
        "testMultiException(Xception2)",
        (e.errorCode, e.struct_thing.string_thing),
        (2002, "This is an Xception2"),
    )
check(
    "testMultiException(Normal)",
    client.testMultiException("Normal", "Hello").string_thing,
    "Hello",
)
t = time.time()
client.testOneway(1)
if time.time() - t > 0.9:
    failures.append("testOneway blocked for %.2fs" % (time.time() - t))
check("testVoid after oneway", client.testVoid(), None)
transport.close()

if failures:
    for f in failures:
        print("FAIL " + f, file=sys.stderr)
    sys.exit(1)
print("all ThriftTest calls passed")
