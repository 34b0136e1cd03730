//! Message delimiting: framed, buffered (unframed), TTHeader (Kitex) and THeader (Apache).
//!
//! [`FrameReader`] never allocates more than the configured maximum for one message: a length
//! prefix above it is an error before anything is reserved, and an unframed message is parsed
//! as it arrives (without copying), failing once the buffered bytes pass the limit.

use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::{Error, Headers, ProtocolKind, TransportKind};
use crate::error::DecodeErrorKind;
use crate::thrift::{Binary, Compact, Protocol, Reader, TType};

/// TTHeader magic (the first two bytes after the length), as Kitex and Volo write it
/// (`TTHeaderMagic = 0x1000_0000` with the low half holding the flags).
pub const HEADER_MAGIC: u16 = 0x1000;
/// Apache THeader's magic: the same layout with varint-encoded header fields.
pub const APACHE_THEADER_MAGIC: u16 = 0x0FFF;
/// TTHeader protocol ids.
const PROTO_BINARY: u8 = 0;
const PROTO_COMPACT: u8 = 2;
/// TTHeader info ids.
const INFO_PADDING: u8 = 0x00;
const INFO_KEYVALUE: u8 = 0x01;

/// One received message with what its transport said about it.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Transport it arrived on.
    pub transport: TransportKind,
    /// Protocol of `body`.
    pub protocol: ProtocolKind,
    /// The Thrift message.
    pub body: Bytes,
    /// TTHeader key/value headers.
    pub headers: Headers,
    /// TTHeader sequence number (0 on other transports).
    pub header_seq_id: u32,
    /// TTHeader flags (0 on other transports).
    pub header_flags: u16,
}

/// Reads messages from a byte stream.
#[derive(Debug)]
pub struct FrameReader<R> {
    io: R,
    buf: BytesMut,
    transport: Option<TransportKind>,
    max: usize,
    /// Unframed: buffered bytes needed before parsing again is worth it.
    need: usize,
}

async fn timed<T>(
    t: Option<Duration>,
    f: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match t {
        Some(t) => tokio::time::timeout(t, f)
            .await
            .map_err(|_| Error::Timeout)?,
        None => f.await,
    }
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// Reads from `io`. With `transport == None` the transport is detected from the first
    /// message (a server's view); `max` bounds one message.
    pub fn new(io: R, transport: Option<TransportKind>, max: usize) -> Self {
        FrameReader {
            io,
            buf: BytesMut::new(),
            transport,
            max,
            need: 1,
        }
    }

    /// The transport, once known.
    pub fn transport(&self) -> Option<TransportKind> {
        self.transport
    }

    /// Bytes received but not yet returned as a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The underlying reader.
    pub(crate) fn get_ref(&self) -> &R {
        &self.io
    }

    /// The next message. `Ok(None)` when the peer closed cleanly between messages. `idle`
    /// bounds the wait for its first byte, `read` the time from there to its last.
    pub async fn next_frame(
        &mut self,
        idle: Option<Duration>,
        read: Option<Duration>,
    ) -> Result<Option<Frame>, Error> {
        if self.buf.is_empty() {
            let n = timed(idle, async { Ok(self.io.read_buf(&mut self.buf).await?) }).await?;
            if n == 0 {
                return Ok(None);
            }
        }
        timed(read, async {
            loop {
                if self.buf.len() >= self.need {
                    if let Some(f) = self.try_parse()? {
                        return Ok(Some(f));
                    }
                }
                let want = self.buf.len().clamp(8 * 1024, 1024 * 1024);
                self.buf.reserve(want);
                if self.io.read_buf(&mut self.buf).await? == 0 {
                    return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
                }
            }
        })
        .await
    }

    fn try_parse(&mut self) -> Result<Option<Frame>, Error> {
        let t = match self.transport {
            Some(t) => t,
            None => {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                if ProtocolKind::detect(self.buf[0]).is_some() {
                    TransportKind::Buffered
                } else if self.buf.len() < 6 {
                    self.need = 6;
                    return Ok(None);
                } else if self.buf[4..6] == HEADER_MAGIC.to_be_bytes() {
                    TransportKind::Header
                } else if self.buf[4..6] == APACHE_THEADER_MAGIC.to_be_bytes() {
                    TransportKind::THeader
                } else {
                    TransportKind::Framed
                }
            }
        };
        let frame = match t {
            TransportKind::Framed | TransportKind::Header | TransportKind::THeader => {
                if self.buf.len() < 4 {
                    self.need = 4;
                    return Ok(None);
                }
                let len =
                    u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as u64;
                if len > self.max as u64 {
                    return Err(Error::FrameTooLarge { len, max: self.max });
                }
                let total = 4 + len as usize;
                if self.buf.len() < total {
                    self.buf.reserve(total - self.buf.len());
                    self.need = total;
                    return Ok(None);
                }
                let frame = self.buf.split_to(total).freeze().slice(4..);
                if t == TransportKind::Header {
                    parse_header(frame, Flavor::Kitex)?
                } else if t == TransportKind::THeader {
                    parse_header(frame, Flavor::Apache)?
                } else {
                    let protocol = frame
                        .first()
                        .and_then(|b| ProtocolKind::detect(*b))
                        .ok_or_else(|| Error::Protocol("unknown protocol in frame".into()))?;
                    Frame {
                        transport: t,
                        protocol,
                        body: frame,
                        headers: Headers::new(),
                        header_seq_id: 0,
                        header_flags: 0,
                    }
                }
            }
            TransportKind::Buffered => {
                let protocol = ProtocolKind::detect(self.buf[0])
                    .ok_or_else(|| Error::Protocol("unknown protocol (unframed)".into()))?;
                let data = self.buf.split().freeze();
                let res = match protocol {
                    ProtocolKind::Binary => message_len::<Binary>(data.clone()),
                    ProtocolKind::Compact => message_len::<Compact>(data.clone()),
                };
                match res {
                    Ok(n) => {
                        let body = data.slice(..n);
                        if n < data.len() {
                            // Pipelined bytes of the next message: usually few; copied once.
                            self.buf.extend_from_slice(&data[n..]);
                        }
                        self.need = 1;
                        Frame {
                            transport: t,
                            protocol,
                            body,
                            headers: Headers::new(),
                            header_seq_id: 0,
                            header_flags: 0,
                        }
                    }
                    Err(more) => {
                        let have = data.len();
                        // Give the bytes back without copying: `data` is unique again.
                        let mut back = data
                            .try_into_mut()
                            .unwrap_or_else(|b| BytesMut::from(&b[..]));
                        back.unsplit(std::mem::take(&mut self.buf));
                        self.buf = back;
                        let more = more?;
                        if have >= self.max || have as u64 + more as u64 > self.max as u64 {
                            return Err(Error::FrameTooLarge {
                                len: have as u64 + more as u64,
                                max: self.max,
                            });
                        }
                        self.need = have + more.max(1);
                        self.transport = Some(t);
                        return Ok(None);
                    }
                }
            }
        };
        self.transport = Some(t);
        self.need = 1;
        Ok(Some(frame))
    }
}

