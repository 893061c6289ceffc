//! The `kapok` binary: parse the command line and run it. Everything else lives in the
//! libraries (`kapok::cmd` for the commands).

use clap::Parser;

fn main() -> std::process::ExitCode {
    // Before any thread exists: bounded malloc arenas, large buffers given back on free.
    ingest::allocator::bound_allocator();
    // The media and relay children are this executable, whatever its file is called.
    schedules::child_program::this_process_is_kapok();
    kapok::cmd::run(kapok::cmd::Cli::parse())
}
