//! The `kapok` binary: parse configuration, build, run. Everything else lives in the libraries.
fn main() {
    println!("kapok");
}
