//! A classic BPF seccomp program, written by hand, that makes the chown and sync families
//! succeed without doing anything, for every ABI the kernel can run on this architecture.
//!
//! The program checks `seccomp_data.arch` first, because the same number means different
//! calls in different ABIs; an ABI it does not know is allowed untouched.

use linux_raw_sys::general as g;
use linux_raw_sys::ptrace as p;

use crate::sys;

/// The syscalls to answer for one ABI.
struct Abi {
    arch: u32,
    chown: &'static [u32],
    sync: &'static [u32],
}

// Native numbers come from linux-raw-sys for the architecture being built, so every
// architecture's table is right by construction.

#[cfg(any(
    target_arch = "x86_64",
    target_arch = "powerpc64",
    target_arch = "s390x"
))]
const NATIVE_CHOWN: &[u32] = &[
    g::__NR_chown,
    g::__NR_lchown,
    g::__NR_fchown,
    g::__NR_fchownat,
];
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "powerpc64",
    target_arch = "s390x"
)))]
const NATIVE_CHOWN: &[u32] = &[g::__NR_fchown, g::__NR_fchownat];

// powerpc has only the variant with the flags before the offsets.
#[cfg(not(target_arch = "powerpc64"))]
const SYNC_FILE_RANGE: u32 = g::__NR_sync_file_range;
#[cfg(target_arch = "powerpc64")]
const SYNC_FILE_RANGE: u32 = g::__NR_sync_file_range2;

const NATIVE_SYNC: &[u32] = &[
    g::__NR_sync,
    g::__NR_syncfs,
    g::__NR_fsync,
    g::__NR_fdatasync,
    g::__NR_msync,
    SYNC_FILE_RANGE,
];

#[cfg(target_arch = "x86_64")]
const NATIVE_ARCH: u32 = p::AUDIT_ARCH_X86_64;
#[cfg(target_arch = "aarch64")]
const NATIVE_ARCH: u32 = p::AUDIT_ARCH_AARCH64;
#[cfg(target_arch = "riscv64")]
const NATIVE_ARCH: u32 = p::AUDIT_ARCH_RISCV64;
#[cfg(all(target_arch = "powerpc64", target_endian = "little"))]
const NATIVE_ARCH: u32 = p::AUDIT_ARCH_PPC64LE;
#[cfg(all(target_arch = "powerpc64", target_endian = "big"))]
const NATIVE_ARCH: u32 = p::AUDIT_ARCH_PPC64;
#[cfg(target_arch = "s390x")]
const NATIVE_ARCH: u32 = p::AUDIT_ARCH_S390X;

// The 32-bit compat ABI's numbers: no allowed crate carries another architecture's table,
// so they are written out here.
//
// i386 on x86_64: arch/x86/entry/syscalls/syscall_32.tbl
//   lchown 16, fchown 95, chown 182, lchown32 198, fchown32 207, chown32 212, fchownat 298;
//   sync 36, fsync 118, msync 144, fdatasync 148, sync_file_range 314, syncfs 344.
// arm on aarch64: arch/arm/tools/syscall.tbl
//   lchown 16, fchown 95, chown 182, lchown32 198, fchown32 207, chown32 212, fchownat 325;
//   sync 36, fsync 118, msync 144, fdatasync 148, arm_sync_file_range 341, syncfs 373.
#[cfg(target_arch = "x86_64")]
const COMPAT: &[Abi] = &[Abi {
    arch: p::AUDIT_ARCH_I386,
    chown: &[16, 95, 182, 198, 207, 212, 298],
    sync: &[36, 118, 144, 148, 314, 344],
}];
#[cfg(target_arch = "aarch64")]
const COMPAT: &[Abi] = &[Abi {
    arch: p::AUDIT_ARCH_ARM,
    chown: &[16, 95, 182, 198, 207, 212, 325],
    sync: &[36, 118, 144, 148, 341, 373],
}];
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const COMPAT: &[Abi] = &[];

// x32 shares AUDIT_ARCH_X86_64 and marks its calls with a high bit; every call above is a
// "common" entry of syscall_64.tbl, so its x32 number is the native one with that bit set.
#[cfg(target_arch = "x86_64")]
const X32_BIT: Option<u32> = Some(g::__X32_SYSCALL_BIT);
#[cfg(not(target_arch = "x86_64"))]
const X32_BIT: Option<u32> = None;

// Classic BPF opcodes (linux/bpf_common.h) and the seccomp_data field offsets.
const BPF_LD_W_ABS: u16 = 0x00 | 0x00 | 0x20;
const BPF_JMP_JEQ_K: u16 = 0x05 | 0x10 | 0x00;
const BPF_RET_K: u16 = 0x06 | 0x00;
const OFFSET_NR: u32 = 0;
const OFFSET_ARCH: u32 = 4;

fn insn(code: u16, jt: u8, jf: u8, k: u32) -> p::sock_filter {
    p::sock_filter { code, jt, jf, k }
}

