#!/usr/bin/python3
"""Check a mesh.h5: the stable names of DESIGN.md are there, and gauge upstream areas match.

usage: check_mesh.py MESH.h5 [GAUGE=AREA_KM2:REL_TOL ...] [--active-area AREA_KM2:REL_TOL]
"""
import sys

import h5py
import numpy as np

STABLE = {"elevation": "f", "mask": "u", "cell_area": "f", "flow_accumulation": "f",
          "channel": "u", "region": "i", "landuse": "i", "soil": "i"}


def main():
    path = sys.argv[1]
    fails = checks = 0
    with h5py.File(path, "r") as f:
        ny, nx = f["elevation"].shape
        for name, kind in STABLE.items():
            checks += 1
            d = f.get(name)
            ok = d is not None and d.shape == (ny, nx) and d.dtype.kind == kind
            print(f"{'ok  ' if ok else 'FAIL'} /{name} [{ny}][{nx}] kind {kind}")
            fails += 0 if ok else 1
        checks += 1
        ok = "outlet" in f["gauges"]
        print(f"{'ok  ' if ok else 'FAIL'} /gauges/outlet present")
        fails += 0 if ok else 1
        mask = f["mask"][()] != 0
        area = f["cell_area"][()]
        acc = f["flow_accumulation"][()]
        for arg in sys.argv[2:]:
            name, spec = arg.split("=")
            want, tol = (float(x) for x in spec.split(":"))
            checks += 1
            if name == "active-area":
                got = float(area[mask].sum()) / 1e6
            else:
                g = f["gauges"][name]
                got = float(g.attrs["upstream_area_m2"]) / 1e6
                r, c = int(g.attrs["row"]), int(g.attrs["col"])
                if abs(acc[r, c] / 1e6 - got) > 1e-6 * got:
                    print(f"FAIL {name}: attribute {got} != flow_accumulation {acc[r, c] / 1e6}")
                    fails += 1
            ok = abs(got - want) <= tol * want
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {got:.1f} km2, expected {want:.1f} km2 within {100 * tol:.1f}%")
            fails += 0 if ok else 1
    print(f"{checks - fails} passed, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
