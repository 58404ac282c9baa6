"""Every mask count works on every rig (issue 7 §11): whatever the DLPC350 planner accepts
(fewer, longer patterns per frame for short sequences; frame streaming past 128), the world and
the emulator model it, and a real capture of a scene measures the right numbers."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from lsi_rig.config import load_rig
from lsi_rig.core.flags import RecordFlags
from lsi_rig.dmd.dlpc350.plan import plan_video_sequence
from lsi_rig.engine import AcquisitionEngine
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.rig import build_rig
from lsi_rig.scenes.scene import Scene
from lsi_rig.scenes.source import InMemoryScenes

pytestmark = pytest.mark.timeout(300)

COUNTS = (1, 4, 8, 16, 23, 24, 25, 32, 64, 128, 129, 256, 512)
SHAPE = (16, 16)
#: flags a clean capture may carry: none about edges, timing, reads or saturation
BAD = (
    RecordFlags.MISSING_EDGES
    | RecordFlags.EXTRA_EDGES
    | RecordFlags.TIMING_ANOMALY
    | RecordFlags.PARTIAL_READ
    | RecordFlags.SATURATED
    | RecordFlags.SCENE_NOT_SETTLED
)


class _Sink:
    def __init__(self) -> None:
        self.records: list[Any] = []

    def append(self, record: Any) -> int:
        self.records.append(record)
        return len(self.records) - 1


def _scene() -> Scene:
    rng = np.random.default_rng(11)
    return Scene("noise", rng.integers(40, 220, (64, 64, 3), dtype=np.uint8))


def _masks(n: int) -> MaskSet:
    bits = np.random.default_rng(n).random((n, *SHAPE)) < 0.5
    return MaskSet(bits, f"random{n}", "test")


def _capture(rig_name: str, n: int, references: bool) -> None:
    config = load_rig(rig_name)
    masks = _masks(n)
    plan = plan_from_config(config.acquisition, scenes=InMemoryScenes([_scene()]), masks=masks)
    plan = dataclasses.replace(plan, reference_every=32 if references else None)
    sink = _Sink()
    with build_rig(config) as rig:
        summary = AcquisitionEngine(rig).run(plan, sink)
        world = rig.world
        view = world.detector_view(SHAPE)  # volts each mask pixel sends when on
        dark_v = float(world.photodiode.volts(np.array(world.physics.optics.ambient_w)))
        noise = float(world.predicted_noise_v(np.array([2.5])).max())
        timing = summary.timing
    assert summary.records_written == 1
    (record,) = sink.records
    assert not record.flags & BAD, (rig_name, n, references, record.flags.names())
    assert record.vector_v.shape == (n,)
    expected = masks.flat() @ view.reshape(-1)
    if not references:
        expected = expected + dark_v
    if rig_name == "sim-ideal":
        np.testing.assert_allclose(record.vector_v, expected, rtol=1e-5, atol=1e-9)
    else:
        # float32 storage, noise (offset-corrected vectors subtract an interpolated dark too)
        tol = 6 * noise + 2e-4 * np.abs(expected)
        assert np.all(np.abs(record.vector_v - expected) <= tol), (
            rig_name,
            n,
            float(np.max(np.abs(record.vector_v - expected) / tol)),
        )
    assert timing is not None
    if rig_name == "emulated":
        n_patterns = timing.n_patterns
        video = plan_video_sequence(n_patterns, 60.0)
        assert timing.patterns_per_frame == video.patterns_per_frame == min(24, n_patterns)
        assert timing.edges_per_pass == video.displayed_patterns
        assert timing.exposure_us == math.floor(1e6 / 60 / min(24, n_patterns))


@pytest.mark.parametrize("references", [False, True], ids=["raw", "references"])
@pytest.mark.parametrize("n", COUNTS)
@pytest.mark.parametrize("rig_name", ["sim", "sim-ideal"])
def test_mask_counts_on_simulated_rigs(rig_name: str, n: int, references: bool) -> None:
    _capture(rig_name, n, references)


@pytest.mark.parametrize("references", [False, True], ids=["raw", "references"])
@pytest.mark.parametrize("n", COUNTS)
def test_mask_counts_on_the_emulated_rig(n: int, references: bool) -> None:
    _capture("emulated", n, references)
