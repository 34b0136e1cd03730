"""gRPC interop client cases (grpcio) against a grpc.testing.TestService server.

Usage: client.py --port N [--test_case a,b]. Needs the generated stubs of
grpc/testing/test.proto on sys.path. Exits 1 if any case fails.
"""

import argparse
import os
import queue
import sys

import grpc

# The generated stubs live in package `grpc.testing`, inside grpcio's own `grpc` package:
# graft the directory they were generated into (env KIT_GRPC_GEN) onto grpc's path.
grpc.__path__.append(os.path.join(os.environ["KIT_GRPC_GEN"], "grpc"))
from grpc.testing import empty_pb2, messages_pb2, test_pb2_grpc

CASES = [
    "empty_unary",
    "large_unary",
    "client_streaming",
    "server_streaming",
    "ping_pong",
    "empty_stream",
    "custom_metadata",
    "status_code_and_message",
    "special_status_message",
    "unimplemented_method",
    "timeout_on_sleeping_server",
]

INITIAL = "x-grpc-test-echo-initial"
TRAILING = "x-grpc-test-echo-trailing-bin"


def zeros(n):
    return messages_pb2.Payload(body=b"\0" * n)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def empty_unary(stub):
    r = stub.EmptyCall(empty_pb2.Empty(), timeout=10)
    expect(isinstance(r, empty_pb2.Empty), "not Empty")


def large_unary(stub):
    r = stub.UnaryCall(
        messages_pb2.SimpleRequest(response_size=314159, payload=zeros(271828)), timeout=10
    )
    expect(len(r.payload.body) == 314159, "payload %d" % len(r.payload.body))


def client_streaming(stub):
    reqs = (messages_pb2.StreamingInputCallRequest(payload=zeros(n)) for n in (27182, 8, 1828, 45904))
    r = stub.StreamingInputCall(reqs, timeout=10)
    expect(r.aggregated_payload_size == 74922, "aggregated %d" % r.aggregated_payload_size)


def server_streaming(stub):
    sizes = [31415, 9, 2653, 58979]
    req = messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=s) for s in sizes]
    )
    got = [len(r.payload.body) for r in stub.StreamingOutputCall(req, timeout=10)]
    expect(got == sizes, "sizes %r" % got)


def ping_pong(stub):
    q = queue.Queue()

    def requests():
        while True:
            item = q.get()
            if item is None:
                return
            yield item

    call = stub.FullDuplexCall(requests(), timeout=10)
    for resp, req in [(31415, 27182), (9, 8), (2653, 1828), (58979, 45904)]:
        q.put(
            messages_pb2.StreamingOutputCallRequest(
                response_parameters=[messages_pb2.ResponseParameters(size=resp)], payload=zeros(req)
            )
        )
        r = next(call)
        expect(len(r.payload.body) == resp, "response %d want %d" % (len(r.payload.body), resp))
    q.put(None)
    expect(list(call) == [], "extra responses")


def empty_stream(stub):
    got = list(stub.FullDuplexCall(iter([]), timeout=10))
    expect(got == [], "responses %r" % got)


def custom_metadata(stub):
    md = ((INITIAL, "test_initial_metadata_value"), (TRAILING, b"\xab\xab\xab"))
    r, call = stub.UnaryCall.with_call(
        messages_pb2.SimpleRequest(response_size=314159, payload=zeros(271828)), metadata=md, timeout=10
    )
    expect((INITIAL, "test_initial_metadata_value") in call.initial_metadata(), "initial %r" % (call.initial_metadata(),))
    expect((TRAILING, b"\xab\xab\xab") in call.trailing_metadata(), "trailing %r" % (call.trailing_metadata(),))
    req = messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=314159)], payload=zeros(271828)
    )
    call = stub.FullDuplexCall(iter([req]), metadata=md, timeout=10)
    expect((INITIAL, "test_initial_metadata_value") in call.initial_metadata(), "stream initial")
    for _ in call:
        pass
    expect((TRAILING, b"\xab\xab\xab") in call.trailing_metadata(), "stream trailing %r" % (call.trailing_metadata(),))


def _status(stub, message):
    st = messages_pb2.EchoStatus(code=2, message=message)
    try:
        stub.UnaryCall(messages_pb2.SimpleRequest(response_status=st), timeout=10)
        raise AssertionError("unary: no error")
    except grpc.RpcError as e:
        expect(e.code() == grpc.StatusCode.UNKNOWN, "unary code %s" % e.code())
        expect(e.details() == message, "unary message %r" % e.details())
    try:
        list(stub.FullDuplexCall(iter([messages_pb2.StreamingOutputCallRequest(response_status=st)]), timeout=10))
        raise AssertionError("stream: no error")
    except grpc.RpcError as e:
        expect(e.code() == grpc.StatusCode.UNKNOWN, "stream code %s" % e.code())
        expect(e.details() == message, "stream message %r" % e.details())


def status_code_and_message(stub):
    _status(stub, "test status message")


def special_status_message(stub):
    _status(stub, "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n")


def unimplemented_method(stub):
    try:
        stub.UnimplementedCall(empty_pb2.Empty(), timeout=10)
        raise AssertionError("no error")
    except grpc.RpcError as e:
        expect(e.code() == grpc.StatusCode.UNIMPLEMENTED, "code %s" % e.code())


def timeout_on_sleeping_server(stub):
    q = queue.Queue()

    def requests():
        yield messages_pb2.StreamingOutputCallRequest(
            response_parameters=[messages_pb2.ResponseParameters(size=31415)], payload=zeros(27182)
        )
        q.get()  # Never completes: the server keeps waiting.

    try:
        for _ in stub.FullDuplexCall(requests(), timeout=0.001):
            pass
        raise AssertionError("no error")
    except grpc.RpcError as e:
        expect(e.code() == grpc.StatusCode.DEADLINE_EXCEEDED, "code %s" % e.code())
    finally:
        q.put(None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--test_case", default="all")
    a = ap.parse_args()
    cases = CASES if a.test_case == "all" else a.test_case.split(",")
    failed = 0
    with grpc.insecure_channel("%s:%d" % (a.host, a.port)) as ch:
        stub = test_pb2_grpc.TestServiceStub(ch)
        for c in cases:
            try:
                globals()[c](stub)
                print("PASS", c, flush=True)
            except Exception as e:  # noqa: BLE001 - report every failure
                failed += 1
                print("FAIL %s: %r" % (c, e), flush=True)
    print("py-client: %d ok, %d failed" % (len(cases) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
