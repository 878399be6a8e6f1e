#!/usr/bin/python3
"""Compare result files of the same run on different rank counts, field by field, with the
tolerances of tests/regression/<case>/tolerances.json: |a - b| <= atol + rtol |ref|.
Also checks the water budget closes (|relative_error| <= budget_tol) in every file, and, if
given, key numbers against the reference file (reference.json) of the case.

usage: compare_ranks.py CASE_DIR REF.h5 OTHER.h5 ...
"""
import json
import sys

import h5py
import numpy as np


def fields(f):
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = obj[()]
    f.visititems(visit)
    for k, v in f["budget/water"].attrs.items():
        if not isinstance(v, (bytes, str)):
            out["budget/water@" + k] = np.asarray(v)
    return out


def tol_for(name, tols):
    for prefix, t in tols["fields"].items():
        if name.startswith(prefix):
            return t
    return tols["default"]


def main():
    case, ref_path, others = sys.argv[1], sys.argv[2], sys.argv[3:]
    tols = json.load(open(f"{case}/tolerances.json"))
    fails = 0
    checks = 0
    with h5py.File(ref_path, "r") as fr:
        ref = fields(fr)
        refbudget = dict(fr["budget/water"].attrs)
    for p in [ref_path] + others:
        with h5py.File(p, "r") as f:
            err = abs(float(f["budget/water"].attrs["relative_error"]))
            checks += 1
            if err > tols["budget_relative_error"]:
                print(f"FAIL {p}: water budget relative_error {err:.3e} > {tols['budget_relative_error']}")
                fails += 1
            else:
                print(f"ok   {p}: water budget relative_error {err:.3e}")
    for p in others:
        with h5py.File(p, "r") as f:
            got = fields(f)
        for name, a in ref.items():
            if name.startswith("provenance"):
                continue
            checks += 1
            if name not in got:
                print(f"FAIL {p}: {name} missing")
                fails += 1
                continue
            b = got[name]
            t = tol_for(name, tols)
            if np.shape(a) != np.shape(b):
                print(f"FAIL {p}: {name} shape {np.shape(b)} != {np.shape(a)}")
                fails += 1
                continue
            fa, fb = np.asarray(a, float), np.asarray(b, float)
            nan_a, nan_b = np.isnan(fa), np.isnan(fb)
            diff = np.where(nan_a | nan_b, 0.0, np.abs(fb - fa))
            bound = t["atol"] + t["rtol"] * np.abs(np.where(nan_a, 0.0, fa))
            bad = int(np.count_nonzero(diff > bound)) + int(np.count_nonzero(nan_a != nan_b))
            worst = float(diff.max()) if diff.size else 0.0
            if bad:
                print(f"FAIL {p}: {name}: {bad} value(s) differ, worst {worst:.3e} (atol {t['atol']}, rtol {t['rtol']})")
                fails += 1
            else:
                print(f"ok   {p}: {name} (worst difference {worst:.3e})")
    refnums = f"{case}/reference.json"
    try:
        expect = json.load(open(refnums))
    except FileNotFoundError:
        expect = {}
    for key, spec in expect.items():
        if key.startswith("_"):
            continue
        checks += 1
        if key.startswith("budget/water@"):
            val = float(refbudget[key.split("@")[1]])
        elif key.startswith("max:"):
            val = float(np.max(ref[key[4:]]))
        else:
            val = float(np.asarray(ref[key]).ravel()[-1])
        if "min" in spec:  # a term that must be present and above a bound
            ok = val > spec["min"]
            print(f"{'ok  ' if ok else 'FAIL'} reference {key}: {val:.9e} > {spec['min']:.9e}")
        else:
            ok = abs(val - spec["value"]) <= spec["atol"] + spec["rtol"] * abs(spec["value"])
            print(f"{'ok  ' if ok else 'FAIL'} reference {key}: {val:.9e} vs {spec['value']:.9e}")
        fails += 0 if ok else 1
    print(f"{checks - fails} passed, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
