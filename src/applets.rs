//! The multicall front: which applet runs, `--list`, `--install`, and the applets themselves.

use std::ffi::{CString, OsStr, OsString};
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::cli::{self, Options, Parsed};
use crate::error::{Error, Failure};
use crate::setup;
use crate::sys::{self, Errno};

/// One applet: its name (the file name it answers to) and its entry point, which gets the
/// arguments after the applet's name.
pub struct Applet {
    pub name: &'static str,
    pub run: fn(Vec<OsString>) -> i32,
}

pub const APPLETS: &[Applet] = &[
    Applet {
        name: "mkosi-sandbox",
        run: sandbox_main,
    },
    Applet {
        name: "mkosi-chroot",
        run: chroot_main,
    },
];

/// What a command line asks of the multicall binary.
#[derive(Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// Run `APPLETS[index]` with the arguments from `skip` on.
    Run {
        index: usize,
        skip: usize,
    },
    List,
    Install(Option<OsString>),
}

/// Decides from argv[0]'s file name, then argv[1], which applet runs. Pure.
pub fn dispatch(argv: &[OsString]) -> Dispatch {
    let find = |name: &OsStr| APPLETS.iter().position(|a| OsStr::new(a.name) == name);
    let base = argv
        .first()
        .map(|a| a.as_bytes().rsplit(|&b| b == b'/').next().unwrap_or(b""))
        .map(OsStr::from_bytes)
        .unwrap_or_default();
    match find(base) {
        Some(index) if index != 0 => return Dispatch::Run { index, skip: 1 },
        _ => {}
    }
    let first = argv.get(1).map(OsString::as_os_str);
    match first.map(OsStr::as_bytes) {
        Some(b"--list") => return Dispatch::List,
        Some(b"--install") => return Dispatch::Install(argv.get(2).cloned()),
        _ => {}
    }
    if find(base).is_none() {
        if let Some(index) = first.and_then(find) {
            return Dispatch::Run { index, skip: 2 };
        }
    }
    Dispatch::Run { index: 0, skip: 1 }
}

pub fn main() -> i32 {
    let argv: Vec<OsString> = std::env::args_os().collect();
    match dispatch(&argv) {
        Dispatch::Run { index, skip } => {
            (APPLETS[index].run)(argv.into_iter().skip(skip).collect())
        }
        Dispatch::List => {
            let mut out = String::new();
            for applet in APPLETS {
                out.push_str(applet.name);
                out.push('\n');
            }
            print_stdout(out.as_bytes());
            0
        }
        Dispatch::Install(None) => {
            report(
                "mkosi-sandbox",
                &Failure::Usage("--install: missing argument DIR".into()),
            );
            2
        }
        Dispatch::Install(Some(dir)) if !dir.is_empty() && argv.len() == 3 => {
            install(Path::new(&dir))
        }
        Dispatch::Install(Some(_)) => {
            report(
                "mkosi-sandbox",
                &Failure::Usage("--install takes exactly one non-empty DIR".into()),
            );
            2
        }
    }
}

fn print_stdout(bytes: &[u8]) {
    // SAFETY: fd 1 stays open for the life of the process; we only borrow it.
    let _ = sys::write_all(unsafe { BorrowedFd::borrow_raw(1) }, bytes);
}

/// Prints `NAME: MESSAGE` on stderr.
fn report(name: &str, failure: &Failure) {
    let mut line = format!("{name}: ").into_bytes();
    line.extend_from_slice(&failure.message());
    line.push(b'\n');
    // SAFETY: fd 2 stays open for the life of the process; we only borrow it.
    let _ = sys::write_all(unsafe { BorrowedFd::borrow_raw(2) }, &line);
}

