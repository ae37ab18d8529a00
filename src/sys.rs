//! One thin wrapper per system call, named like the kernel's.
//!
//! Every wrapper returns `Result<OwnedFd>` or `Result<()>` carrying the raw errno, so the
//! caller can attach the option and path the user typed. Numbers and flag values come from
//! `linux-raw-sys`; the calls themselves go through `sc`'s raw syscall entry points.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use linux_raw_sys::general as g;

/// The raw entry points: `sc`'s inline assembly where it supports the architecture, the C
/// library's `syscall()` elsewhere (turned into the kernel's own `-errno` convention).
mod raw {
    #[cfg(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64"
    ))]
    pub use sc::{syscall0, syscall1, syscall2, syscall3, syscall4, syscall5};

    #[cfg(not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64"
    )))]
    mod via_libc {
        fn ret(r: libc::c_long) -> usize {
            if r == -1 {
                // SAFETY: errno is thread-local and was just set by the failed call.
                (-(unsafe { *libc::__errno_location() }) as isize) as usize
            } else {
                r as usize
            }
        }
        macro_rules! entry {
            ($name:ident, $($a:ident),*) => {
                pub unsafe fn $name(n: usize, $($a: usize),*) -> usize {
                    // SAFETY: forwarded verbatim; the callers uphold each syscall's contract.
                    ret(unsafe { libc::syscall(n as libc::c_long, $($a),*) })
                }
            };
        }
        pub unsafe fn syscall0(n: usize) -> usize {
            // SAFETY: as above.
            ret(unsafe { libc::syscall(n as libc::c_long) })
        }
        entry!(syscall1, a1);
        entry!(syscall2, a1, a2);
        entry!(syscall3, a1, a2, a3);
        entry!(syscall4, a1, a2, a3, a4);
        entry!(syscall5, a1, a2, a3, a4, a5);
    }
    #[cfg(not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64"
    )))]
    pub use via_libc::*;
}

/// A failed system call: the errno the kernel returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

pub type Result<T> = std::result::Result<T, Errno>;

pub const AT_FDCWD: RawFd = g::AT_FDCWD;

/// Turns a raw syscall return value into the value or the errno.
fn check(ret: usize) -> Result<usize> {
    let signed = ret as isize;
    if (-4095..0).contains(&signed) {
        Err(Errno(-signed as i32))
    } else {
        Ok(ret)
    }
}

fn check_fd(ret: usize) -> Result<OwnedFd> {
    let fd = check(ret)? as RawFd;
    // SAFETY: the kernel just returned this descriptor to us and nobody else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn cptr(s: &CStr) -> usize {
    s.as_ptr() as usize
}

fn raw(fd: Option<BorrowedFd<'_>>) -> usize {
    fd.map_or(AT_FDCWD, |fd| fd.as_raw_fd()) as isize as usize
}

/// `unshare(flags)`, see unshare(2).
pub fn unshare(flags: u32) -> Result<()> {
    // SAFETY: unshare takes no pointers.
    check(unsafe { raw::syscall1(g::__NR_unshare as usize, flags as usize) }).map(drop)
}

/// `open_tree(dirfd, path, flags)`: a detached copy (with `OPEN_TREE_CLONE`) of a mount tree.
pub fn open_tree(dirfd: Option<BorrowedFd<'_>>, path: &CStr, flags: u32) -> Result<OwnedFd> {
    // SAFETY: path is a valid NUL-terminated string for the duration of the call.
    check_fd(unsafe {
        raw::syscall3(
            g::__NR_open_tree as usize,
            raw(dirfd),
            cptr(path),
            flags as usize,
        )
    })
}

/// `move_mount(from_dirfd, from_path, to_dirfd, to_path, flags)`: attach or move a mount.
pub fn move_mount(
    from: Option<BorrowedFd<'_>>,
    from_path: &CStr,
    to: Option<BorrowedFd<'_>>,
    to_path: &CStr,
    flags: u32,
) -> Result<()> {
    // SAFETY: both paths are valid NUL-terminated strings for the duration of the call.
    check(unsafe {
        raw::syscall5(
            g::__NR_move_mount as usize,
            raw(from),
            cptr(from_path),
            raw(to),
            cptr(to_path),
            flags as usize,
        )
    })
    .map(drop)
}

