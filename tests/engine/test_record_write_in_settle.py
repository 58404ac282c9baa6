"""A scene's last record is written while the next scene settles, and never held longer.

The write is the largest software cost of a batch scene; doing it inside the settle wait hides
it. These tests pin down when the held record reaches the sink: after the next scene is shown
and before its first pass; before a stop or a pause parks the engine; at the end; on every way
out of an error — and that the time it took is counted as hidden only while the wait absorbs it.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from lsi_rig.core.errors import DeviceError
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.engine import AcquisitionEngine, CapturePlan
from lsi_rig.engine.control import Phase, RunControl
from lsi_rig.masks import MaskSet
from lsi_rig.scenes import Scene
from lsi_rig.scenes.source import InMemoryScenes

from .fakes import MockDetector, MockDisplay, mock_rig


class WatchingSink:
    """Notes, for every record appended, how many scenes had been shown and passes read."""

    def __init__(self, display: MockDisplay, detector: MockDetector, delay_s: float = 0.0):
        self.display, self.detector, self.delay_s = display, detector, delay_s
        self.records: list[MeasurementRecord] = []
        self.seen: list[tuple[int, int, int, int]] = []  # scene, repeat, shown, passes
        self.fail_at: int | None = None

    def append(self, record: MeasurementRecord) -> int:
        if self.fail_at is not None and len(self.records) == self.fail_at:
            raise OSError("disk full (test)")
        if self.delay_s:
            time.sleep(self.delay_s)
        self.records.append(record)
        self.seen.append(
            (record.scene_index, record.repeat_index, len(self.display.shown), self.detector.passes)
        )
        return len(self.records) - 1


def _plan(n_scenes: int, **kw: object) -> CapturePlan:
    scenes = [Scene(f"s{i}", np.full((8, 8, 3), i * 10, dtype=np.uint8)) for i in range(n_scenes)]
    masks = MaskSet(np.random.default_rng(1).random((5, 4, 4)) > 0.5, "m", "test")
    return CapturePlan(scenes=InMemoryScenes(scenes), masks=masks, reference_every=None, **kw)


def test_last_record_of_a_scene_is_written_after_the_next_scene_is_shown() -> None:
    rig, display, _, detector = mock_rig()
    sink = WatchingSink(display, detector)
    summary = AcquisitionEngine(rig).run(_plan(3, repeats=2), sink)
    assert summary.records_written == 6
    # (scene, repeat, scenes shown, passes read) at each append: a repeat that is not the
    # scene's last is written at once; the last waits for the next show, not for its first pass
    assert sink.seen == [
        (0, 0, 1, 1),
        (0, 1, 2, 2),
        (1, 0, 2, 3),
        (1, 1, 3, 4),
        (2, 0, 3, 5),
        (2, 1, 3, 6),  # the run's last record: at the end
    ]


def test_a_stop_between_scenes_writes_the_held_record_first() -> None:
    rig, display, _, detector = mock_rig()
    sink = WatchingSink(display, detector)
    engine = AcquisitionEngine(rig)

    def stop_after_scene_two(det: object) -> None:
        if detector.passes == 2:
            engine.stop()

    detector.on_read = stop_after_scene_two
    summary = engine.run(_plan(5), sink)
    assert summary.stopped and summary.records_written == 2
    assert [(r.scene_index, r.repeat_index) for r in sink.records] == [(0, 0), (1, 0)]
    assert len(display.shown) == 2  # scene 2 never shown


def test_a_pause_between_scenes_parks_only_after_the_held_record_is_written() -> None:
    rig, display, _, detector = mock_rig()
    sink = WatchingSink(display, detector)
    at_park: list[tuple[Phase, int]] = []

    def listener(paused: bool, phase: Phase, reason: str) -> None:
        if paused:
            at_park.append((phase, len(sink.records)))
            threading.Timer(0.01, control.resume).start()

    control = RunControl(listener)
    engine = AcquisitionEngine(rig, control=control)

    def pause_after_scene_one(det: object) -> None:
        if detector.passes == 1:
            control.pause()

    detector.on_read = pause_after_scene_one
    summary = engine.run(_plan(3), sink)
    assert at_park == [(Phase.BETWEEN_SCENES, 1)]  # every measured record on disk while parked
    assert summary.records_written == 3 and not summary.stopped
    assert [(r.scene_index, r.repeat_index) for r in sink.records] == [(0, 0), (1, 0), (2, 0)]


@pytest.mark.parametrize(
    "failure", [DeviceError("monitor unplugged (test)"), KeyboardInterrupt(), RuntimeError("bug")]
)
def test_an_error_showing_the_next_scene_still_writes_the_held_record(
    failure: BaseException,
) -> None:
    rig, display, dmd, detector = mock_rig()
    sink = WatchingSink(display, detector)
    show = display.show

    def failing_show(image: np.ndarray) -> float:
        if len(display.shown) == 2:
            raise failure
        return show(image)

    display.show = failing_show  # type: ignore[method-assign]
    with pytest.raises(type(failure)):
        AcquisitionEngine(rig).run(_plan(4), sink)
    assert [(r.scene_index, r.repeat_index) for r in sink.records] == [(0, 0), (1, 0)]
    assert dmd.calls[-1] == "stop"


def test_an_error_inside_the_next_record_still_writes_the_held_record() -> None:
    rig, display, _, detector = mock_rig()
    detector.failures[1] = DeviceError("DAQ gone (test)")  # the first read of scene 1
    sink = WatchingSink(display, detector)
    with pytest.raises(DeviceError, match="DAQ gone"):
        AcquisitionEngine(rig).run(_plan(3), sink)
    assert [(r.scene_index, r.repeat_index) for r in sink.records] == [(0, 0)]


def test_a_failing_write_of_the_held_record_is_the_error_reported() -> None:
    rig, display, _, detector = mock_rig()
    sink = WatchingSink(display, detector)
    sink.fail_at = 1  # the write of scene 1's record, done while scene 2 settles
    with pytest.raises(OSError, match="disk full"):
        AcquisitionEngine(rig).run(_plan(4), sink)
    assert [(r.scene_index, r.repeat_index) for r in sink.records] == [(0, 0)]
    assert len(display.shown) == 3  # it stopped there: nothing measured after the failure


def test_a_failing_write_while_another_error_is_raised_does_not_hide_it() -> None:
    rig, display, _, detector = mock_rig()
    sink = WatchingSink(display, detector)
    sink.fail_at = 0  # the held record of scene 0 cannot be written either
    show = display.show

    def failing_show(image: np.ndarray) -> float:
        if len(display.shown) == 1:
            raise DeviceError("monitor unplugged (test)")
        return show(image)

    display.show = failing_show  # type: ignore[method-assign]
    with pytest.raises(DeviceError, match="monitor unplugged"):
        AcquisitionEngine(rig).run(_plan(3), sink)
    assert sink.records == []


def test_write_time_inside_the_settle_wait_is_hidden_not_lost() -> None:
    rig, display, _, detector = mock_rig()
    sink = WatchingSink(display, detector, delay_s=0.01)
    summary = AcquisitionEngine(rig).run(_plan(4), sink)
    # three of the four writes happen inside a 50 ms settle wait: hidden; the last one (after
    # the last pass, ≥ 10 ms of sink time) is not
    assert 0.03 <= summary.hidden_s < summary.sink_s
    assert summary.overhead_s == pytest.approx(summary.wall_s - summary.device_s - summary.hidden_s)
    assert summary.overhead_s >= 0.01  # the last write, after the last pass, is not hidden


def test_without_a_settle_wait_nothing_is_hidden() -> None:
    rig, display, _, detector = mock_rig()
    sink = WatchingSink(display, detector, delay_s=0.005)
    summary = AcquisitionEngine(rig).run(_plan(4, settle_s=0.0), sink)
    assert summary.hidden_s == 0.0
    assert summary.overhead_s >= 4 * 0.005
