//! The command line of `mkosi-sandbox`, read left to right with lexopt.
//!
//! Parsing is pure: it turns arguments into [`Options`] and touches nothing but the working
//! directory's name (to make relative paths absolute).

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use crate::error::Failure;
use crate::plan::{FsOp, Kind, Upper};

/// What the command line asks for.
#[derive(Debug, Default)]
pub struct Options {
    pub ops: Vec<FsOp>,
    /// `--setenv` (Some) and `--unsetenv` (None), in command-line order.
    pub env: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// The last of `--chdir DIR` and `--same-dir`: the option and the directory.
    pub chdir: Option<(&'static str, Vec<u8>)>,
    pub become_root: bool,
    pub suppress_chown: bool,
    pub suppress_sync: bool,
    pub unshare_net: bool,
    pub unshare_ipc: bool,
    pub suspend: bool,
    pub pack_fds: bool,
    pub debug: bool,
    /// The command and its arguments; empty when none was given.
    pub command: Vec<OsString>,
}

/// The outcome of reading the command line.
#[derive(Debug)]
pub enum Parsed {
    Run(Options),
    Help,
    Version,
}

/// Every option with its arguments and one line of help, in the man page's order.
pub const OPTIONS: &[(&str, &str, &str)] = &[
    ("--tmpfs", "DST", "mount a new tmpfs at DST"),
    (
        "--dev",
        "DST",
        "set up a private /dev with only the basic nodes at DST",
    ),
    ("--proc", "DST", "mount /proc from the host at DST"),
    (
        "--dir",
        "DST",
        "create DST and its parents (0755, 1777 for .../tmp)",
    ),
    (
        "--bind",
        "SRC DST",
        "bind mount SRC recursively at DST (SRC '+PATH': inside the sandbox)",
    ),
    (
        "--bind-try",
        "SRC DST",
        "like --bind, skipped if SRC does not exist",
    ),
    (
        "--ro-bind",
        "SRC DST",
        "like --bind, read-only on every submount",
    ),
    (
        "--ro-bind-try",
        "SRC DST",
        "like --ro-bind, skipped if SRC does not exist",
    ),
    (
        "--bind-nofollow",
        "SRC DST",
        "like --bind, but a symlink SRC is mounted itself",
    ),
    (
        "--ro-bind-nofollow",
        "SRC DST",
        "like --ro-bind, but a symlink SRC is mounted itself",
    ),
    (
        "--symlink",
        "SRC DST",
        "create a symlink at DST pointing to SRC",
    ),
    ("--write", "DATA DST", "write DATA to the file DST"),
    (
        "--overlay-lowerdir",
        "DIR",
        "add a lower layer (bottom first) for the next --overlay",
    ),
    (
        "--overlay-upperdir",
        "DIR",
        "upper layer for the next --overlay ('tmpfs': a fresh tmpfs)",
    ),
    (
        "--overlay-workdir",
        "DIR",
        "work directory for the next --overlay",
    ),
    (
        "--overlay",
        "DST",
        "mount an overlayfs of the layers given so far at DST",
    ),
    (
        "--unsetenv",
        "NAME",
        "unset NAME in the command's environment",
    ),
    (
        "--setenv",
        "NAME VALUE",
        "set NAME to VALUE in the command's environment",
    ),
    ("--chdir", "DIR", "run the command in DIR"),
    (
        "--same-dir",
        "",
        "run the command in the current working directory",
    ),
    ("--become-root", "", "appear as uid 0 and gid 0 inside"),
    (
        "--suppress-chown",
        "",
        "make chown() and friends succeed without doing anything",
    ),
    (
        "--suppress-sync",
        "",
        "make sync() and friends succeed without doing anything",
    ),
    ("--unshare-net", "", "new network namespace, if possible"),
    ("--unshare-ipc", "", "new IPC namespace"),
    (
        "--suspend",
        "",
        "stop with SIGSTOP right before running the command",
    ),
    (
        "--pack-fds",
        "",
        "renumber inherited fds from 3, set LISTEN_FDS and LISTEN_PID",
    ),
    ("--debug", "", "print each setup step before doing it"),
    ("--version", "", "show the version"),
    ("--help", "", "show this help (also -h)"),
];

/// Reads the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, Failure> {
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_args(args);
    let mut opts = Options::default();
    let mut cwd: Option<Vec<u8>> = None;
    let mut lower: Vec<Vec<u8>> = Vec::new();
    let mut upper: Option<Upper> = None;
    let mut work: Option<Vec<u8>> = None;

