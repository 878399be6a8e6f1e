#!/usr/bin/python3
"""shuibao calibrate on a case whose answer is known (docs/calibration.md).

usage: check_calibrate.py MPIEXEC SHUIBAO NP CASE_DIR WORK_DIR [GROUPS]

A twin experiment on a tilted V-catchment (30 x 20 cells of 100 m, side slopes 5 %, channel slope
2 %, loam under forest, gauges mid (4.2 km2) and outlet (6 km2)), written here. CASE_DIR holds
base.json, truth.json (extends base.json with known multipliers of the calibrated keys) and
targets.json (the parameters, and targets whose runoff_m3_a or sediment_t_a are replaced here by
the truth run's annual values at their gauges). base.json is calibrated from the targets' initial
multipliers and must recover the truth's:

- tests/regression/calibrate: infiltration.ks_factor 1.3 and Manning's n 1.5 times the base values
  from runoff at both gauges (within 4 h the volumes depend on n, how much has drained by the end,
  as well as on the conductivity, and n acts more on the outlet than on mid);
- tests/regression/calibrate_sediment: ks_factor 1.3 and sediment.erodibility_factor 2.0 from the
  runoff at the outlet and the sediment at both gauges (runoff fixes ks; sediment then fixes the
  erodibility).

What "recovered" means follows from the targets' tolerance: calibrate stops once the residuals
r_k = (simulated - observed) / observed have |r| <= tolerance. Near the truth r = J d, d the error
of the log multipliers and J the sensitivities d ln(target) / d ln(multiplier), so
|d| <= |r| / sigma_min(J) <= tolerance / sigma_min(J). J is measured here by central differences
(ln step 1e-3, 2 runs per parameter, 1 rank) at the truth, and each recovered multiplier must lie
within 1.5 tolerance / sigma_min(J) of the truth in ln (the 1.5: J's differences carry the noise
of the adaptive time step, about 1 % between steps 1e-2 and 1e-3). The calibrated scenario is then
run as it is and must meet every target within the tolerance.
Runs on NP ranks; with GROUPS, the first runs go side by side on that many groups of ranks
(--groups), and the result must be the same.
"""
import json
import math
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

YEAR_S = 365.25 * 86400
# Calibrated parameter -> the scenario keys it multiplies, with their defaults (scenarios/README.md)
# for a base scenario that does not set them.
KEYS = {
    "ks_factor": [("infiltration", "ks_factor", 1.0)],
    "manning_n": [("routing", "manning_n_overland", 0.10), ("routing", "manning_n_channel", 0.035)],
    "erodibility": [("sediment", "erodibility_factor", 1.0)],
}


def write_dem(path):
    nx, ny, d = 30, 20, 100.0
    with open(path, "w") as f:
        f.write(f"ncols {nx}\nnrows {ny}\nxllcorner 500000\nyllcorner 3600000\ncellsize {d}\n")
        for r in range(ny):
            y = (ny - 1 - r) * d  # distance from the southern edge
            f.write(" ".join(f"{10 + 0.05 * abs((c - nx // 2) * d) + 0.02 * y:.3f}" for c in range(nx)) + "\n")


def value(scenario, section, key, default):
    return scenario.get(section, {}).get(key, default)


