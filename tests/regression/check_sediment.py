#!/usr/bin/python3
"""Checks of the sediment case (tests/regression/sediment): in every file the sediment budget
closes (|relative_error| <= 1e-9) and the reservoir keeps between 90 % and 99.5 % of the sediment
that entered it (trap efficiency 1 - release / inflow, the issue's band); across files (1, 2, 4
ranks) /budget/sediment and every /series/<gauge>/sediment agree to 1e-12 relative.

The time-sliced sediment maps (docs/output.md), in every file: /maps/soil_detachment_cumulative,
deposition_cumulative and net_erosion_cumulative are (time, y, x) float32 in kg m-2 with CF
attributes, one slice per output time, zero at t = 0, NaN outside the mask and finite inside,
detachment and deposition >= 0 and never decreasing; the last slice integrated over the cell areas
equals the budget's detachment, deposition and detachment + bed_erosion - deposition -
check_dam_trapped to float32 round-off: |sum(m A) - budget| <= 2^-24 sum(|m| A) + 1e-12 |budget|
(each stored value is within half an ulp, 2^-24 relative, of the float64 kg/m2 the engine
computed; the budget is an exact sum of the same per-cell masses). Across files every slice of the maps
agrees to one float32 ulp (2^-23 relative). ncdump -h sees them with units, the XDMF sidecar lists them at
every step, and ParaView's XDMF reader reads the last detachment slice (pvpython, first file).
With --without FILE: a run without sediment has none of these maps.

usage: check_sediment.py REF.h5 OTHER.h5 ... [--without NOSED.h5]
"""
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np


def load(path):
    with h5py.File(path, "r") as f:
        b = {k: float(v) for k, v in f["budget/sediment"].attrs.items() if not isinstance(v, (bytes, str))}
        s = {g: f["series"][g]["sediment"][()] for g in f["series"] if isinstance(f["series"][g], h5py.Group)}
    return b, s


MAPS = ("soil_detachment_cumulative", "deposition_cumulative", "net_erosion_cumulative")
ULP32 = 2.0 ** -24  # half an ulp of float32, relative


def report(ok, what):
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    return 0 if ok else 1


def check_maps(p, b):
    """The sediment maps of one file against its own budget; returns (failures, the maps)."""
    fails = 0
    with h5py.File(p, "r") as f:
        nt = f["time"].shape[0]
        mask = f["static/mask"][()] != 0
        area = f["static/cell_area"][()]
        last = {}
        for name in MAPS:
            d = f["maps/" + name]
            a = dict(d.attrs)
            ok = (d.shape == (nt,) + mask.shape and d.dtype == np.float32 and a.get("units") in (b"kg m-2", "kg m-2")
                  and a.get("grid_mapping") in (b"crs", "crs") and len(a.get("long_name", "")) > 0 and np.isnan(a.get("_FillValue", 0.0)))
            fails += report(ok, f"{p}: /maps/{name} {d.shape} {d.dtype}, units {a.get('units')!r}, grid_mapping, long_name, _FillValue NaN")
            m = d[()]
            ok = bool(np.all(m[0][mask] == 0))
            fails += report(ok, f"{p}: {name} is zero at t = 0")
            ok = bool(np.all(np.isnan(m[:, ~mask])) and np.all(np.isfinite(m[:, mask])))
            fails += report(ok, f"{p}: {name} NaN outside the mask, finite inside, every slice")
            if name != "net_erosion_cumulative":
                ok = bool(np.all(m[:, mask] >= 0) and np.all(np.diff(m[:, mask], axis=0) >= 0))
                fails += report(ok, f"{p}: {name} >= 0 and never decreasing (largest {float(m[-1][mask].max()):.6e} kg m-2)")
            last[name] = m
    want = {"soil_detachment_cumulative": b["detachment"], "deposition_cumulative": b["deposition"],
            "net_erosion_cumulative": b["detachment"] + b["bed_erosion"] - b["deposition"] - b["check_dam_trapped"]}
    for name, ref in want.items():
        terms = last[name][-1][mask].astype(np.float64) * area[mask]
        total, scale = float(np.sum(terms)), float(np.sum(np.abs(terms)))
        tol = ULP32 * scale + 1e-12 * abs(ref)
        ok = abs(total - ref) <= tol
        fails += report(ok, f"{p}: sum({name} x cell_area) = {total:.9e} kg vs budget {ref:.9e} kg (difference {total - ref:.3e}, bound {tol:.3e})")
    return fails, last


