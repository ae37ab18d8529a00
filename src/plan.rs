//! Filesystem operations as values, and the pure step that orders and trims them.
//!
//! Nothing here touches the kernel: [`optimize`] is unit-tested without privileges.

use std::cmp::Ordering;

/// The upper layer of an overlay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Upper {
    /// A fresh tmpfs holding both the upper and the work directory.
    Tmpfs,
    Dir(Vec<u8>),
}

/// What an operation does at its destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Tmpfs,
    Dev,
    Proc,
    Dir,
    /// `covered`: a bind of a parent directory probably shows the same already (see
    /// [`optimize`]); the executor checks that and skips the mount.
    Bind {
        src: Vec<u8>,
        relative: bool,
        readonly: bool,
        required: bool,
        nofollow: bool,
        covered: bool,
    },
    Symlink {
        target: Vec<u8>,
    },
    Write {
        data: Vec<u8>,
    },
    Overlay {
        lower: Vec<Vec<u8>>,
        upper: Option<Upper>,
        work: Option<Vec<u8>>,
    },
}

/// One filesystem operation: what to do, where (an absolute, normalized path inside the
/// sandbox), and the option that asked for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsOp {
    pub kind: Kind,
    pub dst: Vec<u8>,
    pub option: &'static str,
}

impl FsOp {
    /// The operation as the user typed it, e.g. `--ro-bind /usr /usr`; used by `--debug` and
    /// as the first part of error messages.
    pub fn describe(&self) -> Vec<u8> {
        let mut out = self.option.as_bytes().to_vec();
        let mut arg = |a: &[u8]| {
            out.push(b' ');
            out.extend_from_slice(a);
        };
        match &self.kind {
            Kind::Bind {
                src,
                relative: true,
                ..
            } => arg(&[b"+", src.as_slice()].concat()),
            Kind::Bind { src, .. } => arg(src),
            Kind::Symlink { target } => arg(target),
            Kind::Write { data } => arg(&quote(data)),
            _ => {}
        }
        arg(&self.dst);
        out
    }

    fn is_bind(&self) -> bool {
        matches!(self.kind, Kind::Bind { .. })
    }

    fn is_relative_bind(&self) -> bool {
        matches!(self.kind, Kind::Bind { relative: true, .. })
    }

    /// Whether the operation puts a mount at its destination (`--dir` and `--write` do not).
    fn mounts(&self) -> bool {
        !matches!(self.kind, Kind::Dir | Kind::Write { .. })
    }
}

/// Shows DATA of `--write` in messages without letting it span lines.
fn quote(data: &[u8]) -> Vec<u8> {
    const MAX: usize = 40;
    let mut out = b"'".to_vec();
    for &b in data.iter().take(MAX) {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\'' => out.extend_from_slice(b"\\'"),
            _ => out.push(b),
        }
    }
    if data.len() > MAX {
        out.extend_from_slice(b"...");
    }
    out.push(b'\'');
    out
}

/// Compares two absolute paths component by component, so that a directory's whole subtree
/// sorts right after it (`/usr`, `/usr/lib`, `/usr-x`).
pub fn cmp_paths(a: &[u8], b: &[u8]) -> Ordering {
    let parts = |p| <[u8]>::split(p, |&c| c == b'/').filter(|s| !s.is_empty());
    parts(a).cmp(parts(b))
}

/// Whether `child` is `parent` or lies below it; returns the rest of `child` (empty or
/// starting with `/`).
pub fn strip_ancestor<'a>(parent: &[u8], child: &'a [u8]) -> Option<&'a [u8]> {
    if parent == b"/" {
        return Some(if child == b"/" { b"" } else { child });
    }
    let rest = child.strip_prefix(parent)?;
    (rest.is_empty() || rest.starts_with(b"/")).then_some(rest)
}

