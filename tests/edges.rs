//! Edges found by trying to break the binary: each test pins one behaviour down.

mod common;

use common::*;
use std::path::Path;

#[test]
fn the_command_gets_default_sigpipe() {
    for who in everyone() {
        let run = sandbox(
            who,
            &with_usr(&[
                "--proc",
                "/proc",
                "sh",
                "-c",
                "grep SigIgn /proc/self/status",
            ]),
        );
        let mask =
            u64::from_str_radix(run.ok().trim().trim_start_matches("SigIgn:").trim(), 16).unwrap();
        assert_eq!(
            mask & (1 << (libc::SIGPIPE - 1)),
            0,
            "{who:?}: SIGPIPE is not ignored"
        );
        let run = sandbox(who, &with_usr(&["sh", "-c", "yes | head -1"]));
        assert_eq!(run.ok(), "y\n");
        assert_eq!(run.stderr, "");
    }
}

#[test]
fn covered_binds_keep_their_meaning() {
    for who in everyone() {
        // A required bind under a try-bind of a missing source still fails.
        let run = sandbox(
            who,
            &with_usr(&[
                "--bind-try",
                "/nope",
                "/x",
                "--bind",
                "/nope/sub",
                "/x/sub",
                "true",
            ]),
        );
        assert_eq!(run.code, 1, "{who:?}: {run:?}");
        assert!(
            run.stderr
                .starts_with("mkosi-sandbox: --bind /nope/sub /x/sub: /nope/sub: "),
            "{run:?}"
        );

        // Through a symlink the child bind shows something else than the parent: it is done.
        let dir = TempDir::new(who);
        std::fs::create_dir_all(dir.join("tree")).unwrap();
        std::fs::create_dir_all(dir.join("elsewhere/doc")).unwrap();
        std::fs::write(dir.join("elsewhere/doc/f"), "through the link").unwrap();
        std::os::unix::fs::symlink("../elsewhere", dir.join("tree/lnk")).unwrap();
        let tree = dir.sj("tree");
        let child = format!("{tree}/lnk/doc");
        // Inside, /t/lnk leads to the sandbox's own (empty) /elsewhere.
        let run = sandbox(
            who,
            &with_usr(&[
                "--dir",
                "/elsewhere/doc",
                "--bind",
                &tree,
                "/t",
                "--bind",
                &child,
                "/t/lnk/doc",
                "cat",
                "/elsewhere/doc/f",
            ]),
        );
        assert_eq!(run.ok(), "through the link", "{who:?}");
    }
}

#[test]
fn chroot_applet_reports_missing_arguments() {
    let who = unprivileged();
    let root = TempDir::new(who);
    let link = applet_link("mkosi-chroot");
    for (args, line) in [
        (
            vec!["--tmpfs"],
            "mkosi-chroot: --tmpfs: missing argument DST\n",
        ),
        (
            vec!["--setenv", "FOO"],
            "mkosi-chroot: --setenv: missing argument VALUE\n",
        ),
        (
            vec!["--bind=/a"],
            "mkosi-chroot: --bind: missing argument DST\n",
        ),
    ] {
        let mut cmd = command_as(who, &link);
        cmd.args(["--root", root.s()]).args(&args);
        let run = run_cmd(cmd);
        assert_eq!((run.code, run.stderr.as_str()), (2, line), "{args:?}");
    }
}

#[test]
fn messages_stay_on_one_line() {
    for who in everyone() {
        let run = sandbox(who, &["--debug", "--ro-bind", "/no\npe", "/x", "true"]);
        assert_eq!(run.code, 1);
        assert_eq!(
            run.stderr,
            "+ --ro-bind /no\\npe /x\nmkosi-sandbox: --ro-bind /no\\npe /x: /no\\npe: No such file or directory\n",
            "{who:?}"
        );
        let run = sandbox(who, &["--setenv", "A\n=B", "v"]);
        assert_eq!(run.code, 2);
        assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    }
}

