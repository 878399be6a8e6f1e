#!/usr/bin/python3
"""Map segments beside a checkpoint (docs/output.md, "Checkpoints and restart"), 2 ranks:
- a 12 h run of the storm case with a checkpoint every 4 h writes two checkpoints, each adding one
  segment (result.ckpt.maps/000000.h5, 000001.h5) with only the slices written since the last;
- continued from the 8 h checkpoint into the same checkpoint file under the full 24 h scenario, the
  run takes the series over (its checkpoints at 12, 16 and 20 h add segments 2, 3 and 4), and its
  result equals the uninterrupted storm run bit for bit;
- continued again from that run's 20 h checkpoint into another checkpoint name, it reads the five
  segments of the two runs and again gives the uninterrupted result bit for bit; its own checkpoint
  folder starts a new series;
- a missing segment and a segment of another run are one-line errors naming the checkpoint and
  the segment, with no result;
- a checkpoint in the layout written before segments (the slices inside the checkpoint, under
  output/maps), made here from the 8 h one, still restarts to the uninterrupted result;
- a checkpoint of a build with other scenario defaults (its identity/defaults edited here: another
  default of interception.model, a key that build lacked) is a one-line error naming the key.

usage: restart_segments.py MPIEXEC SHUIBAO SCENARIO_DIR MESH WORKDIR REFERENCE_NP2
"""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

from sbcheck import check, finish

mpiexec, exe, scenarios, mesh, work, reference = sys.argv[1:7]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")
compare = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare_results.py")]
full = os.path.join(scenarios, "storm", "scenario.json")
short = os.path.join(scenarios, "restart", "shorter.json")
base = os.path.join(work, "segments")
ckpt, maps = base + ".ckpt.h5", base + ".ckpt.maps"
ckpt2, maps2 = base + "_b.ckpt.h5", base + "_b.ckpt.maps"


def run(scenario, out, *extra):
    cmd = [mpiexec, "--quiet", "--oversubscribe", "-n", "2", exe, "run", scenario, "--mesh", mesh, "-o", out, "--quiet", *extra]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def segments(folder):
    return sorted(f for f in os.listdir(folder) if f.endswith(".h5")) if os.path.isdir(folder) else []


def slices(path):
    with h5py.File(path, "r") as f:
        return int(f.attrs["first_slice"]), int(f.attrs["slices"]), f.attrs["series"]


for f in (ckpt, ckpt2):
    if os.path.exists(f):
        os.remove(f)
for d in (maps, maps2):
    shutil.rmtree(d, ignore_errors=True)

# 1. Two checkpoints, two segments, each with the slices since the last (output every 30 min).
r = run(short, base + "_a.h5", "--checkpoint", ckpt, "--checkpoint-every", "4h")
check(r.returncode == 0, f"12 h run with checkpoints every 4 h ({r.stderr.strip()[:300]})")
check(segments(maps) == ["000000.h5", "000001.h5"], f"two segments after checkpoints at 4 and 8 h: {segments(maps)}")
with h5py.File(ckpt, "r") as f:
    check(abs(f.attrs["time_s"] - 8 * 3600) < 1e-6, f"the last checkpoint is at 8 h: {f.attrs['time_s']}")
    check("maps" not in f["output"], "the checkpoint itself holds no map slices")
    nt = f["output/slice_time"].shape[0]
    series = f["output"].attrs["map_series"]
s0, n0, id0 = slices(os.path.join(maps, "000000.h5"))
s1, n1, id1 = slices(os.path.join(maps, "000001.h5"))
check(s0 == 0 and s1 == n0 and n0 + n1 == nt and n1 > 0 and n1 < nt, f"segments hold slices 0..{n0 - 1} and {s1}..{s1 + n1 - 1} of {nt}")
check(id0 == series and id1 == series, "both segments carry the checkpoint's series")

# 2. Continued into the same checkpoint file: the series goes on; the result is the storm run's.
out2 = base + "_continued.h5"
r = run(full, out2, "--restart", ckpt, "--checkpoint", ckpt, "--checkpoint-every", "4h")
check(r.returncode == 0, f"continued from 8 h to 24 h ({r.stderr.strip()[:300]})")
check(segments(maps) == ["%06d.h5" % k for k in range(5)], f"segments 0-4 after checkpoints at 12, 16, 20 h: {segments(maps)}")
with h5py.File(ckpt, "r") as f:
    check(abs(f.attrs["time_s"] - 20 * 3600) < 1e-6, f"the last checkpoint is at 20 h: {f.attrs['time_s']}")
    check(f["output"].attrs["map_series"] == series and f["output/map_segment_end"].shape[0] == 5, "the continued run kept the series (5 segments)")
r = subprocess.run(compare + [reference, out2], capture_output=True, text=True)
check(r.returncode == 0, f"continued result equals the uninterrupted run bit for bit: {r.stdout.strip()[-300:]}")

