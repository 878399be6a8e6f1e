#!/usr/bin/python3
"""Figures for `shuibao compare --figures DIR`. Reads result.h5 files with h5py; writes PNG with
matplotlib (Agg).

Runs with flow (a time loop): hydrographs at every gauge (all files on one plot per gauge),
sedigraphs (sediment discharge, kg/s) at every gauge where a file has /series/<gauge>/sediment
(the files that have it on one plot), maximum-depth maps side by side, the difference of each file's maximum depth from the first's.
Runs with an annual assessment (/summary): the soil and water conservation rate per region and
basin as bars with the 2025 and 2035 target lines, SL 190-2007 erosion-class maps side by side,
and the difference of each file's soil loss from the first's.

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
    flow = [(f, n) for f, n in zip(hs, names) if float(f["series/time"][()].max(initial=0.0)) > 0]
    assessed = [(f, n) for f, n in zip(hs, names) if "summary/basin" in f]
    if flow:
        written += flow_figures(out, *zip(*flow))
    if assessed:
        written += assessment_figures(out, *zip(*assessed))
    for p in written:
        print("wrote", p)


def save(fig, path, tight=True):
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def flow_figures(out, hs, names):
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

    for g in gauges:
        sed = [(f, n) for f, n in zip(hs, names) if f"series/{g}/sediment" in f]
        if not sed:
            continue
        fig, ax = plt.subplots(figsize=(8, 4))
        for f, n in sed:
            ax.plot(f["series/time"][()] / 3600.0, f[f"series/{g}/sediment"][()], label=n)
        ax.set_xlabel("time since start (h)")
        ax.set_ylabel("sediment discharge (kg/s)")
        ax.set_title(f"Sedigraph at {g}")
        ax.grid(alpha=0.3)
        ax.legend()
        written.append(save(fig, os.path.join(out, f"sedigraph_{g}.png")))

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

    return written


CLASSES = ["slight", "light", "moderate", "intense", "very intense", "severe"]
CLASS_COLOURS = ["#1a9850", "#a6d96a", "#fee08b", "#fdae61", "#f46d43", "#a50026"]


def areas(f):
    out = [("basin", dict(f["summary/basin"].attrs))]
    if "summary/regions" in f:
        regs = sorted(f["summary/regions"].items(), key=lambda kv: int(kv[1].attrs.get("id", 0)))
        out += [(n, dict(g.attrs)) for n, g in regs]
    return out


def assessment_figures(out, hs, names):
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    written = []
    # Conservation rate bars, one group per area, one bar per file, target lines.
    per_file = [areas(f) for f in hs]
    labels = [a for a, _ in per_file[0]]
    width = 0.8 / len(hs)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(labels) * max(1, len(hs) / 2)), 4.2))
    x = np.arange(len(labels))
    for i, (a, n) in enumerate(zip(per_file, names)):
        rate = dict((k, v["conservation_rate"]) for k, v in a)
        ax.bar(x + (i - (len(hs) - 1) / 2) * width, [100 * rate.get(k, np.nan) for k in labels], width, label=n)
    basin = per_file[0][0][1]
    for year, style in (("2025", "--"), ("2035", ":")):
        t = basin.get("target_" + year)
        if t is not None:
            ax.axhline(100 * float(t), color="black", linestyle=style, linewidth=1.2, label=f"{year} target {100 * float(t):.0f}%")
    ax.set_xticks(x, labels)
    ax.set_ylabel("soil and water conservation rate (%)")
    ax.set_ylim(0, 100)
    ax.set_title("Soil and water conservation rate against the targets")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    written.append(save(fig, os.path.join(out, "conservation_rate.png")))

    # Erosion classes side by side.
    ext, scale = extent(hs[0])
    unit = "km" if scale == 1e3 else "degrees"
    cmap = ListedColormap(CLASS_COLOURS)
    norm = BoundaryNorm(np.arange(0.5, 7.5, 1.0), cmap.N)
    fig, axes = plt.subplots(1, len(hs), figsize=(6 * len(hs), 3.9), squeeze=False)
    for ax, f, n in zip(axes[0], hs, names):
        c = f["maps/erosion_class"][()].astype(float)
        ax.imshow(np.where(c > 0, c, np.nan), extent=ext, cmap=cmap, norm=norm, origin="upper", interpolation="nearest")
        ax.set_title(f"{n}: erosion class (SL 190-2007)")
        ax.set_xlabel(f"x ({unit})")
        ax.set_ylabel(f"y ({unit})")
    tol = float(basin.get("tolerance_t_km2_a", 500))
    bounds = [tol, 2500, 5000, 8000, 15000]
    names_b = [f"{CLASSES[0]} < {tol:g}"] + [f"{CLASSES[i]} {bounds[i - 1]:g}–{bounds[i]:g}" for i in range(1, 5)] + [f"{CLASSES[5]} ≥ 15000"]
    fig.legend(handles=[Patch(color=c, label=l) for c, l in zip(CLASS_COLOURS, names_b)], loc="lower center", ncol=6, fontsize=8, title="t km⁻² a⁻¹")
    fig.subplots_adjust(bottom=0.25, top=0.9, wspace=0.25)
    written.append(save(fig, os.path.join(out, "erosion_class.png"), tight=False))

    # Soil-loss differences from the first file.
    mask = hs[0]["static/mask"][()] != 0
    a0 = hs[0]["maps/soil_loss"][()]
    for f, n in zip(hs[1:], names[1:]):
        diff = np.where(mask, f["maps/soil_loss"][()] - a0, np.nan)
        lim = float(np.nanpercentile(np.abs(diff), 99)) or float(np.nanmax(np.abs(diff))) or 1.0
        fig, ax = plt.subplots(figsize=(7, 3.8))
        im = ax.imshow(diff, extent=ext, vmin=-lim, vmax=lim, cmap="RdBu_r", origin="upper")
        ax.set_title(f"soil loss: {n} − {names[0]}")
        ax.set_xlabel(f"x ({unit})")
        ax.set_ylabel(f"y ({unit})")
        fig.colorbar(im, ax=ax, label="t km⁻² a⁻¹ (colour scale clipped at the 99th percentile)")
        written.append(save(fig, os.path.join(out, f"soil_loss_difference_{n}.png")))
    return written


if __name__ == "__main__":
    main()
