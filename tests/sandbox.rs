//! The sandbox as the command inside sees it, checked against the real kernel, as root and
//! as an unprivileged user.

mod common;

use common::*;
use std::os::unix::fs::MetadataExt;

// ---------------------------------------------------------------------------------------
// The man page's examples, as printed there.

#[test]
fn man_page_example_usr_only_as_root_user() {
    for who in everyone() {
        let run = sandbox(
            who,
            &[
                "--ro-bind",
                "/usr",
                "/usr",
                "--symlink",
                "usr/bin",
                "/bin",
                "--symlink",
                "usr/lib",
                "/lib",
                "--symlink",
                "usr/lib64",
                "/lib64",
                "--symlink",
                "usr/sbin",
                "/sbin",
                "--dev",
                "/dev",
                "--proc",
                "/proc",
                "--tmpfs",
                "/tmp",
                "--become-root",
                "id",
            ],
        );
        assert_eq!(run.ok(), "uid=0 gid=0 groups=0\n", "{who:?}");
    }
}

#[test]
fn man_page_example_same_dir_unshare_net() {
    let who = unprivileged();
    let dir = TempDir::new(who);
    let mut cmd = command_as(who, bin());
    cmd.args(["--bind", "/", "/", "--same-dir", "--unshare-net"])
        .current_dir(dir.path());
    // With no command the sandbox runs bash; feed it a script on stdin.
    let run = run_with_stdin(cmd, b"pwd; grep -c : /proc/net/dev; exit 3\n");
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(
        run.stdout,
        format!("{}\n1\n", dir.s()),
        "cwd kept, only lo in the network namespace"
    );
}

// ---------------------------------------------------------------------------------------
// Identity and privileges.

#[test]
fn ids_inside() {
    for who in everyone() {
        let (uid, gid) = ids(who);
        let run = sandbox(who, &with_usr(&["id", "-u"]));
        assert_eq!(run.ok(), format!("{uid}\n"), "{who:?} keeps its uid");
        let run = sandbox(who, &with_usr(&["id", "-g"]));
        assert_eq!(run.ok(), format!("{gid}\n"));
        let run = sandbox(
            who,
            &with_usr(&["--become-root", "sh", "-c", "id -u; id -g"]),
        );
        assert_eq!(run.ok(), "0\n0\n", "{who:?} --become-root");
    }
}

#[test]
fn user_namespace_maps_one_id_and_denies_setgroups() {
    let who = unprivileged();
    let (uid, gid) = ids(who);
    let run = sandbox(
        who,
        &with_usr(&[
            "--proc",
            "/proc",
            "--become-root",
            "sh",
            "-c",
            "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups",
        ]),
    );
    let fields: Vec<String> = run.ok().split_whitespace().map(String::from).collect();
    assert_eq!(
        fields,
        [
            "0",
            &uid.to_string(),
            "1",
            "0",
            &gid.to_string(),
            "1",
            "deny"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Mounts.

fn mountinfo(run: &Run) -> Vec<(String, String)> {
    run.stdout
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[4].to_string(), f[5].to_string())
        })
        .collect()
}

#[test]
fn ro_bind_is_read_only_on_every_submount() {
    for who in everyone() {
        let run = sandbox(who, &["--ro-bind", "/", "/", "cat", "/proc/self/mountinfo"]);
        let mounts = mountinfo(&run);
        assert!(
            mounts.len() > 3,
            "the host's submounts come along: {mounts:?}"
        );
        for (point, opts) in &mounts {
            assert!(
                opts.split(',').any(|o| o == "ro"),
                "{who:?}: {point} is not read-only: {opts}"
            );
        }
        let run = sandbox(who, &["--ro-bind", "/", "/", "touch", "/usr/x"]);
        assert_eq!(run.code, 1);
        assert!(run.stderr.contains("Read-only file system"), "{run:?}");
    }
}

#[test]
fn bind_is_writable_and_writes_reach_the_host() {
    for who in everyone() {
        let dir = TempDir::new(who);
        let run = sandbox(
            who,
            &with_usr(&["--bind", dir.s(), "/data", "sh", "-c", "echo hi > /data/f"]),
        );
        run.ok();
        assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "hi\n");
    }
}