# 3. From the 20 h checkpoint of two runs into another checkpoint name.
out3 = base + "_again.h5"
r = run(full, out3, "--restart", ckpt, "--checkpoint", ckpt2, "--checkpoint-every", "2h")
check(r.returncode == 0, f"continued from 20 h ({r.stderr.strip()[:300]})")
r = subprocess.run(compare + [reference, out3], capture_output=True, text=True)
check(r.returncode == 0, f"result read from five segments of two runs equals the uninterrupted run: {r.stdout.strip()[-300:]}")
check(segments(maps2) == ["000000.h5"], f"the new checkpoint name starts its own folder with one segment: {segments(maps2)}")
if segments(maps2):
    a, n, id2 = slices(os.path.join(maps2, "000000.h5"))
    with h5py.File(ckpt2, "r") as f:
        check(a == 0 and n == f["output/slice_time"].shape[0] and id2 != series, f"its first segment holds all {n} slices so far, in a new series")

# 4. A missing segment; a segment of another run.
out4 = base + "_bad.h5"
os.rename(os.path.join(maps, "000003.h5"), os.path.join(work, "segments_000003.h5"))
r = run(full, out4, "--restart", ckpt)
lines = r.stderr.strip().splitlines()
check(r.returncode != 0 and len(lines) == 1 and f"{ckpt}: map segment {maps}/000003.h5: No such file or directory" in lines[0], f"missing segment: one line naming both: {lines[:2]}")
check(not os.path.exists(out4) and not os.path.exists(out4 + ".partial"), "missing segment: no result")
shutil.copy(os.path.join(maps2, "000000.h5"), os.path.join(maps, "000003.h5"))
r = run(full, out4, "--restart", ckpt)
lines = r.stderr.strip().splitlines()
check(r.returncode != 0 and len(lines) == 1 and f"{ckpt}: map segment {maps}/000003.h5 belongs to another run" in lines[0], f"segment of another run: one line: {lines[:2]}")
check(not os.path.exists(out4) and not os.path.exists(out4 + ".partial"), "segment of another run: no result")

# 5. The layout before segments: the slices in the checkpoint's own output/maps group.
old = base + "_old.ckpt.h5"
r = run(short, base + "_a.h5", "--checkpoint", old, "--checkpoint-every", "8h")
check(r.returncode == 0, f"12 h run with a checkpoint at 8 h ({r.stderr.strip()[:300]})")
oldmaps = base + "_old.ckpt.maps"
with h5py.File(old, "r+") as f:
    g = f["output"]
    for k in range(g["map_segment_end"].shape[0]):
        with h5py.File(os.path.join(oldmaps, "%06d.h5" % k), "r") as seg:
            for field in seg["maps"]:
                for name in seg["maps"][field]:
                    seg.copy(seg["maps"][field][name], g.require_group("maps/" + field), name=name)
    del g["map_segment_end"]
    del g.attrs["map_segments"]
    del g.attrs["map_series"]
shutil.rmtree(oldmaps)
out5 = base + "_old.h5"
r = run(full, out5, "--restart", old)
check(r.returncode == 0, f"continued from a checkpoint of the old layout ({r.stderr.strip()[:300]})")
r = subprocess.run(compare + [reference, out5], capture_output=True, text=True)
check(r.returncode == 0, f"its result equals the uninterrupted run bit for bit: {r.stdout.strip()[-300:]}")

# 6. Another build's defaults.
import json
for case, edit, expect in (("changed", lambda d: d.update({"interception.model": "bucket"}),
                            'interception.model defaults to "bucket" in the build that wrote it and to "aston" in this one'),
                           ("missing", lambda d: d.pop("interception.model"),
                            'interception.model (default "aston" in this build) is not a key of the build that wrote it')):
    other = base + f"_defaults_{case}.ckpt.h5"
    shutil.copy(ckpt2, other)
    with h5py.File(other, "r+") as f:
        d = json.loads(f["identity"].attrs["defaults"])
        edit(d)
        f["identity"].attrs.create("defaults", np.bytes_(json.dumps(d, separators=(",", ":"))))  # fixed length, as shuibao writes it
    out6 = base + f"_defaults_{case}.h5"
    for stale in (out6, out6[:-3] + ".xmf"):
        if os.path.exists(stale):
            os.remove(stale)
    r = run(full, out6, "--restart", other)
    lines = r.stderr.strip().splitlines()
    check(r.returncode != 0 and len(lines) == 1 and f"{other}: checkpoint of a build with other defaults: {expect}" in lines[0], f"defaults {case}: one line naming the key: {lines[:2]}")
    check(not os.path.exists(out6) and not os.path.exists(out6 + ".partial"), f"defaults {case}: no result")
finish()
