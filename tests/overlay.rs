//! Overlay mounts through the new mount API and through the pre-6.8 option string.

mod common;

use common::*;
use std::path::Path;

/// The two ways overlays are mounted: `lowerdir+` one layer at a time, and the escaped
/// option string that kernels before 6.8 need (forced here on a newer kernel).
const MODES: [Option<&str>; 2] = [None, Some("legacy")];

fn overlay_run(who: Who, mode: Option<&str>, args: &[String]) -> Run {
    let mut cmd = command_as(who, bin());
    cmd.args(["--bind", "/", "/"]).args(args);
    if let Some(m) = mode {
        cmd.env("MKOSI_SANDBOX_OVERLAY", m);
    }
    run_cmd(cmd)
}

/// Makes `dir/name` with a file `f` holding `content`, owned by `who`.
fn layer(who: Who, dir: &TempDir, name: &str, files: &[(&str, &str)]) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    for (f, content) in files {
        std::fs::write(path.join(f), content).unwrap();
    }
    chown_tree(who, &path);
    path_str(&path).to_string()
}

fn chown_tree(who: Who, path: &Path) {
    let (uid, gid) = ids(who);
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).unwrap();
    if path.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            chown_tree(who, &e.unwrap().path());
        }
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn layer_order_bottom_first() {
    for who in everyone() {
        for mode in MODES {
            let dir = TempDir::new(who);
            let bottom = layer(
                who,
                &dir,
                "bottom",
                &[("f", "bottom"), ("only-bottom", "b")],
            );
            let top = layer(who, &dir, "top", &[("f", "top")]);
            let run = overlay_run(
                who,
                mode,
                &s(&[
                    "--overlay-lowerdir",
                    &bottom,
                    "--overlay-lowerdir",
                    &top,
                    "--overlay",
                    "/mnt",
                    "cat",
                    "/mnt/f",
                    "/mnt/only-bottom",
                ]),
            );
            assert_eq!(run.ok(), "topb", "{who:?} {mode:?}");
        }
    }
}

#[test]
fn writes_land_in_the_upper_dir_or_vanish_with_tmpfs() {
    for who in everyone() {
        for mode in MODES {
            let dir = TempDir::new(who);
            let lower = layer(who, &dir, "lower", &[("f", "lower")]);
            let upper = layer(who, &dir, "upper", &[]);
            let work = layer(who, &dir, "work", &[]);
            let run = overlay_run(
                who,
                mode,
                &s(&[
                    "--overlay-lowerdir",
                    &lower,
                    "--overlay-upperdir",
                    &upper,
                    "--overlay-workdir",
                    &work,
                    "--overlay",
                    "/mnt",
                    "sh",
                    "-c",
                    "echo new > /mnt/g && echo changed > /mnt/f && cat /mnt/f",
                ]),
            );
            assert_eq!(run.ok(), "changed\n", "{who:?} {mode:?}");
            assert_eq!(
                std::fs::read_to_string(dir.join("upper/g")).unwrap(),
                "new\n"
            );
            assert_eq!(
                std::fs::read_to_string(dir.join("upper/f")).unwrap(),
                "changed\n"
            );
            assert_eq!(
                std::fs::read_to_string(dir.join("lower/f")).unwrap(),
                "lower",
                "the lower layer is untouched"
            );

            let run = overlay_run(
                who,
                mode,
                &s(&[
                    "--overlay-lowerdir",
                    &lower,
                    "--overlay-upperdir",
                    "tmpfs",
                    "--overlay",
                    "/mnt",
                    "sh",
                    "-c",
                    "echo x > /mnt/t && cat /mnt/t /mnt/f",
                ]),
            );
            assert_eq!(run.ok(), "x\nlower");
            assert!(!dir.join("lower/t").exists(), "tmpfs upper: writes vanish");
        }
    }
}

#[test]
fn without_upper_it_is_read_only() {
    for who in everyone() {
        for mode in MODES {
            let dir = TempDir::new(who);
            let a = layer(who, &dir, "a", &[("f", "a")]);
            let b = layer(who, &dir, "b", &[]);
            let run = overlay_run(
                who,
                mode,
                &s(&[
                    "--overlay-lowerdir",
                    &a,
                    "--overlay-lowerdir",
                    &b,
                    "--overlay",
                    "/mnt",
                    "sh",
                    "-c",
                    "cat /mnt/f; touch /mnt/new",
                ]),
            );
            assert_eq!(run.code, 1, "{who:?} {mode:?}");
            assert_eq!(run.stdout, "a");
            assert!(run.stderr.contains("Read-only file system"), "{run:?}");
        }
    }
}

