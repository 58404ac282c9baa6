"""The QA report as text: a short page an operator reads after a night-long batch."""

from __future__ import annotations

from typing import Any


def _num(value: Any, fmt: str = ".4g", unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:{fmt}}{unit}"


def _stats(stats: dict[str, float] | None, unit: str) -> str:
    if not stats:
        return "n/a"
    return (
        f"median {stats['median']:.3g} {unit}, p95 {stats['p95']:.3g} {unit}, "
        f"max {stats['max']:.3g} {unit}"
    )


def render(summary: dict[str, Any]) -> str:
    s, cov, flags = summary["session"], summary["coverage"], summary["flags"]
    lines = [
        f"QA report: {s['path']}",
        f"  status {s['status']}, rig {s['rig']}, masks {s['masks']}, "
        f"{s['scenes']} scenes, {s['records']} records"
        + (", imported" if s["imported"] else "")
        + (f", {s['runs']} run(s)" if s["runs"] else ""),
        f"  log: {s['log_warnings']} warning(s), {s['log_errors']} error(s)",
        "coverage:",
        f"  {cov['unique']} of {cov['planned']} planned records "
        f"({cov['repeats']} repeat(s) per scene, {cov['repeats_from']}), "
        f"{cov['duplicates']} duplicate(s)",
    ]
    if cov["missing"]:
        ids = ", ".join(cov["missing_scene_ids"])
        more = "…" if cov["scenes_incomplete"] > len(cov["missing_scene_ids"]) else ""
        lines.append(
            f"  skipped/missing: {cov['missing']} record(s) of {cov['scenes_incomplete']} "
            f"scene(s): {ids}{more} (resume the session to measure them)"
        )
    else:
        lines.append("  no scene skipped")
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(flags["by_kind"].items())) or "none"
    lines += ["flags:", f"  {flags['records_flagged']} record(s) flagged: {kinds}"]
    sat = summary["saturation"]
    lines += [
        "saturation:",
        f"  {sat['saturated']} saturated, {sat['near_saturation']} near saturation; "
        f"peak {_num(sat['max_fraction_of_range'], '.1%')} of the DAQ range",
    ]
    bright, dark = summary["bright_reference"], summary["dark_reference"]
    lines.append("bright reference (drift):")
    if bright is None:
        lines.append("  none (captured without references)")
    else:
        lines.append(
            f"  median of the first/last {bright['block_records']} records "
            f"{_num(bright['first_v'])} V → {_num(bright['last_v'])} V "
            f"({_num(bright['change_pct'], '+.2f', ' %')}; largest block deviation "
            f"{_num(bright['max_deviation_pct'], '.2f', ' %')}; fitted trend over the batch "
            f"{_num(bright['trend_pct'], '+.2f', ' %')})"
        )
        within = bright["within_record_pct"]
        lines.append(
            f"  within a record: {_stats(within, '%')}; "
            f"{bright['records_flagged_drift']} record(s) flagged DRIFT"
        )
    if dark is not None:
        lines.append(
            f"  dark offset (block medians) {_num(dark['first_v'])} V → {_num(dark['last_v'])} V "
            f"(max change {_num(dark['max_change_v'], '.3g', ' V')})"
        )
    timing = summary["timing"]
    lines.append("timing:")
    if timing is None:
        lines.append("  no record times (imported vectors)")
    else:
        lines += [
            f"  record duration: {_stats(timing['record_ms'], 'ms')}",
            f"  gap between records: {_stats(timing['gap_ms'], 'ms')}",
            f"  {timing['n_long_gaps']} interruption(s) longer than "
            f"{timing['long_gap_threshold_s']:.3g} s"
            + "".join(
                f"; after record {g['after_record']}: {g['gap_s']:.1f} s"
                for g in timing["long_gaps"][:5]
            ),
        ]
    tp = summary["throughput"]
    if tp is not None:
        lines += [
            "throughput:",
            f"  {_num(tp['records_per_hour_active'], '.0f')} records/h, "
            f"{_num(tp['scenes_per_hour_active'], '.0f')} scenes/h while running "
            f"({_num(tp['seconds_per_scene_active'], '.3g')} s per scene); "
            f"{_num(tp['records_per_hour'], '.0f')} records/h over the whole span",
        ]
    return "\n".join(lines)
