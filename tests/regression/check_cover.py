#!/usr/bin/python3
"""B from vegetation cover and the mesh's sub-grid slope in the assessment (docs/assessment.md).

1. b_method "cover" with covers 0.70 (forest) and 0.65 (shrub/grass) gives the soil loss of
   b_method "table" with b_by_landuse set to B of Cai et al. (2000) at those covers, computed here
   independently: B = 0.6508 - 0.3436 lg(100 c) = 0.0168243134511 and 0.0278829706575 - the same map
   to 1e-14,
   and /summary/basin carries those B;
2. covers at or above 0.783 give B = 0: no soil loss on any forest or shrub/grass cell;
3. slope_correction "mesh" on a mesh built from a DEM uses its /slope_subgrid as the CSLE slope
   (maps/slope_gradient equals it at every active cell), and fails cleanly on a mesh without it;
4. bad values fail with one line naming the file and the key, nothing written: a cover out of
   [0, 1], an unknown key under vegetation_cover, an unknown b_method, vegetation_cover with
   b_method "table".

usage: check_cover.py SHUIBAO MESH.h5 ASSESSMENT.json WORKDIR NP [MPIEXEC]
"""
import json
import math
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

exe, mesh, base_scenario, work, np_ = sys.argv[1:6]
mpiexec = sys.argv[6] if len(sys.argv) > 6 else "mpiexec"
here = os.path.dirname(os.path.abspath(__file__))
work = os.path.abspath(os.path.join(work, "cover_np" + np_))
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += not ok


def cai(c):
    """Cai et al. (2000), written out here independently of engine/csle.c."""
    if c <= 0:
        return 1.0
    if c >= 0.783:
        return 0.0
    return min(1.0, 0.6508 - 0.3436 * math.log10(100 * c))


with open(base_scenario) as fp:
    BASE = json.load(fp)
PARENT = os.path.join(os.path.dirname(os.path.abspath(base_scenario)), BASE["extends"])
COMMON = BASE["assessment"]


def run(name, assessment, expect_error=None, on_mesh=mesh):
    path = os.path.join(work, name + ".json")
    with open(path, "w") as fp:
        json.dump({"extends": PARENT, "name": name, "mode": "assessment", "assessment": dict(COMMON, **assessment)}, fp)
    out = os.path.join(work, name + ".h5")
    cmd = [sys.executable, os.path.join(here, "runcase.py"), "--np", np_, "--mpiexec", mpiexec, "--timeout", "120"]
    if expect_error:
        cmd += ["--expect-error", "--absent", out] + sum((["--fail-substr", s] for s in expect_error), [])
    cmd += ["--", exe, "run", path, "--mesh", on_mesh, "-o", out, "--quiet"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    check(p.returncode == 0, f"{name}: {'fails as expected' if expect_error else 'runs'}" + ("" if p.returncode == 0 else "\n" + p.stdout))
    if expect_error or p.returncode:
        return None
    return h5py.File(out, "r")


with h5py.File(mesh, "r") as f:
    mask = f["mask"][()] != 0
    lu = f["landuse"][()]

# 1. cover against the equivalent table
bf, bs = cai(0.70), cai(0.65)
cover = run("cover", {"b_method": "cover", "vegetation_cover": {"forest": 0.70, "shrub_grass": 0.65}})
table = run("table", {"b_by_landuse": [bf, bs, 1, 1, 1, 0.01, 0]})
if cover is not None and table is not None:
    a, b = cover["maps/soil_loss"][()], table["maps/soil_loss"][()]
    err = np.max(np.abs(a - b)[mask]) / max(np.max(b[mask]), 1e-300)
    check(err <= 1e-14 and np.max(b[mask]) > 0, f"cover 0.70/0.65 gives the soil loss of the table with B {bf:.6f}/{bs:.6f} (largest relative difference {err:.1e})")
    at = cover["summary/basin"].attrs
    check(abs(at["b_forest"] - bf) <= 1e-14 and abs(at["b_shrub_grass"] - bs) <= 1e-14 and at["b_method"].decode().startswith("cover"),
          f"/summary/basin: b_forest {at['b_forest']:.12g}, b_shrub_grass {at['b_shrub_grass']:.12g}, b_method {at['b_method'].decode()}")
    check(abs(cover["summary/basin"].attrs["conservation_rate"] - table["summary/basin"].attrs["conservation_rate"]) <= 1e-14, "the same conservation rate")
# 2. dense cover: B = 0
dense = run("dense", {"b_method": "cover", "vegetation_cover": {"forest": 0.783, "shrub_grass": 0.9}})
if dense is not None:
    A = dense["maps/soil_loss"][()]
    veg = mask & ((lu == 1) | (lu == 2))
    check(veg.any() and np.all(A[veg] == 0) and np.any(A[mask & (lu == 3)] > 0), f"covers 0.783 and 0.9: no soil loss on the {int(veg.sum())} forest and shrub/grass cells, cropland still erodes")

# 3. the mesh's sub-grid slope: a mesh built from the synthetic basin's elevation as a DEM
with h5py.File(mesh, "r") as f:
    z, cs = f["elevation"][()], float(f.attrs["cellsize"])
    xll, yll = float(f.attrs["xllcorner"]), float(f.attrs["yllcorner"])
dem = os.path.join(work, "dem.asc")
with open(dem, "w") as fp:
    fp.write(f"ncols {z.shape[1]}\nnrows {z.shape[0]}\nxllcorner {xll!r}\nyllcorner {yll!r}\ncellsize {cs!r}\nNODATA_value -9999\n")
    for row in np.where(mask, z, -9999.0):
        fp.write(" ".join(repr(float(v)) for v in row) + "\n")
built = os.path.join(work, "built.h5")
p = subprocess.run([exe, "mesh", "build", "--dem", dem, "-o", built], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
check(p.returncode == 0, "mesh build from the synthetic basin's elevation" + ("" if p.returncode == 0 else "\n" + p.stdout))
if p.returncode == 0:
    res = run("mesh_slope", {"slope_correction": "mesh"}, on_mesh=built)
    if res is not None:
        with h5py.File(built, "r") as f:
            m2, ss = f["mask"][()] != 0, f["slope_subgrid"][()]
        got = res["maps/slope_gradient"][()]
        check(np.array_equal(got[m2], ss[m2]) and ss[m2].max() > 0, f"slope_correction mesh: the CSLE slope is /slope_subgrid at all {int(m2.sum())} active cells")
run("bad_mesh_slope", {"slope_correction": "mesh"}, ["/slope_subgrid: missing dataset", "assessment.slope_correction"])

# 4. bad values
run("bad_cover_range", {"b_method": "cover", "vegetation_cover": {"forest": 1.5}}, ["bad_cover_range.json", "assessment.vegetation_cover.forest", "[0, 1]", "1.5"])
run("bad_cover_key", {"b_method": "cover", "vegetation_cover": {"cropland": 0.5}}, ["bad_cover_key.json", "assessment.vegetation_cover.cropland", "unknown key"])
run("bad_b_method", {"b_method": "ndvi"}, ["bad_b_method.json", "assessment.b_method", "ndvi"])
run("bad_cover_table", {"vegetation_cover": {"forest": 0.7}}, ["bad_cover_table.json", "assessment.vegetation_cover", "only used with assessment.b_method \"cover\""])

print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
