"""PSNR/SSIM of the decoded face against the scene, and the scene's ground truth, computed off
the GUI thread.

A score takes several milliseconds of numpy (more while the capture and the decoder compete for
the interpreter), too long for a redraw tick. :class:`ScoreWorker` keeps one pending pair, like
the live decoder: the redraw submits the pair it just drew and shows the score when it is ready;
a newer pair replaces one not yet scored. Scores are computed at most ``rate_hz`` times a
second: a number an operator reads needs no more, and the cores belong to the capture and the
decoder (bench/gui_latency.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable

import numpy as np

from lsi_rig.decode.quality import SceneScore, score_against_scene

log = logging.getLogger(__name__)


class ScoreWorker:
    def __init__(self, rate_hz: float = 4.0) -> None:
        self._interval_s = 1.0 / rate_hz
        self._cond = threading.Condition()
        self._pending: tuple[Hashable, np.ndarray, np.ndarray] | None = None
        self._latest: tuple[Hashable, SceneScore] | None = None
        self._truth: dict[tuple[str, int, str], np.ndarray | None] = {}
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="scene scores", daemon=True)
        self._thread.start()

    def submit(self, key: Hashable, scene: np.ndarray, decoded: np.ndarray) -> None:
        with self._cond:
            if not self._closed:
                self._pending = (key, scene, decoded)
                self._cond.notify_all()

    def latest(self) -> tuple[Hashable, SceneScore] | None:
        with self._cond:
            return self._latest

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    return
                assert self._pending is not None
                key, scene, decoded = self._pending
                self._pending = None
            try:
                score = score_against_scene(scene, decoded)
                self._remember_truth(key, scene)
            except Exception:  # a score is informative only
                log.exception("scoring %r failed", key)
                continue
            with self._cond:
                self._latest = (key, score)
                self._cond.wait_for(lambda: self._closed, timeout=self._interval_s)

    def _remember_truth(self, key: Hashable, scene: np.ndarray) -> None:
        """Attribute labels [40] (1/0, −1 unknown) of a procedural demo face, recognised by id
        and pixels (``lsi_rig.evaluation.groundtruth``): rendering it takes milliseconds, so
        never on the GUI thread."""
        source, index, scene_id = (
            getattr(key, n, None) for n in ("source", "scene_index", "scene_id")
        )
        cache_key = (str(source), int(index or 0), str(scene_id))
        with self._cond:
            if cache_key in self._truth:
                return
        from lsi_rig.evaluation.groundtruth import procedural_face_truth

        item = procedural_face_truth(str(scene_id), scene)
        with self._cond:
            if len(self._truth) > 256:
                self._truth.clear()
            self._truth[cache_key] = None if item is None else item.attributes

    def truth(self, source: str, scene_index: int, scene_id: str) -> np.ndarray | None:
        """The scene's ground truth once the worker has seen it (None before, or unknown)."""
        with self._cond:
            return self._truth.get((source, scene_index, scene_id))

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(2.0)
