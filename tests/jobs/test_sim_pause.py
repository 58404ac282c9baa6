"""On the simulated rig (noise on) a paused capture records exactly what an unpaused one does:
the record interrupted by the pause is measured again after the scene settled again, and the
world draws each pass's noise from its (scene, repeat, pass) key."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from lsi_rig.config import load_rig
from lsi_rig.jobs import CaptureJob, CaptureRequest, JobEvent, JobState, StateChanged
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks import load_masks
from lsi_rig.rig import build_rig
from lsi_rig.scenes.procedural import demo_scenes
from lsi_rig.scenes.source import InMemoryScenes
from lsi_rig.storage import open_session


def _capture(out: Path, pause_at_pass: int | None) -> tuple[np.ndarray, int]:
    config = load_rig("sim")
    plan = plan_from_config(
        config.acquisition,
        scenes=InMemoryScenes(demo_scenes(count=4)),
        masks=load_masks("demo:hadamard16:32"),
        averages=3,
        repeats=2,
    )
    with build_rig(config) as rig:
        job = CaptureJob(CaptureRequest(config, plan, out), rig=rig)
        reads = 0
        read = rig.detector.read

        def counting_read():  # type: ignore[no-untyped-def]
            nonlocal reads
            reads += 1
            if reads == pause_at_pass:
                job.pause()
            return read()

        rig.detector.read = counting_read  # type: ignore[method-assign]

        pauses = 0

        def operator(event: JobEvent) -> None:
            nonlocal pauses
            if isinstance(event, StateChanged) and event.new is JobState.PAUSED:
                pauses += 1
                threading.Timer(0.05, job.resume).start()

        job.subscribe(operator)
        result = job.run()
    assert result.status == "complete"
    with open_session(out) as reader:
        return reader.vectors("samples"), pauses


def test_a_paused_capture_equals_an_unpaused_one_bit_for_bit(tmp_path: Path) -> None:
    plain, none = _capture(tmp_path / "plain.h5", None)
    assert none == 0
    for at in (5, 7, 12):  # inside records, and on the boundary before a new scene
        paused, pauses = _capture(tmp_path / f"paused_{at}.h5", at)
        assert pauses == 1
        assert paused.tobytes() == plain.tobytes(), f"pause at pass {at} changed the data"
