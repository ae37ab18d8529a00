//! What a careful reviewer tries first: odd paths, huge command lines, nesting, a root
//! that is not a mount point, refused namespaces, missing system calls, and mounts made
//! by the command itself.

mod common;

use common::*;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

fn os(parts: &[&[u8]]) -> OsString {
    OsString::from_vec(parts.concat())
}

fn run_os(who: Who, args: &[OsString]) -> Run {
    let mut cmd = command_as(who, bin());
    cmd.args(args);
    run_cmd(cmd)
}

fn usr_os() -> Vec<OsString> {
    usr().into_iter().map(OsString::from).collect()
}

#[test]
fn odd_bytes_in_every_path_taking_option() {
    let names: &[&[u8]] = &[
        b"with space",
        b"new\nline",
        b"a,b:c=d",
        b"back\\slash",
        b"\xff\xfe-not-utf8",
        b"trailing-slash/",
    ];
    for who in everyone() {
        for name in names {
            let dir = TempDir::new(who);
            let host = dir.path().as_os_str().as_bytes();
            let clean = name.strip_suffix(b"/").unwrap_or(name);
            std::fs::write(Path::new(&os(&[host, b"/", clean])), b"src").unwrap();
            let mut args = usr_os();
            for (option, dst) in [
                ("--tmpfs", &b"/t/"[..]),
                ("--dir", b"/d/"),
                ("--write", b"/w/"),
            ] {
                args.push(option.into());
                if option == "--write" {
                    args.push("data".into());
                }
                args.push(os(&[dst, name]));
            }
            args.extend([
                os(&[b"--ro-bind"]),
                os(&[host, b"/", name]),
                os(&[b"/b/", name]),
            ]);
            args.extend([
                os(&[b"--symlink"]),
                os(&[b"/b/", clean]),
                os(&[b"/s/", name]),
            ]);
            args.extend([os(&[b"--chdir"]), os(&[b"/d/", name])]);
            args.extend(["sh", "-c", "cat \"$1/w/$2\" /s/* /b/*; pwd | od -c | head -1 >/dev/null; echo; test -d \"$1/t/$2\" && echo tmpfs", "sh", "", ""].map(OsString::from));
            let last = args.len() - 1;
            args[last] = OsString::from_vec(clean.to_vec());
            let run = run_os(who, &args);
            assert_eq!(
                run.ok(),
                "datasrcsrc\ntmpfs\n",
                "{who:?} {:?}",
                String::from_utf8_lossy(name)
            );
        }
    }
}

#[test]
fn long_paths_and_dot_dot() {
    for who in everyone() {
        // A 4000-byte destination made of 200 components of 19 bytes.
        let component = "c".repeat(19);
        let long: String = (0..200).map(|_| format!("/{component}")).collect();
        assert_eq!(long.len(), 4000);
        let run = sandbox(
            who,
            &with_usr(&[
                "--dir",
                &long,
                "--write",
                "deep",
                &format!("{long}/../f"),
                "cat",
                &format!("{long}/../f"),
            ]),
        );
        assert_eq!(run.ok(), "deep", "{who:?}");
        // `..` never climbs above the new root: /../../etc is /etc.
        let run = sandbox(
            who,
            &with_usr(&["--write", "x", "/../../a/../etc/f", "cat", "/etc/f"]),
        );
        assert_eq!(run.ok(), "x");
        // Longer than the kernel takes in one path: a one-line error, no crash.
        let too_long = format!("/{}", "x".repeat(5000));
        let run = sandbox(who, &with_usr(&["--dir", &too_long, "true"]));
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.starts_with("mkosi-sandbox: --dir /xxx"),
            "{run:?}"
        );
        assert_eq!(run.stderr.lines().count(), 1);
    }
}

#[test]
fn ten_thousand_operations() {
    for who in everyone() {
        let mut a = usr();
        for i in 0..10_000 {
            a.push(if i % 10 == 0 { "--tmpfs" } else { "--dir" }.into());
            a.push(format!("/many/{}/{i}", i / 100));
        }
        a.extend(["sh", "-c", "find /many -mindepth 2 | wc -l"].map(String::from));
        let run = sandbox(who, &a);
        assert_eq!(run.ok(), "10000\n", "{who:?}");
    }
}

