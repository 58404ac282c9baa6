"""Gain step: which PDA100A2 gain and DAQ range to use, measured setting by setting.

For every gain (at the widest DAQ range) the rig shows a white scene and a probe sequence of
all-on and all-off patterns: the all-on level is the brightest signal any mask can give (the
bright reference lights the whole mask area), the spread of repeated all-on samples is the
noise, and the first all-on sample after all-off ones, compared with later ones, is how much of
the previous pattern the amplifier still remembers at the end of an exposure (its settling).
A setting is usable when the all-on level stays below ``headroom_fraction`` (80 %) of the
lower rail — the DAQ range or the photodiode's output maximum — and the amplifier settles to
0.1 % (measured, and by the bandwidth rule 1.1/BW ≤ 25 % of the exposure). The recommendation
is the usable gain with the best SNR, then the smallest range that keeps the headroom; it is
measured once more at that range. The rig file stays the source of truth for the knob: the
step fails, saying what to set, when the configured gain or range is not usable.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lsi_rig.calibration.figures import render_png
from lsi_rig.calibration.model import GainResult, GainSetting
from lsi_rig.calibration.provenance import detector_config
from lsi_rig.calibration.steps.base import StepContext, StepOutcome
from lsi_rig.calibration.steps.tables import bandwidth_hz, output_max_v
from lsi_rig.calibration.targets import uniform
from lsi_rig.core.flags import RecordFlags
from lsi_rig.detector.gain_check import check_bandwidth


def snr_text(snr: float) -> str:
    return "noise-free" if snr >= 1e9 else f"{snr:.0f}"


#: on×8, off×4, on×4, off×4, on×4: first-on-after-off vs on-after-on gives the settling.
PROBE = "111111110000111100001111"


def _measure(ctx: StepContext, gain_db: int, range_v: float) -> tuple[GainSetting, float]:
    config = ctx.capturer.config_at(gain_db=gain_db, range_v=range_v)
    with ctx.capturer.rig_at(gain_db=gain_db, range_v=range_v) as rig:
        records = ctx.capturer.capture(
            f"gain-{gain_db}dB-{range_v:g}V",
            [uniform(255)],
            ctx.on_off(PROBE),
            reference_every=None,
            repeats=2,
            rig=rig,
            config=config,
        )
    raw = np.array([r.raw_v for r in records], dtype=np.float64)  # [repeats, patterns]
    bits = np.array([c == "1" for c in PROBE])
    prev = np.r_[False, bits[:-1]]
    steady_on = raw[:, bits & prev][:, 1:]  # skip the first pattern of a pass
    first_on = raw[:, bits & ~prev]
    steady_off = raw[:, ~bits & ~prev]
    on, off = float(steady_on.mean()), float(steady_off.mean())
    noise = float(np.sqrt(np.mean(np.var(steady_on, axis=1, ddof=1))))
    residual = float((on - first_on.mean()) / (on - off)) if on != off else 0.0
    # the residual's own noise: low gains give small signals, which must not read as "slow"
    resolution = 3 * noise / np.sqrt(first_on.size) / abs(on - off) if on != off else 0.0
    limit = min(range_v, output_max_v(ctx.rig_config))
    flagged = any(r.flags & RecordFlags.SATURATED for r in records)
    saturated = flagged or float(raw.max()) >= 0.999 * limit
    exposure = float(records[0].exposure_us)
    table = bandwidth_hz(ctx.rig_config)
    bw = table.get(gain_db)
    settles_table = True if bw is None else not check_bandwidth(gain_db, exposure, table).slow
    settles = settles_table and abs(residual) - resolution <= ctx.settings.max_settling_residual
    setting = GainSetting(
        gain_db=gain_db,
        range_v=range_v,
        bright_v=on,
        dark_v=off,
        noise_v=noise,
        snr=min((on - off) / noise, 1e12) if noise > 0 else 1e12,
        settling_residual=residual,
        bandwidth_hz=None if bw is None or not np.isfinite(bw) else float(bw),
        settles=settles,
        headroom=(not saturated) and on <= ctx.settings.headroom_fraction * limit,
        saturated=saturated,
    )
    return setting, exposure


def run(ctx: StepContext) -> StepOutcome:
    settings = ctx.settings
    detector = detector_config(ctx.rig_config)
    widest = max(settings.ranges_v)
    rows: list[GainSetting] = []
    exposure = 0.0
    gains = sorted(set(settings.gains_db) | {int(detector.gain_db)})
    for k, gain in enumerate(gains):
        ctx.report(k / (len(gains) + 2), f"gain: {gain} dB at ±{widest:g} V")
        row, exposure = _measure(ctx, gain, widest)
        rows.append(row)
    usable = [r for r in rows if r.headroom and r.settles]
    # best SNR; a noise-free (ideal) rig ties, then the strongest signal wins
    best = max(usable, key=lambda r: (r.snr, r.bright_v)) if usable else None
    recommended_range = None
    if best is not None:
        limit_max = output_max_v(ctx.rig_config)
        fits = [
            rv
            for rv in settings.ranges_v
            if best.bright_v <= settings.headroom_fraction * min(rv, limit_max)
        ]
        recommended_range = min(fits) if fits else widest
        if recommended_range != widest:
            ctx.report(0.9, f"gain: {best.gain_db} dB at ±{recommended_range:g} V")
            rows.append(_measure(ctx, best.gain_db, recommended_range)[0])
    configured = next(
        (r for r in rows if r.gain_db == detector.gain_db and r.range_v == detector.range_v),
        None,
    )
    if configured is None:
        configured = _measure(ctx, int(detector.gain_db), float(detector.range_v))[0]
        rows.append(configured)
    configured_ok = configured.headroom and configured.settles
    if best is None:
        summary = "no gain setting keeps the white scene below the headroom and settles in time"
    else:
        rec = (
            f"recommended: {best.gain_db} dB at ±{recommended_range:g} V (SNR {snr_text(best.snr)})"
        )
        if not configured_ok:
            why = (
                "saturates"
                if configured.saturated
                else ("lacks headroom" if not configured.headroom else "settles too slowly")
            )
            summary = (
                f"the rig's {detector.gain_db} dB at ±{detector.range_v:g} V {why}; {rec}: set "
                f"devices.detector.gain_db: {best.gain_db} and range_v: {recommended_range:g} in "
                "the rig file"
            )
        else:
            summary = (
                f"the rig's {detector.gain_db} dB at ±{detector.range_v:g} V is usable (white "
                f"{configured.bright_v:.3f} V, SNR {snr_text(configured.snr)}); {rec}"
            )

    def draw(fig: Figure) -> None:
        ax1, ax2 = fig.subplots(1, 2)
        wide = [r for r in rows if r.range_v == widest and not r.saturated]
        g = [r.gain_db for r in wide]
        every = [r for r in rows if r.range_v == widest]
        ax1.semilogy(
            [r.gain_db for r in every],
            [max(r.bright_v, 1e-6) for r in every],
            "o-",
            label="white, all on",
        )
        ax1.axhline(settings.headroom_fraction * widest, color="r", ls="--", label="80 % of range")
        ax1.set_xlabel("gain (dB)")
        ax1.set_ylabel("level (V)")
        ax1.legend()
        ax1.set_title("headroom")
        ax2.semilogy(g, [max(r.snr, 1e-3) for r in wide], "s-", label="SNR (all on)")
        ax2.semilogy(
            g, [max(abs(r.settling_residual), 1e-7) for r in wide], "^-", label="settling residual"
        )
        ax2.set_xlabel("gain (dB)")
        ax2.legend()
        ax2.set_title("SNR and settling per gain")

    result = GainResult(
        ok=best is not None and configured_ok,
        summary=summary,
        created_utc=ctx.created_utc,
        figure="gain.png",
        headroom_fraction=settings.headroom_fraction,
        exposure_us=exposure,
        settings=rows,
        recommended_gain_db=None if best is None else best.gain_db,
        recommended_range_v=recommended_range,
        configured_ok=configured_ok,
    )
    return StepOutcome(result, {}, render_png(draw))
