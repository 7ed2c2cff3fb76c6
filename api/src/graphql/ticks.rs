//! Batch loads run when a request's execution is waiting, not after a timer.
//!
//! A DataLoader normally spawns its load and sleeps a moment, hoping every sibling has asked for
//! its key by then. On a busy machine the sleep can end halfway through a page (a list of fifty
//! is resolved over several polls), and one nested list costs two or three statements instead
//! of one. Here the loads of a request are queued instead of spawned, and `drive` starts them
//! only when the execution has nothing left to do but wait: every field that could ask for a key
//! has asked. Batches are then as large as they can be, whatever the load, and no request waits
//! on a timer.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};

/// The loads a request's loaders asked for and `drive` has not started yet.
#[derive(Default)]
pub struct LoadQueue(Mutex<Vec<BoxFuture<'static, ()>>>);

impl LoadQueue {
    /// What the request's DataLoaders use in place of `tokio::spawn`.
    pub fn spawner(self: &Arc<Self>) -> impl Fn(BoxFuture<'static, ()>) + Send + Sync + 'static {
        let queue = self.clone();
        move |load| queue.0.lock().unwrap_or_else(PoisonError::into_inner).push(load)
    }

    fn take(&self) -> Vec<BoxFuture<'static, ()>> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// How many times in a row the execution may wake itself before `drive` yields the thread to
/// other requests (a long list is resolved in slices; this keeps a worker fair).
const MAX_SPINS: usize = 64;

/// Runs `execution` to completion, starting queued loads whenever it waits.
pub fn drive<F: Future>(execution: F, queue: Arc<LoadQueue>) -> Drive<F> {
    Drive { execution: Box::pin(execution), queue, running: FuturesUnordered::new() }
}

pub struct Drive<F: Future> {
    execution: Pin<Box<F>>,
    queue: Arc<LoadQueue>,
    running: FuturesUnordered<BoxFuture<'static, ()>>,
}

/// Passes wake-ups on, and remembers that there was one.
struct Noting {
    woken: AtomicBool,
    waker: Waker,
}

impl Wake for Noting {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.waker.wake_by_ref();
    }
}

impl<F: Future> Future for Drive<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let mut spins = 0;
        loop {
            let noting = Arc::new(Noting { woken: AtomicBool::new(false), waker: cx.waker().clone() });
            let waker = Waker::from(noting.clone());
            if let Poll::Ready(output) = this.execution.as_mut().poll(&mut Context::from_waker(&waker)) {
                return Poll::Ready(output);
            }
            if noting.woken.load(Ordering::SeqCst) {
                // The execution stopped to be fair, not to wait: more fields may yet ask for keys.
                spins += 1;
                if spins < MAX_SPINS {
                    continue;
                }
                return Poll::Pending;
            }
            this.running.extend(this.queue.take());
            let mut finished = false;
            while let Poll::Ready(Some(())) = this.running.poll_next_unpin(cx) {
                finished = true;
            }
            if !finished {
                return Poll::Pending;
            }
            spins = 0;
        }
    }
}