def check_readers(p):
    fails = 0
    out = subprocess.run(["ncdump", "-h", p], capture_output=True, text=True)
    for name in MAPS:
        ok = out.returncode == 0 and f"float {name}(time, y, x)" in out.stdout and f'{name}:units = "kg m-2"' in out.stdout
        fails += report(ok, f"ncdump -h {p}: {name}(time, y, x) in kg m-2")
    xmf = p[:-3] + ".xmf"
    with h5py.File(p, "r") as f:
        nt = f["time"].shape[0]
    steps = ET.parse(xmf).getroot().find("Domain").find("Grid").findall("Grid")
    for name in MAPS:
        ok = len(steps) == nt and all(sum(a.get("Name") == name for a in g.findall("Attribute")) == 1 for g in steps)
        fails += report(ok, f"{xmf}: {name} at each of the {nt} steps")
    pv = shutil.which("pvpython")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_xdmf_paraview.py")
    if pv:
        out = subprocess.run([pv, script, xmf, MAPS[0]], capture_output=True, text=True, timeout=300)
        print(out.stdout.strip())
        fails += report(out.returncode == 0 and "XDMF OK" in out.stdout, f"ParaView reads {MAPS[0]} from {xmf}")
    else:
        fails += report(False, "pvpython not found (python3-paraview is installed by setup.sh)")
    return fails


def main():
    fails = 0
    args = sys.argv[1:]
    without = None
    if "--without" in args:
        k = args.index("--without")
        without = args[k + 1]
        del args[k:k + 2]
    ref_b, ref_s = load(args[0])
    ref_maps = None
    for p in args:
        b, s = load(p)
        err = abs(b["relative_error"])
        te = b["reservoir_trap_efficiency"]
        ok = err <= 1e-9
        print(f"{'ok  ' if ok else 'FAIL'} {p}: sediment relative_error {err:.3e} (detachment {b['detachment']:.6e} kg, outflow {b['outflow']:.6e} kg)")
        fails += not ok
        ok = 0.90 <= te <= 0.995
        print(f"{'ok  ' if ok else 'FAIL'} {p}: reservoir trap efficiency {te:.5f} (inflow {b['reservoir_inflow']:.6e} kg, release {b['reservoir_release']:.6e} kg, settled {b['reservoir_trapped']:.6e} kg)")
        fails += not ok
        nf, maps = check_maps(p, b)
        fails += nf
        if p == args[0]:
            fails += check_readers(p)
            ref_maps = maps
            continue
        for name in MAPS:
            a, r = maps[name], ref_maps[name]
            fin = np.isfinite(r)
            diff = np.abs(a[fin].astype(np.float64) - r[fin])
            ok = bool(np.array_equal(np.isnan(a), np.isnan(r)) and np.all(diff <= 2 * ULP32 * np.maximum(np.abs(a[fin]), np.abs(r[fin]))))
            fails += report(ok, f"{p} vs {args[0]}: every slice of {name} equal to one float32 ulp (largest difference {float(diff.max()):.3e} kg m-2, {int(np.count_nonzero(diff))} cells differ)")
        worst = 0.0
        for k, v in ref_b.items():
            worst = max(worst, abs(b[k] - v) / max(abs(v), 1e-300) if k != "relative_error" else 0.0)
        for g, v in ref_s.items():
            scale = max(np.abs(v).max(), 1e-300)
            worst = max(worst, float(np.abs(s[g] - v).max()) / scale)
        ok = worst <= 1e-12
        print(f"{'ok  ' if ok else 'FAIL'} {p} vs {args[0]}: largest relative difference of the budget and the series {worst:.3e}")
        fails += not ok
    if without:
        with h5py.File(without, "r") as f:
            present = [n for n in MAPS if "maps/" + n in f]
        fails += report(not present, f"{without} (no sediment): no sediment maps ({present})")
    print(f"{fails} failure(s)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
