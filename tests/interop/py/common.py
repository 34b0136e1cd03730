"""Shared command-line handling for kit's Python ThriftTest peers."""

import argparse
import sys


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--gen-dir", required=True, help="directory holding `thrift --gen py` output")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--protocol", choices=["binary", "compact"], default="binary")
    p.add_argument("--transport", choices=["framed", "buffered", "theader"], default="buffered")
    args = p.parse_args()
    sys.path.insert(0, args.gen_dir)
    return args


def protocol_factory(name, transport="buffered"):
    from thrift.protocol import TBinaryProtocol, TCompactProtocol

    if transport == "theader":
        # Apache's header transport lives in its protocol: THeaderProtocol wraps the socket.
        from thrift.protocol.THeaderProtocol import THeaderProtocolFactory
        from thrift.transport.THeaderTransport import THeaderSubprotocolID

        sub = THeaderSubprotocolID.COMPACT if name == "compact" else THeaderSubprotocolID.BINARY
        return THeaderProtocolFactory(default_protocol=sub)
    if name == "compact":
        return TCompactProtocol.TCompactProtocolFactory()
    return TBinaryProtocol.TBinaryProtocolFactory()


def transport_factory(name):
    from thrift.transport import TTransport

    if name == "framed":
        return TTransport.TFramedTransportFactory()
    if name == "theader":
        return TTransport.TTransportFactoryBase()  # the protocol does the framing
    return TTransport.TBufferedTransportFactory()