/// `mount_setattr(dirfd, path, flags, &attr, sizeof attr)`: change mount properties.
pub fn mount_setattr(
    dirfd: Option<BorrowedFd<'_>>,
    path: &CStr,
    flags: u32,
    attr: &g::mount_attr,
) -> Result<()> {
    // SAFETY: attr points to a live mount_attr whose size we pass along.
    check(unsafe {
        raw::syscall5(
            g::__NR_mount_setattr as usize,
            raw(dirfd),
            cptr(path),
            flags as usize,
            attr as *const _ as usize,
            std::mem::size_of::<g::mount_attr>(),
        )
    })
    .map(drop)
}

/// `fsopen(fsname, FSOPEN_CLOEXEC)`: a filesystem context to configure.
pub fn fsopen(fsname: &CStr) -> Result<OwnedFd> {
    // SAFETY: fsname is a valid NUL-terminated string.
    check_fd(unsafe {
        raw::syscall2(
            g::__NR_fsopen as usize,
            cptr(fsname),
            g::FSOPEN_CLOEXEC as usize,
        )
    })
}

fn fsconfig(fd: BorrowedFd<'_>, cmd: u32, key: usize, value: usize, aux: usize) -> Result<()> {
    // SAFETY: key and value are null or valid NUL-terminated strings (checked by callers).
    check(unsafe {
        raw::syscall5(
            g::__NR_fsconfig as usize,
            fd.as_raw_fd() as usize,
            cmd as usize,
            key,
            value,
            aux,
        )
    })
    .map(drop)
}

/// `fsconfig(fd, FSCONFIG_SET_STRING, key, value, 0)`.
pub fn fsconfig_set_string(fd: BorrowedFd<'_>, key: &CStr, value: &CStr) -> Result<()> {
    let cmd = g::fsconfig_command::FSCONFIG_SET_STRING as u32;
    fsconfig(fd, cmd, cptr(key), cptr(value), 0)
}

/// `fsconfig(fd, FSCONFIG_SET_FLAG, key, NULL, 0)`.
pub fn fsconfig_set_flag(fd: BorrowedFd<'_>, key: &CStr) -> Result<()> {
    let cmd = g::fsconfig_command::FSCONFIG_SET_FLAG as u32;
    fsconfig(fd, cmd, cptr(key), 0, 0)
}

/// `fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0)`: make the superblock.
pub fn fsconfig_create(fd: BorrowedFd<'_>) -> Result<()> {
    fsconfig(fd, g::fsconfig_command::FSCONFIG_CMD_CREATE as u32, 0, 0, 0)
}

/// `fsmount(fd, FSMOUNT_CLOEXEC, attr_flags)`: a detached mount of a configured context.
pub fn fsmount(fd: BorrowedFd<'_>, attr_flags: u32) -> Result<OwnedFd> {
    // SAFETY: fsmount takes no pointers.
    check_fd(unsafe {
        raw::syscall3(
            g::__NR_fsmount as usize,
            fd.as_raw_fd() as usize,
            g::FSMOUNT_CLOEXEC as usize,
            attr_flags as usize,
        )
    })
}

/// Reads the last error the kernel logged into a filesystem context, if any.
///
/// The context queues lines such as `e overlayfs: missing 'lowerdir'`; reading returns one
/// per call until ENODATA.
pub fn fs_context_error(fd: BorrowedFd<'_>) -> Option<Vec<u8>> {
    let mut last = None;
    let mut buf = [0u8; 512];
    loop {
        match read(fd, &mut buf) {
            Ok(0) | Err(_) => return last,
            Ok(n) => {
                let line = &buf[..n];
                if let Some(text) = line.strip_prefix(b"e ") {
                    last = Some(text.trim_ascii_end().to_vec());
                }
            }
        }
    }
}