/// Length of the complete message at the start of `buf`; `Err(Ok(n))` when incomplete (at
/// least `n` more bytes needed), `Err(Err(e))` when malformed.
fn message_len<P: Protocol>(buf: Bytes) -> Result<usize, Result<usize, Error>> {
    let total = buf.len();
    let mut r = P::reader(buf);
    let res = r
        .read_message_begin()
        .and_then(|_| r.skip(TType::Struct))
        .and_then(|_| r.read_message_end());
    match res {
        Ok(()) => Ok(total - r.remaining()),
        Err(e) => match e.kind() {
            DecodeErrorKind::Truncated => Err(Ok(1)),
            DecodeErrorKind::LengthLimit { len, remaining } => Err(Ok(usize::try_from(
                len.saturating_sub(*remaining as u64),
            )
            .unwrap_or(usize::MAX))),
            _ => Err(Err(Error::Decode(e))),
        },
    }
}

fn bad(m: &str) -> Error {
    Error::Protocol(format!("TTHeader: {m}"))
}

/// Header field encodings: Kitex's TTHeader (`u8` ids, `u16` counts and lengths) or Apache's
/// THeader (every one a varint).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Kitex,
    Apache,
}

impl Flavor {
    fn magic(self) -> u16 {
        match self {
            Flavor::Kitex => HEADER_MAGIC,
            Flavor::Apache => APACHE_THEADER_MAGIC,
        }
    }
    fn transport(self) -> TransportKind {
        match self {
            Flavor::Kitex => TransportKind::Header,
            Flavor::Apache => TransportKind::THeader,
        }
    }
    fn varint(h: &mut &[u8]) -> Result<u32, Error> {
        let mut v: u64 = 0;
        for i in 0..5 {
            if h.is_empty() {
                return Err(bad("truncated header"));
            }
            let b = h.get_u8();
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return u32::try_from(v).map_err(|_| bad("varint overflow"));
            }
        }
        Err(bad("varint too long"))
    }
    /// An id (`u8` / varint).
    fn small(self, h: &mut &[u8]) -> Result<u32, Error> {
        match self {
            Flavor::Apache => Self::varint(h),
            Flavor::Kitex if h.is_empty() => Err(bad("truncated header")),
            Flavor::Kitex => Ok(u32::from(h.get_u8())),
        }
    }
    /// A count or length (`u16` / varint).
    fn wide(self, h: &mut &[u8]) -> Result<u32, Error> {
        match self {
            Flavor::Apache => Self::varint(h),
            Flavor::Kitex if h.len() < 2 => Err(bad("truncated header")),
            Flavor::Kitex => Ok(u32::from(h.get_u16())),
        }
    }
    fn string(self, h: &mut &[u8]) -> Result<String, Error> {
        let n = self.wide(h)? as usize;
        if h.len() < n {
            return Err(bad("truncated header string"));
        }
        let s = std::str::from_utf8(&h[..n])
            .map_err(|_| bad("header string is not UTF-8"))?
            .to_string();
        h.advance(n);
        Ok(s)
    }
    fn put_small(self, out: &mut BytesMut, v: u8) {
        out.put_u8(v); // < 0x80: a one-byte varint too
    }
    fn put_wide(self, out: &mut BytesMut, v: usize) -> Result<(), Error> {
        match self {
            Flavor::Kitex => out.put_u16(u16::try_from(v).map_err(|_| bad("header too long"))?),
            Flavor::Apache => {
                let mut v = u32::try_from(v).map_err(|_| bad("header too long"))?;
                while v >= 0x80 {
                    out.put_u8((v as u8) | 0x80);
                    v >>= 7;
                }
                out.put_u8(v as u8);
            }
        }
        Ok(())
    }
}

