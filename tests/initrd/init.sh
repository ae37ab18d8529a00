#!/bin/sh
# /init of the boot test's initramfs (see run.sh next to this file).
#
# As PID 1 it mounts the API file systems, loads overlayfs, lets the binary
# install its applet links, runs the checks as root and as the unprivileged
# user "user" (uid 1000), prints "N passed, M failed" and powers off.
# "/init checks" runs the checks for the calling user only.
#
# Every check prints one line: "ok WHO/NAME" or "FAIL WHO/NAME: why".

PATH=/usr/bin
export PATH

results=/run/results

# --- helpers ------------------------------------------------------------------

oneline() { printf '%s' "$1" | tr '\n' '|' | cut -c1-400; }

# sb ARGS...: runs mkosi-sandbox ARGS, sets $out (stdout and stderr) and $rc.
# stdin is /dev/null so nothing can wait for input; a hang is cut after 60s.
sb() {
    out=$(timeout 60 mkosi-sandbox "$@" </dev/null 2>&1)
    rc=$?
}

expect_rc() {
    [ "$rc" -eq "$1" ] && return 0
    why="exit status $rc, expected $1; output: $(oneline "$out")"
    return 1
}

expect_out() {
    [ "$out" = "$1" ] && return 0
    why="output '$(oneline "$out")', expected '$(oneline "$1")' (exit status $rc)"
    return 1
}

# expect_ok EXPECTED-OUTPUT: exit status 0 and exactly that output.
expect_ok() { expect_rc 0 && expect_out "$1"; }

check() {
    name=$1
    shift
    why=
    if "$@"; then
        echo "ok $who/$name"
    else
        echo "FAIL $who/$name: $why"
    fi
}

# sbu ARGS...: sb with only /usr from the host plus the merged-/usr symlinks:
# enough to run the busybox applets, nothing from the host's / that a check
# could change.
sbu() {
    sb --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/sbin /sbin "$@"
}

# --- checks -------------------------------------------------------------------

# The man page's second example, as written (the initramfs has a merged /usr).
t_example() {
    set -- --ro-bind /usr /usr \
        --symlink usr/bin /bin \
        --symlink usr/lib /lib \
        --symlink usr/lib64 /lib64 \
        --symlink usr/sbin /sbin \
        --dev /dev \
        --proc /proc \
        --tmpfs /tmp \
        --become-root
    sb "$@" id
    expect_rc 0 || return 1
    case $out in
        "uid=0 gid=0"* | "uid=0(root) gid=0(root)"*) ;;
        *) why="id printed '$(oneline "$out")', expected uid=0 gid=0"; return 1 ;;
    esac
    sb "$@" id -u
    expect_ok 0
}

# Without --become-root the caller keeps its own uid.
t_identity() {
    sbu sh -c 'id -u; id -g'
    expect_ok "$uid
$uid"
}

t_bind_root() {
    sb --bind / / cat /marker
    expect_ok "visible through --bind / /"
}

# The workspace lives on a tmpfs over /tmp; it must not hide the host's /tmp.
t_bind_root_tmp() {
    sb --bind / / cat /tmp/host-tmp-marker
    expect_ok "host /tmp"
}

t_tmpfs() {
    sbu --tmpfs /scratch --tmpfs /var/tmp sh -c \
        'stat -f -c %T /scratch && stat -c %a /scratch /var/tmp && echo data >/scratch/f && cat /scratch/f'
    expect_ok "tmpfs
755
1777
data"
}

t_dev() {
    sbu --dev /dev sh -c \
        'ls -A /dev && echo x >/dev/null && echo zero=$(head -c 3 /dev/zero | wc -c) && stat -c %a /dev/shm'
    expect_rc 0 || return 1
    missing=
    for n in null zero full random urandom tty stdin stdout stderr fd core shm pts ptmx; do
        printf '%s\n' "$out" | grep -qx "$n" || missing="$missing $n"
    done
    extra=
    for n in mem kmsg ttyS0 vda sda loop0; do
        printf '%s\n' "$out" | grep -qx "$n" && extra="$extra $n"
    done
    if [ -n "$missing$extra" ]; then
        why="missing:${missing:- none}; not expected:${extra:- none}; ls: $(oneline "$out")"
        return 1
    fi
    printf '%s\n' "$out" | grep -qx 'zero=3' || { why="reading /dev/zero: $(oneline "$out")"; return 1; }
    [ "$(printf '%s\n' "$out" | tail -n1)" = 1777 ] || { why="/dev/shm mode: $(oneline "$out")"; return 1; }
}