/// `pivot_root(new_root, put_old)`, see pivot_root(2).
pub fn pivot_root(new_root: &CStr, put_old: &CStr) -> Result<()> {
    // SAFETY: both are valid NUL-terminated strings.
    check(unsafe { raw::syscall2(g::__NR_pivot_root as usize, cptr(new_root), cptr(put_old)) })
        .map(drop)
}

/// `mount(source, target, fstype, flags, data)`, the classic call, see mount(2).
pub fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: u32,
    data: Option<&CStr>,
) -> Result<()> {
    let opt = |s: Option<&CStr>| s.map_or(0, cptr);
    // SAFETY: every pointer is null or a valid NUL-terminated string.
    check(unsafe {
        raw::syscall5(
            g::__NR_mount as usize,
            opt(source),
            cptr(target),
            opt(fstype),
            flags as usize,
            opt(data),
        )
    })
    .map(drop)
}

/// `umount2(target, flags)`, see umount(2).
pub fn umount2(target: &CStr, flags: u32) -> Result<()> {
    // SAFETY: target is a valid NUL-terminated string.
    check(unsafe { raw::syscall2(g::__NR_umount2 as usize, cptr(target), flags as usize) })
        .map(drop)
}

/// `chroot(path)`, see chroot(2).
pub fn chroot(path: &CStr) -> Result<()> {
    // SAFETY: path is a valid NUL-terminated string.
    check(unsafe { raw::syscall1(g::__NR_chroot as usize, cptr(path)) }).map(drop)
}

/// `chdir(path)`, see chdir(2).
pub fn chdir(path: &CStr) -> Result<()> {
    // SAFETY: path is a valid NUL-terminated string.
    check(unsafe { raw::syscall1(g::__NR_chdir as usize, cptr(path)) }).map(drop)
}

/// `openat2(dirfd, path, &how, sizeof how)`, see openat2(2).
pub fn openat2(
    dirfd: Option<BorrowedFd<'_>>,
    path: &CStr,
    flags: u32,
    mode: u32,
    resolve: u32,
) -> Result<OwnedFd> {
    let how = g::open_how {
        flags: (flags | g::O_CLOEXEC) as u64,
        mode: mode as u64,
        resolve: resolve as u64,
    };
    // SAFETY: how is a live open_how whose size we pass; path is NUL-terminated.
    check_fd(unsafe {
        raw::syscall4(
            g::__NR_openat2 as usize,
            raw(dirfd),
            cptr(path),
            &how as *const _ as usize,
            std::mem::size_of::<g::open_how>(),
        )
    })
}

/// `openat(dirfd, path, flags | O_CLOEXEC, mode)`, see open(2).
pub fn openat(
    dirfd: Option<BorrowedFd<'_>>,
    path: &CStr,
    flags: u32,
    mode: u32,
) -> Result<OwnedFd> {
    // SAFETY: path is a valid NUL-terminated string.
    check_fd(unsafe {
        raw::syscall4(
            g::__NR_openat as usize,
            raw(dirfd),
            cptr(path),
            (flags | g::O_CLOEXEC) as usize,
            mode as usize,
        )
    })
}

/// `mkdirat(dirfd, path, mode)`, see mkdir(2).
pub fn mkdirat(dirfd: Option<BorrowedFd<'_>>, path: &CStr, mode: u32) -> Result<()> {
    // SAFETY: path is a valid NUL-terminated string.
    check(unsafe {
        raw::syscall3(
            g::__NR_mkdirat as usize,
            raw(dirfd),
            cptr(path),
            mode as usize,
        )
    })
    .map(drop)
}

/// `symlinkat(target, dirfd, linkpath)`, see symlink(2).
pub fn symlinkat(target: &CStr, dirfd: Option<BorrowedFd<'_>>, linkpath: &CStr) -> Result<()> {
    // SAFETY: both strings are valid and NUL-terminated.
    check(unsafe {
        raw::syscall3(
            g::__NR_symlinkat as usize,
            cptr(target),
            raw(dirfd),
            cptr(linkpath),
        )
    })
    .map(drop)
}

