"""The QA report of a session: what went wrong, how the rig drifted, where the time went.

Computed from the file alone (any session: a batch, a plain capture, an import), so it can be
made at the end of a batch, on demand, or on a copy of a file from another lab. ``summary`` is
JSON-able (``lsi-rig report --json``); ``series`` keeps the per-record arrays for the plots.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lsi_rig.batch.ground_truth import batch_info
from lsi_rig.core.flags import RecordFlags

PATTERN_DARK, PATTERN_BRIGHT = 2, 3  # lsi_rig.dmd.sequence.PatternKind codes (stored table)
LONG_GAP_MIN_S = 1.0
LONG_GAP_FACTOR = 20.0
LISTED = 50  # ids / keys listed in full; the counts are always complete
_RUN_LINE = re.compile(r"capture (started|resumed):")  # the capture job, at INFO
_OPEN_LINE = re.compile(r"session \S+ (created|reopened)|session reopened")  # the writer itself


@dataclass(frozen=True, eq=False)
class ReportSeries:
    """Per-record arrays (record order) for the plots; None where the session has no data."""

    t_start_s: np.ndarray | None = None  # since the first record
    bright_v: np.ndarray | None = None  # mean bright reference per record
    dark_v: np.ndarray | None = None
    durations_ms: np.ndarray | None = None
    gaps_ms: np.ndarray | None = None  # start of record i+1 minus end of record i


@dataclass(frozen=True, eq=False)
class QaReport:
    summary: dict[str, Any]
    series: ReportSeries = field(default_factory=ReportSeries)

    def to_json(self) -> str:
        return json.dumps(self.summary, indent=2, default=str)

    def to_text(self) -> str:
        from lsi_rig.batch.report_text import render

        return render(self.summary)


def _stats(values: np.ndarray) -> dict[str, float] | None:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    return {
        "median": float(np.median(values)),
        "p95": float(np.percentile(values, 95)),
        "max": float(values.max()),
        "min": float(values.min()),
    }


def block_medians(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Medians of consecutive blocks of records (and the block length). Each record's bright
    reference is the light of its own scene, so single records scatter with the scenes; the
    median of a block of (shuffled or unrelated) scenes follows the rig."""
    block = int(max(5, min(200, values.size // 20)))
    count = max(1, values.size // block)
    with np.errstate(all="ignore"):
        medians = np.array(
            [np.nanmedian(values[i * block : (i + 1) * block]) for i in range(count)]
        )
    return medians, block


def _reference(samples: np.ndarray, kinds: np.ndarray, kind: int) -> np.ndarray | None:
    """``[N, k]`` reference samples of one kind (None: the sequence has none)."""
    columns = np.flatnonzero(kinds == kind)
    if columns.size == 0 or samples.shape[0] == 0:
        return None
    values = samples[:, columns].astype(np.float64)
    return values if np.isfinite(values).any() else None


def _row_mean(values: np.ndarray) -> np.ndarray:
    out = np.full(values.shape[0], np.nan)
    finite = np.isfinite(values).any(axis=1)
    out[finite] = np.nanmean(values[finite], axis=1)
    return out


def _bright_section(
    bright: np.ndarray, t_s: np.ndarray | None, drift: int
) -> tuple[dict[str, Any], np.ndarray]:
    per_record = _row_mean(bright)
    medians, block = block_medians(per_record)
    first, last = float(medians[0]), float(medians[-1])
    out: dict[str, Any] = {
        "block_records": block,
        "first_v": first,
        "last_v": last,
        "change_pct": 100.0 * (last / first - 1.0) if first else None,
        "max_deviation_pct": float(100.0 * np.nanmax(np.abs(medians / first - 1.0)))
        if first
        else None,
        "trend_pct": None,
        "slope_pct_per_hour": None,
        "within_record_pct": None,
        "records_flagged_drift": drift,
    }
    ok = np.isfinite(per_record)
    if first and ok.sum() >= 3:  # straight-line fit over the records: the batch's drift
        index = np.flatnonzero(ok)
        slope_v_per_record = np.polyfit(index, per_record[ok], 1)[0]
        out["trend_pct"] = float(100.0 * slope_v_per_record * per_record.size / first)
    if first and t_s is not None and ok.sum() >= 3 and np.ptp(t_s[ok]) > 0:
        slope_v_per_s = np.polyfit(t_s[ok], per_record[ok], 1)[0]
        out["slope_pct_per_hour"] = float(100.0 * slope_v_per_s * 3600.0 / first)
    if bright.shape[1] >= 2:  # what the DRIFT flag tests: the source changing during a record
        with np.errstate(all="ignore"):
            change = 100.0 * np.abs(bright[:, -1] - bright[:, 0]) / np.nanmean(bright, axis=1)
        out["within_record_pct"] = _stats(change)
    return out, per_record


def _dark_section(dark: np.ndarray) -> tuple[dict[str, Any], np.ndarray]:
    per_record = _row_mean(dark)
    medians, block = block_medians(per_record)
    first, last = float(medians[0]), float(medians[-1])
    section = {
        "block_records": block,
        "first_v": first,
        "last_v": last,
        "change_v": last - first,
        "max_change_v": float(np.nanmax(np.abs(medians - first))),
    }
    return section, per_record


def _timing(table: np.ndarray) -> tuple[dict[str, Any] | None, ReportSeries]:
    t0, t1 = table["t_start_ns"].astype(np.int64), table["t_end_ns"].astype(np.int64)
    if table.size == 0 or not (t0 > 0).all():
        return None, ReportSeries()  # no record times (an imported session)
    durations_ms = (t1 - t0) / 1e6
    gaps_ms = (t0[1:] - t1[:-1]) / 1e6
    median_gap_s = float(np.median(gaps_ms)) / 1e3 if gaps_ms.size else 0.0
    threshold_s = max(LONG_GAP_MIN_S, LONG_GAP_FACTOR * median_gap_s)
    long = np.flatnonzero(gaps_ms / 1e3 > threshold_s)
    span_s = float((t1.max() - t0.min()) / 1e9)
    lost_s = float(gaps_ms[long].sum() / 1e3)
    active_s = max(span_s - lost_s, 1e-9)
    timing = {
        "record_ms": _stats(durations_ms),
        "gap_ms": _stats(gaps_ms) if gaps_ms.size else None,
        "long_gap_threshold_s": threshold_s,
        "long_gaps": [
            {"after_record": int(i), "gap_s": float(gaps_ms[i] / 1e3)} for i in long[:LISTED]
        ],
        "n_long_gaps": int(long.size),
        "span_s": span_s,
        "active_s": active_s,
    }
    series = ReportSeries(
        t_start_s=(t0 - t0.min()) / 1e9, durations_ms=durations_ms, gaps_ms=gaps_ms
    )
    return timing, series


def _coverage(
    table: np.ndarray, scene_ids: list[str], repeats: int
) -> tuple[dict[str, Any], set[int]]:
    keys = list(zip(table["scene_index"].tolist(), table["repeat_index"].tolist(), strict=True))
    unique = set(keys)
    planned = {(s, r) for s in range(len(scene_ids)) for r in range(repeats)}
    missing = sorted(planned - unique)
    incomplete = sorted({s for s, _ in missing})
    section = {
        "planned": len(planned),
        "recorded": len(keys),
        "unique": len(unique),
        "duplicates": len(keys) - len(unique),
        "missing": len(missing),
        "scenes_incomplete": len(incomplete),
        "missing_scene_ids": [scene_ids[s] for s in incomplete[:LISTED]],
        "missing_keys": [list(k) for k in missing[:LISTED]],
        "complete": not missing,
    }
    return section, set(incomplete)


def build_report(path: str | Path) -> QaReport:
    """Read ``path`` and compute its QA report (raises SessionError for an unusable file)."""
    from lsi_rig.storage import open_session

    with open_session(path) as reader:
        attrs = reader.attrs
        table = reader.records_table()
        samples = reader.vectors("samples")
        kinds = reader.sequence_table()["kinds"]
        scenes = [s.scene_id for s in reader.scenes()]
        extra = reader.extra
        log_lines = reader.log_lines()
        masks = reader.summary()["masks"]
    info = batch_info(extra)
    flags = table["flags"].astype(np.int64)
    by_kind = {f.name: int(np.count_nonzero(flags & int(f))) for f in RecordFlags if f and f.name}
    if info is not None and info.settings.get("repeats"):
        repeats, repeats_source = int(info.settings["repeats"]), "batch settings"
    else:
        recorded = table["repeat_index"]
        repeats = int(recorded.max()) + 1 if recorded.size else 1
        repeats_source = "inferred from the records"
    coverage, _ = _coverage(table, scenes, repeats)
    coverage["repeats"], coverage["repeats_from"] = repeats, repeats_source
    timing, series = _timing(table)
    bright = _reference(samples, kinds, PATTERN_BRIGHT)
    dark = _reference(samples, kinds, PATTERN_DARK)
    bright_section, bright_v = (
        _bright_section(bright, series.t_start_s, by_kind.get("DRIFT", 0))
        if bright is not None
        else (None, None)
    )
    dark_section, dark_v = _dark_section(dark) if dark is not None else (None, None)
    series = ReportSeries(series.t_start_s, bright_v, dark_v, series.durations_ms, series.gaps_ms)
    range_v = table["range_v"].astype(np.float64)
    with np.errstate(all="ignore"):
        peak = np.nanmax(np.abs(samples), axis=1) if samples.size else np.zeros(0)
        fraction = peak / range_v
    fraction = fraction[np.isfinite(fraction)]
    provenance = extra.get("provenance") if isinstance(extra.get("provenance"), dict) else None
    summary: dict[str, Any] = {
        "session": {
            "path": str(Path(path).expanduser().absolute()),
            "status": attrs.get("status"),
            "rig": attrs.get("rig_name"),
            "created_utc": attrs.get("created_utc"),
            "finished_utc": attrs.get("finished_utc") or None,
            "masks": f"{masks['name']} ({masks['n']} masks)",
            "scenes": len(scenes),
            "records": int(table.size),
            "batch": info is not None and bool(info.settings),
            "imported": bool(provenance and provenance.get("kind") == "imported"),
            "runs": max(
                sum(1 for line in log_lines if _RUN_LINE.search(line)),
                sum(1 for line in log_lines if _OPEN_LINE.search(line)),
            ),
            "log_warnings": sum(1 for line in log_lines if " WARNING " in line),
            "log_errors": sum(1 for line in log_lines if " ERROR " in line),
        },
        "coverage": coverage,
        "flags": {
            "records_flagged": int(np.count_nonzero(flags)),
            "by_kind": {k: v for k, v in by_kind.items() if v},
        },
        "saturation": {
            "saturated": by_kind.get("SATURATED", 0),
            "near_saturation": by_kind.get("NEAR_SATURATION", 0),
            "max_fraction_of_range": float(fraction.max()) if fraction.size else None,
        },
        "bright_reference": bright_section,
        "dark_reference": dark_section,
        "timing": timing,
        "throughput": _throughput(timing, int(table.size), table, repeats),
    }
    return QaReport(summary, series)


def _throughput(
    timing: dict[str, Any] | None, n_records: int, table: np.ndarray, repeats: int
) -> dict[str, Any] | None:
    if timing is None or n_records == 0:
        return None
    scenes = len(set(table["scene_index"].tolist()))
    span, active = timing["span_s"], timing["active_s"]
    return {
        "records_per_hour": 3600.0 * n_records / span if span > 0 else None,
        "records_per_hour_active": 3600.0 * n_records / active,
        "scenes_per_hour_active": 3600.0 * scenes / active,
        "seconds_per_scene_active": active / max(scenes, 1),
    }


def write_report(report: QaReport, directory: str | Path, *, plots: bool = True) -> list[Path]:
    """``report.txt``, ``report.json`` and the PNG plots into ``directory`` (created)."""
    directory = Path(directory).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    text, js = directory / "report.txt", directory / "report.json"
    text.write_text(report.to_text() + "\n", encoding="utf-8")
    js.write_text(report.to_json() + "\n", encoding="utf-8")
    written = [text, js]
    if plots:
        from lsi_rig.batch.plots import write_plots

        written += write_plots(report, directory)
    return written
