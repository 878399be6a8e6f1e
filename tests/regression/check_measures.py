#!/usr/bin/python3
"""Treatment measures (docs/measures.md) on the 2 km default basin.

usage: check_measures.py MODE SHUIBAO MESH WORKDIR [MPIEXEC]

MODE
  areas      measures of every kind of request (km2, fraction, dams; regions, land use, slope range,
             a mask raster; each priority) at 1, 2 and 4 ranks: the area treated matches the request
             to within half a cell, per-region areas add up to the basin's, the cells of /maps/measure
             add up to the treated area, and the cells chosen are the same at every rank count.
  exhausted  a request larger than the eligible area: every eligible cell treated, exhausted = 1 in
             /measures/<name> and a WARNING line in the run log; a satisfiable one has exhausted = 0.
  hand       CSLE soil loss by hand: on cells of level terraces (E set to 0.084 from 1), soil loss is
             0.084 of the untreated run's; conservation tillage (T multiplied by 0.6) gives 0.6;
             enclosure on forest (B multiplied by 0.5) 0.5; untreated cells are unchanged. A = R K L S
             B E T (Liu, Zhang & Xie 2002) is linear in each factor, so the ratio is the factor's.
  bad        bad libraries and measures lists: one line naming the file and the key, no output.
"""
import json
import os
import subprocess
import sys

import h5py
import numpy as np

MODE, EXE, MESH, WORK = sys.argv[1:5]
MPIEXEC = sys.argv[5] if len(sys.argv) > 5 else "mpiexec"
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = os.path.join(SRC, "scenarios", "assessment.json")
LIBRARY = os.path.join(SRC, "scenarios", "measures.json")
os.makedirs(WORK, exist_ok=True)
fails = 0


def check(ok, what):
    global fails
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        fails += 1


def scenario(name, measures, **extra):
    path = os.path.join(WORK, name + ".json")
    d = {"extends": BASE, "name": name, "measures": measures, "output": {"file": name + ".h5"}}
    d.update(extra)
    with open(path, "w") as fp:
        json.dump(d, fp, indent=1)
    return path


def run(path, out, np_=1, expect_error=False):
    cmd = [EXE, "run", path, "--mesh", MESH, "-o", out, "--quiet"]
    if np_ > 1:
        cmd = [MPIEXEC, "--oversubscribe", "-n", str(np_)] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if not expect_error and p.returncode != 0:
        print(p.stdout, p.stderr)
        raise SystemExit(f"run failed: {' '.join(cmd)}")
    return p


def items(path):
    with h5py.File(path, "r") as f:
        out = {}
        for name, g in f["measures"].items():
            d = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in g.attrs.items()}
            d["area_km2"] = g["area_km2"][()]
            out[name] = d
        return out, f["maps/measure"][()], f["maps/soil_loss"][()]


with h5py.File(MESH, "r") as m:
    mask, area, region, landuse = m["mask"][()], m["cell_area"][()] / 1e6, m["region"][()], m["landuse"][()]
    ny, nx = mask.shape
    rid = {name: int(g.attrs["id"]) for name, g in m["regions"].items()}
cell_max = area[mask == 1].max()