#[test]
fn nesting_three_levels() {
    for who in everyone() {
        for root_flag in [None, Some("--become-root")] {
            let inner = bin().to_str().unwrap();
            let mut a: Vec<&str> = Vec::new();
            for _ in 0..3 {
                a.extend([inner, "--bind", "/", "/", "--tmpfs", "/run"]);
                a.extend(root_flag);
            }
            a.extend(["sh", "-c", "id -u; grep -c . /proc/self/uid_map"]);
            let run = sandbox(who, &a[1..]);
            let (uid, _) = ids(who);
            let want_uid = if root_flag.is_some() { 0 } else { uid };
            assert_eq!(
                run.ok(),
                format!("{want_uid}\n1\n"),
                "{who:?} {root_flag:?}"
            );
        }
    }
}

#[test]
fn mounts_made_by_the_command_stay_inside() {
    if !everyone().contains(&Who::Root) {
        return;
    }
    // A host directory that is a shared mount: anything mounted below it would propagate
    // to its peers unless the sandbox cut it off.
    let _lock = exclusive_host();
    let dir = TempDir::new(Who::Root);
    let shared = dir.join("shared");
    std::fs::create_dir_all(shared.join("sub")).unwrap();
    let s = path_str(&shared).to_string();
    let sh = |cmd: &str| {
        assert!(
            std::process::Command::new("sh")
                .args(["-c", cmd])
                .status()
                .unwrap()
                .success(),
            "{cmd}"
        )
    };
    sh(&format!(
        "mount --bind '{s}' '{s}' && mount --make-shared '{s}'"
    ));
    let before = host_mounts();
    for who in [Who::Root, Who::User] {
        let mut cmd = command_as(who, bin());
        cmd.args(["--bind", "/", "/", "--bind", &s, "/mnt", "sh", "-c", "mount -t tmpfs none /mnt/sub && mount -t tmpfs none /tmp && grep -c ' /mnt/sub ' /proc/self/mountinfo"]);
        let run = run_cmd_unlocked(&mut cmd);
        assert_eq!(run.ok(), "1\n", "{who:?}");
        assert_eq!(before, host_mounts(), "{who:?}: nothing reached the host");
    }
    sh(&format!("umount '{s}'"));
}

#[test]
fn root_that_is_not_a_mount_point() {
    if !everyone().contains(&Who::Root) {
        return;
    }
    // A chroot into a plain directory of a fresh mount namespace: pivot_root refuses such a
    // root, as it does the rootfs of an initramfs, so the workspace is moved over / instead.
    // (An unprivileged process cannot make a user namespace while chrooted, so this is
    // root's case; the initramfs boot test covers the real thing for both.)
    let dir = TempDir::new(Who::Root);
    let d = dir.s();
    let script = format!(
        "set -e; mkdir -p {d}/r; mount -t tmpfs none {d}/r; mkdir -p {d}/r/root; cd {d}/r/root; \
         mkdir usr proc tmp dev; mount --rbind /usr usr; mount -t proc proc proc; \
         ln -s usr/bin bin; ln -s usr/lib lib; ln -s usr/lib64 lib64; ln -s usr/sbin sbin; \
         cp {bin} tmp/msb; echo plain > marker; \
         chroot . /tmp/msb --bind / / --tmpfs /tmp --proc /proc sh -c 'cat /marker; test -e /tmp/msb || echo fresh-tmp; grep -c . /proc/self/mountinfo >/dev/null && echo ok'",
        bin = path_str(bin())
    );
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["-m", "--propagation", "private", "sh", "-c", &script]);
    let run = run_cmd(cmd);
    assert_eq!(run.ok(), "plain\nfresh-tmp\nok\n");

    // When the mount holding the chroot is shared, mounts made there would reach its peers:
    // the binary refuses, and leaves nothing mounted behind.
    let script = format!(
        "set -e; mkdir -p {d}/s; mount -t tmpfs none {d}/s; mount --make-shared {d}/s; \
         mkdir -p {d}/s/root; cd {d}/s/root; mkdir usr proc tmp; \
         mount --rbind /usr usr; mount -t proc proc proc; \
         ln -s usr/bin bin; ln -s usr/lib lib; ln -s usr/lib64 lib64; cp {bin} tmp/msb; \
         before=$(grep -c . /proc/self/mountinfo); \
         chroot . /tmp/msb --bind / / true || echo status=$?; \
         after=$(grep -c . /proc/self/mountinfo); [ $before = $after ] && echo unchanged",
        bin = path_str(bin())
    );
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["-m", "--propagation", "private", "sh", "-c", &script]);
    let run = run_cmd(cmd);
    assert_eq!(run.stdout, "status=1\nunchanged\n", "{run:?}");
    assert!(
        run.stderr.starts_with("mkosi-sandbox: mount --make-rslave /: / is not a mount point and the mount holding it may be shared"),
        "{run:?}"
    );
}