/// Makes one symlink per applet in `dir`: relative when `dir` holds the binary itself,
/// absolute otherwise. Existing symlinks are replaced; anything else is left alone.
fn install(dir: &Path) -> i32 {
    const NAME: &str = "mkosi-sandbox";
    let fail = |msg: String| {
        report(NAME, &Failure::Usage(msg));
        1
    };
    let exe = match std::fs::read_link("/proc/self/exe") {
        Ok(exe) => exe,
        Err(e) => {
            return fail(format!(
                "--install: cannot find the binary: {}",
                io_text(&e)
            ))
        }
    };
    let dir_real = match dir.canonicalize() {
        Ok(d) => d,
        Err(e) => return fail(format!("--install {}: {}", dir.display(), io_text(&e))),
    };
    let beside = exe.parent().is_some_and(|p| p == dir_real);
    let target: PathBuf = if beside {
        exe.file_name().map(PathBuf::from).unwrap_or_default()
    } else {
        exe.clone()
    };

    let mut status = 0;
    for applet in APPLETS {
        let link = dir.join(applet.name);
        match std::fs::symlink_metadata(&link) {
            Ok(meta) if meta.file_type().is_symlink() => {}
            Ok(_) if link.canonicalize().is_ok_and(|l| l == exe) => continue,
            Ok(_) => {
                status = fail(format!(
                    "--install: {} exists and is not a symlink; left alone",
                    link.display()
                ));
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                status = fail(format!("--install: {}: {}", link.display(), io_text(&e)));
                continue;
            }
        }
        // A new link under a temporary name, renamed over the old one: never a moment
        // without the applet.
        let tmp = dir.join(format!(".{}.new", applet.name));
        let _ = std::fs::remove_file(&tmp);
        let made =
            std::os::unix::fs::symlink(&target, &tmp).and_then(|()| std::fs::rename(&tmp, &link));
        if let Err(e) = made {
            let _ = std::fs::remove_file(&tmp);
            status = fail(format!("--install: {}: {}", link.display(), io_text(&e)));
        }
    }
    status
}

/// The errno text of an I/O error, as every other message shows it.
fn io_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(errno) => String::from_utf8_lossy(sys::strerror(errno)).into_owned(),
        None => e.to_string(),
    }
}

/// `mkosi-sandbox [OPTIONS...] [--] [COMMAND [ARGUMENTS...]]`
fn sandbox_main(args: Vec<OsString>) -> i32 {
    const NAME: &str = "mkosi-sandbox";
    match cli::parse(args) {
        Ok(Parsed::Help) => {
            print_stdout(cli::help(NAME).as_bytes());
            0
        }
        Ok(Parsed::Version) => {
            print_stdout(format!("{NAME} {}\n", env!("CARGO_PKG_VERSION")).as_bytes());
            0
        }
        Ok(Parsed::Run(opts)) => run(NAME, opts),
        Err(failure) => {
            report(NAME, &failure);
            failure.exit_code()
        }
    }
}

/// Sets the sandbox up and executes the command in place; returns only on failure.
fn run(name: &str, mut opts: Options) -> i32 {
    // Listed before the setup opens anything of its own.
    let inherited = if opts.pack_fds {
        setup::inherited_fds()
    } else {
        Vec::new()
    };
    let result = setup::enter(&opts).and_then(|()| {
        if opts.pack_fds {
            setup::pack_fds(&inherited)?;
        }
        Ok(())
    });
    if let Err(err) = result {
        let failure = Failure::Setup(err);
        report(name, &failure);
        return failure.exit_code();
    }
    let mut extra: Vec<(&[u8], Vec<u8>)> = Vec::new();
    if opts.pack_fds {
        extra.push((b"LISTEN_FDS", inherited.len().to_string().into_bytes()));
        extra.push((b"LISTEN_PID", sys::getpid().to_string().into_bytes()));
    }
    let env = setup::environment(&opts.env, &extra);
    if opts.command.is_empty() {
        opts.command.push("bash".into());
    }
    sys::restore_sigpipe();
    if opts.suspend {
        sys::stop_self();
    }
    let errno = execvp(&opts.command, &env);
    let err = Error::new(Vec::new(), errno)
        .op("execvp")
        .path(opts.command[0].as_bytes());
    report(name, &Failure::Setup(err));
    if errno.0 == linux_raw_sys::errno::ENOENT as i32 {
        127
    } else {
        126
    }
}

