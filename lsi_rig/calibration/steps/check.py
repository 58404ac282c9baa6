"""Check step: is the calibrated rig stable, and how noisy is each mask?

* Drift: the white scene (drawn through the calibration) measured with all-on masks every
  ``check_interval_s`` of the rig's clock for ``check_duration_s``; the relative span of the
  levels is compared with the rig's ``acquisition.drift_threshold``.
* SNR per mask: ``check_repeats`` records of a test face (not in the response set) — mean over
  standard deviation per vector entry — and, when the response step is in force, how well its
  calibrated mean vector matches the official simulation.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from lsi_rig.calibration.figures import render_png
from lsi_rig.calibration.model import CheckResult
from lsi_rig.calibration.response_fit import official_simulation, r_squared, scale_factor
from lsi_rig.calibration.steps.base import StepContext, StepOutcome
from lsi_rig.calibration.steps.gain import snr_text
from lsi_rig.calibration.targets import RESPONSE_SEED
from lsi_rig.scenes.procedural import face_scene


def run(ctx: StepContext) -> StepOutcome:
    settings = ctx.settings
    renderer = ctx.renderer()
    white = renderer.render_linear(np.ones((256, 256, 3)))
    steps = max(1, math.ceil(settings.check_duration_s / settings.check_interval_s)) + 1
    clock = ctx.capturer.rig.clock
    times, levels = [], []
    t0 = clock.now_s()
    for k in range(steps):
        ctx.report(0.7 * k / steps, f"check: drift {k + 1}/{steps}")
        if k:
            clock.sleep_s(settings.check_interval_s)
        (record,) = ctx.capturer.capture("check-drift", [white], ctx.all_on(24), reference_every=12)
        times.append(clock.now_s() - t0)
        levels.append(float(np.mean(record.vector_v)))
    level = np.array(levels)
    drift = float(np.ptp(level) / np.mean(level)) if np.mean(level) else float("nan")
    face = face_scene(0, size=256, seed=RESPONSE_SEED + 1)
    ctx.report(0.7, f"check: {settings.check_repeats} repeats of a test face")
    records = ctx.capturer.capture(
        "check-snr", [renderer.render(face.image)], ctx.masks, repeats=settings.check_repeats
    )
    vectors = np.array([r.vector_v for r in records], dtype=np.float64)
    std = vectors.std(axis=0, ddof=1) if len(records) > 1 else np.full(ctx.masks.n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = np.where(std > 0, np.abs(vectors.mean(axis=0)) / std, 1e12)
    r2 = scale = None
    if ctx.steps.response is not None and "response_gain" in ctx.arrays:
        calibrated = (vectors.mean(axis=0) - ctx.arrays["response_offset"]) / ctx.arrays[
            "response_gain"
        ]
        ideal = official_simulation(ctx.masks, [np.asarray(face.image)])[0]
        r2, scale = r_squared(calibrated, ideal), scale_factor(calibrated, ideal)
    threshold = float(ctx.rig_config.acquisition.drift_threshold)
    ok = bool(np.isfinite(drift) and drift <= threshold)
    summary = (
        f"bright level drifted {drift * 100:.3f} % over {times[-1]:.0f} s (limit "
        f"{threshold * 100:.1f} %); SNR per mask median {snr_text(float(np.median(snr)))}, "
        f"worst {snr_text(float(np.min(snr)))} ({settings.check_repeats} repeats)"
    )
    if r2 is not None and scale is not None:
        summary += f"; a test face calibrates to the simulation with R² {r2:.6f}, scale {scale:.4f}"
    if not ok:
        summary = f"the rig is not stable enough: {summary}"

    def draw(figure: Figure) -> None:
        ax1, ax2 = figure.subplots(1, 2)
        ax1.plot(times, (level / level.mean() - 1) * 100, "o-")
        ax1.axhspan(-threshold * 50, threshold * 50, color="0.9")
        ax1.set_xlabel("rig clock (s)")
        ax1.set_ylabel("bright level − mean (%)")
        ax1.set_title(f"drift {drift * 100:.3f} %")
        ax2.semilogy(np.minimum(snr, 1e9), ".", ms=3)
        ax2.set_xlabel("mask")
        ax2.set_ylabel("SNR (mean / std)")
        ax2.set_title("SNR per mask")

    result = CheckResult(
        ok=ok,
        summary=summary,
        created_utc=ctx.created_utc,
        figure="check.png",
        duration_s=float(times[-1]),
        drift_relative=drift if np.isfinite(drift) else 1e9,
        drift_threshold=threshold,
        snr_median=float(min(np.median(snr), 1e12)),
        snr_min=float(min(np.min(snr), 1e12)),
        repeats=settings.check_repeats,
        r2_test_scene=None if r2 is None else float(r2),
        scale_test_scene=None if scale is None else float(scale),
    )
    arrays = {
        "check_times_s": np.array(times),
        "check_levels_v": level,
        "check_snr": np.minimum(snr, 1e12),
    }
    return StepOutcome(result, arrays, render_png(draw))
