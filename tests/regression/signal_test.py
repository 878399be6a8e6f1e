#!/usr/bin/python3
"""Faults during a run (2 ranks):
- SIGTERM and SIGINT: the run stops cleanly with a one-line error, a non-zero exit, and leaves
  neither result.h5 nor result.h5.partial (nor the .xmf);
- SIGKILL of the whole job: only .partial files may remain, and an earlier result of the same
  name is untouched.

usage: signal_test.py MPIEXEC SHUIBAO SCENARIO MESH WORKDIR
"""
import os
import signal
import subprocess
import sys
import time

mpiexec, exe, scenario, mesh, work = sys.argv[1:6]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")
fails = checks = 0


def check(ok, what):
    global fails, checks
    checks += 1
    fails += 0 if ok else 1
    print(("ok   " if ok else "FAIL ") + what, flush=True)


def start(out):
    cmd = [mpiexec, "--quiet", "--oversubscribe", "-n", "2", exe, "run", scenario, "--mesh", mesh, "-o", out]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_progress(p):
    """Block until the run has printed its first progress line (it is in the time loop)."""
    t0 = time.time()
    while time.time() - t0 < 120:
        line = p.stdout.readline()
        if not line:
            return False
        if line.lstrip().startswith("t ="):
            return True
    return False


for sig in (signal.SIGTERM, signal.SIGINT):
    out = os.path.join(work, f"signal_{sig.name}.h5")
    for f in (out, out + ".partial", out[:-3] + ".xmf", out[:-3] + ".xmf.partial"):
        if os.path.exists(f):
            os.remove(f)
    p = start(out)
    check(wait_for_progress(p), f"{sig.name}: the run reached its time loop")
    p.send_signal(sig)  # mpiexec forwards SIGINT/SIGTERM to the ranks
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        check(False, f"{sig.name}: the run stopped within 60 s")
        continue
    lines = [l for l in err.splitlines() if l.strip()]
    check(p.returncode != 0, f"{sig.name}: non-zero exit ({p.returncode})")
    check(any("shuibao: error: interrupted by signal" in l for l in lines), f"{sig.name}: one-line message: {lines[:1]}")
    left = [f for f in (out, out + ".partial", out[:-3] + ".xmf", out[:-3] + ".xmf.partial") if os.path.exists(f)]
    check(not left, f"{sig.name}: nothing left behind ({left})")

out = os.path.join(work, "signal_KILL.h5")
with open(out, "wb") as f:
    f.write(b"an earlier result")
p = start(out)
check(wait_for_progress(p), "SIGKILL: the run reached its time loop")
os.killpg(p.pid, signal.SIGKILL)
p.communicate()
time.sleep(1)
with open(out, "rb") as f:
    check(f.read() == b"an earlier result", "SIGKILL: the earlier result.h5 is untouched")
others = [f for f in os.listdir(work) if f.startswith("signal_KILL") and f not in ("signal_KILL.h5", "signal_KILL.h5.partial", "signal_KILL.xmf.partial")]
check(not others, f"SIGKILL: only .partial files besides the earlier result ({others})")
print(f"{checks - fails} passed, {fails} failed")
sys.exit(1 if fails else 0)
