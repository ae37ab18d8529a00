#!/bin/bash
# Start-up cost of mkosi-sandbox next to bubblewrap and util-linux unshare.
#
#   tests/bench/run.sh BINARY
#
# Must run as root. Every case is measured twice in one session: as root and
# as the unprivileged user "sandboxtest" (created when missing), which makes
# the tools go through a user namespace. Each case is one hyperfine
# invocation listing all tools, so they see the same machine state.
#
# Cases:
#   1. "--bind / / T" (unshare: "-rm T"): the fixed cost of a sandbox.
#   2. mkosi's usual sandbox command line (about 70 arguments), the same
#      operations given to bwrap in its own spelling.
#   3. 100 and 1,000 filesystem operations (dirs, tmpfs, binds, read-only
#      binds), to show how the cost grows with the command line.
# T is a static program that only calls exit(0), so what is measured is the
# setup. Peak RSS is taken with GNU time (ru_maxrss of the tool and whatever it
# forks; Linux keeps the high-water mark across execve).
#
# Environment: BENCH_VERBOSE=1 shows hyperfine's own output;
# BENCH_QUICK=1 cuts the run counts (for trying the script, not for numbers).

# Command lines are kept as strings (hyperfine takes them so) and split on
# spaces where run directly; paths never contain spaces here.
# shellcheck disable=SC2086
set -euo pipefail
set -f

die() { echo "bench: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 BINARY"
BIN=$1
[ "$(id -u)" -eq 0 ] || die "must run as root (it also runs every case as user sandboxtest)"
[ -f "$BIN" ] && [ -x "$BIN" ] || die "$BIN: not an executable file (run 'make build' first)"

HERE=$(cd "$(dirname "$0")" && pwd)
USER_NAME=sandboxtest
START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- tools
need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v bwrap >/dev/null || need+=(bubblewrap)
[ -x /usr/bin/time ] || need+=(time)
command -v gcc >/dev/null || need+=(gcc)
# the probe is linked statically against glibc
{ command -v gcc >/dev/null && [ "$(gcc -print-file-name=libc.a)" != libc.a ]; } || need+=(libc6-dev)
command -v python3 >/dev/null || need+=(python3)
{ command -v setpriv && command -v unshare; } >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
    echo "bench: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${need[@]}" >/dev/null ||
        { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; } ||
        die "could not install ${need[*]}"
fi
PY=$(command -v python3)
UNSHARE=$(command -v unshare)
BWRAP=$(command -v bwrap)
HYPERFINE=$(command -v hyperfine)
SETPRIV=$(command -v setpriv)

if ! id -u "$USER_NAME" >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --shell /bin/sh "$USER_NAME"
fi

# ---------------------------------------------------------------- workspace
W=$(mktemp -d /tmp/mkosi-sandbox-bench.XXXXXX)
cleanup() { rm -rf -- "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 0755 "$W"
mkdir -p "$W/bin" "$W/res"
install -m 0755 "$BIN" "$W/bin/mkosi-sandbox"   # the applet is chosen by this name
MS=$W/bin/mkosi-sandbox

cat >"$W/t.c" <<'EOF'
/* Does nothing: exit(0) with a raw syscall, no libc, no dynamic loader. */
void _start(void)
{
    __asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
    __builtin_unreachable();
}
EOF
cat >"$W/rewind.c" <<'EOF'
/* Put the shared file offset of fd 3 back to 0 (bwrap --file reads fd 3). */
void _start(void)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(8L), "D"(3L), "S"(0L), "d"(0L) : "rcx", "r11", "memory");
    __asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
    __builtin_unreachable();
}
EOF
gcc -static -nostdlib -O2 -o "$W/bin/T" "$W/t.c"
gcc -static -nostdlib -O2 -o "$W/bin/rewind3" "$W/rewind.c"
gcc -static -O2 -o "$W/bin/probe" "$HERE/probe.c"
"$W/bin/T" || die "the do-nothing test program does not run"
T=$W/bin/T
printf x >"$W/data"
chmod 0644 "$W/data"

# Per-user directories: the sandboxes create mount points in the bound
# buildroot, so each user gets its own, writable by that user.
for u in root "$USER_NAME"; do
    d=$W/u-$u
    mkdir -p "$d/vartmp" "$d/buildroot" "$d/src" "$d/out"
    cp "$T" "$W/bin/probe" "$d/vartmp/"
    cp "$T" "$W/bin/probe" "$d/src/"
    chown -R "$u:" "$d"
