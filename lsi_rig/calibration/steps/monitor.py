"""Monitor step: grey ramps of each colour channel → black level, gamma, balance, and the
linearisation every later scene is drawn through (see :mod:`lsi_rig.calibration.monitor_fit`).

Each frame is uniform (one channel at a code, the others at 0) and measured with all-on masks
of the target shape, i.e. the light the whole mask area receives, dark references removed.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lsi_rig.calibration.figures import render_png
from lsi_rig.calibration.model import MonitorResult
from lsi_rig.calibration.monitor_fit import CHANNELS, fit_monitor, ramp_levels
from lsi_rig.calibration.steps.base import StepContext, StepOutcome
from lsi_rig.calibration.targets import uniform

COLOURS = ("tab:red", "tab:green", "tab:blue")


def run(ctx: StepContext) -> StepOutcome:
    levels = ramp_levels(ctx.settings.monitor_levels)
    frames = [uniform(0)]
    for c in range(3):
        for v in levels:
            rgb = [0, 0, 0]
            rgb[c] = v
            frames.append(uniform((rgb[0], rgb[1], rgb[2])))
    ctx.report(0.0, f"monitor: {len(frames)} uniform frames")
    records = ctx.capturer.capture("monitor", frames, ctx.all_on(24), reference_every=12)
    light = np.array([float(np.mean(r.vector_v)) for r in records])
    black_v = float(light[0])
    ramps = light[1:].reshape(3, len(levels))
    fit = fit_monitor(np.array(levels), ramps, black_v)
    worst = max(c.max_relative_residual for c in fit.channels)
    gammas = tuple(c.gamma for c in fit.channels)
    ok = worst <= ctx.settings.monitor_max_residual
    summary = (
        f"gamma {fit.gamma:.3f} (R {gammas[0]:.3f}, G {gammas[1]:.3f}, B {gammas[2]:.3f}), "
        f"black level {fit.black_level * 100:.2f} % of white, channel balance "
        f"{fit.balance[0]:.3f}:{fit.balance[1]:.3f}:{fit.balance[2]:.3f}; worst fit residual "
        f"{worst * 100:.2f} % of full scale"
    )
    if not ok:
        summary = (
            f"the monitor does not follow a gamma curve (residual {worst * 100:.2f} % > "
            f"{ctx.settings.monitor_max_residual * 100:.1f} %): check the monitor's picture "
            f"modes (dynamic contrast, eco) and re-run; {summary}"
        )
    x = np.array(levels, dtype=np.float64) / 255.0

    def draw(figure: Figure) -> None:
        ax1, ax2 = figure.subplots(1, 2)
        fine = np.linspace(0, 1, 256)
        for c, chan in enumerate(fit.channels):
            ax1.plot(levels, (ramps[c] - black_v) * 1e3, "o", color=COLOURS[c], ms=4)
            ax1.plot(
                fine * 255,
                chan.amplitude_v * fine**chan.gamma * 1e3,
                color=COLOURS[c],
                label=f"{CHANNELS[c]} γ={chan.gamma:.3f}",
            )
            res = (ramps[c] - black_v) - chan.amplitude_v * x**chan.gamma
            ax2.plot(levels, res / chan.amplitude_v * 100, "o-", color=COLOURS[c], ms=3)
        ax1.set_xlabel("8-bit code")
        ax1.set_ylabel("light above black (mV, mask area on)")
        ax1.legend()
        ax1.set_title(f"monitor response, black {fit.black_level * 100:.2f} %")
        ax2.axhline(0, color="0.5")
        ax2.set_xlabel("8-bit code")
        ax2.set_ylabel("residual (% of full scale)")
        ax2.set_title("fit residuals")

    result = MonitorResult(
        ok=ok,
        summary=summary,
        created_utc=ctx.created_utc,
        figure="monitor.png",
        levels=levels,
        gamma=gammas,
        amplitude_v=tuple(c.amplitude_v for c in fit.channels),  # type: ignore[arg-type]
        balance=fit.balance,
        black_level=fit.black_level,
        black_v=black_v,
        residual_rms_v=tuple(c.residual_rms_v for c in fit.channels),  # type: ignore[arg-type]
        max_relative_residual=worst,
    )
    arrays = {
        "monitor_lut": fit.lut(),
        "monitor_levels": np.array(levels, dtype=np.int32),
        "monitor_ramps_v": ramps,
    }
    return StepOutcome(result, arrays, render_png(draw))
