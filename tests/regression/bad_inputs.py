#!/usr/bin/python3
"""Bad rasters and bad meshes through the shuibao command, at a given rank count.

usage: bad_inputs.py --np N --exe SHUIBAO --scenario S.json --good-mesh MESH.h5 --workdir DIR
                     [--mpiexec MPIEXEC]

Every case must fail the way tests/regression/runcase.py --expect-error checks: a non-zero exit,
exactly one line on stderr starting with "shuibao: error:" that names the file and the field (the
substrings listed with the case), no output file and no .partial left, no rank left hanging
(timeout). Rasters come from tests/rasters/bad (committed, text); meshes are made here from a good
mesh by damaging one thing each (h5py), with the cell chosen in the last rows so that at 2 ranks
the damage is on a rank other than 0.
"""
import argparse
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RASTERS = os.path.join(HERE, "..", "rasters")
BAD = os.path.join(RASTERS, "bad")
GOOD_DEM = os.path.join(RASTERS, "good_dem.asc")

# (case, extra `mesh build` arguments, substrings of the error)
RASTER_CASES = [
    ("empty", ["--dem", "empty.asc"], ["empty.asc", "the file is empty"]),
    ("header_only", ["--dem", "header_only.asc"], ["header_only.asc", "found 0"]),
    ("nan_hole", ["--dem", "nan_hole.asc"], ["nan_hole.asc", "row 2, column 2", "NaN"]),
    ("inf_value", ["--dem", "inf_value.asc"], ["inf_value.asc", "row 2, column 3", "inf"]),
    ("truncated", ["--dem", "truncated.asc"], ["truncated.asc", "found 11"]),
    ("extra_values", ["--dem", "extra_values.asc"], ["extra_values.asc", "found more"]),
    ("ncols_word", ["--dem", "ncols_word.asc"], ["ncols_word.asc", "ncols", "abc"]),
    ("negative_cellsize", ["--dem", "negative_cellsize.asc"], ["negative_cellsize.asc", "cellsize", "-100"]),
    ("missing_nrows", ["--dem", "missing_nrows.asc"], ["missing_nrows.asc", "missing nrows"]),
    ("binary", ["--dem", "binary.asc"], ["binary.asc", "not a text file"]),
    ("word_in_data", ["--dem", "word_in_data.asc"], ["word_in_data.asc", "row 2, column 3", "seven"]),
    ("duplicate_key", ["--dem", "duplicate_key.asc"], ["duplicate_key.asc", "ncols given twice"]),
    ("all_nodata", ["--dem", "all_nodata.asc"], ["all_nodata.asc", "no active cell"]),
    ("dem_missing", ["--dem", "no-such-dem.asc"], ["no-such-dem.asc"]),
    ("dem_directory", ["--dem", "."], ["is a directory"]),
    ("mask_wrong_size", ["--dem", GOOD_DEM, "--mask", "mask_wrong_size.asc"], ["mask_wrong_size.asc", "5x3", "DEM's grid"]),
    ("mask_wrong_cellsize", ["--dem", GOOD_DEM, "--mask", "mask_wrong_cellsize.asc"], ["mask_wrong_cellsize.asc", "cellsize 200", "DEM's grid"]),
    ("soil_code", ["--dem", GOOD_DEM, "--soil", "soil_code_13.asc"], ["soil_code_13.asc", "row 2, column 2", "soil code 13"]),
    ("landuse_fraction", ["--dem", GOOD_DEM, "--landuse", "landuse_fraction.asc"], ["landuse_fraction.asc", "land-use code 2.5"]),
    ("region_fraction", ["--dem", GOOD_DEM, "--regions", "landuse_fraction.asc"], ["landuse_fraction.asc", "region id 2.5"]),
    ("gauges_word", ["--dem", GOOD_DEM, "--gauges", "gauges_word.csv"], ["gauges_word.csv", "line 2", "x coordinate"]),
    ("gauges_outside", ["--dem", GOOD_DEM, "--gauges", "gauges_outside.csv"], ["gauges_outside.csv", "outside the grid"]),
]


def last_active(f):
    """(row, col) of the last active cell in row-major order: on the last rank at 2 ranks."""
    rows, cols = np.nonzero(f["mask"][...])
    return int(rows[-1]), int(cols[-1])


def set_cell(name, value):
    def damage(f):
        a = f[name][...]
        a[last_active(f)] = value
        f[name][...] = a
    return damage


def delete(name):
    def damage(f):
        del f[name]
    return damage


def replace(name, data):
    def damage(f):
        new = data(f)
        del f[name]
        f.create_dataset(name, data=new)
    return damage


def set_attr(path, attr, value):
    def damage(f):
        f[path].attrs[attr] = value
    return damage


def del_attr(attr):
    def damage(f):
        del f.attrs[attr]
    return damage