#[test]
fn odd_characters_in_every_role() {
    for who in everyone() {
        for mode in MODES {
            let dir = TempDir::new(who);
            let a = layer(who, &dir, "low,er:one two", &[("f", "a"), ("only-a", "a")]);
            let b = layer(who, &dir, "low\\er:two,", &[("f", "b")]);
            let upper = layer(who, &dir, "up,per:dir\\ x", &[]);
            let work = layer(who, &dir, "wo:rk,dir\\ x", &[]);
            let run = overlay_run(
                who,
                mode,
                &s(&[
                    "--overlay-lowerdir",
                    &a,
                    "--overlay-lowerdir",
                    &b,
                    "--overlay-upperdir",
                    &upper,
                    "--overlay-workdir",
                    &work,
                    "--tmpfs",
                    "/run",
                    "--overlay",
                    "/run/o, :x",
                    "sh",
                    "-c",
                    "cat '/run/o, :x/f' '/run/o, :x/only-a'; echo w > '/run/o, :x/w'",
                ]),
            );
            assert_eq!(run.ok(), "ba", "{who:?} {mode:?}");
            assert_eq!(
                std::fs::read_to_string(dir.join("up,per:dir\\ x/w")).unwrap(),
                "w\n"
            );
        }
    }
}

#[test]
fn a_hundred_layers() {
    for who in everyone() {
        for mode in MODES {
            let dir = TempDir::new(who);
            let mut args = Vec::new();
            for i in 0..100 {
                let l = layer(
                    who,
                    &dir,
                    &format!("l{i}"),
                    &[(&format!("f{i}"), &i.to_string()), ("top", &i.to_string())],
                );
                args.extend(["--overlay-lowerdir".to_string(), l]);
            }
            args.extend(s(&[
                "--overlay",
                "/mnt",
                "cat",
                "/mnt/top",
                "/mnt/f0",
                "/mnt/f57",
            ]));
            let run = overlay_run(who, mode, &args);
            assert_eq!(run.ok(), "99057", "{who:?} {mode:?}");
        }
    }
}

