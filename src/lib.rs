//! mkosi-sandbox: run a command in a sandbox of namespaces and mounts, set up by the process
//! itself, which then executes the command in place.
//!
//! The crate is a static multicall binary (see [`applets`]) and also a library: [`enter`]
//! sets the sandbox up in the calling process and hands back the rest of the command line.
//!
//! ```no_run
//! // Become root in a new user namespace, with only /usr from the host.
//! let rest = mkosi_sandbox::enter(["--become-root", "--ro-bind", "/usr", "/usr"])?;
//! assert!(rest.is_empty());
//! # Ok::<(), mkosi_sandbox::Failure>(())
//! ```

pub mod applets;
pub mod cli;
pub mod error;
pub mod plan;
pub mod seccomp;
pub mod setup;
pub mod sys;

use std::ffi::{OsStr, OsString};

pub use error::{Error, Failure};

/// Sets up the sandbox described by `args` (mkosi-sandbox options) in the calling process:
/// namespaces, mounts, working directory and environment. Returns the command line that
/// followed the options, which is not run. `--pack-fds` and `--suspend` only take effect
/// when a command is executed, so they do nothing here.
pub fn enter<I, S>(args: I) -> Result<Vec<OsString>, Failure>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    match cli::parse_strs(args)? {
        cli::Parsed::Run(opts) => {
            setup::enter(&opts)?;
            setup::apply_env(&opts.env);
            Ok(opts.command)
        }
        cli::Parsed::Help | cli::Parsed::Version => Err(Failure::Usage(
            "--help and --version have no meaning in-process".into(),
        )),
    }
}
