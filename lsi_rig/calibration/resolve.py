"""Which calibration a capture uses: the rig's current one, none, or a named folder."""

from __future__ import annotations

from pathlib import Path

from lsi_rig.calibration.applied import RigCalibration
from lsi_rig.calibration.errors import CalibrationError, CalibrationRefused
from lsi_rig.calibration.provenance import differences
from lsi_rig.calibration.store import current_folder, read_calibration, rig_folder
from lsi_rig.config.schema import RigConfig
from lsi_rig.core.calibration import AppliedCalibration
from lsi_rig.masks.maskset import MaskSet


def resolve_calibration(
    rig_config: RigConfig,
    spec: str | None,
    *,
    masks: MaskSet,
    gain_db: float,
    range_v: float,
    root: Path | None = None,
) -> AppliedCalibration | None:
    """``spec`` None: the rig's ``current`` calibration if there is one (else None); ``"none"``:
    None; otherwise a calibration folder (or its calibration.yaml).

    Refuses (:class:`CalibrationRefused`, one line naming what differs) a calibration made for
    another rig, a changed rig file, another mask set or another gain/range, and one that is
    not complete (no response step) or whose fits were rejected. ``root`` overrides the rig's
    ``paths.calibration_dir``.
    """
    if spec is not None and spec.strip().lower() == "none":
        return None
    if spec is None:
        folder = current_folder(rig_folder(rig_config, root))
        if folder is None:
            return None
        how = "the current calibration"
    else:
        folder = Path(spec).expanduser()
        if not folder.exists():
            raise CalibrationError(
                f"calibration {spec}: no such folder (give a calibration folder, or none)"
            )
        how = "calibration"
    stored = read_calibration(folder)
    where = f"{how} {stored.folder}"
    if stored.content.status != "ok":
        raise CalibrationRefused(
            f"{where} is {stored.content.status} ({stored.content.message}); "
            "use another one or --calibration none"
        )
    problems = differences(
        stored.content.provenance, rig_config, masks=masks, gain_db=gain_db, range_v=range_v
    )
    if problems:
        more = f" (and {len(problems) - 1} more difference(s))" if len(problems) > 1 else ""
        raise CalibrationRefused(
            f"refusing {where}: {problems[0]}{more}; re-run lsi-rig calibrate or pass "
            "--calibration none"
        )
    return RigCalibration.from_stored(stored)


def calibration_for_capture(
    rig_config: RigConfig, spec: str | None, masks: MaskSet
) -> AppliedCalibration | None:
    """The calibration a capture applies (``capture``, ``batch`` and the app alike): ``spec``
    as in :func:`resolve_calibration`, checked against the rig's own gain and range. A rig
    whose detector is a plug-in has no gain/range to check a calibration against: it runs
    uncalibrated unless a calibration is named (which is then refused with the reason)."""
    from lsi_rig.calibration.provenance import detector_config
    from lsi_rig.detector.config import NidaqmxConfig, SimDetectorConfig

    if spec is not None and spec.strip().lower() == "none":
        return None
    if spec is None and not isinstance(
        rig_config.devices.detector, SimDetectorConfig | NidaqmxConfig
    ):
        return None
    detector = detector_config(rig_config)
    return resolve_calibration(
        rig_config, spec, masks=masks, gain_db=detector.gain_db, range_v=detector.range_v
    )
