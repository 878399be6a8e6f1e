#!/usr/bin/python3
"""A small basin for the multi-year assessment tests (tests/regression/check_assessment_years.py):
ESRI ASCII rasters of 24 x 16 cells of 500 m (96 km2), a valley draining east between two
hillslopes of 8 to 17 %, every land use and three soils in a fixed pattern, two regions (north and
south of the valley) and a gauge half-way down the valley. Deterministic; no reservoir, so that
the routing's stable step stays long and a run of several years takes seconds."""
import os
import sys

NX, NY, DX = 24, 16, 500.0
X0, Y0 = 500000.0, 3600000.0


def write(path, rows, fmt):
    with open(path, "w") as f:
        f.write(f"ncols {NX}\nnrows {NY}\nxllcorner {X0}\nyllcorner {Y0}\ncellsize {DX}\nNODATA_value -9999\n")
        for r in rows:
            f.write(" ".join(fmt(v) for v in r) + "\n")


def main(out):
    os.makedirs(out, exist_ok=True)
    yc = (NY - 1) / 2.0
    dem, lu, soil, reg = [], [], [], []
    for r in range(NY):  # row 0 is the north edge
        north = r < yc
        # hillslopes: 8 % on the north side, 17 % on the south, towards the valley; the valley
        # falls 1 % to the east; a small deterministic roughness breaks ties
        hs = 0.08 if north else 0.17
        dem.append([200.0 + 0.01 * DX * (NX - 1 - c) + hs * DX * abs(r - yc) + 0.3 * (((7 * r + 13 * c) % 5) - 2) for c in range(NX)])
        # land use 1..7 in bands that cross both hillslopes (water only in the valley floor)
        lu.append([(7 if abs(r - yc) < 1 and c % 6 == 5 else 1 + ((c // 3 + r // 4) % 6)) for c in range(NX)])
        soil.append([(4, 5, 9)[(r + c) % 3] for c in range(NX)])
        reg.append([1 if north else 2 for c in range(NX)])
    write(os.path.join(out, "dem.asc"), dem, lambda v: f"{v:.3f}")
    write(os.path.join(out, "landuse.asc"), lu, lambda v: str(v))
    write(os.path.join(out, "soil.asc"), soil, lambda v: str(v))
    write(os.path.join(out, "regions.asc"), reg, lambda v: str(v))
    with open(os.path.join(out, "gauges.csv"), "w") as f:
        f.write(f"name,x,y\nmid,{X0 + 12.5 * DX},{Y0 + (NY - yc - 0.5) * DX}\n")


if __name__ == "__main__":
    main(sys.argv[1])
