//! The harness shared by the integration tests: it runs the real static binary as root and
//! as an unprivileged user, and checks after every run that the host's mount table is
//! exactly as it was.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The unprivileged account the tests run as; created when missing.
pub const TEST_USER: &str = "sandboxtest";

/// Who runs the binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Root,
    User,
}

/// Tests that change the host's own mount table take this lock for writing; every other
/// test holds it for reading, so the before/after comparison sees only its own effects.
static HOST_MOUNTS: RwLock<()> = RwLock::new(());

pub fn shared_host() -> RwLockReadGuard<'static, ()> {
    HOST_MOUNTS.read().unwrap_or_else(|e| e.into_inner())
}

pub fn exclusive_host() -> RwLockWriteGuard<'static, ()> {
    HOST_MOUNTS.write().unwrap_or_else(|e| e.into_inner())
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The identities to test with: root and the test user when running as root; otherwise
/// only the caller, with the reason printed (and a failure when CI demands every variant).
pub fn everyone() -> Vec<Who> {
    if is_root() {
        ensure_user();
        vec![Who::Root, Who::User]
    } else {
        let must = std::env::var_os("MKOSI_SANDBOX_TESTS_MUST_RUN").is_some();
        assert!(
            !must,
            "MKOSI_SANDBOX_TESTS_MUST_RUN is set but the tests do not run as root"
        );
        eprintln!("note: not root: the root variant of this test is skipped");
        vec![Who::User]
    }
}

/// Only the unprivileged identity (the caller itself when not root).
pub fn unprivileged() -> Who {
    if is_root() {
        ensure_user();
    }
    Who::User
}

fn ensure_user() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let known = Command::new("id")
            .arg(TEST_USER)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !known.is_ok_and(|s| s.success()) {
            let made = Command::new("useradd")
                .args([
                    "--system",
                    "--user-group",
                    "--no-create-home",
                    "--shell",
                    "/bin/sh",
                    TEST_USER,
                ])
                .status()
                .expect("run useradd");
            assert!(made.success(), "useradd {TEST_USER} failed");
        }
    });
}

/// The uid and gid of `who`.
pub fn ids(who: Who) -> (u32, u32) {
    match who {
        // SAFETY: getuid/getgid cannot fail.
        Who::Root => unsafe { (libc::getuid(), libc::getgid()) },
        Who::User if !is_root() => unsafe { (libc::getuid(), libc::getgid()) },
        Who::User => {
            let out = |flag: &str| -> u32 {
                let o = Command::new("id")
                    .args([flag, TEST_USER])
                    .output()
                    .expect("id");
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse()
                    .expect("numeric id")
            };
            (out("-u"), out("-g"))
        }
    }
}

static SCRATCH: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_scratch() {
    if let Some(dir) = SCRATCH.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A world-readable directory for the copied binary and the test programs, removed when the
/// test process exits (the checkout may sit under a home directory others cannot enter).
pub fn scratch() -> &'static Path {
    SCRATCH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("mkosi-sandbox-tests.{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        // SAFETY: registering a plain extern "C" function is sound.
        unsafe { libc::atexit(remove_scratch) };
        dir
    })
}

/// The binary under test, copied where every user can run it.
pub fn bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dst = scratch().join("mkosi-sandbox");
        std::fs::copy(env!("CARGO_BIN_EXE_mkosi-sandbox"), &dst).expect("copy the binary");
        std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        dst
    })
}

/// A temporary directory owned by `who`, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(who: Who) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = scratch().join(format!("t{n}"));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        if who == Who::User && is_root() {
            let (uid, gid) = ids(who);
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).expect("chown temp dir");
        }
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }

    pub fn s(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }

    pub fn sj(&self, p: &str) -> String {
        self.join(p).to_str().expect("utf-8").to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct Run {
    /// Exit status, or 128 + signal number when the command was killed.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "command failed: {self:?}");
        &self.stdout
    }
}

/// The host's mount table without the fields that say nothing about mounts (the ids).
pub fn host_mounts() -> Vec<String> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").expect("read mountinfo");
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.split(' ').skip(2).collect::<Vec<_>>().join(" "))
        .collect();
    lines.sort();
    lines
}

/// A command that runs `program` as `who`.
pub fn command_as(who: Who, program: impl AsRef<OsStr>) -> Command {
    command_with_fds(who, program, Vec::new())
}