if MODE == "areas":
    # a mask raster on the mesh's grid: the northern half of the grid
    with h5py.File(MESH, "r") as m:
        xll, yll, cs = float(m["x"][0]), float(m["y"][-1]), float(m["x"][1] - m["x"][0])
    xll, yll = xll - cs / 2, yll - cs / 2
    mask_path = os.path.join(WORK, "north.asc")
    with open(mask_path, "w") as fp:
        fp.write(f"ncols {nx}\nnrows {ny}\nxllcorner {xll!r}\nyllcorner {yll!r}\ncellsize {cs!r}\nNODATA_value -9999\n")
        for r in range(ny):
            fp.write(" ".join("1" if r < ny // 2 else "0" for _ in range(nx)) + "\n")
    ms = [
        {"name": "terraces", "measure": "level_terrace", "amount": {"area_km2": 1001}, "priority": "soil_loss"},
        {"name": "steep_forest", "measure": "enclosure", "where": {"landuse": ["forest"], "slope_deg": [10, 40]}, "amount": {"area_km2": 5003}, "priority": "slope"},
        {"name": "near_channels", "measure": "enclosure", "where": {"regions": ["middle", "upper"], "landuse": ["shrub_grass"]}, "amount": {"fraction": 0.37}, "priority": "channel"},
        {"name": "north_tillage", "measure": "conservation_tillage", "where": {"mask": "north.asc"}, "amount": {"fraction": 0.5}},
        {"name": "dams", "measure": "check_dam", "amount": {"dams": 77}},
        {"name": "clean", "measure": "eco_clean_watershed", "where": {"regions": ["lower"]}, "amount": {"area_km2": 2222}, "priority": "channel"},
    ]
    path = scenario("areas", ms)
    maps = {}
    for n in (1, 2, 4):
        out = os.path.join(WORK, f"areas_np{n}.h5")
        run(path, out, n)
        it, mp, _ = items(out)
        maps[n] = (it, mp)
        for name, d in it.items():
            tol = 0.5 if d["amount_unit"] == "dams" else 0.5 * cell_max
            check(abs(d["treated"] - d["requested"]) <= tol + 1e-9 and d["exhausted"] == 0, f"np{n} {name}: treated {d['treated']:.3f} of {d['requested']:.3f} {d['amount_unit']} (within {tol:g})")
            check(abs(d["area_km2"][1:].sum() - d["area_km2"][0]) <= 1e-9 * max(1, d["area_km2"][0]), f"np{n} {name}: regions add up to the basin ({d['area_km2'][0]:.3f} km2)")
            cells = mp == d["index"]
            check(abs(area[cells].sum() - d["treated_km2"]) <= 1e-9 * max(1, d["treated_km2"]), f"np{n} {name}: /maps/measure cells hold {area[cells].sum():.3f} km2")
        # where: regions, land use, slope, mask
        check(set(np.unique(landuse[mp == it["steep_forest"]["index"]])) == {1}, f"np{n} steep_forest only on forest")
        check(set(np.unique(region[mp == it["near_channels"]["index"]])) <= {rid["middle"], rid["upper"]}, f"np{n} near_channels only in middle and upper")
        check(not (mp[ny // 2:, :] == it["north_tillage"]["index"]).any(), f"np{n} north_tillage only in the mask")
        check(set(np.unique(region[mp == it["clean"]["index"]])) == {rid["lower"]}, f"np{n} clean only in lower")
    for n in (2, 4):
        check(np.array_equal(maps[1][1], maps[n][1]), f"the same cells at 1 and {n} ranks")

elif MODE == "exhausted":
    ms = [
        {"name": "too_much", "measure": "cropland_to_forest", "amount": {"area_km2": 50000}},
        {"name": "enough", "measure": "level_terrace", "amount": {"area_km2": 100}},
    ]
    out = os.path.join(WORK, "exhausted.h5")
    p = run(scenario("exhausted", ms), out, 2)
    it, mp, _ = items(out)
    d = it["too_much"]
    check(d["exhausted"] == 1 and d["treated"] == d["eligible"] and d["treated"] < d["requested"], f"too_much: exhausted = 1, treated = eligible = {d['treated']:.1f} km2 < 50000")
    check("WARNING: measure too_much" in p.stdout and "ran out" in p.stdout, "the run log warns that the eligible area ran out")
    check(it["enough"]["exhausted"] == 0, "enough: exhausted = 0")

elif MODE == "hand":
    ms = [
        {"name": "terraces", "measure": "level_terrace", "amount": {"fraction": 0.5}},
        {"name": "tillage", "measure": "conservation_tillage", "amount": {"fraction": 0.5}},
        {"name": "enclosure", "measure": "enclosure", "where": {"landuse": ["forest"]}, "amount": {"area_km2": 3000}},
    ]
    base, out = os.path.join(WORK, "hand_base.h5"), os.path.join(WORK, "hand.h5")
    run(BASE, base)
    run(scenario("hand", ms), out, 2)
    it, mp, A = items(out)
    with h5py.File(base, "r") as f:
        A0 = f["maps/soil_loss"][()]
    for name, factor in (("terraces", 0.084), ("tillage", 0.6), ("enclosure", 0.5)):
        c = (mp == it[name]["index"]) & (A0 > 0)
        ratio = A[c] / A0[c]
        check(c.sum() > 0 and np.allclose(ratio, factor, rtol=1e-12, atol=0), f"{name}: soil loss / untreated = {ratio.min():.15g} .. {ratio.max():.15g} on {c.sum()} cells, expected {factor}")
        avoided = ((A0 - A)[mp == it[name]["index"]] * area[mp == it[name]["index"]]).sum()
        check(abs(avoided - it[name]["soil_loss_avoided_t_a_total"]) <= 1e-9 * avoided, f"{name}: soil loss avoided {avoided:.6g} t/a as reported")
    check(np.array_equal(A[(mp == 0)], A0[(mp == 0)]), "untreated cells unchanged")

elif MODE == "bad":
    lib = json.load(open(LIBRARY))

    def bad_library(tag, edit, expect):
        d = json.loads(json.dumps(lib))
        edit(d)
        lp = os.path.join(WORK, f"lib_{tag}.json")
        json.dump(d, open(lp, "w"))
        path = scenario(f"bad_{tag}", [{"name": "t", "measure": "level_terrace", "amount": {"area_km2": 10}}], measures_library=f"lib_{tag}.json")
        bad_run(path, tag, expect)

    def bad_run(path, tag, expect):
        out = os.path.join(WORK, f"bad_{tag}.h5")
        p = run(path, out, 2, expect_error=True)
        lines = [l for l in p.stderr.splitlines() if l.startswith("shuibao")]  # mpiexec adds its own notice
        ok = p.returncode != 0 and len(lines) == 1 and all(e in lines[0] for e in expect) and not os.path.exists(out) and not os.path.exists(out + ".partial")
        check(ok, f"{tag}: {lines[0] if lines else '(no message)'}")

    bad_library("unknown_key", lambda d: d["measures"]["level_terrace"].update(csle_x={"value": 1}), ["lib_unknown_key.json: measures.level_terrace: unknown key \"csle_x\""])
    bad_library("no_citation", lambda d: d["measures"]["level_terrace"]["csle_e"].pop("citation"), ["lib_no_citation.json: measures.level_terrace.csle_e.citation: missing"])
    bad_library("out_of_range", lambda d: d["measures"]["level_terrace"]["csle_e"].update(value=1.5), ["lib_out_of_range.json: measures.level_terrace.csle_e.value: expected a number in [0, 1]", "got 1.5"])
    bad_library("wrong_unit", lambda d: d["measures"]["level_terrace"]["cost"].update(unit="yuan/mu"), ["measures.level_terrace.cost.unit: expected \"yuan/hm2\", got \"yuan/mu\""])
    bad_library("no_cost", lambda d: d["measures"]["level_terrace"].pop("cost"), ["measures.level_terrace: missing \"cost\""])
    bad_library("component", lambda d: d["measures"]["eco_clean_watershed"]["components"].update(paddy="no_such"), ["measures.eco_clean_watershed.components.paddy: expected the name of an area measure"])
    cases = [
        ("unknown_measure", [{"name": "t", "measure": "terraces", "amount": {"area_km2": 1}}], ["bad_unknown_measure.json: measures[0].measure: expected a measure of the library"]),
        ("slope", [{"name": "t", "measure": "level_terrace", "where": {"slope_deg": "steep"}, "amount": {"area_km2": 1}}], ["measures[0].where.slope_deg: expected [min, max] in degrees", "got \"steep\""]),
        ("region", [{"name": "t", "measure": "level_terrace", "where": {"regions": ["nowhere"]}, "amount": {"area_km2": 1}}], ["measures[0].where.regions[0]: expected a region of the mesh", "\"nowhere\""]),
        ("two_amounts", [{"name": "t", "measure": "level_terrace", "amount": {"area_km2": 1, "fraction": 0.5}}], ["measures[0].amount: expected exactly one of area_km2, fraction, dams, got 2"]),
        ("dams_on_area", [{"name": "t", "measure": "level_terrace", "amount": {"dams": 3}}], ["measures[0].amount.dams: expected area_km2 or fraction"]),
        ("typo", [{"name": "t", "measure": "level_terrace", "amount": {"area_km2": 1}, "priorty": "slope"}], ["measures[0]: unknown key \"priorty\""]),
        ("priority", [{"name": "t", "measure": "level_terrace", "amount": {"area_km2": 1}, "priority": "cheapest"}], ["measures[0].priority: expected one of \"soil_loss\", \"slope\", \"channel\", \"sediment\""]),
        ("duplicate", [{"name": "t", "measure": "level_terrace", "amount": {"area_km2": 1}}, {"name": "t", "measure": "enclosure", "amount": {"area_km2": 1}}], ["measures[1].name: expected a name not used before"]),
        ("mask", [{"name": "t", "measure": "level_terrace", "where": {"mask": "no_such.asc"}, "amount": {"area_km2": 1}}], ["bad_mask.json: measures[0].where.mask: cannot read", "no_such.asc"]),
    ]
    for tag, ms, expect in cases:
        bad_run(scenario(f"bad_{tag}", ms), tag, expect)
    bad_run(scenario("bad_target", [], targets={"2025": {"nowhere": 0.7}}), "target", ["bad_target.json: targets.2025.nowhere: unknown area"])
    bad_run(scenario("bad_library_missing", [{"name": "t", "measure": "level_terrace", "amount": {"area_km2": 1}}], measures_library="no_library.json"), "library_missing", ["measures_library: cannot read the measures library", "no_library.json"])
else:
    raise SystemExit(f"unknown mode {MODE}")

print(f"{fails} failures")
sys.exit(1 if fails else 0)