t_proc() {
    sbu --proc /proc sh -c 'cat /proc/sys/kernel/osrelease && test -r /proc/self/mountinfo && echo readable'
    expect_ok "$(uname -r)
readable"
}

t_dir() {
    sbu --dir /a/b/c --dir /x/tmp --dir /var/tmp stat -c %a /a /a/b /a/b/c /x/tmp /var/tmp
    expect_ok "755
755
755
1777
1777"
}

t_symlink() {
    sbu --symlink ../some/where /d/lnk --symlink /abs/target /lnk sh -c 'readlink /d/lnk && readlink /lnk'
    expect_ok "../some/where
/abs/target"
}

# A symlink over an existing file is made elsewhere and mounted on top.
t_symlink_over_file() {
    sbu --write data /f --symlink /elsewhere /f readlink /f
    expect_ok /elsewhere
}

t_write() {
    sbu --write 'hello, world' /etc/greeting sh -c 'cat /etc/greeting && echo && wc -c </etc/greeting'
    expect_ok "hello, world
12"
}

# One lower layer whose path has "," and ":" (the 6.1 kernel has no
# "lowerdir+", so the path goes into the escaped option string), writable
# through a tmpfs upper layer (a new file, and a copy-up of a lower one: the
# layers belong to uid 1000, since a user namespace cannot copy up a file of
# an unmapped owner); the lower layer itself stays untouched.
t_overlay() {
    sbu --overlay-lowerdir '/srv/lay,ers:low' --overlay-upperdir tmpfs --overlay /ovl sh -c \
        'cat /ovl/f && echo new >/ovl/g && cat /ovl/g && echo changed >/ovl/f && cat /ovl/f && ls /ovl'
    expect_ok "lower
new
changed
f
g
only-bottom" || return 1
    if [ "$(cat '/srv/lay,ers:low/f')" != lower ] || [ -e '/srv/lay,ers:low/g' ]; then
        why="the lower layer was changed: $(ls -l '/srv/lay,ers:low' | tr '\n' '|')"
        return 1
    fi
}

# Two lower layers, the first given at the bottom; no upper layer: read-only.
t_overlay_layers() {
    sbu --dev /dev --overlay-lowerdir '/srv/lay,ers:low' --overlay-lowerdir /srv/top --overlay /ovl sh -c \
        'cat /ovl/f /ovl/only-bottom; if touch /ovl/new 2>/dev/null; then echo writable; else echo read-only; fi'
    expect_ok "top
bottom
read-only"
}

# chown to ids outside the single-id mapping fails in a user namespace unless
# --suppress-chown turns it into a no-op. Real root needs no user namespace
# for --become-root, so there chown works (and really changes the owner) with
# or without the option.
t_suppress_chown() {
    script='touch /t/f && chown 5:60 /t/f && stat -c %u:%g /t/f'
    if [ "$uid" = 0 ]; then
        sbu --tmpfs /t --become-root sh -c "$script"
        expect_ok 5:60 || { why="without --suppress-chown: $why"; return 1; }
        sbu --tmpfs /t --become-root --suppress-chown sh -c "$script"
        expect_ok 5:60 || { why="with --suppress-chown: $why"; return 1; }
    else
        sbu --tmpfs /t --become-root sh -c "$script"
        if [ "$rc" -eq 0 ]; then
            why="without --suppress-chown chown 5:60 succeeded: $(oneline "$out")"
            return 1
        fi
        sbu --tmpfs /t --become-root --suppress-chown sh -c "$script"
        expect_ok 0:0 || { why="with --suppress-chown: $why"; return 1; }
    fi
}

