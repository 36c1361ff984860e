"""Draws the report's PNG: one horizontal bar panel per group of figures, with the goal as a dashed line.

Usage: chart.py <figures.json> <out.png>. The JSON is written by bench/src/chart.ts:
{"title": str, "panels": [{"title": str, "unit": str, "bars": [{"label": str, "value": float, "goal": float|null}]}]}
"""

import json
import math
import sys

import matplotlib

matplotlib.use("Agg")  # no display: render straight to PNG
import matplotlib.pyplot as plt  # noqa: E402


def label(v: float) -> str:
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def main(src: str, out: str) -> None:
    with open(src, encoding="utf-8") as f:
        spec = json.load(f)
    panels = spec["panels"]
    cols = 2
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(18, 3.4 * rows), squeeze=False)
    for ax, panel in zip(axes.flat, panels):
        bars = panel["bars"]
        labels = [b["label"] for b in bars]
        values = [b["value"] if b["value"] is not None else 0 for b in bars]
        ax.barh(labels, values, color="#4C72B0")
        ax.invert_yaxis()
        ax.set_title(panel["title"], fontsize=11, loc="left")
        ax.set_xlabel(panel["unit"])
        top = max(values + [0])
        goals = [b.get("goal") for b in bars if b.get("goal") is not None]
        log = panel.get("log", False)
        if log:
            ax.set_xscale("log")
            positive = [v for v in values if v > 0] or [1]
            ax.set_xlim(min(positive) / 2, max(positive + goals) * 4)
        else:
            ax.set_xlim(0, max([top] + goals) * 1.18 or 1)
        for y, v in enumerate(values):
            x = v * 1.05 if log else v + top * 0.01
            ax.text(x, y, label(v), va="center", fontsize=9)
        # Goals close together (1 and 2 ingestors) would print their labels over each other: alternate the heights.
        for k, g in enumerate(sorted(set(goals))):
            ax.axvline(g, color="#C44E52", linestyle="--", linewidth=1)
            ax.text(g, 0.02 + 0.07 * (k % 2), f" goal {label(g)}", color="#C44E52", fontsize=8,
                    transform=ax.get_xaxis_transform())
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.suptitle(spec["title"], fontsize=13, x=0.01, ha="left")
    fig.tight_layout()
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
