"""ThriftTest server on Apache Thrift's Python library, for kit's `thrift-client`.

Prints `listening on PORT` once bound (`--port 0` picks a free port), then serves until killed.
"""

import time

from common import parse_args, protocol_factory, transport_factory

args = parse_args(__doc__)

from thrift.Thrift import TException  # noqa: E402
from thrift.server import TServer  # noqa: E402
from thrift.transport import TSocket  # noqa: E402
from ThriftTest import ThriftTest  # noqa: E402
from ThriftTest.ttypes import Insanity, Numberz, Xception, Xception2, Xtruct  # noqa: E402


class Handler(ThriftTest.Iface):
    def testVoid(self):
        pass

    def testString(self, thing):
        return thing

    def testBool(self, thing):
        return thing

    def testByte(self, thing):
        return thing

    def testI32(self, thing):
        return thing

    def testI64(self, thing):
        return thing

    def testDouble(self, thing):
        return thing

    def testBinary(self, thing):
        return thing

    def testStruct(self, thing):
        return thing

    def testNest(self, thing):
        return thing

    def testMap(self, thing):
        return thing

    def testStringMap(self, thing):
        return thing

    def testSet(self, thing):
        return thing

    def testList(self, thing):
        return thing

    def testEnum(self, thing):
        return thing

    def testTypedef(self, thing):
        return thing

    def testMapMap(self, hello):
        return {
            -4: {-4: -4, -3: -3, -2: -2, -1: -1},
            4: {1: 1, 2: 2, 3: 3, 4: 4},
        }

    def testInsanity(self, argument):
        return {
            1: {Numberz.TWO: argument, Numberz.THREE: argument},
            2: {Numberz.SIX: Insanity()},
        }

    def testMulti(self, arg0, arg1, arg2, arg3, arg4, arg5):
        return Xtruct(string_thing="Hello2", byte_thing=arg0, i32_thing=arg1, i64_thing=arg2)

    def testException(self, arg):
        if arg == "Xception":
            raise Xception(errorCode=1001, message=arg)
        if arg == "TException":
            raise TException(message="This is a TException")

    def testMultiException(self, arg0, arg1):
        if arg0 == "Xception":
            raise Xception(errorCode=1001, message="This is an Xception")
        if arg0 == "Xception2":
            raise Xception2(errorCode=2002, struct_thing=Xtruct(string_thing="This is an Xception2"))
        return Xtruct(string_thing=arg1)

    def testOneway(self, secondsToSleep):
        time.sleep(min(max(secondsToSleep, 0), 10))


socket = TSocket.TServerSocket(host="127.0.0.1", port=args.port)
server = TServer.TThreadedServer(
    ThriftTest.Processor(Handler()),
    socket,
    transport_factory(args.transport),
    protocol_factory(args.protocol, args.transport),
    daemon=True,
)
socket.listen()
print("listening on %d" % socket.handle.getsockname()[1], flush=True)
socket.listen = lambda: None  # already bound; serve() would bind again
server.serve()
