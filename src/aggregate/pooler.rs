//! pgBouncer's evidence on the pool, from its log: the periodic `stats:`
//! figures (how busy, how long clients waited for a server connection),
//! failed logins, why connections closed, and clients refused at
//! `max_client_conn`. Mergeable like every aggregate.

use super::activity::{Counts, bump};
use crate::merge::Merge;
use crate::parse::pgbouncer::PoolerEvent;
use crate::parse::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pooler {
    /// `stats:` lines read (one per `stats_period`).
    pub intervals: u64,
    /// Intervals in which clients waited for a server connection.
    pub waited_intervals: u64,
    /// Sum of the intervals' average waits (µs): their mean over the
    /// intervals that waited.
    pub wait_us_sum: u64,
    /// The longest average wait of an interval (µs), and when.
    pub peak_wait_us: u64,
    pub peak_wait_at: Option<Timestamp>,
    pub peak_xacts_per_s: u64,
    pub peak_queries_per_s: u64,
    /// The average transaction and query time of the busiest interval (µs).
    pub busiest_xact_us: u64,
    pub busiest_query_us: u64,
    /// Failed logins by user.
    pub login_failures: Counts,
    /// Closed connections by side and reason (`client: client close request`).
    pub closing: Counts,
    /// Clients refused (`no more connections allowed (max_client_conn)`).
    pub refused: Counts,
}

impl Pooler {
    /// Counts one pgBouncer event.
    pub fn add(&mut self, ev: PoolerEvent) {
        match ev {
            PoolerEvent::Stats {
                ts,
                xacts,
                queries,
                xact_us,
                query_us,
                wait_us,
            } => {
                self.intervals += 1;
                if wait_us > 0 {
                    self.waited_intervals += 1;
                    self.wait_us_sum += wait_us;
                }
                if wait_us > self.peak_wait_us {
                    self.peak_wait_us = wait_us;
                    self.peak_wait_at = ts;
                }
                if xacts > self.peak_xacts_per_s {
                    self.peak_xacts_per_s = xacts;
                    self.busiest_xact_us = xact_us;
                    self.busiest_query_us = query_us;
                }
                self.peak_queries_per_s = self.peak_queries_per_s.max(queries);
            }
            PoolerEvent::LoginFailed { user, .. } => bump(&mut self.login_failures, &user),
            PoolerEvent::Closing { server, reason } => bump(
                &mut self.closing,
                &format!("{}: {reason}", if server { "server" } else { "client" }),
            ),
            PoolerEvent::Refused { reason } => bump(&mut self.refused, &reason),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Pooler::default()
    }
}

impl Merge for Pooler {
    fn merge(&mut self, o: Self) {
        self.intervals += o.intervals;
        self.waited_intervals += o.waited_intervals;
        self.wait_us_sum += o.wait_us_sum;
        if o.peak_wait_us > self.peak_wait_us {
            self.peak_wait_us = o.peak_wait_us;
            self.peak_wait_at = o.peak_wait_at;
        }
        if o.peak_xacts_per_s > self.peak_xacts_per_s {
            self.peak_xacts_per_s = o.peak_xacts_per_s;
            self.busiest_xact_us = o.busiest_xact_us;
            self.busiest_query_us = o.busiest_query_us;
        }
        self.peak_queries_per_s = self.peak_queries_per_s.max(o.peak_queries_per_s);
        Merge::merge(&mut self.login_failures, o.login_failures);
        Merge::merge(&mut self.closing, o.closing);
        Merge::merge(&mut self.refused, o.refused);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(wait_us: u64, xacts: u64) -> PoolerEvent {
        PoolerEvent::Stats {
            ts: Some(Timestamp(wait_us as i64)),
            xacts,
            queries: xacts * 7,
            xact_us: 2000,
            query_us: 300,
            wait_us,
        }
    }

    #[test]
    fn merging_two_halves_equals_one_pass() {
        let events = [
            stats(0, 0),
            stats(653_800, 619),
            stats(3_800_288, 0),
            PoolerEvent::Refused {
                reason: "no more connections allowed (max_client_conn)".into(),
            },
            PoolerEvent::LoginFailed {
                user: "app".into(),
                reason: "SASL authentication failed".into(),
            },
        ];
        let mut one = Pooler::default();
        for e in events.clone() {
            one.add(e);
        }
        let (mut a, mut b) = (Pooler::default(), Pooler::default());
        for (i, e) in events.into_iter().enumerate() {
            if i % 2 == 0 { a.add(e) } else { b.add(e) }
        }
        a.merge(b);
        assert_eq!(a, one);
        assert_eq!(one.intervals, 3);
        assert_eq!(one.waited_intervals, 2);
        assert_eq!(one.peak_wait_us, 3_800_288);
        assert_eq!(one.peak_xacts_per_s, 619);
        assert_eq!(one.refused.values().sum::<u64>(), 1);
    }
}
