//! Ordered prefetch: the items of a source are prepared by tasks on the rayon
//! pool, a bounded number ahead, and consumed one by one, in source order, on
//! the calling thread.
//!
//! The calling thread never waits idle for an item: it runs a waiting task of
//! the pool itself (with one thread, it runs them all). How far a stream reads
//! ahead is bounded twice: by its own [`Depth`] and by the items in preparation
//! over every stream of the run ([`InFlight`]), so one big input uses every
//! worker while many inputs at once keep memory proportional to the workers,
//! not to their square. Nothing here knows what an item is.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};

/// Items in preparation over every stream sharing it (one per run).
#[derive(Debug, Default)]
pub struct InFlight(AtomicUsize);

impl InFlight {
    /// Items handed to tasks and not consumed yet.
    pub fn count(&self) -> usize {
        self.0.load(Relaxed)
    }
}

/// How far ahead of the consumer a stream prepares items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depth {
    /// Items a stream keeps in preparation whatever the other streams do.
    pub floor: usize,
    /// Most items a stream keeps in preparation; beyond its floor, it takes
    /// more only while the run has fewer than this in preparation.
    pub ceiling: usize,
}

impl Depth {
    /// Whether a stream with `mine` items in preparation, of `run` in the whole
    /// run, reads another one.
    fn wants_more(self, mine: usize, run: usize) -> bool {
        mine < self.floor || (mine < self.ceiling && run < self.ceiling)
    }
}

/// One stream's items in preparation, in source order, counted in the run's
/// [`InFlight`] while here. Dropping it uncounts what is left, also when the
/// consumer stops on a panic (a bug), so the other streams still get their
/// share of the workers.
struct Pending<'a, U> {
    rx: VecDeque<Receiver<U>>,
    in_flight: &'a InFlight,
}

impl<'a, U> Pending<'a, U> {
    fn new(in_flight: &'a InFlight) -> Self {
        Pending {
            rx: VecDeque::new(),
            in_flight,
        }
    }

    fn len(&self) -> usize {
        self.rx.len()
    }

    fn push_back(&mut self, rx: Receiver<U>) {
        self.in_flight.0.fetch_add(1, Relaxed);
        self.rx.push_back(rx);
    }

    fn pop_front(&mut self) -> Option<Receiver<U>> {
        let rx = self.rx.pop_front()?;
        self.in_flight.0.fetch_sub(1, Relaxed);
        Some(rx)
    }
}

impl<U> Drop for Pending<'_, U> {
    fn drop(&mut self) {
        self.in_flight.0.fetch_sub(self.rx.len(), Relaxed);
    }
}

/// Prepares every item of `source` with `prepare` on the current rayon pool and
/// hands the results to `consume` in source order. An error from the source
/// ends the stream: the items before it are consumed, nothing after it is read,
/// and the error is returned. A panic in `prepare` reaches the caller once the
/// other items are consumed.
pub fn ordered<T, U, E>(
    mut source: impl Iterator<Item = Result<T, E>> + Send,
    depth: Depth,
    in_flight: &InFlight,
    prepare: impl Fn(T) -> U + Sync,
    mut consume: impl FnMut(U) + Send,
) -> Result<(), E>
where
    T: Send,
    U: Send,
    E: Send,
{
    let prepare = &prepare;
    let mut outcome = Ok(());
    rayon::scope(|scope| {
        let mut pending = Pending::new(in_flight);
        let mut more = true;
        loop {
            while more && depth.wants_more(pending.len(), in_flight.count()) {
                match source.next() {
                    Some(Ok(item)) => {
                        let (tx, rx) = sync_channel(1);
                        scope.spawn(move |_| {
                            let _ = tx.send(prepare(item));
                        });
                        pending.push_back(rx);
                    }
                    Some(Err(e)) => {
                        outcome = Err(e);
                        more = false;
                    }
                    None => more = false,
                }
            }
            let Some(rx) = pending.pop_front() else {
                break;
            };
            // a task that panicked sends nothing: the panic reaches the scope
            if let Some(item) = receive(&rx) {
                consume(item);
            }
        }
    });
    outcome
}

/// The item a task sends, or `None` when the task panicked. Waiting, this
/// thread runs tasks of the pool itself.
fn receive<U>(rx: &Receiver<U>) -> Option<U> {
    loop {
        match rx.try_recv() {
            Ok(item) => return Some(item),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {
                // nothing of ours to run: another worker has the task
                if !matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
                    return rx.recv().ok();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
