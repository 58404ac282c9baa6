"""Reproducible per measurement (issue 8 §2, world side): once the settle time has passed, a
record's samples are a function of (world seed, the scene shown, the record key) only — not of
the scene before it, the pass phase, the clock or the sequencer run. So a capture resumed on a
fresh rig reproduces the uninterrupted one bit for bit (``--rig sim``, noise on)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from lsi_rig.config import load_rig
from lsi_rig.core.flags import RecordFlags
from lsi_rig.detector.config import SimDetectorConfig
from lsi_rig.detector.protocol import AcquisitionRequest
from lsi_rig.detector.sim import SimDetector
from lsi_rig.engine import AcquisitionEngine
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks import load_masks
from lsi_rig.rig import Rig, build_rig
from lsi_rig.scenes.scene import Scene
from lsi_rig.scenes.source import InMemoryScenes
from lsi_rig.world import World

MASKS = "demo:hadamard16:32"


class _Sink:
    def __init__(self) -> None:
        self.records: list[Any] = []

    def append(self, record: Any) -> int:
        self.records.append(record)
        return len(self.records) - 1


class _ResumedKeys:
    """The detector of a resumed run: the engine numbers its scenes from 0, the resume names
    them by their index in the original plan (what ``--resume`` passes as ``record_key``)."""

    def __init__(self, inner: Any, first_scene: int, *, keep_keys: bool = True) -> None:
        self.inner = inner
        self.first_scene = first_scene
        self.keep_keys = keep_keys

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def arm(self, request: AcquisitionRequest) -> None:
        key = request.record_key
        if key is not None:
            key = (key[0] + self.first_scene, key[1], key[2]) if self.keep_keys else None
        self.inner.arm(dataclasses.replace(request, record_key=key))

    def read(self) -> Any:
        return self.inner.read()


class _Devices:
    def __init__(self, rig: Rig, detector: Any) -> None:
        self.clock, self.display, self.dmd, self.sync = rig.clock, rig.display, rig.dmd, rig.sync
        self.detector = detector


def _scenes() -> list[Scene]:
    rng = np.random.default_rng(21)
    return [Scene(f"s{i}", rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)) for i in range(10)]


def _capture(
    scenes: list[Scene],
    first: int,
    *,
    averages: int,
    repeats: int,
    keep_keys: bool = True,
    clock_offset_s: float = 0.0,
) -> dict[tuple[int, int], np.ndarray]:
    config = load_rig("sim")  # shot, amplifier, DAQ and quantisation noise on
    plan = plan_from_config(
        config.acquisition,
        scenes=InMemoryScenes(scenes[first:]),
        masks=load_masks(MASKS),
        averages=averages,
        repeats=repeats,
    )
    sink = _Sink()
    with build_rig(config) as rig:
        rig.clock.sleep_s(clock_offset_s)  # a later start: another sequencer phase and clock
        detector = _ResumedKeys(rig.detector, first, keep_keys=keep_keys)
        AcquisitionEngine(_Devices(rig, detector)).run(plan, sink)
    assert len(sink.records) == plan.n_records
    return {(r.scene_index + first, r.repeat_index): r.samples_v for r in sink.records}


@pytest.mark.parametrize(("averages", "repeats"), [(1, 1), (2, 1), (1, 2), (2, 2)])
def test_resumed_capture_is_bit_identical(averages: int, repeats: int) -> None:
    scenes = _scenes()
    full = _capture(scenes, 0, averages=averages, repeats=repeats)
    resumed = _capture(scenes, 4, averages=averages, repeats=repeats, clock_offset_s=0.0371)
    assert sorted(resumed) == [(s, r) for s in range(4, 10) for r in range(repeats)]
    for key, samples in resumed.items():
        assert np.array_equal(samples, full[key]), key
    # the noise is real: repeats of a scene differ, and so do different scenes
    if repeats == 2:
        assert not np.array_equal(full[(5, 0)], full[(5, 1)])
    assert not np.array_equal(full[(5, 0)], full[(6, 0)])


def test_without_keys_a_resumed_capture_differs() -> None:
    """Control: the sequential noise stream depends on what was measured before."""
    scenes = _scenes()
    full = _capture(scenes, 0, averages=1, repeats=1, keep_keys=False)
    resumed = _capture(scenes, 4, averages=1, repeats=1, keep_keys=False)
    assert not any(np.array_equal(resumed[k], full[k]) for k in resumed)


def _world_and_detector() -> tuple[World, SimDetector]:
    config = load_rig("sim").world
    assert config is not None
    world = World(config)
    bits = np.random.default_rng(2).random((40, 16, 16)) < 0.5
    world.load_patterns(bits, level="mask", exposure_us=250.0, period_us=250.0)
    return world, SimDetector(SimDetectorConfig(gain_db=40, range_v=10.0), world)


def _read(world: World, detector: SimDetector, key: tuple[int, int, int] | None) -> Any:
    detector.arm(AcquisitionRequest(40, 250.0, 250.0, 40 * 250.0, 1.0, record_key=key))
    return detector.read()


class TestSettledScene:
    def test_predecessor_and_pass_phase_leave_no_trace(self) -> None:
        scene, before_a, before_b = (s.image for s in _scenes()[:3])
        results = []
        for previous, phase_s in ((None, 0.0), (before_a, 0.0031), (before_b, 0.0077)):
            world, detector = _world_and_detector()
            world.start_sequence()
            world.clock.sleep_s(0.5 + phase_s)
            if previous is not None:
                world.show_scene(previous)
                world.clock.sleep_s(0.2)
            world.show_scene(scene)
            world.clock.sleep_s(world.config.monitor.settle_time_s)
            reading = _read(world, detector, (7, 0, 0))
            assert not reading.flags & RecordFlags.SCENE_NOT_SETTLED
            results.append(reading.samples_v)
        assert all(np.array_equal(results[0], r) for r in results[1:])

    def test_short_settle_is_flagged_and_shows_the_previous_scene(self) -> None:
        scene, previous = (s.image for s in _scenes()[:2])
        readings = []
        for settle_s in (0.002, 0.05):
            for before in (None, previous):
                world, detector = _world_and_detector()
                world.start_sequence()
                if before is not None:
                    world.show_scene(before)
                    world.clock.sleep_s(0.2)
                world.show_scene(scene)
                world.clock.sleep_s(settle_s)
                readings.append(_read(world, detector, (1, 0, 0)))
        short_dark, short_prev, long_dark, long_prev = readings
        assert short_dark.flags & RecordFlags.SCENE_NOT_SETTLED
        assert short_prev.flags & RecordFlags.SCENE_NOT_SETTLED
        assert not (long_dark.flags | long_prev.flags) & RecordFlags.SCENE_NOT_SETTLED
        # 1 τ after the change the blend is physics: the earlier picture still shows
        assert not np.array_equal(short_dark.samples_v, short_prev.samples_v)
        assert np.abs(short_dark.samples_v - short_prev.samples_v).max() > 1e-3
        assert np.array_equal(long_dark.samples_v, long_prev.samples_v)
