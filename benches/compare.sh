#!/usr/bin/env bash
# Whole-program comparison of vigil against its peers, on real corpora downloaded from PyPI and npm.
#
#   benches/compare.sh [--quick]
#
# Downloads (once, into $VIGIL_BENCH_CACHE, default ~/.cache/vigil-bench):
#   - django's sdist (pip download --no-deps --no-binary :all: django): ~2 800 .py files;
#   - webpack's npm package (npm pack webpack): ~900 .js files;
#   - a venv with bandit, ruff, semgrep and detect-secrets.
# Builds vigil in release mode (or uses $VIGIL if set), then measures, for every case, each tool's
# median wall time, median CPU time (user + sys) and median peak RSS over $RUNS runs
# (/usr/bin/time), and prints the ratios against vigil's scan and against the parse floor
# (`vigil debug parse`: discover + read + tree-sitter parse, no rules) of the same files.
#
# Cases: django tree (all tools), webpack tree (vigil, semgrep, detect-secrets), pre-commit
# (10 mid-sized django files as explicit paths, and through `git diff --cached | xargs`), an empty
# commit, on-save (one ~1 000-line file), scaling (2x corpus; 1 vs 2 threads), and the warm
# re-scan when vigil has a cache flag.
#
# Environment: RUNS (default 5), SLOW_RUNS (runs for bandit/semgrep/detect-secrets on whole trees,
# default 1), VIGIL (a vigil binary), VIGIL_BENCH_CACHE, SKIP_SLOW=1 (no bandit/semgrep on trees),
# TIMEOUT (seconds per run, default 600: a run stopped there is shown as ">= TIMEOUT").
# --quick: RUNS=3 and SKIP_SLOW=1.
# Needs: python3 (3.9+), pip, npm, git, cargo, /usr/bin/time (GNU time).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${VIGIL_BENCH_CACHE:-$HOME/.cache/vigil-bench}
if [ "${1:-}" = "--quick" ]; then
  export RUNS=${RUNS:-3} SKIP_SLOW=1
fi
export RUNS=${RUNS:-5} SLOW_RUNS=${SLOW_RUNS:-1} SKIP_SLOW=${SKIP_SLOW:-0}
mkdir -p "$cache/dl" "$cache/corpus"

log() { printf '%s\n' "$*" >&2; }

# --- corpora ---------------------------------------------------------------------------------
if ! ls "$cache"/dl/django-*.tar.gz >/dev/null 2>&1; then
  log "downloading django sdist"
  pip download --quiet --no-deps --no-binary :all: django -d "$cache/dl"
fi
if ! ls "$cache"/dl/webpack-*.tgz >/dev/null 2>&1; then
  log "downloading webpack (npm pack)"
  (cd "$cache/dl" && npm pack --silent webpack >/dev/null)
fi
django_tgz=$(ls "$cache"/dl/django-*.tar.gz | sort | tail -n 1)
webpack_tgz=$(ls "$cache"/dl/webpack-*.tgz | sort | tail -n 1)
django=$cache/corpus/$(basename "$django_tgz" .tar.gz)
webpack=$cache/corpus/$(basename "$webpack_tgz" .tgz)
if [ ! -d "$django" ]; then
  tar xzf "$django_tgz" -C "$cache/corpus"
fi
if [ ! -d "$webpack" ]; then
  mkdir -p "$webpack" && tar xzf "$webpack_tgz" -C "$webpack"
fi
# semgrep skips `tests/` folders (and more) unless the scan root has a .semgrepignore of its
# own: an empty one makes it scan the files vigil scans.
touch "$django/.semgrepignore" "$webpack/.semgrepignore"
# 2x corpus for the scaling case: two hard-linked copies of django.
django2=$cache/corpus/django-x2
if [ ! -d "$django2" ]; then
  mkdir -p "$django2" && cp -al "$django" "$django2/a" && cp -al "$django" "$django2/b"
fi

# --- peers -----------------------------------------------------------------------------------
venv=$cache/venv
if [ ! -x "$venv/bin/semgrep" ] || [ ! -x "$venv/bin/detect-secrets" ]; then
  log "installing bandit, ruff, semgrep, detect-secrets into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet bandit ruff semgrep detect-secrets
