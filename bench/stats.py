#!/usr/bin/env python3
"""Helpers for bench/run.

  stats.py time --json OUT [--warmup N] [--runs N] [--prepare CMD]
                [--interleave] CMD...
      Fallback timer when hyperfine is not available.  Runs each CMD
      (split like a shell would, no shell involved) WARMUP times untimed and
      RUNS times timed, and writes a hyperfine-compatible JSON file
      (results[].command/times/exit_codes).  --interleave runs the commands
      in turns (A B, B A, A B, ...) instead of one after the other, so that a
      change in the machine's load during the measurement (other people's
      builds, disk writeback) falls on both alike.

  stats.py rss --json OUT [--runs N] [--prepare CMD] CMD...
      Peak memory: runs each CMD N times (after one untimed run) and records
      each run's maximum resident set size (getrusage of the child, KiB) and
      exit code.

  stats.py merge OUT JSON...
      Concatenates the results of several timing JSON files into one.

  stats.py join OUT OURS_JSON... -- GIT_JSON...
      One timing JSON of the pair from several rounds: ours' runs of every
      round as one result, then git's, medians over all of them.

  stats.py single OUT CMD SECONDS EXIT
      A timing JSON of one run measured elsewhere (bench/run's untimed run,
      used when a command is too slow to run again within its time budget).

  stats.py report MANIFEST
      MANIFEST is a TSV file, one row per line, the first field its kind:
        T  name  goal  expect  json        note   time: ours vs git
        M  name  goal  expect  json        note   peak memory: ours vs git
        G  name  goal  -       json1,json2 note   growth: time in json2 / json1
      Each json holds two results (ours first, git second); expect lists the
      exit codes allowed for ours (git's must be 0).  Prints Markdown tables
      and exits 0; prints "MISSED <n>" on stderr and exits 1 when some ratio
      is above its goal; exits 3 when some timed run exited with a code
      other than expected (the row says which).
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
    ap.add_argument("--interleave", action="store_true")
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

    argvs = [shlex.split(c) for c in a.commands]
    times = [[] for _ in argvs]
    codes = [[] for _ in argvs]
    if a.interleave:
        for _ in range(a.warmup):
            for argv_c in argvs:
                run(argv_c)
        for r in range(a.runs):
            order = list(range(len(argvs)))
            if r % 2:
                order.reverse()
            for i in order:
                t, rc = run(argvs[i])
                times[i].append(t)
                codes[i].append(rc)
    else:
        for i, argv_c in enumerate(argvs):
            for _ in range(a.warmup):
                run(argv_c)
            for _ in range(a.runs):
                t, rc = run(argv_c)
                times[i].append(t)
                codes[i].append(rc)
    results = []
    for c, times, codes in zip(a.commands, times, codes):
        med = statistics.median(times)
        print(f"  {c}\n    median {med * 1000:.2f} ms over {len(times)} runs",
              file=sys.stderr)
        results.append({"command": c, "times": times, "exit_codes": codes,
                        "median": med, "mean": statistics.fmean(times)})
    with open(a.json, "w") as f:
        json.dump({"results": results}, f)


def cmd_rss(argv):
    import argparse
    import os
    import shutil
    import tempfile

    ap = argparse.ArgumentParser(prog="stats.py rss")
    ap.add_argument("--json", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--prepare", default=None)
    ap.add_argument("commands", nargs="+")
    a = ap.parse_args(argv)

    # The child's own maximum RSS, as GNU time reports it.  Not getrusage of
    # a child of this process: Linux counts the memory a child had before it
    # exec'd, and a child forked (or vforked) from Python had Python's ~15 MiB,
    # which would hide the difference for small repositories.  GNU time's
    # own footprint is about 1 MiB.
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    if gnu_time is None:
        print("stats.py rss: no /usr/bin/time; RSS below python3's own (~15 MiB) "
              "reads as python3's", file=sys.stderr)

    def run(argv_c):
        if a.prepare:
            subprocess.run(shlex.split(a.prepare), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if gnu_time:
            with tempfile.NamedTemporaryFile("r") as out:
                p = subprocess.run([gnu_time, "-f", "%M", "-o", out.name, *argv_c],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
                # GNU time appends "Command exited with non-zero status N" first.
                return int(out.read().split()[-1]), p.returncode
        p = subprocess.Popen(argv_c, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        return usage.ru_maxrss, os.waitstatus_to_exitcode(status)  # KiB on Linux

    # In turns (ours, git, ours, git, ...), after one run of each to warm the page cache: how
    # much of a mapped file a fault brings in depends on what the page cache holds, which
    # other load changes while the runs go on.
    argvs = [shlex.split(c) for c in a.commands]
    for argv_c in argvs:
        run(argv_c)
    kbs = [[] for _ in argvs]
    codes = [[] for _ in argvs]
    for _ in range(a.runs):
        for i, argv_c in enumerate(argvs):
            k, rc = run(argv_c)
            kbs[i].append(k)
            codes[i].append(rc)
    results = []
    for c, kb, rcs in zip(a.commands, kbs, codes):
        print(f"  {c}\n    max RSS median {statistics.median(kb) / 1024:.1f} MiB "
              f"over {a.runs} runs, in turns", file=sys.stderr)
        results.append({"command": c, "maxrss_kb": kb, "exit_codes": rcs})
    with open(a.json, "w") as f:
        json.dump({"results": results}, f)


def cmd_merge(argv):
    out, *parts = argv
    results = []
    for p in parts:
        with open(p) as f:
            results += json.load(f)["results"]
    with open(out, "w") as f:
        json.dump({"results": results}, f)


def cmd_join(argv):
    out, *rest = argv
    cut = rest.index("--")

    def joined(paths):
        parts = []
        for p in paths:
            with open(p) as f:
                parts.append(json.load(f)["results"][0])
        times = [t for r in parts for t in r["times"]]
        codes = [c for r in parts for c in (r.get("exit_codes") or [])]
        return {"command": parts[0]["command"], "times": times, "exit_codes": codes,
                "median": statistics.median(times), "mean": statistics.fmean(times)}

    with open(out, "w") as f:
        json.dump({"results": [joined(rest[:cut]), joined(rest[cut + 1:])]}, f)


def cmd_single(argv):
    out, command, secs, code = argv
    t = float(secs)
    with open(out, "w") as f:
        json.dump({"results": [{"command": command, "times": [t],
                                "exit_codes": [int(code)], "median": t, "mean": t}]}, f)


def fmt_mib(kb):
    return f"{kb / 1024:.1f} MiB"


def codes_seen(result):
    # hyperfine writes exit_codes (null when it could not tell); the python timer too.
    return sorted({c for c in result.get("exit_codes") or [] if c is not None})


def fmt_ms(sec):
    ms = sec * 1000
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def cmd_report(argv):
    (manifest,) = argv
    times, mems, growths = [], [], []
    missed = bad_exit = 0
    medians = {}  # json path -> (ours median, git median)

    def load(path):
        with open(path) as jf:
            res = json.load(jf)["results"]
        return res[0], res[1]

    def exits(ours, git, expect):
        """'1/0' (codes seen, ours/git), and whether they are as expected."""
        allowed = {int(c) for c in expect.split()} if expect.strip() else {0, 1}
        co, cg = codes_seen(ours), codes_seen(git)
        ok = set(co) <= allowed and cg == [0]
        text = f"{','.join(map(str, co)) or '?'}/{','.join(map(str, cg)) or '?'}"
        return (text if ok else f"**{text}** (expected {expect or '0 1'}/0)"), ok

    with open(manifest) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            kind, name, goal, expect, path, note = (line.split("\t") + [""] * 6)[:6]
            g = float(goal)
            if kind == "T":
                ours, git = load(path)
                mo = statistics.median(ours["times"])
                mg = statistics.median(git["times"])
                medians[path] = (mo, mg)
                ratio = mo / mg if mg > 0 else float("inf")
                ok = ratio <= g
                missed += not ok
                ex, ex_ok = exits(ours, git, expect)
                bad_exit += not ex_ok
                runs = f"{len(ours['times'])}/{len(git['times'])}"
                times.append((name, fmt_ms(mo), fmt_ms(mg), f"{ratio:.2f}", f"≤ {goal}",
                              "ok" if ok else "**MISSED**", runs, ex, note))
            elif kind == "M":
                ours, git = load(path)
                mo = statistics.median(ours["maxrss_kb"])
                mg = statistics.median(git["maxrss_kb"])
                ratio = mo / mg if mg > 0 else float("inf")
                ok = ratio <= g
                missed += not ok
                ex, ex_ok = exits(ours, git, expect)
                bad_exit += not ex_ok
                runs = f"{len(ours['maxrss_kb'])}/{len(git['maxrss_kb'])}"
                mems.append((name, fmt_mib(mo), fmt_mib(mg), f"{ratio:.2f}", f"≤ {goal}",
                             "ok" if ok else "**MISSED**", runs, ex, note))
            elif kind == "G":
                small, big = path.split(",")
                (so, sg), (bo, bgt) = medians[small], medians[big]
                go = bo / so if so > 0 else float("inf")
                gg = bgt / sg if sg > 0 else float("inf")
                ok = go <= g
                missed += not ok
                growths.append((name, f"{fmt_ms(so)} → {fmt_ms(bo)}", f"{go:.1f}x",
                                f"{fmt_ms(sg)} → {fmt_ms(bgt)}", f"{gg:.1f}x", f"≤ {goal}",
                                "ok" if ok else "**MISSED**", note))
            else:
                print(f"stats.py: unknown manifest row kind {kind!r}", file=sys.stderr)
                return 2

    def table(head, align, rows):
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join(align) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")

    if times:
        table(("pair", "pycache-policy (median)", "git (median)", "ratio ours/git", "goal",
               "status", "runs ours/git", "exit ours/git", "note"),
              ["---", "---:", "---:", "---:", "---", "---", "---:", "---", "---"], times)
    if mems:
        print()
        print("Peak memory (maximum resident set size, median of the runs):")
        print()
        table(("pair", "pycache-policy", "git", "ratio ours/git", "goal", "status",
               "runs ours/git", "exit ours/git", "note"),
              ["---", "---:", "---:", "---:", "---", "---", "---:", "---", "---"], mems)
    if growths:
        print()
        print("Growth (median time at the larger size / at the smaller, from the rows above):")
        print()
        table(("growth", "pycache-policy", "ours ×", "git", "git ×", "goal (ours)", "status",
               "note"),
              ["---", "---:", "---:", "---:", "---:", "---", "---", "---"], growths)
    if missed:
        print(f"MISSED {missed}", file=sys.stderr)
    if bad_exit:
        print(f"UNEXPECTED EXIT CODES in {bad_exit} rows", file=sys.stderr)
        return 3
    return 1 if missed else 0


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sub, rest = sys.argv[1], sys.argv[2:]
    if sub == "time":
        cmd_time(rest)
        return 0
    if sub == "rss":
        cmd_rss(rest)
        return 0
    if sub == "join":
        cmd_join(rest)
        return 0
    if sub == "merge":
        cmd_merge(rest)
        return 0
    if sub == "single":
        cmd_single(rest)
        return 0
    if sub == "report":
        return cmd_report(rest)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
