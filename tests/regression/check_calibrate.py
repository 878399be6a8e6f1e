#!/usr/bin/python3
"""shuibao calibrate on a case whose answer is known (docs/calibration.md).

usage: check_calibrate.py MPIEXEC SHUIBAO NP CASE_DIR WORK_DIR

A twin experiment: a tilted V-catchment (30 x 20 cells of 100 m, side slopes 5 %, channel slope
2 %, loam) is run with infiltration.ks_factor 1.3 (truth.json); its annual runoff at the outlet
becomes the target; base.json (ks_factor 1.0) is calibrated from multiplier 1.0 and must recover
1.3 within 1 %. Runs on NP ranks.
"""
import json
import os
import shutil
import subprocess
import sys

import h5py


def write_dem(path):
    nx, ny, d = 30, 20, 100.0
    with open(path, "w") as f:
        f.write(f"ncols {nx}\nnrows {ny}\nxllcorner 500000\nyllcorner 3600000\ncellsize {d}\n")
        for r in range(ny):
            y = (ny - 1 - r) * d  # distance from the southern edge
            f.write(" ".join(f"{10 + 0.05 * abs((c - nx // 2) * d) + 0.02 * y:.3f}" for c in range(nx)) + "\n")


def main():
    mpiexec, exe, np_, case, work = sys.argv[1:6]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    for f in ("base.json", "truth.json"):
        shutil.copy(os.path.join(case, f), work)
    write_dem(os.path.join(work, "v.asc"))
    subprocess.run([exe, "mesh", "build", "--dem", os.path.join(work, "v.asc"), "-o", os.path.join(work, "v.h5")], check=True)
    run = [mpiexec, "--oversubscribe", "-n", np_, exe]
    subprocess.run(run + ["run", os.path.join(work, "truth.json"), "-o", os.path.join(work, "truth.h5"), "--quiet"], check=True)
    with h5py.File(os.path.join(work, "truth.h5"), "r") as f:
        volume = float(f["budget/water"].attrs["outflow_outlet"])
    years = 4 * 3600 / (365.25 * 86400)
    targets = json.load(open(os.path.join(case, "targets.json")))
    targets["targets"][0]["runoff_m3_a"] = volume / years
    json.dump(targets, open(os.path.join(work, "targets.json"), "w"), indent=1)
    out = os.path.join(work, "calibrated.json")
    subprocess.run(run + ["calibrate", os.path.join(work, "base.json"), "--targets", os.path.join(work, "targets.json"), "-o", out], check=True)
    cal = json.load(open(out))
    k = cal["infiltration"]["ks_factor"]
    ok = abs(k - 1.3) <= 0.013 and not os.path.exists(out + ".candidate.json") and not os.path.exists(out + ".candidate.h5") and not os.path.exists(out + ".candidate.xmf")
    print(f"{'ok  ' if ok else 'FAIL'} truth ks_factor 1.3, runoff {volume:.1f} m3 in 4 h; calibrated from 1.0: {k:.5f} "
          f"(error {100 * (k - 1.3) / 1.3:+.3f} %, within 1 %); {cal['description']}")
    # the calibrated scenario runs as it is
    subprocess.run(run + ["run", out, "-o", os.path.join(work, "calibrated.h5"), "--quiet"], check=True)
    with h5py.File(os.path.join(work, "calibrated.h5"), "r") as f:
        v2 = float(f["budget/water"].attrs["outflow_outlet"])
    ok2 = abs(v2 - volume) <= 1e-3 * volume
    print(f"{'ok  ' if ok2 else 'FAIL'} the calibrated scenario reproduces the observed runoff: {v2:.1f} m3, target {volume:.1f} m3")
    return 0 if ok and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
