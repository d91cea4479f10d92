#!/usr/bin/env python3
"""Helpers for bench/run.

  stats.py time --json OUT [--warmup N] [--runs N] [--prepare CMD] CMD...
      Fallback timer when hyperfine is not available.  Runs each CMD
      (split like a shell would, no shell involved) WARMUP times untimed and
      RUNS times timed, and writes a hyperfine-compatible JSON file
      (results[].command/times/exit_codes).

  stats.py report MANIFEST
      MANIFEST is a TSV file: name, goal, json, note.  Each json holds two
      results (ours first, git second).  Prints a Markdown table and exits 0;
      prints "MISSED <n>" on stderr when some ratio is above its goal.
"""

import json
import shlex
import statistics
import subprocess
import sys
import time


def cmd_time(argv):
    import argparse

    ap = argparse.ArgumentParser(prog="stats.py time")
    ap.add_argument("--json", required=True)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--prepare", default=None)
    ap.add_argument("commands", nargs="+")
    a = ap.parse_args(argv)

    def run(cmd):
        if a.prepare:
            subprocess.run(shlex.split(a.prepare), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0, p.returncode

    results = []
    for c in a.commands:
        argv_c = shlex.split(c)
        for _ in range(a.warmup):
            run(argv_c)
        times, codes = [], []
        for _ in range(a.runs):
            t, rc = run(argv_c)
            times.append(t)
            codes.append(rc)
        med = statistics.median(times)
        print(f"  {c}\n    median {med * 1000:.2f} ms over {len(times)} runs",
              file=sys.stderr)
        results.append({"command": c, "times": times, "exit_codes": codes,
                        "median": med, "mean": statistics.fmean(times)})
    with open(a.json, "w") as f:
        json.dump({"results": results}, f)


def fmt_ms(sec):
    ms = sec * 1000
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def cmd_report(argv):
    (manifest,) = argv
    rows = []
    missed = 0
    with open(manifest) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            name, goal, path, note = (line.split("\t") + [""] * 4)[:4]
            with open(path) as jf:
                res = json.load(jf)["results"]
            ours, git = res[0], res[1]
            mo = statistics.median(ours["times"])
            mg = statistics.median(git["times"])
            ratio = mo / mg if mg > 0 else float("inf")
            g = float(goal)
            ok = ratio <= g
            missed += not ok
            runs = f"{len(ours['times'])}/{len(git['times'])}"
            rows.append((name, fmt_ms(mo), fmt_ms(mg), f"{ratio:.2f}",
                         f"≤ {goal}", "ok" if ok else "**MISSED**", runs, note))
    head = ("pair", "pycache-policy (median)", "git (median)", "ratio ours/git",
            "goal", "status", "runs ours/git", "note")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---", "---:", "---:", "---:", "---", "---", "---:", "---"]) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    if missed:
        print(f"MISSED {missed}", file=sys.stderr)
        return 1
    return 0


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sub, rest = sys.argv[1], sys.argv[2:]
    if sub == "time":
        cmd_time(rest)
        return 0
    if sub == "report":
        return cmd_report(rest)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
