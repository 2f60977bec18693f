//! Parse layer: physical log lines -> [`events::Event`] values.
//!
//! Borrowed lines in, owned events out; knows nothing of aggregation or output.
//! [`prefix`] compiles and detects `log_line_prefix`, [`entry`] assembles
//! multi-line entries, [`message`] classifies messages, [`events`] pairs statements
//! with durations.

pub mod entry;
pub mod events;
pub mod message;
pub mod prefix;
pub mod timestamp;

use entry::StderrAssembler;
use events::{Event, EventBuilder};
use prefix::LinePrefix;

/// A streaming parser for one stderr log: lines in, events out.
pub struct StderrParser {
    assembler: StderrAssembler,
    events: EventBuilder,
}

impl StderrParser {
    pub fn new(prefix: LinePrefix) -> Self {
        StderrParser {
            assembler: StderrAssembler::new(prefix),
            events: EventBuilder::default(),
        }
    }

    /// Feeds one line (without its newline).
    pub fn push_line(&mut self, line: &str, out: &mut impl FnMut(Event)) {
        let events = &mut self.events;
        self.assembler.push_line(line, &mut |a| events.push(a, out));
    }

    /// Flushes open entries and unpaired statements.
    pub fn finish(&mut self, out: &mut impl FnMut(Event)) {
        let events = &mut self.events;
        self.assembler.finish(&mut |a| events.push(a, out));
        self.events.finish(out);
    }

    /// Time zone labels seen in the timestamps so far.
    pub fn zones(&self) -> &[String] {
        self.assembler.zones()
    }
}
