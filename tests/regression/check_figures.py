#!/usr/bin/python3
"""`shuibao compare --figures DIR a.h5 b.h5 [c.h5 d.h5]` writes one hydrograph per gauge, one
sedigraph per gauge of 880 x 440 pixels if A has /series/<gauge>/sediment (none otherwise), the
maximum-depth maps and one difference map for the runs with flow (A, B), and for the assessments
(C, D) the conservation-rate bars, the erosion-class maps and one soil-loss difference map, as real
PNG images of the size the figure script sets (figsize x 110 dpi, read from the PNG header).

usage: check_figures.py SHUIBAO DIR A.h5 B.h5 [C.h5 D.h5]
"""
import os
import shutil
import subprocess
import sys

import struct

import h5py

exe, out, a, b = sys.argv[1:5]
assessed = sys.argv[5:7]
shutil.rmtree(out, ignore_errors=True)
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
p = subprocess.run([exe, "compare", a, b] + assessed + ["--figures", out], capture_output=True, text=True, env=env)
print(p.stdout[-2000:], p.stderr[-2000:])
with h5py.File(a, "r") as f:
    gauges = [g for g, o in f["series"].items() if isinstance(o, h5py.Group)]
    sediment = [g for g in gauges if "sediment" in f["series"][g]]
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
checks = len(want) + 2
sedi = sorted(n for n in os.listdir(out) if n.startswith("sedigraph_")) if os.path.isdir(out) else []
ok = sedi == sorted(f"sedigraph_{g}.png" for g in sediment)
print(("ok   " if ok else "FAIL ") + f"sedigraphs {sedi} for the gauges with sediment {sediment}")
fails += 0 if ok else 1
checks += 1


def png_size(path):
    with open(path, "rb") as fp:
        head = fp.read(24)
    return struct.unpack(">II", head[16:24]) if head[:8] == b"\x89PNG\r\n\x1a\n" else None


for name in sedi:
    got = png_size(os.path.join(out, name))
    ok = got == (880, 440) and os.path.getsize(os.path.join(out, name)) > 10000
    print(("ok   " if ok else "FAIL ") + f"{name}: {got}, expected (880, 440)")
    fails += 0 if ok else 1
    checks += 1

if assessed:
    with h5py.File(assessed[0], "r") as f:
        nareas = 1 + len(f["summary/regions"])
    # figsize in postproc/shuibao_figures.py, at 110 dpi
    sizes = {"conservation_rate.png": (round(110 * max(6, 1.6 * nareas)), round(110 * 4.2)),
             "erosion_class.png": (110 * 6 * 2, round(110 * 3.9))}
    for name, size in sizes.items():
        path = os.path.join(out, name)
        got = png_size(path) if os.path.exists(path) else None
        ok = got == size and os.path.getsize(path) > 10000
        print(("ok   " if ok else "FAIL ") + f"{name}: {got}, expected {size}")
        fails += 0 if ok else 1
    sl = [n for n in os.listdir(out) if n.startswith("soil_loss_difference_")]
    ok = len(sl) == 1 and png_size(os.path.join(out, sl[0])) == (770, 418)
    print(("ok   " if ok else "FAIL ") + f"one soil-loss difference map of 770 x 418 ({sl})")
    fails += 0 if ok else 1
    checks += 3
print(f"{checks - fails} passed, {fails} failed")
sys.exit(1 if fails else 0)
