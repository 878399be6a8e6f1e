#!/usr/bin/python3
"""Compare two result files dataset by dataset and attribute by attribute (h5py), except
/provenance (wall time, command line, date and rank count differ by design).

usage: compare_results.py A.h5 B.h5 [--rtol R] [--prefix]

Without --rtol every value must be identical bit for bit (NaN where the other has NaN, the same
shapes and types). With --rtol, floating-point values may differ by |a - b| <= R |a| (integers,
strings and NaN positions still exactly); R applies to every dataset and attribute, except the
budget's relative_error, itself a round-off-sized ratio, which may differ by R absolutely.
With --prefix, B is a longer run (a restart under a longer time.duration_h): only the time series
and the time-sliced maps are compared, over A's times.
"""
import argparse
import sys

import h5py
import numpy as np

SKIP = ("/provenance",)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rtol", type=float, default=None)
    ap.add_argument("--prefix", action="store_true")
    args = ap.parse_args()
    fails = []
    checked = 0

    def same(name, x, y):
        nonlocal checked
        checked += 1
        x = np.asarray(x)
        y = np.asarray(y)
        if x.shape != y.shape or x.dtype != y.dtype:
            fails.append(f"{name}: shape/type {x.shape} {x.dtype} vs {y.shape} {y.dtype}")
            return
        if x.dtype.kind not in "fc":
            if not np.array_equal(x, y):
                fails.append(f"{name}: values differ")
            return
        nx, ny = np.isnan(x), np.isnan(y)
        if not np.array_equal(nx, ny):
            fails.append(f"{name}: NaN at different places")
            return
        xv, yv = x[~nx], y[~ny]
        if args.rtol is None:
            # Bit for bit: compare the bytes, so that -0.0 and 0.0 count as different too.
            if xv.tobytes() != yv.tobytes():
                d = np.abs(xv - yv)
                fails.append(f"{name}: not bit for bit, largest difference {d.max():.3e}")
        else:
            scale = 1.0 if name.endswith("@relative_error") else np.abs(xv)
            bad = np.abs(xv - yv) > args.rtol * scale
            if bad.any():
                i = np.argmax(np.abs(xv - yv) / np.maximum(np.abs(xv), 1e-300))
                fails.append(f"{name}: {bad.sum()} values beyond rtol {args.rtol}, e.g. {xv.flat[i]!r} vs {yv.flat[i]!r}")

    with h5py.File(args.a, "r") as fa, h5py.File(args.b, "r") as fb:
        names_a, names_b = [], []
        fa.visit(names_a.append)
        fb.visit(names_b.append)
        names_a = ["/" + n for n in names_a if not ("/" + n).startswith(SKIP)]
        names_b = ["/" + n for n in names_b if not ("/" + n).startswith(SKIP)]
        if sorted(names_a) != sorted(names_b):
            fails.append(f"different objects: only in A {sorted(set(names_a) - set(names_b))}, only in B {sorted(set(names_b) - set(names_a))}")
        nt = fa["time"].shape[0]
        for n in ["/"] + sorted(set(names_a) & set(names_b)):
            oa, ob = fa[n], fb[n]
            if args.prefix:
                if isinstance(oa, h5py.Dataset) and (n.startswith("/series/") or n.startswith("/maps/") or n == "/time") and oa.shape[:1] == (nt,):
                    same(n, oa[()], ob[:nt])
                continue
            if isinstance(oa, h5py.Dataset):
                same(n, oa[()], ob[()])
            for k in sorted(set(oa.attrs) | set(ob.attrs)):
                if k in ("DIMENSION_LIST", "REFERENCE_LIST"):
                    continue  # object references, compared through the datasets they name
                if k not in oa.attrs or k not in ob.attrs:
                    fails.append(f"{n}@{k}: only in one file")
                    continue
                va, vb = oa.attrs[k], ob.attrs[k]
                if isinstance(va, (bytes, str)) or isinstance(vb, (bytes, str)):
                    checked += 1
                    if va != vb:
                        fails.append(f"{n}@{k}: {va!r} vs {vb!r}")
                else:
                    same(f"{n}@{k}", va, vb)
    for f in fails[:20]:
        print("FAIL", f)
    mode = "bit for bit" if args.rtol is None else f"to {args.rtol} relative"
    print(f"{args.a} vs {args.b}: {checked} datasets and attributes compared {mode}, {len(fails)} differ")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
