//! TCP or Unix-domain sockets behind one type, for the client and the server.
//!
//! An address is `host:port` for TCP or `unix:/path/to/socket` for a Unix-domain socket.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{tcp, TcpListener, TcpStream};
#[cfg(unix)]
use tokio::net::{unix, UnixListener, UnixStream};

/// The `unix:` prefix that marks a Unix-domain socket path in an address.
pub const UNIX_PREFIX: &str = "unix:";

/// Connects to `addr` (`host:port`, or `unix:/path`).
pub(crate) async fn connect(addr: &str) -> io::Result<(ReadHalf, WriteHalf)> {
    if let Some(path) = addr.strip_prefix(UNIX_PREFIX) {
        #[cfg(unix)]
        {
            let (r, w) = UnixStream::connect(path).await?.into_split();
            return Ok((ReadHalf::Unix(r), WriteHalf::Unix(w)));
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "Unix-domain sockets are not supported on this platform",
            ));
        }
    }
    let s = TcpStream::connect(addr).await?;
    let _ = s.set_nodelay(true);
    let (r, w) = s.into_split();
    Ok((ReadHalf::Tcp(r), WriteHalf::Tcp(w)))
}

/// The read half of a connection.
#[derive(Debug)]
pub(crate) enum ReadHalf {
    Tcp(tcp::OwnedReadHalf),
    #[cfg(unix)]
    Unix(unix::OwnedReadHalf),
}

/// The write half of a connection.
#[derive(Debug)]
pub(crate) enum WriteHalf {
    Tcp(tcp::OwnedWriteHalf),
    #[cfg(unix)]
    Unix(unix::OwnedWriteHalf),
}

impl ReadHalf {
    /// `true` when an idle connection can no longer carry a call: the peer closed it (or
    /// reset it), or sent bytes nobody asked for. Never waits; a connection whose close has
    /// not reached the runtime's I/O driver yet still looks open.
    pub(crate) fn is_closed(&self) -> bool {
        let mut b = [0u8; 1];
        let r = match self {
            ReadHalf::Tcp(s) => s.try_read(&mut b),
            #[cfg(unix)]
            ReadHalf::Unix(s) => s.try_read(&mut b),
        };
        !matches!(r, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ReadHalf::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            ReadHalf::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WriteHalf::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            WriteHalf::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WriteHalf::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            WriteHalf::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WriteHalf::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            WriteHalf::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WriteHalf::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(unix)]
            WriteHalf::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }
    fn is_write_vectored(&self) -> bool {
        match self {
            WriteHalf::Tcp(s) => s.is_write_vectored(),
            #[cfg(unix)]
            WriteHalf::Unix(s) => s.is_write_vectored(),
        }
    }
}

/// Where a server listens: a TCP listener or (on Unix) a Unix-domain socket listener.
#[derive(Debug)]
pub enum Listener {
    /// TCP.
    Tcp(TcpListener),
    /// A Unix-domain socket.
    #[cfg(unix)]
    Unix(UnixListener),
}

impl From<TcpListener> for Listener {
    fn from(l: TcpListener) -> Self {
        Listener::Tcp(l)
    }
}

#[cfg(unix)]
impl From<UnixListener> for Listener {
    fn from(l: UnixListener) -> Self {
        Listener::Unix(l)
    }
}

/// The address of a connected peer or a listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerAddr {
    /// A TCP address.
    Tcp(std::net::SocketAddr),
    /// A Unix-domain socket (its path when it has one).
    Unix(Option<std::path::PathBuf>),
}

impl fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerAddr::Tcp(a) => a.fmt(f),
            PeerAddr::Unix(Some(p)) => write!(f, "{UNIX_PREFIX}{}", p.display()),
            PeerAddr::Unix(None) => write!(f, "{UNIX_PREFIX}(unnamed)"),
        }
    }
}

impl Listener {
    pub(crate) fn local_addr(&self) -> Option<PeerAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr().ok().map(PeerAddr::Tcp),
            #[cfg(unix)]
            Listener::Unix(l) => l
                .local_addr()
                .ok()
                .map(|a| PeerAddr::Unix(a.as_pathname().map(Into::into))),
        }
    }

    pub(crate) async fn accept(&self) -> io::Result<(ReadHalf, WriteHalf, PeerAddr)> {
        match self {
            Listener::Tcp(l) => {
                let (s, peer) = l.accept().await?;
                let _ = s.set_nodelay(true);
                let (r, w) = s.into_split();
                Ok((ReadHalf::Tcp(r), WriteHalf::Tcp(w), PeerAddr::Tcp(peer)))
            }
            #[cfg(unix)]
            Listener::Unix(l) => {
                let (s, peer) = l.accept().await?;
                let peer = PeerAddr::Unix(peer.as_pathname().map(Into::into));
                let (r, w) = s.into_split();
                Ok((ReadHalf::Unix(r), WriteHalf::Unix(w), peer))
            }
        }
    }
}
