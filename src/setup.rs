//! The setup sequence: privileges, seccomp, namespaces, workspace, operations, final pivot.
//!
//! Everything here runs in the calling process, which afterwards executes the command in
//! place: no helper process stays behind.

use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};

use linux_raw_sys::general as g;
use linux_raw_sys::prctl as pr;

use crate::cli::{self, Options};
use crate::error::Error;
use crate::plan::{self, FsOp, Kind, Upper};
use crate::seccomp;
use crate::sys::{self, Errno};

/// The capabilities that mean something inside a user namespace; the command keeps them.
const USERNS_CAPS: &[u32] = &[
    g::CAP_CHOWN,
    g::CAP_DAC_OVERRIDE,
    g::CAP_DAC_READ_SEARCH,
    g::CAP_FOWNER,
    g::CAP_FSETID,
    g::CAP_SETGID,
    g::CAP_SETUID,
    g::CAP_SETPCAP,
    g::CAP_SYS_CHROOT,
    g::CAP_SYS_PTRACE,
    g::CAP_SYS_ADMIN,
    g::CAP_SYS_RESOURCE,
    g::CAP_SETFCAP,
];
/// Kept too, but only with a network namespace of the sandbox's own.
const NETNS_CAPS: &[u32] = &[g::CAP_NET_BIND_SERVICE, g::CAP_NET_ADMIN];

/// Builds a C string from a path or name that the parser already checked for NUL bytes.
pub fn c(bytes: &[u8]) -> CString {
    CString::new(bytes).expect("paths never contain NUL bytes")
}

fn setup_err(errno: Errno, op: &'static str, path: &[u8]) -> Error {
    Error::new(Vec::new(), errno).op(op).path(path)
}

fn has_cap(data: &[g::__user_cap_data_struct; 2], cap: u32) -> bool {
    data[(cap / 32) as usize].effective & (1 << (cap % 32)) != 0
}

/// What the privilege step decided.
struct Privileges {
    userns: bool,
    net: bool,
}

/// Sets the sandbox up in the calling process, up to and including the working directory.
/// The caller then applies the environment and runs the command.
pub fn enter(opts: &Options) -> Result<(), Error> {
    let privileges = acquire_privileges(opts)?;

    // A real root with a full map can chown for real; filtering it is only needed where
    // one uid is all there is.
    let chown = opts.suppress_chown && (privileges.userns || maps_single_uid());
    if chown || opts.suppress_sync {
        seccomp::load(chown, opts.suppress_sync).map_err(|e| {
            Error::new(b"--suppress-chown/--suppress-sync".to_vec(), e).op("seccomp")
        })?;
    }

    if !privileges.userns {
        let mut flags = g::CLONE_NEWNS;
        if opts.unshare_ipc {
            flags |= g::CLONE_NEWIPC;
        }
        if privileges.net {
            flags |= g::CLONE_NEWNET;
        }
        sys::unshare(flags).map_err(|e| Error::new(Vec::new(), e).op("unshare"))?;
        // We share the host's user namespace, so shared mounts would carry our mounts back
        // to the host: make every mount a slave first.
        match sys::mount(None, c"/", None, g::MS_SLAVE | g::MS_REC, None) {
            Err(Errno(e)) if e == linux_raw_sys::errno::EINVAL as i32 => slave_below_chroot()?,
            other => other.map_err(|e| setup_err(e, "mount --make-rslave", b"/"))?,
        }
    }

    let old_umask = sys::umask(0);
    let result = build_root(opts);
    sys::umask(old_umask);
    result?;

    let (option, dir) = opts
        .chdir
        .as_ref()
        .map_or(("", &b"/"[..]), |(o, d)| (*o, d.as_slice()));
    if let Err(e) = sys::chdir(&c(dir)) {
        let what = match option {
            "--chdir" => [b"--chdir ", dir].concat(),
            other => other.as_bytes().to_vec(),
        };
        return Err(Error::new(what, e).path(dir));
    }
    Ok(())
}

/// In a chroot into a plain directory, / is no mount of its own (EINVAL above), and the
/// mount holding it cannot be reached to make it a slave. Go on only when the kernel says
/// that mount is not shared, after making every mount below / a slave.
fn slave_below_chroot() -> Result<(), Error> {
    let refuse = |errno| {
        let why = "/ is not a mount point and the mount holding it may be shared, so mounts \
                   made here could reach the host: run in a mount namespace with private \
                   propagation (unshare -m --propagation private)";
        setup_err(errno, "mount --make-rslave", b"/").detail(Some(why.as_bytes().to_vec()))
    };
    match sys::mount_propagation(c"/") {
        Ok(flags) if flags & g::MS_SHARED as u64 == 0 => {}
        Ok(_) => return Err(refuse(Errno(linux_raw_sys::errno::EINVAL as i32))),
        Err(e) => return Err(refuse(e)),
    }
    let Ok(table) = std::fs::read("/proc/self/mountinfo") else {
        return Ok(());
    };
    for line in table.split(|&b| b == b'\n') {
        if let Some(point) = line.split(|&b| b == b' ').nth(4) {
            let point = unescape_mountinfo(point);
            sys::mount(None, &c(&point), None, g::MS_SLAVE | g::MS_REC, None)
                .map_err(|e| setup_err(e, "mount --make-rslave", &point))?;
        }
    }
    Ok(())
}

