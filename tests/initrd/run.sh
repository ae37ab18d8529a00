#!/bin/bash
# Boot test: runs the static mkosi-sandbox binary inside a busybox initramfs
# on Debian's 6.1 kernel under QEMU (TCG, no KVM needed).
#
#   tests/initrd/run.sh BINARY
#
# In the guest "/" is the kernel's rootfs, which pivot_root refuses, so the
# binary has to take its move-and-chroot path. The guest script (init.sh next
# to this file) runs every check as root and as an unprivileged user, prints
# "ok NAME" or "FAIL NAME: ..." per check and a last line "N passed, M failed",
# then powers the machine off. This script exits non-zero when any check fails,
# when that line is missing, or when the guest does not finish in time.
#
# Environment:
#   INITRD_TEST_TIMEOUT  seconds before the guest is killed (default 300)
#   INITRD_TEST_ACCEL    QEMU accelerator (default tcg)
#   INITRD_TEST_KEEP     keep the work directory (initramfs, console log)
#   INITRD_TEST_VERBOSE  print the whole guest console also when all is well
#   INITRD_TEST_CACHE    cache directory (default /var/cache/mkosi-sandbox-tests)
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 BINARY" >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=$(realpath -e "$1")
cache=${INITRD_TEST_CACHE:-/var/cache/mkosi-sandbox-tests}
kcache=$cache/kernel
time_limit=${INITRD_TEST_TIMEOUT:-300}
accel=${INITRD_TEST_ACCEL:-tcg}
started=$SECONDS

