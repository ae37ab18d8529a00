//! --suppress-chown, --suppress-sync, capabilities, --pack-fds and --suspend, checked with
//! small static probes (64-bit and i386) run inside the sandbox.

mod common;

use common::*;
use std::os::fd::AsRawFd;

/// The probe calls one syscall directly and prints its return value and errno.
const PROBE: &str = r#"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static int report(long r) { printf("%ld %d\n", r, r < 0 ? errno : 0); return 0; }

int main(int argc, char **argv) {
    int p[2];
    if (argc < 2) return 2;
    const char *what = argv[1];
    if (!strcmp(what, "chown")) return report(syscall(SYS_chown, argv[2], 5, 60));
    if (!strcmp(what, "lchown")) return report(syscall(SYS_lchown, argv[2], 5, 60));
    if (!strcmp(what, "fchownat")) return report(syscall(SYS_fchownat, AT_FDCWD, argv[2], 5, 60, 0));
    if (!strcmp(what, "fchown")) { int fd = open(argv[2], O_RDONLY); return report(syscall(SYS_fchown, fd, 5, 60)); }
#ifdef SYS_chown32
    if (!strcmp(what, "chown32")) return report(syscall(SYS_chown32, argv[2], 5, 60));
#endif
    if (pipe(p) < 0) return 3;
    if (!strcmp(what, "fsync")) return report(syscall(SYS_fsync, p[0]));
    if (!strcmp(what, "fdatasync")) return report(syscall(SYS_fdatasync, p[0]));
    if (!strcmp(what, "syncfs")) return report(syscall(SYS_syncfs, 999));
    if (!strcmp(what, "sync_file_range")) return report(sync_file_range(p[0], 0, 0, 0));
    if (!strcmp(what, "msync")) return report(syscall(SYS_msync, (void *)1, 4096, MS_SYNC));
    if (!strcmp(what, "sync")) return report(syscall(SYS_sync));
    return 2;
}
"#;

fn probe64() -> String {
    path_str(&compile_c("probe64", PROBE, &["-D_GNU_SOURCE"])).to_string()
}

fn probe32() -> String {
    path_str(&compile_c("probe32", PROBE, &["-D_GNU_SOURCE", "-m32"])).to_string()
}

/// Runs a probe inside `--become-root` with the host's tree bound, on a file the caller owns.
fn chown_probe(who: Who, probe: &str, call: &str, suppress: bool) -> (String, String) {
    let dir = TempDir::new(who);
    let file = dir.join("f");
    std::fs::write(&file, "x").unwrap();
    let (uid, gid) = ids(who);
    std::os::unix::fs::chown(&file, Some(uid), Some(gid)).unwrap();
    let mut a = vec!["--bind", "/", "/", "--become-root"];
    if suppress {
        a.push("--suppress-chown");
    }
    let f = path_str(&file).to_string();
    a.extend([probe, call, &f]);
    let run = sandbox(who, &a);
    let meta = std::fs::metadata(&file).unwrap();
    use std::os::unix::fs::MetadataExt;
    (
        run.ok().trim().to_string(),
        format!("{}:{}", meta.uid(), meta.gid()),
    )
}

#[test]
fn suppress_chown_native_abi() {
    let who = unprivileged();
    let (uid, gid) = ids(who);
    let owner = format!("{uid}:{gid}");
    for call in ["chown", "lchown", "fchown", "fchownat"] {
        let (out, after) = chown_probe(who, &probe64(), call, false);
        assert_eq!(
            out,
            format!("-1 {}", libc::EINVAL),
            "{call} without the option: uid 5 is not mapped"
        );
        assert_eq!(after, owner);
        let (out, after) = chown_probe(who, &probe64(), call, true);
        assert_eq!(out, "0 0", "{call} with --suppress-chown");
        assert_eq!(after, owner, "the file is unchanged on the host");
    }
}

#[test]
fn suppress_chown_i386_abi() {
    let who = unprivileged();
    for call in ["chown", "chown32", "lchown", "fchown", "fchownat"] {
        let (out, _) = chown_probe(who, &probe32(), call, false);
        assert_eq!(
            out,
            format!("-1 {}", libc::EINVAL),
            "i386 {call} without the option"
        );
        let (out, _) = chown_probe(who, &probe32(), call, true);
        assert_eq!(out, "0 0", "i386 {call} answered by the filter");
    }
}