def observe(h5, targets, years):
    """What each target observes in a result: m3/a or t/a."""
    out = []
    with h5py.File(h5, "r") as f:
        for t in targets:
            if "sediment_t_a" in t:
                out.append(float(f["budget/sediment"].attrs["outflow_" + t["gauge"]]) / 1e3 / years)
            else:
                out.append(float(f["budget/water"].attrs["outflow_" + t["gauge"]]) / years)
    return np.array(out)


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
    base = json.load(open(os.path.join(work, "base.json")))
    truth = json.load(open(os.path.join(work, "truth.json")))
    spec = json.load(open(os.path.join(case, "targets.json")))
    params = [p for p in spec["parameters"] if not p.startswith("//")]
    tol = spec.get("tolerance", 1e-3)
    years = base["time"]["duration_h"] * 3600 / YEAR_S
    # The truth's multipliers, one per parameter (Manning's n: the same for overland and channel).
    true_mult = {}
    for p in params:
        ratios = [value(truth, s, k, value(base, s, k, d)) / value(base, s, k, d) for s, k, d in KEYS[p]]
        assert max(ratios) - min(ratios) <= 1e-12 * max(ratios), f"truth.json multiplies the keys of {p} differently"
        true_mult[p] = ratios[0]

    run = [mpiexec, "--oversubscribe", "-n", np_, exe]
    subprocess.run(run + ["run", os.path.join(work, "truth.json"), "-o", os.path.join(work, "truth.h5"), "--quiet"], check=True)
    observed = observe(os.path.join(work, "truth.h5"), spec["targets"], years)
    for t, v in zip(spec["targets"], observed):
        t["sediment_t_a" if "sediment_t_a" in t else "runoff_m3_a"] = float(v)
    json.dump(spec, open(os.path.join(work, "targets.json"), "w"), indent=1)

    # Sensitivities at the truth: J[k][j] = d ln(target k) / d ln(multiplier j), central differences.
    def run_at(mult, tag):
        sc = {"extends": "base.json", "name": tag}
        for p, m in mult.items():
            for s, k, d in KEYS[p]:
                sc.setdefault(s, {})[k] = value(base, s, k, d) * m
        path = os.path.join(work, tag + ".json")
        json.dump(sc, open(path, "w"))
        subprocess.run([exe, "run", path, "-o", os.path.join(work, tag + ".h5"), "--quiet"], check=True, capture_output=True)
        return observe(os.path.join(work, tag + ".h5"), spec["targets"], years)

    h = 1e-3
    J = np.zeros((len(observed), len(params)))
    for j, p in enumerate(params):
        up = dict(true_mult, **{p: true_mult[p] * math.exp(h)})
        down = dict(true_mult, **{p: true_mult[p] * math.exp(-h)})
        J[:, j] = (np.log(run_at(up, "jac_up")) - np.log(run_at(down, "jac_down"))) / (2 * h)
    w = np.array([t.get("weight", 1.0) for t in spec["targets"]])
    sigma = np.linalg.svd(w[:, None] * J, compute_uv=False).min()
    bound = 1.5 * tol / sigma
    print("sensitivities d ln(target) / d ln(multiplier) at the truth (" + ", ".join(params) + "):")
    for t, row in zip(spec["targets"], J):
        print(f"  {t['gauge']:8s} {'sediment' if 'sediment_t_a' in t else 'runoff  '} " + " ".join(f"{x:+.4f}" for x in row))
    print(f"smallest singular value {sigma:.4f}: residuals within {tol:g} put each ln multiplier within "
          f"{tol / sigma:.3g} of the truth; checked within 1.5 x that, {bound:.3g}")

    out = os.path.join(work, "calibrated.json")
    subprocess.run(run + ["calibrate", os.path.join(work, "base.json"), "--targets", os.path.join(work, "targets.json"), "-o", out] + groups, check=True)
    cal = json.load(open(out))
    ok = True
    msgs = []
    for p in params:
        got = [value(cal, s, k, value(base, s, k, d)) / value(base, s, k, d) for s, k, d in KEYS[p]]
        err = abs(math.log(got[0] / true_mult[p]))
        good = err <= bound and max(got) - min(got) <= 1e-12 * max(got)
        ok = ok and good
        msgs.append(f"{p} x {got[0]:.6f} (truth {true_mult[p]:g}, {100 * (got[0] / true_mult[p] - 1):+.4f} %)")
    leftover = [f for f in os.listdir(work) if ".candidate" in f]
    ok = ok and not leftover
    print(f"{'ok  ' if ok else 'FAIL'} calibrated from the targets' initial multipliers: " + ", ".join(msgs) +
          f", each within {bound:.3g} in ln; {'no candidate files left' if not leftover else 'left: ' + ' '.join(leftover)}; {cal['description']}")
    # the calibrated scenario runs as it is and meets the targets
    subprocess.run(run + ["run", out, "-o", os.path.join(work, "calibrated.h5"), "--quiet"], check=True)
    sim = observe(os.path.join(work, "calibrated.h5"), spec["targets"], years)
    r = w * (sim - observed) / observed
    ok2 = math.sqrt(float(np.sum(r * r))) <= tol
    print(f"{'ok  ' if ok2 else 'FAIL'} the calibrated scenario meets the targets: " +
          ", ".join(f"{t['gauge']} {'sediment' if 'sediment_t_a' in t else 'runoff'} {s:.6g} {'t/a' if 'sediment_t_a' in t else 'm3/a'} "
                    f"(observed {o:.6g}, {100 * e:+.5f} %)" for t, s, o, e in zip(spec["targets"], sim, observed, r)) +
          f"; |r| {math.sqrt(float(np.sum(r * r))):.2e} <= {tol:g}")
    return 0 if ok and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
