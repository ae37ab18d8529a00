fn main() {
    std::process::exit(mkosi_sandbox::applets::main());
}
