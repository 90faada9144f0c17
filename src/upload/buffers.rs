//! The global bound on bytes in flight, the part buffers, and the body that counts what it sends.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::read::{ALIGN, aligned_zeroed};

/// Permits are counted in KiB, so that a 5 GiB part fits in one `acquire_many` (a `u32`).
const UNIT: u64 = 1024;

/// One bound on the bytes held in part buffers, shared by every file of an [`super::Uploader`],
/// and a pool of buffers so that a long upload does not fault in fresh pages for every part.
pub(crate) struct Budget {
    sem: Arc<Semaphore>,
    units: u32,
    in_use: AtomicU64,
    peak: AtomicU64,
    pool: Mutex<Vec<BytesMut>>,
}

/// The budget's hold on `len` bytes, until the buffer is given back (or the ticket dropped).
pub(crate) struct Ticket {
    budget: Arc<Budget>,
    len: u64,
    _permit: OwnedSemaphorePermit,
}

impl Budget {
    pub(crate) fn new(max_bytes: u64) -> Arc<Self> {
        let units = (max_bytes / UNIT).clamp(1, u64::from(u32::MAX >> 3)) as u32;
        Arc::new(Self {
            sem: Arc::new(Semaphore::new(units as usize)),
            units,
            in_use: AtomicU64::new(0),
            peak: AtomicU64::new(0),
            pool: Mutex::new(Vec::new()),
        })
    }

    /// The most bytes held in buffers at once so far.
    pub(crate) fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    /// Waits until `len` bytes fit in the budget, then hands out a buffer of `len` bytes rounded up
    /// to [`ALIGN`], at an aligned address, ready for a direct read (contents unspecified). A request
    /// larger than the whole budget waits for all of it.
    pub(crate) async fn lease(self: &Arc<Self>, len: usize) -> (BytesMut, Ticket) {
        let want = (len as u64).div_ceil(UNIT).clamp(1, u64::from(self.units)) as u32;
        let permit = Arc::clone(&self.sem)
            .acquire_many_owned(want)
            .await
            .expect("the budget's semaphore is never closed");
        let now = self.in_use.fetch_add(len as u64, Ordering::Relaxed) + len as u64;
        self.peak.fetch_max(now, Ordering::Relaxed);
        let padded = len.next_multiple_of(ALIGN);
        let pooled = {
            let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
            match pool
                .iter()
                .position(|b| b.capacity() >= padded && aligned(b))
            {
                Some(i) => Some(pool.swap_remove(i)),
                None => {
                    // Buffers of another size are of no use now: let them go.
                    pool.clear();
                    None
                }
            }
        };
        let buf = match pooled {
            Some(mut b) => {
                // Its capacity holds `padded`, so this stays in place and keeps the alignment.
                b.resize(padded, 0);
                b
            }
            None => aligned_zeroed(padded),
        };
        (
            buf,
            Ticket {
                budget: Arc::clone(self),
                len: len as u64,
                _permit: permit,
            },
        )
    }

    fn give_back(&self, buf: BytesMut, counted: u64) {
        self.in_use.fetch_sub(counted, Ordering::Relaxed);
        let cap = buf.capacity();
        if cap == 0 {
            return;
        }
        // Keep it only while the pool stays within the budget (plus each buffer's alignment slack).
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        let pooled: u64 = pool.iter().map(|b| b.capacity() as u64).sum();
        let slack = (pool.len() as u64 + 1) * 2 * ALIGN as u64;
        if pooled + cap as u64 <= u64::from(self.units) * UNIT + slack {
            pool.push(buf);
        }
    }
}

fn aligned(b: &BytesMut) -> bool {
    (b.as_ptr() as usize).is_multiple_of(ALIGN)
}

impl Ticket {
    /// Gives back a buffer that was frozen for sending, for reuse if nobody else holds it any more.
    pub(crate) fn recycle(mut self, sent: Bytes) {
        let len = std::mem::take(&mut self.len);
        match sent.try_into_mut() {
            Ok(b) => self.budget.give_back(b, len),
            Err(_) => self.budget.give_back(BytesMut::new(), len),
        }
    }

