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
    // each input's identity -> (partial, path read, whether filters left lines out)
    let mut read: std::collections::HashMap<String, (String, String, bool)> = Default::default();
    for p in &config.partials {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        let (a, opts): (InputsRead, _) =
            decode(&bytes).with_context(|| format!("{}", p.display()))?;
        if let Err(e) = a.logs.check() {
            bail!(
                "{}: damaged partial result ({e}): make it again with --save-partial",
                p.display()
            );
        }
        match &first {
            None => first = Some((opts, p.display().to_string())),
            Some((o, name)) if *o != opts => bail!(
                "{} was made with other options than {name} (--show-values or --top differ): make them alike and run again",
                p.display()
            ),
            _ => {}
        }
        // the same input read in full by two partials would count twice; two
        // filtered reads of one file (`--per` periods, `--since` windows) are
        // taken as the disjoint parts they are made to be
        let mine: Vec<(&String, &str, bool)> = a
            .logs
            .coverage
            .files
            .values()
            // a read that counted nothing (all of it outside a window)
            // cannot count anything twice
            .filter(|f| f.lines_parsed + f.lines_ignored + f.lines_rejected > 0)
            .filter_map(|f| Some((f.identity.as_ref()?, f.path.as_str(), f.lines_filtered > 0)))
            .collect();
        for &(id, path, filtered) in &mine {
            if let Some((other, first_path, first_filtered)) = read.get(id)
                && !(filtered && *first_filtered)
            {
                bail!(
                    "{} and {other} both read the same input ({path} and {first_path}: {id}): merging it twice would count it twice; merge each input's partial once",
                    p.display(),
                );
            }
        }
        for (id, path, filtered) in mine {
            read.insert(
                id.clone(),
                (p.display().to_string(), path.to_string(), filtered),
            );
        }
        agg.merge(a);
    }
    let opts = first.map(|f| f.0).context("no partial result given")?;
    outputs.top = config.top.unwrap_or(opts.slowest);
    outputs.analyze.values_shown = opts.show_values;
    render(&agg, &outputs)
}