/// Orders the operations for execution and marks binds that likely change nothing.
///
/// Destinations run parents before children; operations on one destination keep their
/// command-line order, except that binds come after the other kinds; `+` binds run last. A
/// bind whose source and destination sit at the same relative position inside an earlier
/// bind with the same flags is marked `covered`, unless another mount lies between the
/// two. Text alone cannot see symlinks or missing sources, so a covered bind is not
/// dropped here: the executor skips it once it has seen the same file at its destination.
pub fn optimize(mut ops: Vec<FsOp>) -> Vec<FsOp> {
    ops.sort_by(|a, b| {
        a.is_relative_bind()
            .cmp(&b.is_relative_bind())
            .then_with(|| cmp_paths(&a.dst, &b.dst))
            .then_with(|| a.is_bind().cmp(&b.is_bind()))
    });

    // Mounts that are ancestors (or the same path) of the operation being looked at, nearest
    // last. Sorted order keeps each subtree together, so a stack suffices.
    let mut covering: Vec<usize> = Vec::new();
    for i in 0..ops.len() {
        while let Some(&top) = covering.last() {
            if strip_ancestor(&ops[top].dst, &ops[i].dst).is_some() {
                break;
            }
            covering.pop();
        }
        let is_covered = covering
            .last()
            .is_some_and(|&top| redundant(&ops[top], &ops[i]));
        if let Kind::Bind { covered, .. } = &mut ops[i].kind {
            *covered = is_covered;
        }
        if ops[i].mounts() && !is_covered {
            covering.push(i);
        }
    }
    ops
}

/// Whether the operation is a bind that [`optimize`] marked as covered by its parent's.
pub fn is_covered(op: &FsOp) -> bool {
    matches!(op.kind, Kind::Bind { covered: true, .. })
}