#[test]
fn refusals_name_the_reason() {
    let who = unprivileged();
    let dir = TempDir::new(who);
    let lower = layer(who, &dir, "lower", &[("f", "x")]);
    let upper = layer(who, &dir, "upper", &[]);
    let inner_upper = layer(who, &dir, "lower/inner", &[]);
    let work = layer(who, &dir, "work", &[]);
    let missing = dir.sj("missing");
    // /dev/shm is a tmpfs of its own: a different mount from the test directory.
    let shm_work =
        TempDir(Path::new("/dev/shm").join(format!("mkosi-sandbox-test-{}", std::process::id())));
    std::fs::create_dir_all(shm_work.path()).unwrap();
    chown_tree(who, shm_work.path());

    let cases: Vec<(Vec<String>, String)> = vec![
        (
            s(&["--overlay-lowerdir", &lower, "--overlay-upperdir", &upper, "--overlay-workdir", shm_work.s(), "--overlay", "/usr"]),
            "mkosi-sandbox: --overlay /usr: overlay: overlayfs: workdir and upperdir must reside under the same mount".into(),
        ),
        (
            s(&["--overlay-lowerdir", &lower, "--overlay-upperdir", &upper, "--overlay-workdir", &missing, "--overlay", "/usr"]),
            format!("mkosi-sandbox: --overlay /usr: {missing}: "),
        ),
        (
            s(&["--overlay-lowerdir", &missing, "--overlay-upperdir", "tmpfs", "--overlay", "/usr"]),
            format!("mkosi-sandbox: --overlay /usr: {missing}: "),
        ),
        (
            s(&["--overlay-lowerdir", &lower, "--overlay-upperdir", &inner_upper, "--overlay-workdir", &work, "--overlay", "/usr"]),
            "mkosi-sandbox: --overlay /usr: overlay: overlayfs: overlapping upperdir path".into(),
        ),
        (
            s(&["--overlay-lowerdir", &lower, "--overlay-upperdir", &upper, "--overlay", "/usr"]),
            "mkosi-sandbox: --overlay /usr: overlay: overlayfs: missing 'workdir'".into(),
        ),
    ];
    for (mut args, want) in cases {
        args.push("true".into());
        let run = sandbox(who, &args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(
            run.stderr.starts_with(&want),
            "{args:?}: {:?} should start with {want:?}",
            run.stderr
        );
    }
}

#[test]
fn debug_prints_layers_and_options() {
    let who = unprivileged();
    let dir = TempDir::new(who);
    let a = layer(who, &dir, "a", &[]);
    let b = layer(who, &dir, "b", &[]);
    let run = sandbox(
        who,
        &s(&[
            "--bind",
            "/",
            "/",
            "--debug",
            "--overlay-lowerdir",
            &a,
            "--overlay-lowerdir",
            &b,
            "--overlay-upperdir",
            "tmpfs",
            "--overlay",
            "/mnt",
            "true",
        ]),
    );
    run.ok();
    let want = format!("+ --overlay /mnt\n+   lowerdir {b}\n+   lowerdir {a}\n");
    assert!(run.stderr.contains(&want), "{:?}", run.stderr);
    assert!(run
        .stderr
        .contains("+   options userxattr,index=off,metacopy=off\n"));
}

#[test]
fn mkosi_style_tools_tree() {
    for who in everyone() {
        let dir = TempDir::new(who);
        let extra = layer(who, &dir, "extra", &[("mkosi-extra-file", "extra")]);
        for d in ["etc-upper", "etc-work", "var-upper", "var-work"] {
            layer(who, &dir, d, &[]);
        }
        let j = |p: &str| dir.sj(p);
        let run = sandbox(
            who,
            &s(&[
                "--overlay-lowerdir", "/usr", "--overlay-lowerdir", &extra, "--overlay", "/usr",
                "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
                "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                "--overlay-lowerdir", "/etc", "--overlay-upperdir", &j("etc-upper"), "--overlay-workdir", &j("etc-work"), "--overlay", "/etc",
                "--overlay-lowerdir", "/var", "--overlay-upperdir", &j("var-upper"), "--overlay-workdir", &j("var-work"), "--overlay", "/var",
                "--dev", "/dev", "--proc", "/proc",
                "sh", "-c", "ls /usr/bin/sh && cat /usr/mkosi-extra-file && echo && dpkg -S /usr/bin/dpkg && echo x > /etc/mkosi-test-file",
            ]),
        );
        assert_eq!(
            run.ok(),
            "/usr/bin/sh\nextra\ndpkg: /usr/bin/dpkg\n",
            "{who:?}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("etc-upper/mkosi-test-file")).unwrap(),
            "x\n"
        );
        assert!(!Path::new("/etc/mkosi-test-file").exists());
    }
}

#[test]
fn long_layer_paths() {
    for who in everyone() {
        for mode in MODES {
            // Past the 255 bytes an fsconfig value may hold, with the workspace prefix.
            let dir = TempDir::new(who);
            let deep = format!("{}/{}", "d".repeat(200), "e".repeat(100));
            let a = layer(
                who,
                &dir,
                &format!("{deep}/a"),
                &[("f", "a"), ("only-a", "a")],
            );
            let b = layer(who, &dir, &format!("{deep}/b"), &[("f", "b")]);
            let upper = layer(who, &dir, &format!("{deep}/upper"), &[]);
            let work = layer(who, &dir, &format!("{deep}/work"), &[]);
            chown_tree(who, dir.path());
            assert!(a.len() > 300);
            let run = overlay_run(
                who,
                mode,
                &s(&[
                    "--overlay-lowerdir",
                    &a,
                    "--overlay-lowerdir",
                    &b,
                    "--overlay-upperdir",
                    &upper,
                    "--overlay-workdir",
                    &work,
                    "--overlay",
                    "/mnt",
                    "sh",
                    "-c",
                    "cat /mnt/f /mnt/only-a; echo w > /mnt/w",
                ]),
            );
            assert_eq!(run.ok(), "ba", "{who:?} {mode:?}");
            assert_eq!(
                std::fs::read_to_string(format!("{upper}/w")).unwrap(),
                "w\n"
            );
        }
    }
}

#[test]
fn dot_dot_in_layer_paths_is_not_overlap() {
    let who = unprivileged();
    let dir = TempDir::new(who);
    layer(who, &dir, "l", &[("f", "l")]);
    layer(who, &dir, "l2", &[("g", "l2")]);
    layer(who, &dir, "u", &[]);
    layer(who, &dir, "w", &[]);
    let mut cmd = command_as(who, bin());
    cmd.args([
        "--bind",
        "/",
        "/",
        "--overlay-lowerdir",
        ".",
        "--overlay-lowerdir",
        "../w/../l2",
    ])
    .args([
        "--overlay-upperdir",
        "../u",
        "--overlay-workdir",
        "../w",
        "--overlay",
        "/mnt",
        "cat",
        "/mnt/f",
        "/mnt/g",
    ])
    .current_dir(dir.join("l"));
    assert_eq!(run_cmd(cmd).ok(), "ll2");
}
