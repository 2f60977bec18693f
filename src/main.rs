//! `pgsift` binary: parse the command line, run, map the outcome to an exit code
//! (0 ok, 1 report written but some input unreadable, 2 usage or fatal error).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let pgsift::cli::Command::Report(args) = pgsift::cli::Cli::parse().command;
    pgsift::app::main_report(args)
}