done

SAFE_ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TMPDIR=/var/tmp)
as_user() {   # as_user USER CMD...: run CMD as USER with a small fixed environment
    local u=$1; shift
    if [ "$u" = root ]; then
        (cd "$W" && "${SAFE_ENV[@]}" HOME=/root "$@")
    else
        (cd "$W" && "$SETPRIV" --reuid="$USER_NAME" --regid="$USER_NAME" --clear-groups \
            "${SAFE_ENV[@]}" HOME="$W/u-$USER_NAME" "$@")
    fi
}

# ---------------------------------------------------------------- command lines
# Case 2: mkosi's usual line. Filled in per user (the bound dirs differ).
# Both tools get the same operations in the same order; --write DATA DST is
# bwrap's --file 3 DST, fd 3 being a file holding DATA ("x").
usual_args() {   # usual_args USER SPELLING(ms|bwrap)
    local u=$1 sp=$2 d=$W/u-$1 a=() l
    a+=(--proc /proc --unsetenv TMPDIR --setenv SYSTEMD_OFFLINE 0 --unshare-net)
    a+=(--ro-bind /usr /usr)
    for l in bin sbin lib lib64; do
        if [ -L "/$l" ]; then
            a+=(--symlink "$(readlink "/$l")" "/$l")
        elif [ -d "/$l" ]; then
            a+=(--ro-bind "/$l" "/$l")
        fi
    done
    a+=(--dir /var/tmp --dir /var/log --unshare-ipc)
    [ -d /home ] && a+=(--ro-bind /home /home)
    a+=(--dev /dev)
    [ -d /etc/alternatives ] && a+=(--ro-bind /etc/alternatives /etc/alternatives)
    [ -f /etc/ld.so.cache ] && a+=(--ro-bind /etc/ld.so.cache /etc/ld.so.cache)
    a+=(--setenv PATH /usr/bin:/usr/sbin)
    a+=(--bind "$d/vartmp" /var/tmp)
    a+=(--dir /etc --dir /var --dir /tmp --dir /run)
    a+=(--bind "$d/buildroot" /buildroot)
    a+=(--tmpfs /buildroot/run --tmpfs /buildroot/tmp --proc /buildroot/proc --dev /buildroot/dev)
    a+=(--dir /buildroot/run/user/0)
    if [ "$sp" = ms ]; then
        a+=(--write x /buildroot/etc/marker)
    else
        a+=(--file 3 /buildroot/etc/marker)
    fi
    echo "${a[*]}"
}

# Case 3: N operations, each one real work: per ten operations six --dir
# (mkdir), two --tmpfs (mkdir + mount), one --bind and one --ro-bind
# (mkdir + bind mount; the read-only one also remounts). Destinations are
# siblings, so no bind is made redundant by another. T is run from the first
# bind, so no extra operation is needed to reach it.
ops_args() {   # ops_args USER N
    local src=$W/u-$1/src n=$2 i a=()
    for ((i = 0; i < n; i++)); do
        case $((i % 10)) in
            [0-5]) a+=(--dir "/w/d$i") ;;
            [67]) a+=(--tmpfs "/w/t$i") ;;
            8) a+=(--bind "$src" "/w/b$i") ;;
            9) a+=(--ro-bind "$src" "/w/r$i") ;;
        esac
    done
    echo "${a[*]}"
}

