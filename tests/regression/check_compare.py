#!/usr/bin/python3
"""`shuibao compare BASE R2 STORM` in md, csv and json against numbers known independently.

BASE is the assessment of the 2 km basin, R2 the same with twice the rainfall erosivity and targets
30 % (2025) and 40 % (2035), STORM a 24 h storm run without an assessment. Known answers:
- CSLE soil loss is linear in R, so every soil loss and sediment export of R2 is +100 % of BASE;
- every conservation rate, target, soil loss and export equals the attribute in the file (h5py);
- "met" is rate >= target and the margin is 100 (rate - target) percentage points;
- STORM has no assessment and BASE no flow: its gauge and budget changes are n/a (empty in CSV,
  null in JSON), not +0 %.

With --sediment: `shuibao compare BASE DAMS` of two time-loop runs with sediment (BASE a 6 h storm,
DAMS the same with check dams on the ankang and baihe gauge cells): the section sediment_run in md,
csv and json against /budget/sediment and /series/<gauge>/sediment read with h5py (yield in t =
outflow_<gauge> / 1000, peak sediment discharge, reservoir inflow, trapped, release, trap
efficiency, basin detachment, deposition, outflow), the change against the first file
100 (b - a) / |a|; and what the dams must do: trap sediment (check_dam_trapped > 0) and lower the
yield through the dammed gauges.

usage: check_compare.py SHUIBAO BASE.h5 R2.h5 STORM.h5
       check_compare.py SHUIBAO --sediment BASE.h5 DAMS.h5
"""
import csv
import io
import json
import subprocess
import sys

import h5py

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += not ok


def near(a, b, rtol=1e-9):
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)


def run(fmt, files=None):
    p = subprocess.run([exe, "compare"] + (files or [base, r2, storm]) + ["--format", fmt], capture_output=True, text=True)
    check(p.returncode == 0 and p.stderr == "", f"compare --format {fmt} exits 0 without messages ({p.stderr.strip()[:200]})")
    return p.stdout


SED_TERMS = (("reservoir", "inflow", "reservoir_inflow", "t"), ("reservoir", "trapped", "reservoir_trapped", "t"),
             ("reservoir", "release", "reservoir_release", "t"), ("reservoir", "trap_efficiency", "reservoir_trap_efficiency", "1"),
             ("basin", "detachment", "detachment", "t"), ("basin", "deposition", "deposition", "t"), ("basin", "outflow", "outflow", "t"))


def sediment_of(path):
    """{(item, quantity): (value, unit)} of a sediment run, read with h5py."""
    out = {}
    with h5py.File(path, "r") as f:
        b = f["budget/sediment"].attrs
        for item, q, attr, unit in SED_TERMS:
            out[(item, q)] = (float(b[attr]) / (1000.0 if unit == "t" else 1.0), unit)
        for g, grp in f["series"].items():
            if isinstance(grp, h5py.Group):
                out[(g, "sediment_yield")] = (float(b["outflow_" + g]) / 1000.0, "t")
                out[(g, "peak_sediment_discharge")] = (float(grp["sediment"][()].max()), "kg s-1")
        dams = float(b["check_dam_trapped"])
    return out, dams


def check_sediment(base, dams):
    S = [sediment_of(base)[0], sediment_of(dams)[0]]
    trapped = sediment_of(dams)[1]
    files = [base, dams]
    check(len(S[0]) == len(SED_TERMS) + 2 * 3, f"the base file has the reservoir, basin and 3 gauges ({len(S[0])} quantities)")

    def change(k, key):
        a, b = S[0][key][0], S[k][key][0]
        return None if a == 0 else 100.0 * (b - a) / abs(a)

    # CSV
    rows = list(csv.DictReader(io.StringIO(run("csv", files))))
    by = {(r["file"], r["section"], r["item"], r["quantity"]): r for r in rows}
    for k, path in enumerate(files):
        n = sum(1 for key in by if key[0] == path and key[1] == "sediment_run" and key[3] != "relative_error")
        check(n == len(S[k]), f"CSV {path}: {n} sediment_run quantities (want {len(S[k])})")
        for key, (v, unit) in S[k].items():
            r = by.get((path, "sediment_run", key[0], key[1]))
            c = change(k, key)
            ok = (r is not None and near(float(r["value"]), v, 1e-15) and r["unit"] == unit
                  and (r["change_vs_first_pct"] == "" if c is None else near(float(r["change_vs_first_pct"]), c, 1e-5) or abs(c) < 1e-9 and float(r["change_vs_first_pct"]) == 0))
            check(ok, f"CSV {path} {key[0]} {key[1]} = {v:.9e} {unit}, change {c if c is None else f'{c:+.4f} %'} (got {r and r['value']}, {r and r['change_vs_first_pct']!r})")
    # JSON
    doc = json.loads(run("json", files))
    for k, path in enumerate(files):
        sec = doc[k]["sections"].get("sediment_run", {})
        for key, (v, unit) in S[k].items():
            o = sec.get(key[0], {})
            c = change(k, key)
            got, gotc = o.get(key[1]), o.get(key[1] + "_change_pct", "missing")
            ok = got is not None and near(got, v, 1e-15) and (gotc is None if c is None else gotc is not None and gotc != "missing" and abs(gotc - c) <= 1e-9 * max(1.0, abs(c)))
            check(ok, f"JSON {path} {key[0]} {key[1]} = {v:.9e}, change {c} (got {got}, {gotc})")
        check("relative_error" in sec.get("basin", {}), f"JSON {path}: the sediment budget's relative error")
    # Markdown
    md = run("md", files)
    gauges = {key[0] for key in S[0] if key[1] == "sediment_yield"}
    for k, path in enumerate(files):
        for key, (v, unit) in S[k].items():
            c = change(k, key)
            line = f"| {'gauge ' if key[0] in gauges else ''}{key[0]} | {key[1]} | {v:.6e} | {unit} | {'n/a' if c is None else f'{c:+.2f}%'} |"
            check(line in md, f"Markdown {path}: {line!r}")
    # What the dams do
    check(trapped > 0, f"the dams trap sediment: check_dam_trapped {trapped:.6e} kg")
    for g in ("ankang", "baihe"):
        a, b = S[0][(g, "sediment_yield")][0], S[1][(g, "sediment_yield")][0]
        check(b < a, f"the dam on the {g} gauge cell lowers its yield: {a:.6e} t -> {b:.6e} t")


