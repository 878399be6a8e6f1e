#!/usr/bin/python3
"""A full disk during a run (docs/reliability.md): writes of the result fail part-way, injected
with -sb_fault_file_size_limit N (the process's files cannot grow beyond N bytes, so writes fail
with EFBIG as they would with ENOSPC). At each limit: a non-zero exit, one error line naming the
result file and the system's reason (Open MPI's own "mca_fbtl_posix_pwritev: error in writev"
lines are the only other stderr allowed), no .partial file left behind, and an earlier result of
the same name untouched. Limits, from the size S of the whole result of an unlimited run (so
that they follow the data, which changes with the physics: a fixed 1.8 MB, once at the end, fell
into the time-sliced maps when the interception changed): 300 kB failing in the static maps at the
start, and S - 100 kB failing in the final series, budgets and maps (each of those final maps is
larger than 100 kB) at the end.

usage: disk_full.py MPIEXEC NP SHUIBAO SCENARIO MESH WORKDIR
"""
import os
import subprocess
import sys

from sbcheck import check, finish

mpiexec, np, exe, scenario, mesh, work = sys.argv[1:7]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
os.makedirs(work, exist_ok=True)
out = os.path.join(work, "out.h5")


full = os.path.join(work, "full.h5")
r = subprocess.run([mpiexec, "--quiet", "--oversubscribe", "-n", np, exe, "run", scenario, "--mesh", mesh, "-o", full, "--quiet"], env=env, capture_output=True, text=True, timeout=300)
check(r.returncode == 0, f"the unlimited run ({r.stderr.strip()[:200]})")
size = os.path.getsize(full)
print(f"the whole result: {size} bytes")
for limit, where in ((300000, "coordinates and static maps"), (size - 100000, "series, budgets and final maps")):
    for f in os.listdir(work):
        os.remove(os.path.join(work, f))
    with open(out, "wb") as f:
        f.write(b"an earlier result")
    cmd = [mpiexec, "--quiet", "--oversubscribe", "-n", np, exe, "run", scenario, "--mesh", mesh, "-o", out, "--quiet", "-sb_fault_file_size_limit", str(limit)]
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        check(False, f"limit {limit}: the run ended within 300 s (a rank hung)")
        continue
    lines = [l for l in r.stderr.splitlines() if l.strip() and not l.startswith("mca_fbtl_posix_pwritev: error in writev")]
    check(r.returncode != 0, f"limit {limit}: non-zero exit ({r.returncode})")
    check(len(lines) == 1 and lines[0].startswith("shuibao: error: ") and out in lines[0] and f"cannot write the {where}" in lines[0],
          f"limit {limit}: one line naming the file and the {where}: {lines[:3]}")
    left = sorted(f for f in os.listdir(work) if f != "out.h5")
    check(not left, f"limit {limit}: nothing left behind ({left})")
    with open(out, "rb") as f:
        check(f.read() == b"an earlier result", f"limit {limit}: the earlier result is untouched")
finish()
