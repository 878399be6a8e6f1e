#!/usr/bin/python3
"""shuibao's benchmark suite (issue 9; not a test: `cmake --build build --target bench`, or run it).

For each cell size of the built-in default basin it builds the mesh (kept in WORK), then runs
  - the 24 h storm of tests/regression/storm (water only, and with three sediment classes) at each
    rank count, with PETSc's -log_view and -memory_view, and
  - the annual assessment (scenarios/assessment.json),
and prints one Markdown table per measure: per-kernel active-cell updates per second per core,
simulated hours per wall-clock second, bytes per active cell (peak resident memory of the ranks
over the active cells), output share of the run, parallel efficiency against one rank, and the
halo traffic per step (messages and bytes, from -log_view) next to the model of docs/scaling.md.

usage: bench.py --exe build/shuibao --work DIR [--sizes 2000,500,250,90] [--ranks 1,2]
                [--hours 24] [--scaling 1,2,4,8] [--out FILE.md]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
KERNELS = {  # -log_view events per kernel
    "routing": ["SbRoutingFlux", "SbRoutingCont", "SbReservoir"],
    "infiltration": ["SbInfiltration"],
    "vertical (interception, soil water, groundwater)": ["SbInterception", "SbSoilWater", "SbGroundwater"],
    "sediment (3 classes)": ["SbSedTransport", "SbSedExchange"],
}


def sh(cmd, log):
    t0 = time.time()
    r = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench: failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-2000:]}")
    with open(log, "w") as f:
        f.write(r.stdout)
    return time.time() - t0, r.stdout


def parse(text):
    """Events (count, max time, messages, average length), stage times, steps, cells, memory."""
    ev, stages = {}, {}
    for line in text.splitlines():
        m = re.match(r"^(Sb\w+|VecScatterBegin|VecScatterEnd)\s+(\d+)\s+[\d.]+\s+([\d.e+-]+)\s+[\d.]+\s+[\d.e+-]+\s+[\d.]+\s+([\d.e+-]+)\s+([\d.e+-]+)\s+([\d.e+-]+)", line)
        if m:
            ev[m.group(1)] = dict(count=int(m.group(2)), time=float(m.group(3)), mess=float(m.group(4)), avglen=float(m.group(5)), reduct=float(m.group(6)))
        m = re.match(r"^\s*\d+:\s+(\w+): ([\d.e+-]+)", line)
        if m:
            stages[m.group(1)] = float(m.group(2))
    out = dict(events=ev, stages=stages)
    m = re.search(r"wrote .*?: (\d+) steps", text)
    out["steps"] = int(m.group(1)) if m else 0
    m = re.search(r"(\d+) active \(", text)
    out["active"] = int(m.group(1)) if m else 0
    m = re.search(r"Maximum \(over computational time\) process memory:\s+total ([\d.e+]+) max ([\d.e+]+)", text)
    out["mem_total"] = float(m.group(1)) if m else float("nan")
    return out


def run(args, np, scenario, mesh, out, log):
    cmd = [args.mpiexec, "--oversubscribe", "-n", str(np), args.exe, "run", scenario, "--mesh", mesh, "-o", out, "--quiet", "-log_view", "-memory_view"]
    wall, text = sh(cmd, log)
    r = parse(text)
    r["wall"] = wall
    return r


def kernel_rate(r, np, events):
    t = sum(r["events"].get(e, {}).get("time", 0.0) for e in events)
    return r["active"] * r["steps"] / (t * np) if t > 0 else float("nan"), t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exe", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--sizes", default="2000,500")
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--hours", type=float, default=24)
    ap.add_argument("--scaling", default="", help="rank counts for the halo-traffic check (oversubscribed), at the first size")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    storm = os.path.join(ROOT, "tests", "regression", "storm", "scenario.json")
    scen = {}
    for name, extra in (("water", {}), ("sediment", {"sediment": {"enabled": True}})):
        p = os.path.join(args.work, f"bench_{name}.json")
        with open(p, "w") as f:
            json.dump(dict({"extends": storm, "name": f"bench-{name}", "time": {"duration_h": args.hours}}, **extra), f)
        scen[name] = p
    lines = [f"Machine: {os.uname().nodename}, {os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.2f}; "
             f"storm of {args.hours:g} h (tests/regression/storm); `{' '.join(sys.argv)}`", ""]
    table = ["| cell | ranks | case | active cells | steps | kernel | updates/s per core | kernel s | sim h per wall s | bytes per active cell | output share | efficiency vs 1 rank |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    ranks = [int(x) for x in args.ranks.split(",")]
    assess = ["| cell | ranks | active cells | CSLE + stats + connectivity (s) | active cells/s per core | whole command (s) |", "|---|---|---|---|---|---|"]
    for size in [float(x) for x in args.sizes.split(",")]:
        mesh = os.path.join(args.work, f"synth{size:g}m.h5")
        if not os.path.exists(mesh):
            sh([args.exe, "mesh", "synth", "--cell-size", f"{size:g}", "-o", mesh], mesh + ".log")
        base = {}
        for np in ranks:
            for case in ("water", "sediment"):
                r = run(args, np, scen[case], mesh, os.path.join(args.work, f"r_{case}_{size:g}_{np}.h5"), os.path.join(args.work, f"log_{case}_{size:g}_{np}.txt"))
                loop = r["stages"].get("TimeLoop", float("nan"))
                outshare = r["events"].get("SbOutputSlice", {}).get("time", 0.0) / max(r["stages"].get("TimeLoop", 0) + r["stages"].get("Output", 0) + r["stages"].get("Setup", 0), 1e-30)
                if np == ranks[0]:
                    base[case] = (np, loop)
                eff = base[case][1] * base[case][0] / (loop * np) if np != base[case][0] else float("nan")
                bpc = r["mem_total"] / max(r["active"], 1)
                for k, evs in KERNELS.items():
                    if case == "water" and k.startswith("sediment"):
                        continue
                    rate, t = kernel_rate(r, np, evs)
                    table.append(f"| {size:g} m | {np} | {case} | {r['active']:,} | {r['steps']:,} | {k} | {rate:.3g} | {t:.3g} | {args.hours / loop:.3g} | {bpc:.0f} | {100 * outshare:.1f} % | {'' if eff != eff else f'{100 * eff:.0f} %'} |")
            wall, text = sh([args.mpiexec, "--oversubscribe", "-n", str(np), args.exe, "run", os.path.join(ROOT, "scenarios", "assessment.json"), "--mesh", mesh, "-o", os.path.join(args.work, f"a_{size:g}_{np}.h5"), "--quiet", "-log_view"], os.path.join(args.work, f"log_assess_{size:g}_{np}.txt"))
            r = parse(text)
            t = sum(r["events"].get(e, {}).get("time", 0.0) for e in ("SbAssessCSLE", "SbAssessStats", "SbConnectivity"))
            assess.append(f"| {size:g} m | {np} | {r['active']:,} | {t:.3g} | {r['active'] / (t * np):.3g} | {wall:.1f} |")
    lines += ["### Storm runs", ""] + table + ["", "### Assessment", ""] + assess
    if args.scaling:
        size = float(args.sizes.split(",")[0])
        mesh = os.path.join(args.work, f"synth{size:g}m.h5")
        halo = ["| ranks | steps | routing messages per step | routing bytes per step | sediment messages per step | sediment bytes per step |", "|---|---|---|---|---|---|"]
        for np in [int(x) for x in args.scaling.split(",")]:
            r = run(args, np, scen["sediment"], mesh, os.path.join(args.work, f"s_{np}.h5"), os.path.join(args.work, f"log_scaling_{np}.txt"))
            row = [f"{np}", f"{r['steps']:,}"]
            for e in ("SbRoutingFlux", "SbSedTransport"):
                d = r["events"].get(e, dict(mess=0, avglen=0))
                row += [f"{d['mess'] / max(r['steps'], 1):.1f}", f"{d['mess'] * d['avglen'] / max(r['steps'], 1):,.0f}"]
            halo.append("| " + " | ".join(row) + " |")
        lines += ["", f"### Halo traffic at {size:g} m (all ranks together, per time step)", ""] + halo
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
