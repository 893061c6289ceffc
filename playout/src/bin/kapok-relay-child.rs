//! A stand-in for `kapok __relay-child` in this crate's own tests, which cannot build the
//! `kapok` binary (it depends on this crate). Production always runs `kapok` itself.

use std::ffi::OsString;
use std::process::ExitCode;

use playout::input::relay_child::{child_main, CHILD_COMMAND};

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match args.split_first() {
        Some((mode, rest)) if mode == CHILD_COMMAND => child_main(rest),
        _ => {
            eprintln!("usage: kapok-relay-child {CHILD_COMMAND} --uri URI --format JSON [--parent PID]");
            ExitCode::from(2)
        }
    }
}
