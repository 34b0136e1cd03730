//! Length-prefixed message framing over h2 streams, gzip, and flow-controlled sending.

use std::future::Future;
use std::io::{Read, Write};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::time::{Instant, Sleep};

use super::status::{Code, Status};

/// Default limit on one received message (after decompression): 4 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 4 * 1024 * 1024;

/// A message encoding (`grpc-encoding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// No compression.
    Identity,
    /// gzip.
    Gzip,
}

impl Encoding {
    /// Parses a `grpc-encoding` value; `None` for encodings kit does not support.
    pub fn from_header(v: &[u8]) -> Option<Encoding> {
        match v {
            b"identity" => Some(Encoding::Identity),
            b"gzip" => Some(Encoding::Gzip),
            _ => None,
        }
    }
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
        }
    }
}

/// Whether a `grpc-accept-encoding` list names gzip.
pub(crate) fn accepts_gzip(v: Option<&http::HeaderValue>) -> bool {
    v.and_then(|v| v.to_str().ok())
        .is_some_and(|s| s.split(',').any(|e| e.trim() == "gzip"))
}

/// Frames one message: compressed flag, 4-byte big-endian length, payload.
pub fn encode_frame(msg: &[u8], encoding: Encoding) -> Bytes {
    let mut b = BytesMut::with_capacity(5 + msg.len());
    append_frame(&mut b, msg, encoding);
    b.freeze()
}

/// Appends one framed message (see [`encode_frame`]) to `buf`, so that several messages can
/// go out in one DATA write.
pub(crate) fn append_frame(buf: &mut BytesMut, msg: &[u8], encoding: Encoding) {
    let compressed;
    let (flag, payload) = match encoding {
        Encoding::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            // Writing to a Vec cannot fail.
            let _ = e.write_all(msg);
            compressed = e.finish().unwrap_or_default();
            (1u8, &compressed[..])
        }
        Encoding::Identity => (0u8, msg),
    };
    buf.reserve(5 + payload.len());
    buf.put_u8(flag);
    buf.put_u32(payload.len() as u32);
    buf.put_slice(payload);
}

fn gunzip(data: &[u8], max: usize) -> Result<Bytes, Status> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Status::internal(format!("gzip: {e}")))?;
    if out.len() > max {
        return Err(Status::resource_exhausted(format!(
            "decompressed message larger than {max} bytes"
        )));
    }
    Ok(out.into())
}

/// The largest DATA payload either side hands h2 without asking for send capacity first (a
/// unary request, a call's last response batch): HTTP/2's default initial window (RFC 9113
/// 6.9.2). h2 assigns capacity on the connection task, later, so asking first costs a wake of
/// the calling task per call; h2 queues the data until the window takes it.
pub(crate) const INLINE_FRAME: usize = 65_535;

/// Sends `data` on `send`, waiting for h2 flow-control capacity (back-pressure).
pub(crate) async fn send_data(
    send: &mut h2::SendStream<Bytes>,
    mut data: Bytes,
    end: bool,
) -> Result<(), Status> {
    if data.is_empty() {
        return send.send_data(data, end).map_err(|e| Status::from_h2(&e));
    }
    while !data.is_empty() {
        send.reserve_capacity(data.len());
        // Capacity already assigned is used at once: awaiting `poll_capacity` every time
        // yields to the connection task after each message, which then writes each DATA frame
        // with its own syscall (one `writev` per 1 KiB message when streaming).
        let mut n = send.capacity();
        if n == 0 {
            n = match std::future::poll_fn(|cx| send.poll_capacity(cx)).await {
                None => return Err(Status::cancelled("stream closed")),
                Some(Err(e)) => return Err(Status::from_h2(&e)),
                Some(Ok(n)) => n,
            };
            if n == 0 {
                continue;
            }
        }
        let chunk = data.split_to(n.min(data.len()));
        send.send_data(chunk, end && data.is_empty())
            .map_err(|e| Status::from_h2(&e))?;
    }
    Ok(())
}

/// Which side reads: the client also reads trailers for the call's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Server,
    Client,
}

