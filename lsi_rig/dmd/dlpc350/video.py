"""Where the packed 912×1140 RGB888 frames go: the DMD's HDMI input, or an in-memory sink.

On the bench the frames are shown by a frameless full-screen window on the screen that is wired
to the LightCrafter's HDMI input (:mod:`lsi_rig.dmd.dlpc350.qt_window`, imported lazily because
it needs Qt). Under the emulator they go to a :class:`MemoryVideoSink`, which is what the
emulated DLPC350 "receives" on its video port.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from lsi_rig.core.errors import DeviceError
from lsi_rig.dmd.dlpc350.packing import DMD_COLUMNS, DMD_ROWS


def check_frames(frames: np.ndarray) -> np.ndarray:
    """Frames must be uint8 [F, 1140, 912, 3] so pixels map 1:1 to mirrors."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[1:] != (DMD_ROWS, DMD_COLUMNS, 3) or frames.shape[0] < 1:
        raise DeviceError(
            f"DLPC350 video frames must be uint8 [F, {DMD_ROWS}, {DMD_COLUMNS}, 3], "
            f"got {frames.dtype} {frames.shape}"
        )
    return np.ascontiguousarray(frames, dtype=np.uint8)


@runtime_checkable
class VideoOutput(Protocol):
    """Shows a loop of frames, one per VSYNC, until told otherwise."""

    def show(self, frames: np.ndarray, frame_rate_hz: float) -> None: ...

    def blank(self) -> None: ...

    def describe(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class MemoryVideoSink:
    """In-memory video output (tests, emulator): keeps the frame loop and notifies listeners."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.frames: np.ndarray | None = None
        self.frame_rate_hz: float | None = None
        self.shows = 0
        self._listeners: list[Callable[[MemoryVideoSink], None]] = []

    def subscribe(self, listener: Callable[[MemoryVideoSink], None]) -> None:
        self._listeners.append(listener)

    def show(self, frames: np.ndarray, frame_rate_hz: float) -> None:
        frames = check_frames(frames)
        frames.setflags(write=False)
        with self._lock:
            self.frames, self.frame_rate_hz = frames, float(frame_rate_hz)
            self.shows += 1
        for listener in list(self._listeners):
            listener(self)

    def blank(self) -> None:
        with self._lock:
            self.frames, self.frame_rate_hz = None, None
        for listener in list(self._listeners):
            listener(self)

    def snapshot(self) -> tuple[np.ndarray | None, float | None]:
        with self._lock:
            return self.frames, self.frame_rate_hz

    def describe(self) -> dict[str, Any]:
        return {"video_output": "memory sink"}

    def close(self) -> None:
        self.blank()


class TeeVideoOutput:
    """Shows every frame loop on several outputs: a window on the screen wired to an emulated
    board, plus that emulator's video input (so the emulated DLPC350 receives exactly what the
    window shows)."""

    def __init__(self, *outputs: VideoOutput) -> None:
        self.outputs = outputs

    def show(self, frames: np.ndarray, frame_rate_hz: float) -> None:
        for out in self.outputs:
            out.show(frames, frame_rate_hz)

    def blank(self) -> None:
        for out in self.outputs:
            out.blank()

    def describe(self) -> dict[str, Any]:
        return {"video_output": "tee", "outputs": [out.describe() for out in self.outputs]}

    def close(self) -> None:
        errors: list[BaseException] = []
        for out in self.outputs:
            try:
                out.close()
            except Exception as exc:  # close every output, then report the first failure
                errors.append(exc)
        if errors:
            raise errors[0]
