#!/bin/bash
# End-to-end test of mkosi-sandbox against a real Debian bookworm root
# filesystem: package management, seccomp suppression, the mkosi-chroot
# applet and overlay trees, run by an unprivileged user and by root.
#
#   tests/e2e/run.sh BINARY
#
# Needs root (to create the test user and build the root filesystem) and
# network access to deb.debian.org on the first run; the root filesystem is
# cached in /var/cache/mkosi-sandbox-tests.
set -euo pipefail

if [[ $# -ne 1 || ! -f $1 ]]; then
    echo "usage: $0 BINARY" >&2
    exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "$0: must run as root" >&2
    exit 2
fi

BINARY=$(realpath "$1")
TEST_USER=sandboxtest
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
CACHE_DIR=/var/cache/mkosi-sandbox-tests
ROOTFS_CACHE=$CACHE_DIR/rootfs-$SUITE
TARBALL_CACHE=$CACHE_DIR/debootstrap-$SUITE.tgz
PATH_IN=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

WORK=
STAGING=
PASSED=0
FAILED=0

# ---------------------------------------------------------------------------
# Temporary files

# Unmounts whatever is mounted at or below $1 (only ever our own directories).
umount_under() {
    local dir=$1 mnt
    awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
        sort -r |
        while read -r mnt; do
            umount -l "$mnt" 2>/dev/null || true
        done
}

remove_tree() {
    [[ -n $1 && -e $1 ]] || return 0
    umount_under "$1"
    rm -rf --one-file-system "$1"
}

cleanup() {
    cd /
    remove_tree "$STAGING"
    remove_tree "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP PIPE

# ---------------------------------------------------------------------------
# Preparation

ensure_tools() {
    local missing=()
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    [[ -e /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
    command -v setpriv >/dev/null || missing+=(util-linux)
    command -v useradd >/dev/null || missing+=(passwd)
    command -v dpkg-deb >/dev/null || missing+=(dpkg)
    command -v tar >/dev/null || missing+=(tar)
    if ((${#missing[@]} > 0)); then
        echo "# installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    fi
}

ensure_user() {
    if ! id -u "$TEST_USER" >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --shell /bin/sh "$TEST_USER"
    fi
}

# Builds the cached root filesystem once; a run that is interrupted leaves
# only a staging directory, which the next run removes.
ensure_rootfs_cache() {
    install -d -m 0755 "$CACHE_DIR"
    exec 9>"$CACHE_DIR/rootfs.lock"
    flock 9
    if [[ -d $ROOTFS_CACHE ]]; then
        exec 9>&-
        return 0
    fi

    local stale
    for stale in "$CACHE_DIR"/.rootfs-staging.*; do
        remove_tree "$stale"
    done
    STAGING=$(mktemp -d "$CACHE_DIR/.rootfs-staging.XXXXXX")
    echo "# building the $SUITE root filesystem in $ROOTFS_CACHE (once)"

    if [[ ! -f $TARBALL_CACHE ]]; then
        if ! debootstrap --variant=minbase --make-tarball="$STAGING/debs.tgz" \
            "$SUITE" "$STAGING/download" "$MIRROR" >"$STAGING/log" 2>&1; then
            tail -n 20 "$STAGING/log" >&2
            echo "$0: debootstrap --make-tarball failed" >&2
            exit 1
        fi
        mv "$STAGING/debs.tgz" "$TARBALL_CACHE"
    fi
    if ! debootstrap --variant=minbase --unpack-tarball="$TARBALL_CACHE" \
        "$SUITE" "$STAGING/rootfs" "$MIRROR" >"$STAGING/log" 2>&1; then
        tail -n 20 "$STAGING/log" >&2
        echo "$0: debootstrap failed" >&2
        exit 1
    fi
    mv -T "$STAGING/rootfs" "$ROOTFS_CACHE"
    remove_tree "$STAGING"
    STAGING=
    exec 9>&-
}

make_workdir() {
    WORK=$(mktemp -d /tmp/mkosi-sandbox-e2e.XXXXXX)
    chmod 0755 "$WORK"
    install -d -m 0755 "$WORK/bin" "$WORK/pkg"
    install -m 0755 "$BINARY" "$WORK/bin/mkosi-sandbox"
    ln -s mkosi-sandbox "$WORK/bin/mkosi-chroot"
    BIN=$WORK/bin/mkosi-sandbox
    CHROOT=$WORK/bin/mkosi-chroot

    # The user must own the whole tree so that with --become-root it is
    # root's, as a root filesystem should be.
    ROOT=$WORK/root
    cp -a "$ROOTFS_CACHE" "$ROOT"
    chown -hR "$TEST_USER:$TEST_USER" "$ROOT"
}

# A package owned by root, built the usual way.
make_hello_deb() {
    local tree=$WORK/pkg/hello
    install -d -m 0755 "$tree/DEBIAN" "$tree/usr/bin" "$tree/usr/share/e2e-hello"
    cat >"$tree/DEBIAN/control" <<EOF
Package: e2e-hello
Version: 1.0
Architecture: all
Maintainer: mkosi-sandbox tests <root@localhost>
Description: mkosi-sandbox end-to-end test package
EOF
    echo "hello from e2e-hello" >"$tree/usr/share/e2e-hello/hello"
    cat >"$tree/usr/bin/e2e-hello" <<'EOF'
#!/bin/sh
echo "e2e-hello says: $(cat /usr/share/e2e-hello/hello)"
EOF
    chmod 0755 "$tree/usr/bin/e2e-hello"
    dpkg-deb --build --root-owner-group "$tree" "$WORK/pkg/e2e-hello.deb" >/dev/null
    HELLO_DEB=$WORK/pkg/e2e-hello.deb
}

# A package whose files belong to uid 5 / gid 60, which a user namespace
# that maps a single uid cannot chown to.
make_owned_deb() {
    local tree=$WORK/pkg/owned
    install -d -m 0755 "$tree/DEBIAN" "$tree/usr/share/e2e-owned"
    cat >"$tree/DEBIAN/control" <<EOF
Package: e2e-owned
Version: 1.0
Architecture: all
Maintainer: mkosi-sandbox tests <root@localhost>
Description: mkosi-sandbox end-to-end test package with foreign owners
EOF
    echo "owned by games" >"$tree/usr/share/e2e-owned/owned"
    chown -R 5:60 "$tree/usr/share/e2e-owned"
    dpkg-deb --build "$tree" "$WORK/pkg/e2e-owned.deb" >/dev/null
    OWNED_DEB=$WORK/pkg/e2e-owned.deb
}

make_mixed_tar() {
    local tree=$WORK/pkg/mixed
    install -d -m 0755 "$tree"
    echo "root file" >"$tree/root-file"
    echo "games file" >"$tree/games-file"
    echo "user file" >"$tree/user-file"
    chown 0:0 "$tree/root-file"
    chown 5:60 "$tree/games-file"
    chown 1000:1000 "$tree/user-file"
    tar --numeric-owner -cf "$WORK/pkg/mixed.tar" -C "$tree" root-file games-file user-file
    MIXED_TAR=$WORK/pkg/mixed.tar
}

# ---------------------------------------------------------------------------
# Running commands and checking what they did

# Every command gets a time limit, so that a hang fails the run instead of
# stopping it.
as_user() {
    timeout -k 10 300 \
        setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups --inh-caps=-all -- \
        env -i PATH="$PATH_IN" HOME=/ LC_ALL=C "$@"
}

as_root() {
    timeout -k 10 300 env -i PATH="$PATH_IN" HOME=/ LC_ALL=C "$@"
}

# The Debian root filesystem, entered by the unprivileged user as root.
in_root() {
    as_user "$BIN" --bind "$ROOT" / --dev /dev --proc /proc --tmpfs /tmp --tmpfs /run \
        --become-root "$@"
}

# Runs a command with stdin from /dev/null; sets RC, OUT and ERR.
capture() {
    LAST_CMD=$*
    set +e
    "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
    RC=$?
    set -e
    OUT=$(<"$WORK/out")
    ERR=$(<"$WORK/err")
}

# Ends the current check with a failure; shows the last command's stderr.
fail() {
    {
        printf '%s\n' "$*"
        echo "  command: $LAST_CMD"
        if [[ -n $ERR ]]; then
            head -n 20 <<<"$ERR" | sed 's/^/  stderr: /'
        fi
    } >"$WORK/reason"
    exit 1
}

shorten() {
    local text=$1
    if (($(wc -l <<<"$text") > 10)); then
        text="$(head -n 10 <<<"$text") [...]"
    fi
    printf '%s' "$text"
}

expect_status() {
    [[ $RC != 124 || $1 == 124 ]] || fail "expected exit status $1 / timed out"
    [[ $RC == "$1" ]] || fail "expected exit status $1 / saw $RC; output: $(shorten "$OUT")"
}

expect_failure() {
    [[ $RC != 124 ]] || fail "expected a non-zero exit status / timed out"
    [[ $RC != 0 ]] || fail "expected a non-zero exit status / saw 0; output: $(shorten "$OUT")"
}

expect_output() {
    [[ $OUT == "$1" ]] || fail "expected output '$1' / saw '$(shorten "$OUT")'"
}

expect_line() {
    grep -qE -- "$1" <<<"$OUT" ||
        fail "expected a line matching /$1/ / saw '$(shorten "$OUT")'"
}

expect_stderr_line() {
    grep -qE -- "$1" <<<"$ERR" ||
        fail "expected a line matching /$1/ on stderr / saw '$(shorten "$ERR")'"
}

# Everything in the host's mount table except the mount ids, which the
# kernel hands out anew for any new mount anyway.
mount_table() {
    cut -d' ' -f3- /proc/self/mountinfo
}

# Runs one check in a subshell (so that a failed expectation ends only that
# check) and reports it, failing it too if the host's mounts changed.
run_check() {
    local name=$1 before after rc
    shift
    before=$(mount_table)
    rm -f "$WORK/reason"
    set +e
    (
        set -e
        "$@"
    )
    rc=$?
    set -e
    after=$(mount_table)
    if [[ $before != "$after" ]]; then
        rc=1
        {
            if [[ -e $WORK/reason ]]; then
                cat "$WORK/reason"
            fi
            echo "host mount table changed:"
            diff <(echo "$before") <(echo "$after") | sed -n 's/^[<>]/  &/p' || true
        } >"$WORK/reason.new"
        mv "$WORK/reason.new" "$WORK/reason"
    fi
    if ((rc == 0)); then
        echo "ok $name"
        PASSED=$((PASSED + 1))
    else
        if [[ -e $WORK/reason ]]; then
            echo "FAIL $name: $(<"$WORK/reason")"
        else
            echo "FAIL $name: the check stopped with status $rc"
        fi
        FAILED=$((FAILED + 1))
    fi
}

# ---------------------------------------------------------------------------
# Checks in the Debian root filesystem

check_become_root() {
    capture in_root sh -c 'id -u; id -g; stat -c "%u:%g" /usr/bin/dpkg'
    expect_status 0
    expect_output $'0\n0\n0:0'
}

check_dpkg_list() {
    capture in_root dpkg -l
    expect_status 0
    expect_line '^ii +dpkg +[0-9]'
    expect_line '^ii +base-files +[0-9]'
}

check_apt_cache_policy() {
    capture in_root apt-cache policy dpkg
    expect_status 0
    expect_line '^ +Installed: [0-9][^ ]*$'
}

check_shell_pipeline() {
    capture in_root sh -c 'seq 1 100 | grep 7 | wc -l'
    expect_status 0
    expect_output 19
}

check_dpkg_install() {
    capture in_root --ro-bind "$HELLO_DEB" /tmp/e2e-hello.deb dpkg -i /tmp/e2e-hello.deb
    expect_status 0
    expect_line '^Setting up e2e-hello \(1\.0\)'
}

# Reads what check_dpkg_install left in the root filesystem.
check_dpkg_installed() {
    capture in_root dpkg -s e2e-hello
    expect_status 0
    expect_line '^Status: install ok installed$'
    capture in_root cat /usr/share/e2e-hello/hello
    expect_status 0
    expect_output "hello from e2e-hello"
    capture in_root e2e-hello
    expect_status 0
    expect_output "e2e-hello says: hello from e2e-hello"
}

check_foreign_owner_refused() {
    capture in_root --suppress-sync --ro-bind "$OWNED_DEB" /tmp/e2e-owned.deb \
        dpkg -i /tmp/e2e-owned.deb
    expect_failure
    expect_stderr_line 'ownership'
}

check_foreign_owner_suppress_chown() {
    capture in_root --suppress-chown --suppress-sync \
        --ro-bind "$OWNED_DEB" /tmp/e2e-owned.deb dpkg -i /tmp/e2e-owned.deb
    expect_status 0
    expect_line '^Setting up e2e-owned \(1\.0\)'
    capture in_root dpkg -s e2e-owned
    expect_status 0
    expect_line '^Status: install ok installed$'
    # The chown was skipped, so the file stays with its creator, root here.
    capture in_root stat -c '%u:%g %n' /usr/share/e2e-owned/owned
    expect_status 0
    expect_output "0:0 /usr/share/e2e-owned/owned"
}

check_tar_suppress_chown() {
    capture in_root --suppress-chown --ro-bind "$MIXED_TAR" /tmp/mixed.tar sh -ec '
        mkdir /tmp/x
        cd /tmp/x
        tar --same-owner -xpf /tmp/mixed.tar
        cat root-file games-file user-file
        stat -c "%u:%g %n" root-file games-file user-file'
    expect_status 0
    # No chown happened, so every file keeps its creator, root here.
    expect_output $'root file\ngames file\nuser file\n0:0 root-file\n0:0 games-file\n0:0 user-file'
}

check_tar_chown_refused() {
    capture in_root --ro-bind "$MIXED_TAR" /tmp/mixed.tar sh -c '
        mkdir /tmp/x && tar --same-owner -xpf /tmp/mixed.tar -C /tmp/x'
    expect_failure
    expect_stderr_line 'Cannot change ownership'
}

# ---------------------------------------------------------------------------
# The mkosi-chroot applet

interface_names() {
    awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' | LC_ALL=C sort
}

check_chroot_root_option() {
    capture as_user "$CHROOT" --root "$ROOT" id -u
    expect_status 0
    expect_output 0
}

check_chroot_buildroot_env() {
    capture as_user env BUILDROOT="$ROOT" "$CHROOT" id -u
    expect_status 0
    expect_output 0
}

check_chroot_container_manager() {
    capture as_user "$CHROOT" --root "$ROOT" cat /run/host/container-manager
    expect_status 0
    expect_output mkosi
}

check_chroot_environment() {
    capture as_user "$CHROOT" --root "$ROOT" sh -c 'env; test -d /run/user/0 && echo run-user-0'
    expect_status 0
    expect_line '^container=mkosi$'
    expect_line '^HOME=/$'
    expect_line '^PATH=/usr/bin:/usr/sbin$'
    expect_line '^BUILDROOT=/$'
    expect_line '^run-user-0$'
}

# The names in the private /dev; pass "console" when stderr is a terminal.
expected_dev() {
    local names=(core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero "$@")
    if [[ -e /dev/fuse ]]; then
        names+=(fuse)
    fi
    printf '%s\n' "${names[@]}" | LC_ALL=C sort | paste -sd' '
}

check_chroot_dev() {
    capture as_user "$CHROOT" --root "$ROOT" ls -1 /dev
    expect_status 0
    OUT=$(LC_ALL=C sort <<<"$OUT" | paste -sd' ')
    expect_output "$(expected_dev)"
}

# script(1) gives the command a terminal, so /dev/console must appear.
check_chroot_dev_console() {
    capture as_user script -qec \
        "$CHROOT --root $ROOT sh -c 'stat -c %F /dev/console; ls -1 /dev'" /dev/null
    expect_status 0
    OUT=$(tr -d '\r' <<<"$OUT")
    expect_line '^character special file$'
    OUT=$(grep -v ' ' <<<"$OUT" | LC_ALL=C sort | paste -sd' ')
    expect_output "$(expected_dev console)"
}

check_chroot_netns() {
    capture as_user "$CHROOT" --root "$ROOT" cat /proc/net/dev
    expect_status 0
    OUT=$(interface_names <<<"$OUT" | paste -sd' ')
    expect_output lo
}

check_chroot_network() {
    local host
    host=$(interface_names </proc/net/dev | paste -sd' ')
    capture as_user "$CHROOT" --root "$ROOT" --network cat /proc/net/dev
    expect_status 0
    OUT=$(interface_names <<<"$OUT" | paste -sd' ')
    expect_output "$host"
}

check_chroot_bind() {
    install -d -m 0755 "$WORK/chroot-bind"
    echo "marker from the host" >"$WORK/chroot-bind/marker"
    capture as_user "$CHROOT" --root "$ROOT" --bind "$WORK/chroot-bind" /mnt/x cat /mnt/x/marker
    expect_status 0
    expect_output "marker from the host"
}

check_chroot_no_root() {
    capture as_user "$CHROOT" id -u
    expect_status 2
    [[ $(wc -l <<<"$ERR") == 1 && $ERR == mkosi-chroot:* ]] ||
        fail "expected one line on stderr starting 'mkosi-chroot:' / saw '$(shorten "$ERR")'"
}

# ---------------------------------------------------------------------------
# Overlay trees in the style of mkosi's sandbox: the host's /usr below a
# layer of extra files, and /etc and /var with upper directories on the host.

# check_overlay_tree root|user|user-root
check_overlay_tree() {
    local variant=$1
    local dir=$WORK/overlay-$variant run=() extra=()
    install -d -m 0755 "$dir/extra/share/e2e-extra" \
        "$dir/etc-upper" "$dir/etc-work" "$dir/var-upper" "$dir/var-work"
    echo "from the extra layer" >"$dir/extra/share/e2e-extra/marker"
    case $variant in
        root) run=(as_root) ;;
        user) run=(as_user) ;;
        user-root) run=(as_user) extra=(--become-root) ;;
    esac
    [[ $variant == root ]] || chown -R "$TEST_USER:$TEST_USER" "$dir"

    local tree=(
        "$BIN"
        --overlay-lowerdir /usr --overlay-lowerdir "$dir/extra" --overlay /usr
        --symlink usr/bin /bin --symlink usr/sbin /sbin
        --symlink usr/lib /lib --symlink usr/lib64 /lib64
        --overlay-lowerdir /etc --overlay-upperdir "$dir/etc-upper"
        --overlay-workdir "$dir/etc-work" --overlay /etc
        --overlay-lowerdir /var --overlay-upperdir "$dir/var-upper"
        --overlay-workdir "$dir/var-work" --overlay /var
        --dev /dev --proc /proc --tmpfs /tmp
        "${extra[@]}"
    )

    capture "${run[@]}" "${tree[@]}" ls /usr/bin/sh
    expect_status 0
    expect_output /usr/bin/sh

    capture "${run[@]}" "${tree[@]}" sh -c 'echo hi'
    expect_status 0
    expect_output hi

    # Bookworm's dpkg database knows /bin/sh but not /usr/bin/sh, so dpkg -S
    # exits 1 even on the host: the answer must simply be the host's.
    local query=(dpkg -S /usr/bin/sh /bin/sh /usr/bin/dpkg) host_out host_rc=0
    host_out=$(as_root "${query[@]}" 2>/dev/null) || host_rc=$?
    capture "${run[@]}" "${tree[@]}" "${query[@]}"
    expect_status "$host_rc"
    expect_output "$host_out"
    expect_line '^dash: (/usr)?/bin/sh$'
    expect_line '^dpkg: /usr/bin/dpkg$'

    capture "${run[@]}" "${tree[@]}" cat /usr/share/e2e-extra/marker
    expect_status 0
    expect_output "from the extra layer"

    capture "${run[@]}" "${tree[@]}" sh -c 'echo written inside >/etc/e2e-written'
    expect_status 0
    [[ -f $dir/etc-upper/e2e-written && $(<"$dir/etc-upper/e2e-written") == "written inside" ]] ||
        fail "expected /etc/e2e-written in the host upper dir $dir/etc-upper / it is not there"
    [[ ! -e /etc/e2e-written ]] ||
        fail "expected the host's /etc untouched / /etc/e2e-written appeared on the host"
}

# ---------------------------------------------------------------------------

main() {
    local start=$SECONDS
    ensure_tools
    ensure_user
    ensure_rootfs_cache
    make_workdir
    cd "$WORK"
    make_hello_deb
    make_owned_deb
    make_mixed_tar

    if ! as_user unshare --user true 2>/dev/null; then
        echo "$0: user $TEST_USER cannot create a user namespace" \
            "(see the sysctls kernel.unprivileged_userns_clone and" \
            "user.max_user_namespaces, or an AppArmor policy)" >&2
        exit 1
    fi

    run_check become-root-uid check_become_root
    run_check dpkg-list check_dpkg_list
    run_check apt-cache-policy check_apt_cache_policy
    run_check shell-pipeline check_shell_pipeline
    run_check dpkg-install check_dpkg_install
    run_check dpkg-installed check_dpkg_installed
    run_check foreign-owner-refused check_foreign_owner_refused
    run_check foreign-owner-suppress-chown check_foreign_owner_suppress_chown
    run_check tar-suppress-chown check_tar_suppress_chown
    run_check tar-chown-refused check_tar_chown_refused

    run_check chroot-root-option check_chroot_root_option
    run_check chroot-buildroot-env check_chroot_buildroot_env
    run_check chroot-container-manager check_chroot_container_manager
    run_check chroot-environment check_chroot_environment
    run_check chroot-dev check_chroot_dev
    run_check chroot-dev-console check_chroot_dev_console
    run_check chroot-netns check_chroot_netns
    run_check chroot-network check_chroot_network
    run_check chroot-bind check_chroot_bind
    run_check chroot-no-root check_chroot_no_root

    run_check overlay-tree-root check_overlay_tree root
    run_check overlay-tree-user check_overlay_tree user
    run_check overlay-tree-user-become-root check_overlay_tree user-root

    echo "# $((SECONDS - start))s"
    echo "$PASSED passed, $FAILED failed"
    ((FAILED == 0))
}

main