exe = sys.argv[1]
if sys.argv[2] == "--sediment":
    check_sediment(sys.argv[3], sys.argv[4])
    print(f"{failures} failure(s)")
    sys.exit(1 if failures else 0)
base, r2, storm = sys.argv[2:5]

def areas(path):
    with h5py.File(path, "r") as f:
        out = {"basin": dict(f["summary/basin"].attrs)}
        for name, g in f["summary/regions"].items():
            out[name] = dict(g.attrs)
        gauges = {name: g.attrs["sediment_export_t_a"] for name, g in f["summary/gauges"].items()}
        reservoir = f["summary/basin"].attrs["sediment_to_reservoir_t_a"]
    return out, gauges, reservoir


A1, G1, RES1 = areas(base)
A2, G2, RES2 = areas(r2)
check(len(A1) >= 2, f"the base file has the basin and regions ({sorted(A1)})")

# ---- CSV: one quantity per line ----
rows = list(csv.DictReader(io.StringIO(run("csv"))))
check(rows and list(rows[0].keys()) == ["file", "scenario", "section", "item", "quantity", "value", "unit", "change_vs_first_pct"], "CSV header")
by = {(r["file"], r["section"], r["item"], r["quantity"]): r for r in rows}
for path, A, G, RES in ((base, A1, G1, RES1), (r2, A2, G2, RES2)):
    for name, at in A.items():
        r = by.get((path, "conservation", name, "conservation_rate"))
        check(r is not None and near(float(r["value"]), at["conservation_rate"]), f"CSV {path} {name} conservation_rate = {at['conservation_rate']:.6f}")
        for y in ("2025", "2035"):
            t = at["target_" + y]
            met = by.get((path, "conservation", name, "met_" + y))
            margin = by.get((path, "conservation", name, f"margin_{y}_points"))
            check(met is not None and float(met["value"]) == (1.0 if at["conservation_rate"] >= t else 0.0), f"CSV {path} {name} met_{y} (rate {at['conservation_rate']:.4f} vs target {t})")
            check(margin is not None and near(float(margin["value"]), 100 * (at["conservation_rate"] - t)), f"CSV {path} {name} margin_{y}")
        s = by.get((path, "conservation", name, "soil_loss"))
        check(s is not None and near(float(s["value"]), at["soil_loss"], 1e-8), f"CSV {path} {name} soil_loss")
for name in A1:
    s = by[(r2, "conservation", name, "soil_loss")]
    check(near(float(s["change_vs_first_pct"]), 100.0, 1e-6), f"CSV R2 {name} soil loss +100 % (got {s['change_vs_first_pct']})")
for name in G1:
    s = by.get((r2, "sediment", name, "sediment_export"))
    check(s is not None and near(float(s["change_vs_first_pct"]), 100.0, 1e-6), f"CSV R2 gauge {name} sediment +100 %")
s = by.get((r2, "sediment", "reservoir", "sediment_export"))
check(s is not None and near(float(s["value"]), RES2, 1e-8) and near(float(s["change_vs_first_pct"]), 100.0, 1e-6), "CSV R2 sediment into the reservoir, +100 %")
with h5py.File(storm, "r") as f:
    peak = float(f["series/outlet/discharge"][()].max())
    rain = float(f["budget/water"].attrs["rain"])
r = by.get((storm, "gauges", "outlet", "peak_discharge"))
check(r is not None and near(float(r["value"]), peak, 1e-8) and r["change_vs_first_pct"] == "", "CSV storm outlet peak discharge, change n/a")
r = by.get((storm, "water_budget", "basin", "rain"))
check(r is not None and near(float(r["value"]), rain, 1e-8) and r["change_vs_first_pct"] == "", "CSV storm rain volume, change n/a")
check(not any(k[0] == storm and k[1] == "conservation" for k in by), "CSV: no conservation rows for a run without assessment")

# ---- JSON ----
doc = json.loads(run("json"))
check(isinstance(doc, list) and len(doc) == 3, "JSON: one object per file")
b = doc[1]["sections"]["conservation"]["basin"]
check(near(b["conservation_rate"], A2["basin"]["conservation_rate"]) and b["met_2025"] == (A2["basin"]["conservation_rate"] >= 0.30), "JSON R2 basin rate and met_2025")
check(near(b["soil_loss_change_pct"], 100.0, 1e-6), "JSON R2 basin soil loss +100 %")
o = doc[2]["sections"]["gauges"]["outlet"]
check(near(o["peak_discharge"], peak, 1e-8) and o["peak_discharge_change_pct"] is None, "JSON storm outlet peak, change null")

# ---- Markdown ----
md = run("md")
rate = A1["basin"]["conservation_rate"]
line = f"| basin | {100 * rate:.1f}% |"
check(line in md, f"Markdown has the basin row {line!r}")
check(("not met" if rate < 0.73 else "met") in md and "+100.00%" in md and "| n/a |" in md, "Markdown: targets met/not met, +100.00 % and n/a")

print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
