//! A stand-in for `kapok __media-child` in this crate's own tests, which cannot build the
//! `kapok` binary (it depends on this crate). Production always runs `kapok` itself.

use std::ffi::OsString;
use std::process::ExitCode;

fn main() -> ExitCode {
    ingest::allocator::bound_allocator();
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match args.split_first() {
        Some((mode, rest)) if mode == ingest::media::CHILD_COMMAND => ingest::media::child_main(rest),
        _ => {
            eprintln!("usage: kapok-media-child {} COMMAND ARGS…", ingest::media::CHILD_COMMAND);
            ExitCode::from(2)
        }
    }
}
