"""The classic single-pixel-camera demo (``lsi-rig demo --masks demo:hadamard32``).

Simulated rig (noise and imperfections on), a Walsh–Hadamard demo set, procedurally generated
faces and test targets. Writes a session file and, per scene, a side-by-side PNG of the scene as
the detector saw it (at mask resolution) and its exact linear reconstruction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lsi_rig.config.schema import RigConfig
from lsi_rig.core.paths import new_session_path
from lsi_rig.demo.result import DemoResult
from lsi_rig.engine import Progress
from lsi_rig.jobs.capture import capture_session
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.rig import build_rig

log = logging.getLogger(__name__)


def psnr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    """PSNR with the reference's peak-to-peak range as the signal range."""
    span = float(np.ptp(reference)) or 1.0
    mse = float(np.mean((reference - estimate) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(span**2 / mse)


def run_hadamard_demo(
    rig_config: RigConfig,
    mask_set: MaskSet,
    folder: Path,
    *,
    n_scenes: int,
    command: str,
    on_progress: Callable[[Progress], None] | None = None,
) -> DemoResult:
    from lsi_rig.recon import reconstruct_hadamard, side_by_side_png
    from lsi_rig.scenes.procedural import demo_scenes
    from lsi_rig.scenes.source import InMemoryScenes

    scenes = demo_scenes(count=n_scenes)
    plan = plan_from_config(rig_config.acquisition, scenes=InMemoryScenes(scenes), masks=mask_set)
    path = new_session_path(folder, f"demo_{mask_set.name}")
    with build_rig(rig_config) as the_rig:
        capture = capture_session(
            rig_config, plan, path, command=command, on_progress=on_progress, rig=the_rig
        )
        result = DemoResult(capture=capture, kind="hadamard")
        from lsi_rig.storage import open_session

        with open_session(path) as reader:
            vectors = reader.vectors("offset_corrected")
            table = reader.records_table()
        image_dir = path.with_suffix("")
        image_dir.mkdir(exist_ok=True)
        world = the_rig.world
        for i, vector in enumerate(vectors):
            scene = scenes[int(table["scene_index"][i])]
            recon = reconstruct_hadamard(vector.astype(np.float64), mask_set)
            view = _detector_view(world, scene.image, mask_set.shape)
            score = psnr_db(view, recon)
            png = image_dir / f"{scene.scene_id}_r{int(table['repeat_index'][i])}.png"
            side_by_side_png(
                png, view, recon, labels=("detector view", f"reconstruction {score:.1f} dB")
            )
            result.images.append(png)
            result.psnr_db.append(score)
    scores = sorted(result.psnr_db)
    result.summary = [
        "reconstruction PSNR vs detector view: "
        f"min {scores[0]:.1f} dB, median {scores[len(scores) // 2]:.1f} dB"
    ]
    return result


def _detector_view(world: object, image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The scene as the detector weighs it, per mask pixel, after the monitor has settled."""
    world.show_scene(image)  # type: ignore[attr-defined]
    world.clock.sleep_s(1.0)  # type: ignore[attr-defined]
    return np.asarray(world.detector_view(shape), dtype=np.float64)  # type: ignore[attr-defined]