/// Whether `child` binds exactly what `parent`, a bind of an ancestor directory, shows there.
fn redundant(parent: &FsOp, child: &FsOp) -> bool {
    let (
        Kind::Bind {
            src: psrc,
            relative: false,
            readonly: pro,
            nofollow: false,
            ..
        },
        Kind::Bind {
            src: csrc,
            relative: false,
            readonly: cro,
            nofollow: false,
            ..
        },
    ) = (&parent.kind, &child.kind)
    else {
        return false;
    };
    if pro != cro || parent.dst == child.dst {
        return false;
    }
    let (Some(dst_rest), Some(src_rest)) = (
        strip_ancestor(&parent.dst, &child.dst),
        strip_ancestor(psrc, csrc),
    ) else {
        return false;
    };
    dst_rest == src_rest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bind(src: &str, dst: &str, readonly: bool) -> FsOp {
        FsOp {
            kind: Kind::Bind {
                src: src.into(),
                relative: false,
                readonly,
                required: true,
                nofollow: false,
                covered: false,
            },
            dst: dst.into(),
            option: if readonly { "--ro-bind" } else { "--bind" },
        }
    }

    fn op(kind: Kind, dst: &str) -> FsOp {
        FsOp {
            kind,
            dst: dst.into(),
            option: "--x",
        }
    }

    /// The operations that will mount for sure, as the user typed them.
    fn dsts(ops: &[FsOp]) -> Vec<String> {
        ops.iter()
            .filter(|o| !is_covered(o))
            .map(|o| String::from_utf8_lossy(&o.describe()).into_owned())
            .collect()
    }

    #[test]
    fn parents_before_children_and_binds_last_on_one_destination() {
        let ops = vec![
            bind("/a", "/usr/lib", false),
            op(Kind::Tmpfs, "/usr"),
            bind("/b", "/usr", false),
            op(Kind::Dir, "/usr"),
            op(Kind::Tmpfs, "/usr-x"),
        ];
        let out = optimize(ops);
        assert_eq!(
            dsts(&out),
            [
                "--x /usr",
                "--x /usr",
                "--bind /b /usr",
                "--bind /a /usr/lib",
                "--x /usr-x"
            ]
        );
        assert_eq!(out[0].kind, Kind::Tmpfs);
        assert_eq!(out[1].kind, Kind::Dir);
    }

    #[test]
    fn relative_binds_run_last() {
        let mut plus = bind("/usr/lib", "/lib", false);
        plus.kind = Kind::Bind {
            src: b"/usr/lib".to_vec(),
            relative: true,
            readonly: false,
            required: true,
            nofollow: false,
            covered: false,
        };
        let out = optimize(vec![
            plus,
            bind("/usr", "/usr", false),
            op(Kind::Tmpfs, "/z"),
        ]);
        assert_eq!(
            dsts(&out),
            ["--bind /usr /usr", "--x /z", "--bind +/usr/lib /lib"]
        );
    }

    #[test]
    fn covered_bind_is_marked_and_kept_for_checking() {
        let out = optimize(vec![
            bind("/usr/lib", "/usr/lib", true),
            bind("/usr", "/usr", true),
            op(Kind::Dir, "/usr/share"),
        ]);
        assert_eq!(dsts(&out), ["--ro-bind /usr /usr", "--x /usr/share"]);
        assert_eq!(out.len(), 3);
        assert!(is_covered(&out[1]));
    }

    #[test]
    fn bind_at_another_relative_position_is_kept() {
        let out = optimize(vec![
            bind("/usr", "/usr", false),
            bind("/opt/lib", "/usr/lib", false),
        ]);
        assert_eq!(dsts(&out).len(), 2);
        let out = optimize(vec![bind("/", "/", false), bind("/usr", "/x/usr", false)]);
        assert_eq!(dsts(&out).len(), 2);
    }

    #[test]
    fn bind_under_root_bind_is_dropped() {
        let out = optimize(vec![bind("/", "/", false), bind("/home", "/home", false)]);
        assert_eq!(dsts(&out), ["--bind / /"]);
    }

    #[test]
    fn different_flags_keep_both() {
        let out = optimize(vec![
            bind("/usr", "/usr", true),
            bind("/usr/lib", "/usr/lib", false),
        ]);
        assert_eq!(dsts(&out).len(), 2);
    }

    #[test]
    fn mount_in_between_keeps_the_child() {
        let out = optimize(vec![
            bind("/usr", "/usr", false),
            op(Kind::Tmpfs, "/usr/lib"),
            bind("/usr/lib/x", "/usr/lib/x", false),
        ]);
        assert_eq!(dsts(&out).len(), 3);
    }

    #[test]
    fn unrelated_sibling_mount_does_not_keep_the_child() {
        let out = optimize(vec![
            bind("/usr", "/usr", false),
            op(Kind::Tmpfs, "/usr/share"),
            bind("/usr/lib", "/usr/lib", false),
        ]);
        assert_eq!(dsts(&out), ["--bind /usr /usr", "--x /usr/share"]);
    }

    #[test]
    fn path_helpers() {
        assert_eq!(strip_ancestor(b"/usr", b"/usr/lib"), Some(&b"/lib"[..]));
        assert_eq!(strip_ancestor(b"/usr", b"/usr"), Some(&b""[..]));
        assert_eq!(strip_ancestor(b"/usr", b"/usr-x"), None);
        assert_eq!(strip_ancestor(b"/", b"/etc"), Some(&b"/etc"[..]));
        assert_eq!(cmp_paths(b"/usr/lib", b"/usr-x"), Ordering::Less);
        assert_eq!(cmp_paths(b"/usr", b"/usr/lib"), Ordering::Less);
    }

    #[test]
    fn write_data_is_quoted_on_one_line() {
        let w = FsOp {
            kind: Kind::Write {
                data: b"a\nb'c".to_vec(),
            },
            dst: b"/f".to_vec(),
            option: "--write",
        };
        assert_eq!(w.describe(), b"--write 'a\\nb\\'c' /f".to_vec());
    }
}
