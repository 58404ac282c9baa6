"""Acceptance: the ideal simulated rig measures the official LSI simulation.

Masks come from an official-format checkpoint (``mask.weight`` [n, 65536], float, binarised by
clamp + round on use); the official measurement is computed the way ``MaskGenerator.forward``
does it (lsi-model.md §5.1): image in [0, 1], ``R·Wq + G·Wq + B·Wq`` with ``Wq = round(clamp(
weight.T, 0, 1))``. The captured vector equals it up to the world's documented scale factor.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from lsi_rig.config import load_rig
from lsi_rig.jobs.capture import capture_session
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks import load_masks
from lsi_rig.rig import build_rig
from lsi_rig.scenes import Scene
from lsi_rig.scenes.source import InMemoryScenes
from lsi_rig.storage import open_session


def _official_measurement(weight: torch.Tensor, image: np.ndarray) -> np.ndarray:
    img = torch.from_numpy(image.copy()).permute(2, 0, 1)[None].double() / 255.0  # [1, 3, 256, 256]
    wq = torch.round(torch.clamp(weight.double().T, 0, 1))  # [65536, n]
    planes = img.reshape(1, 3, 1, 65536)
    m = planes[:, 0] @ wq + planes[:, 1] @ wq + planes[:, 2] @ wq  # [1, 1, n]
    return m.reshape(-1).numpy()


def test_ideal_rig_equals_official_simulation_with_checkpoint_masks(tmp_path: Path) -> None:
    n = 32
    generator = torch.Generator().manual_seed(5)
    weight = torch.randn(n, 65536, generator=generator) * 0.8 + 0.5  # values below 0 and above 1
    checkpoint = tmp_path / "real_32.pt"
    torch.save({"mask": {"weight": weight}, "latent_avg": torch.zeros(512)}, checkpoint)
    masks = load_masks(str(checkpoint))
    rng = np.random.default_rng(11)
    scenes = [
        Scene(f"img{i}", rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)) for i in range(3)
    ]
    config = load_rig("sim-ideal")
    plan = plan_from_config(config.acquisition, scenes=InMemoryScenes(scenes), masks=masks)
    with build_rig(config) as rig:
        capture_session(config, plan, tmp_path / "ideal.h5", rig=rig)
        scale = rig.world.ideal_scale_v((256, 256))
    with open_session(tmp_path / "ideal.h5") as reader:
        samples = reader.vectors("samples").astype(np.float64)  # float32 on disk
        assert reader.masks().sha256 == masks.sha256
    for scene, measured in zip(scenes, samples, strict=True):
        official = _official_measurement(weight, scene.image)
        relative = np.abs(measured / scale - official) / np.abs(official)
        assert relative.max() < 1e-6, relative.max()
