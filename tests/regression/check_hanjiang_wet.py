#!/usr/bin/python3
"""30 days of the wet season on the real upper Han River mesh, 2 ranks (docs/hanjiang.md).

usage: check_hanjiang_wet.py MPIEXEC SHUIBAO SCENARIO MESH OUT

Skipped (exit 77) with a message where MESH is absent (the mesh.build_hanjiang_full test builds it
from ../shared/data/hanjiang). It guards what the basin's first year got wrong, each check with the
value it had then:
- weirs across the main stem (channel corners that kept their own small channel): the river stood
  in ponds; over 45 days the outlet passed 0.3 % of the baseflow the groundwater released into the
  channels, and Ankang's discharge was zero for a month. Here: the outlet passes at least 20 % of
  the baseflow of the 30 days (35 % now; the rest fills the empty channels and evaporates), and
  Ankang flows above 100 m3/s from day 10 on.
- an outlet gauge in the reservoir's pool read zero: the outlet's series must carry the pool's
  release, equal to the outflow off the grid (the pool drains off the grid at the outlet).
- Ankang's share of the outlet's discharge over the last 10 days within 0.30-0.55 (the area ratio
  is 0.418 and the generated rain is uniform; the band allows for the channels' travel time).
- the water budget closes to 1e-12.
"""
import os
import subprocess
import sys

import h5py
import numpy as np

from sbcheck import check, finish


def main():
    mpiexec, exe, scenario, mesh, out = sys.argv[1:6]
    if not os.path.isfile(mesh):
        print(f"SKIPPED: the real-basin mesh {mesh} is absent (the mesh.build_hanjiang_full test "
              "builds it from ../shared/data/hanjiang, see docs/hanjiang.md)")
        return 77
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = [mpiexec, "--quiet", "--oversubscribe", "-n", "2", exe, "run", scenario, "--mesh", mesh, "-o", out, "--quiet"]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, env=env, timeout=900)
    with h5py.File(out, "r") as f:
        w = f["budget/water"].attrs
        ank = f["series/ankang/discharge"][()]
        outl = f["series/outlet/discharge"][()]
        t = f["series/time"][()]
        check(abs(w["relative_error"]) <= 1e-12, f"water budget relative error {w['relative_error']:.2e}")
        share = w["outflow_outlet"] / w["baseflow"]
        check(share >= 0.2, f"outflow at outlet {w['outflow_outlet']:.3e} m3 = {100 * share:.0f} % of the baseflow {w['baseflow']:.3e} m3 (>= 20 %; 0.3 % with the weirs)")
        check(abs(w["outflow_outlet"] - w["outflow"]) <= 1e-9 * w["outflow"], f"the outlet gauge in the pool records the release: {w['outflow_outlet']:.6e} m3 = outflow off the grid {w['outflow']:.6e} m3")
        day = (t - t[0]) / 86400.0
        late = day >= 10
        check(bool((ank[late] > 100).all()), f"ankang above 100 m3/s from day 10 on (least {ank[late].min():.0f} m3/s)")
        last = day >= day[-1] - 10
        ratio = ank[last].mean() / outl[last].mean()
        check(0.30 <= ratio <= 0.55, f"ankang / outlet discharge over the last 10 days {ratio:.3f} (area ratio 0.418; band 0.30-0.55)")
    finish()


if __name__ == "__main__":
    sys.exit(main())
