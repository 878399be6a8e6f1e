"""Run by pvpython: open a shuibao .xmf with ParaView's XDMF reader, load the last step and
print what it sees; prints "XDMF OK" when steps, arrays and bounds are right and the last step's
values of FIELD (default depth) are those of /maps/FIELD.

usage: pvpython check_xdmf_paraview.py RESULT.xmf [FIELD]"""
import sys

import h5py
from paraview.simple import XDMFReader, servermanager

xmf = sys.argv[1]
field = sys.argv[2] if len(sys.argv) > 2 else "depth"
r = XDMFReader(FileNames=[xmf])
r.CellArrayStatus = r.CellArrayStatus.Available
r.UpdatePipelineInformation()
times = list(r.TimestepValues)
r.UpdatePipeline(times[-1])
d = servermanager.Fetch(r)
names = [d.GetCellData().GetArrayName(i) for i in range(d.GetCellData().GetNumberOfArrays())]
b = d.GetBounds()
h5 = xmf[:-4] + ".h5"
with h5py.File(h5, "r") as f:
    nt, ny, nx = f["maps/" + field].shape
    x, y = f["x"][()], f["y"][()]
    depth = f["maps/" + field][-1].ravel()
dx = x[1] - x[0] if nx > 1 else 0
arr = d.GetCellData().GetArray(field)
vals = [arr.GetValue(i) for i in range(0, arr.GetNumberOfTuples(), max(1, arr.GetNumberOfTuples() // 97))]
ref = [depth[i] for i in range(0, depth.size, max(1, depth.size // 97))]
same = all((v != v and w != w) or abs(v - w) <= 1e-6 * max(1.0, abs(w)) for v, w in zip(vals, ref))
print("steps", len(times), "of", nt, "arrays", names, "bounds", b, "cells", d.GetNumberOfCells(), "values match", same)
ok = (len(times) == nt and field in names and "elevation" in names and d.GetNumberOfCells() == nx * ny and same
      and abs(b[0] - (x[0] - dx / 2)) < 1e-6 * max(1, abs(b[0])) + 1e-6 and abs(b[3] - (y[0] + dx / 2)) < 1e-6 * max(1, abs(b[3])) + 1e-6)
print("XDMF OK" if ok else "XDMF WRONG")
