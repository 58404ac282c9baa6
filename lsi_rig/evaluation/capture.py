"""Getting measurement vectors for evaluation: through a rig, or from a session file.

The one place evaluation touches capture: a capture job (``lsi_rig.jobs.capture_session``) into
a session file kept under the output folder; the vectors are read back on the model's scale by
the decode service's rules (``lsi_rig.decode.units``): calibrated vectors when the capture ran
with a calibration, else, on a simulated rig, the offset-corrected volts over the world's own
ideal scale factor (docs/simulation.md: V = ideal_scale_v · Σ mask · image01 on an ideal rig). A
real rig without a calibration has no such factor: evaluation says so.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lsi_rig.core.errors import ConfigError, SessionError
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.scenes import Scene

log = logging.getLogger(__name__)


def capture_vectors(
    rig: str, masks: MaskSet, scenes: Sequence[Scene], session_path: Path
) -> np.ndarray:
    """Capture every scene once through ``masks``; vectors [K, n] in simulation units, in scene
    order. The session file stays at ``session_path`` (overwritten)."""
    from lsi_rig.config import load_rig
    from lsi_rig.jobs import capture_session, plan_from_config
    from lsi_rig.rig import build_rig
    from lsi_rig.scenes.source import InMemoryScenes

    config = load_rig(rig)
    if config.world is None:
        raise ConfigError(_NO_SCALE.format(what=f"rig {rig}"))
    plan = plan_from_config(
        config.acquisition, scenes=InMemoryScenes(list(scenes)), masks=masks, repeats=1, averages=1
    )
    session_path.parent.mkdir(parents=True, exist_ok=True)
    with build_rig(config) as the_rig:
        capture_session(
            config,
            plan,
            session_path,
            overwrite=True,
            rig=the_rig,
            command=f"lsi-rig evaluate --rig {rig}",
        )
    vectors, ids, _ = session_vectors_in_units(session_path, masks)
    if ids != [s.scene_id for s in scenes]:
        raise SessionError(f"{session_path}: captured scenes {ids[:3]}… differ from the plan")
    log.info("captured %d vectors of %d masks on %s", len(ids), masks.n, rig)
    return vectors


def session_vectors_in_units(
    path: Path, masks: MaskSet
) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """A session's vectors on the model's scale [K, n] (see the module docstring), its scene
    ids, and its scene hashes (scene id → sha256) to check the ground truth against."""
    from lsi_rig.decode.vectors import read_session
    from lsi_rig.storage import open_session

    with open_session(path) as reader:
        if reader.masks().sha256 != masks.sha256:
            raise SessionError(
                f"{path}: captured through masks {reader.masks().sha256[:12]}…, "
                f"not the model's {masks.sha256[:12]}…"
            )
        hashes = {s.scene_id: s.sha256 for s in reader.scenes()}
    chosen = read_session(path)
    if chosen.kind == "offset_corrected":
        raise ConfigError(_NO_SCALE.format(what=f"session {path}"))
    vectors = np.stack([v.values for v in chosen.vectors]).astype(np.float64)
    ids = [v.scene_id or "" for v in chosen.vectors]
    return vectors, ids, hashes


_NO_SCALE = (
    "{what}: no calibration and no simulated world, so no volts → simulation-units factor; "
    "calibrate the rig (lsi-rig calibrate) or evaluate on a sim rig"
)
