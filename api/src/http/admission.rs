//! Admission control: a bound on the work executing at once, weighted by each operation's
//! cost (the number the complexity limit uses), with a short bounded queue. Past the queue the
//! answer is immediate, so that under overload clients are told to come back rather than all
//! waiting and then failing together.
//!
//! Cheap operations (a `__typename`, one object by id, a sign-in) have a share of their own, so a
//! crowd of heavy reads cannot starve them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Operations costing at most this run in the cheap share.
pub const CHEAP_COST: usize = 100;
/// Cheap operations executing at once; more wait in the queue like heavy ones.
const CHEAP_SLOTS: usize = 256;
/// Longest an admitted-later operation waits in the queue; the request's deadline may be
/// shorter, and then it decides.
const MAX_QUEUE_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct Admission {
    heavy: Arc<Semaphore>,
    capacity: usize,
    cheap: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// Held while an operation executes; dropping it gives its share back.
#[derive(Debug)]
pub struct Ticket {
    _permit: OwnedSemaphorePermit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the server is at capacity")]
pub struct Busy;

impl Admission {
    /// `capacity`: the total cost executing at once; `max_waiting`: the operations that may
    /// queue for it.
    pub fn new(capacity: usize, max_waiting: usize) -> Self {
        let capacity = capacity.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            heavy: Arc::new(Semaphore::new(capacity)),
            capacity,
            cheap: Arc::new(Semaphore::new(CHEAP_SLOTS)),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// Admits an operation of `cost` now, after a short wait in the queue, or not at all.
    pub async fn admit(&self, cost: usize) -> Result<Ticket, Busy> {
        let (pool, permits) = if cost <= CHEAP_COST {
            (&self.cheap, 1)
        } else {
            // An operation dearer than the whole capacity runs alone rather than never.
            (&self.heavy, cost.min(self.capacity))
        };
        let permits = u32::try_from(permits).unwrap_or(u32::MAX);
        if let Ok(permit) = pool.clone().try_acquire_many_owned(permits) {
            return Ok(Ticket { _permit: permit });
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(Busy);
        }
        let waited = tokio::time::timeout(MAX_QUEUE_WAIT, pool.clone().acquire_many_owned(permits)).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match waited {
            Ok(Ok(permit)) => Ok(Ticket { _permit: permit }),
            _ => Err(Busy),
        }
    }

    /// The cost executing now, for `/metrics`.
    pub fn in_flight(&self) -> usize {
        self.capacity - self.heavy.available_permits() + (CHEAP_SLOTS - self.cheap.available_permits())
    }

    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn heavy_work_beyond_the_capacity_and_the_queue_is_refused_at_once() {
        let admission = Admission::new(1_000, 1);
        let first = admission.admit(600).await.expect("room for one");
        // One more heavy operation queues; the next is refused without waiting.
        let queued = admission.admit(600);
        tokio::pin!(queued);
        assert!(futures_util::poll!(&mut queued).is_pending());
        let started = std::time::Instant::now();
        assert_eq!(admission.admit(600).await.map(|_| ()), Err(Busy));
        assert!(started.elapsed() < Duration::from_millis(50));
        // Cheap work still runs.
        assert!(admission.admit(5).await.is_ok());
        drop(first);
        assert!(queued.await.is_ok(), "the queued operation runs once the first is done");
    }

    #[tokio::test]
    async fn an_operation_dearer_than_the_capacity_runs_alone() {
        let admission = Admission::new(1_000, 4);
        let huge = admission.admit(50_000).await.expect("admitted when nothing else runs");
        assert_eq!(admission.in_flight(), 1_000);
        drop(huge);
        assert_eq!(admission.in_flight(), 0);
    }
}