wc_args() { set -- $1; echo $#; }

# ---------------------------------------------------------------- running
QUICK=${BENCH_QUICK:-0}
STYLE=none
[ "${BENCH_VERBOSE:-0}" = 1 ] && STYLE=basic
FAILED=()
: >"$W/res/rss.tsv"
: >"$W/res/cases.tsv"
: >"$W/res/status.tsv"

# check USER CASE NAME CMD: run CMD once; on failure record it and return 1
check() {
    local u=$1 c=$2 name=$3 cmd=$4 rc=0
    as_user "$u" $cmd 3<"$W/data" >"$W/res/check.out" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        FAILED+=("case $c as $u: $name exited $rc: $cmd :: $(head -c 2000 "$W/res/check.out" | tr '\n' ' ')")
        printf '%s\t%s\t%s\tfailed\n' "$c" "$u" "$name" >>"$W/res/status.tsv"
        echo "  !! $name failed (exit $rc) as $u:" >&2
        echo "     command: $cmd" >&2
        sed 's/^/     /' "$W/res/check.out" | head -20 >&2
        return 1
    fi
}

# rss USER CASE NAME CMD: median ru_maxrss (KiB) over 5 runs
rss() {
    local u=$1 c=$2 name=$3 cmd=$4 i vals=() f=$W/u-$1/out/rss
    for i in 1 2 3 4 5; do
        as_user "$u" /usr/bin/time -f %M -o "$f" $cmd 3<"$W/data" >/dev/null 2>&1 || return 0
        vals+=("$(tail -n1 "$f")")
    done
    printf '%s\t%s\t%s\t%s\n' "$c" "$u" "$name" \
        "$(printf '%s\n' "${vals[@]}" | sort -n | sed -n 3p)" >>"$W/res/rss.tsv"
}

# same USER CASE BWRAP_CMD MS_CMD: both sandboxes run the probe; the
# descriptions of what they built must match (else the timings compare
# different work).
same() {
    local u=$1 c=$2 rb=0 rms=0
    as_user "$u" $3 3<"$W/data" >"$W/res/same.bwrap" 2>&1 || rb=$?
    as_user "$u" $4 3<"$W/data" >"$W/res/same.ms" 2>&1 || rms=$?
    if [ $rb -ne 0 ]; then
        FAILED+=("case $c as $u: bwrap itself failed (exit $rb): $(head -c 300 "$W/res/same.bwrap" | tr '\n' ' ')")
        echo "  !! bwrap failed (exit $rb) as $u: $(head -c 300 "$W/res/same.bwrap")" >&2
    elif [ $rms -ne 0 ]; then
        return 0   # reported by check
    elif ! diff -u --label bwrap --label mkosi-sandbox "$W/res/same.bwrap" "$W/res/same.ms" >"$W/res/same.diff"; then
        FAILED+=("case $c as $u: the sandbox differs from bwrap's: $(grep '^[-+][^-+]' "$W/res/same.diff" | tr '\n' ' ')")
        printf '%s\t%s\tmkosi-sandbox\tdiffers\n' "$c" "$u" >>"$W/res/status.tsv"
        echo "  !! mkosi-sandbox built a different sandbox than bwrap (as $u):" >&2
        sed 's/^/     /' "$W/res/same.diff" >&2
    else
        if [ "$(wc -l <"$W/res/same.ms")" -gt 1 ]; then
            echo "    same sandbox as bwrap ($(wc -l <"$W/res/same.ms") facts checked)"
        else
            echo "    same sandbox as bwrap: $(cat "$W/res/same.ms")"
        fi
    fi
}

# bench USER CASE LABEL ROUNDS WARMUP RUNS PREPARE NAME CMD [NAME CMD...]
# ROUNDS hyperfine invocations, each with all tools (WARMUP + RUNS runs of
# each), the order of the tools reversed every other round: a burst of load
# on the machine then hits all tools alike instead of one of them.
bench() {
    local u=$1 c=$2 label=$3 rounds=$4 warm=$5 runs=$6 prep=$7
    shift 7
    local names=() cmds=() name cmd k i order out
    if [ "$QUICK" = 1 ]; then rounds=2; warm=1; runs=5; fi
    while [ $# -gt 0 ]; do
        name=$1 cmd=$2
        shift 2
        check "$u" "$c" "$name" "$cmd" || continue
        rss "$u" "$c" "$name" "$cmd"
        names+=("$name")
        cmds+=("$cmd")
    done
    printf '%s\t%s\t%s\n' "$c" "$u" "$label" >>"$W/res/cases.tsv"
    [ ${#names[@]} -gt 0 ] || return 0
    for ((k = 0; k < rounds; k++)); do
        out=$W/u-$u/out/case$c-$k.json
        local hf=("$HYPERFINE" -N --style "$STYLE" --warmup "$warm" --runs "$runs" --export-json "$out")
        [ "$prep" != - ] && hf+=(--prepare "$prep")
        order=$(seq 0 $((${#names[@]} - 1)))
        [ $((k % 2)) = 1 ] && order=$(echo "$order" | tac)
        for i in $order; do
            hf+=(-n "${names[$i]}" "${cmds[$i]}")
        done
        if ! as_user "$u" "${hf[@]}" 3<"$W/data" 2>"$W/res/hf.err"; then
            cat "$W/res/hf.err" >&2
            FAILED+=("case $c as $u: hyperfine failed (a command failed during the timed runs)")
            return 0
        fi
        # hyperfine's usual warnings (outliers, slow first run) are left out:
        # the min-max spread shows the same
        grep -v -e 'Statistical outliers' -e 'first benchmarking run' -e '^[[:space:]]*$' \
            "$W/res/hf.err" >&2 || true
        cp "$out" "$W/res/case$c-$u-round$k.json"
    done
    "$PY" "$HERE/report.py" case "$W/res" "$c" "$u"
}

echo "mkosi-sandbox start-up benchmark"
echo "  binary:  $BIN ($("$MS" --version 2>/dev/null | head -n1 || echo 'no --version'))"
echo "  bwrap:   $("$BWRAP" --version)"
echo "  unshare: $("$UNSHARE" --version)"
echo "  machine: $(nproc) cores, kernel $(uname -r)"
echo "  test program: $(stat -c %s "$T") bytes, static, exit(0) only"

# Host namespaces, to tell whether --unshare-ipc/--unshare-net took effect.
HOST_NS="ipc $(readlink /proc/self/ns/ipc) net $(readlink /proc/self/ns/net)"
FACT_PATHS="/usr /bin /sbin /lib /lib64 /proc /var/tmp /var/log /home /dev/null /dev/pts /dev/shm
 /etc /etc/alternatives /etc/ld.so.cache /var /tmp /run /buildroot /buildroot/run /buildroot/tmp
 /buildroot/proc /buildroot/dev /buildroot/dev/null /buildroot/run/user/0 /buildroot/etc/marker"

for u in root "$USER_NAME"; do
    echo
    echo "=== case 1 as $u: --bind / / T"
    bench "$u" 1 "--bind / / T" 5 4 100 - \
        "unshare" "$UNSHARE -rm $T" \
        "bwrap" "$BWRAP --bind / / $T" \
        "mkosi-sandbox" "$MS --bind / / $T"
done

for u in root "$USER_NAME"; do
    ms2=$(usual_args "$u" ms)
    bw2=$(usual_args "$u" bwrap)
    echo
    echo "=== case 2 as $u: mkosi's usual line, $(wc_args "$ms2") arguments"
    echo "    mkosi-sandbox $ms2 /var/tmp/T"
    same "$u" 2 "$BWRAP $bw2 /var/tmp/probe facts $HOST_NS -- $FACT_PATHS" \
        "$MS $ms2 /var/tmp/probe facts $HOST_NS -- $FACT_PATHS"
    bench "$u" 2 "mkosi's usual line, $(wc_args "$ms2") args" 5 2 50 "$W/bin/rewind3" \
        "bwrap" "$BWRAP $bw2 /var/tmp/T" \
        "mkosi-sandbox" "$MS $ms2 /var/tmp/T"
done

for n in 100 1000; do
    c=3a runs="5 1 30"
    [ $n = 1000 ] && c=3b runs="5 1 12"
    for u in root "$USER_NAME"; do
        ops=$(ops_args "$u" $n)
        echo
        echo "=== case 3 as $u: $n operations ($(wc_args "$ops") arguments)"
        same "$u" $c "$BWRAP $ops /w/b8/probe count /w" "$MS $ops /w/b8/probe count /w"
        bench "$u" $c "$n operations" $runs - \
            "bwrap" "$BWRAP $ops /w/b8/T" \
            "mkosi-sandbox" "$MS $ops /w/b8/T"
    done
done

echo
ELAPSED=$(($(date +%s) - START))
"$PY" "$HERE/report.py" table "$W/res" \
    --cores "$(nproc)" --kernel "$(uname -r)" --date "$(date -u +%Y-%m-%d)" \
    --bwrap "$("$BWRAP" --version)" --unshare "$("$UNSHARE" --version)" \
    --hyperfine "$("$HYPERFINE" --version)" --elapsed "$ELAPSED" \
    --load "$LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)" \
    --cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"

if [ ${#FAILED[@]} -gt 0 ]; then
    echo
    echo "FAILURES:" >&2
    printf '  %s\n' "${FAILED[@]}" >&2
    exit 1
fi
