#!/usr/bin/python3
"""One calibrated year (2001 of the generated weather) on the real upper Han River mesh, 2 ranks,
with the annual assessment (docs/hanjiang.md, "The calibrated baseline").

usage: check_hanjiang_year.py MPIEXEC SHUIBAO SCENARIO MESH OUT BANDS.json

Skipped (exit 77) with a message where MESH is absent (the mesh.build_hanjiang_full test builds it
from ../shared/data/hanjiang). BANDS.json holds the documented bands (docs/hanjiang.md):
- the runoff at `outlet` within the band around the calibrated model's own 2001 (a wet year: 1,143 mm
  of generated rain against the 987 mm climate), and a runoff coefficient within the band of the
  published long-term one (0.298) widened for a single wet year;
- Ankang's share of the outlet's runoff within the band around its area share (0.418);
- the sediment into the reservoir (the assessment's CSLE soil loss times the delivery ratio, the
  year's own erosivity) within a factor of the published 0.29e8 t/a deposited 1968-2015;
- the pool gauge records the release (equal to the outflow off the grid), the water budget closes.
"""
import json
import os
import subprocess
import sys

import h5py

from sbcheck import check, finish


def main():
    mpiexec, exe, scenario, mesh, out, bands_path = sys.argv[1:7]
    if not os.path.isfile(mesh):
        print(f"SKIPPED: the real-basin mesh {mesh} is absent (the mesh.build_hanjiang_full test "
              "builds it from ../shared/data/hanjiang, see docs/hanjiang.md)")
        return 77
    with open(bands_path) as fp:
        bands = json.load(fp)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = [mpiexec, "--quiet", "--oversubscribe", "-n", "2", exe, "run", scenario, "--mesh", mesh, "-o", out, "--quiet"]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, env=env, timeout=1200)
    with h5py.File(out, "r") as f:
        w = f["budget/water"].attrs
        years = f["series/time"][-1] / (365.25 * 86400.0)
        area = f["static/cell_area"][()][f["static/mask"][()] > 0].sum()
        check(abs(w["relative_error"]) <= 1e-12, f"water budget relative error {w['relative_error']:.2e}")
        check(abs(w["outflow_outlet"] - w["outflow"]) <= 1e-9 * w["outflow"], f"the outlet gauge in the pool records the release: {w['outflow_outlet']:.6e} = {w['outflow']:.6e} m3")
        q = w["outflow_outlet"] / years
        lo, hi = bands["outlet_runoff_m3_a"]
        check(lo <= q <= hi, f"runoff at outlet {q:.4e} m3/a within the documented band [{lo:.4e}, {hi:.4e}]")
        c = w["outflow_outlet"] / w["rain"]
        lo, hi = bands["runoff_coefficient"]
        check(lo <= c <= hi, f"runoff coefficient {c:.3f} within [{lo}, {hi}] (published long-term 0.298)")
        r = w["outflow_ankang"] / w["outflow_outlet"]
        lo, hi = bands["ankang_over_outlet"]
        check(lo <= r <= hi, f"ankang / outlet runoff {r:.3f} within [{lo}, {hi}] (area ratio 0.418)")
        s = f["summary/basin"].attrs["sediment_to_reservoir_t_a"]
        lo, hi = bands["sediment_to_reservoir_t_a"]
        check(lo <= s <= hi, f"sediment into the reservoir {s:.3e} t/a within [{lo:.3e}, {hi:.3e}] (published 0.29e8 t/a deposited)")
        print(f"rain {w['rain'] / area * 1e3:.0f} mm, evapotranspiration {(w['canopy_evaporation'] + w['soil_evapotranspiration']) / area * 1e3:.0f} mm, "
              f"conservation rate {f['summary/basin'].attrs['conservation_rate']:.3f}")
    finish()


if __name__ == "__main__":
    sys.exit(main())
