"""The redraw timer's work: draw whatever is newest, once per tick, never per event.

ScopeFoundry's ``update_display`` idea: the capture, the rig worker and the decoder only leave
their newest state behind; each tick draws the newest record, the newest image on the monitor
and the newest decoded face, if they changed since the last tick.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PyQt6.QtCore import QObject, Qt, QTimer

from lsi_rig.gui.docks.live import RecordView
from lsi_rig.gui.docks.recon import DecodedView
from lsi_rig.gui.live_state import LiveSnapshot, RateMeter
from lsi_rig.gui.scoring import ScoreWorker

if TYPE_CHECKING:
    from lsi_rig.gui.main_window import MainWindow

LIVE = "live"


@dataclass(frozen=True)
class DecodeKey:
    """What a submitted vector was: ``source`` is "live" or the reviewed file's path."""

    source: str
    run: int
    index: int
    scene_index: int
    scene_id: str


class RedrawTimer(QObject):
    """Calls ``redraw`` at ``rate_hz`` on average: each tick is scheduled from the previous
    tick's deadline, not from when the last redraw finished, so a slow tick does not lower
    the rate (a plain ``QTimer`` drifts by the redraw time on a busy machine)."""

    def __init__(self, rate_hz: float, redraw: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self.period_s = 1.0 / rate_hz
        self.redraw = redraw
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._deadline = 0.0
        self.ticks = 0

    def start(self) -> None:
        self._deadline = time.perf_counter()
        self._timer.start(0)

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        self.ticks += 1
        self.redraw()
        now = time.perf_counter()
        self._deadline += self.period_s
        if self._deadline < now - self.period_s:  # more than a tick behind: do not catch up
            self._deadline = now
        self._timer.start(max(0, round(1000 * (self._deadline - now))))


class Drawing:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.drawn_records = 0  # distinct live records drawn (the latency benchmark reads it)
        self.drawn_meter = RateMeter()
        self.scores = ScoreWorker()
        self.reset()

    def reset(self) -> None:
        self._sequence = -1
        self._shown_count = -1
        self._decoded_key: object = None
        self._scored_key: object = None
        self._partial = False

    def redraw(self) -> None:
        w = self.window
        w.log_dock.flush()
        self._draw_monitor()
        if w.mode.value == LIVE:
            self._draw_live()
        self._draw_decoded()
        self._draw_score()
        w.flow.update_progress()

    def _draw_live(self) -> None:
        w = self.window
        snap = w.capture.live.snapshot()
        if snap.record is None:
            return
        capturing = w.capture.active
        if snap.sequence == self._sequence:
            if self._partial and not capturing:  # the capture ended: draw its last record fully
                self._partial = not w.live_dock.show_record(self._view(snap), snap.drift_pct)
            return
        self._sequence = snap.sequence
        self.drawn_records += 1
        self.drawn_meter.tick()
        view = self._view(snap)
        full = w.live_dock.show_record(view, snap.drift_pct, full=not capturing)
        self._partial = not full
        w.flow.decode_drawn(snap.index, snap.record, view.scene_id)

    def _view(self, snap: LiveSnapshot) -> RecordView:
        assert snap.record is not None
        now = time.perf_counter()
        return RecordView(
            record=snap.record,
            index=snap.index,
            scene_id=snap.progress.scene_id if snap.progress is not None else "",
            source="live",
            vectors_per_s=snap.vectors_per_s,
            latency_s=now - snap.committed_at,
            shown_per_s=self.drawn_meter.rate(now),
        )

    def _draw_monitor(self) -> None:
        count, image = self.window.shown.latest()
        if image is None or count == self._shown_count:
            return
        self._shown_count = count
        self.window.scene_dock.show_scene(image, "On the scene monitor now")
        if self.window.scene_window.isVisible():
            self.window.scene_window.set_image(image)

    def _draw_decoded(self) -> None:
        w = self.window
        live = w.decoding.live
        latest = live.latest() if live is not None else None
        if latest is None or latest[0] == self._decoded_key:
            return
        key, result, latency_s = latest
        if not isinstance(key, DecodeKey) or key.source != self.current_source():
            return
        self._decoded_key = key
        scene = self.scene_pixels(key)
        if scene is not None and result.image is not None:
            self.scores.submit(key, scene, result.image[0])
        assert live is not None
        counts = live.counts
        w.recon_dock.show_decoded(
            DecodedView(
                result=result,
                scene_id=key.scene_id,
                scene=scene,
                latency_s=latency_s,
                score=None,
                counters=f"decoded {counts.decoded} · dropped {counts.dropped} stale (latest wins)",
                ground_truth=self.scores.truth(key.source, key.scene_index, key.scene_id),
            )
        )

    def _draw_score(self) -> None:
        scored = self.scores.latest()
        if scored is None or scored[0] == self._scored_key:
            return
        key, score = scored
        if not isinstance(key, DecodeKey) or key.source != self.current_source():
            return
        self._scored_key = key
        # while faces arrive faster than they are scored, the newest score is a record or two
        # older than the face shown: it says which record it is for
        self.window.recon_dock.show_score(score, key.index)
        truth = self.scores.truth(key.source, key.scene_index, key.scene_id)
        shown = self._decoded_key
        if (
            truth is not None
            and isinstance(shown, DecodeKey)
            and (shown.source, shown.scene_index) == (key.source, key.scene_index)
        ):
            self.window.recon_dock.show_truth(truth)  # the face shown is of this scene

    def current_source(self) -> str:
        session = self.window.review.session
        if self.window.mode.value == LIVE or session is None:
            return LIVE
        return str(session.path)

    def scene_pixels(self, key: DecodeKey) -> np.ndarray | None:
        w = self.window
        if key.source == LIVE:
            return w.inputs.scene_pixels(key.scene_index)
        session = w.review.session
        return None if session is None else session.scene_image(key.scene_index)
