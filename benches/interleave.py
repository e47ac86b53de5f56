#!/usr/bin/env python3
"""Interleaved wall-time comparison of a few commands on a shared, noisy machine.

    benches/interleave.py ROUNDS DIR LABEL=COMMAND [LABEL=COMMAND ...]

Each round runs every command once, in the order given, so that a slow stretch of the machine
hits all of them alike. `{D}` in a command is replaced by DIR; commands are split on spaces
(no shell). Prints, per command, the median wall and CPU (user + sys of the child) times, the
ratio of its median to the first command's, and the median of the per-round ratios (the more
robust of the two when the machine's speed drifts). Example, the parse floor against two
builds:

    benches/interleave.py 12 ~/.cache/vigil-bench/django-5.2.19 \\
        "floor=vigil debug parse {D}" "old=/tmp/vigil-old scan --no-cache {D}" \\
        "new=target/release/vigil scan --no-cache {D}"
"""
import resource
import statistics
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) < 4 or any("=" not in a for a in sys.argv[3:]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    rounds, folder = int(sys.argv[1]), sys.argv[2]
    cmds = []
    for arg in sys.argv[3:]:
        label, cmd = arg.split("=", 1)
        cmds.append((label, cmd.replace("{D}", folder).split()))
    wall = {label: [] for label, _ in cmds}
    cpu = {label: [] for label, _ in cmds}
    for _ in range(rounds):
        for label, cmd in cmds:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall[label].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[label].append(
                (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            )
    base = cmds[0][0]
    for label, _ in cmds:
        w, c = wall[label], cpu[label]
        per_round_w = [a / b for a, b in zip(w, wall[base])]
        per_round_c = [a / b for a, b in zip(c, cpu[base])]
        print(
            f"{label:10} wall {statistics.median(w):.3f}s cpu {statistics.median(c):.3f}s  "
            f"ratio of medians: wall {statistics.median(w) / statistics.median(wall[base]):.3f} "
            f"cpu {statistics.median(c) / statistics.median(cpu[base]):.3f}  "
            f"median per-round ratio: wall {statistics.median(per_round_w):.3f} "
            f"cpu {statistics.median(per_round_c):.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
