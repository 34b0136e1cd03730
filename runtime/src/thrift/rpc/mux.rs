//! A multiplexed connection: many calls in flight at once on one connection, replies matched
//! to callers by sequence id (TTHeader / THeader only). The connection assigns each call's seq
//! id itself, so any number of clients can share it without clashing, and writes it both into
//! the transport header and into the message header (Apache's THeader servers answer with the
//! *message's* seq id in the transport header; kit's and Kitex's echo the transport header's;
//! with both equal every peer's reply carries it).
//!
//! One writer task drains a bounded queue of encoded frames onto the socket; one reader task
//! reads replies and hands each to the `oneshot` sender registered under its seq id. In-flight
//! calls are bounded by a semaphore, so the pending map never grows past that bound. When
//! either task fails, the connection is marked broken, every pending call fails with the
//! transport error, and the pool never hands the connection out again. A caller that gives up
//! (its future is dropped, e.g. by a timeout layer) removes its own pending entry; a late
//! reply for it is discarded.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

use super::{encode_frame, Error, Frame, FrameReader, ProtocolKind, Request, TransportKind};
use crate::varint::{decode_varint_slice, encode_varint_array};

type Reply = Result<Frame, Error>;

/// How a broken connection failed, handed to every pending call.
fn broken_error(why: &Option<String>) -> Error {
    match why {
        Some(m) => Error::Io(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            m.clone(),
        )),
        None => Error::Closed,
    }
}

#[derive(Debug, Default)]
struct Pending {
    map: HashMap<u32, oneshot::Sender<Reply>>,
    /// Set once the connection is broken: no entry is added after that.
    broken: Option<Option<String>>,
}

#[derive(Debug)]
struct Shared {
    pending: Mutex<Pending>,
    broken: AtomicBool,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks the connection broken and fails every pending call.
    fn fail_all(&self, why: Option<String>) {
        self.broken.store(true, Ordering::Release);
        let drained: Vec<_> = {
            let mut p = self.lock();
            if p.broken.is_none() {
                p.broken = Some(why.clone());
            }
            p.map.drain().collect()
        };
        for (_, tx) in drained {
            let _ = tx.send(Err(broken_error(&why)));
        }
    }
}

/// One frame for the writer, with an optional acknowledgement once written (oneway calls).
type Outgoing = (Bytes, Option<oneshot::Sender<Result<(), Error>>>);

/// A multiplexed connection (see the module docs).
#[derive(Debug)]
pub(crate) struct MuxConn {
    transport: TransportKind,
    tx: mpsc::Sender<Outgoing>,
    shared: Arc<Shared>,
    in_flight: Arc<Semaphore>,
    next_seq: AtomicU32,
    /// When it was opened, and when a call last started or ended on it (ms after `opened`;
    /// an atomic, not a lock, since every call on the connection touches it twice).
    opened: Instant,
    last_used_ms: AtomicU64,
}

/// Records the end of a call (however it ends) as the connection's last use.
struct Touch<'a>(&'a MuxConn);

impl Drop for Touch<'_> {
    fn drop(&mut self) {
        self.0.touch();
    }
}

/// Removes a pending entry when the call's future is dropped before its reply.
struct PendingGuard<'a> {
    shared: &'a Shared,
    seq: u32,
    armed: bool,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.shared.lock().map.remove(&self.seq);
        }
    }
}

