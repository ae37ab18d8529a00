//! The multicall front (--list, --install, names) and the mkosi-chroot applet, plus the
//! library's in-process entry point.

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn run_as(who: Who, program: &Path, args: &[&str]) -> Run {
    let mut cmd = command_as(who, program);
    cmd.args(args);
    run_cmd(cmd)
}

#[test]
fn list_names_every_applet() {
    let run = sandbox(unprivileged(), &["--list"]);
    assert_eq!(run.ok(), "mkosi-sandbox\nmkosi-chroot\n");
}

#[test]
fn renamed_copy_and_symlinks_dispatch() {
    let who = unprivileged();
    let dir = TempDir::new(who);
    let renamed = dir.join("msb-x86_64");
    std::fs::copy(bin(), &renamed).unwrap();
    assert_eq!(
        run_as(who, &renamed, &["--list"]).ok(),
        "mkosi-sandbox\nmkosi-chroot\n"
    );
    assert!(run_as(who, &renamed, &["mkosi-chroot", "--help"])
        .ok()
        .starts_with("Usage: mkosi-chroot"));
    assert!(run_as(who, &renamed, &["mkosi-sandbox", "--help"])
        .ok()
        .starts_with("Usage: mkosi-sandbox"));
    // Anything else is mkosi-sandbox's own command line.
    assert_eq!(
        run_as(who, &renamed, &["--bind", "/", "/", "echo", "hi"]).ok(),
        "hi\n"
    );
    let link = dir.join("mkosi-chroot");
    std::os::unix::fs::symlink(&renamed, &link).unwrap();
    assert!(run_as(who, &link, &["--help"])
        .ok()
        .starts_with("Usage: mkosi-chroot"));
}