/// Incoming raw (still encoded) messages of one call, with flow control, size limit,
/// decompression and deadline. A `futures_core::Stream` of `Result<Bytes, Status>`.
pub struct RawStreaming {
    body: Option<h2::RecvStream>,
    frames: MessageDecoder,
    side: Side,
    deadline: Option<Pin<Box<Sleep>>>,
    trailers: Option<Status>,
    done: bool,
    /// Client side: dropping it tells the request-sending task to reset the stream.
    guard: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for RawStreaming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawStreaming").finish_non_exhaustive()
    }
}

/// Cuts gRPC length-prefixed messages out of received bytes: the framing half of
/// [`RawStreaming`], usable on its own (and fuzzed: `runtime/fuzz` target `grpc_frames`).
///
/// ```
/// use kit_runtime::bytes::Bytes;
/// use kit_runtime::grpc::{encode_frame, Encoding, MessageDecoder};
/// let wire = encode_frame(b"hello", Encoding::Identity);
/// let mut d = MessageDecoder::new(1024, None);
/// d.push(wire.slice(..3));
/// assert_eq!(d.next_message().unwrap(), None);
/// d.push(wire.slice(3..));
/// assert_eq!(d.next_message().unwrap().as_deref(), Some(&b"hello"[..]));
/// assert!(d.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct MessageDecoder {
    /// Received bytes not yet parsed, as h2 gave them: whole messages are sliced out of it
    /// without a copy.
    buf: Bytes,
    /// A message split over chunks, gathered here (the only copy of received bytes). When
    /// not empty, it holds the start of the next frame and comes before `buf`.
    acc: BytesMut,
    max: usize,
    encoding: Option<Encoding>,
}

impl MessageDecoder {
    /// A decoder refusing messages over `max` bytes (compressed or not), decompressing with
    /// `encoding` (the call's `grpc-encoding`; compressed messages without one are an error).
    pub fn new(max: usize, encoding: Option<Encoding>) -> MessageDecoder {
        MessageDecoder {
            buf: Bytes::new(),
            acc: BytesMut::new(),
            max,
            encoding,
        }
    }

    /// Whether no bytes of an unfinished message are held.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.acc.is_empty()
    }

    /// Adds received bytes (a DATA chunk) after what is still unparsed.
    pub fn push(&mut self, chunk: Bytes) {
        if self.buf.is_empty() {
            self.buf = chunk;
        } else {
            // Only when `push` is called again before `next_message` has drained what was
            // pushed (`poll_message` never does: it drains first).
            let mut joined = BytesMut::with_capacity(self.buf.len() + chunk.len());
            joined.extend_from_slice(&self.buf);
            joined.extend_from_slice(&chunk);
            self.buf = joined.freeze();
        }
    }

    /// The payload length from a frame header, checked against the limit.
    fn frame_len(&self, header: &[u8]) -> Result<usize, Status> {
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if len > self.max {
            return Err(Status::resource_exhausted(format!(
                "message of {len} bytes is larger than the limit of {} bytes",
                self.max
            )));
        }
        Ok(len)
    }

    /// The next whole message (decompressed) from what has been pushed, `None` until one is
    /// complete. Messages inside one chunk are zero-copy slices of it; one split over chunks
    /// is gathered in a buffer sized from its header, after the size-limit check. After an
    /// error the stream is broken: do not call again.
    pub fn next_message(&mut self) -> Result<Option<Bytes>, Status> {
        loop {
            if self.acc.is_empty() {
                let mut want = 5;
                if self.buf.len() >= 5 {
                    let len = self.frame_len(&self.buf[..5])?;
                    if self.buf.len() >= 5 + len {
                        let flag = self.buf[0];
                        self.buf.advance(5);
                        let payload = self.buf.split_to(len);
                        return self.payload(flag, payload).map(Some);
                    }
                    want = 5 + len;
                }
                if self.buf.is_empty() {
                    return Ok(None);
                }
                // The start of a frame whose rest is still to come.
                self.acc.reserve(want);
                self.acc.extend_from_slice(&self.buf);
                self.buf = Bytes::new();
                return Ok(None);
            }
            let want = if self.acc.len() < 5 {
                5
            } else {
                5 + self.frame_len(&self.acc[..5])?
            };
            if self.acc.len() >= want {
                // `acc` holds exactly one whole frame (it never takes more than `want`; with
                // fewer than 5 bytes, `want` is 5 and this is not reached).
                let flag = self.acc[0];
                self.acc.advance(5);
                let payload = self.acc.split().freeze();
                return self.payload(flag, payload).map(Some);
            }
            if self.buf.is_empty() {
                return Ok(None);
            }
            let take = (want - self.acc.len()).min(self.buf.len());
            if want > 5 {
                self.acc.reserve(want - self.acc.len());
            }
            self.acc.extend_from_slice(&self.buf[..take]);
            self.buf.advance(take);
        }
    }

    fn payload(&self, flag: u8, payload: Bytes) -> Result<Bytes, Status> {
        match flag {
            0 => Ok(payload),
            1 => match self.encoding {
                Some(Encoding::Gzip) => gunzip(&payload, self.max),
                _ => Err(Status::internal(
                    "compressed message without a supported grpc-encoding",
                )),
            },
            f => Err(Status::internal(format!("invalid compressed flag {f}"))),
        }
    }
}

