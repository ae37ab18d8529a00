//! Errors that make one line a person can act on.
//!
//! A setup failure reads `mkosi-sandbox: WHAT: [STEP ]PATH: REASON`: what the user typed (the
//! option and its paths), the failing step where it helps, the path the kernel refused, and
//! the kernel's own explanation or the errno text. Some errnos add a hint on a second line.

use std::fmt;

use linux_raw_sys::errno as e;

use crate::sys::{self, Errno};

/// A failed setup step.
#[derive(Debug)]
pub struct Error {
    /// What the user typed, e.g. `--ro-bind /nope /x`; empty for steps no option asked for.
    pub what: Vec<u8>,
    /// The system call or step that failed, shown where it helps.
    pub op: Option<&'static str>,
    /// The path the failing call was given.
    pub path: Option<Vec<u8>>,
    pub errno: i32,
    /// The kernel's own text (from a filesystem context), preferred over the errno text.
    pub detail: Option<Vec<u8>>,
}

/// Everything that stops the program before the command runs.
#[derive(Debug)]
pub enum Failure {
    /// Bad command line: one line, exit status 2, nothing mounted.
    Usage(String),
    /// A setup step failed: exit status 1.
    Setup(Error),
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Failure::Setup(err)
    }
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Setup(_) => 1,
        }
    }

    /// The message without the program name, ready to print after `NAME: `.
    pub fn message(&self) -> Vec<u8> {
        match self {
            // Arguments quoted in a usage error may hold newlines: keep it one line.
            Failure::Usage(text) => {
                let mut line = String::with_capacity(text.len());
                for c in text.chars() {
                    if c.is_control() {
                        line.extend(c.escape_default());
                    } else {
                        line.push(c);
                    }
                }
                line.into_bytes()
            }
            Failure::Setup(err) => err.message(),
        }
    }
}

impl Error {
    pub fn new(what: Vec<u8>, errno: Errno) -> Self {
        Error {
            what,
            op: None,
            path: None,
            errno: errno.0,
            detail: None,
        }
    }

    pub fn op(mut self, op: &'static str) -> Self {
        self.op = Some(op);
        self
    }

    pub fn path(mut self, path: &[u8]) -> Self {
        self.path = Some(path.to_vec());
        self
    }

    pub fn detail(mut self, detail: Option<Vec<u8>>) -> Self {
        self.detail = detail;
        self
    }

    pub fn message(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        if !self.what.is_empty() {
            push_escaped(&mut out, &self.what);
            out.extend_from_slice(b": ");
        }
        if let Some(op) = self.op {
            out.extend_from_slice(op.as_bytes());
            out.push(if self.path.is_some() { b' ' } else { b':' });
            if self.path.is_none() {
                out.push(b' ');
            }
        }
        if let Some(path) = &self.path {
            push_escaped(&mut out, path);
            out.extend_from_slice(b": ");
        }
        match &self.detail {
            Some(detail) => push_escaped(&mut out, detail),
            None => out.extend_from_slice(sys::strerror(self.errno)),
        }
        if let Some(hint) = self.hint() {
            out.push(b'\n');
            out.extend_from_slice(hint.as_bytes());
        }
        out
    }

    /// A second line for the errnos whose usual cause is not obvious from the text.
    fn hint(&self) -> Option<String> {
        let errno = self.errno as u32;
        match (self.op, errno) {
            (Some(op), e::ENOSYS) => {
                let release = String::from_utf8_lossy(&sys::kernel_release()).into_owned();
                Some(format!(
                    "hint: {op} is not available: the running kernel {release} is too old \
                     for it, or a seccomp filter (e.g. of a container) hides it"
                ))
            }
            (Some("unshare(CLONE_NEWUSER)"), e::EPERM | e::ENOSPC | e::EACCES) => Some(
                "hint: unprivileged user namespaces are refused here: check the sysctls \
                 user.max_user_namespaces and kernel.unprivileged_userns_clone, an AppArmor \
                 policy (kernel.apparmor_restrict_unprivileged_userns), the container's \
                 seccomp filter, or whether the caller runs chrooted"
                    .into(),
            ),
            (Some("unshare(CLONE_NEWUSER)"), e::EINVAL) => Some(
                "hint: a process with more than one thread cannot make a user namespace".into(),
            ),
            (_, e::ENOSPC) if self.op.is_some_and(|op| op.contains("mount")) => {
                Some("hint: too many mounts: see the sysctl fs.mount-max".into())
            }
            (Some("overlay"), e::EINVAL) if self.detail.is_none() => {
                Some("hint: overlayfs gave its reason in the kernel log (dmesg)".into())
            }
            (Some("overlay"), e::ELOOP) => {
                Some("hint: overlay layers overlap: a lower, upper or work directory lies inside another".into())
            }
            _ => None,
        }
    }
}

/// Appends `bytes` with control characters written as escapes, so that a path holding a
/// newline cannot split a message over lines.
pub fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            _ => out.push(b),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.message()))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.message()))
    }
}

impl std::error::Error for Error {}
impl std::error::Error for Failure {}