#[test]
fn chown_with_coreutils() {
    let who = unprivileged();
    let dir = TempDir::new(who);
    let (uid, gid) = ids(who);
    std::fs::write(dir.join("f"), "x").unwrap();
    std::os::unix::fs::chown(dir.join("f"), Some(uid), Some(gid)).unwrap();
    let f = dir.sj("f");
    let run = sandbox(
        who,
        &["--bind", "/", "/", "--become-root", "chown", "5:60", &f],
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("Invalid argument"), "{run:?}");
    let run = sandbox(
        who,
        &[
            "--bind",
            "/",
            "/",
            "--become-root",
            "--suppress-chown",
            "chown",
            "5:60",
            &f,
        ],
    );
    assert_eq!(run.ok(), "");
}

#[test]
fn real_root_chowns_for_real() {
    if !everyone().contains(&Who::Root) {
        return;
    }
    let dir = TempDir::new(Who::Root);
    std::fs::write(dir.join("f"), "x").unwrap();
    let f = dir.sj("f");
    // A real root with the full map needs no filter: the chown happens.
    sandbox(
        Who::Root,
        &["--bind", "/", "/", "--suppress-chown", "chown", "5:60", &f],
    )
    .ok();
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir.join("f")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (5, 60));
}

#[test]
fn suppress_sync_answers_from_the_filter() {
    for who in everyone() {
        for probe in [probe64(), probe32()] {
            for (call, errno) in [
                ("fsync", libc::EINVAL),
                ("fdatasync", libc::EINVAL),
                ("syncfs", libc::EBADF),
                ("msync", libc::EINVAL),
                ("sync_file_range", libc::ESPIPE),
            ] {
                let run = sandbox(who, &["--bind", "/", "/", &probe, call]);
                assert_eq!(
                    run.ok().trim(),
                    format!("-1 {errno}"),
                    "{who:?} {probe} {call} reaches the kernel without the option"
                );
                let run = sandbox(who, &["--bind", "/", "/", "--suppress-sync", &probe, call]);
                assert_eq!(
                    run.ok().trim(),
                    "0 0",
                    "{who:?} {probe} {call} answered by the filter"
                );
            }
            let run = sandbox(
                who,
                &["--bind", "/", "/", "--suppress-sync", &probe, "sync"],
            );
            assert_eq!(run.ok().trim(), "0 0");
        }
    }
}

#[test]
fn the_filter_is_seen_by_the_kernel() {
    for who in everyone() {
        let run = sandbox(
            who,
            &[
                "--bind",
                "/",
                "/",
                "--suppress-sync",
                "grep",
                "^Seccomp:",
                "/proc/self/status",
            ],
        );
        assert_eq!(run.ok(), "Seccomp:\t2\n", "{who:?}");
        let run = sandbox(
            who,
            &["--bind", "/", "/", "grep", "^Seccomp:", "/proc/self/status"],
        );
        assert_eq!(run.ok(), "Seccomp:\t0\n", "no filter unless asked");
        let run = sandbox(
            who,
            &[
                "--bind",
                "/",
                "/",
                "--suppress-sync",
                "grep",
                "^NoNewPrivs:",
                "/proc/self/status",
            ],
        );
        assert_eq!(
            run.ok(),
            "NoNewPrivs:\t0\n",
            "CAP_SYS_ADMIN is held, so no_new_privs is not needed"
        );
    }
}

fn caps(who: Who, extra: &[&str]) -> Vec<(String, u64)> {
    let mut a = vec!["--bind", "/", "/"];
    a.extend_from_slice(extra);
    a.extend(["grep", "^Cap", "/proc/self/status"]);
    let run = sandbox(who, &a);
    run.ok()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(":\t").unwrap();
            (k.to_string(), u64::from_str_radix(v.trim(), 16).unwrap())
        })
        .collect()
}

#[test]
fn capabilities_inside() {
    const USERNS: u64 = (1 << 0)
        | (1 << 1)
        | (1 << 2)
        | (1 << 3)
        | (1 << 4)
        | (1 << 6)
        | (1 << 7)
        | (1 << 8)
        | (1 << 18)
        | (1 << 19)
        | (1 << 21)
        | (1 << 24)
        | (1 << 31);
    const NET: u64 = (1 << 10) | (1 << 12);
    let who = unprivileged();
    for (extra, want) in [
        (&[][..], USERNS),
        (&["--unshare-net"][..], USERNS | NET),
        (&["--become-root"][..], USERNS),
    ] {
        for (k, v) in caps(who, extra) {
            assert_eq!(v, want, "{extra:?}: {k} is {v:#x}, want {want:#x}");
        }
    }
    if everyone().contains(&Who::Root) {
        // A real root keeps what it has; nothing is made ambient.
        let host: Vec<(String, u64)> = std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("CapBnd"))
            .map(|l| {
                (
                    "CapBnd".into(),
                    u64::from_str_radix(l.split('\t').nth(1).unwrap(), 16).unwrap(),
                )
            })
            .collect();
        let inside = caps(Who::Root, &[]);
        let get = |k: &str| inside.iter().find(|(n, _)| n == k).unwrap().1;
        assert_eq!(get("CapBnd"), host[0].1);
        assert_eq!(get("CapEff"), host[0].1);
        assert_eq!(get("CapAmb"), 0);
    }
}

