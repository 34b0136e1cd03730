"""grpc.testing.TestService on grpcio, for kit's grpc-client.

Usage: server.py [--port N]. Port 0 picks a free one. Prints `listening on PORT`,
serves until standard input closes.
"""

import argparse
import os
import sys
import time
from concurrent import futures

import grpc

# The generated stubs live in package `grpc.testing`, inside grpcio's own `grpc` package:
# graft the directory they were generated into (env KIT_GRPC_GEN) onto grpc's path.
grpc.__path__.append(os.path.join(os.environ["KIT_GRPC_GEN"], "grpc"))
from grpc.testing import empty_pb2, messages_pb2, test_pb2_grpc

INITIAL = "x-grpc-test-echo-initial"
TRAILING = "x-grpc-test-echo-trailing-bin"


def echo(context):
    md = dict(context.invocation_metadata())
    if INITIAL in md:
        context.send_initial_metadata(((INITIAL, md[INITIAL]),))
    if TRAILING in md:
        context.set_trailing_metadata(((TRAILING, md[TRAILING]),))


def check_status(st, context):
    if st.code != 0:
        code = next(c for c in grpc.StatusCode if c.value[0] == st.code)
        context.abort(code, st.message)


def payload(n):
    return messages_pb2.Payload(body=b"\0" * n)


class TestService(test_pb2_grpc.TestServiceServicer):
    def EmptyCall(self, request, context):
        echo(context)
        return empty_pb2.Empty()

    def UnaryCall(self, request, context):
        echo(context)
        if request.HasField("response_status"):
            check_status(request.response_status, context)
        return messages_pb2.SimpleResponse(payload=payload(request.response_size))

    def StreamingOutputCall(self, request, context):
        echo(context)
        for p in request.response_parameters:
            if p.interval_us:
                time.sleep(p.interval_us / 1e6)
            yield messages_pb2.StreamingOutputCallResponse(payload=payload(p.size))
        if request.HasField("response_status"):
            check_status(request.response_status, context)

    def StreamingInputCall(self, request_iterator, context):
        total = sum(len(r.payload.body) for r in request_iterator)
        return messages_pb2.StreamingInputCallResponse(aggregated_payload_size=total)

    def FullDuplexCall(self, request_iterator, context):
        echo(context)
        for req in request_iterator:
            if req.HasField("response_status"):
                check_status(req.response_status, context)
            for p in req.response_parameters:
                if p.interval_us:
                    time.sleep(p.interval_us / 1e6)
                yield messages_pb2.StreamingOutputCallResponse(payload=payload(p.size))

    def HalfDuplexCall(self, request_iterator, context):
        reqs = list(request_iterator)
        for req in reqs:
            for p in req.response_parameters:
                yield messages_pb2.StreamingOutputCallResponse(payload=payload(p.size))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    test_pb2_grpc.add_TestServiceServicer_to_server(TestService(), server)
    port = server.add_insecure_port("127.0.0.1:%d" % a.port)
    server.start()
    print("listening on %d" % port, flush=True)
    sys.stdin.read()
    server.stop(1).wait()


if __name__ == "__main__":
    main()