fi

# --- vigil -----------------------------------------------------------------------------------
if [ -z "${VIGIL:-}" ]; then
  log "building vigil (release)"
  (cd "$root" && cargo build --release --quiet)
  target=${CARGO_TARGET_DIR:-$root/target}
  VIGIL=$target/release/vigil
fi
export VIGIL

export CACHE_DIR=$cache DJANGO=$django WEBPACK=$webpack DJANGO2=$django2 VENV=$venv
export SEMGREP_RULES=$here/semgrep-rules.yml
exec python3 - <<'PY'
import os, statistics, subprocess, sys, tempfile, json, shutil, time

RUNS = int(os.environ["RUNS"]); SLOW_RUNS = int(os.environ["SLOW_RUNS"])
TIMEOUT = int(os.environ.get("TIMEOUT", "600"))
SKIP_SLOW = os.environ["SKIP_SLOW"] == "1"
VIGIL = os.environ["VIGIL"]; VENV = os.environ["VENV"]
DJANGO = os.environ["DJANGO"]; WEBPACK = os.environ["WEBPACK"]; DJANGO2 = os.environ["DJANGO2"]
CACHE = os.environ["CACHE_DIR"]; RULES = os.environ["SEMGREP_RULES"]
bin_ = lambda t: os.path.join(VENV, "bin", t)
env = dict(os.environ, SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0")

def measure(argv, cwd, runs, stdin=None):
    """Median wall s, median CPU s, median peak RSS MiB, last exit code."""
    walls, cpus, rss, code = [], [], [], None
    for _ in range(runs):
        with tempfile.NamedTemporaryFile("r") as t:
            cmd = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", t.name,
                   "timeout", str(TIMEOUT)] + argv
            fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
            code = subprocess.run(cmd, cwd=cwd, env=env, stdin=fin, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode
            if stdin:
                fin.close()
            line = [l for l in t.read().splitlines() if l.strip()][-1].split()
            e, u, s, m = float(line[0]), float(line[1]), float(line[2]), int(line[3])
            walls.append(e); cpus.append(u + s); rss.append(m / 1024)
    return statistics.median(walls), statistics.median(cpus), statistics.median(rss), code

def vigil_help():
    return subprocess.run([VIGIL, "scan", "--help"], capture_output=True, text=True).stdout

HELP = vigil_help()
rows = []

def case(name, tools, floor=None, ref="vigil"):
    """tools: list of (tool, argv, cwd, runs[, stdin]). floor: (argv, cwd) of the parse floor."""
    print(f"\n## {name}", flush=True)
    res = {}
    if floor:
        res["parse floor"] = measure(floor[0], floor[1], RUNS)
    for t in tools:
        tool, argv, cwd, runs = t[:4]
        stdin = t[4] if len(t) > 4 else None
        if not os.path.exists(argv[0]) and shutil.which(argv[0]) is None:
            print(f"  {tool}: not available, skipped"); continue
        res[tool] = measure(argv, cwd, runs, stdin)
    base = res.get(ref); fl = res.get("parse floor")
    print(f"  {'tool':<24}{'wall s':>9}{'cpu s':>9}{'rss MiB':>9}{'x ' + ref:>10}{'x parse':>9}{'exit':>6}")
    for tool, (w, c, m, code) in res.items():
        rv = f"{w / base[0]:.2f}" if base and base[0] > 0 else "-"
        rp = f"{w / fl[0]:.2f}" if fl and fl[0] > 0 else "-"
        if code == 124:  # stopped by `timeout`: a lower bound
            print(f"  {tool:<24}{'>=' + str(TIMEOUT):>9}{c:>9.3f}{m:>9.1f}{'>' + rv:>10}{'>' + rp:>9}{'stop':>6}")
            rows.append({"case": name, "tool": tool, "timed_out_after_s": TIMEOUT, "cpu_s": c})
            continue
        print(f"  {tool:<24}{w:>9.3f}{c:>9.3f}{m:>9.1f}{rv:>10}{rp:>9}{code:>6}")
        rows.append({"case": name, "tool": tool, "wall_s": w, "cpu_s": c, "rss_mib": m,
                     "vs_vigil": (w / base[0]) if base and base[0] else None,
                     "vs_parse": (w / fl[0]) if fl and fl[0] else None})
    return res

def vigil_scan(*paths, extra=()):
    return [VIGIL, "scan", "--format", "json", *extra, *paths]

def parse_floor(*paths, cwd, extra=()):
    return ([VIGIL, "debug", "parse", *extra, *paths], cwd)

slow = 0 if SKIP_SLOW else SLOW_RUNS

def slow_tool(name, argv, cwd):
    return [] if not slow else [(name, argv, cwd, slow)]

load0 = os.getloadavg()
print(f"# vigil compare: {os.cpu_count()} CPUs, load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")
print(f"# runs: {RUNS} (slow tools on whole trees: {slow}); medians; vigil: {VIGIL}")
for t in ("ruff", "bandit", "semgrep", "detect-secrets"):
    v = subprocess.run([bin_(t), "--version"], capture_output=True, text=True, env=env)
    print(f"# {t} {(v.stdout or v.stderr).strip().splitlines()[0] if (v.stdout or v.stderr).strip() else '?'}")

# 1. django tree.
case("django tree (" + os.path.basename(DJANGO) + ")", [
    ("vigil", vigil_scan("."), DJANGO, RUNS),
    ("vigil -j1", vigil_scan(".", extra=("-j", "1")), DJANGO, RUNS),
    ("vigil --select py-", vigil_scan(".", extra=("--select", "py-")), DJANGO, RUNS),
    ("vigil --select secret-", vigil_scan(".", extra=("--select", "secret-")), DJANGO, RUNS),
    ("ruff --select S", [bin_("ruff"), "check", "--select", "S", "--no-cache", "--quiet", "."], DJANGO, RUNS),
    *slow_tool("bandit", [bin_("bandit"), "-r", "-q", "-f", "json", "."], DJANGO),
    *slow_tool("semgrep (local rules)", [bin_("semgrep"), "scan", "--config", RULES, "--metrics=off",
                                         "--disable-version-check", "--quiet", "--json", "."], DJANGO),
    *slow_tool("detect-secrets", [bin_("detect-secrets"), "scan", "--all-files", "."], DJANGO),
], floor=parse_floor(".", cwd=DJANGO))

# 2. webpack tree.
case("webpack tree (" + os.path.basename(WEBPACK) + ")", [
    ("vigil", vigil_scan("."), WEBPACK, RUNS),
    *slow_tool("semgrep (local rules)", [bin_("semgrep"), "scan", "--config", RULES, "--metrics=off",
                                         "--disable-version-check", "--quiet", "--json", "."], WEBPACK),
    *slow_tool("detect-secrets", [bin_("detect-secrets"), "scan", "--all-files", "."], WEBPACK),
], floor=parse_floor(".", cwd=WEBPACK))

# 3. pre-commit: 10 mid-sized django files (8-24 KB), as explicit paths.
pys = []
for d, _, fs in os.walk(os.path.join(DJANGO, "django")):
    for f in fs:
        if f.endswith(".py"):
            p = os.path.join(d, f)
            if 8_000 <= os.path.getsize(p) <= 24_000:
                pys.append(os.path.relpath(p, DJANGO))
ten = sorted(pys)[:: max(1, len(pys) // 10)][:10]
case("pre-commit: 10 files, explicit paths", [
    ("vigil", vigil_scan(*ten), DJANGO, RUNS),
    ("ruff --select S", [bin_("ruff"), "check", "--select", "S", "--no-cache", "--quiet", *ten], DJANGO, RUNS),
    ("bandit", [bin_("bandit"), "-q", "-f", "json", *ten], DJANGO, RUNS),
    ("detect-secrets", [bin_("detect-secrets"), "scan", *ten], DJANGO, RUNS),
    ("semgrep (local rules)", [bin_("semgrep"), "scan", "--config", RULES, "--metrics=off",
                               "--disable-version-check", "--quiet", "--json", *ten], DJANGO, max(1, slow)),
], floor=parse_floor(*ten, cwd=DJANGO))

# 3b. the same through git plumbing, and an empty commit (a hook that runs on staged files).
repo = os.path.join(CACHE, "precommit-repo")
if not os.path.isdir(os.path.join(repo, ".git")):
    os.makedirs(repo, exist_ok=True)
    subprocess.run(["git", "init", "-q", repo], check=True)
    for f in ten:
        os.makedirs(os.path.join(repo, os.path.dirname(f)), exist_ok=True)
        shutil.copy(os.path.join(DJANGO, f), os.path.join(repo, f))
    subprocess.run(["git", "-C", repo, "add", "."], check=True)
empty = os.path.join(CACHE, "empty-repo")
if not os.path.isdir(os.path.join(empty, ".git")):
    os.makedirs(empty, exist_ok=True)
    subprocess.run(["git", "init", "-q", empty], check=True)
hook = f"git diff --cached --name-only -z --diff-filter=ACMR | xargs -0 -r {VIGIL} scan --format json"
case("pre-commit hook: git plumbing + vigil", [
    ("10 staged files", ["sh", "-c", hook], repo, RUNS),
    ("empty commit (hook)", ["sh", "-c", hook], empty, RUNS),
    ("vigil on an empty dir", vigil_scan("."), empty, RUNS),
], ref="10 staged files")

# 4. on-save: one ~1 000-line file.
best, bestd = None, 10**9
for d, _, fs in os.walk(os.path.join(DJANGO, "django")):
    for f in sorted(fs):
        if f.endswith(".py"):
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                n = fh.read().count(b"\n")
            if abs(n - 1000) < bestd:
                best, bestd = os.path.relpath(p, DJANGO), abs(n - 1000)
save_tools = [("vigil (path)", vigil_scan(best), DJANGO, RUNS)]
if "--stdin-filename" in HELP:
    save_tools.append(("vigil (--stdin-filename)",
                       [VIGIL, "scan", "--format", "json", "--stdin-filename", best, "-"], DJANGO, RUNS,
                       os.path.join(DJANGO, best)))
save_tools.append(("ruff --select S", [bin_("ruff"), "check", "--select", "S", "--no-cache", "--quiet", best], DJANGO, RUNS))
case(f"on-save: one file ({best}, ~1 000 lines)", save_tools, floor=parse_floor(best, cwd=DJANGO), ref="vigil (path)")

# 5. scaling.
one = case("scaling: django x1 vs x2, 1 vs 2 threads", [
    ("vigil x1 -j2", vigil_scan(".", extra=("-j", "2")), DJANGO, RUNS),
    ("vigil x2 -j2", vigil_scan(".", extra=("-j", "2")), DJANGO2, RUNS),
    ("vigil x1 -j1", vigil_scan(".", extra=("-j", "1")), DJANGO, RUNS),
], ref="vigil x1 -j2")
if "vigil x1 -j2" in one and "vigil x2 -j2" in one and "vigil x1 -j1" in one:
    print(f"  2x corpus / 1x: {one['vigil x2 -j2'][0] / one['vigil x1 -j2'][0]:.2f}x time (target <= 2.1)")
    print(f"  1 thread / 2 threads: {one['vigil x1 -j1'][0] / one['vigil x1 -j2'][0]:.2f}x (target >= 1.8)")

# 6. warm re-scan (only when the binary has a cache flag).
if "--cache" in HELP:
    warm = os.path.join(CACHE, "warm-django")
    if not os.path.isdir(warm):
        shutil.copytree(DJANGO, warm)
    subprocess.run(vigil_scan(".", extra=("--cache",)), cwd=warm, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    case("warm re-scan of an unchanged django tree (--cache)", [
        ("vigil cold (--no-cache)", vigil_scan(".", extra=("--no-cache",)), warm, RUNS),
        ("vigil warm (--cache)", vigil_scan(".", extra=("--cache",)), warm, RUNS),
    ], ref="vigil cold (--no-cache)")

load1 = os.getloadavg()
print(f"\n# load average at the end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
out = os.path.join(CACHE, "compare.json")
with open(out, "w") as fh:
    json.dump({"load_start": load0, "load_end": load1, "runs": RUNS, "rows": rows}, fh, indent=1)
print(f"# raw figures: {out}")
PY