/// Like [`command_as`], with the descriptors `(open_fd, number)` passed on at those numbers.
pub fn command_with_fds(who: Who, program: impl AsRef<OsStr>, fds: Vec<(i32, i32)>) -> Command {
    let mut cmd = if who == Who::User && is_root() {
        let (uid, gid) = ids(who);
        let mut c = Command::new("setpriv");
        c.arg(format!("--reuid={uid}"))
            .arg(format!("--regid={gid}"))
            .arg("--clear-groups")
            .arg("--")
            .arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.current_dir("/");
    // Only stdin, stdout, stderr and the chosen descriptors reach the binary, whatever the
    // test runner holds open.
    // SAFETY: dup2 and close_range are async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            for &(fd, number) in &fds {
                libc::dup2(fd, 1000 + number);
            }
            libc::syscall(libc::SYS_close_range, 3u32, 999u32, 0u32);
            for &(_, number) in &fds {
                libc::dup2(1000 + number, number);
            }
            libc::syscall(libc::SYS_close_range, 1000u32, u32::MAX, 0u32);
            Ok(())
        });
    }
    cmd
}

/// Runs `cmd` (with stdin closed unless set) and checks the host's mount table after it.
pub fn run_cmd(mut cmd: Command) -> Run {
    let _guard = shared_host();
    run_cmd_unlocked(&mut cmd)
}

/// Runs `cmd` with `input` on its standard input, checking the host's mount table after it.
pub fn run_with_stdin(mut cmd: Command, input: &[u8]) -> Run {
    use std::io::Write;
    let _guard = shared_host();
    let before = host_mounts();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        before,
        host_mounts(),
        "the host's mount table changed: {cmd:?}"
    );
    to_run(out)
}

/// A symlink named after `applet` to the binary under test, in a directory of its own.
pub fn applet_link(applet: &str) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _l = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let link = scratch().join("links").join(applet);
    if !link.exists() {
        std::fs::create_dir_all(link.parent().expect("has a parent")).expect("mkdir links");
        std::os::unix::fs::symlink(bin(), &link).expect("symlink");
    }
    link
}

fn to_run(out: Output) -> Run {
    let code = out
        .status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
    Run {
        code,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run_cmd_unlocked(cmd: &mut Command) -> Run {
    let before = host_mounts();
    let out: Output = cmd.stdin(Stdio::null()).output().expect("spawn");
    let after = host_mounts();
    assert_eq!(before, after, "the host's mount table changed: {cmd:?}");
    to_run(out)
}

/// Runs the binary as `who` with `args`.
pub fn sandbox<S: AsRef<OsStr>>(who: Who, args: &[S]) -> Run {
    let mut cmd = command_as(who, bin());
    cmd.args(args);
    run_cmd(cmd)
}

/// The man page's minimal tree: /usr from the host and the usual symlinks.
pub fn usr() -> Vec<String> {
    let mut args: Vec<String> = vec!["--ro-bind".into(), "/usr".into(), "/usr".into()];
    for (link, target) in [
        ("/bin", "usr/bin"),
        ("/sbin", "usr/sbin"),
        ("/lib", "usr/lib"),
        ("/lib64", "usr/lib64"),
    ] {
        args.extend(["--symlink".into(), target.into(), link.into()]);
    }
    args
}

/// Concatenates argument lists.
pub fn args(parts: &[&[&str]]) -> Vec<String> {
    parts
        .iter()
        .flat_map(|p| p.iter().map(|s| s.to_string()))
        .collect()
}

pub fn with_usr(rest: &[&str]) -> Vec<String> {
    let mut a = usr();
    a.extend(rest.iter().map(|s| s.to_string()));
    a
}

/// Compiles a small C program with the given extra flags (e.g. `-m32`) into the scratch
/// directory, once per name.
pub fn compile_c(name: &str, source: &str, flags: &[&str]) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _l = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let out = scratch().join(name);
    if out.exists() {
        return out;
    }
    let src = scratch().join(format!("{name}.c"));
    std::fs::write(&src, source).expect("write C source");
    let status = Command::new("cc")
        .args(flags)
        .args(["-static", "-O2", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("run cc");
    assert!(status.success(), "compiling {name} failed");
    out
}

pub fn path_str(p: &Path) -> &str {
    std::str::from_utf8(p.as_os_str().as_bytes()).expect("utf-8")
}
