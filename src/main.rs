//! The `kapok` binary: parse the command line and run it. Everything else lives in the
//! libraries (`kapok::cmd` for the commands).

use clap::Parser;

fn main() -> std::process::ExitCode {
    // Before any thread exists: bounded malloc arenas, large buffers given back on free.
    ingest::allocator::bound_allocator();
    kapok::cmd::run(kapok::cmd::Cli::parse())
}
