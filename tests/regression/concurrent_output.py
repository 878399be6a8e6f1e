#!/usr/bin/python3
"""Two runs writing the same result at the same time (docs/reliability.md): the first run's
result.h5.partial is locked while it writes, so a second run started with the same -o stops at
once with one error line naming the file, writes nothing and removes nothing; the first run then
finishes with a whole result, readable, and no .partial left. Before the lock, the second run's
clean-up removed the first one's partial file and the first run failed at its end ("cannot write
the series ...: No such file or directory") after all its work.

usage: concurrent_output.py MPIEXEC NP SHUIBAO SCENARIO MESH WORKDIR
"""
import os
import subprocess
import sys
import time

import h5py

from sbcheck import check, finish

mpiexec, np, exe, scenario, mesh, work = sys.argv[1:7]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
os.makedirs(work, exist_ok=True)
out = os.path.join(work, "out.h5")


for f in os.listdir(work):
    os.remove(os.path.join(work, f))
cmd = [mpiexec, "--quiet", "--oversubscribe", "-n", np, exe, "run", scenario, "--mesh", mesh, "-o", out, "--quiet"]
first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
t0 = time.time()
while not os.path.exists(out + ".partial") and first.poll() is None and time.time() - t0 < 120:
    time.sleep(0.05)
check(first.poll() is None and os.path.exists(out + ".partial"), "the first run is writing out.h5.partial")
second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
lines = [l for l in second.stderr.splitlines() if l.strip()]
check(second.returncode != 0, f"the second run fails ({second.returncode})")
check(len(lines) == 1 and lines[0].startswith("shuibao: error: ") and out in lines[0] and "another run is writing this result" in lines[0],
      f"one line naming the file and the other run: {lines[:3]}")
check(first.poll() is None and os.path.exists(out + ".partial"), "the first run is still going and its partial file is still there")
try:
    o, e = first.communicate(timeout=600)
except subprocess.TimeoutExpired:
    first.kill()
    o, e = first.communicate()
check(first.returncode == 0, f"the first run ends well ({first.returncode}): {e.strip()[-300:]}")
check(os.path.exists(out) and not os.path.exists(out + ".partial"), "its result is in place and no .partial is left")
try:
    with h5py.File(out, "r") as f:
        ok = "budget/water" in f and abs(f["budget/water"].attrs["relative_error"]) < 1e-9
except OSError as err:
    ok = False
check(ok, "the result opens and its water budget closes")
# A run after the first has finished writes the same path again (the lock went with the process).
third = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
check(third.returncode == 0 and os.path.exists(out), f"a later run writes the same result ({third.returncode})")
finish()