#[test]
fn same_dir_failure_names_same_dir() {
    let who = unprivileged();
    let dir = TempDir::new(who);
    let mut cmd = command_as(who, bin());
    cmd.args(with_usr(&["--same-dir", "true"]))
        .current_dir(dir.path());
    let run = run_cmd(cmd);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with(&format!("mkosi-sandbox: --same-dir: {}: ", dir.s())),
        "{run:?}"
    );
}

#[test]
fn dot_dot_in_sources_is_resolved_by_the_kernel() {
    for who in everyone() {
        let dir = TempDir::new(who);
        std::os::unix::fs::symlink("/usr/share", dir.join("lnk")).unwrap();
        let src = format!("{}/lnk/..", dir.s());
        let run = sandbox(
            who,
            &with_usr(&[
                "--ro-bind",
                &src,
                "/x",
                "sh",
                "-c",
                "test -d /x/share && test -d /x/bin && echo usr",
            ]),
        );
        assert_eq!(
            run.ok(),
            "usr\n",
            "{who:?}: lnk/.. is the parent of the link's target, as for ls"
        );
    }
}

#[test]
fn forty_thousand_environment_changes() {
    let mut a = usr();
    for i in 0..40_000 {
        a.extend([
            "--setenv".to_string(),
            format!("V{}", i % 20_000),
            i.to_string(),
        ]);
    }
    a.extend(
        [
            "--unsetenv",
            "V7",
            "sh",
            "-c",
            "echo $V0 $V19999 ${V7-unset}",
        ]
        .map(String::from),
    );
    let run = sandbox(unprivileged(), &a);
    assert_eq!(run.ok(), "20000 39999 unset\n");
}

#[test]
fn deep_destinations_on_a_small_stack() {
    for who in everyone() {
        let deep: String = "/a".repeat(2040);
        let mut cmd = command_as(who, "prlimit");
        cmd.args(["--stack=262144", "--"])
            .arg(bin())
            .args(with_usr(&[
                "--dir",
                &deep,
                "sh",
                "-c",
                "cd /a/a/a && echo deep",
            ]));
        let run = run_cmd(cmd);
        assert_eq!(run.ok(), "deep\n", "{who:?}");
    }
}

#[test]
fn command_line_oddities() {
    let who = unprivileged();
    for (args, code, line) in [
        (
            &["-"][..],
            2,
            "mkosi-sandbox: unknown option '-' (see --help)\n",
        ),
        (
            &["--version=1"][..],
            2,
            "mkosi-sandbox: --version: takes no argument\n",
        ),
        (
            &["--help=x"][..],
            2,
            "mkosi-sandbox: --help: takes no argument\n",
        ),
        (
            &["--install", ""][..],
            2,
            "mkosi-sandbox: --install takes exactly one non-empty DIR\n",
        ),
        (
            &["--install", "/tmp", "extra"][..],
            2,
            "mkosi-sandbox: --install takes exactly one non-empty DIR\n",
        ),
    ] {
        let run = sandbox(who, args);
        assert_eq!((run.code, run.stderr.as_str()), (code, line), "{args:?}");
    }
    // A `+` source without a leading slash is still inside the sandbox.
    let mut cmd = command_as(who, bin());
    cmd.args(with_usr(&[
        "--bind", "+usr/bin", "/b", "test", "-x", "/b/sh",
    ]))
    .current_dir("/tmp");
    run_cmd(cmd).ok();
}

#[test]
fn legacy_overlay_refuses_more_layers_than_fit() {
    let who = unprivileged();
    let dir = TempDir::new(who);
    let long = "l".repeat(40);
    let mut args: Vec<String> = vec!["--bind".into(), "/".into(), "/".into()];
    for i in 0..500 {
        let layer = dir.join(&format!("{long}{i}"));
        std::fs::create_dir(&layer).unwrap();
        args.extend(["--overlay-lowerdir".into(), path_str(&layer).to_string()]);
    }
    args.extend(["--overlay", "/mnt", "true"].map(String::from));
    let mut cmd = command_as(who, bin());
    cmd.args(&args).env("MKOSI_SANDBOX_OVERLAY", "legacy");
    let run = run_cmd(cmd);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "mkosi-sandbox: --overlay /mnt: overlay: overlayfs: 500 layers do not fit"
        ),
        "{run:?}"
    );
    assert!(!Path::new("/mnt/l").exists());
}

