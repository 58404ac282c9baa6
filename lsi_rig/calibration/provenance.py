"""Provenance of a calibration, and the comparison that refuses to apply it elsewhere.

A calibration is valid for one rig (its name and the parts of its rig file that change what is
measured: the world, the display, the DMD, the detector apart from its gain and range), one
mask set (content hash) and one detector setting (PDA100A2 gain, DAQ range). Anything else
and the per-mask gains, the registration or the linearisation would be silently wrong.
"""

from __future__ import annotations

import hashlib
import json
import platform
from typing import Any

import numpy as np
import yaml

import lsi_rig
from lsi_rig.calibration.model import MaskInfo, Provenance
from lsi_rig.config.load import dump_rig
from lsi_rig.config.schema import RigConfig
from lsi_rig.core.errors import ConfigError
from lsi_rig.detector.config import NidaqmxConfig, SimDetectorConfig
from lsi_rig.masks.maskset import MaskSet


def detector_config(rig_config: RigConfig) -> SimDetectorConfig | NidaqmxConfig:
    """The rig's detector section with its gain and range settings. A calibration is tied to
    them, so a plug-in detector (whose settings lsi-rig does not know) is refused."""
    detector = rig_config.devices.detector
    if not isinstance(detector, SimDetectorConfig | NidaqmxConfig):
        raise ConfigError(
            f"rig {rig_config.name}: devices.detector.backend {detector.backend!r} is a plug-in; "
            "calibration needs a detector with gain_db and range_v settings (sim or nidaqmx)"
        )
    return detector


def _sha(data: Any) -> str:
    return hashlib.sha256(yaml.safe_dump(data, sort_keys=True).encode("utf-8")).hexdigest()


def physical_hashes(rig_config: RigConfig) -> dict[str, str]:
    """sha256 per section that changes the measurement (gain and range are checked apart)."""
    devices = rig_config.devices
    detector = devices.detector.model_dump(mode="json")
    detector.pop("gain_db", None)
    detector.pop("range_v", None)
    world = rig_config.world.model_dump(mode="json") if rig_config.world is not None else None
    return {
        "world": _sha(world),
        "devices.display": _sha(devices.display.model_dump(mode="json")),
        "devices.dmd": _sha(devices.dmd.model_dump(mode="json")),
        "devices.detector": _sha(detector),
    }


def mask_info(masks: MaskSet) -> MaskInfo:
    return MaskInfo(
        name=masks.name, source=masks.source, sha256=masks.sha256, n=masks.n, shape=masks.shape
    )


def plain(obj: Any) -> Any:
    """JSON-able copy of a device description (numpy scalars and arrays become Python)."""
    return json.loads(json.dumps(obj, default=_default))


def _default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def make_provenance(
    rig_config: RigConfig,
    masks: MaskSet,
    *,
    devices: dict[str, Any],
    exposure_us: float,
    command: str = "",
) -> Provenance:
    import scipy

    detector = detector_config(rig_config)
    return Provenance(
        rig_name=rig_config.name,
        rig_sha256=hashlib.sha256(dump_rig(rig_config).encode("utf-8")).hexdigest(),
        physical_sha256=physical_hashes(rig_config),
        devices=plain(devices),
        masks=mask_info(masks),
        gain_db=float(detector.gain_db),
        range_v=float(detector.range_v),
        exposure_us=float(exposure_us),
        software={
            "lsi_rig": lsi_rig.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "python": platform.python_version(),
        },
        command=command,
    )


def differences(
    provenance: Provenance,
    rig_config: RigConfig,
    *,
    masks: MaskSet,
    gain_db: float,
    range_v: float,
) -> list[str]:
    """Why a calibration does not apply, most important first (empty: it applies)."""
    out: list[str] = []
    if provenance.rig_name != rig_config.name:
        out.append(f"it was made for rig {provenance.rig_name!r}, not {rig_config.name!r}")
    else:
        now = physical_hashes(rig_config)
        changed = [k for k in now if provenance.physical_sha256.get(k) != now[k]]
        if changed:
            out.append(
                f"rig {rig_config.name!r} changed since it was made "
                f"({', '.join(changed)} of the rig file differ)"
            )
    if provenance.masks.sha256 != masks.sha256:
        out.append(
            f"it was made for mask set {provenance.masks.name!r} ({provenance.masks.n} masks "
            f"{provenance.masks.shape[0]}x{provenance.masks.shape[1]}, sha256 "
            f"{provenance.masks.sha256[:12]}), not {masks.name!r} ({masks.n} masks "
            f"{masks.shape[0]}x{masks.shape[1]}, sha256 {masks.sha256[:12]})"
        )
    if float(provenance.gain_db) != float(gain_db):
        out.append(f"it was made at gain {provenance.gain_db:g} dB, not {float(gain_db):g} dB")
    if float(provenance.range_v) != float(range_v):
        out.append(f"it was made at DAQ range ±{provenance.range_v:g} V, not ±{float(range_v):g} V")
    return out
