"""Dark step: what the detector reads without scene light, and what the monitor's black adds.

Four levels at the rig's gain, each the mean of many per-pattern samples (no reference
patterns, so nothing is subtracted): mirrors all off / all on with the monitor black, and with
the monitor white. Off + black is the detector offset plus ambient light plus the off-state
leak of the black screen — what the interleaved dark references remove from every vector; on −
off with a black screen is the monitor's black level through the mask area (which the response
step's per-mask offsets absorb); off(white) − off(black) against the white light gives the
off-state leak. Repeating off + black at a second gain separates the electronic offset (gain
independent) from ambient light (proportional to the transimpedance).
"""

from __future__ import annotations

import logging

import numpy as np
from matplotlib.figure import Figure

from lsi_rig.calibration.figures import render_png
from lsi_rig.calibration.model import DarkResult
from lsi_rig.calibration.provenance import detector_config
from lsi_rig.calibration.steps.base import StepContext, StepOutcome
from lsi_rig.calibration.steps.tables import transimpedance_v_per_a
from lsi_rig.calibration.targets import uniform
from lsi_rig.config.schema import RigConfig
from lsi_rig.rig import Rig

log = logging.getLogger(__name__)

#: 24 patterns: the DLPC350 video mode shows whole frames of 24 bit planes.
PATTERN = "1" * 12 + "0" * 12


def _levels(
    ctx: StepContext,
    images: list[np.ndarray],
    label: str,
    rig: Rig | None = None,
    config: RigConfig | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per image: (samples with all mirrors on, samples with all mirrors off)."""
    masks = ctx.on_off(PATTERN)
    records = ctx.capturer.capture(
        label,
        images,
        masks,
        reference_every=None,
        repeats=ctx.settings.dark_repeats,
        rig=rig,
        config=config,
    )
    on = np.array([PATTERN[i] == "1" for i in range(len(PATTERN))])
    per_image = []
    for k in range(len(images)):
        raw = np.array(
            [r.raw_v for r in records if r.scene_index == k], dtype=np.float64
        )  # [repeats, 16]
        per_image.append((raw[:, on].ravel(), raw[:, ~on].ravel()))
    return per_image


def run(ctx: StepContext) -> StepOutcome:
    config = ctx.rig_config
    gain = int(detector_config(config).gain_db)
    ctx.report(0.0, "dark: monitor black and white, mirrors off and on")
    (on_b, off_b), (on_w, off_w) = _levels(ctx, [uniform(0), uniform(255)], "dark")
    dark_v, noise_v = float(off_b.mean()), float(off_b.std(ddof=1))
    black_on = float(on_b.mean() - off_b.mean())
    white_on = float(on_w.mean() - off_w.mean())
    white_off = float(off_w.mean())
    leak_light = white_off - dark_v
    leak = leak_light / (white_on + leak_light) if white_on + leak_light > 0 else 0.0
    offset = ambient = None
    second = None
    warnings: list[str] = []
    if ctx.settings.dark_second_gain:
        second = min(ctx.settings.gains_db) if gain != min(ctx.settings.gains_db) else None
    if second is not None:
        ctx.report(0.6, f"dark: second gain {second} dB (offset vs ambient)")
        range_v = float(detector_config(config).range_v)
        with ctx.capturer.rig_at(gain_db=second, range_v=range_v) as rig2:
            cfg2 = ctx.capturer.config_at(gain_db=second, range_v=range_v)
            ((_, off2),) = _levels(ctx, [uniform(0)], "dark-gain2", rig=rig2, config=cfg2)
        g1 = transimpedance_v_per_a(config, gain)
        g2 = transimpedance_v_per_a(config, second)
        current_a = (dark_v - float(off2.mean())) / (g1 - g2)
        ambient = current_a * g1
        offset = dark_v - ambient
    limit = float(detector_config(config).range_v)
    if abs(dark_v) > 0.05 * limit:
        warnings.append(
            f"the dark level {dark_v * 1e3:.1f} mV is over 5 % of the DAQ range: shield the "
            "detector from room light or check its offset"
        )
    parts = [
        f"dark level {dark_v * 1e3:.3f} mV (noise {noise_v * 1e3:.3f} mV rms)",
        f"monitor black through the mask area {black_on * 1e3:.3f} mV",
        f"off-state leak {leak * 100:.3f} %",
    ]
    if offset is not None and ambient is not None:
        parts.insert(1, f"= detector offset {offset * 1e3:.3f} mV + ambient {ambient * 1e3:.3f} mV")
    summary = "; ".join(parts) + f" at {gain} dB"

    def draw(fig: Figure) -> None:
        ax1, ax2 = fig.subplots(1, 2)
        names = ["off, black", "on, black", "off, white"]
        values = [dark_v, float(on_b.mean()), white_off]
        ax1.bar(names, np.array(values) * 1e3, color=["0.2", "0.5", "0.8"])
        ax1.set_ylabel("mean sample (mV)")
        ax1.set_title(f"dark levels at {gain} dB")
        ax2.hist((off_b - dark_v) * 1e6, bins=30, color="0.4")
        ax2.set_xlabel("dark sample − mean (µV)")
        ax2.set_title(f"dark noise {noise_v * 1e3:.3f} mV rms")

    result = DarkResult(
        ok=True,
        summary=summary,
        created_utc=ctx.created_utc,
        figure="dark.png",
        warnings=warnings,
        dark_v=dark_v,
        black_through_mirrors_v=black_on,
        noise_v=noise_v,
        white_off_v=white_off,
        off_state_leak=float(leak),
        detector_offset_v=offset,
        ambient_v=ambient,
        second_gain_db=second,
    )
    arrays = {"dark_samples_v": off_b.astype(np.float32)}
    return StepOutcome(result, arrays, render_png(draw))
