#!/usr/bin/python3
"""Open a result file with the readers users have: ncdump (netCDF-C), xarray (netCDF4 engine),
h5py, and ParaView's XDMF reader on the sidecar; check dimensions, units and values.

usage: check_readers.py RESULT.h5 RESULT.xmf
"""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

fails = checks = 0


def check(ok, what):
    global fails, checks
    checks += 1
    fails += 0 if ok else 1
    print(("ok   " if ok else "FAIL ") + what)


h5, xmf = sys.argv[1], sys.argv[2]
p = subprocess.run(["ncdump", "-h", h5], capture_output=True, text=True)
check(p.returncode == 0 and "time = UNLIMITED" in p.stdout, "ncdump -h reads the file and sees the time dimension")
check("float depth(time, y, x)" in p.stdout, "ncdump sees maps/depth(time, y, x)")

import xarray as xr  # noqa: E402

root = xr.open_dataset(h5)
maps = xr.open_dataset(h5, group="maps")
check(root.attrs.get("Conventions") == "CF-1.8", "xarray: Conventions CF-1.8")
check(str(root["time"].encoding.get("units", "")).startswith("seconds since") and np.issubdtype(root["time"].dtype, np.datetime64), "xarray: decodes time from its CF units to dates")
check(maps["depth"].dims == ("time", "y", "x") and maps["depth"].attrs.get("units") == "m", "xarray: depth (time, y, x) in m")
check(maps["depth"].attrs.get("grid_mapping") == "crs", "xarray: depth has grid_mapping crs")

with h5py.File(h5, "r") as f:
    t = f["series/time"][()]
    check(np.all(np.diff(t) > 0), "h5py: /series/time increasing")
    for name, g in f["series"].items():
        if isinstance(g, h5py.Group):
            q = g["discharge"][()]
            check(q.shape == t.shape and np.all(np.isfinite(q)) and np.all(q >= 0), f"h5py: /series/{name}/discharge finite, non-negative, one per time")
    d = f["maps/depth"]
    mask = f["static/mask"][()] != 0
    last = d[-1]
    check(np.all(np.isnan(last[~mask])) and np.all(np.isfinite(last[mask])) and np.all(last[mask] >= 0), "h5py: depth NaN outside the basin, finite and >= 0 inside")
    check(np.allclose(last[mask], f["maps/depth_final"][()][mask], rtol=1e-6, atol=1e-6), "h5py: last depth slice = depth_final (float32)")
    check(d.shape[0] == f["time"].shape[0], "h5py: one depth slice per time")

pv = shutil.which("pvpython")
if pv:
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_xdmf_paraview.py")
    p = subprocess.run([pv, script, xmf], capture_output=True, text=True, timeout=300)
    print(p.stdout.strip())
    check(p.returncode == 0 and "XDMF OK" in p.stdout, "ParaView reads the XDMF sidecar: every step, depth and the static maps")
else:
    check(False, "pvpython not found (python3-paraview is installed by setup.sh)")
print(f"{checks - fails} passed, {fails} failed")
sys.exit(1 if fails else 0)
