"""Qt devices safe from any thread (issue 8 §5): the scene window and the DMD video window live
in the GUI thread and a capture running in a worker ``QThread`` reaches them through the blocking
queued proxy (:mod:`lsi_rig.qtgui.gui_thread`). Qt must report no cross-thread warning, and the
frames on screen must be the planned ones."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PyQt6.QtCore import QThread, qInstallMessageHandler

from lsi_rig.config import load_rig
from lsi_rig.config.load import parse_rig
from lsi_rig.core.errors import DeviceTimeoutError
from lsi_rig.dmd.dlpc350.packing import pack_frames, place_masks
from lsi_rig.engine import AcquisitionEngine
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks import load_masks
from lsi_rig.qtgui.gui_thread import call_in_gui_thread, in_gui_thread
from lsi_rig.rig import build_rig
from lsi_rig.scenes.scene import Scene
from lsi_rig.scenes.source import InMemoryScenes

pytestmark = [pytest.mark.gui, pytest.mark.timeout(120)]

SIDE = 64


@pytest.fixture
def qt_messages(qtbot: Any) -> Iterator[list[str]]:
    """Every message Qt logs during the test (our handler replaces pytest-qt's for its span)."""
    messages: list[str] = []

    def handler(_mode: Any, _context: Any, message: str | None) -> None:
        messages.append(message or "")

    previous = qInstallMessageHandler(handler)
    try:
        yield messages
    finally:
        qInstallMessageHandler(previous)


def thread_warnings(messages: list[str]) -> list[str]:
    words = ("thread", "qobject", "timer", "cannot create children", "cannot send events")
    return [m for m in messages if any(w in m.lower() for w in words)]


class _Worker(QThread):
    def __init__(self, fn: Any) -> None:
        super().__init__()
        self.fn = fn
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:
            self.error = exc


def _in_worker(qtbot: Any, fn: Any, timeout_ms: int = 60_000) -> Any:
    worker = _Worker(fn)
    worker.start()
    qtbot.waitUntil(worker.isFinished, timeout=timeout_ms)  # the GUI loop runs meanwhile
    worker.wait()
    if worker.error is not None:
        raise worker.error
    return worker.result


class TestProxy:
    def test_worker_calls_run_in_the_gui_thread(self, qtbot: Any) -> None:
        gui = QThread.currentThread()
        seen: list[Any] = []

        def in_gui() -> int:
            seen.append((QThread.currentThread() is gui, in_gui_thread()))
            return 42

        assert _in_worker(qtbot, lambda: call_in_gui_thread(in_gui, what="test")) == 42
        assert seen == [(True, True)]
        assert call_in_gui_thread(in_gui, what="test") == 42  # from the GUI thread: direct

    def test_exceptions_are_reraised_in_the_caller(self, qtbot: Any) -> None:
        def fails() -> None:
            raise ValueError("raised in the GUI thread")

        with pytest.raises(ValueError, match="raised in the GUI thread"):
            _in_worker(qtbot, lambda: call_in_gui_thread(fails, what="test"))

    def test_blocked_gui_loop_times_out_and_the_call_is_dropped(self, qtbot: Any) -> None:
        ran: list[bool] = []
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                call_in_gui_thread(lambda: ran.append(True), what="scene monitor", timeout_s=0.2)
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(timeout=10)  # the GUI thread is blocked here: nothing processes the call
        assert len(errors) == 1 and isinstance(errors[0], DeviceTimeoutError)
        assert "scene monitor: the Qt GUI thread did not run the request" in str(errors[0])
        qtbot.wait(50)  # the loop runs again: the abandoned call must not act late
        assert ran == []

    def test_the_message_handler_sees_cross_thread_misuse(
        self, qtbot: Any, qt_messages: list[str]
    ) -> None:
        """Control: touching a GUI-thread timer from a worker is what Qt warns about."""
        from PyQt6.QtCore import QTimer

        timer = QTimer()
        _in_worker(qtbot, lambda: timer.start(10))
        assert thread_warnings(qt_messages), qt_messages


class _Grabbing:
    """Wraps a window device: after each show, grab what is on screen (through the proxy)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.shown: list[tuple[np.ndarray, np.ndarray]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def show(self, image: np.ndarray) -> float:
        t = self.inner.show(image)
        self.shown.append((image, self.inner.grab()))
        return float(t)


class _GrabbingDmd:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.loaded: list[tuple[Any, Any, np.ndarray]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def load_sequence(self, sequence: Any) -> Any:
        timing = self.inner.load_sequence(sequence)
        window, board_input = self.inner.video.outputs  # the tee: window, emulator's input
        self.loaded.append((sequence, timing, window.grab()))
        self.received = board_input.snapshot()[0]
        return timing


class _Devices:
    def __init__(self, rig: Any) -> None:
        self.clock, self.detector, self.sync = rig.clock, rig.detector, rig.sync
        self.display = _Grabbing(rig.display)
        self.dmd = _GrabbingDmd(rig.dmd)


def test_capture_in_a_worker_qthread_with_window_devices(
    qtbot: Any, qt_messages: list[str]
) -> None:
    data = load_rig("emulated").model_dump(mode="json")
    data["devices"]["display"] = {
        "backend": "window",
        "image_size_px": SIDE,
        "settle_time_s": 0.0,
    }
    data["devices"]["dmd"]["video_output"] = "window"
    config = parse_rig(data, "window rig")
    rng = np.random.default_rng(3)
    scenes = [Scene(f"s{i}", rng.integers(0, 256, (SIDE, SIDE, 3), np.uint8)) for i in range(3)]
    plan = plan_from_config(
        config.acquisition, scenes=InMemoryScenes(scenes), masks=load_masks("demo:hadamard16:16")
    )

    class Sink:
        def __init__(self) -> None:
            self.records: list[Any] = []

        def append(self, record: Any) -> int:
            self.records.append(record)
            return len(self.records) - 1

    with build_rig(config) as rig:  # windows are created here, in the GUI thread
        devices = _Devices(rig)
        sink = Sink()
        summary = _in_worker(qtbot, lambda: AcquisitionEngine(devices).run(plan, sink))
    assert summary.records_written == 3 and len(sink.records) == 3
    assert thread_warnings(qt_messages) == [], qt_messages
    # the scene window showed each planned scene, 1:1, centred
    assert len(devices.display.shown) == 3
    for scene, (image, grab) in zip(scenes, devices.display.shown, strict=True):
        assert image is scene.image or np.array_equal(image, scene.image)
        h, w, _ = grab.shape
        top, left = (h - SIDE) // 2, (w - SIDE) // 2
        assert np.array_equal(grab[top : top + SIDE, left : left + SIDE], scene.image)
    # the DMD window showed the packed frame of the planned sequence
    ((sequence, timing, frame_grab),) = devices.dmd.loaded
    frames = pack_frames(sequence.bits(), place_masks(sequence.masks.shape), 24)
    assert frames.shape[0] == 1 and timing.patterns_per_frame == sequence.n_patterns == 20
    h, w = min(frame_grab.shape[0], 1140), min(frame_grab.shape[1], 912)
    assert h >= 600 and w >= 600 and frames[0, :h, :w].any()
    assert np.array_equal(frame_grab[:h, :w], frames[0, :h, :w])
    # and the emulated board received the same frames on its video input
    assert np.array_equal(devices.dmd.received, frames)


def test_a_capture_job_in_a_worker_qthread_with_window_devices(
    qtbot: Any, qt_messages: list[str], tmp_path: Any
) -> None:
    """The same through the capture job the app runs: session written, no thread warning."""
    from lsi_rig.jobs import CaptureJob, CaptureRequest
    from lsi_rig.storage import open_session

    data = load_rig("emulated").model_dump(mode="json")
    data["devices"]["display"] = {"backend": "window", "image_size_px": SIDE, "settle_time_s": 0}
    data["devices"]["dmd"]["video_output"] = "window"
    config = parse_rig(data, "window rig")
    rng = np.random.default_rng(4)
    scenes = [Scene(f"s{i}", rng.integers(0, 256, (SIDE, SIDE, 3), np.uint8)) for i in range(3)]
    plan = plan_from_config(
        config.acquisition, scenes=InMemoryScenes(scenes), masks=load_masks("demo:hadamard16:16")
    )
    out = tmp_path / "window.h5"
    with build_rig(config) as rig:
        job = CaptureJob(CaptureRequest(config, plan, out), rig=rig)
        result = _in_worker(qtbot, job.run)
    assert result.status == "complete"
    assert thread_warnings(qt_messages) == [], qt_messages
    with open_session(out) as reader:
        assert reader.n_records == 3 and reader.devices["display"]["model"]
