#!/usr/bin/env python3
"""Summaries for tests/bench/run.sh, computed from hyperfine's JSON exports.

  report.py case DIR CASE USER   one case: medians, min-max, ratios
  report.py table DIR [--cores N --kernel K ...]   markdown tables for a README

DIR holds case<CASE>-<USER>-round<K>.json (hyperfine --export-json, one per
round; the rounds' times are merged), rss.tsv
(case, user, tool, KiB) and cases.tsv (case, user, label).
"""

import argparse
import glob
import json
import os
import statistics
import sys

TOOLS = ["unshare", "bwrap", "mkosi-sandbox"]
USERS = ["root", "sandboxtest"]


def load(d, case, user):
    """Times of every round of one case, merged per tool."""
    times = {}
    for path in sorted(glob.glob(os.path.join(d, f"case{case}-{user}-round*.json"))):
        with open(path) as f:
            data = json.load(f)
        for r in data["results"]:
            times.setdefault(r["command"], []).extend(r["times"])
    out = {}
    for tool, t in times.items():
        out[tool] = {
            "median": statistics.median(t),
            "min": min(t),
            "max": max(t),
            "n": len(t),
        }
    return out


def load_rss(d):
    rss = {}
    path = os.path.join(d, "rss.tsv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                c, u, tool, kib = line.rstrip("\n").split("\t")
                rss[(c, u, tool)] = int(kib)
    return rss


def status(d):
    """(case, user, tool) -> "failed" (did not run) or "differs" (built another tree)."""
    out = {}
    path = os.path.join(d, "status.tsv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                c, u, tool, what = line.rstrip("\n").split("\t")
                out[(c, u, tool)] = what
    return out


def labels(d):
    out = {}
    path = os.path.join(d, "cases.tsv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                c, u, label = line.rstrip("\n").split("\t")
                out[c] = label
    return out


def ms(s):
    v = s * 1000
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def ratio(res, a, b):
    if a in res and b in res and res[b]["median"] > 0:
        return res[a]["median"] / res[b]["median"]
    return None


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}×"


def cmd_case(args):
    res = load(args.dir, args.case, args.user)
    rss = load_rss(args.dir)
    label = labels(args.dir).get(args.case, "")
    print(f"case {args.case} ({label}) as {args.user}:")
    for tool in TOOLS:
        if tool not in res:
            continue
        r = res[tool]
        kib = rss.get((args.case, args.user, tool))
        extra = f"   peak RSS {kib} KiB" if kib is not None else ""
        print(f"  {tool:<14} median {ms(r['median']):>7} ms   min–max {ms(r['min'])}–{ms(r['max'])} ms"
              f"   ({r['n']} runs){extra}")
    parts = []
    for other in ("bwrap", "unshare"):
        q = ratio(res, "mkosi-sandbox", other)
        if q is not None:
            parts.append(f"mkosi-sandbox/{other} = {q:.2f}×")
    if args.case == "3b":
        small = load(args.dir, "3a", args.user)
        for tool in ("bwrap", "mkosi-sandbox"):
            if tool in res and tool in small:
                parts.append(f"{tool} 1000/100 ops = {res[tool]['median'] / small[tool]['median']:.1f}×")
    if parts:
        print("  " + "   ".join(parts))
    sys.stdout.flush()


def cmd_table(args):
    d = args.dir
    rss = load_rss(d)
    lab = labels(d)
    st = status(d)
    cases = ["1", "2", "3a", "3b"]
    names = {
        "1": "1. `--bind / / T` (unshare: `-rm T`)",
        "2": f"2. mkosi's usual line ({lab.get('2', '').split(', ')[-1]})",
        "3a": "3. 100 operations",
        "3b": "3. 1,000 operations",
    }
    print("## Start-up cost")
    print()
    print(f"Machine: {args.cores} cores ({args.cpu}), kernel {args.kernel}, {args.date}. "
          f"{args.bwrap}, {args.unshare}, {args.hyperfine}. "
          f"Wall time per sandbox running a static do-nothing program, median of N runs "
          f"(min–max in parentheses), in ms. `sandboxtest` is an unprivileged user "
          f"(a user namespace is created); root is not.")
    print()
    print("| case | user | unshare | bwrap | mkosi-sandbox | mkosi-sandbox ÷ bwrap | mkosi-sandbox ÷ unshare |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for c in cases:
        for u in USERS:
            res = load(d, c, u)
            if not res and not any(k[:2] == (c, u) for k in st):
                continue
            cells = []
            for tool in TOOLS:
                what = st.get((c, u, tool))
                if tool in res:
                    r = res[tool]
                    cell = f"{ms(r['median'])} ({ms(r['min'])}–{ms(r['max'])})"
                    cells.append(cell + (" **differs**" if what == "differs" else ""))
                else:
                    cells.append("**failed**" if what == "failed" else "–")
            print(f"| {names[c]} | {u} | {' | '.join(cells)} | "
                  f"{fmt_ratio(ratio(res, 'mkosi-sandbox', 'bwrap'))} | "
                  f"{fmt_ratio(ratio(res, 'mkosi-sandbox', 'unshare'))} |")
    for u in USERS:
        big, small = load(d, "3b", u), load(d, "3a", u)
        cells = []
        for tool in TOOLS:
            if tool in big and tool in small:
                cells.append(f"{big[tool]['median'] / small[tool]['median']:.1f}×")
            else:
                cells.append("–")
        if any(x != "–" for x in cells):
            print(f"| 3. growth, 1,000 ÷ 100 operations | {u} | {' | '.join(cells)} | | |")
    print()
    print("Peak RSS (max resident set of the tool and anything it forks, KiB, median of 5):")
    print()
    print("| case | user | unshare | bwrap | mkosi-sandbox |")
    print("|---|---|---:|---:|---:|")
    for c in cases:
        for u in USERS:
            cells = [str(rss[(c, u, t)]) if (c, u, t) in rss else "–" for t in TOOLS]
            if all(x == "–" for x in cells):
                continue
            print(f"| {names[c]} | {u} | {' | '.join(cells)} |")
    print()
    print("Notes: T is a static program that only calls exit(0). "
          "Case 2 gives bwrap the same operations in its spelling, except that "
          "`--write x /buildroot/etc/marker` becomes `--file 3 /buildroot/etc/marker` "
          "(fd 3 reads a file holding `x`, rewound before every run), and bwrap's "
          "`--proc` mounts a new procfs where mkosi-sandbox bind-mounts the host's /proc. "
          "Case 3: per ten operations six `--dir`, two `--tmpfs`, one `--bind`, one "
          "`--ro-bind`, on sibling destinations; linear growth would be just under 10×. "
          "Before timing, a probe run in each sandbox checks that both tools built the "
          "same tree; **differs** marks a case where it did not, **failed** one where "
          "the tool exited with an error.")
    print()
    print(f"Generated by `make bench` (tests/bench/run.sh) in {args.elapsed} s; "
          f"load average at start / end: {args.load}.")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("case")
    c.add_argument("dir")
    c.add_argument("case")
    c.add_argument("user")
    t = sub.add_parser("table")
    t.add_argument("dir")
    for k in ("cores", "kernel", "date", "bwrap", "unshare", "hyperfine", "elapsed", "cpu", "load"):
        t.add_argument("--" + k, default="?")
    args = p.parse_args()
    {"case": cmd_case, "table": cmd_table}[args.cmd](args)


if __name__ == "__main__":
    main()