/// A helper that runs a command under a seccomp filter failing chosen system calls with a
/// chosen errno: `deny NR:ERRNO[:FLAG] ... -- COMMAND`. With FLAG, only calls whose first
/// argument has that bit set are failed.
const DENY: &str = r#"
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

int main(int argc, char **argv) {
    struct sock_filter f[256];
    int n = 0, i = 1;
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        unsigned nr = 0, err = 0, flag = 0;
        sscanf(argv[i], "%u:%u:%u", &nr, &err, &flag);
        if (flag) {
            f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 4);
            f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
            f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, flag, 0, 1);
            f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err);
            f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        } else {
            f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1);
            f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err);
        }
    }
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = { .len = n, .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
        perror("seccomp");
        return 99;
    }
    execv(argv[i + 1], argv + i + 1);
    perror("execv");
    return 98;
}
"#;

fn deny(who: Who, rules: &[String], args: &[&str]) -> Run {
    let helper = compile_c("deny", DENY, &[]);
    let mut cmd = command_as(who, helper);
    cmd.args(rules).arg("--").arg(bin()).args(args);
    run_cmd(cmd)
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn refused_user_namespaces_name_the_usual_causes() {
    // Lowering user.max_user_namespaces is machine-wide, and a child user namespace may not
    // lower its own copy here, so the refusal is simulated: a seccomp filter answers
    // unshare(CLONE_NEWUSER) with the errno the kernel gives for each cause.
    let who = unprivileged();
    for errno in [libc::ENOSPC, libc::EPERM] {
        let rule = format!("{}:{errno}:{}", libc::SYS_unshare, libc::CLONE_NEWUSER);
        let run = deny(who, &[rule], &["--bind", "/", "/", "true"]);
        assert_eq!(run.code, 1, "{run:?}");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{run:?}");
        assert!(
            lines[0].starts_with("mkosi-sandbox: unshare(CLONE_NEWUSER): "),
            "{run:?}"
        );
        assert!(
            lines[1].starts_with("hint: unprivileged user namespaces are refused here"),
            "{run:?}"
        );
        assert!(lines[1].contains("user.max_user_namespaces") && lines[1].contains("AppArmor"));
    }
}

#[test]
fn missing_system_calls_are_named_with_the_kernel_version() {
    let who = unprivileged();
    for (nr, name, option) in [
        (libc::SYS_open_tree, "open_tree", &["--bind", "/", "/"][..]),
        (
            libc::SYS_fsopen,
            "fsopen",
            &["--bind", "/", "/", "--tmpfs", "/tmp"][..],
        ),
        (libc::SYS_openat2, "openat2", &["--bind", "/", "/"][..]),
        (
            libc::SYS_mount_setattr,
            "mount_setattr",
            &["--ro-bind", "/", "/"][..],
        ),
    ] {
        let mut args = option.to_vec();
        args.push("true");
        let run = deny(who, &[format!("{nr}:{}", libc::ENOSYS)], &args);
        assert_eq!(run.code, 1, "{name}: {run:?}");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{run:?}");
        assert!(
            lines[0].contains(&format!(": {name} ")) || lines[0].contains(&format!(": {name}:")),
            "{name}: {run:?}"
        );
        assert!(
            lines[1].contains(name) && lines[1].contains(&kernel_release()),
            "{name}: {run:?}"
        );
    }
}