    while let Some(arg) = parser.next().map_err(usage)? {
        let name = match arg {
            Long(name) => name.to_owned(),
            Short('h') => return Ok(Parsed::Help),
            Short(c) => {
                return Err(Failure::Usage(format!(
                    "unknown option '-{c}' (see --help)"
                )))
            }
            Value(command) if command == "-" => {
                return Err(Failure::Usage("unknown option '-' (see --help)".into()));
            }
            Value(command) => {
                opts.command.push(command);
                opts.command.extend(parser.raw_args().map_err(usage)?);
                break;
            }
        };
        let option = OPTIONS
            .iter()
            .map(|(o, _, _)| *o)
            .find(|o| o.strip_prefix("--") == Some(name.as_str()))
            .ok_or_else(|| Failure::Usage(format!("unknown option '--{name}' (see --help)")))?;

        // Reads the next argument of `option`, named `what` in messages.
        let mut value = |what: &str| -> Result<Vec<u8>, Failure> {
            let value = parser
                .value()
                .map(OsString::into_vec)
                .map_err(|_| Failure::Usage(format!("{option}: missing argument {what}")))?;
            if value.contains(&0) {
                return Err(Failure::Usage(format!(
                    "{option}: {what} contains a NUL byte"
                )));
            }
            Ok(value)
        };
        let mut path = |what: &str, value: Vec<u8>| -> Result<Vec<u8>, Failure> {
            absolute(option, what, value, &mut cwd)
        };

        let mut push = |kind: Kind, dst: Vec<u8>| opts.ops.push(FsOp { kind, dst, option });
        match option {
            "--tmpfs" => push(Kind::Tmpfs, path("DST", value("DST")?)?),
            "--dev" => push(Kind::Dev, path("DST", value("DST")?)?),
            "--proc" => push(Kind::Proc, path("DST", value("DST")?)?),
            "--dir" => push(Kind::Dir, path("DST", value("DST")?)?),
            "--bind" | "--bind-try" | "--ro-bind" | "--ro-bind-try" | "--bind-nofollow"
            | "--ro-bind-nofollow" => {
                let src = value("SRC")?;
                let dst = path("DST", value("DST")?)?;
                // A `+` source is a path inside the sandbox, whose working directory is /.
                let (relative, src) = match src.strip_prefix(b"+") {
                    Some(rest) if !rest.is_empty() => (true, [b"/", rest].concat()),
                    _ => (false, src),
                };
                let src = path("SRC", src)?;
                let kind = Kind::Bind {
                    src,
                    relative,
                    readonly: option.starts_with("--ro-"),
                    required: !option.ends_with("-try"),
                    nofollow: option.ends_with("-nofollow"),
                    covered: false,
                };
                push(kind, dst)
            }
            "--symlink" => {
                let target = value("SRC")?;
                if target.is_empty() {
                    return Err(Failure::Usage(format!("{option}: SRC must not be empty")));
                }
                push(Kind::Symlink { target }, path("DST", value("DST")?)?)
            }
            "--write" => {
                let data = value("DATA")?;
                push(Kind::Write { data }, path("DST", value("DST")?)?)
            }
            "--overlay-lowerdir" => lower.push(path("DIR", value("DIR")?)?),
            "--overlay-upperdir" => {
                let dir = value("DIR")?;
                upper = Some(if dir == b"tmpfs" {
                    Upper::Tmpfs
                } else {
                    Upper::Dir(path("DIR", dir)?)
                });
            }
            "--overlay-workdir" => work = Some(path("DIR", value("DIR")?)?),
            "--overlay" => {
                let dst = path("DST", value("DST")?)?;
                if lower.is_empty() {
                    return Err(Failure::Usage(format!(
                        "{option}: no --overlay-lowerdir was given before it"
                    )));
                }
                if lower.len() < 2 && upper.is_none() {
                    return Err(Failure::Usage(format!(
                        "{option}: a read-only overlay needs at least two --overlay-lowerdir"
                    )));
                }
                let kind = Kind::Overlay {
                    lower: std::mem::take(&mut lower),
                    upper: upper.take(),
                    work: work.take(),
                };
                push(kind, dst)
            }
            "--setenv" => {
                let name = env_name(option, value("NAME")?)?;
                let val = value("VALUE")?;
                opts.env.push((name, Some(val)));
            }
            "--unsetenv" => {
                let name = env_name(option, value("NAME")?)?;
                opts.env.push((name, None));
            }
            "--chdir" => opts.chdir = Some((option, path("DIR", value("DIR")?)?)),
            "--same-dir" => opts.chdir = Some((option, current_dir(option, &mut cwd)?.clone())),
            "--become-root" => opts.become_root = true,
            "--suppress-chown" => opts.suppress_chown = true,
            "--suppress-sync" => opts.suppress_sync = true,
            "--unshare-net" => opts.unshare_net = true,
            "--unshare-ipc" => opts.unshare_ipc = true,
            "--suspend" => opts.suspend = true,
            "--pack-fds" => opts.pack_fds = true,
            "--debug" => opts.debug = true,
            "--version" | "--help" if parser.optional_value().is_some() => {
                return Err(Failure::Usage(format!("{option}: takes no argument")));
            }
            "--version" => return Ok(Parsed::Version),
            "--help" => return Ok(Parsed::Help),
            _ => {
                return Err(Failure::Usage(format!(
                    "unknown option '{option}' (see --help)"
                )))
            }
        }
    }
    if opts.command.iter().any(|a| a.as_bytes().contains(&0)) {
        return Err(Failure::Usage(
            "the command line contains a NUL byte".into(),
        ));
    }
    if upper.is_some() || work.is_some() || !lower.is_empty() {
        return Err(Failure::Usage(
            "--overlay-lowerdir, --overlay-upperdir and --overlay-workdir must be followed by --overlay DST"
                .into(),
        ));
    }
    Ok(Parsed::Run(opts))
}

