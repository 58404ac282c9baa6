"""The calibration steps, in the order ``calibrate all`` runs them.

Each step is a function ``run(StepContext) -> StepOutcome``: Qt-free, reporting progress
through the context, cancellable between and within captures, returning a typed result with a
plain-language summary, its arrays and a PNG figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lsi_rig.calibration.steps import check, dark, gain, monitor, registration, response
from lsi_rig.calibration.steps.base import StepContext, StepOutcome


@dataclass(frozen=True)
class StepInfo:
    name: str
    title: str
    description: str
    run: Callable[[StepContext], StepOutcome]


STEPS: dict[str, StepInfo] = {
    "dark": StepInfo(
        "dark",
        "Dark levels",
        "Detector offset, ambient light and the monitor's black with all mirrors off and on.",
        dark.run,
    ),
    "gain": StepInfo(
        "gain",
        "Gain and range",
        "PDA100A2 gain and DAQ range with 20 % headroom, settling and SNR per setting.",
        gain.run,
    ),
    "monitor": StepInfo(
        "monitor",
        "Monitor response",
        "Grey ramps per colour channel: black level, gamma and the linearisation of scenes.",
        monitor.run,
    ),
    "registration": StepInfo(
        "registration",
        "Registration",
        "Single-pixel images of a dot target: the scene-to-DMD affine map and the flat field.",
        registration.run,
    ),
    "response": StepInfo(
        "response",
        "Response",
        "Known images against the official simulation: per-mask gain and offset.",
        response.run,
    ),
    "check": StepInfo(
        "check",
        "Stability check",
        "Drift of the bright level over minutes and the SNR of every mask.",
        check.run,
    ),
}

__all__ = ["STEPS", "StepContext", "StepInfo", "StepOutcome"]