/// Executes `command` with the environment `env` (`NAME=VALUE` entries), looking its name up
/// in that environment's `$PATH` unless it contains a `/`; returns the errno that explains
/// why it could not run.
fn execvp(command: &[OsString], env: &[Vec<u8>]) -> Errno {
    let cstrings = |items: &mut dyn Iterator<Item = &[u8]>| -> Vec<CString> {
        items.map(|a| CString::new(a).unwrap_or_default()).collect()
    };
    let pointers = |items: &[CString]| -> Vec<*const u8> {
        items
            .iter()
            .map(|a| a.as_ptr() as *const u8)
            .chain(std::iter::once(std::ptr::null()))
            .collect()
    };
    let args = cstrings(&mut command.iter().map(|a| a.as_bytes()));
    let vars = cstrings(&mut env.iter().map(Vec::as_slice));
    let (argv, envp) = (pointers(&args), pointers(&vars));

    let name = command[0].as_bytes();
    if name.is_empty() {
        return Errno(linux_raw_sys::errno::ENOENT as i32);
    }
    if name.contains(&b'/') {
        return sys::execve(&args[0], argv.as_ptr(), envp.as_ptr());
    }
    let path = env
        .iter()
        .find_map(|v| v.strip_prefix(b"PATH="))
        .unwrap_or(b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    let mut denied = false;
    for dir in path.split(|&b| b == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let full = setup::c(&[dir, b"/", name].concat());
        let errno = sys::execve(&full, argv.as_ptr(), envp.as_ptr());
        match errno.0 as u32 {
            linux_raw_sys::errno::EACCES => denied = true,
            linux_raw_sys::errno::ENOENT
            | linux_raw_sys::errno::ENOTDIR
            | linux_raw_sys::errno::ENAMETOOLONG => {}
            _ => return errno,
        }
    }
    Errno(if denied {
        linux_raw_sys::errno::EACCES
    } else {
        linux_raw_sys::errno::ENOENT
    } as i32)
}

/// `mkosi-chroot [--root DIR] [--network] [SANDBOX-OPTIONS...] [--] [COMMAND [ARGS...]]`
fn chroot_main(args: Vec<OsString>) -> i32 {
    const NAME: &str = "mkosi-chroot";
    match chroot_options(args) {
        Ok(Some(opts)) => run(NAME, opts),
        Ok(None) => 0,
        Err(failure) => {
            report(NAME, &failure);
            failure.exit_code()
        }
    }
}

/// Number of values a mkosi-sandbox option takes, or None if it is not one.
fn arity(option: &[u8]) -> Option<usize> {
    let (option, inline) = match option.iter().position(|&b| b == b'=') {
        Some(i) => (&option[..i], true),
        None => (option, false),
    };
    let (_, args, _) = cli::OPTIONS
        .iter()
        .find(|(o, _, _)| o.as_bytes() == option)?;
    let n = args.split_whitespace().count();
    Some(if inline { n.saturating_sub(1) } else { n })
}

fn chroot_options(args: Vec<OsString>) -> Result<Option<Options>, Failure> {
    let mut root: Option<Vec<u8>> = None;
    let mut network = false;
    let mut passed: Vec<OsString> = Vec::new();
    let mut command: Vec<OsString> = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let bytes = arg.as_bytes();
        if bytes == b"--" || !bytes.starts_with(b"-") || bytes == b"-" {
            if bytes != b"--" {
                command.push(arg);
            }
            command.extend(args.by_ref());
            break;
        }
        match bytes {
            b"--help" | b"-h" => {
                print_stdout(chroot_help().as_bytes());
                return Ok(None);
            }
            b"--version" => {
                print_stdout(format!("mkosi-chroot {}\n", env!("CARGO_PKG_VERSION")).as_bytes());
                return Ok(None);
            }
            b"--network" => network = true,
            b"--root" => {
                let dir = args
                    .next()
                    .ok_or_else(|| Failure::Usage("--root: missing argument DIR".into()))?;
                root = Some(dir.into_vec());
            }
            _ if bytes.starts_with(b"--root=") => root = Some(bytes[7..].to_vec()),
            _ => {
                let n = arity(bytes).ok_or_else(|| {
                    Failure::Usage(format!(
                        "unknown option '{}' (see --help)",
                        arg.to_string_lossy()
                    ))
                })?;
                let values: Vec<OsString> = args.by_ref().take(n).collect();
                if values.len() < n {
                    let (option, inline) = match bytes.iter().position(|&b| b == b'=') {
                        Some(i) => (&bytes[..i], 1),
                        None => (bytes, 0),
                    };
                    let names = cli::OPTIONS
                        .iter()
                        .find(|(o, _, _)| o.as_bytes() == option)
                        .map_or("", |o| o.1);
                    let missing = names
                        .split_whitespace()
                        .nth(inline + values.len())
                        .unwrap_or("");
                    let option = String::from_utf8_lossy(option);
                    return Err(Failure::Usage(format!(
                        "{option}: missing argument {missing}"
                    )));
                }
                passed.push(arg);
                passed.extend(values);
            }
        }
    }
    let named_by = if root.is_some() {
        "--root "
    } else {
        "$BUILDROOT "
    };
    let root = match root.or_else(|| std::env::var_os("BUILDROOT").map(OsString::into_vec)) {
        Some(r) if !r.is_empty() => r,
        _ => {
            return Err(Failure::Usage(
                "no root given: use --root DIR or set $BUILDROOT".into(),
            ))
        }
    };

    let root_os = OsString::from_vec(root.clone());
    if let Err(e) = std::fs::metadata(Path::new(&root_os)) {
        let errno = Errno(
            e.raw_os_error()
                .unwrap_or(linux_raw_sys::errno::ENOENT as i32),
        );
        let what = [named_by.as_bytes(), root.as_slice()].concat();
        return Err(Failure::Setup(Error::new(what, errno).path(&root)));
    }
    let mut full: Vec<OsString> = Vec::new();
    let mut add =
        |words: &[&[u8]]| full.extend(words.iter().map(|w| OsString::from_vec(w.to_vec())));
    add(&[b"--bind", &root, b"/"]);
    add(&[
        b"--proc", b"/proc", b"--dev", b"/dev", b"--tmpfs", b"/tmp", b"--tmpfs", b"/run",
    ]);
    add(&[
        b"--dir",
        b"/run/user/0",
        b"--write",
        b"mkosi",
        b"/run/host/container-manager",
    ]);
    add(&[b"--become-root", b"--unshare-ipc"]);
    add(&[
        b"--setenv",
        b"container",
        b"mkosi",
        b"--setenv",
        b"HOME",
        b"/",
    ]);
    add(&[
        b"--setenv",
        b"PATH",
        b"/usr/bin:/usr/sbin",
        b"--setenv",
        b"BUILDROOT",
        b"/",
    ]);
    if network {
        if Path::new("/etc/resolv.conf").exists() {
            let dst = resolv_conf_destination(Path::new(&root_os));
            add(&[b"--ro-bind", b"/etc/resolv.conf", &dst]);
        }
    } else {
        add(&[b"--unshare-net"]);
    }
    full.extend(passed);
    full.push("--".into());
    if command.is_empty() {
        let has_bash = ["usr/bin/bash", "bin/bash"]
            .iter()
            .any(|p| Path::new(&root_os).join(p).exists());
        command.push(if has_bash { "bash" } else { "sh" }.into());
    }
    full.extend(command);

    match cli::parse(full)? {
        Parsed::Run(opts) => Ok(Some(opts)),
        Parsed::Help | Parsed::Version => Ok(None),
    }
}

