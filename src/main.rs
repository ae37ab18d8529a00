// Runs before the Rust runtime, which ignores SIGPIPE before main: the command must get
// the disposition the caller gave, not the runtime's.
#[used]
#[link_section = ".init_array"]
static RECORD_SIGPIPE: extern "C" fn() = mkosi_sandbox::sys::record_sigpipe;

fn main() {
    std::process::exit(mkosi_sandbox::applets::main());
}
