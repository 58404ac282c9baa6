"""The capture job on mock devices: states, events, stop/pause in every phase, error policy.

Mocks answer instantly on a simulated clock, so every phase can be hit deterministically by a
hook that runs inside a device call (the detector's ``on_read``) or by a second thread.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from lsi_rig.core.errors import DeviceError, DeviceNotFoundError, DeviceTimeoutError
from lsi_rig.core.flags import RecordFlags
from lsi_rig.dmd.protocol import DmdStatus
from lsi_rig.engine import CapturePlan
from lsi_rig.engine.policy import ErrorPolicy, OnExhausted
from lsi_rig.jobs import (
    CaptureJob,
    CaptureRequest,
    JobEvent,
    JobFailed,
    JobFinished,
    JobState,
    JobWarning,
    RecordCommitted,
    StateChanged,
)
from lsi_rig.masks import MaskSet
from lsi_rig.scenes import Scene
from lsi_rig.scenes.source import InMemoryScenes
from lsi_rig.storage import open_session

from ..engine.fakes import mock_rig


def _plan(n_scenes: int = 3, **kw: object) -> CapturePlan:
    scenes = [Scene(f"s{i}", np.full((8, 8, 3), i * 10, dtype=np.uint8)) for i in range(n_scenes)]
    masks = MaskSet(np.random.default_rng(1).random((5, 4, 4)) > 0.5, "m", "test")
    return CapturePlan(scenes=InMemoryScenes(scenes), masks=masks, reference_every=None, **kw)


class Recorder:
    def __init__(self) -> None:
        self.events: list[JobEvent] = []

    def __call__(self, event: JobEvent) -> None:
        self.events.append(event)

    def states(self) -> list[JobState]:
        return [e.new for e in self.events if isinstance(e, StateChanged)]

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


def _job(tmp_path: Path, plan: CapturePlan, **kw: object) -> tuple[CaptureJob, Recorder, object]:
    rig, display, dmd, detector = mock_rig()
    request = CaptureRequest(rig_config=rig.config, plan=plan, out=tmp_path / "s.h5", **kw)
    job = CaptureJob(request, rig=rig)
    rec = Recorder()
    job.subscribe(rec)
    return job, rec, (rig, display, dmd, detector)


def _keys(path: Path) -> list[tuple[int, int]]:
    with open_session(path) as reader:
        table = reader.records_table()
        return list(zip(table["scene_index"].tolist(), table["repeat_index"].tolist(), strict=True))


def test_a_plain_capture_walks_idle_preparing_running_finished(tmp_path: Path) -> None:
    job, rec, _ = _job(tmp_path, _plan(3, repeats=2))
    assert job.state is JobState.IDLE
    result = job.run()
    assert rec.states() == [JobState.PREPARING, JobState.RUNNING, JobState.FINISHED]
    committed = rec.of(RecordCommitted)
    assert [e.index for e in committed] == list(range(6))
    assert [(e.record.scene_index, e.record.repeat_index) for e in committed] == _keys(
        tmp_path / "s.h5"
    )
    (finished,) = rec.of(JobFinished)
    assert finished.status == "complete" and result.status == "complete"
    assert result.state is JobState.FINISHED and job.state is JobState.FINISHED
    with open_session(tmp_path / "s.h5") as reader:
        assert reader.status == "complete" and reader.n_records == 6


def test_a_stop_before_start_cancels_without_a_file(tmp_path: Path) -> None:
    job, rec, (_, display, dmd, _) = _job(tmp_path, _plan())
    job.stop()
    result = job.run()
    assert result.state is JobState.CANCELLED and result.status is None
    assert not (tmp_path / "s.h5").exists() and list(tmp_path.iterdir()) == []
    assert dmd.calls == [] and display.shown == []
    assert rec.states() == [JobState.CANCELLED]


def test_a_stop_while_preparing_ends_cleanly(tmp_path: Path) -> None:
    job, _rec, (_, _, dmd, _) = _job(tmp_path, _plan())
    original = dmd.load_sequence

    def load_then_stop(sequence: object) -> object:
        timing = original(sequence)
        job.stop()  # pressed while the DMD is being programmed
        return timing

    dmd.load_sequence = load_then_stop
    result = job.run()
    assert result.state is JobState.CANCELLED
    assert not (tmp_path / "s.h5").exists()
    assert "start" not in dmd.calls


def test_a_stop_inside_the_averages_loop_drops_only_the_record_in_progress(
    tmp_path: Path,
) -> None:
    job, _rec, (_, _, dmd, detector) = _job(tmp_path, _plan(3, averages=4))

    def stop_in_second_record(det: object) -> None:
        if detector.passes == 6:  # record 0 took passes 1-4; record 1 is half done
            job.stop()

    detector.on_read = stop_in_second_record
    result = job.run()
    assert result.state is JobState.CANCELLED and result.status == "interrupted"
    assert detector.passes == 6  # honoured before the next pass, not after the record
    assert _keys(tmp_path / "s.h5") == [(0, 0)]
    assert dmd.calls[-1] == "stop"
    with open_session(tmp_path / "s.h5") as reader:
        assert reader.status == "interrupted"


def test_pause_inside_a_record_parks_then_restarts_the_record(tmp_path: Path) -> None:
    job, rec, (_, display, _, detector) = _job(tmp_path, _plan(2, averages=3))
    parked = threading.Event()
    job.subscribe(
        lambda e: parked.set() if isinstance(e, StateChanged) and e.new is JobState.PAUSED else None
    )

    def pause_in_first_record(det: object) -> None:
        if detector.passes == 2:
            job.pause()

    detector.on_read = pause_in_first_record
    job.start()
    assert parked.wait(10), "the job never reported PAUSED"
    assert job.state is JobState.PAUSED
    passes_when_parked = detector.passes
    threading.Event().wait(0.05)
    assert detector.passes == passes_when_parked  # really waiting, not measuring
    job.resume()
    result = job.wait(10)
    assert result is not None and result.status == "complete"
    assert rec.states() == [
        JobState.PREPARING,
        JobState.RUNNING,
        JobState.PAUSED,
        JobState.RUNNING,
        JobState.FINISHED,
    ]
    pause = next(e for e in rec.of(StateChanged) if e.new is JobState.PAUSED)
    assert "inside a record" in pause.reason
    # the two passes before the pause were dropped: record 0 is made of passes 2, 3, 4
    with open_session(tmp_path / "s.h5") as reader:
        first = reader.record(0)
    assert first.n_averaged == 3
    shown_before_record = 2  # the scene was shown again after the pause
    expected = np.arange(5) + 1000.0 * shown_before_record + np.mean([2, 3, 4])
    np.testing.assert_allclose(first.raw_v, expected)
    assert len(display.shown) == 3  # scene 0, scene 0 again after the pause, scene 1


@pytest.mark.parametrize(
    ("when", "phase"),
    [
        # asked during the scene's last pass: honoured between scenes, after its record is written
        ("last pass read", "between scenes"),
        # asked when the record is reported (it is written while the next scene settles):
        # honoured before the next scene's first pass, nothing of it measured
        ("record committed", "inside a record"),
    ],
)
def test_pause_between_scenes_and_stop_while_paused(tmp_path: Path, when: str, phase: str) -> None:
    job, rec, (_, _, _, detector) = _job(tmp_path, _plan(3))
    parked = threading.Event()

    def on_event(event: JobEvent) -> None:
        if when == "record committed" and isinstance(event, RecordCommitted) and event.index == 0:
            job.pause()
        if isinstance(event, StateChanged) and event.new is JobState.PAUSED:
            parked.set()

    def on_read(det: object) -> None:
        if when == "last pass read" and detector.passes == 1:
            job.pause()

    detector.on_read = on_read
    job.subscribe(on_event)
    job.start()
    try:
        assert parked.wait(10)
        on_disk_while_parked = _keys(tmp_path / "s.h5")
        passes_while_parked = detector.passes
    finally:
        job.stop()  # a failed assertion must not leave the job parked forever
    result = job.wait(10)
    pause = next(e for e in rec.of(StateChanged) if e.new is JobState.PAUSED)
    assert phase in pause.reason
    assert on_disk_while_parked == [(0, 0)]
    assert passes_while_parked == 1
    assert result is not None and result.state is JobState.CANCELLED
    assert _keys(tmp_path / "s.h5") == [(0, 0)]


def test_job_in_its_own_thread_reports_failures_as_events(tmp_path: Path) -> None:
    job, rec, (_, _, _, detector) = _job(tmp_path, _plan(3))
    detector.failures = {1: DeviceNotFoundError("DAQ Dev1: device not found (unplugged?)")}
    job.start()
    result = job.wait(10)
    assert result is not None and result.state is JobState.FAILED
    (failed,) = rec.of(JobFailed)
    assert failed.message == "DAQ Dev1: device not found (unplugged?)"
    assert failed.records_kept == 1 and not failed.internal
    with open_session(tmp_path / "s.h5") as reader:
        assert reader.status == "failed" and reader.n_records == 1
        assert any("device not found" in line for line in reader.log_lines())


def test_a_monitor_fault_on_the_next_scene_keeps_the_record_held_for_it(tmp_path: Path) -> None:
    # scene 1's record is written while scene 2 settles; the show of scene 2 fails first
    job, _rec, (_, display, _, _) = _job(tmp_path, _plan(4))
    show = display.show

    def failing_show(image: np.ndarray) -> float:
        if len(display.shown) == 2:
            raise DeviceError("HDMI: no signal on the scene monitor (test)")
        return show(image)

    display.show = failing_show  # type: ignore[method-assign]
    job.start()
    result = job.wait(10)
    assert result is not None and result.state is JobState.FAILED
    with open_session(tmp_path / "s.h5") as reader:
        assert reader.status == "failed" and reader.n_records == 2
    assert _keys(tmp_path / "s.h5") == [(0, 0), (1, 0)]


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_transient_faults_are_retried_then_the_record_is_measured(
    tmp_path: Path, retries: int
) -> None:
    job, _rec, (_, _, _, detector) = _job(tmp_path, _plan(2), policy=ErrorPolicy(retries=retries))
    detector.failures = {1 + i: DeviceTimeoutError(f"DAQ timeout {i}") for i in range(retries)}
    result = job.run()
    assert result.status == "complete" and result.summary is not None
    assert result.summary.retries == retries
    assert _keys(tmp_path / "s.h5") == [(0, 0), (1, 0)]


def test_partial_reads_count_as_transient(tmp_path: Path) -> None:
    job, _, (_, _, _, detector) = _job(tmp_path, _plan(1), policy=ErrorPolicy(retries=2))
    detector.read_flags = {0: RecordFlags.PARTIAL_READ, 1: RecordFlags.PARTIAL_READ}
    result = job.run()
    assert result.status == "complete"
    with open_session(tmp_path / "s.h5") as reader:
        assert not RecordFlags(int(reader.records_table()["flags"][0])) & RecordFlags.PARTIAL_READ


def test_exhausted_retries_skip_the_record(tmp_path: Path) -> None:
    job, rec, (_, _, _, detector) = _job(
        tmp_path, _plan(3), policy=ErrorPolicy(retries=1, on_exhausted=OnExhausted.SKIP)
    )
    detector.failures = {1: DeviceTimeoutError("t1"), 2: DeviceTimeoutError("t2")}
    result = job.run()
    assert result.state is JobState.FINISHED and result.status == "interrupted"
    assert result.summary is not None and result.summary.skipped == [(1, 0)]
    assert _keys(tmp_path / "s.h5") == [(0, 0), (2, 0)]
    assert any("scene 1 repeat 0 skipped" in w.message for w in rec.of(JobWarning))
    with open_session(tmp_path / "s.h5") as reader:
        assert any("skipped" in line for line in reader.log_lines())


def test_exhausted_retries_fail_the_run(tmp_path: Path) -> None:
    job, _rec, (_, _, _, detector) = _job(
        tmp_path, _plan(3), policy=ErrorPolicy(retries=1, on_exhausted=OnExhausted.FAIL)
    )
    detector.failures = {1: DeviceTimeoutError("DAQ: read timed out"), 2: DeviceTimeoutError("x")}
    with pytest.raises(DeviceError, match="after 2 attempts"):
        job.run()
    assert job.state is JobState.FAILED
    assert _keys(tmp_path / "s.h5") == [(0, 0)]
    with open_session(tmp_path / "s.h5") as reader:
        assert reader.status == "failed"


def test_exhausted_retries_pause_for_the_operator(tmp_path: Path) -> None:
    job, rec, (_, _, _, detector) = _job(
        tmp_path, _plan(2), policy=ErrorPolicy(retries=0, on_exhausted=OnExhausted.PAUSE)
    )
    detector.failures = {1: DeviceTimeoutError("DAQ: read timed out")}
    parked = threading.Event()
    job.subscribe(
        lambda e: parked.set() if isinstance(e, StateChanged) and e.new is JobState.PAUSED else None
    )
    job.start()
    assert parked.wait(10)
    pause = next(e for e in rec.of(StateChanged) if e.new is JobState.PAUSED)
    assert "DAQ: read timed out" in pause.reason and "waiting for the operator" in pause.reason
    job.resume()
    result = job.wait(10)
    assert result is not None and result.status == "complete"
    assert _keys(tmp_path / "s.h5") == [(0, 0), (1, 0)]


def test_fatal_device_errors_are_not_retried(tmp_path: Path) -> None:
    job, _, (_, _, _, detector) = _job(tmp_path, _plan(2), policy=ErrorPolicy(retries=5))
    detector.failures = {0: DeviceError("DLPC350: NACK on 0x1A1B")}
    with pytest.raises(DeviceError, match="NACK"):
        job.run()
    assert detector.reads == 1


def test_an_unhealthy_dmd_flags_the_record_and_fails_the_run(tmp_path: Path) -> None:
    job, rec, (_, _, dmd, detector) = _job(tmp_path, _plan(4), health_interval_s=0.0)

    def unlock_after_two(det: object) -> None:
        if detector.passes == 2:
            dmd.status_override = DmdStatus(running=True, healthy=False, video_locked=False)

    detector.on_read = unlock_after_two
    with pytest.raises(DeviceError, match="video input not locked"):
        job.run()
    with open_session(tmp_path / "s.h5") as reader:
        assert reader.status == "failed" and reader.n_records == 2
        flags = RecordFlags(int(reader.records_table()["flags"][1]))
    assert flags & RecordFlags.DEVICE_WARNING
    (failed,) = rec.of(JobFailed)
    assert "record 1/0 kept" in failed.message


def test_a_dmd_that_cannot_be_stopped_fails_the_run(tmp_path: Path) -> None:
    job, _, (_, _, dmd, _) = _job(tmp_path, _plan(2))
    dmd.stop_error = DeviceError("DLPC350: no answer to Stop (USB timeout)")
    with pytest.raises(DeviceError, match="no answer to Stop"):
        job.run()
    with open_session(tmp_path / "s.h5") as reader:
        assert reader.status == "failed" and reader.n_records == 2


def test_each_pass_is_named_for_the_detector(tmp_path: Path) -> None:
    job, _, (_, _, _, detector) = _job(tmp_path, _plan(2, repeats=2, averages=2))
    job.run()
    keys = [r.record_key for r in detector.requests]
    assert keys == [(s, r, p) for s in range(2) for r in range(2) for p in range(2)]


class _DoubleIt:
    """A stand-in calibration with visible effects: inverted scenes, doubled vectors."""

    def __init__(self) -> None:
        from lsi_rig.core.calibration import CalibrationSnapshot

        self.snapshot = CalibrationSnapshot.create(rig_name="mock", content_yaml="double: 2\n")

    def scene_image(self, image: np.ndarray) -> np.ndarray:
        return 255 - image

    def calibrate(self, vector_v: np.ndarray) -> np.ndarray:
        return 2 * vector_v


def test_a_calibration_draws_the_scenes_and_calibrates_every_record(tmp_path: Path) -> None:
    job, rec, (_, display, _, _) = _job(tmp_path, _plan(2), calibration=_DoubleIt())
    job.run()
    assert [int(img[0, 0, 0]) for img in display.shown] == [255, 245]
    for event in rec.of(RecordCommitted):
        assert event.record.calibrated_v is not None
        np.testing.assert_array_equal(event.record.calibrated_v, 2 * event.record.vector_v)
        assert event.progress.record is event.record
    with open_session(tmp_path / "s.h5") as reader:  # the scene table names the originals
        assert reader.calibration_sha256 == rec_cal_sha(job)
        np.testing.assert_array_equal(reader.vectors("calibrated"), 2 * reader.vectors())
        assert [s.sha256 for s in reader.scenes()] == [
            s.info.sha256 for s in (Scene(f"s{i}", np.full((8, 8, 3), i * 10, np.uint8))
                                    for i in range(2))
        ]  # fmt: skip


def rec_cal_sha(job: CaptureJob) -> str:
    assert job.request.calibration is not None
    return job.request.calibration.snapshot.sha256