#[test]
fn install_makes_links_and_leaves_other_files_alone() {
    let who = unprivileged();
    let dir = TempDir::new(who);
    // Beside the binary: relative links.
    let binary = dir.join("mkosi-sandbox-x");
    std::fs::copy(bin(), &binary).unwrap();
    run_as(who, &binary, &["--install", dir.s()]).ok();
    for name in ["mkosi-sandbox", "mkosi-chroot"] {
        assert_eq!(
            std::fs::read_link(dir.join(name)).unwrap(),
            PathBuf::from("mkosi-sandbox-x"),
            "{name}"
        );
    }
    assert!(run_as(who, &dir.join("mkosi-chroot"), &["--help"])
        .ok()
        .starts_with("Usage: mkosi-chroot"));
    assert_eq!(
        run_as(
            who,
            &dir.join("mkosi-sandbox"),
            &["--bind", "/", "/", "echo", "ok"]
        )
        .ok(),
        "ok\n"
    );

    // Elsewhere: absolute links; an existing link is replaced; a regular file is kept.
    let other = TempDir::new(who);
    std::os::unix::fs::symlink("/nowhere", other.join("mkosi-sandbox")).unwrap();
    std::fs::write(other.join("mkosi-chroot"), "mine").unwrap();
    let run = run_as(who, &binary, &["--install", other.s()]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!(
            "mkosi-sandbox: --install: {}/mkosi-chroot exists and is not a symlink; left alone\n",
            other.s()
        )
    );
    assert_eq!(
        std::fs::read_link(other.join("mkosi-sandbox")).unwrap(),
        binary
    );
    assert_eq!(
        std::fs::read_to_string(other.join("mkosi-chroot")).unwrap(),
        "mine"
    );
    let leftovers: Vec<_> = std::fs::read_dir(other.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temporary links left: {leftovers:?}");

    let run = run_as(who, &binary, &["--install"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (2, "mkosi-sandbox: --install: missing argument DIR\n")
    );
}

#[test]
fn make_install_and_uninstall() {
    if !everyone().contains(&Who::Root) {
        return;
    }
    let dest = TempDir::new(Who::Root);
    let make = |target: &str| {
        let status = std::process::Command::new("make")
            .args(["-s", "-C", env!("CARGO_MANIFEST_DIR"), target])
            .arg(format!("DESTDIR={}", dest.s()))
            .arg("PREFIX=/opt/msb")
            .arg(format!("BIN={}", env!("CARGO_BIN_EXE_mkosi-sandbox")))
            .arg("CARGO=true")
            .status()
            .unwrap();
        assert!(status.success(), "make {target}");
    };
    make("install");
    let bindir = dest.join("opt/msb/bin");
    assert_eq!(
        std::fs::read_link(bindir.join("mkosi-chroot")).unwrap(),
        PathBuf::from("mkosi-sandbox")
    );
    assert!(run_as(Who::Root, &bindir.join("mkosi-chroot"), &["--help"])
        .ok()
        .starts_with("Usage: mkosi-chroot"));
    assert_eq!(
        run_as(
            Who::Root,
            &bindir.join("mkosi-sandbox"),
            &["--bind", "/", "/", "echo", "ok"]
        )
        .ok(),
        "ok\n"
    );
    std::fs::write(bindir.join("unrelated"), "x").unwrap();
    make("uninstall");
    let left: Vec<_> = std::fs::read_dir(&bindir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        ["unrelated"],
        "uninstall removes exactly what install made"
    );
}

/// A tree with /usr from the host bound in by the caller and the usual symlinks.
fn tree(who: Who) -> TempDir {
    let dir = TempDir::new(who);
    std::fs::create_dir_all(dir.join("usr")).unwrap();
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    for (link, target) in [
        ("bin", "usr/bin"),
        ("sbin", "usr/sbin"),
        ("lib", "usr/lib"),
        ("lib64", "usr/lib64"),
    ] {
        std::os::unix::fs::symlink(target, dir.join(link)).unwrap();
    }
    let (uid, gid) = ids(who);
    for p in ["usr", "etc", "bin", "sbin", "lib", "lib64"] {
        std::os::unix::fs::lchown(dir.join(p), Some(uid), Some(gid)).unwrap();
    }
    dir
}

fn chroot_link() -> PathBuf {
    applet_link("mkosi-chroot")
}

#[test]
fn chroot_enters_the_root_as_fake_root() {
    for who in everyone() {
        let root = tree(who);
        let run = run_as(
            who,
            &chroot_link(),
            &[
                "--root", root.s(), "--ro-bind", "/usr", "/usr",
                "sh", "-c",
                "id -u; cat /run/host/container-manager; echo; echo $container $HOME $PATH $BUILDROOT; \
                 test -d /run/user/0 && echo run-user; stat -c %a /tmp; grep -c : /proc/net/dev; \
                 ls /dev | tr '\\n' ' '; echo; pwd",
            ],
        );
        let fuse = if Path::new("/dev/fuse").exists() {
            "fuse "
        } else {
            ""
        };
        assert_eq!(
            run.ok(),
            format!(
                "0\nmkosi\nmkosi / /usr/bin:/usr/sbin /\nrun-user\n1777\n1\n\
                 core fd full {fuse}null ptmx pts random shm stderr stdin stdout tty urandom zero \n/\n"
            ),
            "{who:?}"
        );
    }
}

#[test]
fn chroot_options_network_and_extra_binds() {
    let who = unprivileged();
    let root = tree(who);
    let extra = TempDir::new(who);
    std::fs::write(extra.join("marker"), "m").unwrap();
    let host_ifaces = std::fs::read_to_string("/proc/net/dev")
        .unwrap()
        .lines()
        .count();
    let mut cmd = command_as(who, chroot_link());
    cmd.args([
        "--network",
        "--ro-bind",
        "/usr",
        "/usr",
        "--bind",
        extra.s(),
        "/work",
    ])
    .args([
        "--suppress-chown",
        "sh",
        "-c",
        "grep -c : /proc/net/dev; cat /work/marker; test -s /etc/resolv.conf && echo resolv",
    ])
    .env("BUILDROOT", root.s());
    let run = run_cmd(cmd);
    let resolv = if Path::new("/etc/resolv.conf").exists() {
        "resolv\n"
    } else {
        ""
    };
    assert_eq!(run.ok(), format!("{}\nm{resolv}", host_ifaces - 2));
}

#[test]
fn chroot_follows_a_symlinked_resolv_conf() {
    if !Path::new("/etc/resolv.conf").exists() {
        return;
    }
    let who = unprivileged();
    let root = tree(who);
    std::os::unix::fs::symlink(
        "../run/systemd/resolve/stub-resolv.conf",
        root.join("etc/resolv.conf"),
    )
    .unwrap();
    let run = run_as(who, &chroot_link(), &["--root", root.s(), "--network", "--ro-bind", "/usr", "/usr", "sh", "-c", "readlink /etc/resolv.conf; cmp /etc/resolv.conf /run/systemd/resolve/stub-resolv.conf && echo same"]);
    assert_eq!(run.ok(), "../run/systemd/resolve/stub-resolv.conf\nsame\n");
}

#[test]
fn chroot_user_options_win() {
    let who = unprivileged();
    let root = tree(who);
    let run = run_as(
        who,
        &chroot_link(),
        &[
            "--root",
            root.s(),
            "--ro-bind",
            "/usr",
            "/usr",
            "--setenv",
            "HOME",
            "/root",
            "--chdir",
            "/tmp",
            "sh",
            "-c",
            "echo $HOME; pwd",
        ],
    );
    assert_eq!(run.ok(), "/root\n/tmp\n");
}

#[test]
fn chroot_defaults_to_sh_without_bash() {
    let who = unprivileged();
    let root = TempDir::new(who);
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(busybox) = busybox else {
        panic!("busybox (Debian's busybox-static) is needed for this test");
    };
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::copy(busybox, root.join("usr/bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", root.join("usr/bin/sh")).unwrap();
    std::os::unix::fs::symlink("busybox", root.join("usr/bin/echo")).unwrap();
    chown_all(who, root.path());
    let mut cmd = command_as(who, chroot_link());
    cmd.args(["--root", root.s()]);
    let run = run_with_stdin(cmd, b"echo sh-ran\n");
    assert_eq!(run.ok(), "sh-ran\n");
}

fn chown_all(who: Who, p: &Path) {
    let (uid, gid) = ids(who);
    std::os::unix::fs::lchown(p, Some(uid), Some(gid)).unwrap();
    if p.is_dir() && !p.is_symlink() {
        for e in std::fs::read_dir(p).unwrap() {
            chown_all(who, &e.unwrap().path());
        }
    }
}

#[test]
fn chroot_needs_a_root() {
    let who = unprivileged();
    let mut cmd = command_as(who, chroot_link());
    cmd.arg("true").env_remove("BUILDROOT");
    let run = run_cmd(cmd);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "mkosi-chroot: no root given: use --root DIR or set $BUILDROOT\n"
    );
    let run = run_as(who, &chroot_link(), &["--frob"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (2, "mkosi-chroot: unknown option '--frob' (see --help)\n")
    );
}

#[test]
fn help_of_each_applet_lists_every_option() {
    let chroot = run_as(unprivileged(), &chroot_link(), &["--help"]);
    let sandbox_help = sandbox(unprivileged(), &["--help"]);
    for option in [
        "--tmpfs",
        "--bind-try",
        "--overlay",
        "--setenv",
        "--same-dir",
        "--suspend",
        "--debug",
    ] {
        for text in [chroot.ok(), sandbox_help.ok()] {
            assert!(
                text.lines().any(|l| l.trim_start().starts_with(option)),
                "{option} in {text}"
            );
        }
    }
    assert!(chroot.stdout.contains("--root DIR") && chroot.stdout.contains("--network"));
    assert!(chroot.stdout.contains("sh when the root has no bash"));
}

#[test]
fn library_enter_in_process() {
    let example = Path::new(env!("CARGO_BIN_EXE_mkosi-sandbox"))
        .parent()
        .unwrap()
        .join("examples/enter");
    let program = scratch().join("enter");
    if !program.exists() {
        std::fs::copy(&example, &program).expect("the enter example is built by cargo test");
    }
    for who in everyone() {
        let run = run_as(
            who,
            &program,
            &[
                "--become-root",
                "--ro-bind",
                "/usr",
                "/usr",
                "--proc",
                "/proc",
                "--tmpfs",
                "/tmp",
                "--",
                "not",
                "run",
            ],
        );
        let out = run.ok();
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some("uid 0"), "{who:?}");
        assert_eq!(lines.next(), Some("rest not run"));
        let points: Vec<&str> = lines.map(|l| l.split(' ').nth(4).unwrap()).collect();
        assert_eq!(points, ["/", "/proc", "/tmp", "/usr"], "{who:?}: {out}");
    }
}