impl MuxConn {
    /// Starts the reader and writer tasks on `io`. At most `max_in_flight` calls wait for
    /// replies at once; replies larger than `max_frame` break the connection.
    pub(crate) fn start<R, W>(
        rd: R,
        mut wr: W,
        transport: TransportKind,
        max_frame: usize,
        max_in_flight: usize,
    ) -> MuxConn
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let max_in_flight = max_in_flight.max(1);
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            broken: AtomicBool::new(false),
        });
        // The queue holds at most one frame per permitted call (plus oneway frames, which
        // also take a permit while queued).
        let (tx, mut rx) = mpsc::channel::<Outgoing>(max_in_flight);
        let ws = shared.clone();
        tokio::spawn(async move {
            let mut batch: Vec<u8> = Vec::new();
            let mut acks = Vec::new();
            while let Some((frame, ack)) = rx.recv().await {
                // Coalesce what is already queued into one write.
                batch.clear();
                batch.extend_from_slice(&frame);
                acks.extend(ack);
                while batch.len() < 64 * 1024 {
                    match rx.try_recv() {
                        Ok((f, a)) => {
                            batch.extend_from_slice(&f);
                            acks.extend(a);
                        }
                        Err(_) => break,
                    }
                }
                if let Err(e) = wr.write_all(&batch).await {
                    let why = format!("writing to the connection: {e}");
                    for a in acks.drain(..) {
                        let _ = a.send(Err(Error::Io(std::io::Error::new(e.kind(), why.clone()))));
                    }
                    ws.fail_all(Some(why));
                    return;
                }
                for a in acks.drain(..) {
                    let _ = a.send(Ok(()));
                }
                if ws.broken.load(Ordering::Acquire) {
                    break;
                }
            }
            let _ = wr.shutdown().await;
        });
        let rs = shared.clone();
        tokio::spawn(async move {
            let mut reader = FrameReader::new(rd, Some(transport), max_frame);
            loop {
                match reader.next_frame(None, None).await {
                    Ok(Some(f)) => {
                        let tx = rs.lock().map.remove(&f.header_seq_id);
                        // No entry: the caller gave up (timeout); the reply is dropped.
                        if let Some(tx) = tx {
                            let _ = tx.send(Ok(f));
                        }
                    }
                    Ok(None) => {
                        rs.fail_all(None);
                        return;
                    }
                    Err(e) => {
                        rs.fail_all(Some(e.to_string()));
                        return;
                    }
                }
            }
        });
        MuxConn {
            transport,
            tx,
            shared,
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
            next_seq: AtomicU32::new(1),
            opened: Instant::now(),
            last_used_ms: AtomicU64::new(0),
        }
    }

    /// `true` once the connection failed; it is then never used again.
    pub(crate) fn is_broken(&self) -> bool {
        self.shared.broken.load(Ordering::Acquire) || self.tx.is_closed()
    }

    fn touch(&self) {
        let ms = self.opened.elapsed().as_millis() as u64;
        self.last_used_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// How long since a call last started or ended on this connection.
    pub(crate) fn idle_for(&self, now: Instant) -> Duration {
        let last = self.opened + Duration::from_millis(self.last_used_ms.load(Ordering::Relaxed));
        now.saturating_duration_since(last)
    }

    /// Calls that may still start without waiting.
    pub(crate) fn available(&self) -> usize {
        self.in_flight.available_permits()
    }

    async fn permit(&self) -> Result<OwnedSemaphorePermit, Error> {
        if self.is_broken() {
            return Err(Error::Closed);
        }
        self.in_flight
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Closed)
    }

    /// Sends `req` and waits for its reply frame (`None` for oneway calls, once written),
    /// returned with the seq id the call went out with. `sent` is set once the request is
    /// handed to the writer: an error while it is still `false` means the peer cannot have
    /// seen the call.
    pub(crate) async fn call(
        &self,
        req: &Request,
        sent: &mut bool,
    ) -> Result<Option<(i32, Frame)>, Error> {
        let _permit = self.permit().await?;
        self.touch();
        let _touch = Touch(self);
        if req.is_oneway() {
            let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
            let body = with_seq_id(req.protocol, &req.body, seq as i32)?;
            let frame = encode_frame(
                self.transport,
                req.protocol,
                seq as i32,
                &req.headers,
                &body,
            )?;
            let (ack, done) = oneshot::channel();
            self.tx
                .send((frame, Some(ack)))
                .await
                .map_err(|_| Error::Closed)?;
            *sent = true;
            return match done.await {
                Ok(r) => r.map(|()| None),
                Err(_) => Err(Error::Closed),
            };
        }
        let (tx, rx) = oneshot::channel();
        let seq = {
            let mut p = self.shared.lock();
            if let Some(why) = &p.broken {
                return Err(broken_error(why));
            }
            // Skip seq ids still pending (only possible after 2^32 calls on one connection).
            let mut seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
            while p.map.contains_key(&seq) {
                seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
            }
            p.map.insert(seq, tx);
            seq
        };
        let mut guard = PendingGuard {
            shared: &self.shared,
            seq,
            armed: true,
        };
        let body = with_seq_id(req.protocol, &req.body, seq as i32)?;
        let frame = encode_frame(
            self.transport,
            req.protocol,
            seq as i32,
            &req.headers,
            &body,
        )?;
        if self.tx.send((frame, None)).await.is_err() {
            return Err(Error::Closed);
        }
        *sent = true;
        let reply = match rx.await {
            Ok(r) => r,
            // The sender was dropped without a reply: the connection went away.
            Err(_) => Err(Error::Closed),
        };
        guard.armed = false;
        reply.map(|f| Some((seq as i32, f)))
    }
}

/// `body` (an encoded message) with its message-header seq id replaced by `seq`.
pub(crate) fn with_seq_id(protocol: ProtocolKind, body: &[u8], seq: i32) -> Result<Vec<u8>, Error> {
    let bad = || Error::Protocol("malformed message header in request".into());
    match protocol {
        // Strict binary: version|type (4), name length (4), name, seq id (4).
        ProtocolKind::Binary => {
            let len = body.get(4..8).ok_or_else(bad)?;
            let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
            let at = len.checked_add(8).ok_or_else(bad)?;
            if body.len() < at + 4 || body[0] & 0x80 == 0 {
                return Err(bad());
            }
            let mut out = body.to_vec();
            out[at..at + 4].copy_from_slice(&seq.to_be_bytes());
            Ok(out)
        }
        // Compact: protocol id, version|type, varint seq id, then the name.
        ProtocolKind::Compact => {
            let rest = body.get(2..).ok_or_else(bad)?;
            let (_, n) = decode_varint_slice(rest).map_err(|_| bad())?;
            let (v, vn) = encode_varint_array(seq as u32 as u64);
            let mut out = Vec::with_capacity(body.len() + vn);
            out.extend_from_slice(&body[..2]);
            out.extend_from_slice(&v[..vn]);
            out.extend_from_slice(&rest[n..]);
            Ok(out)
        }
    }
}

impl Drop for MuxConn {
    fn drop(&mut self) {
        // Dropping the queue sender ends the writer, which shuts the socket down; the reader
        // then sees EOF and ends too.
        self.shared.broken.store(true, Ordering::Release);
    }
}