#[test]
fn an_ignored_sigpipe_stays_ignored() {
    let who = unprivileged();
    let mut cmd = command_as(who, bin());
    cmd.args(with_usr(&[
        "--proc",
        "/proc",
        "grep",
        "SigIgn",
        "/proc/self/status",
    ]));
    // SAFETY: signal() is async-signal-safe.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
            Ok(())
        });
    }
    let run = run_cmd(cmd);
    let mask =
        u64::from_str_radix(run.ok().trim().trim_start_matches("SigIgn:").trim(), 16).unwrap();
    assert_ne!(
        mask & (1 << (libc::SIGPIPE - 1)),
        0,
        "the caller's choice is kept"
    );
}

#[test]
fn covered_binds_never_go_through_symlinks() {
    for who in everyone() {
        // /x/abssub is a symlink into a read-write bind: the read-only bind asked for it
        // must still be made, so writing there fails.
        let dir = TempDir::new(who);
        std::fs::create_dir_all(dir.join("src/sub")).unwrap();
        std::os::unix::fs::symlink(dir.join("src/sub"), dir.join("src/abssub")).unwrap();
        let (src, sub, abssub) = (dir.sj("src"), dir.sj("src/sub"), dir.sj("src/abssub"));
        let run = sandbox(
            who,
            &with_usr(&[
                "--bind",
                &sub,
                &sub,
                "--ro-bind",
                &src,
                "/x",
                "--ro-bind",
                &abssub,
                "/x/abssub",
                "touch",
                "/x/abssub/t",
            ]),
        );
        assert_eq!(run.code, 1, "{who:?}: {run:?}");
        assert!(run.stderr.contains("Read-only file system"), "{run:?}");
        assert!(!dir.join("src/sub/t").exists());
    }
}

#[test]
fn descriptor_links_as_sources() {
    for who in everyone() {
        let dir = TempDir::new(who);
        std::fs::write(dir.join("file"), "by fd").unwrap();
        std::fs::create_dir_all(dir.join("d/sub")).unwrap();
        std::fs::write(dir.join("d/sub/g"), "below").unwrap();
        let file = std::fs::File::open(dir.join("file")).unwrap();
        let d = std::fs::File::open(dir.join("d")).unwrap();
        use std::os::fd::AsRawFd;
        let mut cmd = command_with_fds(who, bin(), vec![(file.as_raw_fd(), 7), (d.as_raw_fd(), 8)]);
        cmd.args(with_usr(&[
            "--ro-bind",
            "/proc/self/fd/7",
            "/f",
            "--ro-bind",
            "/dev/fd/8/sub",
            "/s",
            "sh",
            "-c",
            "cat /f /s/g",
        ]));
        assert_eq!(run_cmd(cmd).ok(), "by fdbelow", "{who:?}");
    }
}

#[test]
fn chroot_names_a_missing_root() {
    let who = unprivileged();
    let link = applet_link("mkosi-chroot");
    let mut cmd = command_as(who, &link);
    cmd.args(["--root", "/nonexistent-root", "true"]);
    let run = run_cmd(cmd);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("mkosi-chroot: --root /nonexistent-root: /nonexistent-root: "),
        "{run:?}"
    );
    let mut cmd = command_as(who, &link);
    cmd.arg("true").env("BUILDROOT", "/nonexistent-root");
    let run = run_cmd(cmd);
    assert!(
        run.stderr
            .starts_with("mkosi-chroot: $BUILDROOT /nonexistent-root: "),
        "{run:?}"
    );
}