def all_inactive(f):
    f["mask"][...] = np.zeros_like(f["mask"][...])


# (case, damage to the mesh, substrings of the error); "{mesh}" is the damaged file's name.
MESH_CASES = [
    ("elevation_nan", set_cell("elevation", np.nan), ["/elevation", "NaN", "row"]),
    ("elevation_inf", set_cell("elevation", np.inf), ["/elevation", "inf"]),
    ("cell_area_negative", set_cell("cell_area", -1.0), ["/cell_area", "-1"]),
    ("slope_negative", set_cell("slope", -0.5), ["/slope", "-0.5"]),
    ("flow_direction_code", set_cell("flow_direction", 3), ["/flow_direction", "D8 code", "has 3"]),
    ("soil_zero", set_cell("soil", 0), ["/soil", "1-11", "has 0"]),
    ("landuse_twelve", set_cell("landuse", 12), ["/landuse", "1-7", "has 12"]),
    ("region_unknown", set_cell("region", 9), ["/region", "nregions", "has 9"]),
    ("mask_two", set_cell("mask", 2), ["/mask", "0 or 1", "has 2"]),
    ("flow_accumulation_nan", set_cell("flow_accumulation", np.nan), ["/flow_accumulation", "nan"]),
    ("no_active_cells", all_inactive, ["/mask", "no active cells"]),
    ("slope_missing", delete("slope"), ["/slope", "missing dataset"]),
    ("elevation_1d", replace("elevation", lambda f: f["elevation"][0, :]), ["/elevation", "2-D"]),
    ("elevation_small", replace("elevation", lambda f: f["elevation"][:-1, :]), ["/elevation", "smaller than the grid"]),
    ("nx_missing", del_attr("nx"), ["nx"]),
    ("gauge_outside", set_attr("gauges/outlet", "row", 100000), ["/gauges/outlet", "outside"]),
    ("gauges_missing", delete("gauges"), ["/gauges", "missing"]),
]

# Files that are not meshes at all: (case, how to make it from the good mesh's bytes, substrings)
FILE_CASES = [
    ("empty_file", lambda b: b"", ["not an HDF5 file"]),
    ("truncated_file", lambda b: b[: len(b) // 2], ["truncated_file.h5", "truncated or damaged"]),
    ("text_file", lambda b: b"{\"name\": \"not a mesh\"}\n", ["not an HDF5 file"]),
]


def run(a, name, cmd, substrs, outfile):
    rc = subprocess.run([sys.executable, os.path.join(HERE, "runcase.py"), "--np", str(a.np), "--mpiexec", a.mpiexec,
                         "--expect-error", "--timeout", "60", "--absent", outfile]
                        + sum((["--fail-substr", s] for s in substrs), []) + ["--"] + cmd,
                        cwd=a.cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ok = rc.returncode == 0
    print(("ok   " if ok else "FAIL ") + name)
    if not ok:
        print("     " + rc.stdout.replace("\n", "\n     "))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--np", type=int, required=True)
    ap.add_argument("--exe", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--good-mesh", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    a = ap.parse_args()
    work = os.path.abspath(os.path.join(a.workdir, "bad_inputs_np%d" % a.np))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    failures = 0
    tried = 0

    a.cwd = BAD
    out = os.path.join(work, "mesh_out.h5")
    for name, args, substrs in RASTER_CASES:
        tried += 1
        failures += not run(a, "raster " + name, [a.exe, "mesh", "build"] + args + ["-o", out], substrs, out)

    a.cwd = work
    result = os.path.join(work, "result.h5")
    good = open(a.good_mesh, "rb").read()
    for name, damage, substrs in MESH_CASES:
        mesh = os.path.join(work, name + ".h5")
        shutil.copyfile(a.good_mesh, mesh)
        with h5py.File(mesh, "r+") as f:
            damage(f)
        tried += 1
        failures += not run(a, "mesh " + name, [a.exe, "run", a.scenario, "--mesh", mesh, "-o", result],
                            [os.path.basename(mesh)] + substrs, result)
    for name, make, substrs in FILE_CASES:
        mesh = os.path.join(work, name + ".h5")
        with open(mesh, "wb") as fp:
            fp.write(make(good))
        tried += 1
        failures += not run(a, "mesh " + name, [a.exe, "run", a.scenario, "--mesh", mesh, "-o", result], substrs, result)

    # A good raster with a UTF-8 byte-order mark builds (Windows editors write one).
    tried += 1
    rc = subprocess.run([a.exe, "mesh", "build", "--dem", os.path.join(RASTERS, "good_bom.asc"), "-o", out],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ok = rc.returncode == 0 and os.path.exists(out)
    print(("ok   " if ok else "FAIL ") + "raster with a byte-order mark builds")
    failures += not ok

    print("%d bad inputs tried at %d rank(s), %d failure(s)" % (tried, a.np, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
