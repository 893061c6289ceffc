//! A release build embeds `ui/dist` (see `src/ui.rs`). rust-embed names each embedded file to
//! the compiler, so a changed or deleted file rebuilds this crate; a UI built after the binary
//! was compiled without one would not. Watching the folder covers that. Debug builds read the
//! folder at run time and need no rebuild.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=../ui/dist");
    }
}
