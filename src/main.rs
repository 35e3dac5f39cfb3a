//! The `changeproof` binary: parses arguments and hands over to the CLI glue. Library
//! code lives in `changeproof::*`; this crate only turns results into output and exit codes.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
