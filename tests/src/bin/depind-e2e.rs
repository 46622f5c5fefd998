//! depind, built inside the e2e test package (see Cargo.toml).
fn main() {
    depin_simapp::cmd::main()
}