/// `readlinkat(dirfd, path, buf, len)`, see readlink(2). Returns the bytes read.
pub fn readlinkat<'a>(
    dirfd: Option<BorrowedFd<'_>>,
    path: &CStr,
    buf: &'a mut [u8],
) -> Result<&'a [u8]> {
    // SAFETY: buf is writable for buf.len() bytes.
    let n = check(unsafe {
        raw::syscall4(
            g::__NR_readlinkat as usize,
            raw(dirfd),
            cptr(path),
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    })?;
    Ok(&buf[..n])
}

/// The file type bits of st_mode (`statx` with `STATX_TYPE`).
pub fn file_type(dirfd: Option<BorrowedFd<'_>>, path: &CStr, flags: u32) -> Result<u32> {
    statx(dirfd, path, flags, g::STATX_TYPE).map(|b| b.stx_mode as u32 & g::S_IFMT)
}

/// `statx(dirfd, path, flags, mask, &buf)`, see statx(2).
pub fn statx(
    dirfd: Option<BorrowedFd<'_>>,
    path: &CStr,
    flags: u32,
    mask: u32,
) -> Result<g::statx> {
    // SAFETY: an all-zero statx is a valid value of this plain C struct.
    let mut buf: g::statx = unsafe { std::mem::zeroed() };
    // SAFETY: buf is a writable statx; path is NUL-terminated.
    check(unsafe {
        raw::syscall5(
            g::__NR_statx as usize,
            raw(dirfd),
            cptr(path),
            flags as usize,
            mask as usize,
            &mut buf as *mut _ as usize,
        )
    })?;
    Ok(buf)
}

/// The id of the mount `fd` is on (`statx` with `STATX_MNT_ID`).
pub fn mount_id(fd: BorrowedFd<'_>) -> Result<u64> {
    statx(Some(fd), c"", g::AT_EMPTY_PATH, g::STATX_MNT_ID).map(|b| b.stx_mnt_id)
}

/// Whether two descriptors refer to the same file (device and inode).
pub fn same_file(a: BorrowedFd<'_>, b: BorrowedFd<'_>) -> bool {
    let id = |fd| {
        statx(Some(fd), c"", g::AT_EMPTY_PATH, g::STATX_INO)
            .map(|s| (s.stx_dev_major, s.stx_dev_minor, s.stx_ino))
    };
    matches!((id(a), id(b)), (Ok(x), Ok(y)) if x == y)
}

/// The propagation flags (`MS_SHARED`, `MS_SLAVE`, ...) of the mount holding `path`:
/// `statx` for its unique id, then `statmount(2)` (Linux 6.8 and later).
pub fn mount_propagation(path: &CStr) -> Result<u64> {
    let stx = statx(None, path, 0, g::STATX_MNT_ID_UNIQUE)?;
    if stx.stx_mask & g::STATX_MNT_ID_UNIQUE == 0 {
        return Err(Errno(linux_raw_sys::errno::ENOSYS as i32));
    }
    let req = g::mnt_id_req {
        size: g::MNT_ID_REQ_SIZE_VER0,
        spare: 0,
        mnt_id: stx.stx_mnt_id,
        param: g::STATMOUNT_MNT_BASIC as u64,
        mnt_ns_id: 0,
    };
    // The reply is a struct statmount followed by its strings: room for both.
    let mut buf = [0u64; 64];
    // SAFETY: req is a live mnt_id_req of its stated size; buf is writable for its size.
    check(unsafe {
        raw::syscall4(
            g::__NR_statmount as usize,
            &req as *const _ as usize,
            buf.as_mut_ptr() as usize,
            std::mem::size_of_val(&buf),
            0,
        )
    })?;
    // SAFETY: the kernel filled buf with a struct statmount, which fits and is aligned.
    let reply = unsafe { &*(buf.as_ptr() as *const g::statmount) };
    Ok(reply.mnt_propagation)
}