#[test]
fn tmpfs_dir_and_modes() {
    for who in everyone() {
        let run = sandbox(
            who,
            &with_usr(&[
                "--tmpfs",
                "/tmp",
                "--tmpfs",
                "/t",
                "--tmpfs",
                "/var/tmp",
                "--dir",
                "/a/b/c",
                "--dir",
                "/x/tmp",
                "--dir",
                "/y/var/tmp",
                "stat",
                "-c",
                "%a %n",
                "/tmp",
                "/t",
                "/var/tmp",
                "/a",
                "/a/b/c",
                "/x/tmp",
                "/y/var/tmp",
            ]),
        );
        assert_eq!(
            run.ok(),
            "1777 /tmp\n755 /t\n1777 /var/tmp\n755 /a\n755 /a/b/c\n1777 /x/tmp\n1777 /y/var/tmp\n",
            "{who:?}"
        );
        let run = sandbox(
            who,
            &with_usr(&[
                "--tmpfs",
                "/t",
                "--proc",
                "/proc",
                "grep",
                " /t ",
                "/proc/self/mountinfo",
            ]),
        );
        assert!(run.ok().contains(" - tmpfs "), "{run:?}");
    }
}

#[test]
fn owners_inside() {
    for who in everyone() {
        let run = sandbox(
            who,
            &with_usr(&[
                "--become-root",
                "--dir",
                "/d",
                "--write",
                "x",
                "/f",
                "stat",
                "-c",
                "%u:%g",
                "/d",
                "/f",
                "/usr",
            ]),
        );
        // Host files of ids outside the one-id map show as the overflow id.
        let usr = if who == Who::Root {
            "0:0"
        } else {
            "65534:65534"
        };
        assert_eq!(run.ok(), format!("0:0\n0:0\n{usr}\n"), "{who:?}");
    }
}

#[test]
fn proc_is_bound() {
    for who in everyone() {
        let run = sandbox(
            who,
            &with_usr(&[
                "--proc",
                "/proc",
                "sh",
                "-c",
                "echo $$; readlink /proc/self",
            ]),
        );
        let out = run.ok();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_ne!(lines[0], "", "{who:?}");
        let run = sandbox(
            who,
            &with_usr(&[
                "--proc",
                "/p",
                "sh",
                "-c",
                "test -r /p/self/status && echo ok",
            ]),
        );
        assert_eq!(run.ok(), "ok\n");
    }
}

