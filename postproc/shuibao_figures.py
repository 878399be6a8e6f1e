#!/usr/bin/python3
"""Figures for `shuibao compare --figures DIR`: hydrographs at every gauge (all files on one
plot per gauge), maximum-depth maps side by side, and the difference of each file's maximum
depth from the first file's. Reads result.h5 files with h5py; writes PNG with matplotlib (Agg).

usage: shuibao_figures.py DIR FILE.h5 [FILE.h5 ...]
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def label(path, f):
    text = f["provenance"].attrs.get("scenario", b"")
    text = text.decode() if isinstance(text, bytes) else str(text)
    name = os.path.basename(path)
    key = '"name":'
    if key in text:
        name = text.split(key, 1)[1].split('"')[1]
    return name


def extent(f):
    x, y = f["x"][()], f["y"][()]
    d = (x[1] - x[0]) if x.size > 1 else 1.0
    scale = 1e3 if f["x"].attrs.get("units", b"m") in (b"m", "m") else 1.0
    return [(x[0] - d / 2) / scale, (x[-1] + d / 2) / scale, (y[-1] - d / 2) / scale, (y[0] + d / 2) / scale], scale


def main():
    out, files = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    hs = [h5py.File(p, "r") for p in files]
    names = [label(p, f) for p, f in zip(files, hs)]
    written = []

    gauges = [g for g, o in hs[0]["series"].items() if isinstance(o, h5py.Group)]
    for g in gauges:
        fig, ax = plt.subplots(figsize=(8, 4))
        for f, n in zip(hs, names):
            if g in f["series"]:
                ax.plot(f["series/time"][()] / 3600.0, f[f"series/{g}/discharge"][()], label=n)
        ax.set_xlabel("time since start (h)")
        ax.set_ylabel("discharge (m³/s)")
        ax.set_title(f"Hydrograph at {g}")
        ax.grid(alpha=0.3)
        ax.legend()
        p = os.path.join(out, f"hydrograph_{g}.png")
        fig.tight_layout()
        fig.savefig(p, dpi=110)
        plt.close(fig)
        written.append(p)

    ext, scale = extent(hs[0])
    unit = "km" if scale == 1e3 else "degrees"
    maxd = [f["maps/depth_max"][()] for f in hs]
    mask = hs[0]["static/mask"][()] != 0
    vmax = max(float(np.nanpercentile(np.where(mask, d, np.nan), 99.5)) for d in maxd) or 1.0
    fig, axes = plt.subplots(1, len(hs), figsize=(6 * len(hs), 3.6), squeeze=False)
    for ax, d, n in zip(axes[0], maxd, names):
        im = ax.imshow(np.where(mask, d, np.nan), extent=ext, vmin=0, vmax=vmax, cmap="Blues", origin="upper")
        ax.set_title(f"{n}: maximum depth")
        ax.set_xlabel(f"x ({unit})")
        ax.set_ylabel(f"y ({unit})")
    fig.colorbar(im, ax=axes[0].tolist(), label="m", shrink=0.85)
    p = os.path.join(out, "depth_max.png")
    fig.savefig(p, dpi=110)
    plt.close(fig)
    written.append(p)

    for f, d, n in zip(hs[1:], maxd[1:], names[1:]):
        diff = np.where(mask, d - maxd[0], np.nan)
        lim = float(np.nanmax(np.abs(diff))) or 1.0
        fig, ax = plt.subplots(figsize=(7, 3.8))
        im = ax.imshow(diff, extent=ext, vmin=-lim, vmax=lim, cmap="RdBu_r", origin="upper")
        ax.set_title(f"maximum depth: {n} − {names[0]}")
        ax.set_xlabel(f"x ({unit})")
        ax.set_ylabel(f"y ({unit})")
        fig.colorbar(im, ax=ax, label="m")
        p = os.path.join(out, f"depth_max_difference_{n}.png")
        fig.tight_layout()
        fig.savefig(p, dpi=110)
        plt.close(fig)
        written.append(p)

    for p in written:
        print("wrote", p)


if __name__ == "__main__":
    main()