impl RawStreaming {
    pub(crate) fn new(
        body: h2::RecvStream,
        max: usize,
        encoding: Option<Encoding>,
        side: Side,
        deadline: Option<Instant>,
    ) -> RawStreaming {
        RawStreaming {
            body: Some(body),
            frames: MessageDecoder::new(max, encoding),
            side,
            deadline: deadline.map(|d| Box::pin(tokio::time::sleep_until(d))),
            trailers: None,
            done: false,
            guard: None,
        }
    }

    pub(crate) fn with_guard(mut self, guard: Option<tokio::sync::oneshot::Sender<()>>) -> Self {
        self.guard = guard;
        self
    }

    /// A stream that ends at once with `status` (client side: a trailers-only response).
    pub(crate) fn finished(status: Status) -> RawStreaming {
        RawStreaming {
            body: None,
            frames: MessageDecoder::new(0, None),
            side: Side::Client,
            deadline: None,
            trailers: Some(status),
            done: false,
            guard: None,
        }
    }

    /// An empty stream (for in-process use and tests).
    pub fn empty() -> RawStreaming {
        RawStreaming::finished(Status::ok(""))
    }

    /// The next message, `None` at the end of the stream (client side: with status OK).
    pub async fn message(&mut self) -> Result<Option<Bytes>, Status> {
        std::future::poll_fn(|cx| self.poll_message(cx)).await
    }

    /// After the end of the stream on the client side: the trailers' status.
    pub fn trailers(&self) -> Option<&Status> {
        self.trailers.as_ref()
    }

    fn fail(&mut self, s: Status) -> Poll<Result<Option<Bytes>, Status>> {
        // Dropping the body resets the stream if it is still open.
        self.body = None;
        self.done = true;
        Poll::Ready(Err(s))
    }

    /// Polls for the next message.
    pub fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, Status>> {
        if self.done {
            return Poll::Ready(Ok(None));
        }
        loop {
            match self.frames.next_message() {
                Ok(Some(m)) => return Poll::Ready(Ok(Some(m))),
                Ok(None) => {}
                Err(s) => return self.fail(s),
            }
            if let Some(d) = &mut self.deadline {
                if d.as_mut().poll(cx).is_ready() {
                    return self.fail(Status::deadline_exceeded("deadline exceeded"));
                }
            }
            let Some(body) = &mut self.body else {
                self.done = true;
                return match self.trailers.clone() {
                    Some(s) if s.code() != Code::Ok => Poll::Ready(Err(s)),
                    _ => Poll::Ready(Ok(None)),
                };
            };
            match ready!(body.poll_data(cx)) {
                Some(Ok(chunk)) => {
                    let _ = body.flow_control().release_capacity(chunk.len());
                    self.frames.push(chunk);
                }
                Some(Err(e)) => {
                    let expired = self.deadline.as_ref().is_some_and(|d| d.is_elapsed());
                    return self.fail(if expired {
                        Status::deadline_exceeded("deadline exceeded")
                    } else {
                        Status::from_h2(&e)
                    });
                }
                None => {
                    if !self.frames.is_empty() {
                        return self.fail(Status::internal("stream ended inside a message"));
                    }
                    if self.side == Side::Client {
                        let t = ready!(body.poll_trailers(cx));
                        let status = match t {
                            Ok(Some(t)) => Status::from_trailers(&t).unwrap_or_else(|| {
                                Status::internal("trailers without grpc-status")
                            }),
                            Ok(None) => Status::internal("response ended without trailers"),
                            Err(e) => Status::from_h2(&e),
                        };
                        self.trailers = Some(status);
                    }
                    self.body = None;
                }
            }
        }
    }
}

