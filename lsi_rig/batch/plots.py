"""PNG plots of a QA report (matplotlib's Agg canvas: no display, no pyplot global state)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from lsi_rig.batch.report import QaReport

DPI = 100


def _figure(rows: int = 1) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.2 * rows), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, format="png")
    return path


def flags_plot(report: QaReport, path: Path) -> Path:
    by_kind = report.summary["flags"]["by_kind"]
    fig = _figure()
    ax = fig.add_subplot()
    names = sorted(by_kind) or ["none"]
    ax.barh(names, [by_kind.get(n, 0) for n in names], color="#b5523b")
    ax.set_xlabel("records")
    ax.set_title(f"flags by kind ({report.summary['session']['records']} records)")
    return _save(fig, path)


def drift_plot(report: QaReport, path: Path) -> Path:
    series = report.series
    fig = _figure(2)
    top, bottom = fig.subplots(2, 1, sharex=True)
    index = np.arange(series.bright_v.size if series.bright_v is not None else 0)
    if series.bright_v is not None:
        from lsi_rig.batch.report import block_medians

        first = report.summary["bright_reference"]["first_v"]
        top.plot(index, 100.0 * (series.bright_v / first - 1.0), lw=0.5, color="#9bb7da")
        medians, block = block_medians(series.bright_v)
        centres = block * (np.arange(medians.size) + 0.5)
        top.plot(centres, 100.0 * (medians / first - 1.0), lw=1.8, color="#1d4f91")
        top.set_ylabel("bright vs first block (%)")
    else:
        top.text(0.5, 0.5, "no bright reference", ha="center", transform=top.transAxes)
    top.set_title("bright reference: per record (scene-dependent) and block medians (drift)")
    if series.dark_v is not None:
        bottom.plot(np.arange(series.dark_v.size), 1e3 * series.dark_v, lw=0.8, color="#555555")
        bottom.set_ylabel("dark offset (mV)")
    else:
        bottom.text(0.5, 0.5, "no dark reference", ha="center", transform=bottom.transAxes)
    bottom.set_xlabel("record")
    return _save(fig, path)


def timing_plot(report: QaReport, path: Path) -> Path:
    series = report.series
    fig = _figure(2)
    top, bottom = fig.subplots(2, 1)
    for ax, values, label in (
        (top, series.durations_ms, "record duration (ms)"),
        (bottom, series.gaps_ms, "gap before the next record (ms)"),
    ):
        if values is None or values.size == 0:
            ax.text(0.5, 0.5, "no record times", ha="center", transform=ax.transAxes)
            continue
        finite = values[np.isfinite(values)]
        ax.hist(finite, bins=60, log=True, color="#4c8c4a")
        ax.set_xlabel(label)
        ax.set_ylabel("records")
    top.set_title("timing")
    return _save(fig, path)


def throughput_plot(report: QaReport, path: Path) -> Path:
    series = report.series
    fig = _figure()
    ax = fig.add_subplot()
    if series.t_start_s is None:
        ax.text(0.5, 0.5, "no record times", ha="center", transform=ax.transAxes)
    else:
        ax.plot(series.t_start_s / 3600.0, np.arange(1, series.t_start_s.size + 1), lw=1.0)
        ax.set_xlabel("hours since the first record")
        ax.set_ylabel("records")
    ax.set_title("progress (flat stretches: pauses, crashes before a resume)")
    return _save(fig, path)


def write_plots(report: QaReport, directory: Path) -> list[Path]:
    return [
        flags_plot(report, directory / "flags.png"),
        drift_plot(report, directory / "drift.png"),
        timing_plot(report, directory / "timing.png"),
        throughput_plot(report, directory / "throughput.png"),
    ]
