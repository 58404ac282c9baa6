"""``--calibration PATH|none``: which calibration a capture applies (default: the rig's current).

Shared by ``capture`` and ``batch`` so both pick, refuse and report a calibration the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from lsi_rig.config.schema import RigConfig
    from lsi_rig.core.calibration import AppliedCalibration
    from lsi_rig.masks.maskset import MaskSet

CalibrationOption = Annotated[
    str | None,
    typer.Option(
        "--calibration",
        help="calibration folder to apply, or 'none'; default: the rig's current calibration "
        "(calibration/<rig>/current), if any",
        show_default=False,
    ),
]


def resolve_for_cli(
    rig_config: RigConfig, spec: str | None, masks: MaskSet
) -> AppliedCalibration | None:
    """The calibration to apply; refusals are one-line errors. A rig whose detector is a
    plug-in has no gain/range to check a calibration against: it runs uncalibrated unless a
    calibration is named (which is then refused with the reason)."""
    from lsi_rig.calibration import resolve_calibration
    from lsi_rig.calibration.provenance import detector_config
    from lsi_rig.detector.config import NidaqmxConfig, SimDetectorConfig

    if spec is None and not isinstance(
        rig_config.devices.detector, SimDetectorConfig | NidaqmxConfig
    ):
        return None
    if spec is not None and spec.strip().lower() == "none":
        return None
    detector = detector_config(rig_config)
    return resolve_calibration(
        rig_config, spec, masks=masks, gain_db=detector.gain_db, range_v=detector.range_v
    )
