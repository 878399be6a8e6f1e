#!/usr/bin/python3
"""R and K maps of the assessment (assessment.rain.r_map, assessment.k_map) against known answers.

CSLE is A = R K L S B E T per cell (docs/assessment.md), so:
1. an R map equal to the scalar R everywhere gives the same soil-loss map as the scalar R;
2. an R map of R0 on the western half and 2 R0 on the eastern half gives A0 there and 2 A0 here;
3. a K map of 2 k gives twice the soil loss of a K map of k, cell by cell;
4. bad maps fail with one line naming the key and the file: another grid, a no-data hole at an
   active cell, a value out of range, a missing file; at the given rank count, nothing written.

usage: check_maps.py SHUIBAO MESH.h5 ASSESSMENT.json WORKDIR NP [MPIEXEC]

The scenarios extend ASSESSMENT.json's own parent with its assessment object minus the choice of R
(R must be given one way only; a child's choice of R replaces an inherited one, but the rest of the
assessment object is written out here to keep each case self-contained).
"""
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

exe, mesh, base_scenario, work, np_ = sys.argv[1:6]
mpiexec = sys.argv[6] if len(sys.argv) > 6 else "mpiexec"
here = os.path.dirname(os.path.abspath(__file__))
work = os.path.abspath(os.path.join(work, "maps_np" + np_))
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = 0
R0 = 3500.0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += not ok


with h5py.File(mesh, "r") as f:
    mask = f["mask"][()] != 0
    nx, ny = int(f.attrs["nx"]), int(f.attrs["ny"])
    xll, yll, cs = float(f.attrs["xllcorner"]), float(f.attrs["yllcorner"]), float(f.attrs["cellsize"])


def write_asc(name, values, nrows=ny, ncols=nx, cellsize=cs):
    path = os.path.join(work, name)
    with open(path, "w") as fp:
        fp.write(f"ncols {ncols}\nnrows {nrows}\nxllcorner {xll!r}\nyllcorner {yll!r}\ncellsize {cellsize!r}\nNODATA_value -9999\n")
        for row in values:
            fp.write(" ".join(repr(float(v)) for v in row) + "\n")
    return path


with open(base_scenario) as fp:
    BASE = json.load(fp)
PARENT = os.path.join(os.path.dirname(os.path.abspath(base_scenario)), BASE["extends"])
COMMON = {k: v for k, v in BASE["assessment"].items() if k != "rain"}


def scenario(name, assessment):
    path = os.path.join(work, name + ".json")
    with open(path, "w") as fp:
        json.dump({"extends": PARENT, "name": name, "mode": "assessment", "assessment": dict(COMMON, **assessment)}, fp)
    return path


def run(name, assessment, expect_error=None):
    out = os.path.join(work, name + ".h5")
    cmd = [sys.executable, os.path.join(here, "runcase.py"), "--np", np_, "--mpiexec", mpiexec, "--timeout", "120"]
    if expect_error:
        cmd += ["--expect-error", "--absent", out] + sum((["--fail-substr", s] for s in expect_error), [])
    cmd += ["--", exe, "run", scenario(name, assessment), "--mesh", mesh, "-o", out, "--quiet"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    check(p.returncode == 0, f"{name}: {'fails as expected' if expect_error else 'runs'}" + ("" if p.returncode == 0 else "\n" + p.stdout))
    if expect_error or p.returncode:
        return None
    with h5py.File(out, "r") as f:
        return f["maps/soil_loss"][()]


def nodata(a):
    return np.where(mask, a, -9999.0)


base = run("scalar", {"rain": {"r_mj_mm_ha_h_a": R0}})
same = run("r_uniform", {"rain": {"r_map": write_asc("r_uniform.asc", nodata(np.full((ny, nx), R0)))}})
if base is not None and same is not None:
    check(np.array_equal(base, same), "a uniform R map gives the scalar-R soil loss exactly")
half = np.full((ny, nx), R0)
half[:, nx // 2:] = 2 * R0
split = run("r_split", {"rain": {"r_map": write_asc("r_split.asc", nodata(half))}})
if base is not None and split is not None:
    want = np.where(half == R0, base, 2 * base)
    err = np.max(np.abs(split - want)[mask]) / max(np.max(base[mask]), 1e-300)
    check(err <= 1e-14, f"R map of R0 west and 2 R0 east: A0 and 2 A0 (largest relative difference {err:.1e})")
k1 = run("k_one", {"rain": {"r_mj_mm_ha_h_a": R0}, "k_map": write_asc("k1.asc", nodata(np.full((ny, nx), 0.02)))})
k2 = run("k_two", {"rain": {"r_mj_mm_ha_h_a": R0}, "k_map": write_asc("k2.asc", nodata(np.full((ny, nx), 0.04)))})
if k1 is not None and k2 is not None:
    err = np.max(np.abs(k2 - 2 * k1)[mask]) / max(np.max(k1[mask]), 1e-300)
    check(err <= 1e-14 and np.max(k1[mask]) > 0, f"K map of 2k doubles soil loss (largest relative difference {err:.1e})")

# bad maps
wrong = write_asc("r_wrong_grid.asc", np.full((ny, nx + 1), R0), ncols=nx + 1)
run("bad_grid", {"rain": {"r_map": wrong}}, ["assessment.rain.r_map", "r_wrong_grid.asc", "does not match the mesh"])
hole = nodata(np.full((ny, nx), R0))
r, c = np.argwhere(mask)[-1]
hole[r, c] = -9999.0
run("bad_hole", {"rain": {"r_map": write_asc("r_hole.asc", hole)}}, ["assessment.rain.r_map", "r_hole.asc", f"row {r + 1}, column {c + 1}", "nan"])
big = nodata(np.full((ny, nx), 0.02))
big[r, c] = 0.5
run("bad_k_range", {"rain": {"r_mj_mm_ha_h_a": R0}, "k_map": write_asc("k_big.asc", big)}, ["assessment.k_map", "k_big.asc", "has 0.5", "[0, 0.2]"])
run("bad_missing", {"rain": {"r_mj_mm_ha_h_a": R0}, "k_map": os.path.join(work, "no-such-k.asc")}, ["no-such-k.asc"])

print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
