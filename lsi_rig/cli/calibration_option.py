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
    """The calibration to apply (``lsi_rig.calibration.calibration_for_capture``)."""
    from lsi_rig.calibration import calibration_for_capture

    return calibration_for_capture(rig_config, spec, masks)
