//! A socket wrapper that coalesces the writes of one scheduler round into one `writev`.
//!
//! h2's connection task flushes whenever it has frames: each call task that queues a reply
//! (or a request) wakes it, and tokio runs a task woken by the running one next, so under load
//! the connection wrote the frames of one call per system call — about two `writev`s per unary
//! call. [`Coalesce`] answers the first `poll_flush` after new data with `Pending` and wakes its
//! own task at once: tokio puts a task that wakes itself at the back of the run queue, so every
//! call task already runnable adds its frames first, and the next poll writes them all
//! together. The delay is one pass over the run queue, never a timer; when nothing else is
//! runnable the connection task runs again at once.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes buffered before a write goes to the socket regardless of flushes.
const CAP: usize = 64 * 1024;
/// Writes at least this large go straight to the socket when nothing is buffered.
const BIG: usize = 16 * 1024;

pub(crate) struct Coalesce<T> {
    inner: T,
    buf: BytesMut,
    /// A flush has already been put off once for the data in `buf`.
    deferred: bool,
}

impl<T> Coalesce<T> {
    pub(crate) fn new(inner: T) -> Coalesce<T> {
        Coalesce {
            inner,
            buf: BytesMut::with_capacity(CAP),
            deferred: false,
        }
    }
}

impl<T: AsyncWrite + Unpin> Coalesce<T> {
    /// Writes out everything buffered.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.buf.is_empty() {
            let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &self.buf))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.buf.advance(n);
        }
        self.deferred = false;
        Poll::Ready(Ok(()))
    }

    /// Room in the buffer, draining it first when full.
    fn room(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.buf.len() >= CAP {
            std::task::ready!(self.drain(cx))?;
        }
        Poll::Ready(Ok(CAP - self.buf.len()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Coalesce<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Coalesce<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.buf.is_empty() && data.len() >= BIG {
            return Pin::new(&mut this.inner).poll_write(cx, data);
        }
        let room = std::task::ready!(this.room(cx))?;
        let n = room.min(data.len());
        this.buf.extend_from_slice(&data[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if this.buf.is_empty() && total >= BIG {
            // A large write (a batch of streamed messages) gains nothing from waiting for
            // others and would only be copied: straight to the socket.
            return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        }
        let mut room = std::task::ready!(this.room(cx))?;
        let mut n = 0;
        for b in bufs {
            if room == 0 {
                break;
            }
            let k = room.min(b.len());
            this.buf.extend_from_slice(&b[..k]);
            room -= k;
            n += k;
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.buf.is_empty() && !this.deferred {
            this.deferred = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        std::task::ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn writes_everything_in_order_and_flushes_on_the_second_poll() {
        let (a, mut b) = tokio::io::duplex(4 << 20);
        let mut w = Coalesce::new(a);
        let mut want = Vec::new();
        for i in 0..1000u32 {
            let chunk = vec![i as u8; (i as usize * 37) % 3000 + 1];
            w.write_all(&chunk).await.unwrap();
            want.extend_from_slice(&chunk);
        }
        // The first poll_flush defers (and wakes itself); the second writes out.
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        w.write_all(b"tail").await.unwrap();
        want.extend_from_slice(b"tail");
        w.deferred = false;
        assert!(Pin::new(&mut w).poll_flush(&mut cx).is_pending());
        assert!(matches!(
            Pin::new(&mut w).poll_flush(&mut cx),
            Poll::Ready(Ok(()))
        ));
        assert!(w.buf.is_empty());
        // With nothing buffered, a large write goes straight through; small ones buffer again.
        let big = vec![9u8; 40_000];
        w.write_all(&big).await.unwrap();
        want.extend_from_slice(&big);
        w.write_all(b"after").await.unwrap();
        want.extend_from_slice(b"after");
        assert_eq!(&w.buf[..], b"after");
        w.shutdown().await.unwrap();
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, want);
    }
}