fn usage(err: lexopt::Error) -> Failure {
    match err {
        lexopt::Error::UnexpectedValue { option, .. } => {
            Failure::Usage(format!("{option}: takes no argument"))
        }
        other => Failure::Usage(other.to_string()),
    }
}

fn env_name(option: &str, name: Vec<u8>) -> Result<Vec<u8>, Failure> {
    if name.is_empty() || name.contains(&b'=') {
        let shown = String::from_utf8_lossy(&name);
        return Err(Failure::Usage(format!(
            "{option}: invalid variable name '{shown}': it must be non-empty and contain no '='"
        )));
    }
    Ok(name)
}

/// The working directory, read once; `option` is named if it cannot be read (say, it was
/// deleted).
fn current_dir<'a>(option: &str, cwd: &'a mut Option<Vec<u8>>) -> Result<&'a Vec<u8>, Failure> {
    if cwd.is_none() {
        let dir = std::env::current_dir().map_err(|e| {
            let reason = match e.raw_os_error() {
                Some(errno) => String::from_utf8_lossy(crate::sys::strerror(errno)).into_owned(),
                None => e.to_string(),
            };
            Failure::Usage(format!(
                "{option}: cannot read the working directory: {reason}"
            ))
        })?;
        *cwd = Some(dir.into_os_string().into_vec());
    }
    Ok(cwd.as_ref().expect("set above"))
}

/// Makes `value` absolute against the working directory and normalizes it.
///
/// Destinations (`DST`) fold `..` as text, since they are ordered by path before anything
/// exists; every other path keeps its `..` for the kernel to resolve, through symlinks, as
/// a shell would.
fn absolute(
    option: &str,
    what: &str,
    value: Vec<u8>,
    cwd: &mut Option<Vec<u8>>,
) -> Result<Vec<u8>, Failure> {
    if value.is_empty() {
        return Err(Failure::Usage(format!(
            "{option}: {what} must not be empty"
        )));
    }
    let fold = what == "DST";
    if value.starts_with(b"/") {
        return Ok(normalize_with(&value, fold));
    }
    let mut joined = current_dir(option, cwd)?.clone();
    joined.push(b'/');
    joined.extend_from_slice(&value);
    Ok(normalize_with(&joined, fold))
}

/// Folds `//`, `.` and `..` of an absolute path lexically; `..` never climbs above `/`.
pub fn normalize(path: &[u8]) -> Vec<u8> {
    normalize_with(path, true)
}

fn normalize_with(path: &[u8], fold_dotdot: bool) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(path.len());
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." if fold_dotdot => {
                let cut = out.iter().rposition(|&b| b == b'/').unwrap_or(0);
                out.truncate(cut);
            }
            _ => {
                out.push(b'/');
                out.extend_from_slice(part);
            }
        }
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// The help text of `mkosi-sandbox`.
pub fn help(name: &str) -> String {
    let mut text = format!(
        "Usage: {name} [OPTIONS...] [--] [COMMAND [ARGUMENTS...]]\n\n\
         Run COMMAND (default: bash) in a sandbox made of the options, in order of their\n\
         destination. Not a security boundary.\n\nOptions:\n"
    );
    for (option, args, line) in OPTIONS {
        let left = if args.is_empty() {
            option.to_string()
        } else {
            format!("{option} {args}")
        };
        text.push_str(&format!("  {left:<30} {line}\n"));
    }
    text
}

/// Parses an argument vector given as strings; a convenience for tests and library users.
pub fn parse_strs<I, S>(args: I) -> Result<Parsed, Failure>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    parse(
        args.into_iter()
            .map(|s| s.as_ref().as_bytes().to_vec())
            .map(OsString::from_vec),
    )
}
