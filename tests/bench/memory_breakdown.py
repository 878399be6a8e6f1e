#!/usr/bin/python3
"""Who holds the memory at a run's peak (issue 9; not a test): heaptrack's record of a run, grouped
by the engine allocation that made each block, in bytes per grid cell and per active cell.

    heaptrack -o before build/shuibao run s.json --mesh m.h5 -o r.h5 --quiet
    tests/bench/memory_breakdown.py --mesh m.h5 before.zst [after.zst]

Each block alive at the heap's peak is put in the first group of GROUPS whose pattern matches its
call chain (the last four engine functions, then the first three library functions below them,
e.g. "SbRun>SbRoutingSetUp>SetUp_LI>SbRoutingLocalCreate | PetscMallocA>PetscMallocAlign");
--chains lists the chains themselves instead. The patterns name engine functions, so a renamed
function falls into the last group until its pattern follows it.
"""
import argparse
import collections
import os
import re
import subprocess
import sys

import h5py
import numpy as np

ENGINE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "engine")
GROUPS = [
    ("mesh static fields (float64 on every grid cell)", r"ReadField"),
    ("mesh DMDA (index sets, ghost scatter)", r"SbGridCreate.*DMSetUp|SbChannelGeometry \| DMGlobalToLocal|SbGridCreate.*DMDACreate2d"),
    ("water state: depth and face discharges, maximum depth, infiltration, canopy, soil water, ET demand, recharge", r"SbStateCreate \| (DMCreateGlobalVector|VecDuplicate)"),
    ("ghosted state (state and local-inertial copies), the state's DMDA and scatter", r"SbStateCreate \| (DMCreateLocalVector|PetscMallocA|DMDACreateCompatibleDMDA)|SetUp_LI \| DMCreateLocalVector|SbOutputWriteSlice \| DMGlobalToLocal"),
    ("Green-Ampt cells", r"SbInfiltrationCreate|FindSet"),
    ("root-zone columns", r"SbSoilWaterCreate"),
    ("interception and groundwater cells", r"SbInterceptionCreate|SbGroundwaterCreate"),
    ("routing: global set-up fields (classes, channel depth and width)", r"SetUpCommon>SbRoutingSetUp \|"),
    ("routing: ghosted static data (classes, elevation, area, channel, Manning factor)", r"SbRoutingLocalCreate \| PetscMalloc"),
    ("routing: work (face discharges, limiter), its DMDAs and scatters", r"SetUp_LI \| PetscMalloc|SetUp_LI>SbRoutingCreateDA|Step_LI \| DMGlobalToLocal|SbRoutingLocalCreate \| DMGlobalToLocal"),
    ("sediment state: suspended mass and loose bed per class, 6 cumulative budget fields", r"SbSedimentCreate \| (DMCreateGlobalVector|VecDuplicate|VecSetType)"),
    ("sediment per-cell parameters and work", r"SetCells>SbSedimentCreate"),
    ("sediment ghosted concentrations, its DMDA(s) and halo scatter", r"SbSedimentCreate \| DMCreateLocalVector|SbSedimentCreate>SbRoutingCreateDA|Transport \| DMLocalToLocal"),
    ("sediment set-up vectors left in the mesh DMDA's cache", r"SetOutletSlopes"),
    ("output: slice work vector, float32 buffer, HDF5", r"SbOutputCreate|SbMapsCreate|Finish|WriteBlock|SbMapsWrite"),
    ("MPI, PETSc and HDF5 start-up, the rest", r"."),
]


def chains(path):
    """Bytes alive at the peak per call chain, from heaptrack_print's flame-graph output."""
    text = subprocess.run(["heaptrack_print", "-f", path, "--flamegraph-cost-type", "peak", "-F", "/dev/stdout", "-p", "0", "-a", "0", "-T", "0"], capture_output=True, text=True, check=True).stdout
    files = set(os.listdir(ENGINE))
    out = collections.Counter()
    for line in text.splitlines():
        m = re.match(r"^(.*) (\d+)$", line)
        if not m or ";" not in m.group(1):
            continue
        frames = [f for f in m.group(1).split(";") if f]
        eng = [i for i, f in enumerate(frames) if (s := re.search(r"\((\w+\.c)\)", f)) and s.group(1) in files]
        key = "other"
        if eng:
            last = eng[-1]
            key = ">".join(frames[i].split(" ")[0] for i in eng[-4:]) + " | " + ">".join(frames[i].split(" ")[0] for i in range(last + 1, min(last + 4, len(frames))))
        out[key] += int(m.group(2))
    return out


def grouped(ch):
    g = collections.Counter()
    for key, n in ch.items():
        g[next(name for name, rx in GROUPS if re.search(rx, key))] += n
    return g


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mesh", required=True, help="the run's mesh.h5 (grid and active cells)")
    ap.add_argument("--chains", action="store_true", help="list the call chains instead of the groups")
    ap.add_argument("records", nargs="+", help="heaptrack records (.zst), e.g. before and after")
    args = ap.parse_args()
    with h5py.File(args.mesh, "r") as f:
        mask = f["mask"][()]
    ngrid, nact = float(mask.size), float(np.count_nonzero(mask))
    data = [chains(p) for p in args.records]
    print(f"{int(ngrid):,} grid cells, {int(nact):,} active; bytes at the heap's peak per grid cell / per active cell\n")
    if args.chains:
        for p, ch in zip(args.records, data):
            print(f"{p}:")
            for k, n in ch.most_common():
                if n >= 1e-3 * sum(ch.values()):
                    print(f"  {n / ngrid:7.1f} {n / nact:7.1f}  {k}")
        return
    data = [grouped(ch) for ch in data]
    print("| allocation | " + " | ".join(f"{os.path.splitext(p)[0]}: per grid cell | per active cell" for p in args.records) + " |")
    print("|---|" + "---:|---:|" * len(args.records))
    for name, _ in GROUPS:
        if any(d[name] for d in data):
            print(f"| {name} | " + " | ".join(f"{d[name] / ngrid:.0f} | {d[name] / nact:.0f}" for d in data) + " |")
    print("| **heap at its peak** | " + " | ".join(f"**{sum(d.values()) / ngrid:.0f}** | **{sum(d.values()) / nact:.0f}**" for d in data) + " |")


if __name__ == "__main__":
    sys.exit(main())
