#!/usr/bin/python3
"""Faults during a run (2 ranks):
- SIGTERM and SIGINT: the run stops cleanly with a one-line error naming the checkpoint, a
  non-zero exit, and leaves neither result.h5 nor result.h5.partial (nor the .xmf), but a whole
  checkpoint result.ckpt.h5; `--restart` from it gives the uninterrupted run's result bit for bit
  (same rank count);
- a NaN depth (injected with -sb_fault_nan_step): the error names cell, rank and time and the
  checkpoint of the bad state (result.ckpt.bad.h5, beside the last good one); no result;
- SIGKILL of the whole job: only .partial files may remain, and an earlier result of the same
  name is untouched.

usage: signal_test.py MPIEXEC SHUIBAO SCENARIO MESH WORKDIR
"""
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

from sbcheck import check, finish

mpiexec, exe, scenario, mesh, work = sys.argv[1:6]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")


def command(out, *extra, petsc=()):
    return [mpiexec, "--quiet", "--oversubscribe", "-n", "2", exe, "run", scenario, "--mesh", mesh, "-o", out, *extra, *petsc]


def start(out):
    return subprocess.Popen(command(out), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def remove(*files):
    for f in files:
        if os.path.exists(f):
            os.remove(f)


compare = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare_results.py")]
reference = os.path.join(work, "signal_reference.h5")
remove(reference)
r = subprocess.run(command(reference, "--quiet"), env=env, capture_output=True, text=True, timeout=600)
check(r.returncode == 0, f"the uninterrupted reference run ({r.stderr.strip()[:200]})")


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


def rank_pids(p):
    """The shuibao processes started under mpiexec p (its descendants running the executable)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
        except OSError:
            continue
        children.setdefault(ppid, []).append((int(d), cmd))
    found, todo = [], [p.pid]
    while todo:
        for pid, cmd in children.get(todo.pop(), []):
            todo.append(pid)
            if cmd and os.path.basename(cmd[0].decode(errors="replace")) == os.path.basename(exe):
                found.append(pid)
    return sorted(found)


for sig in (signal.SIGTERM, signal.SIGINT):
    out = os.path.join(work, f"signal_{sig.name}.h5")
    ckpt = out[:-3] + ".ckpt.h5"
    remove(out, out + ".partial", out[:-3] + ".xmf", out[:-3] + ".xmf.partial", ckpt, ckpt + ".partial")
    p = start(out)
    check(wait_for_progress(p), f"{sig.name}: the run reached its time loop")
    # The signal goes to every rank, as a batch system's cancel does: sent to mpiexec, Open MPI
    # forwards it but kills the ranks 1 s later (odls_base_sigkill_timeout, docs/reliability.md),
    # which a checkpoint write on a loaded machine or under AddressSanitizer can outlast.
    ranks = rank_pids(p)
    check(len(ranks) == 2, f"{sig.name}: found the 2 rank processes ({ranks})")
    for pid in ranks:
        os.kill(pid, sig)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        check(False, f"{sig.name}: the run stopped within 60 s")
        continue
    lines = [l for l in err.splitlines() if l.strip()]
    check(p.returncode != 0, f"{sig.name}: non-zero exit ({p.returncode})")
    check(len(lines) == 1 and "shuibao: error: interrupted by signal" in lines[0] and ckpt in lines[0], f"{sig.name}: one-line message naming the checkpoint: {lines[:2]}")
    left = [f for f in (out, out + ".partial", out[:-3] + ".xmf", out[:-3] + ".xmf.partial", ckpt + ".partial") if os.path.exists(f)]
    check(not left, f"{sig.name}: no result left behind ({left})")
    check(os.path.exists(ckpt), f"{sig.name}: the checkpoint {ckpt} exists")
    if not os.path.exists(ckpt):
        continue
    with h5py.File(ckpt, "r") as f:
        check(f.attrs["reason"] in (b"signal", "signal") and 0 < f.attrs["time_s"] < 86400, f"{sig.name}: checkpoint written on the signal at t = {f.attrs['time_s']} s")
    restarted = os.path.join(work, f"signal_{sig.name}_restarted.h5")
    remove(restarted)
    r = subprocess.run(command(restarted, "--quiet", "--restart", ckpt), env=env, capture_output=True, text=True, timeout=600)
    check(r.returncode == 0, f"{sig.name}: the restart from the checkpoint runs ({r.stderr.strip()[:200]})")
    c = subprocess.run(compare + [reference, restarted], capture_output=True, text=True)
    check(c.returncode == 0, f"{sig.name}: the restarted result equals the uninterrupted one bit for bit: {c.stdout.strip().splitlines()[-1:]}")

# A NaN depth: the run stops naming the cell, rank and time, and keeps the bad state.
out = os.path.join(work, "signal_NAN.h5")
ckpt = out[:-3] + ".ckpt.bad.h5"
remove(out, ckpt)
r = subprocess.run(command(out, "--quiet", petsc=("-sb_fault_nan_step", "40")), env=env, capture_output=True, text=True, timeout=600)
lines = [l for l in r.stderr.splitlines() if l.strip()]
check(r.returncode != 0, f"NaN: non-zero exit ({r.returncode})")
check(len(lines) == 1 and "depth nan" in lines[0] and "at row 0, col 0 (rank 0) at t =" in lines[0] and ckpt in lines[0], f"NaN: one line naming cell, rank, time and checkpoint: {lines[:2]}")
check(not os.path.exists(out) and not os.path.exists(out + ".partial"), "NaN: no result")
if os.path.exists(ckpt):
    with h5py.File(ckpt, "r") as f:
        x = f["state/X"][()]
        check(f.attrs["reason"] in (b"bad state", "bad state") and np.isnan(x[0, 0, 0]) and np.isfinite(x[1:, :, 0]).all(), "NaN: the checkpoint holds the bad state (NaN at row 0, col 0 only)")
else:
    check(False, f"NaN: the checkpoint {ckpt} exists")

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
finish()