#[test]
fn dev_has_exactly_the_basic_nodes() {
    let fuse = std::path::Path::new("/dev/fuse").exists();
    let mut expected = vec![
        "core", "fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout",
        "tty", "urandom", "zero",
    ];
    if fuse {
        expected.push("fuse");
    }
    expected.sort();
    for who in everyone() {
        let run = sandbox(who, &with_usr(&["--dev", "/dev", "ls", "-1", "/dev"]));
        let got: Vec<&str> = run.ok().lines().collect();
        assert_eq!(
            got, expected,
            "{who:?}: stderr is not a terminal, so there is no console"
        );
        let run = sandbox(
            who,
            &with_usr(&[
                "--dev",
                "/dev",
                "--proc",
                "/proc",
                "sh",
                "-c",
                "readlink /dev/stdin /dev/fd /dev/core /dev/ptmx; stat -c %a /dev/shm; \
                 echo x > /dev/null && head -c 3 /dev/zero | od -An -tx1; \
                 grep ' /dev/pts ' /proc/self/mountinfo",
            ]),
        );
        let out = run.ok();
        assert!(
            out.starts_with(
                "/proc/self/fd/0\n/proc/self/fd\n/proc/kcore\npts/ptmx\n1777\n 00 00 00\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("devpts") && out.contains("mode=620") && out.contains("ptmxmode=666"),
            "{out}"
        );
    }
}

#[test]
fn symlink_three_cases() {
    for who in everyone() {
        let dir = TempDir::new(who);
        std::fs::write(dir.join("file"), "content").unwrap();
        std::os::unix::fs::symlink("elsewhere", dir.join("link")).unwrap();
        std::os::unix::fs::symlink("target", dir.join("same")).unwrap();
        if who == Who::User {
            for n in ["file", "link", "same"] {
                let (uid, gid) = ids(who);
                std::os::unix::fs::lchown(dir.join(n), Some(uid), Some(gid)).unwrap();
            }
        }
        let run = sandbox(
            who,
            &with_usr(&[
                "--bind",
                dir.s(),
                "/d",
                "--symlink",
                "target",
                "/new/link",
                "--symlink",
                "target",
                "/d/same",
                "--symlink",
                "over-file",
                "/d/file",
                "--symlink",
                "over-link",
                "/d/link",
                "readlink",
                "/new/link",
                "/d/same",
                "/d/file",
                "/d/link",
            ]),
        );
        assert_eq!(
            run.ok(),
            "target\ntarget\nover-file\nover-link\n",
            "{who:?}"
        );
        // The host's files are untouched: the links were mounted on top inside.
        assert_eq!(
            std::fs::read_to_string(dir.join("file")).unwrap(),
            "content"
        );
        assert_eq!(
            std::fs::read_link(dir.join("link")).unwrap().to_str(),
            Some("elsewhere")
        );
    }
}

#[test]
fn write_creates_file_and_parents() {
    for who in everyone() {
        let run = sandbox(
            who,
            &with_usr(&["--write", "hello\nworld", "/a/b/f", "cat", "/a/b/f"]),
        );
        assert_eq!(run.ok(), "hello\nworld", "{who:?}");
        let run = sandbox(
            who,
            &with_usr(&["--write", "", "/e", "stat", "-c", "%s %a", "/e"]),
        );
        assert_eq!(run.ok(), "0 644\n");
    }
}

#[test]
fn bind_file_onto_missing_and_onto_symlink() {
    for who in everyone() {
        let dir = TempDir::new(who);
        std::fs::write(dir.join("src"), "data").unwrap();
        let src = dir.sj("src");
        let run = sandbox(
            who,
            &with_usr(&[
                "--symlink",
                "/nowhere",
                "/etc/conf",
                "--bind",
                &src,
                "/etc/conf",
                "--bind",
                &src,
                "/new/dir/file",
                "sh",
                "-c",
                "cat /etc/conf /new/dir/file; test -L /etc/conf || echo mounted-over",
            ]),
        );
        assert_eq!(run.ok(), "datadatamounted-over\n", "{who:?}");
    }
}

#[test]
fn relative_source_binds_inside_the_sandbox() {
    for who in everyone() {
        let run = sandbox(
            who,
            &with_usr(&[
                "--bind",
                "+/usr/bin",
                "/b",
                "--write",
                "x",
                "/w/f",
                "--bind",
                "+/w",
                "/w2",
                "sh",
                "-c",
                "test -x /b/sh && cat /w2/f",
            ]),
        );
        assert_eq!(run.ok(), "x", "{who:?}");
    }
}

#[test]
fn nofollow_binds_the_link_itself() {
    for who in everyone() {
        let dir = TempDir::new(who);
        std::fs::write(dir.join("real"), "real").unwrap();
        std::os::unix::fs::symlink("real-target-text", dir.join("link")).unwrap();
        let link = dir.sj("link");
        let run = sandbox(
            who,
            &with_usr(&["--bind-nofollow", &link, "/l", "readlink", "/l"]),
        );
        assert_eq!(run.ok(), "real-target-text\n", "{who:?}");
        let real = dir.sj("real");
        let run = sandbox(
            who,
            &with_usr(&["--ro-bind-nofollow", &real, "/r", "cat", "/r"]),
        );
        assert_eq!(run.ok(), "real");
    }
}

#[test]
fn try_binds_skip_missing_sources() {
    for who in everyone() {
        let run = sandbox(
            who,
            &with_usr(&[
                "--ro-bind-try",
                "/nope",
                "/x",
                "--bind-try",
                "/nope2",
                "/y",
                "sh",
                "-c",
                "test -e /x || test -e /y || echo absent",
            ]),
        );
        assert_eq!(run.ok(), "absent\n", "{who:?}");
        assert_eq!(run.stderr, "");
    }
}

#[test]
fn destination_symlink_stays_inside_the_new_root() {
    for who in everyone() {
        let dir = TempDir::new(who);
        std::fs::write(dir.join("f"), "inside").unwrap();
        // /x -> /etc inside the sandbox: the bind must land on the sandbox's /etc/y.
        let run = sandbox(
            who,
            &with_usr(&[
                "--dir",
                "/etc",
                "--symlink",
                "/etc",
                "/x",
                "--bind",
                &dir.sj("f"),
                "/x/mkosi-sandbox-test-y",
                "cat",
                "/etc/mkosi-sandbox-test-y",
            ]),
        );
        assert_eq!(run.ok(), "inside", "{who:?}");
        assert!(
            !std::path::Path::new("/etc/mkosi-sandbox-test-y").exists(),
            "nothing lands on the host"
        );
        // A relative symlink climbing out stops at the new root too.
        let run = sandbox(
            who,
            &with_usr(&[
                "--dir",
                "/etc",
                "--symlink",
                "../../../../etc",
                "/up",
                "--write",
                "w",
                "/up/mkosi-sandbox-test-z",
                "cat",
                "/etc/mkosi-sandbox-test-z",
            ]),
        );
        assert_eq!(run.ok(), "w");
        assert!(!std::path::Path::new("/etc/mkosi-sandbox-test-z").exists());
    }
}

#[test]
fn redundant_nested_bind_is_dropped_but_not_under_a_mount() {
    for who in everyone() {
        let count = |extra: &[&str]| -> usize {
            let mut a = vec!["--ro-bind", "/usr", "/usr"];
            a.extend_from_slice(extra);
            a.extend_from_slice(&[
                "--proc",
                "/proc",
                "--symlink",
                "usr/bin",
                "/bin",
                "--symlink",
                "usr/lib",
                "/lib",
                "--symlink",
                "usr/lib64",
                "/lib64",
            ]);
            a.extend_from_slice(&["grep", "-c", " /usr/share", "/proc/self/mountinfo"]);
            let run = sandbox(who, &a);
            run.stdout.trim().parse().unwrap_or(0)
        };
        assert_eq!(
            count(&["--ro-bind", "/usr/share", "/usr/share"]),
            0,
            "{who:?}: covered by /usr"
        );
        assert_eq!(
            count(&["--bind", "/usr/share", "/usr/share"]),
            1,
            "other flags: kept"
        );
        assert_eq!(
            count(&[
                "--tmpfs",
                "/usr/share",
                "--ro-bind",
                "/usr/share/doc",
                "/usr/share/doc"
            ]),
            2,
            "a tmpfs between: kept"
        );
    }
}

#[test]
fn operations_run_in_destination_order() {
    for who in everyone() {
        // The tmpfs on /a is given last but mounted first: the file written below survives.
        let run = sandbox(
            who,
            &with_usr(&["--write", "x", "/a/b/f", "--tmpfs", "/a", "cat", "/a/b/f"]),
        );
        assert_eq!(run.ok(), "x", "{who:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Environment, working directory, namespaces, exit status.

#[test]
fn environment() {
    for who in everyone() {
        let mut cmd = command_as(who, bin());
        cmd.args(with_usr(&[
            "--setenv",
            "A",
            "1",
            "--setenv",
            "B",
            "x=y",
            "--setenv",
            "E",
            "",
            "--unsetenv",
            "GONE",
            "--unsetenv",
            "NEVER_SET",
            "--setenv",
            "A",
            "2",
            "sh",
            "-c",
            "echo \"$A|$B|${E-unset}|${GONE-unset}\"",
        ]));
        cmd.env("GONE", "here");
        let run = run_cmd(cmd);
        assert_eq!(run.ok(), "2|x=y||unset\n", "{who:?}");
    }
}

#[test]
fn working_directory() {
    for who in everyone() {
        let run = sandbox(who, &with_usr(&["--dir", "/w", "--chdir", "/w", "pwd"]));
        assert_eq!(run.ok(), "/w\n");
        let run = sandbox(who, &with_usr(&["pwd"]));
        assert_eq!(run.ok(), "/\n", "default is /");
        let dir = TempDir::new(who);
        let mut cmd = command_as(who, bin());
        cmd.args(["--bind", "/", "/", "--chdir", "/", "--same-dir", "pwd"])
            .current_dir(dir.path());
        assert_eq!(
            run_cmd(cmd).ok(),
            format!("{}\n", dir.s()),
            "the later of the two wins"
        );
        let mut cmd = command_as(who, bin());
        cmd.args(["--bind", "/", "/", "--same-dir", "--chdir", "usr", "pwd"])
            .current_dir("/");
        assert_eq!(
            run_cmd(cmd).ok(),
            "/usr\n",
            "relative --chdir is made absolute"
        );
    }
}

fn ns(kind: &str) -> String {
    std::fs::read_link(format!("/proc/self/ns/{kind}"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn namespaces() {
    for who in everyone() {
        let run = sandbox(
            who,
            &with_usr(&[
                "--proc",
                "/proc",
                "--unshare-ipc",
                "--unshare-net",
                "readlink",
                "/proc/self/ns/ipc",
                "/proc/self/ns/net",
                "/proc/self/ns/mnt",
            ]),
        );
        let out = run.ok();
        let got: Vec<&str> = out.lines().collect();
        assert_ne!(got[0], ns("ipc"), "{who:?}");
        assert_ne!(got[1], ns("net"));
        assert_ne!(got[2], ns("mnt"));
        let run = sandbox(
            who,
            &with_usr(&[
                "--proc",
                "/proc",
                "readlink",
                "/proc/self/ns/ipc",
                "/proc/self/ns/net",
            ]),
        );
        let out = run.ok();
        let got: Vec<&str> = out.lines().collect();
        assert_eq!(
            got,
            [ns("ipc"), ns("net")],
            "without the options the host's"
        );
    }
}

#[test]
fn exit_status_and_signals_pass_through() {
    for who in everyone() {
        assert_eq!(sandbox(who, &with_usr(&["sh", "-c", "exit 7"])).code, 7);
        assert_eq!(
            sandbox(who, &with_usr(&["sh", "-c", "kill -TERM $$"])).code,
            128 + 15,
            "{who:?}"
        );
    }
}

#[test]
fn exec_in_place_keeps_the_pid() {
    let who = unprivileged();
    let mut cmd = command_as(who, bin());
    cmd.args(with_usr(&["sleep", "30"]));
    let _g = shared_host();
    let before = host_mounts();
    let mut child = cmd.spawn().unwrap();
    // Whoever was spawned (setpriv execs too) ends up being the command itself.
    let pid = child.id();
    let mut comm = String::new();
    for _ in 0..200 {
        comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "sleep" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(comm.trim(), "sleep");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGTERM));
    assert_eq!(before, host_mounts());
}

#[test]
fn command_not_found_and_not_executable() {
    for who in everyone() {
        let run = sandbox(who, &with_usr(&["no-such-command-here"]));
        assert_eq!(run.code, 127);
        assert!(
            run.stderr
                .starts_with("mkosi-sandbox: execvp no-such-command-here: "),
            "{run:?}"
        );
        assert_eq!(run.stderr.lines().count(), 1);
        let run = sandbox(
            who,
            &with_usr(&["--write", "#!/bin/sh\n", "/script", "/script"]),
        );
        assert_eq!(run.code, 126, "{who:?}");
        assert!(
            run.stderr.starts_with("mkosi-sandbox: execvp /script: "),
            "{run:?}"
        );
    }
}

#[test]
fn default_command_is_bash() {
    for who in everyone() {
        let mut cmd = command_as(who, bin());
        cmd.args(usr()).env("PS1", "");
        let run = run_with_stdin(cmd, b"echo $BASH_VERSION | cut -c1\n");
        assert!(run.ok().trim().parse::<u32>().is_ok(), "{who:?}: {run:?}");
    }
}

#[test]
fn debug_prints_each_step() {
    let run = sandbox(
        unprivileged(),
        &with_usr(&["--debug", "--tmpfs", "/t", "true"]),
    );
    run.ok();
    assert!(run.stderr.contains("+ --ro-bind /usr /usr\n"), "{run:?}");
    assert!(run.stderr.contains("+ --tmpfs /t\n"));
    assert!(run.stderr.contains("+ --symlink usr/bin /bin\n"));
}

// ---------------------------------------------------------------------------------------
// Bad input: the exact line and status.

fn bad(args: &[&str], code: i32, line: &str) {
    for who in everyone() {
        let run = sandbox(who, args);
        assert_eq!(run.code, code, "{who:?} {args:?}: {run:?}");
        assert_eq!(run.stdout, "");
        let first = run.stderr.lines().next().unwrap_or("");
        assert!(
            first.starts_with(line),
            "{who:?} {args:?}: {:?} does not start with {line:?}",
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    }
}

#[test]
fn bad_input() {
    bad(
        &["--frobnicate"],
        2,
        "mkosi-sandbox: unknown option '--frobnicate' (see --help)",
    );
    bad(
        &["--bind", "/usr"],
        2,
        "mkosi-sandbox: --bind: missing argument DST",
    );
    bad(
        &["--tmpfs"],
        2,
        "mkosi-sandbox: --tmpfs: missing argument DST",
    );
    bad(
        &["--dir", ""],
        2,
        "mkosi-sandbox: --dir: DST must not be empty",
    );
    bad(
        &["--setenv", "A=B", "c"],
        2,
        "mkosi-sandbox: --setenv: invalid variable name 'A=B'",
    );
    bad(
        &["--setenv", "", "c"],
        2,
        "mkosi-sandbox: --setenv: invalid variable name ''",
    );
    bad(
        &["--become-root=yes"],
        2,
        "mkosi-sandbox: --become-root: takes no argument",
    );
    bad(&["--overlay-lowerdir", "/usr"], 2, "mkosi-sandbox: --overlay-lowerdir, --overlay-upperdir and --overlay-workdir must be followed by --overlay DST");
    bad(
        &["--bind", "/nope", "/x", "true"],
        1,
        "mkosi-sandbox: --bind /nope /x: /nope: ",
    );
    bad(
        &["--ro-bind", "/nope", "/x", "true"],
        1,
        "mkosi-sandbox: --ro-bind /nope /x: /nope: ",
    );
    let mut a = usr();
    a.extend(["--dir", "/d", "--symlink", "t", "/d", "true"].map(String::from));
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    bad(&refs, 1, "mkosi-sandbox: --symlink t /d: /d: ");
    let mut a = usr();
    a.extend(["--chdir", "/missing", "true"].map(String::from));
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    bad(&refs, 1, "mkosi-sandbox: --chdir /missing: /missing: ");
}

#[test]
fn errno_text_comes_last() {
    let run = sandbox(unprivileged(), &["--bind", "/nope", "/x", "true"]);
    assert!(
        run.stderr.trim_end().ends_with("No such file or directory"),
        "{run:?}"
    );
}

#[test]
fn options_after_the_command_belong_to_it() {
    let run = sandbox(unprivileged(), &with_usr(&["echo", "--tmpfs", "/x"]));
    assert_eq!(run.ok(), "--tmpfs /x\n");
    let run = sandbox(unprivileged(), &with_usr(&["--", "echo", "-n", "a"]));
    assert_eq!(run.ok(), "a");
}

#[test]
fn relative_paths_are_made_absolute() {
    let who = unprivileged();
    let dir = TempDir::new(who);
    std::fs::write(dir.join("f"), "rel").unwrap();
    let mut cmd = command_as(who, bin());
    cmd.args(with_usr(&[
        "--bind",
        "f",
        "x/../g",
        "cat",
        &format!("{}/g", dir.s()),
    ]))
    .current_dir(dir.path());
    assert_eq!(run_cmd(cmd).ok(), "rel");
}

#[test]
fn help_and_version() {
    let run = sandbox(unprivileged(), &["--help"]);
    let out = run.ok();
    assert!(out.starts_with("Usage: mkosi-sandbox [OPTIONS...]"));
    for option in [
        "--tmpfs",
        "--ro-bind-try",
        "--overlay-upperdir",
        "--suppress-chown",
        "--pack-fds",
        "--unshare-net",
        "--unshare-ipc",
    ] {
        assert_eq!(
            out.lines()
                .filter(|l| l.trim_start().starts_with(&format!("{option} ")))
                .count(),
            1,
            "{option}"
        );
    }
    assert_eq!(sandbox(unprivileged(), &["-h"]).ok(), out);
    let run = sandbox(unprivileged(), &["--version"]);
    assert_eq!(
        run.ok(),
        format!("mkosi-sandbox {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn host_files_untouched_by_dirs_in_the_new_root() {
    for who in everyone() {
        let dir = TempDir::new(who);
        let before = std::fs::read_dir(dir.path()).unwrap().count();
        sandbox(
            who,
            &with_usr(&["--ro-bind", dir.s(), "/d", "--dir", "/x/y", "true"]),
        )
        .ok();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), before);
        let meta = std::fs::metadata(dir.path()).unwrap();
        assert_eq!(meta.mode() & 0o7777, 0o755);
    }
}