/// Parses a TTHeader / THeader frame (everything after the 4-byte length).
fn parse_header(frame: Bytes, flavor: Flavor) -> Result<Frame, Error> {
    let mut b = &frame[..];
    if b.len() < 10 {
        return Err(bad("frame shorter than its fixed header"));
    }
    if b.get_u16() != flavor.magic() {
        return Err(bad("bad magic"));
    }
    let flags = b.get_u16();
    let seq = b.get_u32();
    let hsize = b.get_u16() as usize * 4;
    if b.len() < hsize {
        return Err(bad("header size beyond the frame"));
    }
    let payload_at = 10 + hsize;
    let mut h = &b[..hsize];
    let protocol = match flavor.small(&mut h)? {
        p if p == u32::from(PROTO_BINARY) => ProtocolKind::Binary,
        p if p == u32::from(PROTO_COMPACT) => ProtocolKind::Compact,
        p => return Err(bad(&format!("unsupported protocol id {p}"))),
    };
    if flavor.small(&mut h)? != 0 {
        return Err(bad("transforms (compression) are not supported"));
    }
    let mut headers = Headers::new();
    while !h.is_empty() {
        let id = flavor.small(&mut h)?;
        match (id, flavor) {
            (0, _) => break, // padding
            (1, _) | (2, Flavor::Apache) => {
                // Key/value (Apache's 2 is its persistent key/value).
                for _ in 0..flavor.wide(&mut h)? {
                    let k = flavor.string(&mut h)?;
                    let v = flavor.string(&mut h)?;
                    headers.0.push((k, v));
                }
            }
            (0x10, Flavor::Kitex) => {
                for _ in 0..flavor.wide(&mut h)? {
                    flavor.wide(&mut h)?;
                    flavor.string(&mut h)?;
                }
            }
            (0x11, Flavor::Kitex) => {
                flavor.string(&mut h)?;
            }
            (i, _) => return Err(bad(&format!("unknown info id {i}"))),
        }
    }
    let mut body = frame.slice(payload_at..);
    // Kitex's and Volo's default client codec is TTHeader over *framed*: the payload keeps
    // its own 4-byte length. Strip it when it is exactly that (the length of the rest,
    // followed by a binary or compact message), as their servers do.
    if flavor == Flavor::Kitex && body.len() >= 6 {
        let inner = u32::from_be_bytes([body[0], body[1], body[2], body[3]]) as usize;
        let msg_start = (body[4] == 0x80 && body[5] == 0x01) || body[4] == 0x82;
        if msg_start && inner == body.len() - 4 {
            body = body.slice(4..);
        }
    }
    Ok(Frame {
        transport: flavor.transport(),
        protocol,
        body,
        headers,
        header_seq_id: seq,
        header_flags: flags,
    })
}

