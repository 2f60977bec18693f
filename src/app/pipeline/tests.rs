//! Tests of the ordered prefetch: order, look-ahead bounds, errors and panics.

use super::*;
use std::sync::atomic::AtomicUsize;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

const DEPTH: Depth = Depth {
    floor: 2,
    ceiling: 5,
};

/// Runs `ordered` over `items` on `threads` workers, counting the items the
/// source gave; returns the outcome, what was consumed and the largest count of
/// items read and not yet consumed when one was consumed.
fn run(
    threads: usize,
    items: Vec<Result<u32, &'static str>>,
    in_flight: &InFlight,
) -> (Result<(), &'static str>, Vec<u32>, usize, usize) {
    let pulled = AtomicUsize::new(0);
    let mut got = Vec::new();
    let mut most_ahead = 0;
    let outcome = pool(threads).install(|| {
        let source = items.into_iter().inspect(|_| {
            pulled.fetch_add(1, Relaxed);
        });
        ordered(
            source,
            DEPTH,
            in_flight,
            |i| {
                // later items are often ready first
                if i % 3 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                i * 10
            },
            |u| {
                most_ahead = most_ahead.max(pulled.load(Relaxed) - got.len());
                got.push(u);
            },
        )
    });
    (outcome, got, most_ahead, pulled.load(Relaxed))
}

#[test]
fn items_are_consumed_in_source_order_on_any_number_of_threads() {
    for threads in [1, 2, 4] {
        let in_flight = InFlight::default();
        let (outcome, got, _, _) = run(threads, (0..100).map(Ok).collect(), &in_flight);
        assert_eq!(outcome, Ok(()));
        assert_eq!(got, (0..100).map(|i| i * 10).collect::<Vec<_>>());
        assert_eq!(in_flight.count(), 0, "{threads} threads");
    }
}

#[test]
fn look_ahead_is_bounded_by_the_stream_and_by_the_run() {
    let in_flight = InFlight::default();
    let (_, _, most_ahead, _) = run(4, (0..60).map(Ok).collect(), &in_flight);
    assert!(
        (DEPTH.floor..=DEPTH.ceiling).contains(&most_ahead),
        "{most_ahead} ahead"
    );
    // other streams of the run already have the ceiling in preparation: this
    // one keeps only its floor
    let busy = InFlight(AtomicUsize::new(DEPTH.ceiling));
    let (outcome, got, most_ahead, _) = run(4, (0..60).map(Ok).collect(), &busy);
    assert_eq!((outcome, got.len()), (Ok(()), 60));
    assert!(most_ahead <= DEPTH.floor, "{most_ahead} ahead");
    assert_eq!(
        busy.count(),
        DEPTH.ceiling,
        "the others' count is left alone"
    );
}

#[test]
fn an_error_ends_the_stream_after_the_items_before_it() {
    for threads in [1, 3] {
        let in_flight = InFlight::default();
        let items = vec![Ok(1), Ok(2), Ok(3), Err("truncated"), Ok(5), Ok(6)];
        let (outcome, got, _, pulled) = run(threads, items, &in_flight);
        assert_eq!(outcome, Err("truncated"));
        assert_eq!(got, [10, 20, 30]);
        assert_eq!(pulled, 4, "nothing is read after the error");
        assert_eq!(in_flight.count(), 0);
    }
}

#[test]
fn a_panicking_task_reaches_the_caller_and_leaves_nothing_counted() {
    let in_flight = InFlight::default();
    let got = std::sync::Mutex::new(Vec::new());
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool(2).install(|| {
            ordered(
                (0..10).map(Ok::<u32, ()>),
                DEPTH,
                &in_flight,
                |i| {
                    assert_ne!(i, 4, "a bug in preparing");
                    i
                },
                |i| got.lock().unwrap().push(i),
            )
        })
    }));
    assert!(r.is_err());
    // the items around the one that failed are still consumed, in order
    assert_eq!(*got.lock().unwrap(), [0, 1, 2, 3, 5, 6, 7, 8, 9]);
    assert_eq!(in_flight.count(), 0);
}

#[test]
fn items_left_in_preparation_are_uncounted_when_the_consumer_stops() {
    let in_flight = InFlight::default();
    let mut p = Pending::new(&in_flight);
    for _ in 0..3 {
        p.push_back(sync_channel::<()>(1).1);
    }
    assert_eq!(in_flight.count(), 3);
    assert!(p.pop_front().is_some());
    assert_eq!(in_flight.count(), 2);
    // a panic in the consumer drops the queue with items still in it
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _p = p;
        panic!("a bug in the consumer");
    }));
    assert!(r.is_err());
    assert_eq!(in_flight.count(), 0);
}

#[test]
fn depth_takes_the_floor_always_and_the_ceiling_while_the_run_has_room() {
    assert!(DEPTH.wants_more(1, 100));
    assert!(!DEPTH.wants_more(2, 5));
    assert!(DEPTH.wants_more(2, 4));
    assert!(!DEPTH.wants_more(5, 0));
}
