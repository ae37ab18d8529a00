//! Uses the library in-process: sets the sandbox up from the options given on the command
//! line, then reports what this very process now sees.

fn main() {
    let options: Vec<String> = std::env::args().skip(1).collect();
    match mkosi_sandbox::enter(&options) {
        Ok(rest) => {
            // SAFETY: getuid cannot fail.
            println!("uid {}", unsafe { libc::getuid() });
            println!(
                "rest {}",
                rest.iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            print!(
                "{}",
                std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default()
            );
        }
        Err(failure) => {
            eprintln!("enter: {failure}");
            std::process::exit(failure.exit_code());
        }
    }
}
