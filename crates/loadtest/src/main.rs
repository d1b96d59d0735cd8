fn main() {
    eprintln!("plenum-loadtest: not built yet");
    std::process::exit(2);
}
