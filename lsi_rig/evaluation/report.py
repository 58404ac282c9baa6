"""Writing evaluation results: Markdown and CSV tables, per-class F1, PNG plots, JSON.

Plots use matplotlib's Agg backend (no display, no Qt): one PNG per metric against the
compression ratio 256²/n on a log axis, the count written at each point.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lsi_rig.core.labels import SEGMENTATION_CLASSES
from lsi_rig.evaluation.runner import CountResult

COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (key, Markdown header, format)
    ("n", "n", "{:d}"),
    ("compression_ratio", "compression 256²/n", "1:{:.0f}"),
    ("psnr_db", "PSNR dB", "{:.2f}"),
    ("psnr_mean_scene_db", "mean-scene PSNR dB", "{:.2f}"),
    ("psnr_grey_scene_db", "grey-scene PSNR dB", "{:.2f}"),
    ("ssim", "SSIM", "{:.3f}"),
    ("attribute_accuracy", "attributes %", "{:.1f}"),
    ("attribute_majority_baseline", "majority baseline %", "{:.1f}"),
    ("segmentation_f1_total", "seg F1 total", "{:.3f}"),
    ("segmentation_f1_total_bg", "seg F1 total(-bg)", "{:.3f}"),
    ("landmark_nme", "landmark NME", "{:.2f}"),
    ("recognition_rate", "Dlib rate %", "{:.1f}"),
    ("decode_ms_per_vector", "decode ms/vector", "{:.1f}"),
)
PERCENT = {"attribute_accuracy", "attribute_majority_baseline", "recognition_rate"}
PLOTS = {
    "psnr_db": "PSNR (dB)",
    "ssim": "SSIM",
    "attribute_accuracy": "attribute accuracy (%)",
    "segmentation_f1_total_bg": "segmentation F1, total without background",
    "landmark_nme": "landmark NME (% of box diagonal)",
    "recognition_rate": "Dlib recognition rate (%)",
}


def row(result: CountResult) -> dict[str, Any]:
    r: dict[str, Any] = {
        "model": result.model,
        "n": result.n,
        "images": result.images,
        "compression_ratio": result.compression_ratio,
        "psnr_db": result.psnr_db,
        "psnr_mean_scene_db": result.psnr_mean_scene_db,
        "psnr_grey_scene_db": result.psnr_grey_scene_db,
        "ssim": result.ssim,
        "attribute_accuracy": result.attribute_accuracy,
        "attribute_majority_baseline": result.attribute_majority_baseline,
        "segmentation_f1_total": result.segmentation_f1_total,
        "segmentation_f1_total_bg": result.segmentation_f1_total_bg,
        "landmark_nme": result.landmark_nme,
        "recognition_rate": result.recognition.rate if result.recognition else None,
        "recognition_pairs_detected": result.recognition.detected if result.recognition else None,
        "decode_ms_per_vector": result.decode_ms_per_vector,
    }
    for key in PERCENT:
        if r[key] is not None:
            r[key] = 100.0 * r[key]
    return r


def _cell(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return fmt.format(value)


def markdown_table(results: Sequence[CountResult]) -> str:
    rows = [row(r) for r in results]
    keys = [c for c in COLUMNS if any(r[c[0]] is not None for r in rows)]
    lines = [
        "| " + " | ".join(h for _, h, _ in keys) + " |",
        "|" + "|".join("---:" for _ in keys) + "|",
    ]
    lines += ["| " + " | ".join(_cell(r[k], f) for k, _, f in keys) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_reports(
    results: Sequence[CountResult], out: Path, meta: dict[str, Any]
) -> dict[str, Path]:
    """Write table.md, table.csv, segmentation_f1.csv, evaluation.json and plots/*.png."""
    out.mkdir(parents=True, exist_ok=True)
    results = sorted(results, key=lambda r: r.n)
    paths = {
        "markdown": out / "table.md",
        "csv": out / "table.csv",
        "json": out / "evaluation.json",
    }
    header = [f"# Evaluation: {meta.get('model', '')}", ""]
    header += [f"- {k}: {v}" for k, v in meta.items() if k != "model"]
    paths["markdown"].write_text("\n".join(header) + "\n\n" + markdown_table(results))
    rows = [row(r) for r in results]
    with paths["csv"].open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    if any(r.segmentation_f1 is not None for r in results):
        paths["segmentation_csv"] = out / "segmentation_f1.csv"
        with paths["segmentation_csv"].open("w", newline="") as f:
            writer2 = csv.writer(f)
            writer2.writerow(["n", *SEGMENTATION_CLASSES, "total", "total(-bg)"])
            for r in results:
                if r.segmentation_f1 is not None:
                    writer2.writerow(
                        [
                            r.n,
                            *(f"{v:.4f}" for v in r.segmentation_f1),
                            f"{r.segmentation_f1_total:.4f}",
                            f"{r.segmentation_f1_total_bg:.4f}",
                        ]
                    )
    paths["json"].write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    paths.update(write_plots(rows, out / "plots"))
    return paths


def write_plots(rows: Sequence[dict[str, Any]], folder: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import NullFormatter

    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for key, label in PLOTS.items():
        points = [(r["compression_ratio"], r[key], r["n"]) for r in rows if r[key] is not None]
        if not points:
            continue
        fig, ax = plt.subplots(figsize=(5, 3.4), dpi=100)
        xs, ys, _ = zip(*points, strict=True)
        ax.plot(xs, ys, marker="o")
        for x, y, n in points:
            ax.annotate(f"n={n}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.set_xscale("log")
        ax.set_xticks(xs)
        ax.set_xticklabels([f"1:{x:.0f}" for x in xs], rotation=30, fontsize=7)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.invert_xaxis()  # more measurements to the right
        ax.set_xlabel("compression ratio 256²/n (log)")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        path = folder / f"{key}.png"
        fig.savefig(path)
        plt.close(fig)
        written[f"plot_{key}"] = path
    return written
