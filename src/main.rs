//! `pgsift` binary: parse the command line, run, map the outcome to an exit code
//! (0 ok, 1 report written but some input unreadable, 2 usage or fatal error).

use clap::Parser;
use pgsift::cli::{Cli, Command};
use std::process::ExitCode;

/// mimalloc: the run allocates and frees strings per log line, on several
/// threads (workers allocate what the folding thread frees).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Report(args) => pgsift::app::main_report(*args),
        Command::ExportScript => pgsift::app::print_export_script(),
        Command::Merge(args) => pgsift::app::main_merge(args),
    }
}
