//! `pgsift merge`: partial results in, one report out, as one run over all
//! their inputs would have written it.

use super::InputsRead;
use super::{Outputs, RunOutcome, render};
use crate::aggregate::partial::{PartialOptions, decode};
use crate::cli::MergeConfig;
use crate::merge::Merge;
use anyhow::{Context, bail};

/// Runs `pgsift merge` (nothing printed: see [`super::summary`]).
pub fn run(config: &MergeConfig) -> anyhow::Result<RunOutcome> {
    // the baseline is read before any work: a bad one ends the run at once
    let mut outputs = Outputs::of(&config.out, 0, false, None)?;
    let mut agg = InputsRead::default();
    let mut first: Option<(PartialOptions, String)> = None;
    for p in &config.partials {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        let (a, opts) = decode(&bytes).with_context(|| format!("{}", p.display()))?;
        match &first {
            None => first = Some((opts, p.display().to_string())),
            Some((o, name)) if *o != opts => bail!(
                "{} was made with other options than {name} (--show-values or --top differ): make them alike and run again",
                p.display()
            ),
            _ => {}
        }
        agg.merge(a);
    }
    let opts = first.map(|f| f.0).context("no partial result given")?;
    outputs.top = config.top.unwrap_or(opts.slowest);
    outputs.analyze.values_shown = opts.show_values;
    render(&agg, &outputs)
}