# mkosi-chroot enters a tree of its own (busybox and its links) as root.
t_chroot() {
    out=$(timeout 60 mkosi-chroot --root /srv/tree id -u </dev/null 2>&1)
    rc=$?
    expect_ok 0 || return 1
    out=$(timeout 60 mkosi-chroot --root /srv/tree cat /this-is-the-tree </dev/null 2>&1)
    rc=$?
    expect_ok tree
}

# A sandbox inside a sandbox: the inner one starts from a root that is a
# mount, not the rootfs, and (as the user) nests a user namespace.
t_nested() {
    sbu --proc /proc --dev /dev --tmpfs /tmp \
        mkosi-sandbox --ro-bind /usr /usr --symlink usr/bin /bin --become-root id -u
    expect_ok 0
}

t_exit_status() {
    sbu sh -c 'exit 7'
    expect_rc 7 || return 1
    sbu true
    expect_rc 0
}

t_exit_not_found() {
    sbu /usr/bin/no-such-command
    expect_rc 127
}

run_checks() {
    who=$(id -un)
    uid=$(id -u)
    check example t_example
    check identity t_identity
    check bind-root t_bind_root
    check bind-root-tmp t_bind_root_tmp
    check tmpfs t_tmpfs
    check dev t_dev
    check proc t_proc
    check dir t_dir
    check symlink t_symlink
    check symlink-over-file t_symlink_over_file
    check write t_write
    check overlay t_overlay
    check overlay-layers t_overlay_layers
    check suppress-chown t_suppress_chown
    check mkosi-chroot t_chroot
    check nested t_nested
    check exit-status t_exit_status
    check exit-not-found t_exit_not_found
}

if [ "${1:-}" = checks ]; then
    run_checks
    exit 0
fi

# --- PID 1 --------------------------------------------------------------------

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

say() { echo "$*" | tee -a "$results"; }

echo "kernel: $(uname -r) $(uname -v)"
: >"$results"
who=boot

# overlayfs is a module in Debian's kernel.
if ! grep -qw overlay /proc/filesystems; then
    modprobe overlay 2>&1
fi
if grep -qw overlay /proc/filesystems; then
    say "ok boot/overlay-module"
else
    say "FAIL boot/overlay-module: overlay not in /proc/filesystems after modprobe"
fi

# The binary installs its own applet links.
out=$(timeout 60 mkosi-sandbox --install /usr/bin </dev/null 2>&1)
rc=$?
list=$(timeout 60 mkosi-sandbox --list </dev/null 2>&1)
lrc=$?
why=
if [ $rc -ne 0 ]; then
    why="--install /usr/bin: exit status $rc: $(oneline "$out")"
elif [ $lrc -ne 0 ] || [ -z "$list" ]; then
    why="--list: exit status $lrc: $(oneline "$list")"
else
    for a in $list; do
        if [ "$(readlink -f "/usr/bin/$a")" != /usr/bin/mkosi-sandbox ]; then
            why="$why /usr/bin/$a is not a link to mkosi-sandbox;"
        fi
    done
fi
if [ -z "$why" ]; then
    say "ok boot/install"
else
    say "FAIL boot/install: $why"
fi
echo "applets: $(printf '%s ' $list)"

before=$(cat /proc/self/mountinfo)

run_checks 2>&1 | tee -a "$results"
su -s /bin/sh user -c '/init checks' 2>&1 | tee -a "$results"

# A user whose checks did not run at all must not pass unnoticed.
n_root=$(grep -c '^[A-Zok]* root/' "$results")
n_user=$(grep -c '^[A-Zok]* user/' "$results")
if [ "$n_root" -gt 0 ] && [ "$n_root" = "$n_user" ]; then
    say "ok boot/both-users-checked"
else
    say "FAIL boot/both-users-checked: $n_root results as root, $n_user as user"
fi

after=$(cat /proc/self/mountinfo)
if [ "$before" = "$after" ]; then
    say "ok boot/mountinfo-unchanged"
else
    say "FAIL boot/mountinfo-unchanged: before: $(oneline "$before") after: $(oneline "$after")"
fi

passed=$(grep -c '^ok ' "$results")
failed=$(grep -c '^FAIL ' "$results")
echo "$passed passed, $failed failed"

poweroff -f
echo o >/proc/sysrq-trigger
sleep 10