/// Builds the program: answers the chosen families with 0, allows everything else.
pub fn program(chown: bool, sync: bool) -> Vec<p::sock_filter> {
    let native = Abi {
        arch: NATIVE_ARCH,
        chown: NATIVE_CHOWN,
        sync: NATIVE_SYNC,
    };
    let abis: Vec<&Abi> = std::iter::once(&native).chain(COMPAT.iter()).collect();
    let numbers = |abi: &Abi, x32: bool| -> Vec<u32> {
        let mut nrs = Vec::new();
        if chown {
            nrs.extend_from_slice(abi.chown);
        }
        if sync {
            nrs.extend_from_slice(abi.sync);
        }
        if let (true, Some(bit)) = (x32, X32_BIT) {
            let native: Vec<u32> = nrs.iter().map(|nr| nr | bit).collect();
            nrs.extend(native);
        }
        nrs
    };
    let blocks: Vec<Vec<u32>> = abis
        .iter()
        .enumerate()
        .map(|(i, abi)| numbers(abi, i == 0))
        .collect();

    // Layout: load arch; one jump per ABI; allow; then per ABI: load nr, one compare per
    // call, allow; and last, the shared "return 0".
    let mut prog = vec![insn(BPF_LD_W_ABS, 0, 0, OFFSET_ARCH)];
    let header = abis.len();
    let mut block_start = header + 2; // after the arch jumps and the allow
    for (i, abi) in abis.iter().enumerate() {
        let here = 1 + i; // index of this jump
        prog.push(insn(
            BPF_JMP_JEQ_K,
            (block_start - here - 1) as u8,
            0,
            abi.arch,
        ));
        block_start += blocks[i].len() + 2;
    }
    prog.push(insn(BPF_RET_K, 0, 0, p::SECCOMP_RET_ALLOW));
    let total = block_start; // index of the final "return 0"
    for nrs in &blocks {
        prog.push(insn(BPF_LD_W_ABS, 0, 0, OFFSET_NR));
        for &nr in nrs {
            let here = prog.len();
            prog.push(insn(BPF_JMP_JEQ_K, (total - here - 1) as u8, 0, nr));
        }
        prog.push(insn(BPF_RET_K, 0, 0, p::SECCOMP_RET_ALLOW));
    }
    prog.push(insn(BPF_RET_K, 0, 0, p::SECCOMP_RET_ERRNO));
    debug_assert_eq!(prog.len(), total + 1);
    prog
}

/// Loads the program into the calling process.
///
/// The kernel takes a filter from a process that has either set no_new_privs or holds
/// CAP_SYS_ADMIN in its user namespace. The setup always holds the latter by now (as real
/// root, or in the user namespace it just made), so no_new_privs is left alone and the
/// command may still gain privileges through set-uid files, as it would outside.
pub fn load(chown: bool, sync: bool) -> sys::Result<()> {
    let filter = program(chown, sync);
    let prog = p::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut _,
    };
    sys::seccomp_set_mode_filter(&prog)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the program the way the kernel would, for one arch and syscall number.
    fn run(prog: &[p::sock_filter], arch: u32, nr: u32) -> u32 {
        let mut acc = 0;
        let mut pc = 0;
        loop {
            let i = &prog[pc];
            match i.code {
                BPF_LD_W_ABS => acc = if i.k == OFFSET_ARCH { arch } else { nr },
                BPF_JMP_JEQ_K => {
                    pc += if acc == i.k {
                        i.jt as usize
                    } else {
                        i.jf as usize
                    };
                }
                BPF_RET_K => return i.k,
                other => panic!("unexpected opcode {other:#x}"),
            }
            pc += 1;
        }
    }

    #[test]
    fn answers_chown_and_sync_for_every_abi() {
        let prog = program(true, true);
        for abi in std::iter::once(&Abi {
            arch: NATIVE_ARCH,
            chown: NATIVE_CHOWN,
            sync: NATIVE_SYNC,
        })
        .chain(COMPAT.iter())
        {
            for &nr in abi.chown.iter().chain(abi.sync) {
                assert_eq!(
                    run(&prog, abi.arch, nr),
                    p::SECCOMP_RET_ERRNO,
                    "arch {:#x} nr {nr}",
                    abi.arch
                );
            }
        }
        if let Some(bit) = X32_BIT {
            assert_eq!(
                run(&prog, NATIVE_ARCH, g::__NR_fsync | bit),
                p::SECCOMP_RET_ERRNO
            );
        }
    }

    #[test]
    fn allows_everything_else() {
        let prog = program(true, true);
        assert_eq!(run(&prog, NATIVE_ARCH, g::__NR_read), p::SECCOMP_RET_ALLOW);
        assert_eq!(
            run(&prog, NATIVE_ARCH, g::__NR_openat),
            p::SECCOMP_RET_ALLOW
        );
        // An ABI the program does not know is let through, not killed.
        assert_eq!(
            run(&prog, 0x1234_5678, NATIVE_CHOWN[0]),
            p::SECCOMP_RET_ALLOW
        );
    }

    #[test]
    fn only_the_chosen_family() {
        let prog = program(false, true);
        assert_eq!(
            run(&prog, NATIVE_ARCH, g::__NR_fchownat),
            p::SECCOMP_RET_ALLOW
        );
        assert_eq!(run(&prog, NATIVE_ARCH, g::__NR_fsync), p::SECCOMP_RET_ERRNO);
        let prog = program(true, false);
        assert_eq!(
            run(&prog, NATIVE_ARCH, g::__NR_fchownat),
            p::SECCOMP_RET_ERRNO
        );
        assert_eq!(run(&prog, NATIVE_ARCH, g::__NR_fsync), p::SECCOMP_RET_ALLOW);
    }
}