/// Where the host's resolv.conf goes: onto /etc/resolv.conf, or, when the root's
/// /etc/resolv.conf is a symlink (say into /run, which is a fresh tmpfs here), onto the file
/// it points to, so that the link resolves.
fn resolv_conf_destination(root: &Path) -> Vec<u8> {
    match std::fs::read_link(root.join("etc/resolv.conf")) {
        Ok(target) => {
            let target = target.into_os_string().into_vec();
            if target.starts_with(b"/") {
                cli::normalize(&target)
            } else {
                cli::normalize(&[b"/etc/", target.as_slice()].concat())
            }
        }
        Err(_) => b"/etc/resolv.conf".to_vec(),
    }
}

fn chroot_help() -> String {
    let mut text = String::from(
        "Usage: mkosi-chroot [--root DIR] [--network] [OPTIONS...] [--] [COMMAND [ARGUMENTS...]]\n\n\
         Enter the root DIR (default: $BUILDROOT) as fake root, with /proc, a private /dev,\n\
         tmpfs /tmp and /run, /run/user/0, /run/host/container-manager, new IPC and network\n\
         namespaces, container=mkosi HOME=/ PATH=/usr/bin:/usr/sbin BUILDROOT=/.\n\
         COMMAND defaults to bash, or sh when the root has no bash.\n\n\
         Options:\n  --root DIR                     the root to enter (else $BUILDROOT)\n  \
         --network                      keep the host's network; bind its /etc/resolv.conf\n\n\
         Any mkosi-sandbox option may follow and wins over the defaults:\n",
    );
    let sandbox = cli::help("mkosi-chroot");
    text.push_str(
        sandbox
            .split_once("Options:\n")
            .map_or("", |(_, rest)| rest),
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn argv0_names_the_applet() {
        assert_eq!(
            dispatch(&argv(&["/usr/bin/mkosi-chroot", "ls"])),
            Dispatch::Run { index: 1, skip: 1 }
        );
        assert_eq!(
            dispatch(&argv(&["mkosi-sandbox", "--bind", "/", "/"])),
            Dispatch::Run { index: 0, skip: 1 }
        );
    }

    #[test]
    fn other_names_take_the_applet_from_argv1() {
        assert_eq!(
            dispatch(&argv(&["./msb-x86_64", "mkosi-chroot", "id"])),
            Dispatch::Run { index: 1, skip: 2 }
        );
        assert_eq!(
            dispatch(&argv(&["./msb", "mkosi-sandbox", "id"])),
            Dispatch::Run { index: 0, skip: 2 }
        );
        assert_eq!(dispatch(&argv(&["./msb", "--list"])), Dispatch::List);
        assert_eq!(
            dispatch(&argv(&["./msb", "--install", "/d"])),
            Dispatch::Install(Some("/d".into()))
        );
        assert_eq!(
            dispatch(&argv(&["./msb", "--bind", "/", "/"])),
            Dispatch::Run { index: 0, skip: 1 }
        );
        assert_eq!(
            dispatch(&argv(&["./msb"])),
            Dispatch::Run { index: 0, skip: 1 }
        );
    }

    #[test]
    fn applet_names_as_arguments_of_an_applet_are_commands() {
        assert_eq!(
            dispatch(&argv(&["mkosi-sandbox", "mkosi-chroot"])),
            Dispatch::Run { index: 0, skip: 1 }
        );
    }

    #[test]
    fn chroot_option_arity() {
        assert_eq!(arity(b"--bind"), Some(2));
        assert_eq!(arity(b"--bind=/a"), Some(1));
        assert_eq!(arity(b"--suppress-chown"), Some(0));
        assert_eq!(arity(b"--nope"), None);
    }
}