/// Encodes one message for `transport`: length prefix (framed), nothing (buffered), or the
/// TTHeader/THeader with `seq_id` and `headers` (ignored on the other transports).
pub fn encode_frame(
    transport: TransportKind,
    protocol: ProtocolKind,
    seq_id: i32,
    headers: &Headers,
    body: &[u8],
) -> Result<Bytes, Error> {
    let too_large = |len: usize| Error::FrameTooLarge {
        len: len as u64,
        max: i32::MAX as usize,
    };
    let flavor = match transport {
        TransportKind::Buffered => return Ok(Bytes::copy_from_slice(body)),
        TransportKind::Framed => {
            let len = u32::try_from(body.len())
                .ok()
                .filter(|l| *l <= i32::MAX as u32)
                .ok_or_else(|| too_large(body.len()))?;
            let mut out = BytesMut::with_capacity(4 + body.len());
            out.put_u32(len);
            out.put_slice(body);
            return Ok(out.freeze());
        }
        TransportKind::Header => Flavor::Kitex,
        TransportKind::THeader => Flavor::Apache,
    };
    let mut h = BytesMut::new();
    flavor.put_small(
        &mut h,
        match protocol {
            ProtocolKind::Binary => PROTO_BINARY,
            ProtocolKind::Compact => PROTO_COMPACT,
        },
    );
    flavor.put_small(&mut h, 0); // no transforms
    if !headers.is_empty() {
        flavor.put_small(&mut h, INFO_KEYVALUE);
        flavor.put_wide(&mut h, headers.0.len())?;
        for (k, v) in &headers.0 {
            for s in [k, v] {
                flavor.put_wide(&mut h, s.len())?;
                h.put_slice(s.as_bytes());
            }
        }
    }
    while h.len() % 4 != 0 {
        h.put_u8(INFO_PADDING);
    }
    let words = u16::try_from(h.len() / 4).map_err(|_| bad("headers too large"))?;
    let len = 10 + h.len() + body.len();
    let len32 = u32::try_from(len)
        .ok()
        .filter(|l| *l <= i32::MAX as u32)
        .ok_or_else(|| too_large(len))?;
    let mut out = BytesMut::with_capacity(4 + len);
    out.put_u32(len32);
    out.put_u16(flavor.magic());
    out.put_u16(0);
    out.put_u32(seq_id as u32);
    out.put_u16(words);
    out.put_slice(&h);
    out.put_slice(body);
    Ok(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thrift::rpc::encode_message;
    use crate::thrift::{ApplicationException, MessageType};

    fn msg(p: ProtocolKind) -> Bytes {
        let e = ApplicationException::new(Default::default(), "hello");
        encode_message(p, "method", MessageType::Call, 3, &e)
    }

    async fn read_all(bytes: Vec<u8>, transport: Option<TransportKind>) -> Vec<Frame> {
        let mut r = FrameReader::new(&bytes[..], transport, 1024);
        let mut out = Vec::new();
        while let Some(f) = r.next_frame(None, None).await.unwrap() {
            out.push(f);
        }
        out
    }

    #[tokio::test]
    async fn every_transport_round_trips_and_is_detected() {
        let mut h = Headers::new();
        h.insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        );
        for t in [
            TransportKind::Framed,
            TransportKind::Buffered,
            TransportKind::Header,
            TransportKind::THeader,
        ] {
            for p in [ProtocolKind::Binary, ProtocolKind::Compact] {
                let m = msg(p);
                let mut wire = encode_frame(t, p, 9, &h, &m).unwrap().to_vec();
                wire.extend_from_slice(&encode_frame(t, p, 10, &h, &m).unwrap());
                for known in [None, Some(t)] {
                    let frames = read_all(wire.clone(), known).await;
                    assert_eq!(frames.len(), 2, "{t:?} {p:?}");
                    assert_eq!(frames[0].body, m);
                    assert_eq!(frames[0].protocol, p);
                    assert_eq!(frames[0].transport, t);
                    if matches!(t, TransportKind::Header | TransportKind::THeader) {
                        assert_eq!(frames[0].headers, h);
                        assert_eq!(frames[1].header_seq_id, 10);
                    }
                }
            }
        }
    }

    #[tokio::test]
    async fn ttheader_with_a_framed_payload_is_read() {
        // Volo/Kitex `ttheader_framed`: TTHeader whose payload carries its own length.
        let mut h = Headers::new();
        h.insert("RPC_PERSIST_k", "v");
        for p in [ProtocolKind::Binary, ProtocolKind::Compact] {
            let m = msg(p);
            let mut framed = (m.len() as u32).to_be_bytes().to_vec();
            framed.extend_from_slice(&m);
            let wire = encode_frame(TransportKind::Header, p, 0, &h, &framed).unwrap();
            for known in [None, Some(TransportKind::Header)] {
                let frames = read_all(wire.to_vec(), known).await;
                assert_eq!(frames.len(), 1);
                assert_eq!(frames[0].body, m, "{p:?}");
                assert_eq!(frames[0].headers, h);
            }
        }
        // A payload that merely starts like a length is left alone.
        let m = msg(ProtocolKind::Binary);
        let wire = encode_frame(TransportKind::Header, ProtocolKind::Binary, 1, &h, &m).unwrap();
        assert_eq!(read_all(wire.to_vec(), None).await[0].body, m);
    }

    #[tokio::test]
    async fn hostile_frames_are_errors() {
        // 2 GiB length: rejected before allocating.
        let mut r = FrameReader::new(
            &[0x80u8, 0, 0, 0, 0, 0][..],
            Some(TransportKind::Framed),
            1024,
        );
        assert!(matches!(
            r.next_frame(None, None).await,
            Err(Error::FrameTooLarge { .. })
        ));
        // Garbage, auto-detected as a huge frame.
        let mut r = FrameReader::new(&b"GET / HTTP/1.1\r\n\r\n"[..], None, 1024);
        assert!(r.next_frame(None, None).await.is_err());
        // Truncated frame.
        let mut r = FrameReader::new(&[0u8, 0, 0, 20, 0x80, 1][..], None, 1024);
        assert!(r.next_frame(None, None).await.is_err());
        // Truncated unframed message.
        let m = msg(ProtocolKind::Compact);
        let mut r = FrameReader::new(&m[..m.len() - 1], None, 1024);
        assert!(r.next_frame(None, None).await.is_err());
        // Unframed message over the limit.
        let big = encode_message(
            ProtocolKind::Binary,
            "m",
            MessageType::Call,
            1,
            &ApplicationException::new(Default::default(), "x".repeat(5000)),
        );
        let mut r = FrameReader::new(&big[..], None, 1024);
        assert!(matches!(
            r.next_frame(None, None).await,
            Err(Error::FrameTooLarge { .. })
        ));
        // TTHeader: unknown info id; header size past the end of the frame.
        let mut bad1 = vec![
            0, 0, 0, 14, 0x10, 0x00, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x42, 0,
        ];
        let mut r = FrameReader::new(&bad1[..], None, 1024);
        assert!(matches!(
            r.next_frame(None, None).await,
            Err(Error::Protocol(_))
        ));
        bad1[13] = 200;
        let mut r = FrameReader::new(&bad1[..], None, 1024);
        assert!(matches!(
            r.next_frame(None, None).await,
            Err(Error::Protocol(_))
        ));
        // THeader: unknown info id; a varint running past the header; a transform.
        bad1[13] = 1;
        bad1[4..6].copy_from_slice(&APACHE_THEADER_MAGIC.to_be_bytes());
        let mut r = FrameReader::new(&bad1[..], None, 1024);
        assert!(matches!(
            r.next_frame(None, None).await,
            Err(Error::Protocol(_))
        ));
        bad1[14..18].copy_from_slice(&[0xff; 4]);
        let mut r = FrameReader::new(&bad1[..], None, 1024);
        assert!(matches!(
            r.next_frame(None, None).await,
            Err(Error::Protocol(_))
        ));
        bad1[14..18].copy_from_slice(&[0, 1, 1, 0]);
        let mut r = FrameReader::new(&bad1[..], None, 1024);
        assert!(matches!(
            r.next_frame(None, None).await,
            Err(Error::Protocol(_))
        ));
    }

    #[tokio::test]
    async fn random_and_mutated_input_never_panics() {
        // Deterministic xorshift; valid frames of every transport, then mutated and cut.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut h = Headers::new();
        h.insert("k", "v");
        let kinds = [
            TransportKind::Framed,
            TransportKind::Buffered,
            TransportKind::Header,
            TransportKind::THeader,
        ];
        for i in 0..4000 {
            let t = kinds[i % 4];
            let p = if i % 8 < 4 {
                ProtocolKind::Binary
            } else {
                ProtocolKind::Compact
            };
            let mut wire = encode_frame(t, p, 1, &h, &msg(p)).unwrap().to_vec();
            for _ in 0..(next() % 4) {
                let at = (next() as usize) % wire.len();
                wire[at] = next() as u8;
            }
            wire.truncate(wire.len() - (next() as usize % 3));
            if i % 16 == 0 {
                wire = (0..(next() % 64)).map(|_| next() as u8).collect();
            }
            let known = if i % 2 == 0 { None } else { Some(t) };
            let mut r = FrameReader::new(&wire[..], known, 4096);
            for _ in 0..4 {
                match r.next_frame(None, None).await {
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
        }
    }
}
