"""Getting measurement vectors for evaluation: through a rig, or from a session file.

The one place evaluation touches capture (a thin adapter, so it can move to the job API): it
runs ``lsi_rig.acquire.capture_session`` into a session file kept under the output folder, reads
the offset-corrected vectors back, and converts volts to the official simulation scale by the
rig world's ideal scale factor (docs/simulation.md: V = ideal_scale_v · Σ mask · image01 on an
ideal rig). A rig without a simulated world has no such factor here: its vectors need a
calibration this code does not have, and it says so.
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


def _units_per_volt(rig_config: object, mask_shape: tuple[int, int], label: str) -> float:
    world_config = getattr(rig_config, "world", None)
    if world_config is None:
        raise ConfigError(
            f"rig {label}: no simulated world, so no volts → simulation-units factor;"
            " capture with a sim rig, or decode calibrated vectors"
        )
    from lsi_rig.world import World

    return 1.0 / World(world_config).ideal_scale_v(mask_shape)


def capture_vectors(
    rig: str, masks: MaskSet, scenes: Sequence[Scene], session_path: Path
) -> np.ndarray:
    """Capture every scene once through ``masks``; vectors [K, n] in simulation units, in scene
    order. The session file stays at ``session_path`` (overwritten)."""
    from lsi_rig.acquire import capture_session
    from lsi_rig.config import load_rig
    from lsi_rig.jobs.plans import plan_from_config
    from lsi_rig.rig import build_rig
    from lsi_rig.scenes.source import InMemoryScenes

    config = load_rig(rig)
    scale = _units_per_volt(config, masks.shape, rig)
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
    vectors, ids = read_session_vectors(session_path, masks)
    if ids != [s.scene_id for s in scenes]:
        raise SessionError(f"{session_path}: captured scenes {ids[:3]}… differ from the plan")
    log.info("captured %d vectors of %d masks on %s", len(ids), masks.n, rig)
    return vectors * scale


def read_session_vectors(path: Path, masks: MaskSet | None = None) -> tuple[np.ndarray, list[str]]:
    """Offset-corrected volts [K, n] and scene ids of a session (checked against ``masks``)."""
    from lsi_rig.storage import open_session

    with open_session(path) as reader:
        if masks is not None and reader.masks().sha256 != masks.sha256:
            raise SessionError(
                f"{path}: captured through masks {reader.masks().sha256[:12]}…, "
                f"not the model's {masks.sha256[:12]}…"
            )
        vectors = np.asarray(reader.vectors("offset_corrected"), dtype=np.float64)
        ids = list(reader.scene_ids())
    return vectors, ids


def session_vectors_in_units(
    path: Path, masks: MaskSet
) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """A session's vectors in simulation units (factor from the session's own rig config), its
    scene ids, and its scene hashes (scene id → sha256) to check the ground truth against."""
    import yaml

    from lsi_rig.config.load import parse_rig
    from lsi_rig.storage import open_session

    vectors, ids = read_session_vectors(path, masks)
    with open_session(path) as reader:
        rig_yaml = reader.rig_config_yaml
        hashes = {s.scene_id: s.sha256 for s in reader.scenes()}
    config = parse_rig(yaml.safe_load(rig_yaml), f"{path} (rig config)")
    return vectors * _units_per_volt(config, masks.shape, str(path)), ids, hashes
