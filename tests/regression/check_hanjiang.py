#!/usr/bin/python3
"""Build the real upper Han River mesh from the shared data and check it (docs/hanjiang.md).

usage: check_hanjiang.py SHUIBAO DATA_DIR CLASSES_JSON OUT_MESH

DATA_DIR is ../shared/data/hanjiang. Where it is absent the test is skipped (exit 77) with a
message saying so. Checks: gauge areas against SOURCES.md (outlet 94,106 km2, ankang 39,287 km2,
+-2 %); every river cell (GSHHG WDBII levels 1-2) inside the basin is a channel cell, and the main
stem at the gauges is; the sub-grid slope is the fractal rule of docs/mesh-build.md applied to the
local gradient of the DEM as read (Horn 1981), so that the cells raised by depression filling keep
their hillslopes; land-use shares equal the published ones they were built from (cropland 13.96 %,
forest 23.15 %, gc5.com; within one cell's area); soils are valid texture classes; the mesh
carries the Danjiangkou reservoir's normal pool level, 170 m, and no land cell lies below it
beside the water (such a cell could only fill up to the pool's level from its own inflow).
"""
import os
import subprocess
import sys

import h5py
import numpy as np


def main():
    exe, data, classes, out = sys.argv[1:5]
    dem = os.path.join(data, "dem/hanjiang_srtm30plus_0p02deg.asc")
    if not os.path.isfile(dem):
        print(f"SKIPPED: the shared data folder is absent ({dem} not found); "
              "the real-basin test needs ../shared/data/hanjiang (CMake SB_SHARED_DATA_DIR)")
        return 77
    zones = os.path.join(data, "basin/hanjiang_basin_zones_0p02deg.asc")
    cmd = [exe, "mesh", "build", "--dem", dem, "--mask", zones, "--regions", zones,
           "--gauges", os.path.join(data, "basin/outlets.csv"),
           "--rivers", os.path.join(data, "vector/hanjiang_rivers_gshhg_wdb2.geojson"),
           "--river-levels", "1,2", "--river-burn", "20", "--channel-threshold", "100",
           "--classes-from-terrain", classes, "--reservoir-level", "170", "-o", out]
    print(" ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    fails = checks = 0

    def check(ok, text):
        nonlocal fails, checks
        checks += 1
        fails += 0 if ok else 1
        print(f"{'ok  ' if ok else 'FAIL'} {text}")

    with h5py.File(out, "r") as f:
        mask = f["mask"][()] == 1
        area = f["cell_area"][()]
        for name, want in (("outlet", 94106.0), ("ankang", 39287.0)):
            got = f["gauges"][name].attrs["upstream_area_m2"] / 1e6
            check(abs(got - want) <= 0.02 * want, f"{name}: {got:.1f} km2, SOURCES.md {want:.0f} km2 +-2%")
        ch = f["channel"][()] == 1
        acc = f["flow_accumulation"][()]
        nch = int(ch[mask].sum())
        # channels: the D8 network above 100 km2 plus the river cells; far fewer than all cells
        net = int(((acc >= 100e6) & mask).sum())
        check(net <= nch <= net + 452, f"channel cells {nch}: D8 cells >= 100 km2 ({net}) plus at most the 452 river cells")
        for g in ("ankang", "baihe", "outlet"):
            r, c = f["gauges"][g].attrs["row"], f["gauges"][g].attrs["col"]
            check(bool(ch[r, c]), f"gauge {g} lies on a channel cell")
        src = f.attrs["source"].decode()
        check("452 channel cells from it" in src, "452 river cells inside the basin became channels (source attribute)")
        s = f["slope"][()][mask]
        ss = f["slope_subgrid"][()][mask]
        D = f["slope_subgrid"].attrs["fractal_dimension"]
        T = f["slope_subgrid"].attrs["target_cell_m"]
        # the local gradient of the DEM as read by Horn's (1981) 3x3 differences, recomputed here
        # (the grid has data everywhere, so only the grid's edge is extrapolated: 2 z_c - z_opposite)
        z = np.loadtxt(dem, skiprows=6)
        zp = np.pad(z, 1, mode="reflect", reflect_type="odd")
        dx = f["dx_m"][()][:, None]
        dy = f.attrs["dy_m"]
        gx = ((zp[:-2, 2:] + 2 * zp[1:-1, 2:] + zp[2:, 2:]) - (zp[:-2, :-2] + 2 * zp[1:-1, :-2] + zp[2:, :-2])) / (8 * dx)
        gy = ((zp[2:, :-2] + 2 * zp[2:, 1:-1] + zp[2:, 2:]) - (zp[:-2, :-2] + 2 * zp[:-2, 1:-1] + zp[:-2, 2:])) / (8 * dy)
        local = np.hypot(gx, gy)[mask]
        want = np.minimum(local * (T / np.sqrt(area[mask])) ** (1 - D), 1.0)
        check(np.allclose(ss, want, rtol=1e-12, atol=1e-15), f"slope_subgrid = min(local gradient x (target/cell)^(1-D), 1), D {D:.4f}, target {T:g} m")
        check("Horn" in f["slope_subgrid"].attrs["scaled_slope"].decode(), "slope_subgrid names the slope it scales (the DEM's local gradient)")
        raised = (f["elevation"][()] - z > 0.5)[mask]
        check(raised.sum() > 3000 and np.median(ss[raised]) > np.tan(np.radians(2)),
              f"{int(raised.sum())} cells raised by depression filling keep their hillslopes: median sub-grid slope "
              f"{np.degrees(np.arctan(np.median(ss[raised]))):.1f} deg (D8 slope there {np.degrees(np.arctan(np.median(s[raised]))):.1e} deg)")
        m0 = np.degrees(np.arctan(s)).mean()
        m1 = np.degrees(np.arctan(ss)).mean()
        check(3.0 < m0 < 4.0 and m1 > 3 * m0, f"mean slope {m0:.2f} deg on the 2 km grid (SOURCES.md about 3.6), {m1:.2f} deg after the correction")
        lu = f["landuse"][()][mask]
        so = f["soil"][()][mask]
        A = area[mask]
        total = A.sum()
        cell = A.max() / total
        crop = A[(lu == 3) | (lu == 4) | (lu == 5)].sum() / total
        forest = A[lu == 1].sum() / total
        check(abs(crop - 0.1396) <= cell, f"cropland {100 * crop:.2f}% (published 13.96%)")
        check(abs(forest - 0.2315) <= cell, f"forest {100 * forest:.2f}% (published 23.15%)")
        water = A[lu == 7].sum() / 1e6
        check(900 < water < 1300, f"open water {water:.0f} km2 (cells at or below the 170 m pool; reservoir about 1,050 km2)")
        check(f.attrs["reservoir_level_m"] == 170.0, f"reservoir_level_m {f.attrs['reservoir_level_m']} (the 170 m normal pool)")
        z2 = f["elevation"][()]
        lu2 = f["landuse"][()]
        pool = (lu2 == 7) & (z2 <= 170.5) & mask
        below = (lu2 != 7) & (z2 <= 170.5) & mask
        touching = below.copy()
        touching[:] = False
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                touching |= below & np.roll(np.roll(pool, dr, 0), dc, 1)
        check(not touching.any(), f"no land cell below 170.5 m touches the water ({int(touching.sum())} do)")
        check(bool(((lu >= 1) & (lu <= 7)).all() and ((so >= 1) & (so <= 11)).all()), "every active cell has a land use 1-7 and a soil 1-11")
        shares = ", ".join(f"{k} {100 * A[lu == k].sum() / total:.2f}%" for k in range(1, 8))
        print(f"     land use shares (1 forest .. 7 water): {shares}")
    print(f"{checks - fails} passed, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
