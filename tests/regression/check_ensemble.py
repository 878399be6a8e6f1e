#!/usr/bin/python3
"""`shuibao ensemble` on sub-communicators equals separate runs (docs/measures.md).

usage: check_ensemble.py SHUIBAO MESH WORKDIR MPIEXEC SCENARIO.json ...

Runs each scenario alone at 1 rank, then all of them as one ensemble on as many ranks as scenarios
(one rank each) and on twice as many (two ranks each), and compares every dataset and every numeric
attribute of the results outside /provenance: |a - b| <= 1e-10 max|a| (the assessment does not
depend on the rank count beyond round-off), integers and the measure map exactly.
"""
import os
import subprocess
import sys

import h5py
import numpy as np

EXE, MESH, WORK, MPIEXEC = sys.argv[1:5]
SCEN = sys.argv[5:]
os.makedirs(WORK, exist_ok=True)
stems = [os.path.splitext(os.path.basename(s))[0] for s in SCEN]
fails = 0


def check(ok, what):
    global fails
    print(("ok    " if ok else "FAIL  ") + what)
    fails += 0 if ok else 1


def sh(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        raise SystemExit("failed: " + " ".join(cmd))
    return p


def content(path):
    out = {}

    def visit(name, obj):
        if name.startswith("provenance"):
            return
        if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "fiu":
            out[name] = obj[()]
        for k, v in obj.attrs.items():
            a = np.asarray(v)
            if a.dtype.kind in "fiu":
                out[name + "@" + k] = a
    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


alone = os.path.join(WORK, "alone")
os.makedirs(alone, exist_ok=True)
for s, stem in zip(SCEN, stems):
    sh([EXE, "run", s, "--mesh", MESH, "-o", os.path.join(alone, stem + ".h5"), "--quiet"])
for n in (len(SCEN), 2 * len(SCEN)):
    d = os.path.join(WORK, f"np{n}")
    os.makedirs(d, exist_ok=True)
    p = sh([MPIEXEC, "--oversubscribe", "-n", str(n), EXE, "ensemble", *SCEN, "--mesh", MESH, "-o", d, "--quiet"])
    check(p.stdout.count(f"{n // len(SCEN)} ranks, load imbalance") == len(SCEN), f"ensemble on {n} ranks: each scenario on {n // len(SCEN)} ranks")
    for stem in stems:
        a, b = content(os.path.join(alone, stem + ".h5")), content(os.path.join(d, stem + ".h5"))
        check(sorted(a) == sorted(b), f"{stem} on {n} ranks: the same {len(a)} datasets and attributes")
        worst, where = 0.0, ""
        for k in a:
            if k not in b or np.shape(a[k]) != np.shape(b[k]):
                worst, where = np.inf, k
                continue
            x, y = np.asarray(a[k], dtype=float), np.asarray(b[k], dtype=float)
            exact = a[k].dtype.kind in "iu" or k.endswith("maps/measure") or "erosion_class" in k
            scale = max(np.abs(x).max(initial=0), 1e-300)
            err = np.abs(x - y).max(initial=0) / scale
            if exact and err > 0:
                err = np.inf
            if err > worst:
                worst, where = err, k
        check(worst <= 1e-10, f"{stem} on {n} ranks equals the separate run (largest relative difference {worst:.2e}{' at ' + where if where else ''})")
print(f"{fails} failures")
sys.exit(1 if fails else 0)