/// Undoes the octal escapes (`\040` for a space) of a mountinfo field.
fn unescape_mountinfo(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let octal = field
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (field[i], octal) {
            (b'\\', Some(d)) => {
                out.push(
                    d.iter()
                        .fold(0u8, |n, b| n.wrapping_mul(8).wrapping_add(b - b'0')),
                );
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Step 1: a user namespace mapping only the caller's own ids, unless the caller already has
/// what the sandbox needs; then the capabilities the command keeps.
fn acquire_privileges(opts: &Options) -> Result<Privileges, Error> {
    let (uid, gid) = sys::getuid_gid();
    let caps = sys::capget().map_err(|e| setup_err(e, "capget", b""))?;
    if has_cap(&caps, g::CAP_SYS_ADMIN) && (uid == 0 || !opts.become_root) {
        return Ok(Privileges {
            userns: false,
            net: opts.unshare_net && has_cap(&caps, g::CAP_NET_ADMIN),
        });
    }

    // An execute-only binary makes the process non-dumpable, and a non-dumpable process may
    // not write its own uid_map.
    sys::prctl(pr::PR_SET_DUMPABLE, 1, 0, 0, 0)
        .map_err(|e| setup_err(e, "prctl(PR_SET_DUMPABLE)", b""))?;

    // The new user namespace owns the mount (and other) namespaces made in the same call,
    // so CAP_NET_ADMIN for --unshare-net is ours by construction.
    let mut flags = g::CLONE_NEWUSER | g::CLONE_NEWNS;
    if opts.unshare_ipc {
        flags |= g::CLONE_NEWIPC;
    }
    if opts.unshare_net {
        flags |= g::CLONE_NEWNET;
    }
    sys::unshare(flags).map_err(|e| Error::new(Vec::new(), e).op("unshare(CLONE_NEWUSER)"))?;

    // An unprivileged writer of gid_map must first give up setgroups(), or it could drop
    // supplementary groups that deny it access.
    let inner = if opts.become_root { (0, 0) } else { (uid, gid) };
    write_proc(c"/proc/self/setgroups", b"deny")?;
    write_proc(
        c"/proc/self/uid_map",
        format!("{} {uid} 1\n", inner.0).as_bytes(),
    )?;
    write_proc(
        c"/proc/self/gid_map",
        format!("{} {gid} 1\n", inner.1).as_bytes(),
    )?;

    fix_userns_capabilities(opts.unshare_net)?;
    Ok(Privileges {
        userns: true,
        net: opts.unshare_net,
    })
}

fn write_proc(path: &CStr, data: &[u8]) -> Result<(), Error> {
    let err = |e| setup_err(e, "write", path.to_bytes());
    let fd = sys::openat(None, path, g::O_WRONLY, 0).map_err(err)?;
    sys::write_all(fd.as_fd(), data).map_err(err)
}

/// Whether the current user namespace maps a single uid, as one made by a sandbox does.
fn maps_single_uid() -> bool {
    let Ok(fd) = sys::openat(None, c"/proc/self/uid_map", g::O_RDONLY, 0) else {
        return false;
    };
    let mut buf = [0u8; 256];
    let Ok(n) = sys::read(fd.as_fd(), &mut buf) else {
        return false;
    };
    let text = &buf[..n];
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    lines.len() == 1
        && lines[0]
            .split(|&b| b == b' ')
            .filter(|f| !f.is_empty())
            .nth(2)
            == Some(b"1")
}

/// Makes the user-namespace capabilities survive exec for any uid, drops the others.
fn fix_userns_capabilities(net: bool) -> Result<(), Error> {
    let keep: u64 = USERNS_CAPS
        .iter()
        .chain(if net { NETNS_CAPS } else { &[] })
        .fold(0, |mask, &cap| mask | 1 << cap);

    // First, shrink the bounding set; the kernel answers EINVAL past its last capability.
    for cap in 0..64u32 {
        if keep & (1 << cap) != 0 {
            continue;
        }
        match sys::prctl(pr::PR_CAPBSET_DROP, cap as usize, 0, 0, 0) {
            Ok(_) => {}
            Err(Errno(e)) if e == linux_raw_sys::errno::EINVAL as i32 => break,
            Err(e) => return Err(setup_err(e, "prctl(PR_CAPBSET_DROP)", b"")),
        }
    }

    // Next, make them permitted, effective and inheritable: ambient needs the last two.
    let word = |i: u32| (keep >> (32 * i)) as u32;
    let data = [0, 1].map(|i| g::__user_cap_data_struct {
        effective: word(i),
        permitted: word(i),
        inheritable: word(i),
    });
    sys::capset(&data).map_err(|e| setup_err(e, "capset", b""))?;

    // Finally, raise them as ambient capabilities, which execve keeps for a non-root uid.
    for cap in (0..64u32).filter(|cap| keep & (1 << cap) != 0) {
        sys::prctl(
            pr::PR_CAP_AMBIENT,
            pr::PR_CAP_AMBIENT_RAISE as usize,
            cap as usize,
            0,
            0,
        )
        .map_err(|e| setup_err(e, "prctl(PR_CAP_AMBIENT_RAISE)", b""))?;
    }
    Ok(())
}

/// Steps 4 to 6: the workspace, the operations, and the pivot into the new root.
fn build_root(opts: &Options) -> Result<(), Error> {
    // /tmp is the one directory every system has and nobody minds being hidden: the
    // workspace holds the new root and, after the first pivot, the host's tree as oldroot.
    // Both tmpfs take fixed options, so one classic mount(2) call each does what fsopen
    // and friends do in four.
    sys::mount(
        Some(c"tmpfs"),
        c"/tmp",
        Some(c"tmpfs"),
        0,
        Some(c"mode=0700"),
    )
    .map_err(|e| setup_err(e, "mount tmpfs", b"/tmp"))?;
    for dir in [c"/tmp/newroot", c"/tmp/oldroot"] {
        sys::mkdirat(None, dir, 0o755).map_err(|e| setup_err(e, "mkdir", dir.to_bytes()))?;
    }
    sys::mount(
        Some(c"tmpfs"),
        c"/tmp/newroot",
        Some(c"tmpfs"),
        0,
        Some(c"mode=0755"),
    )
    .map_err(|e| setup_err(e, "mount tmpfs", b"/tmp/newroot"))?;

    match sys::pivot_root(c"/tmp", c"/tmp/oldroot") {
        Ok(()) => {}
        // The initramfs' rootfs cannot be pivoted away: copy the host tree into oldroot,
        // move the workspace over / instead and chroot into it.
        Err(Errno(e)) if e == linux_raw_sys::errno::EINVAL as i32 => move_workspace_over_root()?,
        Err(e) => return Err(setup_err(e, "pivot_root", b"/tmp")),
    }

    let mut ctx = Ctx {
        oldroot: open_dir(c"/oldroot")?,
        newroot: open_dir(c"/newroot")?,
        debug: opts.debug,
        scratch: 0,
    };
    let ops = plan::optimize(opts.ops.clone());
    for op in &ops {
        if opts.debug {
            debug_line(&op.describe());
        }
        ctx.run(op).map_err(|mut e| {
            e.what = op.describe();
            e
        })?;
        if op.dst == b"/" {
            // A mount on / hides what the old descriptor points at.
            ctx.newroot = open_dir(c"/newroot")?;
        }
    }
    drop(ctx);

    // pivot_root(".", ".") stacks the old root on top of the new one, where a lazy unmount
    // of "." removes it without needing a directory to park it in.
    sys::chdir(c"/newroot").map_err(|e| setup_err(e, "chdir", b"/newroot"))?;
    match sys::pivot_root(c".", c".") {
        Ok(()) => {
            sys::umount2(c".", g::MNT_DETACH).map_err(|e| setup_err(e, "umount", b"oldroot"))?
        }
        Err(Errno(e)) if e == linux_raw_sys::errno::EINVAL as i32 => {
            sys::umount2(c"/oldroot", g::MNT_DETACH)
                .map_err(|e| setup_err(e, "umount", b"/oldroot"))?;
            sys::mount(Some(c"."), c"/", None, g::MS_MOVE, None)
                .map_err(|e| setup_err(e, "mount --move", b"/newroot"))?;
            sys::chroot(c".").map_err(|e| setup_err(e, "chroot", b"/newroot"))?;
        }
        Err(e) => return Err(setup_err(e, "pivot_root", b"/newroot")),
    }
    sys::chdir(c"/").map_err(|e| setup_err(e, "chdir", b"/"))?;

    // A new peer group: mounts made inside propagate inside, never to the host.
    sys::mount(None, c"/", None, g::MS_SHARED | g::MS_REC, None)
        .map_err(|e| setup_err(e, "mount --make-rshared", b"/"))?;
    Ok(())
}

/// The fallback for a root that is not a mount point (an initramfs).
fn move_workspace_over_root() -> Result<(), Error> {
    sys::mount(
        Some(c"/"),
        c"/tmp/oldroot",
        None,
        g::MS_BIND | g::MS_REC,
        None,
    )
    .map_err(|e| setup_err(e, "mount --rbind", b"/"))?;
    // The copy includes the workspace itself at oldroot/tmp; without it the host's own /tmp
    // shows there again.
    sys::umount2(c"/tmp/oldroot/tmp", g::MNT_DETACH)
        .map_err(|e| setup_err(e, "umount", b"/tmp/oldroot/tmp"))?;
    sys::chdir(c"/tmp").map_err(|e| setup_err(e, "chdir", b"/tmp"))?;
    sys::mount(Some(c"/tmp"), c"/", None, g::MS_MOVE, None)
        .map_err(|e| setup_err(e, "mount --move", b"/tmp"))?;
    sys::chroot(c".").map_err(|e| setup_err(e, "chroot", b"/tmp"))?;
    sys::chdir(c"/").map_err(|e| setup_err(e, "chdir", b"/"))
}

fn open_dir(path: &CStr) -> Result<OwnedFd, Error> {
    sys::openat(None, path, g::O_PATH | g::O_DIRECTORY, 0)
        .map_err(|e| setup_err(e, "open", path.to_bytes()))
}

fn debug_line(line: &[u8]) {
    let mut out = Vec::with_capacity(line.len() + 3);
    out.extend_from_slice(b"+ ");
    crate::error::push_escaped(&mut out, line);
    out.push(b'\n');
    // SAFETY: fd 2 stays open for the life of the process; we only borrow it.
    let _ = sys::write_all(unsafe { BorrowedFd::borrow_raw(2) }, &out);
}

/// Where a missing destination should come from.
#[derive(Clone, Copy, PartialEq)]
enum Create {
    Dir,
    File,
}

/// The state the operations share: the two roots and a counter for scratch names.
struct Ctx {
    oldroot: OwnedFd,
    newroot: OwnedFd,
    debug: bool,
    scratch: u32,
}

const RESOLVE: u32 = g::RESOLVE_IN_ROOT;

/// Splits an absolute path into its parent and last component (`/` has no last component).
fn split_last(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) => (b"/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (b"/", path),
    }
}

fn is_tmp_dir(path: &[u8]) -> bool {
    path.ends_with(b"/tmp") || path == b"/tmp"
}

impl Ctx {
    fn run(&mut self, op: &FsOp) -> Result<(), Error> {
        let dst = op.dst.as_slice();
        match &op.kind {
            Kind::Tmpfs => {
                let mode: &CStr = if is_tmp_dir(dst) { c"1777" } else { c"0755" };
                let mnt = new_tmpfs(mode)?;
                let target = self.dest(dst, Create::Dir, true)?;
                attach(&mnt, &target, dst)
            }
            Kind::Dev => self.dev(dst),
            Kind::Proc => {
                let src = self.host(b"/proc", false)?;
                let tree = clone_tree(&src, true, b"/proc")?;
                let target = self.dest(dst, Create::Dir, true)?;
                attach(&tree, &target, dst)
            }
            Kind::Dir => {
                let mode = if is_tmp_dir(dst) { 0o1777 } else { 0o755 };
                self.mkdir_p(dst, mode).map(drop)
            }
            Kind::Bind {
                src,
                relative,
                readonly,
                required,
                nofollow,
                covered,
            } => {
                let found = if *relative {
                    open_in(
                        &self.newroot,
                        src,
                        if *nofollow { g::O_NOFOLLOW } else { 0 },
                    )
                    .map_err(|e| path_err(e, &[b"+", src.as_slice()].concat()))
                } else {
                    self.host(src, *nofollow)
                };
                let src_fd = match found {
                    Ok(fd) => fd,
                    Err(e) if !required && e.errno == linux_raw_sys::errno::ENOENT as i32 => {
                        return Ok(())
                    }
                    Err(e) => return Err(e),
                };
                // A parent's bind already shows this source here, unless a symlink on the
                // way leads elsewhere: the same file at the destination, reached without
                // any symlink, settles it.
                if *covered {
                    let exact = g::RESOLVE_IN_ROOT | g::RESOLVE_NO_SYMLINKS;
                    let flags = g::O_PATH | g::O_NOFOLLOW;
                    let there = sys::openat2(Some(self.newroot.as_fd()), &c(dst), flags, 0, exact);
                    if let Ok(there) = there {
                        if sys::same_file(src_fd.as_fd(), there.as_fd()) {
                            return Ok(());
                        }
                    }
                }
                let is_dir = sys::file_type(Some(src_fd.as_fd()), c"", g::AT_EMPTY_PATH)
                    .map_err(|e| setup_err(e, "statx", src))?
                    == g::S_IFDIR;
                let tree = clone_tree(&src_fd, true, src)?;
                if *readonly {
                    make_readonly(&tree, src)?;
                }
                let create = if is_dir { Create::Dir } else { Create::File };
                let target = self.dest(dst, create, is_dir)?;
                attach(&tree, &target, dst)
            }
            Kind::Symlink { target } => self.symlink(target, dst),
            Kind::Write { data } => {
                let (parent, _) = split_last(dst);
                self.mkdir_p(parent, 0o755)?;
                let fd = sys::openat2(
                    Some(self.newroot.as_fd()),
                    &c(dst),
                    g::O_WRONLY | g::O_CREAT | g::O_TRUNC,
                    0o644,
                    RESOLVE,
                )
                .map_err(|e| path_err(e, dst))?;
                sys::write_all(fd.as_fd(), data).map_err(|e| setup_err(e, "write", dst))
            }
            Kind::Overlay { lower, upper, work } => {
                self.overlay(lower, upper.as_ref(), work.as_deref(), dst)
            }
        }
    }

    /// Opens a host path (relative to the old root; symlinks stay inside it).
    fn host(&self, path: &[u8], nofollow: bool) -> Result<OwnedFd, Error> {
        let flags = if nofollow { g::O_NOFOLLOW } else { 0 };
        match open_in(&self.oldroot, path, flags) {
            // A descriptor's magic link (/proc/self/fd/N, /dev/fd/N) cannot be followed
            // inside a root, and the file it leads to sits in the caller's mount namespace,
            // which open_tree refuses: take the path the link names instead.
            Err(Errno(e))
                if e == linux_raw_sys::errno::EXDEV as i32
                    || e == linux_raw_sys::errno::ELOOP as i32 && !nofollow =>
            {
                match self.fd_link_target(path) {
                    Some(named) => open_in(&self.oldroot, &named, flags),
                    None => Err(Errno(e)),
                }
            }
            other => other,
        }
        .map_err(|e| path_err(e, path))
    }

    /// For `/proc/self/fd/N[/REST]` or `/dev/fd/N[/REST]`: the path of descriptor N, then REST.
    fn fd_link_target(&self, path: &[u8]) -> Option<Vec<u8>> {
        let rest = ["/proc/self/fd/", "/proc/thread-self/fd/", "/dev/fd/"]
            .iter()
            .find_map(|p| path.strip_prefix(p.as_bytes()))?;
        let (fd, tail) = rest.split_at(rest.iter().position(|&b| b == b'/').unwrap_or(rest.len()));
        if fd.is_empty() || !fd.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut buf = [0u8; 4096];
        let link = [b"proc/self/fd/", fd].concat();
        let target = sys::readlinkat(Some(self.oldroot.as_fd()), &c(&link), &mut buf).ok()?;
        target.starts_with(b"/").then(|| [target, tail].concat())
    }

    /// Opens DST inside the new root, creating it (and its parents) when missing.
    fn dest(&self, dst: &[u8], create: Create, follow: bool) -> Result<OwnedFd, Error> {
        let flags = if follow { 0 } else { g::O_NOFOLLOW };
        match open_in(&self.newroot, dst, flags) {
            Ok(fd) => return Ok(fd),
            Err(Errno(e)) if e == linux_raw_sys::errno::ENOENT as i32 => {}
            Err(e) => return Err(path_err(e, dst)),
        }
        let (parent, name) = split_last(dst);
        let parent_fd = self.mkdir_p(parent, 0o755)?;
        let name_c = c(name);
        let made = match create {
            Create::Dir => sys::mkdirat(Some(parent_fd.as_fd()), &name_c, 0o755),
            Create::File => sys::openat(
                Some(parent_fd.as_fd()),
                &name_c,
                g::O_WRONLY | g::O_CREAT | g::O_EXCL | g::O_NOFOLLOW,
                0o644,
            )
            .map(drop),
        };
        match made {
            Ok(()) => {}
            Err(Errno(e)) if e == linux_raw_sys::errno::EEXIST as i32 => {}
            Err(e) => {
                return Err(setup_err(
                    e,
                    if create == Create::Dir {
                        "mkdir"
                    } else {
                        "create"
                    },
                    dst,
                ))
            }
        }
        open_in(&self.newroot, dst, flags).map_err(|e| path_err(e, dst))
    }

    /// Creates a directory and its missing parents inside the new root; returns it opened.
    ///
    /// Walks back to the deepest directory that exists, then creates the rest one by one
    /// (a loop, not recursion: destinations may have thousands of components).
    fn mkdir_p(&self, dir: &[u8], mode: u32) -> Result<OwnedFd, Error> {
        let mut existing = dir;
        let mut fd = loop {
            match open_in(&self.newroot, existing, g::O_DIRECTORY) {
                Ok(fd) => break fd,
                Err(Errno(e)) if e == linux_raw_sys::errno::ENOENT as i32 && existing != b"/" => {
                    existing = split_last(existing).0;
                }
                Err(e) => return Err(path_err(e, existing)),
            }
        };
        let missing = &dir[existing.len().min(dir.len())..];
        let mut names = missing
            .split(|&b| b == b'/')
            .filter(|n| !n.is_empty())
            .peekable();
        while let Some(name) = names.next() {
            let name = c(name);
            let this_mode = if names.peek().is_none() { mode } else { 0o755 };
            match sys::mkdirat(Some(fd.as_fd()), &name, this_mode) {
                Ok(()) => {}
                Err(Errno(e)) if e == linux_raw_sys::errno::EEXIST as i32 => {}
                Err(e) => return Err(setup_err(e, "mkdir", dir)),
            }
            fd = sys::openat(
                Some(fd.as_fd()),
                &name,
                g::O_PATH | g::O_DIRECTORY | g::O_NOFOLLOW,
                0,
            )
            .map_err(|e| path_err(e, dir))?;
        }
        Ok(fd)
    }

    fn symlink(&mut self, target: &[u8], dst: &[u8]) -> Result<(), Error> {
        let (parent, name) = split_last(dst);
        let parent_fd = self.mkdir_p(parent, 0o755)?;
        let target_c = c(target);
        let name_c = c(name);
        match sys::symlinkat(&target_c, Some(parent_fd.as_fd()), &name_c) {
            Ok(()) => return Ok(()),
            Err(Errno(e)) if e == linux_raw_sys::errno::EEXIST as i32 => {}
            Err(e) => return Err(setup_err(e, "symlink", dst)),
        }
        let kind = sys::file_type(Some(parent_fd.as_fd()), &name_c, g::AT_SYMLINK_NOFOLLOW)
            .map_err(|e| setup_err(e, "statx", dst))?;
        if kind == g::S_IFDIR {
            return Err(
                Error::new(Vec::new(), Errno(linux_raw_sys::errno::EISDIR as i32)).path(dst),
            );
        }
        if kind == g::S_IFLNK {
            let mut buf = [0u8; 4096];
            if sys::readlinkat(Some(parent_fd.as_fd()), &name_c, &mut buf)
                .is_ok_and(|t| t == target)
            {
                return Ok(());
            }
        }
        // Something else is in the way: make the link in the workspace and mount it on top.
        self.scratch += 1;
        let scratch = c(format!("/symlink-{}", self.scratch).as_bytes());
        sys::symlinkat(&target_c, None, &scratch)
            .map_err(|e| setup_err(e, "symlink", scratch.to_bytes()))?;
        let tree = sys::open_tree(
            None,
            &scratch,
            g::OPEN_TREE_CLONE | g::OPEN_TREE_CLOEXEC | g::AT_SYMLINK_NOFOLLOW,
        )
        .map_err(|e| setup_err(e, "open_tree", scratch.to_bytes()))?;
        let over = sys::openat(
            Some(parent_fd.as_fd()),
            &name_c,
            g::O_PATH | g::O_NOFOLLOW,
            0,
        )
        .map_err(|e| setup_err(e, "open", dst))?;
        attach(&tree, &over, dst)
    }

    fn dev(&mut self, dst: &[u8]) -> Result<(), Error> {
        let mnt = new_tmpfs(c"0755")?;
        let target = self.dest(dst, Create::Dir, true)?;
        attach(&mnt, &target, dst)?;
        let dev = Some(mnt.as_fd());

        for node in ["null", "zero", "full", "random", "urandom", "tty", "fuse"] {
            let host_path = [b"/dev/", node.as_bytes()].concat();
            let host = match open_in(&self.oldroot, &host_path, 0) {
                Ok(fd) => fd,
                Err(Errno(e)) if node == "fuse" && e == linux_raw_sys::errno::ENOENT as i32 => {
                    continue
                }
                Err(e) => return Err(path_err(e, &host_path)),
            };
            self.bind_node(&host, dev, node.as_bytes(), &host_path)?;
        }
        for (name, target) in [
            (c"stdin", c"/proc/self/fd/0"),
            (c"stdout", c"/proc/self/fd/1"),
            (c"stderr", c"/proc/self/fd/2"),
            (c"fd", c"/proc/self/fd"),
            (c"core", c"/proc/kcore"),
            (c"ptmx", c"pts/ptmx"),
        ] {
            sys::symlinkat(target, dev, name)
                .map_err(|e| setup_err(e, "symlink", name.to_bytes()))?;
        }
        sys::mkdirat(dev, c"shm", 0o1777).map_err(|e| setup_err(e, "mkdir", b"shm"))?;
        sys::mkdirat(dev, c"pts", 0o755).map_err(|e| setup_err(e, "mkdir", b"pts"))?;

        let pts = new_mount(c"devpts", "mount devpts", |fs| {
            sys::fsconfig_set_flag(fs, c"newinstance")?;
            sys::fsconfig_set_string(fs, c"ptmxmode", c"0666")?;
            sys::fsconfig_set_string(fs, c"mode", c"620")
        })
        .map_err(|e| e.path(b"pts"))?;
        sys::move_mount(
            Some(pts.as_fd()),
            c"",
            dev,
            c"pts",
            g::MOVE_MOUNT_F_EMPTY_PATH,
        )
        .map_err(|e| setup_err(e, "move_mount", b"pts"))?;

        // The terminal of stderr, when there is one whose node the host tree shows.
        if sys::isatty(2) {
            let mut buf = [0u8; 256];
            if let Ok(tty) =
                sys::readlinkat(Some(self.oldroot.as_fd()), c"proc/self/fd/2", &mut buf)
            {
                let tty = tty.to_vec();
                // In a nested sandbox the name may lead to another devpts instance's node.
                // SAFETY: fd 2 stays open for the life of the process; we only borrow it.
                let stderr = unsafe { BorrowedFd::borrow_raw(2) };
                if let Ok(host) = open_in(&self.oldroot, &tty, 0) {
                    if sys::same_file(host.as_fd(), stderr) {
                        self.bind_node(&host, dev, b"console", &tty)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Binds the host node `host` onto a new empty file `name` in the directory `dir`.
    fn bind_node(
        &self,
        host: &OwnedFd,
        dir: Option<BorrowedFd<'_>>,
        name: &[u8],
        shown: &[u8],
    ) -> Result<(), Error> {
        let name_c = c(name);
        sys::openat(dir, &name_c, g::O_WRONLY | g::O_CREAT | g::O_EXCL, 0o644)
            .map_err(|e| setup_err(e, "create", name))?;
        let tree = clone_tree(host, false, shown)?;
        sys::move_mount(
            Some(tree.as_fd()),
            c"",
            dir,
            &name_c,
            g::MOVE_MOUNT_F_EMPTY_PATH,
        )
        .map_err(|e| setup_err(e, "move_mount", name))
    }

    fn overlay(
        &mut self,
        lower: &[Vec<u8>],
        upper: Option<&Upper>,
        work: Option<&[u8]>,
        dst: &[u8],
    ) -> Result<(), Error> {
        // Each layer must exist on the host; saying which one is missing beats the kernel's
        // EINVAL.
        let check = |path: &[u8]| -> Result<OwnedFd, Error> {
            open_in(&self.oldroot, path, g::O_DIRECTORY).map_err(|e| path_err(e, path))
        };
        for l in lower {
            check(l)?;
        }

        // This kernel's overlayfs explains refusals only in the kernel log, which an
        // unprivileged user cannot read: catch the usual mistakes here, in its words.
        let refuse = |errno: u32, text: &str| {
            Error::new(Vec::new(), Errno(errno as i32))
                .op("overlay")
                .detail(Some(text.as_bytes().to_vec()))
        };
        if let Some(Upper::Dir(dir)) = upper {
            let Some(work) = work else {
                return Err(refuse(
                    linux_raw_sys::errno::EINVAL,
                    "overlayfs: missing 'workdir'",
                ));
            };
            let (upper_fd, work_fd) = (check(dir)?, check(work)?);
            if sys::mount_id(upper_fd.as_fd()) != sys::mount_id(work_fd.as_fd()) {
                return Err(refuse(
                    linux_raw_sys::errno::EINVAL,
                    "overlayfs: workdir and upperdir must reside under the same mount",
                ));
            }
            let folded = cli::normalize(dir);
            let layers = lower.iter().map(|l| ("lowerdir", l.as_slice()));
            for (name, other) in layers.chain([("workdir", work)]) {
                let other = cli::normalize(other);
                if plan::strip_ancestor(&other, &folded).is_some()
                    || plan::strip_ancestor(&folded, &other).is_some()
                {
                    return Err(refuse(
                        linux_raw_sys::errno::ELOOP,
                        &format!("overlayfs: overlapping upperdir path: upperdir and {name} lie inside one another"),
                    ));
                }
            }
        }
        if self.debug {
            for l in lower.iter().rev() {
                debug_line(&[b"  lowerdir ", l.as_slice()].concat());
            }
            match upper {
                Some(Upper::Dir(dir)) => {
                    debug_line(&[b"  upperdir ", dir.as_slice()].concat());
                    debug_line(&[b"  workdir ", work.unwrap_or_default()].concat());
                }
                Some(Upper::Tmpfs) => debug_line(b"  upperdir tmpfs"),
                None => {}
            }
            debug_line(b"  options userxattr,index=off,metacopy=off");
        }
        let target = self.dest(dst, Create::Dir, true)?;
        let legacy = legacy_overlay();

        // How the kernel finds each directory from the workspace: through /oldroot, or,
        // where that path is longer than an fsconfig value may be (255 bytes), through a
        // bind at a short path. mount(2) has its own limit, handled in overlay_legacy.
        let limit = if legacy { usize::MAX } else { 255 };
        let (upper_path, work_path) = match (upper, work) {
            (None, _) => (None, None),
            (Some(Upper::Tmpfs), _) => {
                let base = self.scratch_dir(b"overlay")?;
                let mnt = new_tmpfs(c"0755")?;
                sys::move_mount(
                    Some(mnt.as_fd()),
                    c"",
                    None,
                    &c(&base),
                    g::MOVE_MOUNT_F_EMPTY_PATH,
                )
                .map_err(|e| setup_err(e, "move_mount", &base))?;
                for sub in [c"upper", c"work"] {
                    sys::mkdirat(Some(mnt.as_fd()), sub, 0o755)
                        .map_err(|e| setup_err(e, "mkdir", sub.to_bytes()))?;
                }
                (
                    Some([&base[..], b"/upper"].concat()),
                    Some([&base[..], b"/work"].concat()),
                )
            }
            (Some(Upper::Dir(dir)), work) => {
                let work = work.unwrap_or_default();
                let (u, w) = (
                    [b"/oldroot", dir.as_slice()].concat(),
                    [b"/oldroot", work].concat(),
                );
                if escape_backslash(&u).len().max(escape_backslash(&w).len()) <= limit {
                    (Some(u), Some(w))
                } else {
                    // Both must stay on one mount: bind their common parent once.
                    let common = common_ancestor(dir, work);
                    let base = self.short_bind(common, true)?;
                    let rest = |p: &[u8]| {
                        [
                            base.as_slice(),
                            plan::strip_ancestor(common, p).unwrap_or_default(),
                        ]
                        .concat()
                    };
                    (Some(rest(dir)), Some(rest(work)))
                }
            }
        };
        if legacy {
            return self.overlay_legacy(
                lower,
                upper_path.as_deref(),
                work_path.as_deref(),
                &target,
                dst,
            );
        }
        let mut lowers = Vec::with_capacity(lower.len());
        // The kernel lists layers top first; the command line gives the bottom first.
        for l in lower.iter().rev() {
            let full = [b"/oldroot", l.as_slice()].concat();
            lowers.push(if full.len() <= limit {
                full
            } else {
                self.short_bind(l, false)?
            });
        }

        let mnt = new_mount(c"overlay", "overlay", |fs| {
            for l in &lowers {
                sys::fsconfig_set_string(fs, c"lowerdir+", &c(l))?;
            }
            if let Some(u) = &upper_path {
                sys::fsconfig_set_string(fs, c"upperdir", &c(&escape_backslash(u)))?;
            }
            if let Some(w) = &work_path {
                sys::fsconfig_set_string(fs, c"workdir", &c(&escape_backslash(w)))?;
            }
            sys::fsconfig_set_flag(fs, c"userxattr")?;
            sys::fsconfig_set_string(fs, c"index", c"off")?;
            sys::fsconfig_set_string(fs, c"metacopy", c"off")
        })?;
        attach(&mnt, &target, dst)
    }

    /// A new empty directory in the workspace, named after `what` and a counter.
    fn scratch_dir(&mut self, what: &[u8]) -> Result<Vec<u8>, Error> {
        self.scratch += 1;
        let dir = [b"/", what, b"-", self.scratch.to_string().as_bytes()].concat();
        sys::mkdirat(None, &c(&dir), 0o755).map_err(|e| setup_err(e, "mkdir", &dir))?;
        Ok(dir)
    }

    /// Binds the host directory `path` (with its submounts when `recursive`) at a short
    /// path in the workspace, for calls that take only short paths; returns that path.
    fn short_bind(&mut self, path: &[u8], recursive: bool) -> Result<Vec<u8>, Error> {
        let short = self.scratch_dir(b"layer")?;
        let tree = clone_tree(&self.host(path, false)?, recursive, path)?;
        sys::move_mount(
            Some(tree.as_fd()),
            c"",
            None,
            &c(&short),
            g::MOVE_MOUNT_F_EMPTY_PATH,
        )
        .map_err(|e| setup_err(e, "move_mount", &short))?;
        Ok(short)
    }

    /// Kernels before 6.8 know no `lowerdir+` and reject commas in fsconfig values, so the
    /// whole option string goes through mount(2), with `\`, `,` and `:` escaped.
    ///
    /// mount(2) reads at most one page of options. When the layers' paths would not fit,
    /// each lower layer is first bound at a short path in the workspace.
    fn overlay_legacy(
        &mut self,
        lower: &[Vec<u8>],
        upper: Option<&[u8]>,
        work: Option<&[u8]>,
        target: &OwnedFd,
        dst: &[u8],
    ) -> Result<(), Error> {
        let escape = |out: &mut Vec<u8>, path: &[u8]| {
            for &b in path {
                if matches!(b, b'\\' | b',' | b':') {
                    out.push(b'\\');
                }
                out.push(b);
            }
        };
        let options = |lowers: &[Vec<u8>]| {
            let mut data = b"lowerdir=".to_vec();
            for (i, l) in lowers.iter().rev().enumerate() {
                if i > 0 {
                    data.push(b':');
                }
                escape(&mut data, l);
            }
            for (key, value) in [(&b",upperdir="[..], upper), (&b",workdir="[..], work)] {
                if let Some(v) = value {
                    data.extend_from_slice(key);
                    escape(&mut data, v);
                }
            }
            data.extend_from_slice(b",userxattr,index=off,metacopy=off");
            data
        };
        let mut data = options(
            &lower
                .iter()
                .map(|l| [b"/oldroot", l.as_slice()].concat())
                .collect::<Vec<_>>(),
        );
        if data.len() >= 4096 {
            let mut short = Vec::with_capacity(lower.len());
            for l in lower {
                short.push(self.short_bind(l, false)?);
            }
            data = options(&short);
        }
        if data.len() >= 4096 {
            let why = format!(
                "overlayfs: {} layers do not fit into the one page of options that mount(2) \
                 takes on kernels before 6.8",
                lower.len()
            );
            return Err(
                Error::new(Vec::new(), Errno(linux_raw_sys::errno::E2BIG as i32))
                    .op("overlay")
                    .detail(Some(why.into_bytes())),
            );
        }

        let stage = self.scratch_dir(b"overlay")?;
        let stage_c = c(&stage);
        sys::mount(
            Some(c"overlay"),
            &stage_c,
            Some(c"overlay"),
            0,
            Some(&c(&data)),
        )
        .map_err(|e| Error::new(Vec::new(), e).op("overlay"))?;
        sys::move_mount(
            None,
            &stage_c,
            Some(target.as_fd()),
            c"",
            g::MOVE_MOUNT_T_EMPTY_PATH,
        )
        .map_err(|e| setup_err(e, "move_mount", dst))
    }
}

/// The deepest directory that holds both absolute paths `a` and `b`.
fn common_ancestor<'a>(a: &'a [u8], b: &[u8]) -> &'a [u8] {
    let mut end = 0;
    for part in a.split(|&c| c == b'/').skip(1) {
        let next = end + 1 + part.len();
        if plan::strip_ancestor(&a[..next], b).is_none() {
            break;
        }
        end = next;
    }
    if end == 0 {
        b"/"
    } else {
        &a[..end]
    }
}

/// overlayfs undoes `\` escapes in upperdir and workdir values (not in `lowerdir+`).
fn escape_backslash(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    for &b in path {
        if b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// The kernel's messages name layers by their workspace path; show the host path instead.
/// Only a `/oldroot/` that starts a path (after a space, quote or the start) is removed.
fn unprefix_oldroot(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let starts_path = i == 0 || matches!(text[i - 1], b' ' | b'\'' | b'"' | b'(' | b'=');
        if starts_path && text[i..].starts_with(b"/oldroot/") {
            i += b"/oldroot".len();
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

/// Whether overlays must be mounted the pre-6.8 way: the kernel is older, or
/// `MKOSI_SANDBOX_OVERLAY=legacy` asks for it (to exercise that path on a newer kernel).
fn legacy_overlay() -> bool {
    if std::env::var_os("MKOSI_SANDBOX_OVERLAY").is_some_and(|v| v == "legacy") {
        return true;
    }
    let release = sys::kernel_release();
    let mut parts = release.split(|&b| !b.is_ascii_digit()).map(|p| {
        p.iter().fold(0u32, |n, &d| {
            n.saturating_mul(10).saturating_add((d - b'0') as u32)
        })
    });
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) < (6, 8)
}

/// An error about `path` from a lookup; a missing openat2 is named as such.
fn path_err(e: Errno, path: &[u8]) -> Error {
    let err = Error::new(Vec::new(), e).path(path);
    if e.0 == linux_raw_sys::errno::ENOSYS as i32 {
        err.op("openat2")
    } else {
        err
    }
}

fn open_in(root: &OwnedFd, path: &[u8], flags: u32) -> sys::Result<OwnedFd> {
    sys::openat2(Some(root.as_fd()), &c(path), g::O_PATH | flags, 0, RESOLVE)
}

fn new_tmpfs(mode: &CStr) -> Result<OwnedFd, Error> {
    new_mount(c"tmpfs", "mount tmpfs", |fs| {
        sys::fsconfig_set_string(fs, c"mode", mode)
    })
}

/// A detached mount of a new `fstype` filesystem that `configure` sets options on. A
/// refusal carries the kernel's own explanation when it left one in the context.
fn new_mount(
    fstype: &CStr,
    op: &'static str,
    configure: impl FnOnce(BorrowedFd<'_>) -> sys::Result<()>,
) -> Result<OwnedFd, Error> {
    let fs = sys::fsopen(fstype).map_err(|e| setup_err(e, "fsopen", fstype.to_bytes()))?;
    let made = configure(fs.as_fd())
        .and_then(|()| sys::fsconfig_create(fs.as_fd()))
        .and_then(|()| sys::fsmount(fs.as_fd(), 0));
    made.map_err(|e| {
        let text = sys::fs_context_error(fs.as_fd()).map(|t| unprefix_oldroot(&t));
        Error::new(Vec::new(), e).op(op).detail(text)
    })
}

/// A detached copy of the mount tree at `src` (with its submounts when `recursive`).
fn clone_tree(src: &OwnedFd, recursive: bool, shown: &[u8]) -> Result<OwnedFd, Error> {
    let mut flags = g::OPEN_TREE_CLONE | g::OPEN_TREE_CLOEXEC | g::AT_EMPTY_PATH;
    if recursive {
        flags |= g::AT_RECURSIVE;
    }
    sys::open_tree(Some(src.as_fd()), c"", flags).map_err(|e| setup_err(e, "open_tree", shown))
}

/// Makes every mount of a detached tree read-only.
fn make_readonly(tree: &OwnedFd, shown: &[u8]) -> Result<(), Error> {
    let attr = g::mount_attr {
        attr_set: g::MOUNT_ATTR_RDONLY as u64,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    sys::mount_setattr(
        Some(tree.as_fd()),
        c"",
        g::AT_EMPTY_PATH | g::AT_RECURSIVE,
        &attr,
    )
    .map_err(|e| setup_err(e, "mount_setattr", shown))
}

/// Attaches the detached mount `mnt` on top of what `target` refers to.
fn attach(mnt: &OwnedFd, target: &OwnedFd, shown: &[u8]) -> Result<(), Error> {
    sys::move_mount(
        Some(mnt.as_fd()),
        c"",
        Some(target.as_fd()),
        c"",
        g::MOVE_MOUNT_F_EMPTY_PATH | g::MOVE_MOUNT_T_EMPTY_PATH,
    )
    .map_err(|e| setup_err(e, "move_mount", shown))
}

/// Applies `--setenv` and `--unsetenv` in order to the process environment.
pub fn apply_env(env: &[(Vec<u8>, Option<Vec<u8>>)]) {
    use std::os::unix::ffi::OsStrExt;
    for (name, value) in env {
        let name = std::ffi::OsStr::from_bytes(name);
        match value {
            Some(v) => std::env::set_var(name, std::ffi::OsStr::from_bytes(v)),
            None => std::env::remove_var(name),
        }
    }
}

/// The command's environment as `NAME=VALUE` entries: the process's own, changed by the
/// `--setenv`/`--unsetenv` operations and then by `extra`. The last word on a name wins;
/// sorting the changes by name keeps this O(n log n) however many there are.
pub fn environment(ops: &[(Vec<u8>, Option<Vec<u8>>)], extra: &[(&[u8], Vec<u8>)]) -> Vec<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;

    let changes: Vec<(&[u8], Option<&[u8]>)> = ops
        .iter()
        .map(|(n, v)| (n.as_slice(), v.as_deref()))
        .chain(extra.iter().map(|(n, v)| (*n, Some(v.as_slice()))))
        .collect();
    // Stable sort by name: the last change of each run of equal names is the one that counts.
    let mut order: Vec<usize> = (0..changes.len()).collect();
    order.sort_by(|&a, &b| changes[a].0.cmp(changes[b].0));
    let mut wins = vec![false; changes.len()];
    for (k, &i) in order.iter().enumerate() {
        let next = order.get(k + 1).map(|&j| changes[j].0);
        wins[i] = next != Some(changes[i].0);
    }
    let changed = |name: &[u8]| order.binary_search_by(|&i| changes[i].0.cmp(name)).is_ok();

    let mut env: Vec<Vec<u8>> = std::env::vars_os()
        .filter(|(k, _)| !changed(k.as_bytes()))
        .map(|(k, v)| [k.as_bytes(), b"=", v.as_bytes()].concat())
        .collect();
    for (i, (name, value)) in changes.iter().enumerate() {
        if let (Some(value), true) = (value, wins[i]) {
            env.push([*name, b"=", value].concat());
        }
    }
    env
}

/// The descriptors above 2 the process inherited, in ascending order.
pub fn inherited_fds() -> Vec<RawFd> {
    let mut fds = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        for entry in dir.flatten() {
            if let Some(fd) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<RawFd>().ok())
            {
                fds.push(fd);
            }
        }
    }
    // The directory's own descriptor was listed too; it is closed by now.
    fds.retain(|&fd| fd > 2 && sys::fd_flags(fd).is_ok());
    fds.sort_unstable();
    fds
}

/// Renumbers `fds` (ascending) to 3, 4, ...; the caller sets LISTEN_FDS and LISTEN_PID.
///
/// Moving each descriptor down to the lowest free number never overwrites one not yet
/// moved, because the list is sorted.
pub fn pack_fds(fds: &[RawFd]) -> Result<(), Error> {
    for (i, &fd) in fds.iter().enumerate() {
        let to = 3 + i as RawFd;
        if fd != to {
            sys::dup3(fd, to).map_err(|e| setup_err(e, "dup3", format!("fd {fd}").as_bytes()))?;
            sys::close(fd);
        } else {
            sys::clear_cloexec(fd)
                .map_err(|e| setup_err(e, "fcntl", format!("fd {fd}").as_bytes()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_ancestor_of_two_paths() {
        assert_eq!(common_ancestor(b"/a/b/upper", b"/a/b/work"), b"/a/b");
        assert_eq!(common_ancestor(b"/a/bc", b"/a/b"), b"/a");
        assert_eq!(common_ancestor(b"/x", b"/y"), b"/");
        assert_eq!(common_ancestor(b"/a/b", b"/a/b/c"), b"/a/b");
    }

    #[test]
    fn mountinfo_escapes() {
        assert_eq!(unescape_mountinfo(b"/a\\040b\\134c"), b"/a b\\c");
        assert_eq!(unescape_mountinfo(b"/plain\\x"), b"/plain\\x");
    }
}
