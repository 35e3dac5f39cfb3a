//! The `changeproof` binary: parses arguments and hands over to the CLI glue. Library
//! code lives in `changeproof::*`; this crate only turns results into output and exit codes.

mod cli;

// Evaluation of a large locker allocates tens of millions of small strings; mimalloc
// serves them markedly faster than glibc's allocator and returns memory in bulk
// (docs/benchmarks.md has the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

fn main() -> ExitCode {
    changeproof::allocator::configure();
    cli::main()
}
