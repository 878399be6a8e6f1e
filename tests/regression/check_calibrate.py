#!/usr/bin/python3
"""shuibao calibrate on a case whose answer is known (docs/calibration.md).

usage: check_calibrate.py MPIEXEC SHUIBAO NP CASE_DIR WORK_DIR [GROUPS]

A twin experiment: a tilted V-catchment (30 x 20 cells of 100 m, side slopes 5 %, channel slope
2 %, loam, gauges mid (4.2 km2) and outlet (6 km2)) is run with infiltration.ks_factor 1.3 and
Manning's n 1.5 times the base values (truth.json); its annual runoff at both gauges becomes the
target; base.json is calibrated from multipliers 1.0 and must recover 1.3 and 1.5 within 1 %.
Within the 4 h run the volumes depend on n (how much has drained by the end) as well as on the
conductivity, and n acts more on the outlet than on mid, so the two are identifiable.
Runs on NP ranks; with GROUPS, the first runs go side by side on that many groups of ranks
(--groups), and the result must be the same.
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
    groups = ["--groups", sys.argv[6]] if len(sys.argv) > 6 else []
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    for f in ("base.json", "truth.json"):
        shutil.copy(os.path.join(case, f), work)
    write_dem(os.path.join(work, "v.asc"))
    with open(os.path.join(work, "gauges.csv"), "w") as f:
        f.write("name,x,y\nmid,501550,3601050\n")
    subprocess.run([exe, "mesh", "build", "--dem", os.path.join(work, "v.asc"), "--gauges", os.path.join(work, "gauges.csv"),
                    "-o", os.path.join(work, "v.h5")], check=True)
    run = [mpiexec, "--oversubscribe", "-n", np_, exe]
    subprocess.run(run + ["run", os.path.join(work, "truth.json"), "-o", os.path.join(work, "truth.h5"), "--quiet"], check=True)
    with h5py.File(os.path.join(work, "truth.h5"), "r") as f:
        volume = float(f["budget/water"].attrs["outflow_outlet"])
        mid = float(f["budget/water"].attrs["outflow_mid"])
    years = 4 * 3600 / (365.25 * 86400)
    targets = json.load(open(os.path.join(case, "targets.json")))
    targets["targets"][0]["runoff_m3_a"] = volume / years
    targets["targets"][1]["runoff_m3_a"] = mid / years
    json.dump(targets, open(os.path.join(work, "targets.json"), "w"), indent=1)
    out = os.path.join(work, "calibrated.json")
    subprocess.run(run + ["calibrate", os.path.join(work, "base.json"), "--targets", os.path.join(work, "targets.json"), "-o", out] + groups, check=True)
    cal = json.load(open(out))
    k = cal["infiltration"]["ks_factor"]
    n = cal["routing"]["manning_n_overland"] / 0.10
    nc = cal["routing"]["manning_n_channel"] / 0.035
    leftover = [f for f in os.listdir(work) if ".candidate" in f]
    ok = abs(k - 1.3) <= 0.013 and abs(n - 1.5) <= 0.015 and abs(nc - n) <= 1e-12 * n and not leftover
    print(f"{'ok  ' if ok else 'FAIL'} truth ks_factor x 1.3, Manning's n x 1.5, runoff {volume:.1f} m3 (outlet) and {mid:.1f} m3 (mid) "
          f"in 4 h; calibrated from 1.0: ks x {k:.5f} ({100 * (k - 1.3) / 1.3:+.3f} %), n x {n:.5f} ({100 * (n - 1.5) / 1.5:+.3f} %), "
          f"within 1 %; {cal['description']}")
    # the calibrated scenario runs as it is
    subprocess.run(run + ["run", out, "-o", os.path.join(work, "calibrated.h5"), "--quiet"], check=True)
    with h5py.File(os.path.join(work, "calibrated.h5"), "r") as f:
        v2 = float(f["budget/water"].attrs["outflow_outlet"])
    ok2 = abs(v2 - volume) <= 1e-3 * volume
    print(f"{'ok  ' if ok2 else 'FAIL'} the calibrated scenario reproduces the observed runoff: {v2:.1f} m3, target {volume:.1f} m3")
    return 0 if ok and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
