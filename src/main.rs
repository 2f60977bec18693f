//! `pgsift` binary: runs the command line and maps the outcome to an exit code
//! (0 ok, 1 report written but some input unreadable, 2 usage or fatal error).
use clap::Parser;
use std::{io::Write, process::ExitCode};

/// mimalloc: strings are allocated and freed per log line, on several threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    pgsift::output::remove_temporaries_on_signal();
    match pgsift::app::run(pgsift::cli::Cli::parse()) {
        Ok(code) => code,
        Err(e) if pgsift::app::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "pgsift: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