    /// Gives back a buffer that was never frozen.
    pub(crate) fn release(mut self, buf: BytesMut) {
        let len = std::mem::take(&mut self.len);
        self.budget.give_back(buf, len);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        // Dropped without giving the buffer back (an error or a cancelled upload).
        if self.len > 0 {
            self.budget.in_use.fetch_sub(self.len, Ordering::Relaxed);
        }
    }
}

/// Counts bytes handed to the HTTP client, per part and per file.
#[derive(Clone, Default)]
pub(crate) struct Counter {
    /// Bytes of this attempt of the part.
    part: Arc<AtomicU64>,
    /// Bytes of the file (all parts).
    file: Arc<AtomicU64>,
}

impl Counter {
    pub(crate) fn new(file: Arc<AtomicU64>) -> Self {
        Self {
            part: Arc::new(AtomicU64::new(0)),
            file,
        }
    }
    /// Forgets what the current attempt counted (it failed, or a new one starts).
    pub(crate) fn rewind(&self) {
        let n = self.part.swap(0, Ordering::Relaxed);
        self.file.fetch_sub(n, Ordering::Relaxed);
    }
    fn add(&self, n: u64) {
        self.part.fetch_add(n, Ordering::Relaxed);
        self.file.fetch_add(n, Ordering::Relaxed);
    }
}

/// Hands the part to the HTTP client in slices, counting each as it goes.
pub(crate) struct CountingBody {
    data: Bytes,
    pos: usize,
    counter: Counter,
}

const SLICE: usize = 512 * 1024;

impl CountingBody {
    /// A body that the SDK can rebuild for its own retries; each rebuild starts the count again.
    pub(crate) fn sdk_body(data: Bytes, counter: Counter) -> aws_smithy_types::body::SdkBody {
        aws_smithy_types::body::SdkBody::retryable(move || {
            counter.rewind();
            aws_smithy_types::body::SdkBody::from_body_1_x(CountingBody {
                data: data.clone(),
                pos: 0,
                counter: counter.clone(),
            })
        })
    }
}

impl http_body::Body for CountingBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if self.pos >= self.data.len() {
            return Poll::Ready(None);
        }
        let end = (self.pos + SLICE).min(self.data.len());
        let chunk = self.data.slice(self.pos..end);
        self.pos = end;
        self.counter.add(chunk.len() as u64);
        Poll::Ready(Some(Ok(http_body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact((self.data.len() - self.pos) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Buffers come out page-aligned, padded for a direct read, and go back into the pool aligned:
    /// the second lease of the same size reuses the first buffer instead of faulting in a new one.
    #[tokio::test]
    async fn leased_buffers_are_aligned_and_recycled() {
        let budget = Budget::new(16 << 20);
        let len = (5 << 20) + 3;
        let (buf, ticket) = budget.lease(len).await;
        assert_eq!(buf.len(), len.next_multiple_of(ALIGN));
        assert!(aligned(&buf));
        let first = buf.as_ptr();
        let sent = buf.freeze();
        drop(sent.clone());
        ticket.recycle(sent);
        let (again, ticket) = budget.lease(len).await;
        assert_eq!(again.as_ptr(), first, "the pooled buffer is reused");
        assert!(aligned(&again));
        ticket.release(again);
        // A smaller lease reuses it too; a larger one gets a fresh, aligned buffer.
        let (small, t) = budget.lease(1000).await;
        assert_eq!((small.len(), small.as_ptr()), (ALIGN, first));
        t.release(small);
        let (big, t) = budget.lease(8 << 20).await;
        assert!(aligned(&big));
        assert_eq!(big.len(), 8 << 20);
        t.release(big);
        assert_eq!(budget.peak(), 8 << 20);
    }
}
