//! depind: run and operate a depin-sdk reference chain beside CometBFT.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    depin_simapp::cmd::main()
}
