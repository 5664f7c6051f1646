//! A deadline on writes that cannot proceed: a client that stops reading would otherwise hold its
//! connection, and the response it asked for, for as long as it likes (hyper has no write
//! timeout). The timer is armed only when the socket refuses bytes, so a client that reads costs
//! one branch per write (and a size check: the bytes that leave are the HTTP/2 watchdog's sign of
//! progress).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use super::watchdog::Activity;

/// A socket whose writes fail with `TimedOut` once one has waited `timeout` for room.
pub(super) struct StallGuard<T> {
    io: T,
    timeout: Duration,
    /// Armed while a write waits for room; cleared by any write or flush that proceeds.
    stalled: Option<Pin<Box<Sleep>>>,
    /// Told of the bytes that leave: the watchdog's HTTP/2 stall check counts them as progress.
    activity: Arc<Activity>,
}

impl<T> StallGuard<T> {
    pub(super) fn new(io: T, timeout: Duration, activity: Arc<Activity>) -> Self {
        StallGuard {
            io,
            timeout,
            stalled: None,
            activity,
        }
    }

    /// `Pending` stays pending until the deadline, then becomes the error that ends the
    /// connection; anything else disarms the timer. (Inlined, the timer out of line: this runs on
    /// every write and flush.)
    #[inline]
    fn watch<R>(
        &mut self,
        polled: Poll<io::Result<R>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<R>> {
        if polled.is_pending() {
            return self.stalled(cx);
        }
        if self.stalled.is_some() {
            self.stalled = None;
        }
        polled
    }

    #[cold]
    fn stalled<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => {
                tracing::debug!("client read nothing for the write timeout; closing");
                Poll::Ready(Err(io::ErrorKind::TimedOut.into()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for StallGuard<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for StallGuard<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = polled {
            self.activity.wrote(written);
        }
        self.watch(polled, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(written)) = polled {
            self.activity.wrote(written);
        }
        self.watch(polled, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_flush(cx);
        self.watch(polled, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_shutdown(cx);
        self.watch(polled, cx)
    }
}