static SIGPIPE_IGNORED_AT_START: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Notes whether SIGPIPE was ignored when the process started. The binary runs this from
/// its `.init_array`, before the Rust runtime sets SIGPIPE to "ignore" for itself.
pub extern "C" fn record_sigpipe() {
    // SAFETY: an all-zero sigaction is valid; querying the disposition changes nothing.
    let ignored = unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    };
    SIGPIPE_IGNORED_AT_START.store(ignored, std::sync::atomic::Ordering::Relaxed);
}

/// Gives SIGPIPE back the disposition the process started with, which execve passes on to
/// the command (the Rust runtime's "ignore" would otherwise leak into it).
pub fn restore_sigpipe() {
    if !SIGPIPE_IGNORED_AT_START.load(std::sync::atomic::Ordering::Relaxed) {
        // SAFETY: SIG_DFL is always a valid disposition for SIGPIPE.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
}

/// `read(fd, buf, len)`, see read(2).
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: buf is writable for buf.len() bytes.
    check(unsafe {
        raw::syscall3(
            g::__NR_read as usize,
            fd.as_raw_fd() as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    })
}

/// `write(fd, buf, len)` until all of buf is written, see write(2).
pub fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> Result<()> {
    while !buf.is_empty() {
        // SAFETY: buf is readable for buf.len() bytes.
        match check(unsafe {
            raw::syscall3(
                g::__NR_write as usize,
                fd.as_raw_fd() as usize,
                buf.as_ptr() as usize,
                buf.len(),
            )
        }) {
            Ok(n) => buf = &buf[n..],
            Err(Errno(e)) if e == linux_raw_sys::errno::EINTR as i32 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `dup3(old, new, 0)`, see dup(2). The new descriptor has no close-on-exec flag.
pub fn dup3(old: RawFd, new: RawFd) -> Result<()> {
    // SAFETY: dup3 takes no pointers.
    check(unsafe { raw::syscall3(g::__NR_dup3 as usize, old as usize, new as usize, 0) }).map(drop)
}

/// `fcntl(fd, F_GETFD)`: the descriptor flags, or EBADF for a closed descriptor.
pub fn fd_flags(fd: RawFd) -> Result<usize> {
    // SAFETY: F_GETFD takes no argument.
    check(unsafe { raw::syscall2(g::__NR_fcntl as usize, fd as usize, g::F_GETFD as usize) })
}

/// `fcntl(fd, F_SETFD, 0)`: keep the descriptor open across execve.
pub fn clear_cloexec(fd: RawFd) -> Result<()> {
    // SAFETY: F_SETFD takes an integer.
    check(unsafe { raw::syscall3(g::__NR_fcntl as usize, fd as usize, g::F_SETFD as usize, 0) })
        .map(drop)
}

/// `close(fd)` for descriptors that are not owned by an `OwnedFd`, see close(2).
pub fn close(fd: RawFd) {
    // SAFETY: callers pass descriptors they own and no longer use.
    unsafe { raw::syscall1(g::__NR_close as usize, fd as usize) };
}

/// `prctl(option, arg2, arg3, arg4, arg5)`, see prctl(2).
pub fn prctl(option: u32, arg2: usize, arg3: usize, arg4: usize, arg5: usize) -> Result<usize> {
    // SAFETY: the options used by this crate take no pointers.
    check(unsafe {
        raw::syscall5(
            g::__NR_prctl as usize,
            option as usize,
            arg2,
            arg3,
            arg4,
            arg5,
        )
    })
}

/// `capget(&header, data)` for the calling thread, version 3 (two data words).
pub fn capget() -> Result<[g::__user_cap_data_struct; 2]> {
    let mut header = g::__user_cap_header_struct {
        version: g::_LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [g::__user_cap_data_struct {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: header and data are live and sized for version 3.
    check(unsafe {
        raw::syscall2(
            g::__NR_capget as usize,
            &mut header as *mut _ as usize,
            data.as_mut_ptr() as usize,
        )
    })?;
    Ok(data)
}

/// `capset(&header, data)` for the calling thread, version 3.
pub fn capset(data: &[g::__user_cap_data_struct; 2]) -> Result<()> {
    let mut header = g::__user_cap_header_struct {
        version: g::_LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    // SAFETY: header and data are live and sized for version 3.
    check(unsafe {
        raw::syscall2(
            g::__NR_capset as usize,
            &mut header as *mut _ as usize,
            data.as_ptr() as usize,
        )
    })
    .map(drop)
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog)`, see seccomp(2).
pub fn seccomp_set_mode_filter(prog: &linux_raw_sys::ptrace::sock_fprog) -> Result<()> {
    // SAFETY: prog points to a live program whose filter array outlives the call.
    check(unsafe {
        raw::syscall3(
            g::__NR_seccomp as usize,
            linux_raw_sys::ptrace::SECCOMP_SET_MODE_FILTER as usize,
            0,
            prog as *const _ as usize,
        )
    })
    .map(drop)
}

/// `umask(mask)`, returning the previous mask.
pub fn umask(mask: u32) -> u32 {
    // SAFETY: umask cannot fail and takes no pointers.
    unsafe { raw::syscall1(g::__NR_umask as usize, mask as usize) as u32 }
}

/// `execve(path, argv, envp)`; returns only on failure.
pub fn execve(path: &CStr, argv: *const *const u8, envp: *const *const u8) -> Errno {
    // SAFETY: argv and envp are NULL-terminated arrays of NUL-terminated strings (caller).
    let ret = unsafe {
        raw::syscall3(
            g::__NR_execve as usize,
            cptr(path),
            argv as usize,
            envp as usize,
        )
    };
    check(ret).err().unwrap_or(Errno(0))
}

/// `kill(getpid(), SIGSTOP)`: stop the calling process until a SIGCONT.
pub fn stop_self() {
    // SAFETY: getpid and kill take no pointers.
    unsafe {
        let pid = raw::syscall0(g::__NR_getpid as usize);
        raw::syscall2(g::__NR_kill as usize, pid, g::SIGSTOP as usize);
    }
}

/// `getpid()`.
pub fn getpid() -> u32 {
    // SAFETY: getpid cannot fail.
    unsafe { raw::syscall0(g::__NR_getpid as usize) as u32 }
}

/// `getuid()` and `getgid()`.
pub fn getuid_gid() -> (u32, u32) {
    // SAFETY: neither call can fail.
    unsafe {
        (
            raw::syscall0(g::__NR_getuid as usize) as u32,
            raw::syscall0(g::__NR_getgid as usize) as u32,
        )
    }
}

/// `ioctl(fd, TCGETS)` succeeds: fd is a terminal.
pub fn isatty(fd: RawFd) -> bool {
    let mut termios = [0u8; 64];
    // SAFETY: TCGETS writes a struct termios (60 bytes) into the buffer.
    let ret = unsafe {
        raw::syscall3(
            g::__NR_ioctl as usize,
            fd as usize,
            linux_raw_sys::ioctl::TCGETS as usize,
            termios.as_mut_ptr() as usize,
        )
    };
    check(ret).is_ok()
}

/// `uname()`: the kernel release, e.g. `6.1.0-28-amd64`.
pub fn kernel_release() -> Vec<u8> {
    // SAFETY: an all-zero utsname is valid; uname fills it.
    let mut uts: linux_raw_sys::system::new_utsname = unsafe { std::mem::zeroed() };
    // SAFETY: uts is a writable new_utsname.
    let _ = unsafe { raw::syscall1(g::__NR_uname as usize, &mut uts as *mut _ as usize) };
    let release = uts
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8);
    release.collect()
}

/// The C library's text for an errno, such as "No such file or directory".
pub fn strerror(errno: i32) -> &'static [u8] {
    // SAFETY: musl's strerror returns a pointer to a static, NUL-terminated string.
    unsafe { CStr::from_ptr(libc::strerror(errno)).to_bytes() }
}
