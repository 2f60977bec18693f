//! What a run read from its inputs: the logs' aggregate and the statistics
//! CSVs, side by side (neither layer knows the other). Mergeable like its
//! parts, and what a partial result saves.

use crate::aggregate::Aggregate;
use crate::merge::Merge;
use crate::stats::StatsInput;
use serde::{Deserialize, Serialize};

/// Everything read from the inputs of a run (or of one file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputsRead {
    /// Everything aggregated from the logs; every file's coverage record too
    /// (statistics CSVs included).
    pub logs: Aggregate,
    /// Statistics CSVs read (pg_stat_* exports), by folder.
    pub stats: StatsInput,
}

impl Merge for InputsRead {
    fn merge(&mut self, o: Self) {
        self.logs.merge(o.logs);
        self.stats.merge(o.stats);
    }
}

/// A log read: no statistics.
impl From<Aggregate> for InputsRead {
    fn from(logs: Aggregate) -> Self {
        InputsRead {
            logs,
            stats: StatsInput::default(),
        }
    }
}
