#!/usr/bin/python3
"""Run one shuibao command (optionally under mpiexec) as a test.

usage: runcase.py [--np N] [--fail-substr S ...] [--absent FILE ...] [--expect-error] [--timeout S] -- CMD ...

Without --expect-error the command must exit 0, and its output must not show leaked memory
(-malloc_dump) or unused options (-options_left).
With --expect-error it must exit non-zero, print exactly one line on stderr starting with
"shuibao: error:", containing every --fail-substr, and leave none of the --absent files.
Every run has a timeout, so a rank left hanging fails the test instead of blocking CI.
"""
import argparse
import os
import re
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--np", type=int, default=0)
    ap.add_argument("--fail-substr", action="append", default=[])
    ap.add_argument("--absent", action="append", default=[])
    ap.add_argument("--expect-error", action="store_true")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if a.np > 0:
        cmd = [a.mpiexec, "--quiet", "--oversubscribe", "-n", str(a.np)] + cmd
    env = dict(os.environ)
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    for f in a.absent:
        for p in (f, f + ".partial"):
            if os.path.exists(p):
                os.remove(p)
    print("+", " ".join(cmd), flush=True)
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=a.timeout)
    except subprocess.TimeoutExpired:
        print(f"FAIL: timed out after {a.timeout} s (a rank left hanging?)")
        return 1
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr)
    fails = []
    if a.expect_error:
        if p.returncode == 0:
            fails.append("expected a non-zero exit status, got 0")
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        errs = [l for l in lines if l.startswith("shuibao: error:")]
        if len(errs) != 1:
            fails.append(f"expected exactly one 'shuibao: error:' line on stderr, got {len(errs)}")
        if len(lines) != len(errs):
            fails.append(f"expected nothing else on stderr, got {len(lines) - len(errs)} other line(s)")
        for s in a.fail_substr:
            if not any(s in l for l in errs):
                fails.append(f"error line does not contain {s!r}")
        for f in a.absent:
            for q in (f, f + ".partial"):
                if os.path.exists(q):
                    fails.append(f"{q} was left behind")
    else:
        if p.returncode != 0:
            fails.append(f"exit status {p.returncode}")
        out = p.stdout + p.stderr
        if re.search(r"^\[\s*\d+\]\s*\d+ bytes ", out, re.M):
            fails.append("memory leaked (-malloc_dump)")
        if "Option left" in out:
            fails.append("unused options (-options_left)")
    for f in fails:
        print("FAIL:", f)
    print("1 passed, 0 failed" if not fails else "0 passed, 1 failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