/// Prints the shell's open descriptors on one line, without forking (a pipeline would show
/// its own pipe) and without the descriptor the glob itself opened.
const OPEN_FDS: &str =
    "cd /proc/self/fd && for f in *; do [ -e /proc/$$/fd/$f ] && printf '%s ' $f; done; true";

/// Runs the sandbox with files open at fds 3, 7 and 9.
fn with_fds(who: Who, extra: &[&str], script: &str) -> Run {
    let dir = TempDir::new(who);
    let files: Vec<std::fs::File> = ["a", "b", "c"]
        .iter()
        .map(|n| {
            std::fs::write(dir.join(n), n).unwrap();
            std::fs::File::open(dir.join(n)).unwrap()
        })
        .collect();
    let raw: Vec<i32> = files.iter().map(|f| f.as_raw_fd()).collect();
    let mut cmd = command_with_fds(who, bin(), raw.into_iter().zip([3, 7, 9]).collect());
    cmd.args(["--bind", "/", "/"])
        .args(extra)
        .args(["sh", "-c", script]);
    let run = run_cmd(cmd);
    drop(files);
    run
}

#[test]
fn pack_fds_renumbers_inherited_descriptors() {
    for who in everyone() {
        let run = with_fds(
            who,
            &["--pack-fds"],
            "cd /proc/self/fd && for f in *; do [ $f -gt 2 ] && [ -e /proc/$$/fd/$f ] && echo $f $(cat <&$f); done; echo $LISTEN_FDS $([ \"$LISTEN_PID\" = $$ ] && echo same-pid)",
        );
        assert_eq!(run.ok(), "3 a\n4 b\n5 c\n3 same-pid\n", "{who:?}");
    }
}

#[test]
fn without_pack_fds_inherited_descriptors_stay_and_nothing_else_leaks() {
    for who in everyone() {
        let run = with_fds(who, &[], &format!("{OPEN_FDS}; echo ${{LISTEN_FDS-unset}}"));
        assert_eq!(run.ok(), "0 1 2 3 7 9 unset\n", "{who:?}");
        let run = sandbox(
            who,
            &[
                "--bind",
                "/",
                "/",
                "--dev",
                "/dev",
                "--tmpfs",
                "/tmp",
                "--overlay-lowerdir",
                "/usr",
                "--overlay-lowerdir",
                "/etc",
                "--overlay",
                "/mnt",
                "--overlay-lowerdir",
                "/usr",
                "--overlay-upperdir",
                "tmpfs",
                "--overlay",
                "/srv",
                "sh",
                "-c",
                OPEN_FDS,
            ],
        );
        assert_eq!(
            run.ok(),
            "0 1 2 ",
            "{who:?}: the binary's own descriptors are closed"
        );
    }
}

#[test]
fn suspend_stops_before_exec() {
    for who in everyone() {
        let mut cmd = command_as(who, bin());
        cmd.args(["--bind", "/", "/", "--suspend", "sh", "-c", "exit 5"]);
        let _g = shared_host();
        let before = host_mounts();
        let child = cmd.spawn().unwrap();
        let pid = child.id() as libc::pid_t;
        // SAFETY: a zeroed siginfo_t is valid; waitid fills it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waiting for our own child without reaping it.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as u32,
                &mut info,
                libc::WSTOPPED | libc::WNOWAIT,
            )
        };
        assert_eq!(r, 0);
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let state = stat.rsplit_once(") ").unwrap().1.chars().next().unwrap();
        assert_eq!(state, 'T', "{who:?}: stopped before the command runs");
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
        assert_eq!(comm.trim(), "mkosi-sandbox", "not yet executed");
        // SAFETY: continuing our own child.
        unsafe { libc::kill(pid, libc::SIGCONT) };
        let mut child = child;
        assert_eq!(child.wait().unwrap().code(), Some(5));
        assert_eq!(before, host_mounts());
    }
}
