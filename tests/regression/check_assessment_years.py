#!/usr/bin/python3
"""The assessment of every simulated year of a run (docs/assessment.md, "Runs of several years").

usage: check_assessment_years.py SHUIBAO MPIEXEC WORKDIR NP

On the small basin of assessment_years/minibasin.py, at NP ranks:
1. A simulation of about 26 months of generated weather (assessment_years/scenario.json, from
   1 December 2019), with a checkpoint in the middle of 2021:
   - the years assessed are the complete calendar years 2020 (366 days) and 2021, no others;
   - the written daily rain is the run's rain: its sum times the basin area is the water budget's
     rain (1e-12);
   - each year's R is the daily model of Zhang, Xie & Liu (2002, 地理科学 22(6):705-711) recomputed
     here from that year's written days alone (1e-12): β = 0.8363 + 18.144/Pd12 + 24.455/Py12,
     α = 21.586 β^-7.1891, R = α Σ P^β over the days with P ≥ 12 mm;
   - each year's statistics (class areas, conservation rate, soil loss, sediment to the gauges and
     the reservoir) equal those of an assessment-mode run with that year's R given as
     r_mj_mm_ha_h_a (1e-12);
   - /summary is the documented mean: R the mean of the years' R, soil loss and sediment the means
     of the years', and the whole of it equals an assessment-mode run with the mean R (1e-12);
     conservation_rate_mean_of_years is the mean of the years' rates;
   - a restart from the mid-year checkpoint on another rank count gives the same /assessment and
     /summary (1e-12);
   - at 2 and 4 ranks, the same /assessment and /summary as at 1 rank (1e-12).
2. Assessment mode (no time loop) on a uniform rain series built here, starting at 06:00 so that
   calendar days do not begin at the scenario start: the daily rain per calendar day and each
   year's R equal a plain recomputation from the series (1e-12); a run of 600 days without a
   complete calendar year gives R of all its 24-hour days taken as round(600/365.25) = 2 years.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import time

import h5py
import numpy as np

exe, mpiexec, workdir, np_ = sys.argv[1:5]
here = os.path.dirname(os.path.abspath(__file__))
case = os.path.join(here, "assessment_years")
work = os.path.abspath(os.path.join(workdir, "assessment_years_np" + np_))
np1_result = os.path.abspath(os.path.join(workdir, "assessment_years_np1", "run.h5"))
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = 0
RTOL = 1e-12


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    failures += not ok


def close(a, b, rtol=RTOL, atol=0.0):
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def runcase(np_run, args, timeout=300):
    cmd = [sys.executable, os.path.join(here, "runcase.py"), "--mpiexec", mpiexec, "--timeout", str(timeout)]
    if np_run:
        cmd += ["--np", str(np_run)]
    cmd += ["--", exe] + args
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode:
        print(p.stdout)
    return p.returncode == 0


def zhang(P, years=1.0, threshold=12.0):
    """Zhang, Xie & Liu (2002) daily model: annual R from daily totals covering `years` years."""
    e = [p for p in P if p >= threshold]
    if not e:
        return 0.0
    pd12 = sum(e) / len(e)
    py12 = sum(e) / years
    beta = 0.8363 + 18.144 / pd12 + 24.455 / py12
    alpha = 21.586 * beta ** -7.1891
    return alpha * sum(p ** beta for p in e) / years


def stats_of(g):
    names = ["conservation_rate", "soil_loss", "mean_soil_loss_t_km2_a", "area_km2"]
    names += [k for k in g.attrs if k.startswith("area_class_")]
    return {k: float(g.attrs[k]) for k in names}


def same_stats(a, b, what, area):
    for k in a:
        atol = 1e-12 * area if k.startswith("area") else 0.0
        if not close(a[k], b[k], atol=atol):
            check(False, f"{what}: {k} {a[k]!r} vs {b[k]!r}")
            return False
    return True


def compare_trees(fa, fb, groups, what):
    """Every attribute and dataset under groups equal to 1e-12 (strings exactly)."""
    bad = []

    def walk(name, obj):
        other = fb.get(obj.name)
        if other is None:
            bad.append(f"{obj.name} missing")
            return
        for k, v in obj.attrs.items():
            w = other.attrs.get(k)
            if isinstance(v, (bytes, str)):
                if v != w:
                    bad.append(f"{obj.name}@{k}")
            elif not np.allclose(v, w, rtol=RTOL, atol=0):
                bad.append(f"{obj.name}@{k}: {v} vs {w}")
        if isinstance(obj, h5py.Dataset) and not np.allclose(obj[()], other[()], rtol=RTOL, atol=0):
            bad.append(f"{obj.name} values")

    for g in groups:
        walk(g, fa[g])
        fa[g].visititems(walk)
    check(not bad, what + ("" if not bad else ": " + "; ".join(bad[:5])))


# ---- the basin --------------------------------------------------------------------------------
subprocess.run([sys.executable, os.path.join(case, "minibasin.py"), os.path.join(work, "rasters")], check=True)
mesh = os.path.join(work, "mini.h5")
r = os.path.join(work, "rasters")
check(runcase(0, ["mesh", "build", "--dem", f"{r}/dem.asc", "--landuse", f"{r}/landuse.asc", "--soil", f"{r}/soil.asc", "--regions", f"{r}/regions.asc", "--gauges", f"{r}/gauges.csv", "--channel-threshold", "2", "-o", mesh]), "the small basin builds")
with h5py.File(mesh, "r") as f:
    area_m2 = float(np.sum(f["cell_area"][()] * (f["mask"][()] != 0)))
area_km2 = area_m2 * 1e-6

# ---- 1. the simulation of several years ---------------------------------------------------------
scenario = os.path.join(case, "scenario.json")
out = os.path.join(work, "run.h5")
t0 = time.time()
ok = runcase(int(np_), ["run", scenario, "--mesh", mesh, "-o", out, "--quiet", "--checkpoint-every", "12000h", "-malloc_debug", "-malloc_dump", "-options_left"])
check(ok, f"the run of 26 months at {np_} ranks ({time.time() - t0:.1f} s wall, machine shared)")
if not ok:
    sys.exit(1)

with h5py.File(out, "r") as f:
    A = f["assessment"]
    years = sorted(A["years"].keys())
    check(years == ["2020", "2021"] and int(A.attrs["years"]) == 2 and int(A.attrs["first_year"]) == 2020, f"complete calendar years 2020 and 2021 assessed, got {years}")
    daily = A["daily_rain_mm"][()]
    first = int(A["daily_rain_mm"].attrs["first_year_index"])
    check(A["daily_rain_mm"].attrs["first_day"].decode() == "2019-12-01" and first == 31 and len(daily) == 792, f"daily rain from 2019-12-01, 792 days, 2020 from index 31 (got {len(daily)}, {first})")
    rain_m3 = float(f["budget/water"].attrs["rain"])
    check(close(daily.sum() * 1e-3 * area_m2, rain_m3, 1e-12), f"daily rain sums to the budget's rain: {daily.sum() * 1e-3 * area_m2:.15e} vs {rain_m3:.15e} m3")
    R, per_year, gauges, reservoir = {}, {}, {}, {}
    start = first
    for y in years:
        G = A["years"][y]
        n = int(G.attrs["days"])
        check(n == (366 if y == "2020" else 365), f"{y}: {n} days")
        P = daily[start:start + n]
        start += n
        R[y] = float(G.attrs["rainfall_erosivity_mj_mm_ha_h_a"])
        ref = zhang(list(P))
        check(close(R[y], ref), f"{y}: R = {R[y]:.12f} = Zhang et al. (2002) on the year's written days {ref:.12f}")
        check(close(float(G.attrs["rain_mm"]), float(P.sum())), f"{y}: rain {float(G.attrs['rain_mm']):.1f} mm")
        per_year[y] = {"basin": stats_of(G["basin"])}
        per_year[y].update({k: stats_of(v) for k, v in G["regions"].items()})
        gauges[y] = {k: float(v.attrs["sediment_export_t_a"]) for k, v in G["gauges"].items()}
        reservoir[y] = float(G["basin"].attrs["sediment_to_reservoir_t_a"])
    S = f["summary"]
    top = {"basin": stats_of(S["basin"])}
    top.update({k: stats_of(v) for k, v in S["regions"].items()})
    top_R = float(S["basin"].attrs["rainfall_erosivity_mj_mm_ha_h_a"])
    top_gauges = {k: float(v.attrs["sediment_export_t_a"]) for k, v in S["gauges"].items()}
    top_reservoir = float(S["basin"].attrs["sediment_to_reservoir_t_a"])
    mean_rates = {k: float(S["basin" if k == "basin" else "regions/" + k].attrs["conservation_rate_mean_of_years"]) for k in top}

# /summary is the documented mean
mean = lambda xs: sum(xs) / len(xs)
check(close(top_R, mean(R.values())), f"/summary R {top_R:.6f} is the mean of the years' R")
for k in top:
    check(close(top[k]["soil_loss"], mean([per_year[y][k]["soil_loss"] for y in years]), 1e-12), f"/summary {k}: soil loss {top[k]['soil_loss']:.6e} t/a is the mean of the years'")
    check(close(mean_rates[k], mean([per_year[y][k]["conservation_rate"] for y in years])), f"/summary {k}: conservation_rate_mean_of_years {mean_rates[k]:.6f}")
for k in top_gauges:
    check(close(top_gauges[k], mean([gauges[y][k] for y in years])), f"/summary gauge {k}: sediment export the mean of the years'")
check(close(top_reservoir, mean([reservoir[y] for y in years])), "/summary sediment into water the mean of the years'")
check(per_year["2020"]["basin"]["conservation_rate"] != per_year["2021"]["basin"]["conservation_rate"] and R["2020"] != R["2021"], "the two years differ in R and in conservation rate")


# each year (and the mean) against an assessment-mode run with R given
def assess_with(name, Rgiven):
    path = os.path.join(work, name + ".json")
    with open(path, "w") as fp:
        json.dump({"extends": scenario, "name": name, "mode": "assessment", "assessment": {"rain": {"r_mj_mm_ha_h_a": Rgiven}}}, fp)
    o = os.path.join(work, name + ".h5")
    check(runcase(int(np_), ["run", path, "--mesh", mesh, "-o", o, "--quiet"]), f"assessment mode with R = {Rgiven!r}")
    with h5py.File(o, "r") as f:
        s = {"basin": stats_of(f["summary/basin"])}
        s.update({k: stats_of(v) for k, v in f["summary/regions"].items()})
        g = {k: float(v.attrs["sediment_export_t_a"]) for k, v in f["summary/gauges"].items()}
        return s, g, float(f["summary/basin"].attrs["sediment_to_reservoir_t_a"]), float(f["summary/basin"].attrs["rainfall_erosivity_mj_mm_ha_h_a"])


for y in years:
    s, g, res, Rg = assess_with("given_" + y, R[y])
    ok = Rg == R[y]
    for k in s:
        ok = same_stats(per_year[y][k], s[k], f"{y} {k}", area_km2) and ok
    ok = all(close(gauges[y][k], g[k]) for k in g) and close(reservoir[y], res) and ok
    check(ok, f"{y}: class areas, conservation rate ({per_year[y]['basin']['conservation_rate']:.6f}), soil loss, sediment equal the assessment with R = {R[y]:.3f} given")
s, g, res, Rg = assess_with("given_mean", top_R)
ok = True
for k in s:
    ok = same_stats(top[k], s[k], f"/summary {k}", area_km2) and ok
ok = all(close(top_gauges[k], g[k]) for k in g) and close(top_reservoir, res) and ok
check(ok, f"/summary equals the assessment with the mean R = {top_R:.3f} given (conservation rate {top['basin']['conservation_rate']:.6f})")

# restart from the checkpoint in the middle of 2021 on another rank count
np_restart = {"1": 2, "2": 1, "4": 2}.get(np_, 1)
ck = os.path.join(work, "run.ckpt.h5")
with h5py.File(ck, "r") as f:
    t_ck = float(f["run/time_s"][()][0]) if "run/time_s" in f else float("nan")
rs = os.path.join(work, "restarted.h5")
check(runcase(np_restart, ["run", scenario, "--mesh", mesh, "-o", rs, "--quiet", "--restart", ck, "-malloc_debug", "-malloc_dump", "-options_left"]), f"restart from the checkpoint at day {t_ck / 86400:.0f} (mid-2021) on {np_restart} ranks")
with h5py.File(out, "r") as fa, h5py.File(rs, "r") as fb:
    compare_trees(fa, fb, ["assessment", "summary"], f"restarted on {np_restart} ranks: /assessment and /summary equal the uninterrupted run's")

if np_ != "1":
    if os.path.exists(np1_result):
        with h5py.File(np1_result, "r") as fa, h5py.File(out, "r") as fb:
            compare_trees(fa, fb, ["assessment", "summary"], f"{np_} ranks: /assessment and /summary equal the 1-rank run's")
    else:
        check(False, f"the 1-rank result {np1_result} is missing (run the np1 test first)")

# ---- 2. assessment mode on a uniform series: calendar days and years recomputed here ------------
times, rates = [0.0], [0.0]
for k in range(1, 840):
    if (7 * k) % 5 in (0, 3):
        h0 = 24 * k + (k * 5) % 19  # ends before 24 (k + 1); some cross the calendar midnight at 24 k + 18
        dur = 1 + k % 5
        times += [float(h0), float(h0 + dur)]
        rates += [round(0.55 + ((13 * k) % 17) * 0.83, 2), 0.0]


def uniform_case(name, start, sod0_h, duration_h):
    path = os.path.join(work, name + ".json")
    with open(path, "w") as fp:
        json.dump({"extends": scenario, "name": name, "mode": "assessment", "time": {"start": start, "duration_h": duration_h},
                   "forcing": {"rain": {"type": "uniform", "time_h": times, "intensity_mm_h": rates}}}, fp)
    o = os.path.join(work, name + ".h5")
    check(runcase(int(np_), ["run", path, "--mesh", mesh, "-o", o, "--quiet"]), f"{name}: assessment mode runs")
    return o


def depth(t0_h, t1_h):
    """Rain (mm) of the piecewise-constant series between t0_h and t1_h (hours from the start)."""
    s = 0.0
    for i, t in enumerate(times):
        hi = times[i + 1] if i + 1 < len(times) else math.inf
        lo, up = max(t0_h, t), min(t1_h, hi)
        if up > lo:
            s += rates[i] * (up - lo)
    return s


# from 2020-11-15 06:00 for 800 days: calendar days start 18 h after the start; 2021 and 2022 complete
o = uniform_case("uniform_years", "2020-11-15T06:00:00", 6, 800 * 24)
T = 800 * 24
days = [depth(max(24 * i - 6, 0), min(24 * (i + 1) - 6, T)) for i in range(801)]
check(min(abs(d - 12) for d in days) > 1e-6, "no day of the series is within 1e-6 mm of the erosive threshold")
with h5py.File(o, "r") as f:
    A = f["assessment"]
    dd = A["daily_rain_mm"][()]
    check(len(dd) == 801 and np.allclose(dd, days, rtol=RTOL, atol=1e-12), f"daily rain per calendar day equals the recomputation ({len(dd)} days)")
    i2021 = (np.datetime64("2021-01-01") - np.datetime64("2020-11-15")).astype(int)
    i2022 = i2021 + 365
    check(sorted(A["years"].keys()) == ["2021", "2022"], "years 2021 and 2022")
    for y, i0 in (("2021", i2021), ("2022", i2022)):
        got = float(A["years"][y].attrs["rainfall_erosivity_mj_mm_ha_h_a"])
        ref = zhang(days[i0:i0 + 365])
        check(close(got, ref), f"uniform series {y}: R {got:.9f} = recomputed {ref:.9f}")

# 600 days from 2021-03-01: no complete calendar year, 24-hour days from the start as 2 years
o = uniform_case("uniform_no_year", "2021-03-01T00:00:00", 0, 600 * 24)
with h5py.File(o, "r") as f:
    got = float(f["summary/basin"].attrs["rainfall_erosivity_mj_mm_ha_h_a"])
    check("assessment" not in f, "no complete calendar year: no /assessment")
ref = zhang([depth(24 * i, 24 * (i + 1)) for i in range(600)], years=2.0)
check(close(got, ref), f"600 days without a complete calendar year: R {got:.9f} = recomputed as 2 years {ref:.9f}")

print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