log() { printf 'initrd-test: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (installs packages, builds a root-owned initramfs)"
[ -x "$binary" ] || die "$binary is not executable"

# --- 1. tools -----------------------------------------------------------------

apt_updated=
apt_get() {
    # Retry once after refreshing the package lists: a fresh machine may have
    # none, or lists naming files the archive no longer has.
    if ! DEBIAN_FRONTEND=noninteractive apt-get -q "$@"; then
        [ -z "$apt_updated" ] || return 1
        apt_updated=1
        DEBIAN_FRONTEND=noninteractive apt-get -q update
        DEBIAN_FRONTEND=noninteractive apt-get -q "$@"
    fi
}

pkg_installed() {
    [ "$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v cpio >/dev/null || missing+=(cpio)
command -v gzip >/dev/null || missing+=(gzip)
# busybox-static conflicts with the dynamic busybox package. When that one is
# installed, leave it alone and take the static binary from the .deb instead.
if ! pkg_installed busybox-static && ! pkg_installed busybox; then
    missing+=(busybox-static)
fi
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_get install -y --no-install-recommends "${missing[@]}" >&2
fi

mkdir -p "$kcache"
# Runs of this test may overlap; one at a time fetches and extracts.
exec 9>"$kcache/.lock"
flock 9

# Runs apt-get download in DIR. apt's download sandbox user cannot write to a
# root-only directory, so the download itself runs as root.
apt_download() {
    local dir=$1
    shift
    (cd "$dir" && apt_get -o APT::Sandbox::User=root download "$@" >&2)
}

busybox_static() {
    if pkg_installed busybox-static; then
        echo /bin/busybox
        return
    fi
    local dir=$cache/busybox deb
    mkdir -p "$dir"
    deb=$(find "$dir" -maxdepth 1 -name 'busybox-static_*.deb' | sort -V | tail -n1)
    if [ -z "$deb" ]; then
        apt_download "$dir" busybox-static
        deb=$(find "$dir" -maxdepth 1 -name 'busybox-static_*.deb' | sort -V | tail -n1)
    fi
    [ -n "$deb" ] || die "could not fetch busybox-static"
    if [ ! -x "$dir/root/bin/busybox" ] || [ "$deb" -nt "$dir/root/bin/busybox" ]; then
        rm -rf "$dir/root"
        mkdir -p "$dir/root"
        dpkg-deb -x "$deb" "$dir/root"
        touch "$dir/root/bin/busybox"
    fi
    echo "$dir/root/bin/busybox"
}

busybox=$(busybox_static)
"$busybox" true || die "$busybox does not run"

# --- 2. kernel ----------------------------------------------------------------

# The version of a package that the local package lists offer, without
# touching the network; empty when the lists do not know it.
candidate() {
    apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '^(none)$' || true
}

deb_of() { # PACKAGE VERSION: the cached .deb of exactly that version, if any
    local f
    for f in "$kcache/$1"_*.deb; do
        [ -e "$f" ] || continue
        if [ "$(dpkg-deb -f "$f" Package)" = "$1" ] && [ "$(dpkg-deb -f "$f" Version)" = "$2" ]; then
            echo "$f"
            return
        fi
    done
}

newest_cached() { # PACKAGE
    local f best="" bestv=""
    for f in "$kcache/$1"_*.deb; do
        [ -e "$f" ] || continue
        local v
        v=$(dpkg-deb -f "$f" Version)
        if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$bestv"; then
            best=$f
            bestv=$v
        fi
    done
    echo "$best"
}

# The meta package linux-image-amd64 names the versioned kernel package.
meta_version=$(candidate linux-image-amd64)
meta_deb=
[ -z "$meta_version" ] || meta_deb=$(deb_of linux-image-amd64 "$meta_version")
[ -n "$meta_deb" ] || [ -n "$meta_version" ] || meta_deb=$(newest_cached linux-image-amd64)
if [ -z "$meta_deb" ]; then
    log "fetching linux-image-amd64"
    rm -f "$kcache"/linux-image-amd64_*.deb
    apt_download "$kcache" linux-image-amd64
    meta_deb=$(newest_cached linux-image-amd64)
    [ -n "$meta_deb" ] || die "apt-get download linux-image-amd64 left no .deb in $kcache"
fi

# Depends: linux-image-6.1.0-57-amd64 (= 6.1.192-3)
dep=$(dpkg-deb -f "$meta_deb" Depends | tr ',' '\n' | grep -m1 -E '^ *linux-image-[0-9]' || true)
kpkg=$(sed -E 's/^ *([^ (]+).*/\1/' <<<"$dep")
kver=$(sed -nE 's/.*\(= *([^)]+)\).*/\1/p' <<<"$dep")
[ -n "$kpkg" ] && [ -n "$kver" ] || die "cannot read the kernel dependency of $meta_deb: '$dep'"
case $kpkg in
    linux-image-6.1.*-amd64) ;;
    *) log "warning: linux-image-amd64 depends on $kpkg, not a 6.1 kernel" ;;
esac

kdeb=$(deb_of "$kpkg" "$kver")
if [ -z "$kdeb" ]; then
    log "fetching $kpkg $kver"
    # Older kernels in the cache are of no further use.
    find "$kcache" -maxdepth 1 -name 'linux-image-[0-9]*.deb' -delete
    find "$kcache" -mindepth 1 -maxdepth 1 -type d -name 'linux-image-[0-9]*' -exec rm -rf {} +
    apt_download "$kcache" "$kpkg=$kver"
    kdeb=$(deb_of "$kpkg" "$kver")
    [ -n "$kdeb" ] || die "apt-get download $kpkg=$kver left no .deb in $kcache"
fi

# Extracted once per kernel package: vmlinuz, and the modules the guest needs
# (overlay and whatever it depends on) under lib/modules/KERNELRELEASE/.
kdir=$kcache/${kpkg}_${kver}
wanted_modules=(overlay)

norm() { tr - _; } # module names treat - and _ alike

# Dependencies of an uncompressed .ko, from its .modinfo section.
ko_depends() {
    tr '\0' '\n' <"$1" | awk '/^depends=/ && !seen { seen = 1; sub(/^depends=/, ""); gsub(/,/, " "); print }'
}

decompress_ko() { # PATH: leaves PATH without its compression suffix
    case $1 in
        *.ko) ;;
        *.ko.xz)
            command -v xz >/dev/null || apt_get install -y --no-install-recommends xz-utils >&2
            xz -d -f "$1" ;;
        *.ko.zst)
            command -v zstd >/dev/null || apt_get install -y --no-install-recommends zstd >&2
            zstd -q -d -f --rm "$1" ;;
        *.ko.gz) gzip -d -f "$1" ;;
        *) die "unknown module format: $1" ;;
    esac
}

