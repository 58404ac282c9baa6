"""The redraw timer's work: draw whatever is newest, once per tick, never per event.

ScopeFoundry's ``update_display`` idea: the capture, the rig worker and the decoder only leave
their newest state behind; each tick draws the newest record, the newest image on the monitor
and the newest decoded face, if they changed since the last tick.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lsi_rig.decode.quality import score_against_scene
from lsi_rig.gui.docks.live import RecordView
from lsi_rig.gui.docks.recon import DecodedView
from lsi_rig.gui.live_state import RateMeter

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


class Drawing:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.drawn_records = 0  # distinct live records drawn (the latency benchmark reads it)
        self.drawn_meter = RateMeter()
        self.reset()

    def reset(self) -> None:
        self._sequence = -1
        self._shown_count = -1
        self._decoded_key: object = None

    def redraw(self) -> None:
        w = self.window
        w.log_dock.flush()
        self._draw_monitor()
        if w.mode.value == LIVE:
            self._draw_live()
        self._draw_decoded()
        w.flow.update_progress()

    def _draw_live(self) -> None:
        snap = self.window.capture.live.snapshot()
        if snap.record is None or snap.sequence == self._sequence:
            return
        self._sequence = snap.sequence
        self.drawn_records += 1
        now = time.perf_counter()
        self.drawn_meter.tick(now)
        view = RecordView(
            record=snap.record,
            index=snap.index,
            scene_id=snap.progress.scene_id if snap.progress is not None else "",
            source="live",
            vectors_per_s=snap.vectors_per_s,
            latency_s=now - snap.committed_at,
            shown_per_s=self.drawn_meter.rate(now),
        )
        self.window.live_dock.show_record(view, snap.drift_pct)

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
        image = result.image
        score = None
        if scene is not None and image is not None:
            score = score_against_scene(scene, image[0])
        assert live is not None
        counts = live.counts
        w.recon_dock.show_decoded(
            DecodedView(
                result=result,
                scene_id=key.scene_id,
                scene=scene,
                latency_s=latency_s,
                score=score,
                counters=f"decoded {counts.decoded} · dropped {counts.dropped} stale (latest wins)",
                ground_truth=w.flow.ground_truth(key.scene_index),
            )
        )

    def current_source(self) -> str:
        session = self.window.review.session
        if self.window.mode.value == LIVE or session is None:
            return LIVE
        return str(session.path)

    def scene_pixels(self, key: DecodeKey):  # type: ignore[no-untyped-def]
        w = self.window
        if key.source == LIVE:
            return w.flow.scene_pixels(key.scene_index)
        session = w.review.session
        return None if session is None else session.scene_image(key.scene_index)
