//! A rate limit shared by every task of one set of clients: at most `per_second` calls a second,
//! spaced evenly. One `GetJob` poll per slot, whatever the number of jobs in flight.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Hands out evenly spaced time slots.
#[derive(Debug)]
pub(crate) struct RateLimit {
    spacing: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimit {
    /// `per_second` of 0 is taken as 1.
    pub(crate) fn new(per_second: u32) -> Self {
        Self {
            spacing: Duration::from_secs(1) / per_second.max(1),
            next: Mutex::new(None),
        }
    }

    /// Waits for the next free slot.
    pub(crate) async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.spacing);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spaces_calls_from_many_tasks() {
        // 20 calls at 100 a second from 20 tasks: the last starts 190 ms or more after the first.
        let limit = Arc::new(RateLimit::new(100));
        let start = Instant::now();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let l = limit.clone();
                tokio::spawn(async move {
                    l.acquire().await;
                    Instant::now()
                })
            })
            .collect();
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap() - start);
        }
        times.sort();
        assert!(times[19] >= Duration::from_millis(190), "{times:?}");
        // Each start is at or after its own slot: the k-th call, not before k * 10 ms.
        for (k, t) in times.iter().enumerate() {
            assert!(*t >= Duration::from_millis(10 * k as u64), "{k}: {times:?}");
        }
    }
}