impl futures_core::Stream for RawStreaming {
    type Item = Result<Bytes, Status>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_message(cx).map(Result::transpose)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages come out whole and in order however the byte stream is cut into DATA
    /// chunks; a message inside one chunk is a slice of it (no copy).
    #[test]
    fn frames_survive_any_chunking() {
        let msgs: Vec<Vec<u8>> = [0usize, 1, 4, 5, 6, 1000, 70_000]
            .iter()
            .map(|&n| (0..n).map(|i| (i * 31 % 251) as u8).collect())
            .collect();
        let mut wire = BytesMut::new();
        for m in &msgs {
            append_frame(&mut wire, m, Encoding::Identity);
        }
        append_frame(&mut wire, &[9u8; 3000], Encoding::Gzip);
        let wire = wire.freeze();
        for chunk in [1usize, 2, 3, 5, 7, 1024, 16_384, wire.len()] {
            let mut r = MessageDecoder::new(100_000, Some(Encoding::Gzip));
            let mut got = Vec::new();
            for c in wire.chunks(chunk) {
                let c = wire.slice_ref(c);
                r.push(c.clone());
                while let Some(m) = r.next_message().unwrap() {
                    if chunk == wire.len() && got.len() < msgs.len() && !m.is_empty() {
                        let w = wire.as_ptr() as usize..wire.as_ptr() as usize + wire.len();
                        assert!(w.contains(&(m.as_ptr() as usize)), "zero-copy slice");
                    }
                    got.push(m.to_vec());
                }
            }
            assert!(r.is_empty(), "chunk {chunk}");
            assert_eq!(got.len(), msgs.len() + 1, "chunk {chunk}");
            assert_eq!(&got[..msgs.len()], &msgs[..], "chunk {chunk}");
            assert_eq!(got[msgs.len()], vec![9u8; 3000]);
        }
    }

    #[test]
    fn frame_over_the_limit_is_refused_before_it_arrives() {
        let mut r = MessageDecoder::new(10, None);
        // Only the header of an 11-byte message: refused at once, nothing buffered for it.
        r.push(Bytes::from_static(&[0, 0, 0, 0, 11]));
        assert_eq!(
            r.next_message().unwrap_err().code(),
            Code::ResourceExhausted
        );
        let mut r = MessageDecoder::new(10, None);
        // A header split over chunks is checked once it is whole.
        r.push(Bytes::from_static(&[0, 0xff]));
        assert!(r.next_message().unwrap().is_none());
        r.push(Bytes::from_static(&[0xff, 0xff, 0xff, 1]));
        assert_eq!(
            r.next_message().unwrap_err().code(),
            Code::ResourceExhausted
        );
        assert!(r.acc.capacity() < 1024);
    }

    #[test]
    fn gzip_round_trip_and_bomb() {
        let f = encode_frame(&[7u8; 10_000], Encoding::Gzip);
        assert_eq!(f[0], 1);
        assert!(f.len() < 1000);
        assert_eq!(gunzip(&f[5..], 10_000).unwrap().len(), 10_000);
        assert_eq!(
            gunzip(&f[5..], 9_999).unwrap_err().code(),
            Code::ResourceExhausted
        );
        assert_eq!(gunzip(b"not gzip", 10).unwrap_err().code(), Code::Internal);
    }
}
