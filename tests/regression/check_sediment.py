#!/usr/bin/python3
"""Checks of the sediment case (tests/regression/sediment): in every file the sediment budget
closes (|relative_error| <= 1e-9) and the reservoir keeps between 90 % and 99.5 % of the sediment
that entered it (trap efficiency 1 - release / inflow, the issue's band); across files (1, 2, 4
ranks) /budget/sediment and every /series/<gauge>/sediment agree to 1e-12 relative.

usage: check_sediment.py REF.h5 OTHER.h5 ...
"""
import sys

import h5py
import numpy as np


def load(path):
    with h5py.File(path, "r") as f:
        b = {k: float(v) for k, v in f["budget/sediment"].attrs.items() if not isinstance(v, (bytes, str))}
        s = {g: f["series"][g]["sediment"][()] for g in f["series"] if isinstance(f["series"][g], h5py.Group)}
    return b, s


def main():
    fails = 0
    ref_b, ref_s = load(sys.argv[1])
    for p in sys.argv[1:]:
        b, s = load(p)
        err = abs(b["relative_error"])
        te = b["reservoir_trap_efficiency"]
        ok = err <= 1e-9
        print(f"{'ok  ' if ok else 'FAIL'} {p}: sediment relative_error {err:.3e} (detachment {b['detachment']:.6e} kg, outflow {b['outflow']:.6e} kg)")
        fails += not ok
        ok = 0.90 <= te <= 0.995
        print(f"{'ok  ' if ok else 'FAIL'} {p}: reservoir trap efficiency {te:.5f} (inflow {b['reservoir_inflow']:.6e} kg, release {b['reservoir_release']:.6e} kg, settled {b['reservoir_trapped']:.6e} kg)")
        fails += not ok
        if p == sys.argv[1]:
            continue
        worst = 0.0
        for k, v in ref_b.items():
            worst = max(worst, abs(b[k] - v) / max(abs(v), 1e-300) if k != "relative_error" else 0.0)
        for g, v in ref_s.items():
            scale = max(np.abs(v).max(), 1e-300)
            worst = max(worst, float(np.abs(s[g] - v).max()) / scale)
        ok = worst <= 1e-12
        print(f"{'ok  ' if ok else 'FAIL'} {p} vs {sys.argv[1]}: largest relative difference of the budget and the series {worst:.3e}")
        fails += not ok
    print(f"{fails} failure(s)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