extract_kernel() {
    local tmp=$kdir.tmp
    rm -rf "$tmp"
    mkdir -p "$tmp"
    log "extracting $(basename "$kdeb")"
    dpkg-deb --fsys-tarfile "$kdeb" | tar -t >"$tmp/files"
    local vmlinuz moddir release
    vmlinuz=$(grep -m1 -E '^\./boot/vmlinuz-' "$tmp/files" || true)
    [ -n "$vmlinuz" ] || die "no vmlinuz in $kdeb"
    moddir=$(grep -m1 -oE '^\./(usr/)?lib/modules/[^/]+/' "$tmp/files" || true)
    [ -n "$moddir" ] || die "no modules directory in $kdeb"
    release=$(basename "$moddir")

    # Module name -> path in the package.
    grep -E '\.ko(\.xz|\.zst|\.gz)?$' "$tmp/files" |
        awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", n); gsub(/-/, "_", n); print n, $0 }' \
            >"$tmp/index"

    local meta=()
    mapfile -t meta < <(grep -E "^${moddir//./\\.}modules\.(dep|builtin|order)$" "$tmp/files" || true)
    dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$tmp" "$vmlinuz" "${meta[@]}"
    mv "$tmp/$vmlinuz" "$tmp/vmlinuz"
    echo "$release" >"$tmp/release"

    local out=$tmp/modules/$release
    mkdir -p "$out"
    local dep_file=$tmp/$moddir/modules.dep builtin=$tmp/$moddir/modules.builtin
    [ -e "$builtin" ] || : >"$builtin"
    [ -e "$dep_file" ] || dep_file=

    # Breadth-first over the dependency graph; each round extracts the
    # modules of that round in one pass over the package.
    local -A seen=()
    local order=() queue=("${wanted_modules[@]}")
    while [ ${#queue[@]} -gt 0 ]; do
        local paths=() names=() name path
        for name in "${queue[@]}"; do
            name=$(norm <<<"$name")
            [ -z "${seen[$name]:-}" ] || continue
            seen[$name]=1
            if sed -E 's#.*/##; s#\.ko.*##' "$builtin" | norm | grep -qx "$name"; then
                continue # built into the kernel
            fi
            path=$(awk -v n="$name" '$1 == n { print $2; exit }' "$tmp/index")
            [ -n "$path" ] || die "module $name not found in $kdeb"
            paths+=("$path")
            names+=("$name")
        done
        queue=()
        [ ${#paths[@]} -gt 0 ] || break
        dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$tmp" "${paths[@]}"
        local i
        for i in "${!paths[@]}"; do
            path=${paths[$i]}
            decompress_ko "$tmp/$path"
            local ko=$tmp/${path%.ko*}.ko rel=${path#"$moddir"} deps
            rel=${rel%.ko*}.ko
            mkdir -p "$out/$(dirname "$rel")"
            mv "$ko" "$out/$rel"
            if [ -n "$dep_file" ]; then
                deps=$(awk -v p="${path#"$moddir"}" -F: '$1 == p { print $2 }' "$dep_file" |
                    tr ' ' '\n' | sed -E 's#.*/##; s#\.ko.*##' | tr '\n' ' ')
            else
                deps=$(ko_depends "$out/$rel")
            fi
            order+=("${names[$i]}:$rel:$deps")
            local d
            for d in $deps; do queue+=("$d"); done
        done
    done

    # A modules.dep for what the initramfs holds, each line listing the
    # module's whole dependency closure, the one to load first last.
    local -A relof=() depsof=()
    local entry
    for entry in "${order[@]}"; do
        IFS=: read -r name path deps <<<"$entry"
        relof[$name]=$path
        depsof[$name]=$deps
    done
    # Depth-first, each module after what it needs; modules.dep lists the
    # reverse, so that a loader going from the end of the line loads each
    # module after its dependencies.
    local -A visited=()
    local post=()
    visit() {
        local n d deps_=()
        n=$(norm <<<"$1")
        [ -z "${visited[$n]:-}" ] || return 0
        visited[$n]=1
        read -ra deps_ <<<"${depsof[$n]:-}"
        for d in "${deps_[@]}"; do visit "$d"; done
        [ -z "${relof[$n]:-}" ] || post+=("${relof[$n]}") # else built in
    }
    closure() { # NAME: its dependencies in modules.dep order
        local d deps_=() i line=()
        visited=()
        post=()
        visited[$1]=1
        read -ra deps_ <<<"${depsof[$1]}"
        for d in "${deps_[@]}"; do visit "$d"; done
        for ((i = ${#post[@]} - 1; i >= 0; i--)); do line+=("${post[$i]}"); done
        echo "${line[*]}"
    }
    : >"$out/modules.dep"
    for name in "${!relof[@]}"; do
        printf '%s: %s\n' "${relof[$name]}" "$(closure "$name")" >>"$out/modules.dep"
    done
    cp "$builtin" "$out/modules.builtin"

    rm -rf "${tmp:?}/files" "${tmp:?}/index" "${tmp:?}/lib" "${tmp:?}/usr" "${tmp:?}/boot"
    rm -rf "$kdir"
    mv "$tmp" "$kdir"
}

[ -s "$kdir/vmlinuz" ] && [ -s "$kdir/release" ] || extract_kernel
release=$(cat "$kdir/release")
log "kernel $kpkg $kver ($release)"
flock -u 9

# --- 3. initramfs -------------------------------------------------------------

work=$(mktemp -d /tmp/mkosi-sandbox-initrd.XXXXXX)
cleanup() {
    if [ -n "${INITRD_TEST_KEEP:-}" ]; then
        log "work directory kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

root=$work/root
mkdir -p "$root"/{usr/bin,usr/lib,etc,dev,proc,sys,root,home/user,srv,run}
mkdir -m 1777 "$root/tmp"
# Merged /usr, so that the man page's example runs as written.
ln -s usr/bin "$root/bin"
ln -s usr/bin "$root/sbin"
ln -s bin "$root/usr/sbin"
ln -s usr/lib "$root/lib"
chmod 0700 "$root/root"
chown 1000:1000 "$root/home/user"

install -m 0755 "$busybox" "$root/usr/bin/busybox"
for applet in $("$busybox" --list); do
    [ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
done
install -m 0755 "$binary" "$root/usr/bin/mkosi-sandbox"
install -m 0755 "$here/init.sh" "$root/init"
mkdir -p "$root/usr/lib/modules"
cp -a "$kdir/modules/$release" "$root/usr/lib/modules/"

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:unprivileged test user:/home/user:/bin/sh
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
user:x:1000:
EOF
echo /bin/sh >"$root/etc/shells"

# Fixtures the checks read.
echo "visible through --bind / /" >"$root/marker"
echo "host /tmp" >"$root/tmp/host-tmp-marker"
# Overlay layers, the bottom one with a path the legacy option string cannot
# hold unescaped.
mkdir -p "$root/srv/lay,ers:low" "$root/srv/top"
echo lower >"$root/srv/lay,ers:low/f"
echo bottom >"$root/srv/lay,ers:low/only-bottom"
echo top >"$root/srv/top/f"
chmod -R a+rX "$root/srv"
chown -R 1000:1000 "$root/srv/lay,ers:low" "$root/srv/top"
# A small tree for mkosi-chroot: busybox and its applet links.
mkdir -p "$root/srv/tree/usr/bin" "$root/srv/tree/etc"
ln -s usr/bin "$root/srv/tree/bin"
ln -s usr/bin "$root/srv/tree/sbin"
install -m 0755 "$busybox" "$root/srv/tree/usr/bin/busybox"
for applet in $("$busybox" --list); do
    [ -e "$root/srv/tree/usr/bin/$applet" ] || ln -s busybox "$root/srv/tree/usr/bin/$applet"
done
cp "$root/etc/passwd" "$root/etc/group" "$root/srv/tree/etc/"
echo tree >"$root/srv/tree/this-is-the-tree"

# The kernel opens /dev/console for init before anything is mounted.
mknod -m 0600 "$root/dev/console" c 5 1 2>/dev/null || true

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc) | gzip -6 >"$work/initrd.gz"
log "initramfs $(du -k "$work/initrd.gz" | cut -f1) KiB"

# --- 4. boot ------------------------------------------------------------------

console=$work/console.log
qemu_err=$work/qemu.err
log "booting (accel $accel, limit ${time_limit}s)"
boot_started=$SECONDS
set +e
timeout --kill-after=10 "$time_limit" \
    qemu-system-x86_64 \
    -accel "$accel" -cpu max -m 512 -smp 1 \
    -nodefaults -no-user-config -display none -monitor none \
    -serial "file:$console" \
    -no-reboot \
    -kernel "$kdir/vmlinuz" -initrd "$work/initrd.gz" \
    -append 'console=ttyS0 panic=-1 quiet' \
    </dev/null 2>"$qemu_err"
qemu_rc=$?
set -e
boot_time=$((SECONDS - boot_started))

# The serial console ends lines with CR LF.
tr -d '\r' <"$console" >"$work/console.txt" 2>/dev/null || : >"$work/console.txt"

show_console() {
    echo "----- guest console -----"
    cat "$work/console.txt"
    echo "----- end of guest console -----"
    if [ -s "$qemu_err" ]; then
        echo "----- qemu stderr -----"
        cat "$qemu_err"
    fi
}

summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/console.txt" | tail -n1 || true)
booted=$(sed -n '/^kernel: /{s///p;q}' "$work/console.txt")

fail=
if [ $qemu_rc -eq 124 ] || [ $qemu_rc -eq 137 ]; then
    fail="the guest did not power off within ${time_limit}s"
elif [ $qemu_rc -ne 0 ]; then
    fail="qemu exited with status $qemu_rc"
elif [ -z "$summary" ]; then
    fail="the guest printed no 'N passed, M failed' line"
fi

if [ -n "$fail" ]; then
    show_console
    log "FAILED: $fail"
    exit 1
fi

passed=${summary%% passed*}
failed=${summary#*passed, }
failed=${failed%% failed}

if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    show_console
    echo "kernel booted: ${booted:-unknown}"
    grep -E '^FAIL ' "$work/console.txt" || true
    echo "$summary"
    log "FAILED after $((SECONDS - started))s (boot and checks ${boot_time}s)"
    exit 1
fi
[ -z "${INITRD_TEST_VERBOSE:-}" ] || show_console
echo "kernel booted: ${booted:-unknown}"
grep -E '^(ok|FAIL) ' "$work/console.txt" || true
echo "$summary"
log "done in $((SECONDS - started))s (boot and checks ${boot_time}s)"
