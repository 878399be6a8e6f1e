#!/usr/bin/python3
"""`shuibao compare --figures DIR a.h5 b.h5` writes one hydrograph per gauge, the maximum-depth
maps and one difference map, as real PNG images of a sensible size.

usage: check_figures.py SHUIBAO DIR A.h5 B.h5
"""
import os
import shutil
import subprocess
import sys

import h5py

exe, out, a, b = sys.argv[1:5]
shutil.rmtree(out, ignore_errors=True)
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
p = subprocess.run([exe, "compare", a, b, "--figures", out], capture_output=True, text=True, env=env)
print(p.stdout[-2000:], p.stderr[-2000:])
with h5py.File(a, "r") as f:
    gauges = [g for g, o in f["series"].items() if isinstance(o, h5py.Group)]
want = [f"hydrograph_{g}.png" for g in gauges] + ["depth_max.png"]
fails = 0 if p.returncode == 0 else 1
for name in want:
    path = os.path.join(out, name)
    ok = os.path.exists(path) and open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 10000
    print(("ok   " if ok else "FAIL ") + name)
    fails += 0 if ok else 1
diffs = [n for n in os.listdir(out) if n.startswith("depth_max_difference_")] if os.path.isdir(out) else []
print(("ok   " if len(diffs) == 1 else "FAIL ") + f"one difference map ({diffs})")
fails += 0 if len(diffs) == 1 else 1
print(f"{len(want) + 2 - fails} passed, {fails} failed")
sys.exit(1 if fails else 0)
