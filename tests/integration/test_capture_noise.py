"""Acceptance: with noise on, the spread of repeated captures matches the noise model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lsi_rig.config import load_rig
from lsi_rig.jobs.capture import capture_session
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks import load_masks
from lsi_rig.rig import build_rig
from lsi_rig.scenes.procedural import demo_scenes
from lsi_rig.scenes.source import InMemoryScenes
from lsi_rig.storage import open_session


def test_repeated_captures_scatter_as_predicted(tmp_path: Path) -> None:
    config = load_rig("sim")  # shot, amplifier, DAQ and quantisation noise all on
    plan = plan_from_config(
        config.acquisition,
        scenes=InMemoryScenes(demo_scenes(count=1)),
        masks=load_masks("demo:hadamard16:32"),
        repeats=400,
    )
    with build_rig(config) as rig:
        capture_session(config, plan, tmp_path / "noise.h5", rig=rig)
        with open_session(tmp_path / "noise.h5") as reader:
            samples = reader.vectors("samples").astype(np.float64)  # [400, patterns]
        predicted = rig.world.predicted_noise_v(samples.mean(axis=0))
    measured = samples.std(axis=0, ddof=1)
    ratio = measured / predicted
    # 400 repeats: the std estimate itself scatters by ~3.5 %; the model must be within 10 %
    assert np.all(np.abs(ratio - 1) < 0.10), (ratio.min(), ratio.max())
    assert abs(np.median(ratio) - 1) < 0.05
    # bright patterns carry more shot noise than the dark reference
    assert predicted.max() > predicted.min()
