#!/usr/bin/python3
"""Where the soil loss of an annual assessment comes from: CSLE factor by factor, per land use and
per slope class (docs/assessment.md, "Diagnosing an assessment").

usage: csle_factors.py RESULT.h5 MESH.h5

RESULT.h5 is the output of an assessment (mode "assessment", or a run with an "assessment" object);
MESH.h5 the mesh it ran on. A = 100 R K L S B E T (t km-2 a-1) per cell; the output holds A, L S, the
slope gradient and W = B E T, so K follows as A / (100 R LS W) where A > 0 (with an R map, this
"K" is K R / R_basin). For each land use and for the slope classes of SL 190-2007's surface-erosion
table (0-5, 5-8, 8-15, 15-25, 25-35, > 35 degrees): area share, median slope, L S, K and W, mean
and median soil loss, the share of the area at or above the tolerance, and the share of the basin's
soil loss; then the shares of land use in each slope class. Nothing is written.
"""
import sys

import h5py
import numpy as np

NAMES = {1: "forest", 2: "shrub/grass", 3: "sloping crop", 4: "terraced crop", 5: "paddy", 6: "urban", 7: "water"}
SLOPES = [0, 5, 8, 15, 25, 35, 90]


def median(x):
    return float(np.median(x)) if x.size else float("nan")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    with h5py.File(sys.argv[1], "r") as r, h5py.File(sys.argv[2], "r") as m:
        mask = m["mask"][()] != 0
        basin = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in r["summary/basin"].attrs.items()}
        R = float(basin["rainfall_erosivity_mj_mm_ha_h_a"])
        tol = float(basin["tolerance_t_km2_a"])
        A = r["maps/soil_loss"][()][mask]
        LS = r["maps/ls_factor"][()][mask]
        lam = r["maps/slope_length"][()][mask]
        deg = np.degrees(np.arctan(r["maps/slope_gradient"][()][mask]))
        W = r["maps/w_factor"][()][mask]
        lu = m["landuse"][()][mask].astype(int)
        km2 = m["cell_area"][()][mask] * 1e-6
    with np.errstate(divide="ignore", invalid="ignore"):
        K = np.where((A > 0) & (LS > 0) & (W > 0), A / (100 * R * LS * W), np.nan)
    total, loss = km2.sum(), (A * km2).sum()
    print(f"R {R:.0f} MJ mm hm-2 h-1 a-1 ({basin['rainfall_erosivity_source']}); tolerance {tol:g} t km-2 a-1")
    print(f"slope: {basin.get('slope', '?')}; B: {basin.get('b_method', '?')}, forest {basin.get('b_forest', float('nan')):.4g}, shrub/grass {basin.get('b_shrub_grass', float('nan')):.4g}")
    print(f"slope length: median {median(lam):.0f} m, {100 * np.mean(lam >= lam.max() - 1e-9):.0f} % of the cells at the largest, {lam.max():.0f} m")
    print(f"basin: conservation rate {100 * km2[A < tol].sum() / total:.1f} %, mean soil loss {loss / total:.0f} t km-2 a-1\n")
    head = f"{'':14s} {'area%':>6s} {'slope':>6s} {'LS':>6s} {'K':>7s} {'W=BET':>8s} {'A mean':>8s} {'A med':>8s} {'>=tol%':>7s} {'loss%':>6s}"

    def row(name, s):
        if not s.any():
            return
        a = km2[s]
        print(f"{name:14s} {100 * a.sum() / total:6.1f} {median(deg[s]):6.1f} {median(LS[s]):6.2f} {np.nanmedian(K[s]) if np.isfinite(K[s]).any() else float('nan'):7.4f} "
              f"{median(W[s]):8.4f} {(A[s] * a).sum() / a.sum():8.0f} {median(A[s]):8.0f} {100 * a[A[s] >= tol].sum() / a.sum():7.1f} {100 * (A[s] * a).sum() / loss:6.1f}")

    print("by land use (medians of slope in degrees, LS, K, W; A in t km-2 a-1)")
    print(head)
    for u, name in NAMES.items():
        row(name, lu == u)
    print("\nby slope class (degrees)")
    print(head)
    for lo, hi in zip(SLOPES[:-1], SLOPES[1:]):
        row(f"{lo}-{hi}", (deg >= lo) & (deg < hi))
    print("\nland use in each slope class (% of the class's area)")
    print(f"{'':8s}" + "".join(f"{NAMES[u][:12]:>13s}" for u in NAMES))
    for lo, hi in zip(SLOPES[:-1], SLOPES[1:]):
        s = (deg >= lo) & (deg < hi)
        if s.any():
            print(f"{lo:2d}-{hi:<5d}" + "".join(f"{100 * km2[s & (lu == u)].sum() / km2[s].sum():13.1f}" for u in NAMES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
