"""Response step: per-mask gain and offset against the official simulation.

K known images (the documented procedural set, :func:`lsi_rig.calibration.targets.
response_images`, or the operator's ``--images``) are drawn through the calibration so far and
measured with the target masks; each mask's vector entries are regressed on the official
simulation ``Σ_c mask·image_c`` of the same images. The fit is accepted when the straight lines
explain the measurements with pooled R² ≥ ``min_r2``; otherwise the residuals are reported and
the previous calibration stays in force.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lsi_rig.calibration.figures import render_png
from lsi_rig.calibration.model import ResponseResult
from lsi_rig.calibration.response_fit import fit_response, official_simulation
from lsi_rig.calibration.steps.base import StepContext, StepOutcome
from lsi_rig.calibration.targets import response_images


def run(ctx: StepContext) -> StepOutcome:
    settings = ctx.settings
    scenes = (
        list(settings.response_images)
        if settings.response_images is not None
        else response_images(settings.response_count)
    )
    if len(scenes) < 2:
        raise ValueError("the response step needs at least 2 images")
    renderer = ctx.renderer()
    ctx.report(0.0, f"response: {len(scenes)} images × {ctx.masks.n} masks")
    records = ctx.capturer.capture(
        "response",
        [renderer.render(s.image) for s in scenes],
        ctx.masks,
        averages=settings.response_averages,
    )
    measured = np.array([r.vector_v for r in records], dtype=np.float64)
    official = official_simulation(ctx.masks, [np.asarray(s.image) for s in scenes])
    fit = fit_response(measured, official)
    ok = bool(fit.r2_pooled >= settings.min_r2)
    gain_mean = float(fit.gain.mean())
    spread = float(fit.gain.std() / gain_mean) if gain_mean else float("nan")
    worst = int(np.argmin(fit.r2_per_mask))
    summary = (
        f"{ctx.masks.n} masks × {len(scenes)} images: R² {fit.r2_pooled:.6f} (mask-to-mask "
        f"structure {fit.r2_structure:.4f}; worst mask "
        f"{worst}: {fit.r2_per_mask[worst]:.5f}), residual {fit.relative_rms * 100:.3f} % of "
        f"the signal spread; gain {gain_mean * 1e6:.3f} µV per unit (spread {spread * 100:.2f} "
        f"%), offset {fit.offset.mean() * 1e3:.3f} mV"
    )
    if not ok:
        summary = (
            f"the response fit is not good enough (R² {fit.r2_pooled:.6f} < {settings.min_r2}): "
            "vectors would not match the simulation; re-run registration and monitor, check "
            f"for stray light or a moving bench — {summary}"
        )

    def draw(figure: Figure) -> None:
        ax1, ax2, ax3 = figure.subplots(1, 3)
        ax1.plot(official.ravel(), measured.ravel() * 1e3, ".", ms=2)
        line = np.array([official.min(), official.max()])
        ax1.plot(line, (gain_mean * line + fit.offset.mean()) * 1e3, "r-", lw=1)
        ax1.set_xlabel("official simulation Σ mask·image")
        ax1.set_ylabel("measured (mV)")
        ax1.set_title(f"R² {fit.r2_pooled:.6f}")
        ax2.plot(fit.gain / gain_mean, ".", ms=3)
        ax2.set_xlabel("mask")
        ax2.set_ylabel("gain / mean")
        ax2.set_title(f"per-mask gain (spread {spread * 100:.2f} %)")
        rel = fit.residual_v / fit.gain / max(float(np.std(official)), 1e-12) * 100
        ax3.plot(official.ravel(), rel.ravel(), ".", ms=2)
        ax3.axhline(0, color="0.5")
        ax3.set_xlabel("official simulation")
        ax3.set_ylabel("residual (% of spread)")
        ax3.set_title("residuals")

    result = ResponseResult(
        ok=ok,
        summary=summary,
        created_utc=ctx.created_utc,
        figure="response.png",
        images=[(s.scene_id, s.sha256) for s in scenes],
        r2_pooled=float(fit.r2_pooled),
        r2_structure=float(fit.r2_structure),
        r2_per_mask_min=float(np.nanmin(fit.r2_per_mask)),
        relative_rms=float(fit.relative_rms),
        r2_threshold=settings.min_r2,
        gain_mean_v=gain_mean,
        gain_spread=spread,
        offset_mean_v=float(fit.offset.mean()),
    )
    arrays = {
        "response_gain": fit.gain,
        "response_offset": fit.offset,
        "response_measured_v": measured,
        "response_official": official,
    }
    return StepOutcome(result, arrays, render_png(draw, size_in=(15, 4.5)))
