#!/usr/bin/env python3
"""Line-level side-by-side of vigil, detect-secrets and secretlint on tests/fixtures/secrets.

Run from the repository root:

    python3 benches/secrets_compare.py \
        --vigil target/debug/vigil \
        --detect-secrets /tmp/seccmp/venv/bin/detect-secrets \
        --secretlint /tmp/seccmp/node_modules/.bin/secretlint \
        --secretlintrc /tmp/seccmp/.secretlintrc.json \
        [--runs 3] [--out /tmp/seccmp]

Each tool runs `--runs` times over the fixture folder (median wall time is reported); the
report of the last run is scored. Scoring is per line, because the tools' rule names differ:

* expected positive: a line announced by `ruleid:` (or a positive line in a `.expect` sidecar);
* found: the tool reports any finding whose start line is that line;
* FP on ok lines: a report on a line announced only by `ok:` (no `ruleid:` for it);
* other reports: a report on any other line (unannotated lines, annotation comments).
Reports on the `.expect` sidecars themselves (harness metadata) are dropped.
"""
import argparse
import json
import os
import statistics
import subprocess
import time
from collections import defaultdict

FIX = "tests/fixtures/secrets"
COMMENTS = ["#", "//", "/*", "<!--", "--", ";"]


def annotation(line):
    t = line.lstrip()
    for c in COMMENTS:
        if t.startswith(c):
            body = t[len(c):].strip()
            if body.startswith("ruleid:"):
                return True
            if body.startswith("ok:"):
                return False
            return None
    return None


def expectations(path):
    """Returns (positive lines, ok lines) for one fixture, like crates/rules/src/fixtures.rs."""
    pos, neg, pending = set(), set(), []
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines, 1):
        a = annotation(line)
        if a is not None:
            pending.append(a)
            continue
        for p in pending:
            (pos if p else neg).add(i)
        pending = []
    side = path + ".expect"
    if os.path.exists(side):
        for line in open(side, encoding="utf-8"):
            w = line.split("#")[0].split()
            if not w:
                continue
            positive = w[0] != "ok"
            if not positive:
                w = w[1:]
            if len(w) >= 2 and w[0].isdigit():
                (pos if positive else neg).add(int(w[0]))
    return pos, neg - pos


def fixtures():
    out = []
    for name in sorted(os.listdir(FIX)):
        p = os.path.join(FIX, name)
        if os.path.isfile(p) and not name.endswith(".expect"):
            out.append(p)
    return out


def rel(p):
    p = os.path.relpath(p) if os.path.isabs(p) else os.path.normpath(p)
    return p


def parse_vigil(text):
    rep = defaultdict(set)
    for f in json.loads(text)["findings"]:
        rep[rel(f["path"])].add(f["start"]["line"])
    return rep


def parse_ds(text):
    rep = defaultdict(set)
    for path, items in json.loads(text)["results"].items():
        for it in items:
            rep[rel(path)].add(it["line_number"])
    return rep


def parse_sl(text):
    rep = defaultdict(set)
    for f in json.loads(text):
        for m in f["messages"]:
            rep[rel(f["filePath"])].add(m["loc"]["start"]["line"])
    return rep


def run(cmd, runs, out_file):
    times, stdout = [], ""
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        stdout = r.stdout
    with open(out_file, "w") as f:
        f.write(stdout)
    return statistics.median(times), stdout


def version(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return (r.stdout or r.stderr).strip().splitlines()[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--detect-secrets", required=True)
    ap.add_argument("--secretlint", required=True)
    ap.add_argument("--secretlintrc", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default="/tmp/seccmp")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    tools = [
        ("vigil", version([a.vigil, "--version"]),
         [a.vigil, "scan", FIX, "--select", "secret-", "--format", "json", "--no-ignore"],
         parse_vigil, "vigil.json"),
        ("detect-secrets", version([a.detect_secrets, "--version"]),
         [a.detect_secrets, "scan", "--all-files", FIX], parse_ds, "ds.json"),
        ("secretlint", version([a.secretlint, "--version"]),
         [a.secretlint, "--secretlintrc", a.secretlintrc, "--format", "json",
          FIX + "/**/*"], parse_sl, "sl.json"),
    ]
    files = fixtures()
    ex = {p: expectations(p) for p in files}
    n_exp = sum(len(p) for p, _ in ex.values())
    n_ok = sum(len(n) for _, n in ex.values())

    rows, per_file, details, found_by = [], defaultdict(dict), {}, defaultdict(set)
    for name, ver, cmd, parse, out in tools:
        wall, stdout = run(cmd, a.runs, os.path.join(a.out, out))
        rep = parse(stdout)
        found = missed = fp_ok = other = 0
        miss_l, fp_l, other_l = [], [], []
        for p in files:
            pos, neg = ex[p]
            got = rep.get(p, set())
            f_ = pos & got
            found += len(f_)
            missed += len(pos - got)
            fp_ok += len(neg & got)
            oth = got - pos - neg
            other += len(oth)
            for ln in f_:
                found_by[(p, ln)].add(name)
            miss_l += [f"{os.path.basename(p)}:{l}" for l in sorted(pos - got)]
            fp_l += [f"{os.path.basename(p)}:{l}" for l in sorted(neg & got)]
            other_l += [f"{os.path.basename(p)}:{l}" for l in sorted(oth)]
            per_file[p][name] = (len(f_), len(pos), len(neg & got), len(oth))
        rows.append((name, ver, found, n_exp, missed, fp_ok, other, wall))
        details[name] = (miss_l, fp_l, other_l)

    print(f"Expected positive lines: {n_exp}; ok-only lines: {n_ok}; files: {len(files)}\n")
    print("| tool | version | found / expected | missed | FPs on `ok:` lines "
          f"(of {n_ok}) | other reports | wall (median of {a.runs}) |")
    print("|---|---|---|---|---|---|---|")
    for name, ver, found, n, missed, fp, oth, wall in rows:
        print(f"| {name} | {ver} | {found} / {n} | {missed} | {fp} | {oth} | {wall:.2f} s |")
    print("\nPer file: found/expected, FPs on ok lines, other reports\n")
    names = [t[0] for t in tools]
    print("| file | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for p in files:
        cells = []
        for n in names:
            f_, e, fp, o = per_file[p][n]
            cells.append(f"{f_}/{e}, fp {fp}, other {o}")
        print(f"| {os.path.basename(p)} | " + " | ".join(cells) + " |")
    for n in names:
        miss_l, fp_l, other_l = details[n]
        print(f"\n{n}: missed {miss_l}\n{n}: FP on ok lines {fp_l}\n{n}: other {other_l}")
    only = defaultdict(list)
    for k, s in found_by.items():
        if len(s) < 3:
            only[",".join(sorted(s))].append(f"{os.path.basename(k[0])}:{k[1]}")
    print("\nExpected lines found by only some tools:")
    for k in sorted(only):
        print(f"  {k}: {sorted(only[k])}")


if __name__ == "__main__":
    main()
